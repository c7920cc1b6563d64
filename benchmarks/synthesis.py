"""Procedural synthesis speed per sound class at 48 kHz, as multiples of real time (goal: >= 100x).

Reference in the same run: the cost floor of any noise-based recipe, one second of NumPy white noise
through one 2nd-order Butterworth filter (``floor``); ``x floor`` says how many such passes a class costs.
Run: ``python benchmarks/synthesis.py [--seconds 10] [--repeat 3] [--classes wind,rain]``.
The goal is per source on one core: BLAS/OpenMP threads are pinned to one unless set in the environment,
and the CPU time (``time.process_time``) is the figure that counts on a shared machine.
"""

from __future__ import annotations

import argparse
import os
import statistics
import time

for _var in ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS"):
    os.environ.setdefault(_var, "1")  # before NumPy loads its BLAS

import numpy as np  # noqa: E402
from scipy.signal import butter, sosfilt  # noqa: E402

from see2sound.sound.synth import CLASSES, synthesize  # noqa: E402


def timed(fn, repeat: int) -> tuple[float, float]:
    """Median wall-clock and median CPU time (the CPU time is less disturbed by other processes)."""
    wall, cpu = [], []
    for _ in range(repeat):
        t0, c0 = time.perf_counter(), time.process_time()
        fn()
        wall.append(time.perf_counter() - t0)
        cpu.append(time.process_time() - c0)
    return statistics.median(wall), statistics.median(cpu)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seconds", type=float, default=10.0)
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--rate", type=int, default=48000)
    parser.add_argument("--classes", default="")
    args = parser.parse_args()
    names = [c for c in args.classes.split(",") if c] or list(CLASSES)
    n = int(args.seconds * args.rate)
    sos = butter(2, 1000, "lowpass", fs=args.rate, output="sos")
    floor, floor_cpu = timed(lambda: sosfilt(sos, np.random.default_rng(0).standard_normal(n)), args.repeat)
    print(f"{args.seconds:g} s clips at {args.rate} Hz, median of {args.repeat}")
    print(
        f"floor (white noise + one biquad filter): wall {floor * 1000:.1f} ms, cpu {floor_cpu * 1000:.1f} ms"
    )
    print(f"{'class':<12} {'wall ms':>8} {'x rt wall':>10} {'cpu ms':>8} {'x rt cpu':>9} {'x floor':>8}")
    speeds, cpu_speeds = [], []
    for name in names:
        synthesize(name, 1.0, args.rate, seed=0)  # warm caches
        dt, ct = timed(lambda name=name: synthesize(name, args.seconds, args.rate, seed=1), args.repeat)
        speeds.append(args.seconds / dt)
        cpu_speeds.append(args.seconds / ct)
        print(
            f"{name:<12} {dt * 1000:8.1f} {args.seconds / dt:10.0f} {ct * 1000:8.1f} {args.seconds / ct:9.0f}"
            f" {ct / floor_cpu:8.1f}"
        )
    for what, values in (("wall", speeds), ("cpu", cpu_speeds)):
        print(
            f"{what}: median over {len(names)} classes {statistics.median(values):.0f}x real time; slowest "
            f"{min(values):.0f}x ({names[int(np.argmin(values))]}); classes >= 100x: "
            f"{sum(v >= 100 for v in values)}/{len(values)}"
        )
    print(f"load average at the end: {' '.join(f'{v:.2f}' for v in os.getloadavg())}")


if __name__ == "__main__":
    main()
