"""Binaural rendering speed: 16 moving sources, 60 s at 48 kHz, on one core (issue 2, benchmark 2).

Times ``see2sound.spatial.binaural.render_binaural`` source by source and ``render_binaural_mix``
(all sources at once, the way ``render_scene`` calls it), moving and static, and compares them with
the reference scheme of ``reference/spatial-dsp.md`` §6 measured in the same run: the nearest
measured HRIR per 1024-sample block, each block convolved with the old and the new HRIR
(``scipy.signal.oaconvolve``) and cross-faded. Prints median CPU seconds of this process and
"× real time" (audio seconds per CPU second).

Usage: ``python benchmarks/binaural_speed.py [--seconds 60] [--sources 16] [--repeats 3]``
"""

from __future__ import annotations

import os

for _var in ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS"):  # one core
    os.environ.setdefault(_var, "1")

import argparse  # noqa: E402
import time  # noqa: E402

import numpy as np  # noqa: E402
from scipy.signal import oaconvolve  # noqa: E402

from see2sound.geometry import direction_to_vector  # noqa: E402
from see2sound.pipeline.hrtf import load_hrtf  # noqa: E402
from see2sound.spatial.binaural import render_binaural, render_binaural_mix  # noqa: E402

SR = 48000
HOP = 480  # control points every 10 ms, as a renderer would pass them


def scene(n_sources: int, seconds: float, seed: int = 0):
    """Noise sources circling at different speeds and heights."""
    rng = np.random.default_rng(seed)
    n = int(seconds * SR)
    t = np.arange(n // HOP + 1) * HOP / SR
    sources = []
    for _ in range(n_sources):
        signal = rng.standard_normal(n).astype(np.float32)
        speed = rng.uniform(5, 60) * rng.choice([-1, 1])  # degrees per second
        az = rng.uniform(-180, 180) + speed * t
        el = rng.uniform(-20, 40) + 10 * np.sin(2 * np.pi * t / rng.uniform(5, 20))
        sources.append((signal, direction_to_vector(az, el)))
    return sources


def render_ours(sources, hrtf):
    out = np.zeros((2, len(sources[0][0])), dtype=np.float32)
    for signal, dirs in sources:
        out += render_binaural(signal, dirs, hrtf, HOP)
    return out


def render_mix(sources, hrtf):
    return render_binaural_mix([s for s, _ in sources], [d for _, d in sources], hrtf, HOP)


def render_reference(sources, hrtf, block=1024):
    """Nearest HRIR per block; each block filtered with the previous and the new HRIR and cross-faded."""
    n = len(sources[0][0])
    taps = hrtf.hrirs.shape[-1]
    fade_in = np.linspace(0.0, 1.0, block, dtype=np.float32)
    out = np.zeros((2, n + taps), dtype=np.float32)
    hrirs = hrtf.hrirs.astype(np.float32)
    for signal, dirs in sources:
        starts = np.arange(0, n, block)
        centre_dirs = dirs[np.minimum(starts // HOP, len(dirs) - 1)]
        nearest = np.argmax(centre_dirs @ hrtf.directions.T, axis=1)
        prev = nearest[0]
        for k, s in enumerate(starts):
            x = signal[s : s + block]
            new = nearest[k]
            y_new = oaconvolve(x[None, :], hrirs[new], axes=-1)
            if new != prev:
                y_old = oaconvolve(x[None, :], hrirs[prev], axes=-1)
                w = np.concatenate([fade_in[: len(x)], np.ones(taps - 1, np.float32)])
                y_new = y_old * (1 - w) + y_new * w
            out[:, s : s + y_new.shape[1]] += y_new
            prev = new
    return out[:, :n]


def timed(fn, repeats):
    """Median CPU time of this process (the shared 2-core machine's load inflates wall time)."""
    times = []
    for _ in range(repeats):
        t0 = time.process_time()
        fn()
        times.append(time.process_time() - t0)
    return float(np.median(times))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seconds", type=float, default=60.0)
    parser.add_argument("--sources", type=int, default=16)
    parser.add_argument("--repeats", type=int, default=3)
    parser.add_argument(
        "--reference-seconds",
        type=float,
        default=10.0,
        help="the reference is slow: time it on this much audio and scale",
    )
    args = parser.parse_args()
    sources = scene(args.sources, args.seconds)
    short = scene(args.sources, args.reference_seconds)
    print(
        f"{args.sources} moving sources × {args.seconds:g} s at {SR} Hz, hop {HOP}; one core; "
        f"median CPU seconds of {args.repeats}; load average {os.getloadavg()[0]:.1f}"
    )
    for spec in ("analytic", "ku100", "kemar"):
        try:
            hrtf = load_hrtf(spec, SR)
        except Exception as exc:  # a set that was not fetched
            print(f"{spec:9s} skipped ({exc})")
            continue
        hrtf.impulse_response([1.0, 0.0, 0.0])  # build the interpolation mesh outside the timing
        ours = timed(lambda h=hrtf: render_ours(sources, h), args.repeats)
        mix = timed(lambda h=hrtf: render_mix(sources, h), args.repeats)
        still = [(s, d[:1].repeat(len(d), 0)) for s, d in sources]
        static = timed(lambda h=hrtf, still=still: render_mix(still, h), args.repeats)
        ref_short = timed(lambda h=hrtf: render_reference(short, h), 1)
        ref = ref_short * args.seconds / args.reference_seconds
        print(
            f"{spec:9s} taps {hrtf.hrirs.shape[-1]:4d}: "
            f"moving, mix (render_scene's path) {mix:5.2f} s = {args.seconds / mix:5.1f}× real time"
            f" | moving, one call per source {ours:5.2f} s = {args.seconds / ours:5.1f}×"
            f" | static, mix {static:5.2f} s = {args.seconds / static:5.1f}×"
            f" | reference (nearest HRIR, block cross-fade) {ref:5.2f} s = {args.seconds / ref:4.1f}×"
            f" | speed-up of the mix {ref / mix:4.1f}×"
        )


if __name__ == "__main__":
    main()
