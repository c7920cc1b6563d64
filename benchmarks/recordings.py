"""Extending starter recordings: speed against real time, and seams against a plain loop.

Reference in the same run: the naive way, ``np.tile`` (a plain loop with hard joins; for textures of
the same steady part that ours loops). For each recording it prints the median time to make 30 s at
48 kHz, the real-time factor, and a click measure for ours and the loop: the largest sample step
relative to the recording's own largest step (a click shows as > 1; one-shot events may legitimately
reach ~1.4, being up to 3 dB louder and 0.7 semitone higher). On broadband recordings (wind, jets) a
hard join hides among the noise's own steps, so a synthetic engine hum (harmonics of 97 Hz, not a
whole number of periods long) is added, where a plain loop clicks audibly.

Uses the cached starter library (`see2sound models fetch sounds`); falls back to synthetic signals.
Usage: python benchmarks/recordings.py [--runs 5]
"""

from __future__ import annotations

import argparse
import statistics
import time

import numpy as np

from see2sound.media.audio import read_audio
from see2sound.sound.oneshot import extend_one_shot, extend_texture, steady_span
from see2sound.sound.starter import load_manifest

SR = 48000
DURATION = 30.0
PICKS = (
    "ovos/dog.flac",
    "opensfx/37-cow.flac",
    "opensfx/52-wind.flac",
    "opensfx/33-jackhammer.flac",
    "opensfx/61-jet.flac",
)


def recordings() -> list[tuple[str, np.ndarray, str]]:
    entries = {e["file"]: e for e in load_manifest()}
    out = []
    for name in PICKS:
        if name in entries:
            y, _ = read_audio(entries[name]["path"], sample_rate=SR, mono=True)
            out.append((name, y[0].astype(np.float64), entries[name]["kind"]))
    t = np.arange(int(1.51 * SR)) / SR
    hum = sum(np.sin(2 * np.pi * 97 * k * t + k) / k for k in range(1, 6)) * 0.2
    out.append(("synthetic engine hum", hum, "texture"))
    if len(out) == 1:
        rng = np.random.default_rng(0)
        t = np.arange(int(0.4 * SR)) / SR
        out.append(("synthetic bark", np.sin(2 * np.pi * 500 * t) * np.exp(-t / 0.1), "one_shot"))
        noise = np.convolve(rng.standard_normal(2 * SR), np.ones(32) / 32, "same")
        out.append(("synthetic wind", noise, "texture"))
    return out


def tile(y: np.ndarray, n: int) -> np.ndarray:
    return np.tile(y, n // y.size + 1)[:n]


def median_time(fn, runs: int) -> float:
    times = []
    for _ in range(runs):
        t0 = time.perf_counter()
        fn()
        times.append(time.perf_counter() - t0)
    return statistics.median(times)


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--runs", type=int, default=5)
    args = parser.parse_args()
    n = int(DURATION * SR)
    print(
        f"{'recording':28} {'kind':9} {'ours ms':>8} {'x realtime':>10} {'tile ms':>8} "
        f"{'step ours':>9} {'step tile':>9}"
    )
    for name, y, kind in recordings():
        extend = extend_one_shot if kind == "one_shot" else extend_texture
        ours = median_time(lambda y=y, extend=extend: extend(y, SR, DURATION, seed=0), args.runs)
        ref = median_time(lambda y=y: tile(y, n), args.runs)
        base = y if kind == "one_shot" else y[slice(*steady_span(y, SR))]
        own_step = np.max(np.abs(np.diff(base)))
        step_ours = np.max(np.abs(np.diff(extend(y, SR, DURATION, seed=0)))) / own_step
        looped = tile(base, n)
        step_tile = np.max(np.abs(np.diff(looped))) / own_step
        print(
            f"{name:28} {kind:9} {1e3 * ours:8.1f} {DURATION / ours:10.0f} {1e3 * ref:8.2f} "
            f"{step_ours:9.2f} {step_tile:9.2f}"
        )


if __name__ == "__main__":
    main()
