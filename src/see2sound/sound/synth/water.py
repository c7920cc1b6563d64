"""Water: stream, waterfall, ocean waves, water lapping on a shore, dripping water.

Moving water is mostly bubbles: each one rings at its Minnaert frequency with a slight upward chirp
as it nears the surface (van den Doel, *Physically based models for liquid sounds*, ACM TAP 2005).
Streams are a few hundred bubbles a second over a soft bed; a waterfall is a dense bed with many
bubbles; waves are swells of surf noise whose brightness follows the breaking crest. Lapping is the
small, quick waves of a lake or a sheltered shore: a dull slap, a short wash and a burst of gurgling
bubbles every 1–4 s.
"""

from __future__ import annotations

import numpy as np

from .dsp import (
    bandpass,
    bandpass_stages,
    brown,
    decay,
    envelope_from_curve,
    hann_env,
    highpass,
    lowpass,
    lowpass_stages,
    overlap_add,
    pink,
    place,
    poisson_times,
    resonant_impulses,
    smooth_curve,
    upsample_linear,
    white,
)


def bubble_bank(
    rng: np.random.Generator, sr: int, count: int, f_lo: float, f_hi: float, rise: float = 0.1
) -> np.ndarray:
    """``count`` bubble sounds: decaying sines with van den Doel's damping and upward chirp."""
    length = int(0.04 * sr)
    t = np.arange(length) / sr
    bank = np.zeros((count, length))
    for i in range(count):
        f0 = np.exp(rng.uniform(np.log(f_lo), np.log(min(f_hi, 0.4 * sr))))
        d = 0.043 * f0 + 0.0014 * f0**1.5  # damping (1/s), van den Doel eq. 3
        f = f0 * (1 + rise * d * t)
        phase = 2 * np.pi * np.cumsum(f) / sr
        bank[i] = np.sin(phase) * np.exp(-d * t)
    return bank


def _bubbles(rng, n, sr, rate, f_lo, f_hi, rise=0.1, count=48, chirped=0.25):
    """Bubbles at ``rate`` per second: a share ``chirped`` as full chirping templates, the rest (small,
    quick ones whose chirp nobody hears) as resonator pings, which cost nothing per bubble."""
    starts = poisson_times(rng, n, sr, rate)
    gains = rng.uniform(0.2, 1.0, starts.size) ** 2
    big = rng.random(starts.size) < chirped
    bank = bubble_bank(rng, sr, count, f_lo, f_hi, rise)
    out = overlap_add(n, starts[big], bank, rng.integers(0, count, int(big.sum())), gains[big])
    freqs = np.geomspace(f_lo, min(f_hi, 0.4 * sr), 8)
    damping = 0.043 * freqs + 0.0014 * freqs**1.5  # van den Doel eq. 3, 1/s
    return out + resonant_impulses(n, starts[~big], gains[~big], freqs, 1.0 / damping, sr, rng)


def stream(
    n: int, sr: int, rng: np.random.Generator, intensity: float = 0.5, size: float = 0.5, density: float = 0.5
) -> np.ndarray:
    """A babbling brook: bursts of bubbles (rate swells every few seconds) over a gurgling bed."""
    rate = (80 + 400 * density) * envelope_from_curve(smooth_curve(rng, n, sr, 0.8), 6.0)
    f_lo, f_hi = 400 + 500 * (1 - size), 2000 + 2000 * (1 - size)
    bubbles = _bubbles(rng, n, sr, rate, f_lo, f_hi, rise=0.15)
    bed = pink(rng, n, bandpass_stages(250, 2500, sr, 2)) * envelope_from_curve(
        smooth_curve(rng, n, sr, 1.5), 4.0
    )
    return bubbles + (0.05 + 0.1 * intensity) * bed


def waterfall(
    n: int, sr: int, rng: np.random.Generator, intensity: float = 0.5, size: float = 0.5, density: float = 0.5
) -> np.ndarray:
    """A waterfall: dense broadband roar (bigger falls are lower) with many bubbles in it."""
    roar = pink(rng, n, bandpass_stages(60 + 100 * (1 - size), 6000 + 4000 * intensity, sr, 2))
    roar *= envelope_from_curve(smooth_curve(rng, n, sr, 0.5), 1.5)
    low = brown(rng, n, sr, 20.0, lowpass_stages(120, sr, 2)) * (0.3 + 0.6 * size)
    starts = poisson_times(rng, n, sr, 1500 + 3000 * density)
    freqs = np.geomspace(300, 3000, 12)
    bubbles = resonant_impulses(
        n, starts, rng.uniform(0.2, 1.0, starts.size) ** 2, freqs, 6.0 / freqs, sr, rng
    )
    return roar + low + 0.1 * bubbles


def ocean_waves(
    n: int, sr: int, rng: np.random.Generator, intensity: float = 0.5, size: float = 0.5, density: float = 0.5
) -> np.ndarray:
    """Waves on a shore: every 5–12 s a swell rises, breaks (bright crash) and washes back (darker hiss)."""
    period = 9 - 4 * density
    crest = np.zeros(n)
    t = -rng.uniform(0, period)
    while t * sr < n:
        length = int(period * rng.uniform(0.8, 1.3) * sr)
        amp = rng.uniform(0.5, 1.0) * (0.6 + 0.6 * intensity)
        place(crest, int(t * sr), hann_env(length, rng.uniform(0.2, 0.35)) ** 2, amp)
        t += period * rng.uniform(0.7, 1.3)
    crest += 0.08
    src = pink(rng, n)
    dark = lowpass(src, 500 + 300 * (1 - size), sr, 2)
    bright = bandpass(src, 800, 9000, sr, 2)
    fizz = highpass(white(rng, n), 3000, sr, 2) * envelope_from_curve(smooth_curve(rng, n, sr, 6.0), 6.0)
    out = dark * crest + bright * crest**2 * 0.8 + 0.15 * fizz * crest**3
    return out + 0.15 * brown(rng, n, sr, 15.0, lowpass_stages(100, sr, 2)) * size


def water_drip(
    n: int, sr: int, rng: np.random.Generator, intensity: float = 0.5, size: float = 0.5, density: float = 0.5
) -> np.ndarray:
    """Drops falling into a pool: sparse 'plinks' (chirping bubbles) with a short cave-like echo."""
    starts = poisson_times(rng, n, sr, 0.7 + 3.0 * density)
    bank = bubble_bank(rng, sr, 16, 700 + 600 * (1 - size), 2500, rise=0.6)
    gains = rng.uniform(0.4, 1.0, starts.size)
    dry = overlap_add(n, starts, bank, rng.integers(0, 16, starts.size), gains)
    # a sparse decaying echo pattern (a small cave or basin)
    ir_len = int((0.2 + 0.4 * size) * sr)
    taps = rng.integers(int(0.01 * sr), ir_len, 24)
    ir = np.zeros(ir_len)
    np.add.at(ir, taps, rng.uniform(-0.3, 0.3, taps.size) * np.exp(-taps / (0.15 * sr)))
    ir[0] = 1.0
    from scipy.signal import oaconvolve

    wet = oaconvolve(dry, ir)[:n]
    room = pink(rng, n, lowpass_stages(800, sr, 2)) * 0.01 * (1 + intensity)
    return wet + room


def lapping(
    n: int, sr: int, rng: np.random.Generator, intensity: float = 0.5, size: float = 0.5, density: float = 0.5
) -> np.ndarray:
    """Water lapping on a shore: small waves every 1–4 s, each a slap, a short wash and gurgling bubbles."""
    total_s = n / sr
    mean_gap = (2.6 - 1.2 * density) * (0.8 + 0.4 * size)
    times = np.cumsum(rng.gamma(4.0, mean_gap / 4.0, int(total_s / mean_gap * 2) + 8)) - rng.uniform(
        0, mean_gap
    )
    times = times[times < total_s]
    heights = rng.uniform(0.3, 1.0, times.size) * (0.6 + 0.6 * intensity)
    starts = (times * sr).astype(np.int64)
    # the slap: a short, dull splash where the wavelet meets the shore or a stone
    slap_len = int(0.35 * sr)
    bank = np.zeros((6, slap_len), dtype=np.float32)
    for i in range(6):
        burst = white(rng, slap_len) * decay(slap_len, sr, rng.uniform(0.03, 0.08), rng.uniform(0.004, 0.015))
        bank[i] = bandpass(burst, 250 + 250 * (1 - size), 2500 + 1500 * (1 - size), sr, 1)
        bank[i] /= np.abs(bank[i]).max() + 1e-12
    slaps = overlap_add(n, starts, bank, rng.integers(0, 6, starts.size), heights)
    # after each slap the water runs up and back (a soft wash) and air pockets gurgle
    hop = 64
    wash = np.zeros(n // hop + 2)
    wave_env = hann_env(int(rng.uniform(0.8, 1.4) * sr / hop), 0.3)
    gurgle = np.zeros(n // hop + 2)
    tail = np.exp(-np.arange(int(1.2 * sr / hop)) * hop / (sr * 0.35))
    for at, h in zip((starts // hop).tolist(), heights.tolist(), strict=True):
        place(wash, at, wave_env, h)
        place(gurgle, at + int(0.05 * sr / hop), tail, h)
    wash = upsample_linear(wash.astype(np.float32), hop, n)
    gurgle = upsample_linear(gurgle.astype(np.float32), hop, n)
    bed = pink(rng, n, bandpass_stages(300, 3500, sr, 1))
    # gurgles: big, slow bubbles (every one a chirping template: a few hundred, and their sines start
    # softly, so the sum needs no low-pass as resonator pings would)
    rate = (40 + 250 * density) * gurgle + 2.0
    bubble_starts = poisson_times(rng, n, sr, rate)
    bank = bubble_bank(rng, sr, 16, 250 + 300 * (1 - size), 1500 + 1000 * (1 - size), rise=0.12)
    bank *= hann_env(bank.shape[1], 0.02) ** 0.5  # big bubbles still ring at 40 ms: fade, do not cut
    bubble_gains = rng.uniform(0.2, 1.0, bubble_starts.size) ** 2
    bubbles = overlap_add(n, bubble_starts, bank, rng.integers(0, 16, bubble_starts.size), bubble_gains)
    bed *= np.float32(0.05) + np.float32(0.25) * wash
    bed += np.float32(0.6) * slaps
    bed += np.float32(0.5) * bubbles
    return bed
