"""Animals: birdsong, pigeons, crickets, cicadas, summer insects, frogs, dog, cat, cow, sheep, horse.

Birds are AM/FM chirps (syllables) arranged in phrases that each bird repeats with variation
(Smyth & Smith, *The sounds of the avian syrinx*, 2002, model the same sweeps physically). Insects
are trains of tymbal/stridulation pulses exciting a sharp resonance. Mammal calls are a voiced source
(additive harmonics of a pitch glide) shaped by moving formants; a horse is heard by its hooves.
"""

from __future__ import annotations

import numpy as np

from .dsp import (
    bandpass,
    control_grid,
    decay,
    envelope_from_curve,
    hann_env,
    harmonic_amps,
    highpass_stages,
    jittered_times,
    lowpass,
    lowpass_stages,
    overlap_add,
    phase_from_freq,
    pink,
    place,
    poisson_times,
    resonator,
    sine,
    smooth_curve,
    table_osc,
    upsample_linear,
    voice,
    wavetable,
    white,
)


def _syllable(rng: np.random.Generator, sr: int, fc: float, kind: int, dur: float) -> np.ndarray:
    length = max(int(dur * sr), 16)
    u = np.linspace(0, 1, length)
    bw = fc * rng.uniform(0.15, 0.5)
    if kind == 0:  # down-sweep
        f = fc + bw * (0.5 - u)
    elif kind == 1:  # up-sweep
        f = fc + bw * (u - 0.5)
    elif kind == 2:  # trill: fast frequency modulation
        f = fc + 0.4 * bw * np.sin(2 * np.pi * rng.uniform(25, 60) * u * dur)
    else:  # arch
        f = fc + bw * (0.5 - 2 * (u - 0.5) ** 2)
    f = np.minimum(f, 0.45 * sr)
    ph = 2 * np.pi * phase_from_freq(f, sr)
    env = hann_env(length, rng.uniform(0.2, 0.6))
    y = np.sin(ph) + 0.12 * np.sin(2 * ph) * (2 * f < 0.45 * sr)
    return y * env


def birdsong(
    n: int, sr: int, rng: np.random.Generator, intensity: float = 0.5, size: float = 0.5, density: float = 0.5
) -> np.ndarray:
    """A few birds, each repeating its own varied phrase of chirps and trills (2–8 kHz)."""
    out = np.zeros(n)
    n_birds = 1 + int(round(4 * density))
    for b in range(n_birds):
        fc = np.exp(rng.uniform(np.log(2600), np.log(6000))) * (1.2 - 0.4 * size)
        gain = rng.uniform(0.3, 1.0) if b else 1.0
        # this bird's motif: a sequence of syllable types it varies slightly each time
        motif = [
            (int(rng.integers(0, 4)), rng.uniform(0.04, 0.16), fc * rng.uniform(0.8, 1.25))
            for _ in range(rng.integers(3, 8))
        ]
        gap = rng.uniform(3.0, 9.0) / (
            0.6 + intensity
        )  # 3-10 song phrases a minute (Catchpole & Slater 2008)
        t = rng.uniform(0, gap) if b else rng.uniform(0, 0.3)
        while t * sr < n:
            pos = int(t * sr)
            reps = rng.integers(1, 4)
            for _ in range(reps):
                for kind, dur, f in motif:
                    syl = _syllable(rng, sr, f * rng.uniform(0.96, 1.04), kind, dur * rng.uniform(0.85, 1.15))
                    place(out, pos, syl, gain * rng.uniform(0.6, 1.0))
                    pos += syl.size + int(rng.uniform(0.02, 0.08) * sr)
            t = pos / sr + gap * rng.uniform(0.5, 1.6)
    air = pink(rng, n, highpass_stages(2000, sr, 2)) * 0.005
    return out + air


def crickets(
    n: int, sr: int, rng: np.random.Generator, intensity: float = 0.5, size: float = 0.5, density: float = 0.5
) -> np.ndarray:
    """Field crickets: chirps of 3–5 pulses at a pure 4–5 kHz carrier, 1.5–3 chirps per second."""
    out = np.zeros(n)
    for c in range(2 + int(6 * density)):
        fc = rng.uniform(4000, 5200) * (1.15 - 0.3 * size)
        plen = int(rng.uniform(0.012, 0.02) * sr)
        pulse = np.sin(2 * np.pi * fc * np.arange(plen) / sr) * hann_env(plen, 0.3)
        pulses = rng.integers(3, 6)
        spacing = int(rng.uniform(0.03, 0.045) * sr)
        chirp = np.zeros(spacing * pulses + plen)
        for p in range(pulses):
            chirp[p * spacing : p * spacing + plen] += pulse
        starts = jittered_times(rng, n, sr, 1 / rng.uniform(1.5, 3.0) / (0.7 + 0.6 * intensity), 0.05)
        gain = 1.0 if c == 0 else rng.uniform(0.15, 0.8)
        out += overlap_add(n, starts, chirp, np.zeros(starts.size), np.full(starts.size, gain))
    return out + pink(rng, n, highpass_stages(1500, sr, 1)) * 0.003


def cicadas(
    n: int, sr: int, rng: np.random.Generator, intensity: float = 0.5, size: float = 0.5, density: float = 0.5
) -> np.ndarray:
    """Cicadas: a rasping buzz (tymbal clicks at 150–400 Hz ringing at 4–7 kHz) swelling and fading."""
    out = np.zeros(n)
    for _ in range(1 + int(3 * density)):
        rate = rng.uniform(150, 400)
        starts = np.arange(0, n, sr / rate).astype(np.int64)
        starts = starts + rng.integers(0, max(int(0.1 * sr / rate), 1), starts.size)
        clicks = np.zeros(n)
        clicks[np.clip(starts, 0, n - 1)] = rng.uniform(0.5, 1.0, starts.size)
        fc = rng.uniform(4000, 7000) * (1.2 - 0.4 * size)
        buzz = resonator(clicks, fc, 12, sr) + 0.5 * resonator(clicks, fc * 1.5, 10, sr)
        swell = np.clip(0.6 + 0.6 * smooth_curve(rng, n, sr, 0.12), 0.05, 1.2) ** (2 - intensity)
        out += buzz * swell * envelope_from_curve(smooth_curve(rng, n, sr, 25.0), 3.0)
    return out


def frogs(
    n: int, sr: int, rng: np.random.Generator, intensity: float = 0.5, size: float = 0.5, density: float = 0.5
) -> np.ndarray:
    """A frog chorus: each frog calls a croak (pulsed, nasal) every 0.7–3 s at its own pitch."""
    out = np.zeros(n)
    for f in range(1 + int(5 * density)):
        length = int(rng.uniform(0.15, 0.4) * sr)
        pulse_rate = rng.uniform(25, 70) * (1.2 - 0.4 * size)
        pulses = np.zeros(length)
        pulses[(np.arange(0, length, sr / pulse_rate)).astype(np.int64)] = 1.0
        formant = rng.uniform(600, 1800) * (1.2 - 0.5 * size)
        croak = resonator(pulses, formant, 8, sr) + 0.6 * resonator(pulses, formant * 2.1, 6, sr)
        croak = lowpass(croak, 3.5 * formant, sr, 2) * hann_env(length, 0.2)
        bank = np.stack([croak / (np.abs(croak).max() + 1e-12)])
        starts = jittered_times(rng, n, sr, rng.uniform(0.7, 3.0) / (0.6 + 0.8 * intensity), 0.3)
        gain = 1.0 if f == 0 else rng.uniform(0.2, 0.9)
        out += overlap_add(n, starts, bank, np.zeros(starts.size), gain * rng.uniform(0.6, 1.0, starts.size))
    return out + pink(rng, n, lowpass_stages(1500, sr, 1)) * 0.004


def _bark(rng: np.random.Generator, sr: int, size: float) -> np.ndarray:
    dur = rng.uniform(0.12, 0.25)
    length = int(dur * sr)
    u = np.linspace(0, 1, length)
    f_start = rng.uniform(450, 750) * (1.3 - 0.7 * size)
    f0 = f_start * (1 + 0.35 * np.sin(np.pi * np.minimum(u * 3, 1)) ** 2) * (1 - 0.45 * u)
    f1 = 700 * (1.2 - 0.4 * size) * (1 + 0.4 * np.sin(np.pi * u))
    formants = [(f1, 400.0, 1.0), (1700 * (1.2 - 0.3 * size), 500.0, 0.6), (2900.0, 800.0, 0.3)]
    voiced = voice(f0, sr, formants, tilt_db_per_oct=-2.0, max_harmonics=30)
    noise = bandpass(white(np.random.default_rng(rng.integers(1 << 31)), length), 500, 5000, sr, 2)
    y = voiced / (np.abs(voiced).max() + 1e-12) + 0.25 * noise / (np.abs(noise).max() + 1e-12)
    return y * decay(length, sr, dur * 0.5, attack_s=0.008) * (0.5 + 0.5 * np.cos(np.pi * u) ** 2)


def dog_bark(
    n: int, sr: int, rng: np.random.Generator, intensity: float = 0.5, size: float = 0.5, density: float = 0.5
) -> np.ndarray:
    """A dog barking in bouts of 1–6 barks with pauses of 3–12 s (bigger dogs bark lower)."""
    out = np.zeros(n)
    t = rng.uniform(0.05, 0.6)
    while t * sr < n:
        pos = int(t * sr)
        for _ in range(rng.integers(1, 7)):
            bark = _bark(rng, sr, size)
            place(out, pos, bark, rng.uniform(0.7, 1.0) * (0.6 + 0.4 * intensity))
            pos += bark.size + int(rng.uniform(0.12, 0.4) * sr)
        t = pos / sr + rng.uniform(3.0, 12.0) * (1.3 - density)
    return out + pink(rng, n, lowpass_stages(1000, sr, 1)) * 0.002


def cat_meow(
    n: int, sr: int, rng: np.random.Generator, intensity: float = 0.5, size: float = 0.5, density: float = 0.5
) -> np.ndarray:
    """A cat: 'mi-aow' calls (rising then falling pitch, opening vowel), 2–10 s apart."""
    out = np.zeros(n)
    t = rng.uniform(0.05, 0.5)
    while t * sr < n:
        dur = rng.uniform(0.5, 1.1)
        length = int(dur * sr)
        u = np.linspace(0, 1, length)
        base = rng.uniform(450, 650) * (1.2 - 0.4 * size)
        f0 = base * (1 + 0.45 * np.sin(np.pi * u**0.7)) + 15 * np.sin(2 * np.pi * 6 * u * dur)
        f1 = 500 + 700 * np.sin(np.pi * np.clip(u * 1.4, 0, 1))  # 'i' -> 'a' -> 'ow'
        f2 = 2500 - 1300 * u
        y = voice(f0, sr, [(f1, 300.0, 1.0), (f2, 400.0, 0.7), (3500.0, 600.0, 0.2)], -3.0, 25)
        y *= hann_env(length, 0.25) ** 0.7
        place(out, int(t * sr), y / (np.abs(y).max() + 1e-12), rng.uniform(0.6, 1.0))
        t += dur + rng.uniform(2.5, 12.0) * (1.3 - density)
    return out + pink(rng, n, lowpass_stages(800, sr, 1)) * 0.002


def cow(
    n: int, sr: int, rng: np.random.Generator, intensity: float = 0.5, size: float = 0.5, density: float = 0.5
) -> np.ndarray:
    """Cattle lowing: long 'mmm-ooo' calls (100–160 Hz, mouth opening) 8–30 s apart, in a quiet pasture."""
    out = np.zeros(n)
    t = rng.uniform(0.05, 1.0)
    while t * sr < n:
        dur = rng.uniform(1.0, 2.2)
        length = int(dur * sr)
        u = np.linspace(0, 1, length)
        base = rng.uniform(95, 160) * (1.2 - 0.4 * size)
        f0 = base * (1 + 0.25 * np.sin(np.pi * np.clip(u * 1.3, 0, 1)) - 0.1 * u)
        f0 = f0 * (1 + 0.01 * np.sin(2 * np.pi * 5 * u * dur))
        f1 = 250 + 500 * np.clip(u * 2.5, 0, 1) * (1 - 0.5 * u)  # closed 'mmm' opens to 'ooo'
        y = voice(f0, sr, [(f1, 180.0, 1.0), (1100.0, 300.0, 0.4), (2400.0, 500.0, 0.15)], -4.0, 40)
        y *= hann_env(length, 0.2) ** 0.5
        place(out, int(t * sr), y / (np.abs(y).max() + 1e-12), rng.uniform(0.6, 1.0))
        t += dur + rng.uniform(10.0, 36.0) * (1.3 - density)
    pasture = pink(rng, n, lowpass_stages(500, sr, 1)) * envelope_from_curve(
        smooth_curve(rng, n, sr, 0.2), 6.0
    )
    return out + 0.01 * (0.5 + intensity) * pasture


def sheep(
    n: int, sr: int, rng: np.random.Generator, intensity: float = 0.5, size: float = 0.5, density: float = 0.5
) -> np.ndarray:
    """Sheep bleating: a tremulous 'baa' (pitch and level wobble at 6–9 Hz), a flock taking turns."""
    out = np.zeros(n)
    t = rng.uniform(0.05, 0.8)
    while t * sr < n:
        dur = rng.uniform(0.5, 1.1)
        length = int(dur * sr)
        u = np.linspace(0, 1, length)
        tremolo = np.sin(2 * np.pi * rng.uniform(6, 9) * u * dur)
        f0 = rng.uniform(220, 380) * (1.2 - 0.4 * size) * (1 + 0.04 * tremolo - 0.1 * u)
        y = voice(
            f0, sr, [(800.0 + 200 * u, 250.0, 1.0), (1500.0, 300.0, 0.6), (2700.0, 500.0, 0.3)], -3.0, 30
        )
        y *= hann_env(length, 0.15) ** 0.6 * (1 + 0.35 * tremolo)
        place(out, int(t * sr), y / (np.abs(y).max() + 1e-12), rng.uniform(0.4, 1.0))
        t += dur + rng.uniform(1.2, 10.0) * (1.3 - density)
    return out + pink(rng, n, lowpass_stages(600, sr, 1)) * 0.003


def horse(
    n: int, sr: int, rng: np.random.Generator, intensity: float = 0.5, size: float = 0.5, density: float = 0.5
) -> np.ndarray:
    """A horse: hooves clip-clopping in a four-beat walk (or a trot with intensity), with the odd snort."""
    stride = 1.1 - 0.5 * intensity  # seconds per full cycle of four hooves
    hoof_len = int(0.09 * sr)
    bank = np.zeros((8, hoof_len))
    for i in range(8):
        click = resonator(white(rng, hoof_len), rng.uniform(1000, 2200), 4, sr) * decay(
            hoof_len, sr, 0.012, 0.0005
        )
        thump = resonator(white(rng, hoof_len), rng.uniform(150, 260), 3, sr) * decay(
            hoof_len, sr, 0.02, 0.001
        )
        y = click / (np.abs(click).max() + 1e-12) + 0.7 * thump / (np.abs(thump).max() + 1e-12)
        bank[i] = y
    cycles = jittered_times(rng, n, sr, stride, 0.03)
    offsets = np.array([0.0, 0.27, 0.5, 0.77]) * stride * sr
    starts = (cycles[:, None] + offsets[None, :]).ravel().astype(np.int64)
    starts += rng.integers(0, int(0.015 * sr), starts.size)
    hooves = overlap_add(n, starts, bank, rng.integers(0, 8, starts.size), rng.uniform(0.5, 1.0, starts.size))
    snorts = np.zeros(n)
    for s in poisson_times(rng, n, sr, 0.05 + 0.15 * density):
        length = int(rng.uniform(0.3, 0.6) * sr)
        sn = bandpass(white(rng, length), 200, 1500, sr, 2) * hann_env(length, 0.1)
        sn *= 1 + 0.8 * np.sin(2 * np.pi * rng.uniform(18, 30) * np.arange(length) / sr)  # lip flutter
        place(snorts, int(s), sn / (np.abs(sn).max() + 1e-12), 0.6)
    return hooves + snorts + pink(rng, n, lowpass_stages(600, sr, 1)) * 0.003


def _coo(rng: np.random.Generator, sr: int, pitch: float) -> np.ndarray:
    """A rock dove's perch coo, 'oo-roo-coo': a short rising note, a long rolling one (level pulsing at
    20–30 Hz) that rises and falls, and a short falling note; a nearly pure tone of 300–600 Hz with weak
    harmonics (the inflated crop filters them; Riede et al., *J. Exp. Biol.* 2004)."""
    notes = (
        (rng.uniform(0.12, 0.2), 0.95, 1.05, 0.0),  # duration s, start and end pitch ratio, roll depth
        (rng.uniform(0.45, 0.8), 1.0, 0.9, rng.uniform(0.4, 0.8)),
        (rng.uniform(0.18, 0.3), 1.02, 0.85, 0.0),
    )
    parts = []
    for dur, f_a, f_b, roll in notes:
        length = int(dur * sr)
        u = np.linspace(0.0, 1.0, length, dtype=np.float32)
        f = np.float32(pitch) * (f_a + (f_b - f_a) * u + np.float32(0.08) * np.sin(np.float32(np.pi) * u))
        ph = phase_from_freq(f, sr)
        ph -= np.floor(ph)
        ph = ph.astype(np.float32)
        y = sine(ph) + np.float32(0.15) * sine(2 * ph) + np.float32(0.04) * sine(3 * ph)
        env = hann_env(length, 0.3).astype(np.float32)
        if roll:
            env *= 1 - np.float32(roll) * (
                0.5 + 0.5 * np.cos(np.float32(2 * np.pi * rng.uniform(20, 30) * dur) * u)
            )
        parts += [y * env, np.zeros(int(rng.uniform(0.04, 0.12) * sr), dtype=np.float32)]
    return np.concatenate(parts)


def _flaps(rng: np.random.Generator, sr: int, count: int) -> np.ndarray:
    """A pigeon taking off: ``count`` wing beats at 7–10 Hz, the first ones clapping, fading as it leaves."""
    beat = 1.0 / rng.uniform(7.0, 10.0)
    length = int((count * beat + 0.1) * sr)
    out = np.zeros(length)
    flap_len = int(0.06 * sr)
    for k in range(count):
        burst = white(rng, flap_len) * decay(flap_len, sr, rng.uniform(0.008, 0.02), 0.002)
        clap = k < 3 and rng.random() < 0.7  # wings clapping over the back at take-off: sharp, bright
        y = bandpass(burst, 600 if clap else 250, 6000 if clap else 2500, sr, 1)
        place(out, int(k * beat * sr * rng.uniform(0.95, 1.05)), y, (1.0 if clap else 0.6) * 0.85**k)
    return out


def pigeons(
    n: int, sr: int, rng: np.random.Generator, intensity: float = 0.5, size: float = 0.5, density: float = 0.5
) -> np.ndarray:
    """Pigeons: cooing in bouts (each bird its own pitch), and now and then a burst of wing flaps."""
    out = np.zeros(n, dtype=np.float32)
    for b in range(1 + int(round(2 * density))):
        pitch = rng.uniform(330, 520) * (1.15 - 0.3 * size)
        gain = 1.0 if b == 0 else rng.uniform(0.3, 0.8)
        t = rng.uniform(0.05, 0.6) if b == 0 else rng.uniform(0.5, 6.0)
        while t * sr < n:
            for _ in range(int(rng.integers(2, 6))):  # a bout: coo after coo
                coo = _coo(rng, sr, pitch * rng.uniform(0.97, 1.03))
                place(out, int(t * sr), coo, gain * rng.uniform(0.7, 1.0))
                t += coo.size / sr + rng.uniform(0.4, 1.5)
            t += rng.uniform(4.0, 14.0) * (1.3 - density)
    flaps = np.zeros(n, dtype=np.float32)
    for at in poisson_times(rng, n, sr, (0.03 + 0.08 * density) * (0.6 + 0.8 * intensity)):
        place(flaps, int(at), _flaps(rng, sr, int(rng.integers(5, 14))), rng.uniform(0.5, 1.0))
    out *= np.float32(0.5)
    flaps *= np.float32(0.8)
    out += flaps
    out += pink(rng, n, lowpass_stages(700, sr, 1)) * np.float32(0.002)
    return out


# wing-beat frequencies (Hz) of the buzzers heard in a summer garden: honeybee, bumblebee, housefly, hoverfly
_BUZZERS = ((200.0, 250.0), (130.0, 180.0), (170.0, 220.0), (120.0, 160.0))
SPEED_OF_SOUND = 343.0


def _pass(rng: np.random.Generator, sr: int, table: np.ndarray, dur: float, near: float) -> np.ndarray:
    """One insect flying past: a wing-beat buzz whose pitch is shifted by the radial speed (Doppler) and
    whose level follows 1/r, with the wobble of a flight that keeps changing course."""
    length = int(dur * sr)
    hop = 32  # flight path, pitch and level change slowly: computed every 32 samples, interpolated
    grid = control_grid(length, hop)
    t = (grid / sr - 0.5 * dur).astype(np.float32)
    speed = rng.uniform(1.5, 5.0)  # m/s
    closest = rng.uniform(0.3, 2.0) / (0.5 + near)  # m
    along = speed * t
    r = np.sqrt(closest**2 + along**2)
    radial = speed * along / r  # m/s away from the listener
    f0 = rng.uniform(*_BUZZERS[int(rng.integers(len(_BUZZERS)))])
    wobble = smooth_curve(rng, grid.size, sr / hop, 3.0)
    freq = np.float32(f0) * SPEED_OF_SOUND / (SPEED_OF_SOUND + radial) * (1 + np.float32(0.04) * wobble)
    buzz = table_osc(table, phase_from_freq(upsample_linear(freq, hop, length), sr))
    level = np.float32(closest) / r * (1 + np.float32(0.3) * wobble)
    level *= np.sin(np.float32(np.pi) * np.clip(grid / length, 0, 1)).astype(np.float32)
    buzz *= upsample_linear(level, hop, length)
    return buzz


def insects(
    n: int, sr: int, rng: np.random.Generator, intensity: float = 0.5, size: float = 0.5, density: float = 0.5
) -> np.ndarray:
    """Summer insects: bees and flies buzzing past (Doppler, 1/r), over the far hum of many more."""
    table = wavetable(harmonic_amps(260, sr, -5.0, limit=24)).astype(np.float32)
    out = np.zeros(n, dtype=np.float32)
    rate = (0.15 + 0.5 * density) * (0.6 + 0.8 * intensity)  # passes per second
    starts = poisson_times(rng, n, sr, rate)
    first = int(rng.uniform(-1.0, 0.5) * sr)  # one is passing as the clip starts
    for at in [first, *starts.tolist()]:
        dur = rng.uniform(1.0, 4.0)
        place(out, int(at), _pass(rng, sr, table, dur, 1 - size), rng.uniform(0.4, 1.0))
    # the far hum of insects too many and too far to tell apart: one dark buzz whose pitch wanders fast
    # (±8 % at ~15 Hz), which smears its harmonics into a band, swelling and fading slowly
    far_table = wavetable(harmonic_amps(260, sr, -9.0, limit=12)).astype(np.float32)
    f = np.float32(rng.uniform(160.0, 220.0)) * (1 + np.float32(0.08) * smooth_curve(rng, n, sr, 15.0))
    hum = table_osc(far_table, phase_from_freq(f, sr))
    hum *= envelope_from_curve(smooth_curve(rng, n, sr, 0.2), 6.0)
    hum *= np.float32(0.05 + 0.05 * density)
    out += hum
    return out
