"""People: a voice or two talking, crowd murmur, footsteps, applause, typing in an office, a ball.

The crowd is babble: a handful of near voices (glottal wave through vowel formant filters that change
every syllable, Klatt 1980 formants) over speech-shaped noise for the far crowd; no words, so it never
sounds like a message. Claps follow Peltola et al. (*Synthesis of hand clapping sounds*, IEEE TASLP 2007):
each clapper has a hand-cavity resonance and a tempo of its own.

Talking is the same formant voice with the structure of speech: syllables at 4–5 a second (the peak of
the speech envelope's modulation spectrum, Ding et al., *Neurosci. Biobehav. Rev.* 2017), each a consonant
(fricative hiss or plosive burst) then a vowel, grouped in phrases whose pitch declines with accents on
stressed syllables ('t Hart, Collier & Cohen, *A perceptual study of intonation*, 1990), pauses between
phrases and two speakers taking turns. A ball is a short contact pulse exciting the air cavity of a hollow
sphere (lowest mode at ka ≈ 2.08, Rossing & Fletcher, *Principles of Vibration and Sound*, 2004, §11) and
bounces whose intervals and heights shrink by the coefficient of restitution.
"""

from __future__ import annotations

import numpy as np

from .dsp import (
    bandpass,
    bandpass_stages,
    click_bank,
    decay,
    envelope_from_curve,
    filter_chain,
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
    resonator,
    resonator_bank,
    room,
    sine,
    smooth_curve,
    table_osc,
    upsample_linear,
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


def _to_rate(y: np.ndarray, sr_in: int, sr: int, n: int) -> np.ndarray:
    """``y`` made at ``sr_in`` brought to ``sr`` (polyphase), cut or padded to ``n`` samples."""
    if sr_in != sr:
        from math import gcd

        from scipy.signal import resample_poly

        g = gcd(sr, sr_in)
        y = resample_poly(y, sr // g, sr_in // g)
    return y[:n] if y.size >= n else np.pad(y, (0, n - y.size))


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
    y = _to_rate(lowpass(y, 0.45 * sr_in, sr_in, 4), sr_in, sr, n)
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


# consonant of a syllable: none (a bare vowel), fricative hiss, plosive burst after a closure, nasal murmur
_CONSONANT_P = (0.25, 0.3, 0.3, 0.15)
_FRICATIVES = ((3800.0, 7200.0, 1.0), (2000.0, 5000.0, 0.8), (1200.0, 7000.0, 0.35))  # s, sh, f: band, level


def _phrases(rng: np.random.Generator, total_s: float, talkers: int, intensity: float) -> list:
    """The plan of a conversation: ``(talker, start_s, syllable durations, question)`` per phrase.

    Phrases of 3–12 syllables at 4–5 syllables a second; a talker says 1–3 phrases with short pauses,
    then the other answers after a gap (one talker: longer pauses, now and then a silence of seconds).
    """
    plan = []
    t = rng.uniform(0.02, 0.3)
    talker = int(rng.integers(talkers))
    while t < total_s:
        for _ in range(int(rng.integers(1, 4))):
            durs = rng.uniform(0.14, 0.30, int(rng.integers(3, 13))) / (0.85 + 0.3 * intensity)
            plan.append((talker, t, durs, rng.random() < 0.2))
            t += float(durs.sum()) + rng.uniform(0.2, 0.6)
            if t >= total_s:
                break
        if talkers > 1:
            talker = (talker + 1) % talkers
            t += rng.uniform(0.05, 0.5)
        else:
            t += rng.uniform(0.2, 1.0) + (rng.uniform(1.0, 3.0) if rng.random() < 0.2 else 0.0)
    return plan


def voices(
    n: int, sr: int, rng: np.random.Generator, intensity: float = 0.5, size: float = 0.5, density: float = 0.5
) -> np.ndarray:
    """A voice or two talking: syllables at 4–5 a second, pitch falling over each phrase, pauses, turns."""
    sr_in = min(sr, 16000)  # speech lives below 7 kHz: made at 16 kHz, resampled once
    m = int(np.ceil(n * sr_in / sr)) + 1
    talkers = 1 if density < 0.3 else 2
    man_first = rng.random() < 0.5
    speakers = []  # (pitch Hz, vocal-tract scale, level): two talkers are a man and a woman
    for k in range(talkers):
        man = man_first != bool(k)
        pitch = (rng.uniform(95, 130) if man else rng.uniform(175, 230)) * (1.15 - 0.3 * size)
        speakers.append((pitch, 1.0 if man else 1.17, 1.0 if k == 0 else rng.uniform(0.55, 0.9)))
    plan = _phrases(rng, m / sr_in, talkers, intensity)

    # the pitch curve: knots at each syllable's centre (declination, accents, final fall or rise)
    knot_t, knot_f = [0.0], [speakers[plan[0][0]][0] if plan else 120.0]
    for talker, start, durs, question in plan:
        pitch = speakers[talker][0]
        centres = start + np.cumsum(durs) - 0.5 * durs
        u = np.linspace(0.0, 1.0, durs.size)
        f = pitch * (1.08 - 0.2 * u)  # declination over the phrase
        accents = rng.random(durs.size) < 0.3
        f *= 1 + accents * rng.uniform(0.06, 0.18, durs.size) * (0.6 + 0.8 * intensity)
        f[-1] *= 1.25 if question else 0.85
        knot_t += centres.tolist()
        knot_f += f.tolist()
    knot_t.append(m / sr_in + 1.0)
    knot_f.append(knot_f[-1])
    hop = 16
    grid = np.arange(m // hop + 2) * (hop / sr_in)
    f0 = upsample_linear(np.interp(grid, knot_t, knot_f).astype(np.float32), hop, m)
    f0 *= 1 + 0.015 * smooth_curve(rng, m, sr_in, 6.0)  # jitter of a live voice
    table = wavetable(harmonic_amps(300, sr_in, -12.0)).astype(np.float32)  # glottal pulses, -12 dB/oct
    glottal = table_osc(table, phase_from_freq(f0, sr_in))
    glottal += 0.03 * white(rng, m)  # breathiness

    out = np.zeros(m + int(0.05 * sr_in), dtype=np.float32)
    tail = int(0.03 * sr_in)  # the formant filters ring on past each syllable
    for talker, start, durs, _question in plan:
        _pitch, scale, gain = speakers[talker]
        at = int(start * sr_in)
        for dur in durs:
            length = int(dur * sr_in)
            if at >= m:
                break
            kind = rng.choice(4, p=_CONSONANT_P)
            cons = 0
            if kind == 1:  # fricative: hiss in the band of s, sh or f
                cons = int(rng.uniform(0.05, 0.09) * sr_in)
                lo, hi, loudness = _FRICATIVES[int(rng.integers(3))]
                hiss = bandpass(white(rng, cons), lo, hi, sr_in, 2) * hann_env(cons, 0.4)
                place(out, at, hiss, 0.08 * loudness * gain)
            elif kind == 2:  # plosive: a closure, then a short burst
                cons = int(0.04 * sr_in)
                burst_len = int(0.015 * sr_in)
                burst = white(rng, burst_len) * decay(burst_len, sr_in, 0.004, 0.0005)
                release = filter_chain(burst, highpass_stages(1500, sr_in, 1))  # t, k, p: above ~1.5 kHz
                place(out, at + int(0.025 * sr_in), release, 0.1 * gain)
            vowel_at, vowel_len = at + cons, max(length - cons, int(0.06 * sr_in))
            stop = min(vowel_at + vowel_len, m)
            if stop <= vowel_at:
                break
            env = hann_env(vowel_len, rng.uniform(0.2, 0.4))[: stop - vowel_at] ** 0.7
            excite = np.zeros(stop - vowel_at + tail, dtype=np.float32)
            excite[: stop - vowel_at] = glottal[vowel_at:stop] * env
            if kind == 3:  # nasal murmur first: a low formant, the vowel opens out of it
                murmur = int(min(0.05 * sr_in, excite.size // 3))
                excite[:murmur] *= np.linspace(0.4, 1.0, murmur)
            f1, f2, f3 = np.array(VOWELS[int(rng.integers(len(VOWELS)))]) * scale * rng.uniform(0.93, 1.07)
            vowel = resonator_bank(excite, (f1, f2, f3), (5, 8, 10), (1.0, 0.5, 0.25), sr_in)
            place(out, vowel_at, vowel, gain)
            at += length
    y = out[:m] + 0.003 * pink(rng, m, lowpass_stages(1500, sr_in, 1))  # the air of the place
    return _to_rate(y, sr_in, sr, n)


def _ball_impact(rng: np.random.Generator, sr: int, cavity_hz: float, hard: float) -> np.ndarray:
    """One impact of a hollow ball: a half-sine contact pulse (a thud) exciting the ball's air cavity
    (its first modes, ka = 2.08, 3.34 …) and its shell, which ring for a few tens of ms."""
    length = int(0.2 * sr)
    contact = int(rng.uniform(0.006, 0.011) * (1.2 - 0.4 * hard) * sr)  # ~8 ms contact (a football)
    pulse = np.zeros(length, dtype=np.float32)
    pulse[:contact] = np.sin(np.pi * np.arange(contact) / contact)
    src = pulse + 0.15 * hard * white(rng, length) * decay(length, sr, 0.002, 0.0002)
    modes = np.array([1.0, 1.6, 2.7]) * cavity_hz
    ring_s = rng.uniform(0.03, 0.06) * np.array([1.0, 0.6, 0.3])  # Q = π·f·τ: the cavity rings on
    ring = resonator_bank(src, modes, np.pi * modes * ring_s, (1.0, 0.4, 0.12), sr)
    thud = lowpass(pulse, 400, sr, 2)
    y = 0.8 * thud / (np.abs(thud).max() + 1e-12) + ring / (np.abs(ring).max() + 1e-12)
    return y * np.float32(1 / np.abs(y).max())


def ball(
    n: int, sr: int, rng: np.random.Generator, intensity: float = 0.5, size: float = 0.5, density: float = 0.5
) -> np.ndarray:
    """A ball kicked or bounced: hollow 'ponk' impacts, bounces that come faster and softer, pauses."""
    radius_m = 0.035 + 0.085 * size  # tennis ball to basketball; 0.5: a football
    cavity_hz = 2.08 * 343.0 / (2 * np.pi * radius_m)
    bank = np.stack(
        [_ball_impact(rng, sr, cavity_hz * rng.uniform(0.97, 1.03), rng.random()) for _ in range(8)]
    )
    starts, gains = [], []
    t = rng.uniform(0.05, 0.5)
    total_s = n / sr
    while t < total_s:
        play = rng.random()
        if play < 0.45:  # a kick, a flight, then bounces: intervals and heights shrink by the restitution
            starts.append(t)
            gains.append(1.0)
            e = rng.uniform(0.6, 0.8)
            gap = rng.uniform(0.6, 1.4) * (0.7 + 0.6 * intensity)  # time in the air
            t += gap
            level = rng.uniform(0.5, 0.9)
            while gap > 0.06 and t < total_s:
                starts.append(t)
                gains.append(level)
                gap *= e
                level *= e
                t += gap
        elif play < 0.75:  # dribbling or bouncing on the spot: nearly regular, 0.45–0.7 s apart
            period = rng.uniform(0.45, 0.7)
            for _ in range(int(rng.integers(3, 9))):
                starts.append(t)
                gains.append(rng.uniform(0.6, 0.9))
                t += period * rng.uniform(0.95, 1.05)
        else:  # passes: a kick, and a while later the answer from the other player
            for _ in range(int(rng.integers(2, 5))):
                starts.append(t)
                gains.append(rng.uniform(0.7, 1.0))
                t += rng.uniform(1.0, 2.5)
        t += rng.uniform(2.0, 8.0) * (1.3 - density)
    starts = (np.array(starts) * sr).astype(np.int64)
    hits = overlap_add(n, starts, bank, rng.integers(0, 8, starts.size), np.array(gains))
    return hits + pink(rng, n, lowpass_stages(800, sr, 1)) * 0.002
