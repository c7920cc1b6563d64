"""What a room costs: rendering with ``--room`` (direct sound + reflections + tail) against ``--room none``.

16 sources (8 fixed, 8 moving), 60 s at 48 kHz, in a 6 × 8 × 3 m furnished room (RT60 ≈ 0.45 s), for 5.1,
binaural (the analytic head) and FOA. The free field is :func:`see2sound.spatial.render.render_sources`;
the room adds :func:`see2sound.spatial.reverb.render_room` on the same inputs (what the renderer's hook
does). Prints the median of ``--repeats`` runs of each and the ratio (goal: ≤ 3×), in wall time and in the
process's CPU time (steadier on a shared machine). With ``--pyroomacoustics``, also times pyroomacoustics'
own order-3 simulation of the same sources (first 10 s, fixed at their starting points) to six omni
microphones around the listener, for scale.

    .venv/bin/python benchmarks/room_cost.py [--seconds 60] [--repeats 3] [--pyroomacoustics]
"""

from __future__ import annotations

import argparse
import platform
import time

import numpy as np

from see2sound.spatial.hrtf import spherical_head_hrtf
from see2sound.spatial.render import RenderOptions, finish_loudness, render_sources
from see2sound.spatial.reverb import Room, render_room

SR = 48000
K = 16
HOP = 128


def sources(seconds: float, seed: int = 0):
    rng = np.random.default_rng(seed)
    n = int(seconds * SR)
    m = -(-n // HOP) + 1
    signals, dirs, dists = [], [], []
    for k in range(K):
        signals.append((rng.standard_normal(n) * 0.05).astype(np.float32))
        az = np.radians(-180 + 360 * k / K)
        if k % 2 == 0:
            dirs.append(np.array([np.cos(az), np.sin(az), 0.0]))
            dists.append(1.5 + 0.2 * k)
        else:  # a slow arc of 60° over the scene
            a = az + np.linspace(0, np.radians(60), m)
            dirs.append(np.stack([np.cos(a), np.sin(a), np.zeros(m)], axis=1))
            dists.append(np.full(m, 2.0))
    return signals, dirs, dists


def median_time(fn, repeats: int) -> float:
    return median_times(fn, repeats)[0]


def median_times(fn, repeats: int) -> tuple[float, float]:
    """Median wall time and median CPU time of the process (all threads) over ``repeats`` calls."""
    times, cpu = [], []
    for _ in range(repeats):
        t0, c0 = time.perf_counter(), time.process_time()
        fn()
        times.append(time.perf_counter() - t0)
        cpu.append(time.process_time() - c0)
    return float(np.median(times)), float(np.median(cpu))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seconds", type=float, default=60.0)
    parser.add_argument("--repeats", type=int, default=3)
    parser.add_argument("--pyroomacoustics", action="store_true")
    args = parser.parse_args()
    room = Room("indoor", (6.0, 8.0, 3.0), "furnished", listener_m=(3.0, 3.0, 1.2))
    signals, dirs, dists = sources(args.seconds)
    print(f"machine: {platform.machine()} {platform.processor() or ''}, numpy {np.__version__}")
    print(
        f"{K} sources (8 moving), {args.seconds:g} s at {SR} Hz; room {room.dimensions_m} m, "
        f"RT60 {room.rt60_s:.2f} s; median of {args.repeats}"
    )
    print(
        f"{'format':9s} {'none':>7s} {'room':>7s} {'ratio':>6s}   "
        f"with loudness + true-peak: {'none':>7s} {'room':>7s} {'ratio':>6s}   "
        f"CPU time: {'none':>7s} {'room':>7s} {'ratio':>6s}"
    )
    hrtf = spherical_head_hrtf(SR)
    for fmt in ("5.1", "binaural", "foa"):
        options = RenderOptions(format=fmt, hop=HOP)
        raw = RenderOptions(format=fmt, loudness_lufs=None, hop=HOP)
        h = hrtf if fmt == "binaural" else None

        def free(raw=raw, h=h):
            return render_sources(signals, dirs, dists, SR, raw, hrtf=h)

        def with_room(raw=raw, h=h):
            return render_room(signals, dirs, dists, SR, raw, room, hrtf=h)

        t_free, c_free = median_times(free, args.repeats)
        t_room, c_room = median_times(with_room, args.repeats)
        y = free()
        t_finish = median_time(
            lambda y=y, options=options: finish_loudness(y, SR, options.format, options), 1
        )
        full_none, full_room = t_free + t_finish, t_free + t_room + t_finish
        print(
            f"{fmt:9s} {t_free:6.2f}s {t_free + t_room:6.2f}s {(t_free + t_room) / t_free:5.2f}x   "
            f"{'':26s}{full_none:6.2f}s {full_room:6.2f}s {full_room / full_none:5.2f}x   "
            f"{'':10s}{c_free:6.2f}s {c_free + c_room:6.2f}s {(c_free + c_room) / c_free:5.2f}x",
            flush=True,
        )
    if args.pyroomacoustics:
        import pyroomacoustics as pra

        seconds = min(args.seconds, 10.0)
        n = int(seconds * SR)
        t0 = time.perf_counter()
        w, d, h_ = room.dimensions_m
        absorption = 0.25
        shoebox = pra.ShoeBox([d, w, h_], fs=SR, materials=pra.Material(absorption), max_order=3)
        lis = np.array(room.listener_m)
        for k in range(K):
            direction = np.asarray(dirs[k]).reshape(-1, 3)[0]
            r = float(np.asarray(dists[k]).reshape(-1)[0])
            pos = np.clip(lis + direction * r, 0.1, np.array([d, w, h_]) - 0.1)
            shoebox.add_source(pos, signal=signals[k][:n])
        angles = np.radians([30, -30, 0, 110, -110, 0])
        mics = lis[:, None] + 0.1 * np.stack([np.cos(angles), np.sin(angles), np.zeros(6)])
        shoebox.add_microphone_array(mics)
        shoebox.simulate()
        print(f"pyroomacoustics order 3, {seconds:g} s, 6 mics: {time.perf_counter() - t0:.2f}s (reference)")


if __name__ == "__main__":
    main()
