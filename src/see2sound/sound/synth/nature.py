"""Fire, rustling leaves and wind in grass: granular crackle over modulated noise (Farnell 2010, chs. 34–35).

Leaves are dry: thousands of micro-clicks a second that swell with each gust. Grass is soft: a dense,
even hiss of countless thin blades, higher and steadier than leaves, brightening as a gust bends it.
"""

from __future__ import annotations

import numpy as np

from .dsp import (
    bandpass,
    bandpass_stages,
    click_bank,
    envelope_from_curve,
    filter_chain,
    highpass,
    lowpass_stages,
    overlap_add,
    pink,
    poisson_times,
    resonant_impulses,
    smooth_curve,
    white,
)

FIZZ_HZ = np.geomspace(1500, 8000, 10)


def fire(
    n: int, sr: int, rng: np.random.Generator, intensity: float = 0.5, size: float = 0.5, density: float = 0.5
) -> np.ndarray:
    """A wood fire: low flickering roar, a hiss, and crackles that come in clusters."""
    flicker = envelope_from_curve(
        0.6 * smooth_curve(rng, n, sr, 3.0) + 0.4 * smooth_curve(rng, n, sr, 0.3), 8.0
    )
    roar = pink(rng, n, lowpass_stages(180 + 200 * (1 - size), sr, 2)) * flicker * (0.4 + 0.8 * size)
    hiss = bandpass(white(rng, n), 2000, 9000, sr, 2) * envelope_from_curve(
        smooth_curve(rng, n, sr, 1.0), 8.0
    )
    cluster = envelope_from_curve(smooth_curve(rng, n, sr, 0.7), 14.0)
    starts = poisson_times(rng, n, sr, (8 + 40 * density) * cluster)
    bank = click_bank(rng, sr, 40, 0.015, 800, 7000, 0.002, q=2.0)
    gains = np.minimum(rng.pareto(1.8, starts.size) + 0.1, 10.0)
    crackle = overlap_add(n, starts, bank, rng.integers(0, 40, starts.size), gains)
    # tiny sizzles: a dense rain of very soft clicks
    fizz_starts = poisson_times(rng, n, sr, 200 + 400 * intensity)
    fizz = resonant_impulses(
        n, fizz_starts, rng.uniform(0, 0.08, fizz_starts.size), FIZZ_HZ, 2.0 / (np.pi * FIZZ_HZ), sr, rng
    )
    return roar + 0.04 * hiss + 0.35 * crackle + 0.5 * fizz


def leaves(
    n: int, sr: int, rng: np.random.Generator, intensity: float = 0.5, size: float = 0.5, density: float = 0.5
) -> np.ndarray:
    """Leaves rustling in a breeze: dense dry micro-clicks and bright noise that swell with each gust."""
    gust = np.clip(
        0.45 + 0.5 * (0.7 * smooth_curve(rng, n, sr, 0.25) + 0.3 * smooth_curve(rng, n, sr, 1.2)), 0.03, 1.2
    )
    gust = gust ** (1.5 - intensity)
    starts = poisson_times(rng, n, sr, (1500 + 4000 * density) * gust)
    grain_freqs = np.geomspace(1500, 10000, 10) * rng.uniform(0.93, 1.07, 10)
    grains = resonant_impulses(
        n, starts, rng.uniform(0.1, 1.0, starts.size) ** 2, grain_freqs, 1.5 / (np.pi * grain_freqs), sr, rng
    )
    swish = bandpass(white(rng, n), 1200 + 800 * (1 - size), 8000, sr, 2) * gust**2
    air = pink(rng, n, lowpass_stages(300, sr, 1)) * gust * 0.1
    return highpass(0.3 * grains, 500, sr, 1) + 0.25 * swish + air


def grass_wind(
    n: int, sr: int, rng: np.random.Generator, intensity: float = 0.5, size: float = 0.5, density: float = 0.5
) -> np.ndarray:
    """Wind through grass: a soft, even, high hiss of countless blades (2–9 kHz) with slow gusts sweeping
    across the field; brighter and steadier than leaves, without their dry clicks."""
    curve = 0.7 * smooth_curve(rng, n, sr, 0.12) + 0.3 * smooth_curve(rng, n, sr, 0.5)
    gust = envelope_from_curve(curve, 8.0 + 6.0 * intensity)  # swells of ±8–14 dB over seconds
    bright = np.clip(curve + np.float32(0.5), 0.0, 1.0)
    src = white(rng, n)
    # two bands crossfaded by the gust: a stronger gust bends more blades and the hiss brightens
    low = filter_chain(src, bandpass_stages(1200 + 800 * (1 - size), 4500, sr, 1))
    high = filter_chain(src, bandpass_stages(3500, 9500, sr, 1))
    out = low * gust
    out += high * (gust * bright)
    air = filter_chain(src, lowpass_stages(250, sr, 1))  # the wind itself, felt more than heard
    out += air * (np.float32(0.3) * gust)
    return out
