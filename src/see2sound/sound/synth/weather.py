"""Weather: wind, rain, thunder.

Wind follows Farnell's *Designing Sound* (2010, ch. 40): noise through low and band-pass filters whose
gain and centre follow a slow gust curve, plus whistling narrow bands that rise with gust speed.
Rain is Poisson droplets (Marshall–Palmer-like heavy-tailed sizes) ringing at small resonances over a
soft hiss; thunder is a crack followed by a long rumble of re-strikes over a distant low bed.
"""

from __future__ import annotations

import numpy as np

from .dsp import (
    bandpass,
    brown,
    decay,
    envelope_from_curve,
    lowpass,
    lowpass_stages,
    pink,
    poisson_times,
    resonant_impulses,
    resonator,
    smooth_curve,
    white,
)


def wind(
    n: int, sr: int, rng: np.random.Generator, intensity: float = 0.5, size: float = 0.5, density: float = 0.5
) -> np.ndarray:
    """Gusting wind: low roar plus whistles whose pitch follows the gust speed."""
    gust = 0.65 * smooth_curve(rng, n, sr, 0.12) + 0.35 * smooth_curve(rng, n, sr, 0.5)
    speed = np.clip(0.45 + (0.9 + 0.6 * intensity) * gust, 0.04, 1.3)  # 0..1, changes over seconds
    base = pink(rng, n)
    dark = bandpass(base, 60, 300 + 300 * (1 - size), sr, 1)
    bright = bandpass(base, 250, 900 + 900 * intensity, sr, 1)
    speed_15 = speed * np.sqrt(speed)  # speed**1.5
    roar = dark * (0.1 + speed_15) + bright * (0.8 * speed_15 * speed)  # stronger gusts: louder, brighter
    # whistle: fixed narrow bands cross-faded by speed make one resonance that rises with the gust
    centres = (350 + 250 * (1 - size)) * 2.0 ** np.linspace(0, 1.6, 5)
    src = white(rng, n)
    whistle = np.zeros(n, dtype=np.float32)
    pos = np.clip(speed, 0, 1) * np.float32(len(centres) - 1)
    for i, fc in enumerate(centres):
        w = np.abs(pos - np.float32(i))
        np.subtract(1, w, out=w)
        np.maximum(w, 0, out=w)  # a triangle: 1 at its own band, 0 from the next one on
        w *= resonator(src, fc, 10 + 10 * density, sr)
        whistle += w
    whistle *= np.float32(0.6 * (0.3 + density)) * (speed * speed * speed)
    roar += whistle
    return roar


def rain(
    n: int, sr: int, rng: np.random.Generator, intensity: float = 0.5, size: float = 0.5, density: float = 0.5
) -> np.ndarray:
    """Rain: thousands of droplet impacts (short resonant pings and ticks) over a broadband hiss."""
    rate = (300 + 3000 * intensity) * (0.5 + density)
    rate_curve = rate * envelope_from_curve(smooth_curve(rng, n, sr, 0.1), 4.0)
    starts = poisson_times(rng, n, sr, rate_curve)
    gains = np.minimum(rng.pareto(1.6, starts.size) + 0.02, 30.0)  # a few big drops among many small ones
    # many broad resonances (Q 2–5): droplets ping without piling up into audible tones
    ping_freqs = np.geomspace(1200 + 1500 * (1 - size), 10000, 7) * rng.uniform(0.95, 1.05, 7)
    pings = resonant_impulses(n, starts, gains, ping_freqs, 2.5 / (np.pi * ping_freqs), sr, rng)
    tick_starts = poisson_times(rng, n, sr, rate_curve * 0.7)
    tick_freqs = np.geomspace(3000, 12000, 2)
    ticks = resonant_impulses(
        n,
        tick_starts,
        rng.uniform(0, 1, tick_starts.size) ** 2,
        tick_freqs,
        1.2 / (np.pi * tick_freqs),
        sr,
        rng,
    )
    drops = pings + 0.5 * ticks
    hiss = bandpass(white(rng, n), 800, 12000, sr, 2) * envelope_from_curve(
        smooth_curve(rng, n, sr, 0.2), 3.0
    )
    hiss *= 0.15 + 0.35 * intensity
    splash = pink(rng, n, lowpass_stages(600, sr, 2)) * 0.1 * size
    return drops * 0.25 + hiss + splash


def thunder(
    n: int, sr: int, rng: np.random.Generator, intensity: float = 0.5, size: float = 0.5, density: float = 0.5
) -> np.ndarray:
    """Thunder: strikes (a crack, then seconds of rolling rumble) every 6–25 s over a distant bed."""
    bed = brown(rng, n, sr, 20.0, lowpass_stages(150, sr, 2)) * envelope_from_curve(
        smooth_curve(rng, n, sr, 0.3), 6.0
    )
    out = 0.08 * bed
    mean_gap = 20 - 14 * density
    t = rng.uniform(0.6, 2.5)  # the first strike comes early so short clips have one
    strikes = []
    while t * sr < n:
        strikes.append(t)
        t += mean_gap * rng.uniform(0.5, 1.5)
    for t0 in strikes:
        length = int(rng.uniform(4, 9) * sr)
        start = int(t0 * sr)
        seg = np.zeros(length)
        rumble_src = brown(rng, length, sr, 25.0)
        # rolling: several re-strikes with their own decays
        env = np.zeros(length)
        for _ in range(rng.integers(3, 8)):
            at = int(rng.uniform(0, 0.5) * length)
            env[at:] += rng.uniform(0.3, 1.0) * decay(length - at, sr, rng.uniform(0.4, 1.6), attack_s=0.08)
        seg += lowpass(rumble_src, 120 + 200 * (1 - size), sr, 2) * env
        crack_len = int(0.25 * sr)
        crack = bandpass(white(rng, crack_len), 300, 5000, sr, 1) * decay(crack_len, sr, 0.05, attack_s=0.002)
        near = 0.2 + 0.8 * intensity  # near strikes have a sharp crack
        seg[:crack_len] += near * 0.25 * crack
        seg *= rng.uniform(0.5, 1.0)
        end = min(start + length, n)
        if end > start:
            out[start:end] += seg[: end - start]
    return out
