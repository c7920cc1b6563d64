"""Places and machines: room tone, neutral ambience, city, machinery hum, bells, a ticking clock.

Bells use the partials of a tuned church bell relative to the nominal (hum 0.5, prime 1, tierce 1.2,
quint 1.5, nominal 2, …; Rossing, *Science of Percussion Instruments*, 2000), each with its own decay.
"""

from __future__ import annotations

import numpy as np

from .dsp import (
    bandpass,
    bandpass_stages,
    brown,
    click_bank,
    decay,
    envelope_from_curve,
    highpass,
    jittered_times,
    lowpass,
    lowpass_stages,
    overlap_add,
    phase_from_freq,
    pink,
    place,
    resonator,
    sine,
    smooth_curve,
    table_osc,
    wavetable,
    white,
)
from .vehicles import siren, traffic

BELL_PARTIALS = [
    (0.5, 0.6, 1.0),
    (1.0, 0.8, 0.7),
    (1.2, 0.6, 0.5),
    (1.5, 0.3, 0.4),
    (2.0, 1.0, 0.35),
    (2.5, 0.3, 0.25),
    (2.67, 0.25, 0.2),
    (3.0, 0.2, 0.15),
    (4.0, 0.15, 0.1),
]  # ratio, amp, decay scale


def room_tone(
    n: int, sr: int, rng: np.random.Generator, intensity: float = 0.5, size: float = 0.5, density: float = 0.5
) -> np.ndarray:
    """An empty room: soft low air noise, a faint ventilation rush and a whisper of mains hum."""
    air = pink(rng, n, lowpass_stages(1200 + 1500 * (1 - size), sr, 2))
    vent = bandpass(white(rng, n), 150, 800, sr, 1) * 0.3 * intensity
    t = np.arange(n) / sr
    hum = 0.02 * density * (sine(50 * t) + 0.5 * sine(100 * t))
    return (air + vent) * envelope_from_curve(smooth_curve(rng, n, sr, 0.05), 1.0) + hum


def ambience(
    n: int, sr: int, rng: np.random.Generator, intensity: float = 0.5, size: float = 0.5, density: float = 0.5
) -> np.ndarray:
    """A neutral outdoor air bed: gentle pink noise with slow breathing, far-off low rumble. The fallback."""
    bed = pink(rng, n, lowpass_stages(2500 + 2000 * intensity, sr, 2))
    bed *= envelope_from_curve(smooth_curve(rng, n, sr, 0.1), 3.0)
    far = brown(rng, n, sr, 20.0, lowpass_stages(200, sr, 2)) * 0.3 * size
    return bed + far


def city(
    n: int, sr: int, rng: np.random.Generator, intensity: float = 0.5, size: float = 0.5, density: float = 0.5
) -> np.ndarray:
    """A city street from a little way off: traffic wash, murmur of passers-by, the odd distant siren."""
    road = lowpass(traffic(n, sr, rng, intensity, 0.8, density, engines=0), 2500, sr, 2)
    # passers-by from a little way off: speech-band noise with a syllable-rate flutter, not words
    talk = pink(rng, n, bandpass_stages(250, 2500, sr, 2))
    talk *= envelope_from_curve(
        0.6 * smooth_curve(rng, n, sr, 4.0) + 0.4 * smooth_curve(rng, n, sr, 0.3), 10.0
    )
    out = road / (np.std(road) + 1e-12) + 0.3 * talk / (np.std(talk) + 1e-12)
    if rng.random() < 0.3 + 0.5 * intensity:
        length = int(min(n, rng.uniform(6, 12) * sr))
        wail = lowpass(siren(length, sr, rng, 0.2, 0.5, 0.5), 1500, sr, 2)
        env = np.sin(np.arange(length, dtype=np.float32) * np.float32(np.pi / length)) ** 2
        place(out, int(rng.uniform(0, max(n - length, 1))), wail * env, 0.15)
    return out


def machinery(
    n: int, sr: int, rng: np.random.Generator, intensity: float = 0.5, size: float = 0.5, density: float = 0.5
) -> np.ndarray:
    """Machinery hum: mains hum and its harmonics, a motor whine with sidebands, a fan, a light rattle."""
    t = np.arange(n) / sr
    mains = 50.0 if rng.random() < 0.5 else 60.0
    hum_table = wavetable(np.array([1.0, 0.8, 0.3, 0.25, 0.1, 0.08, 0.05, 0.04])).astype(np.float32)
    hum = table_osc(hum_table, phase_from_freq(mains * (1 + 0.0005 * smooth_curve(rng, n, sr, 0.2)), sr))
    rotor = rng.uniform(800, 2200) * (1.3 - 0.6 * size)
    whine = sine(phase_from_freq(rotor * (1 + 0.002 * smooth_curve(rng, n, sr, 0.5)), sr))
    whine *= 1 + 0.3 * sine(mains * t)
    blade_rate = rng.uniform(60, 180)
    fan = pink(rng, n, lowpass_stages(700, sr, 2)) * (1 + 0.25 * sine(blade_rate * t))
    rattle_starts = jittered_times(rng, n, sr, 1 / rng.uniform(8, 25), 0.15)
    rattle = overlap_add(
        n,
        rattle_starts,
        click_bank(rng, sr, 8, 0.02, 500, 3000, 0.004),
        rng.integers(0, 8, rattle_starts.size),
        rng.uniform(0.2, 1.0, rattle_starts.size),
    )
    return 0.5 * hum + 0.08 * intensity * whine + 0.8 * fan + 0.15 * density * rattle


def bells(
    n: int, sr: int, rng: np.random.Generator, intensity: float = 0.5, size: float = 0.5, density: float = 0.5
) -> np.ndarray:
    """Church bells: a peal of 3–6 tuned bells struck in changing order, each ringing for seconds."""
    count = 3 + int(3 * density)
    nominal = 500 * (1.6 - size) * 2 ** (np.array([0, 2, 4, 5, 7, 9])[:count][::-1] / 12)
    length = int(min(5.0, 2.0 + 3 * size) * sr)
    tt = (np.arange(length) / sr).astype(np.float32)
    bank = np.zeros((count, length))
    for b, f in enumerate(nominal):
        y = np.zeros(length, dtype=np.float32)
        for ratio, amp, tau in BELL_PARTIALS:
            fp = f * ratio * (1 + 0.002 * rng.standard_normal())
            if fp < 0.45 * sr:
                w = np.float32(2 * np.pi * fp)
                decay_rate = np.float32(1 / (tau * (1.5 + 3 * size)))
                y += (
                    np.float32(amp)
                    * np.sin(w * tt + np.float32(rng.uniform(0, 2 * np.pi)))
                    * np.exp(-decay_rate * tt)
                )
        strike = highpass(white(rng, length), 2000, sr, 2) * decay(length, sr, 0.003)
        bank[b] = (y + 0.2 * strike) * np.minimum(1, tt / 0.002)
    stroke = 0.5 - 0.2 * intensity
    starts, which = [], []
    t = rng.uniform(0.0, min(0.3, 0.2 * n / sr))  # the first strike comes at once, even in short clips
    while t * sr < n:
        order = rng.permutation(count)  # change ringing: a new order each row
        for b in order:
            starts.append(int(t * sr))
            which.append(b)
            t += stroke * rng.uniform(0.95, 1.05)
        t += stroke * rng.uniform(0.8, 1.3)  # the 'handstroke gap'
    peal = overlap_add(n, np.array(starts), bank, np.array(which), rng.uniform(0.7, 1.0, len(starts)))
    return peal + 0.002 * pink(rng, n, lowpass_stages(2000, sr, 1))  # the open air around the tower


def clock(
    n: int, sr: int, rng: np.random.Generator, intensity: float = 0.5, size: float = 0.5, density: float = 0.5
) -> np.ndarray:
    """A mechanical clock: tick and tock alternating every half second (faster when small), room tone."""
    period = 0.5 + 0.5 * size if size > 0.7 else 0.5 - 0.25 * (0.5 - size)
    length = int(0.06 * sr)
    bank = np.zeros((2, length))
    for i, f in enumerate((rng.uniform(3000, 4500), rng.uniform(2200, 3200))):
        ring = resonator(white(rng, length), f, 25, sr) * decay(length, sr, 0.012, 0.0002)
        body = resonator(white(rng, length), f / 6, 5, sr) * decay(length, sr, 0.006, 0.0005)
        bank[i] = ring / (np.abs(ring).max() + 1e-12) + 0.4 * body / (np.abs(body).max() + 1e-12)
    starts = jittered_times(rng, n, sr, period, 0.003)
    which = np.arange(starts.size) % 2
    ticks = overlap_add(n, starts, bank, which, np.full(starts.size, 0.5 + 0.5 * intensity))
    return ticks + 0.01 * pink(rng, n, lowpass_stages(1500, sr, 2))
