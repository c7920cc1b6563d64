"""Generate the three short mono stems of the bundled example scene (run once; deterministic).

    python examples/scene/make_stems.py

Writes ``stems/{birds,waves,car}.wav`` (6 s, 24 kHz, 16-bit) beside this file. Pure NumPy/SciPy
synthesis with a fixed seed, so the files are the same on every machine.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import soundfile as sf
from scipy.signal import butter, sosfilt

SR = 24000
DURATION_S = 6.0
SEED = 0


def birds(rng: np.random.Generator, n: int) -> np.ndarray:
    """Chirps: short rising/falling sweeps at random times."""
    y = np.zeros(n)
    t0 = 0.0
    while t0 < DURATION_S - 0.3:
        t0 += rng.uniform(0.15, 0.6)
        length = rng.uniform(0.05, 0.15)
        t = np.arange(int(length * SR)) / SR
        f0, f1 = rng.uniform(2500, 4500), rng.uniform(2500, 6000)
        phase = 2 * np.pi * (f0 * t + (f1 - f0) * t**2 / (2 * length))
        chirp = np.sin(phase) * np.sin(np.pi * t / length) ** 2
        start = int(t0 * SR)
        stop = min(n, start + len(chirp))
        y[start:stop] += chirp[: stop - start]
    return y


def waves(rng: np.random.Generator, n: int) -> np.ndarray:
    """Low-passed noise with a slow swell."""
    noise = sosfilt(butter(2, [80, 1500], btype="band", fs=SR, output="sos"), rng.standard_normal(n))
    t = np.arange(n) / SR
    swell = 0.55 + 0.45 * np.sin(2 * np.pi * t / 3.0 - np.pi / 2)
    return noise * swell


def car(rng: np.random.Generator, n: int) -> np.ndarray:
    """An engine: harmonics of a slowly varying firing frequency plus some road noise."""
    t = np.arange(n) / SR
    f = 55 + 8 * np.sin(2 * np.pi * t / 6.0)
    phase = 2 * np.pi * np.cumsum(f) / SR
    y = sum(np.sin(k * phase) / k for k in range(1, 9))
    road = sosfilt(butter(2, [300, 3000], btype="band", fs=SR, output="sos"), rng.standard_normal(n))
    return y + 0.3 * road


def main() -> None:
    rng = np.random.default_rng(SEED)
    n = int(SR * DURATION_S)
    folder = Path(__file__).resolve().parent / "stems"
    folder.mkdir(exist_ok=True)
    fade = np.minimum(1.0, np.minimum(np.arange(n), np.arange(n)[::-1]) / (0.02 * SR))
    for name, make in (("birds", birds), ("waves", waves), ("car", car)):
        y = make(rng, n) * fade
        y = 0.5 * y / np.abs(y).max()
        sf.write(folder / f"{name}.wav", y.astype(np.float32), SR, subtype="PCM_16")
        print(folder / f"{name}.wav")


if __name__ == "__main__":
    main()
