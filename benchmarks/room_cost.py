"""What a room costs: rendering with ``--room`` (direct sound + reflections + tail) against ``--room none``.

16 sources (8 fixed, 8 moving), 60 s at 48 kHz, in a 6 × 8 × 3 m furnished room (RT60 ≈ 0.45 s), for 5.1,
binaural (the analytic head) and FOA. The free field is :func:`see2sound.spatial.render.render_sources`;
the room adds :func:`see2sound.spatial.reverb.render_room` on the same inputs (what the renderer's hook
does); a whole render also normalises the loudness and limits the true peak
(:func:`see2sound.spatial.render.finish_loudness`). On one core (BLAS and FFT threads pinned to one),
each of ``--repeats`` rounds times the three in turn; the script prints the medians of the process's
CPU time (steady on a shared machine) and of the wall time, and the ratios room / none for the bare
render and for the whole one (goal: ≤ 3×). With ``--pyroomacoustics``, also times pyroomacoustics'
own order-3 simulation of the same sources (first 10 s, fixed at their starting points) to six omni
microphones around the listener, for scale. With ``--cli``, also what a user sees: the same scene
(stems as files, the room in the scene) through ``see2sound render --room auto`` against ``--room none``,
each a fresh process on one core (reading the stems and writing the file included).

    .venv/bin/python benchmarks/room_cost.py [--seconds 60] [--repeats 5] [--formats 5.1,binaural,foa] [--cli]
"""

from __future__ import annotations

import os

for _name in ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS"):
    os.environ.setdefault(_name, "1")  # one core: before NumPy starts its BLAS

import argparse  # noqa: E402
import json  # noqa: E402
import platform  # noqa: E402
import tempfile  # noqa: E402
import time  # noqa: E402
from pathlib import Path  # noqa: E402

import numpy as np  # noqa: E402

from see2sound.spatial.hrtf import spherical_head_hrtf  # noqa: E402
from see2sound.spatial.render import RenderOptions, finish_loudness, render_sources  # noqa: E402
from see2sound.spatial.reverb import Room, render_room  # noqa: E402

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


def timed(fn):
    """The result of ``fn()``, its CPU time (this process, all threads) and its wall time."""
    t0, c0 = time.perf_counter(), time.process_time()
    out = fn()
    return out, time.process_time() - c0, time.perf_counter() - t0


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seconds", type=float, default=60.0)
    parser.add_argument("--repeats", type=int, default=5)
    parser.add_argument("--formats", default="5.1,binaural,foa")
    parser.add_argument("--pyroomacoustics", action="store_true")
    parser.add_argument("--cli", action="store_true", help="also time `see2sound render` end to end")
    args = parser.parse_args()
    room = Room("indoor", (6.0, 8.0, 3.0), "furnished", listener_m=(3.0, 3.0, 1.2))
    signals, dirs, dists = sources(args.seconds)
    print(f"machine: {platform.machine()} {platform.processor() or ''}, numpy {np.__version__}, one core")
    print(
        f"{K} sources (8 moving), {args.seconds:g} s at {SR} Hz; room {room.dimensions_m} m, "
        f"RT60 {room.rt60_s:.2f} s; medians of {args.repeats}; load average {os.getloadavg()[0]:.2f}"
    )
    print(
        f"{'format':9s} CPU s: {'none':>6s} {'room':>6s} {'finish':>6s}  ratio {'bare':>5s} {'whole':>5s}"
        f"   wall s: {'none':>6s} {'room':>6s} {'finish':>6s}  ratio {'bare':>5s} {'whole':>5s}"
    )
    hrtf = spherical_head_hrtf(SR)
    for fmt in args.formats.split(","):
        options = RenderOptions(format=fmt, hop=HOP)
        raw = RenderOptions(format=fmt, loudness_lufs=None, hop=HOP)
        h = hrtf if fmt == "binaural" else None
        cpu, wall = np.zeros((args.repeats, 3)), np.zeros((args.repeats, 3))
        for i in range(args.repeats):
            y, cpu[i, 0], wall[i, 0] = timed(
                lambda raw=raw, h=h: render_sources(signals, dirs, dists, SR, raw, hrtf=h)
            )
            _, cpu[i, 1], wall[i, 1] = timed(
                lambda raw=raw, h=h: render_room(signals, dirs, dists, SR, raw, room, hrtf=h)
            )
            _, cpu[i, 2], wall[i, 2] = timed(lambda y=y, o=options: finish_loudness(y, SR, o.format, o))
        parts = []
        for t in (np.median(cpu, axis=0), np.median(wall, axis=0)):
            none, extra, finish = t
            bare, whole = (none + extra) / none, (none + extra + finish) / (none + finish)
            parts.append(f"{none:6.2f} {extra:6.2f} {finish:6.2f}  ratio {bare:5.2f} {whole:5.2f}")
        print(f"{fmt:9s} CPU s: {parts[0]}   wall s: {parts[1]}", flush=True)
    if args.cli:
        cli_ratios(room, args.seconds, args.repeats, args.formats.split(","))
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


def write_scene(folder: Path, room: Room, seconds: float) -> Path:
    """The benchmark's sources as a scene file with WAV stems: moving ones as two keys 60° apart (the
    same arc, slerped), the room as the scene's ``room``."""
    import soundfile as sf

    signals, dirs, dists = sources(seconds)
    entries = []
    for k, (signal, d, r) in enumerate(zip(signals, dirs, dists, strict=True)):
        sf.write(folder / f"s{k}.wav", signal, SR, subtype="FLOAT")
        d = np.asarray(d).reshape(-1, 3)
        az = np.degrees(np.arctan2(d[:, 1], d[:, 0]))
        r = float(np.asarray(r).reshape(-1)[0])
        entry = {"id": f"s{k}", "audio": f"s{k}.wav"}
        if len(d) == 1:
            entry["position"] = {"azimuth": float(az[0]), "distance": r}
        else:
            entry["trajectory"] = [
                {"t": 0.0, "azimuth": float(az[0]), "distance": r},
                {"t": seconds, "azimuth": float(az[-1]), "distance": r},
            ]
        entries.append(entry)
    scene = {
        "version": 1,
        "duration": seconds,
        "sample_rate": SR,
        "sources": entries,
        "room": {
            "kind": room.kind,
            "dimensions_m": list(room.dimensions_m),
            "material": room.material,
            "listener_m": list(room.listener_m),
        },
    }
    path = folder / "scene.json"
    path.write_text(json.dumps(scene), encoding="utf-8")
    return path


def cli_ratios(room: Room, seconds: float, repeats: int, formats: list[str]) -> None:
    """Median CPU and wall time of `see2sound render --room auto|none` in fresh one-core processes."""
    from pipeline import run_cli  # the pipeline benchmark's timing of one cold CLI process

    with tempfile.TemporaryDirectory() as tmp:
        scene = write_scene(Path(tmp), room, seconds)
        load = os.getloadavg()[0]
        print(f"see2sound render, fresh processes on one core, medians of {repeats} (load {load:.2f})")
        for fmt in formats:
            times = {"auto": [], "none": []}
            for _ in range(repeats):
                for spec in times:  # alternate, so that both see the same load
                    wall, cpu, _ = run_cli(
                        ["render", str(scene), "-o", f"{tmp}/out.wav", "--format", fmt, "--room", spec]
                    )
                    times[spec].append((cpu, wall))
            auto, none = (np.median(np.array(times[s]), axis=0) for s in ("auto", "none"))
            print(
                f"{fmt:9s} CPU s: none {none[0]:5.2f} auto {auto[0]:5.2f} ratio {auto[0] / none[0]:4.2f}   "
                f"wall s: none {none[1]:5.2f} auto {auto[1]:5.2f} ratio {auto[1] / none[1]:4.2f}",
                flush=True,
            )


if __name__ == "__main__":
    main()
