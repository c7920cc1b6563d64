"""Benchmark: 16 moving sources, 60 s at 48 kHz, to 7.1.4, binaural (analytic and SOFA) and hoa3, on one core.

Every source follows its own trajectory (a key per second: azimuth, elevation and distance all change).
Times ``render_scene`` (panning / encoding / HRTFs, LFE, loudness normalisation and true-peak limiter)
and prints how many times faster than real time it runs (median and fastest run: on a shared machine the
fastest run is the one least disturbed by others; the process's CPU time is the least disturbed
figure). Goal (issue 2): at least 50× real time.

A second table prices source extent against the same 16 point sources as the named reference: plus one
still 360 x 90 bed (one FIR per output channel), and plus one moving 90 x 30 source (its virtual sources
move with it), with the ratio of CPU times.

    python benchmarks/render_speed.py [--seconds 60] [--repeats 3] [--no-extent]
"""

from __future__ import annotations

import os

for _var in ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS"):  # one core
    os.environ.setdefault(_var, "1")

import argparse  # noqa: E402
import time  # noqa: E402

import numpy as np  # noqa: E402

from see2sound.scene import Scene  # noqa: E402
from see2sound.spatial.render import RenderOptions, render_scene  # noqa: E402

SR = 48000


def moving_scene(n_sources: int, seconds: float, seed: int = 0) -> tuple[Scene, dict[str, np.ndarray]]:
    rng = np.random.default_rng(seed)
    sources, signals = [], {}
    n = int(seconds * SR)
    for i in range(n_sources):
        keys = []
        az0, speed = rng.uniform(-180, 180), rng.uniform(-60, 60)
        for t in range(int(np.ceil(seconds)) + 1):
            keys.append(
                {
                    "t": float(t),
                    "azimuth": float((az0 + speed * t + 180) % 360 - 180),
                    "elevation": float(40 * np.sin(0.3 * t + i)),
                    "distance": float(3 + 2 * np.sin(0.2 * t + 2 * i)),
                }
            )
        sources.append({"id": f"s{i}", "trajectory": keys})
        signals[f"s{i}"] = (rng.standard_normal(n) * 0.05).astype(np.float32)
    return Scene.from_dict({"duration": seconds, "sample_rate": SR, "sources": sources}), signals


def hrtfs():
    """The analytic head, plus the measured sets fetched by `see2sound models fetch hrtf` if present."""
    from see2sound.pipeline.hrtf import load_hrtf

    out = {"binaural (analytic)": load_hrtf("analytic", SR)}
    for name in ("ku100", "kemar"):
        try:
            out[f"binaural (SOFA {name})"] = load_hrtf(name, SR)
        except Exception as exc:  # not cached here: say so and go on
            print(f"# {name}: skipped ({exc})")
    return out


def _cpu(scene, signals, options, hrtf, repeats) -> float:
    cpu = []
    for _ in range(repeats):
        c0 = time.process_time()
        y = render_scene(scene, signals, options, hrtf=hrtf)
        cpu.append(time.process_time() - c0)
    assert np.all(np.isfinite(y))
    return float(np.median(cpu))


def with_extended(scene: Scene, signals: dict, seconds: float) -> dict[str, tuple[Scene, dict]]:
    """The scene plus a still all-round bed, and plus a moving source 90° wide and 30° high."""
    rng = np.random.default_rng(1)
    n = int(seconds * SR)
    bed = {"id": "bed", "position": {"azimuth": 0.0}, "extent": {"width": 360.0, "height": 90.0}}
    keys = [{"t": float(t), "azimuth": float(20 * t % 360 - 180)} for t in range(int(np.ceil(seconds)) + 1)]
    wide = {"id": "wide", "trajectory": keys, "extent": {"width": 90.0, "height": 30.0}}
    out = {}
    for name, extra in (("+ still 360x90 bed", bed), ("+ moving 90x30 source", wide)):
        data = scene.to_dict()
        data["sources"] = data["sources"] + [extra]
        out[name] = (
            Scene.from_dict(data),
            {**signals, extra["id"]: (rng.standard_normal(n) * 0.05).astype(np.float32)},
        )
    return out


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seconds", type=float, default=60.0)
    parser.add_argument("--repeats", type=int, default=3)
    parser.add_argument("--sources", type=int, default=16)
    parser.add_argument("--no-extent", action="store_true", help="Skip the extent table.")
    args = parser.parse_args()
    scene, signals = moving_scene(args.sources, args.seconds)
    cases = [("7.1.4", None), ("hoa3", None)] + [("binaural", (label, h)) for label, h in hrtfs().items()]
    print(f"# {args.sources} moving sources, {args.seconds:g} s at {SR} Hz, 1 thread, {args.repeats} runs")
    print(
        "| format | render_scene, median [s] | × real time | fastest run [s] | × real time "
        "| CPU time, median [s] | × real time |"
    )
    print("|---|---|---|---|---|---|---|")
    for fmt, hrtf in cases:
        label = hrtf[0] if hrtf else fmt
        options = RenderOptions(format=fmt)
        times, cpu = [], []
        for _ in range(args.repeats):
            t0, c0 = time.perf_counter(), time.process_time()
            y = render_scene(scene, signals, options, hrtf=hrtf[1] if hrtf else None)
            times.append(time.perf_counter() - t0)
            cpu.append(time.process_time() - c0)
        assert np.all(np.isfinite(y))
        t, best, c = float(np.median(times)), min(times), float(np.median(cpu))
        print(
            f"| {label} | {t:.2f} | {args.seconds / t:.0f}× | {best:.2f} | {args.seconds / best:.0f}× "
            f"| {c:.2f} | {args.seconds / c:.0f}× |",
            flush=True,
        )
    if args.no_extent:
        return
    print(f"\n# extent: CPU time, median of {args.repeats}, against the {args.sources} point sources alone")
    print("| format | points [s] | + still 360x90 bed [s] | ratio | + moving 90x30 source [s] | ratio |")
    print("|---|---|---|---|---|---|")
    extended = with_extended(scene, signals, args.seconds)
    for fmt, hrtf in cases:
        label = hrtf[0] if hrtf else fmt
        h = hrtf[1] if hrtf else None
        options = RenderOptions(format=fmt)
        base = _cpu(scene, signals, options, h, args.repeats)
        bed, wide = (_cpu(sc, sig, options, h, args.repeats) for sc, sig in extended.values())
        print(
            f"| {label} | {base:.2f} | {bed:.2f} | {bed / base:.2f}× | {wide:.2f} | {wide / base:.2f}× |",
            flush=True,
        )


if __name__ == "__main__":
    main()
