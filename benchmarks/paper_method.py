"""Benchmark: the paper's method (omni microphones at the loudspeakers) against pyroomacoustics.

The paper's scene: K = 1, 4, 16 sources at 1–4 m, 5 s and 30 s of 48 kHz noise, 6 omni microphones (the
five ITU-R BS.775 loudspeaker positions at 2 m plus one at the listener for the LFE, as in the paper's
code). Both renderers run in the same process on the same data: pyroomacoustics ``ShoeBox`` with
``max_order=0`` and its 10 Hz high-pass off, ``simulate()`` timed; see2sound ``render_paper``.

Prints wall time (median of repeats), speed-up, the largest difference in dB re the reference's peak
(white noise, and noise band-limited to 0.25·sr), and peak traced memory (tracemalloc).

    python benchmarks/paper_method.py [--quick]
"""

from __future__ import annotations

import argparse
import os
import platform
import time
import tracemalloc

import numpy as np
from scipy.signal import butter, sosfiltfilt

from see2sound.geometry import direction_to_vector
from see2sound.spatial.paper import microphone_positions, render_paper

SR = 48000
PRA_BULK_DELAY = 40


def scene(k: int, seconds: float, seed: int = 0):
    rng = np.random.default_rng(seed)
    white = rng.standard_normal((k, int(seconds * SR)))
    band = sosfiltfilt(butter(10, 0.25 * SR, fs=SR, output="sos"), white, axis=-1)
    az, el = rng.uniform(-180, 180, k), rng.uniform(-20, 20, k)
    positions = direction_to_vector(az, el) * rng.uniform(1, 4, k)[:, None]
    mics = np.vstack([microphone_positions("5.1", 2.0), [[0.0, 0.0, 0.0]]])
    return white, band, positions, mics


def run_pra(signals, positions, mics):
    import pyroomacoustics as pra

    pra.constants.set("rir_hpf_enable", False)
    centre = np.array([10.0, 10.0, 5.0])
    room = pra.ShoeBox([20.0, 20.0, 10.0], fs=SR, max_order=0)
    for s, p in zip(signals, positions, strict=True):
        room.add_source(p + centre, signal=s)
    room.add_microphone_array((mics + centre).T)
    room.simulate()
    return room.mic_array.signals[:, PRA_BULK_DELAY : PRA_BULK_DELAY + signals.shape[1]]


def run_ours(signals, positions, mics):
    return render_paper(signals, list(positions), mics, SR)


def timed(fn, repeats):
    times, out = [], None
    for _ in range(repeats):
        t0 = time.perf_counter()
        out = fn()
        times.append(time.perf_counter() - t0)
    return float(np.median(times)), out


def peak_mib(fn) -> float:
    tracemalloc.start()
    fn()
    _, peak = tracemalloc.get_traced_memory()
    tracemalloc.stop()
    return peak / 2**20


def diff_db(a, ref) -> float:
    return float(20 * np.log10(np.abs(a - ref).max() / np.abs(ref).max()))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="5 s only, fewer repeats")
    args = parser.parse_args()
    import pyroomacoustics as pra

    print(f"# {platform.machine()}, {os.cpu_count()} CPUs, pyroomacoustics {pra.__version__}")
    print(
        "| K | length | pyroomacoustics [s] | see2sound [s] | speed-up | max diff white [dB] |"
        " max diff band-limited [dB] | peak mem pra [MiB] | peak mem ours [MiB] | inputs+output [MiB] |"
    )
    print("|---|---|---|---|---|---|---|---|---|---|")
    durations = (5.0,) if args.quick else (5.0, 30.0)
    for seconds in durations:
        for k in (1, 4, 16):
            white, band, positions, mics = scene(k, seconds)
            repeats = 3 if seconds <= 5 else 1
            run_ours(band[:, : SR // 10], positions, mics)  # warm up FFT plans
            t_pra, ref_white = timed(lambda: run_pra(white, positions, mics), repeats)  # noqa: B023
            t_ours, ours_white = timed(lambda: run_ours(white, positions, mics), max(repeats, 3))  # noqa: B023
            ref_band = run_pra(band, positions, mics)
            ours_band = run_ours(band, positions, mics)
            mem_pra = peak_mib(lambda: run_pra(white, positions, mics))  # noqa: B023
            mem_ours = peak_mib(lambda: run_ours(white, positions, mics))  # noqa: B023
            io_mib = (white.nbytes + ours_white.nbytes) / 2**20
            print(
                f"| {k} | {seconds:g} s | {t_pra:.3f} | {t_ours:.3f} | {t_pra / t_ours:.1f}× |"
                f" {diff_db(ours_white, ref_white):.1f} | {diff_db(ours_band, ref_band):.1f} |"
                f" {mem_pra:.0f} | {mem_ours:.0f} | {io_mib:.0f} |",
                flush=True,
            )


if __name__ == "__main__":
    main()
