"""People: crowd murmur, footsteps, applause, typing in an office.

The crowd is babble: a handful of near voices (glottal wave through vowel formant filters that change
every syllable, Klatt 1980 formants) over speech-shaped noise for the far crowd; no words, so it never
sounds like a message. Claps follow Peltola et al. (*Synthesis of hand clapping sounds*, IEEE TASLP 2007):
each clapper has a hand-cavity resonance and a tempo of its own.
"""

from __future__ import annotations

import numpy as np

from .dsp import (
    bandpass,
    bandpass_stages,
    click_bank,
    decay,
    envelope_from_curve,
    harmonic_amps,
    highpass_stages,
    jittered_times,
    lowpass,
    lowpass_stages,
    overlap_add,
    phase_from_freq,
    pink,
    resonator,
    resonator_bank,
    room,
    sine,
    smooth_curve,
    table_osc,
    wavetable,
    white,
)

# Vowel formants (Hz), Peterson & Barney 1952 averages: a, e, i, o, u
VOWELS = [(730, 1090, 2440), (530, 1840, 2480), (270, 2290, 3010), (570, 840, 2410), (300, 870, 2240)]


def _babble(rng: np.random.Generator, n: int, sr: int, voices: int, excitement: float) -> np.ndarray:
    table = wavetable(harmonic_amps(300, sr, -12.0)).astype(np.float32)
    excite = np.zeros((len(VOWELS), n), dtype=np.float32)  # each vowel's share of all voices
    for _ in range(voices):
        f_base = rng.uniform(95, 135) if rng.random() < 0.5 else rng.uniform(170, 240)
        f0 = f_base * (1 + (0.08 + 0.1 * excitement) * smooth_curve(rng, n, sr, 2.5))
        src = table_osc(table, phase_from_freq(f0, sr))
        syl_period = 1 / rng.uniform(3.5, 5.5)
        onsets = jittered_times(rng, n, sr, syl_period, 0.25, start_s=-rng.uniform(0, syl_period))
        onsets = np.concatenate([[-(1 << 40)], onsets, [n + (1 << 20)]])
        # phrases: talk for a few seconds, pause, answer
        talking = np.clip(1.5 * smooth_curve(rng, n, sr, 0.4) + 0.6, 0, 1)
        src *= talking * np.float32(rng.uniform(0.3, 1.0))
        vowel_of = rng.integers(0, len(VOWELS), onsets.size)
        # syllable by syllable (a few a second): a smooth rise and fall, sent to the syllable's vowel
        for k in np.flatnonzero(np.diff(np.clip(onsets, 0, n))).tolist():
            start, end = int(onsets[k]), int(onsets[k + 1])
            lo, hi = max(start, 0), min(end, n)
            frac = np.arange(lo - start, hi - start, dtype=np.float32) * np.float32(1 / max(end - start, 1))
            excite[vowel_of[k], lo:hi] += src[lo:hi] * np.sin(np.float32(np.pi) * frac)
    out = np.zeros(n, dtype=np.float32)
    for v, formants in enumerate(VOWELS):
        out += resonator_bank(excite[v], formants, (6, 8, 10), (1.0, 0.6, 0.3), sr)
    return out


def crowd(
    n: int, sr: int, rng: np.random.Generator, intensity: float = 0.5, size: float = 0.5, density: float = 0.5
) -> np.ndarray:
    """Crowd murmur: overlapping unintelligible voices near and far, in a room-like blur."""
    sr_in = min(sr, 16000)
    m = int(np.ceil(n * sr_in / sr)) + 1
    near = _babble(rng, m, sr_in, 3 + int(6 * density), intensity)
    near /= np.std(near) + 1e-12
    far_src = pink(rng, m, bandpass_stages(200, 3000, sr_in, 2))
    far = far_src * envelope_from_curve(smooth_curve(rng, m, sr_in, 4.0), 4.0 - 2 * size)
    y = near * (0.9 - 0.4 * size) + far * (0.15 + 0.5 * size) * (0.5 + density)
    y = lowpass(y, 0.45 * sr_in, sr_in, 4)
    if sr_in != sr:
        from math import gcd

        g = gcd(sr, sr_in)
        from scipy.signal import resample_poly

        y = resample_poly(y, sr // g, sr_in // g)
    y = y[:n] if y.size >= n else np.pad(y, (0, n - y.size))
    return y + 0.02 * pink(rng, n, highpass_stages(3000, sr, 1)) * intensity


def footsteps(
    n: int, sr: int, rng: np.random.Generator, intensity: float = 0.5, size: float = 0.5, density: float = 0.5
) -> np.ndarray:
    """People walking: heel and toe strikes about two a second per walker, heavier walkers thud lower."""
    length = int(0.25 * sr)
    bank = np.zeros((24, length))
    toe_at = int(0.07 * sr)
    for i in range(24):
        thump = resonator(white(rng, length), rng.uniform(70, 140) * (1.3 - 0.6 * size), 3, sr)
        thump *= decay(length, sr, 0.025, 0.002)
        heel = resonator(white(rng, length), rng.uniform(900, 2500), 2.5, sr) * decay(
            length, sr, 0.008, 0.0005
        )
        scuff = bandpass(white(rng, length), 2000, 7000, sr, 2) * decay(length, sr, 0.03, 0.01)
        y = thump / (np.abs(thump).max() + 1e-12) + 0.6 * heel / (np.abs(heel).max() + 1e-12)
        y[toe_at:] += 0.35 * heel[: length - toe_at] / (np.abs(heel).max() + 1e-12)
        y += 0.08 * scuff / (np.abs(scuff).max() + 1e-12)
        bank[i] = y
    # the room is linear: each step gets its tail here, and placing the steps sums the tails
    tail = int((0.2 + 0.4 * size) * sr)
    bank = room(np.pad(bank, ((0, 0), (0, tail))), sr, rng, 0.2 + 0.4 * size, 0.2)
    out = np.zeros(n, dtype=np.float32)
    for w in range(1 + int(3 * density)):
        period = rng.uniform(0.48, 0.6) / (0.8 + 0.4 * intensity)
        starts = jittered_times(rng, n, sr, period, 0.04)
        walking = np.clip(smooth_curve(rng, n, sr, 0.15) * 2 + (1.0 if w == 0 else 0.0), 0, 1)
        gains = rng.uniform(0.7, 1.0, starts.size) * (walking[starts] if starts.size else 1.0)
        out += overlap_add(n, starts, bank, rng.integers(0, 24, starts.size), gains * (1 if w == 0 else 0.5))
    return out + pink(rng, n, lowpass_stages(1000, sr, 1)) * 0.004


def applause(
    n: int, sr: int, rng: np.random.Generator, intensity: float = 0.5, size: float = 0.5, density: float = 0.5
) -> np.ndarray:
    """Applause: many clappers, each a resonant 'clap' at its own rate (2–5 Hz) and hand shape."""
    clappers = 8 + int(80 * density * (0.5 + size))
    bank = click_bank(rng, sr, 32, 0.03, 700, 2600, 0.006, q=3.0)
    swell = np.clip(0.8 + 0.3 * smooth_curve(rng, n, sr, 0.2), 0.2, 1.2)
    starts_all, which_all, gains_all = [], [], []
    for _ in range(clappers):
        starts = jittered_times(rng, n, sr, 1 / rng.uniform(2.5, 5.0) / (0.8 + 0.4 * intensity), 0.06)
        starts_all.append(starts)
        which_all.append(np.full(starts.size, rng.integers(0, 32)))
        gains_all.append(rng.uniform(0.2, 1.0) * rng.uniform(0.7, 1.0, starts.size))
    starts = np.concatenate(starts_all)
    gains = np.concatenate(gains_all) * swell[np.clip(starts, 0, n - 1)]
    claps = overlap_add(n, starts, bank, np.concatenate(which_all), gains)
    return room(claps, sr, rng, 0.6 + 0.8 * size, 0.6)


def keyboard(
    n: int, sr: int, rng: np.random.Generator, intensity: float = 0.5, size: float = 0.5, density: float = 0.5
) -> np.ndarray:
    """An office: bursts of typing (6–9 keys a second, words and pauses), the odd space bar, a quiet hum."""
    keys = np.zeros((33, int(0.05 * sr)))
    length = keys.shape[1]
    for i in range(33):
        click = resonator(white(rng, length), rng.uniform(2000, 4500), 5, sr) * decay(
            length, sr, 0.004, 0.0003
        )
        body = resonator(white(rng, length), rng.uniform(250, 500), 4, sr) * decay(length, sr, 0.01, 0.0005)
        y = click / (np.abs(click).max() + 1e-12) + 0.5 * body / (np.abs(body).max() + 1e-12)
        keys[i] = y * (1.6 if i == 32 else 1.0)  # the last one is the space bar: louder, lower
        if i == 32:
            keys[i] = lowpass(keys[i], 1500, sr, 2) * 3
    out = np.zeros(n)
    for typist in range(1 + int(2 * density)):
        rate = rng.uniform(6, 9) * (0.7 + 0.6 * intensity)
        starts = jittered_times(rng, n, sr, 1 / rate, 0.35)
        active = smooth_curve(rng, n, sr, 0.3) + (0.6 if typist == 0 else 0.0) > 0
        starts = starts[active[np.clip(starts, 0, n - 1)]]
        which = rng.integers(0, 32, starts.size)
        which[rng.random(starts.size) < 0.17] = 32
        out += overlap_add(
            n, starts, keys, which, rng.uniform(0.5, 1.0, starts.size) * (1 if typist == 0 else 0.4)
        )
    hvac = pink(rng, n, lowpass_stages(400, sr, 2)) * 0.02
    hum = 0.004 * sine(120 * np.arange(n) / sr)
    return out + hvac + hum
