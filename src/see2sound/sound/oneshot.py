"""Extending a short recording to any length without audible repetition.

Two strategies, chosen by what the recording is (the starter manifest's ``kind``):

- :func:`extend_one_shot` for events (a bark, a horn, a moo): seeded repetitions spaced as the thing
  does in life (a :class:`Rhythm`: barks in bouts with pauses, a horn rarely, a bird's song phrase every
  few seconds, :func:`rhythm_for` picks it from the recording's tags), with slight variations of level
  and pitch, over a quiet bed shaped like the recording's own noise floor, so the silence between events
  does not gate the background on and off. Never a loop, and a recording of a whole call or bout is
  never played twice back to back.
- :func:`extend_texture` for textures (wind, machinery, applause): the steady part of the recording
  looped in pieces of random length, each join placed where the waveforms match best (normalised
  cross-correlation search) and crossfaded, so there is neither a click nor a fixed loop period.

Both are pure functions on mono arrays: ``y`` of shape ``(samples,)``, any float dtype; the result is
float32 of exactly ``round(duration * sr)`` samples.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from fractions import Fraction

import numpy as np
from scipy.signal import fftconvolve, oaconvolve, resample_poly, welch

EDGE_FADE_S = 0.005  # raised-cosine fade on every event edge and at the clip ends: no clicks
FIT_VERSION = 2  # bump when extending a recording gives other samples: cached stems are keyed on it


@dataclass(frozen=True)
class Rhythm:
    """How a sound's events come in life: in bouts of ``bout`` events (inclusive range), ``within_s``
    apart inside a bout and ``between_s`` apart between bouts (pauses after an event ends, seconds,
    uniform ranges); the first event starts within ``first_s``."""

    bout: tuple[int, int] = (1, 3)
    within_s: tuple[float, float] = (0.4, 1.5)
    between_s: tuple[float, float] = (3.0, 10.0)
    first_s: tuple[float, float] = (0.0, 0.25)


# Field observations behind the figures: dogs bark in bouts of a few barks with pauses (Yin 2002,
# J. Comp. Psychol.; Pongrácz et al. 2005); a passerine sings a song phrase every few seconds in bouts
# (Catchpole & Slater, *Bird Song*, 2008: 3–10 songs a minute); cattle low and horses neigh a few times
# a minute at most; horns, whistles and crashes are rare events.
RHYTHMS: dict[str, Rhythm] = {
    "rare": Rhythm((1, 1), (0.0, 0.0), (25.0, 60.0), (0.2, 2.5)),  # a crash, a train whistle
    "horn": Rhythm((1, 2), (0.1, 0.35), (20.0, 60.0), (0.3, 3.0)),
    "bark": Rhythm((1, 6), (0.15, 0.5), (3.0, 12.0)),
    "song": Rhythm((2, 5), (1.5, 5.0), (5.0, 18.0)),  # a bird's song phrases
    "hoot": Rhythm((1, 3), (1.5, 4.0), (10.0, 30.0)),  # an owl, a cuckoo, a dove
    "quack": Rhythm((2, 6), (0.15, 0.5), (3.0, 12.0)),  # ducks, geese, pigs, hens: chatter in bouts
    "crow": Rhythm((1, 1), (0.0, 0.0), (15.0, 50.0)),  # a rooster, a lion's roar
    "moo": Rhythm((1, 2), (2.0, 5.0), (10.0, 35.0)),
    "neigh": Rhythm((1, 1), (0.0, 0.0), (15.0, 45.0)),
    "bleat": Rhythm((1, 3), (0.8, 3.0), (3.0, 12.0)),
    "meow": Rhythm((1, 3), (0.8, 2.5), (4.0, 15.0)),
    "impact": Rhythm((1, 2), (0.3, 1.0), (3.0, 12.0)),  # a thud, a clank, a splash
    "walk": Rhythm((6, 20), (0.2, 0.32), (2.0, 8.0)),  # steps ~0.53 s apart, a walk, a stop
    "default": Rhythm(),
}

# what a recording is (a word of its tags or label) -> its rhythm; the first tag with a known word wins
RHYTHM_WORDS: dict[str, str] = {
    **dict.fromkeys(("horn", "honk", "klaxon", "foghorn", "whistle", "siren", "beep"), "horn"),
    **dict.fromkeys(
        ("crash", "explosion", "blast", "collision", "train", "locomotive", "ship", "ferry", "falling"),
        "rare",
    ),
    **dict.fromkeys(("bark", "dog", "woof", "puppy", "hound"), "bark"),
    **dict.fromkeys(("bird", "birdsong", "songbird", "chirp", "tweet", "sparrow", "blackbird"), "song"),
    **dict.fromkeys(("owl", "hoot", "cuckoo", "dove", "pigeon"), "hoot"),
    **dict.fromkeys(("duck", "quack", "goose", "pig", "oink", "grunt", "hen", "chicken", "monkey"), "quack"),
    **dict.fromkeys(("rooster", "cock", "cockerel", "lion", "roar"), "crow"),
    **dict.fromkeys(("cow", "moo", "cattle", "bull", "calf"), "moo"),
    **dict.fromkeys(("horse", "neigh", "whinny", "pony"), "neigh"),
    **dict.fromkeys(("sheep", "bleat", "baa", "lamb", "goat"), "bleat"),
    **dict.fromkeys(("cat", "meow", "miaow", "kitten"), "meow"),
    **dict.fromkeys(("thud", "clank", "splash", "kick", "bang", "knock", "slam"), "impact"),
    **dict.fromkeys(("footstep", "step", "walk", "walking", "pedestrian", "wading"), "walk"),
}


def rhythm_name(*phrases: str) -> str:
    """The key in :data:`RHYTHMS` of :func:`rhythm_for` ``(*phrases)`` (recorded in a stem's provenance)."""
    rhythm = rhythm_for(*phrases)
    return next(name for name, r in RHYTHMS.items() if r is rhythm)


def rhythm_for(*phrases: str) -> Rhythm:
    """The :class:`Rhythm` of a recording from what it is: tags first (what the file holds), then the
    label asked for; the first phrase with a known word wins, else ``RHYTHMS["default"]``.

    Examples
    --------
    >>> rhythm_for("car horn", "honk") is RHYTHMS["horn"]
    True
    >>> rhythm_for("2 dogs barking") is RHYTHMS["bark"]
    True
    """
    for phrase in phrases:
        for word in re.findall(r"[a-z]+", str(phrase).lower()):
            for form in (word, word[:-1] if word.endswith("s") else word, word.removesuffix("ing")):
                if form in RHYTHM_WORDS:
                    return RHYTHMS[RHYTHM_WORDS[form]]
    return RHYTHMS["default"]


# a recording longer than this holds a whole call or bout already: it is never repeated within a bout
WHOLE_BOUT_S = 1.2


@dataclass(frozen=True)
class Event:
    """One placed repetition: start sample in the output, linear gain and playback-rate factor."""

    start: int
    gain: float
    rate: float


def _check(y: np.ndarray, sr: int, duration: float) -> tuple[np.ndarray, int]:
    y = np.asarray(y, dtype=np.float64)
    if y.ndim == 2 and 1 in y.shape:
        y = y.reshape(-1)
    if y.ndim != 1:
        raise ValueError(f"y must be mono (samples,), got shape {y.shape}")
    if y.size == 0 or not np.all(np.isfinite(y)):
        raise ValueError("y must be non-empty and finite")
    if sr <= 0:
        raise ValueError(f"sr must be positive, got {sr}")
    if not np.isfinite(duration) or duration <= 0:
        raise ValueError(f"duration must be > 0 seconds, got {duration}")
    return y, int(round(duration * sr))


def fade_edges(x: np.ndarray, n_fade: int) -> np.ndarray:
    """A copy of ``x`` with a raised-cosine fade in and out of ``n_fade`` samples each."""
    x = np.array(x, dtype=np.float64)
    k = min(n_fade, x.size // 2)
    if k > 0:
        ramp = 0.5 - 0.5 * np.cos(np.pi * (np.arange(k) + 0.5) / k)
        x[:k] *= ramp
        x[-k:] *= ramp[::-1]
    return x


def _frame_rms(y: np.ndarray, frame: int) -> np.ndarray:
    n = max(1, y.size // frame)
    return (
        np.sqrt(np.mean(y[: n * frame].reshape(n, frame) ** 2, axis=1) + 1e-20)
        if y.size >= frame
        else np.array([np.sqrt(np.mean(y**2) + 1e-20)])
    )


def active_span(y: np.ndarray, sr: int, threshold_db: float = -50.0) -> tuple[int, int]:
    """First and last sample of the part louder than ``threshold_db`` below the loudest 10 ms frame."""
    frame = max(1, int(0.01 * sr))
    rms = _frame_rms(y, frame)
    loud = np.nonzero(20 * np.log10(rms / rms.max()) > threshold_db)[0]
    if loud.size == 0:
        return 0, y.size
    return int(loud[0] * frame), int(min(y.size, (loud[-1] + 1) * frame))


def _floor_bed(y: np.ndarray, sr: int, n: int, rng: np.random.Generator, level_db: float) -> np.ndarray:
    """Noise of ``n`` samples with the spectrum and level of the recording's quietest frames.

    The level is capped at ``level_db`` below the recording's RMS, so a noisy recording gets a quiet
    bed and a clean one a near-silent one.
    """
    frame = max(256, int(0.02 * sr))
    if y.size < 4 * frame:
        quiet = y
    else:
        rms = _frame_rms(y, frame)
        order = np.argsort(rms)[: max(2, rms.size // 5)]
        quiet = np.concatenate([y[i * frame : (i + 1) * frame] for i in np.sort(order)])
    nperseg = min(1024, quiet.size)
    freqs, psd = welch(quiet, fs=sr, nperseg=nperseg)
    target_rms = min(np.sqrt(np.mean(quiet**2)), np.sqrt(np.mean(y**2)) * 10 ** (level_db / 20))
    if target_rms <= 0 or not np.any(psd > 0):
        return np.zeros(n)
    # linear-phase FIR with the floor's magnitude response, run over white noise (overlap-add)
    h = np.roll(np.fft.irfft(np.sqrt(psd)), psd.size - 1)
    h *= np.hanning(h.size)
    bed = oaconvolve(rng.standard_normal(n + h.size), h, mode="valid")[:n]
    bed_rms = np.sqrt(np.mean(bed**2))
    return bed * (target_rms / bed_rms) if bed_rms > 0 else np.zeros(n)


def _rate_shift(x: np.ndarray, rate: float) -> np.ndarray:
    """Play ``x`` ``rate`` times faster (pitch and speed together, like a varispeed tape)."""
    if abs(rate - 1.0) < 1e-6:
        return x
    frac = Fraction(rate).limit_denominator(200)
    # rate > 1 → fewer samples: resample by down/up = rate
    return resample_poly(x, frac.denominator, frac.numerator)


def one_shot_events(
    event_len: int,
    sr: int,
    n_out: int,
    seed: int = 0,
    rhythm: Rhythm | None = None,
    gain_db: float = 3.0,
    pitch_semitones: float = 0.7,
    min_change_semitones: float = 0.15,
) -> list[Event]:
    """Plan seeded repetitions of an event of ``event_len`` samples over ``n_out`` output samples.

    Events come in bouts as ``rhythm`` says (default: ``RHYTHMS["default"]``); a recording longer than
    :data:`WHOLE_BOUT_S` already holds a call or a bout, so it is played once per bout, and the pause
    after it is at least its own length: the same recording is never heard twice back to back.
    Level varies by up to ±``gain_db`` and pitch by up to ±``pitch_semitones``; the pitch of adjacent
    events always differs by at least ``min_change_semitones``, so no two neighbours are identical.
    The first event starts within ``rhythm.first_s`` (at the latest a quarter of the clip in); an event
    that would be cut by more than half at the end is not placed, unless it is the only one.
    """
    rhythm = rhythm or RHYTHMS["default"]
    rng = np.random.default_rng(seed)
    events: list[Event] = []
    whole = event_len / sr > WHOLE_BOUT_S
    lo, hi = rhythm.first_s
    pos = int(min(rng.uniform(lo, hi), 0.25 * n_out / sr) * sr)
    last_semi = None
    left_in_bout = 1 if whole else int(rng.integers(rhythm.bout[0], rhythm.bout[1] + 1))
    while True:
        semi = rng.uniform(-pitch_semitones, pitch_semitones)
        if last_semi is not None and abs(semi - last_semi) < min_change_semitones:
            direction = 1.0 if semi >= last_semi else -1.0
            semi = last_semi + direction * min_change_semitones
            if abs(semi) > pitch_semitones:  # step the other way to stay inside the range
                semi = last_semi - direction * min_change_semitones
        rate = float(2.0 ** (semi / 12.0))
        length = int(round(event_len / rate))
        if events and pos + length // 2 > n_out:
            break
        gain = float(10 ** (rng.uniform(-gain_db, gain_db) / 20))
        events.append(Event(start=pos, gain=gain, rate=rate))
        last_semi = semi
        left_in_bout -= 1
        if left_in_bout > 0:
            pause = rng.uniform(*rhythm.within_s)
        else:
            pause = rng.uniform(*rhythm.between_s)
            if whole:
                pause = max(pause, length / sr)  # as long as the call just heard
            left_in_bout = 1 if whole else int(rng.integers(rhythm.bout[0], rhythm.bout[1] + 1))
        pos += length + int(pause * sr)
        if pos >= n_out:
            break
    return events


def extend_one_shot(
    y: np.ndarray,
    sr: int,
    duration: float,
    seed: int = 0,
    rhythm: Rhythm | None = None,
    gain_db: float = 3.0,
    pitch_semitones: float = 0.7,
    bed_db: float = -30.0,
) -> np.ndarray:
    """Repeat a one-shot recording (bark, horn, moo) to ``duration`` seconds, spaced as in life.

    Parameters
    ----------
    y : np.ndarray
        Mono recording ``(samples,)``.
    sr : int
        Its sample rate; the output has the same rate.
    duration : float
        Output length in seconds (> 0).
    seed : int
        Seed of every random choice: same inputs and seed → identical output.
    rhythm : Rhythm, optional
        How the events come (bouts, pauses); :func:`rhythm_for` picks one from the recording's tags.
        Default: ``RHYTHMS["default"]``, one to three events 0.4–1.5 s apart every 3–10 s.
    gain_db, pitch_semitones : float
        Largest level and pitch deviation of a repetition.
    bed_db : float
        Largest level of the background bed relative to the recording's RMS; the bed follows the
        recording's own noise floor (quieter when the recording is clean).

    Returns
    -------
    np.ndarray
        float32 ``(round(duration * sr),)``.

    Examples
    --------
    >>> import numpy as np
    >>> bark = np.sin(2 * np.pi * 600 * np.arange(4800) / 48000) * np.hanning(4800)
    >>> extend_one_shot(bark, 48000, 5.0, seed=1).shape
    (240000,)
    """
    y, n_out = _check(y, sr, duration)
    rng = np.random.default_rng([seed, 1])
    start, stop = active_span(y, sr)
    event = fade_edges(y[start:stop], int(EDGE_FADE_S * sr))
    out = _floor_bed(y, sr, n_out, rng, bed_db)
    for ev in one_shot_events(event.size, sr, n_out, seed, rhythm, gain_db, pitch_semitones):
        clip = _rate_shift(event, ev.rate) * ev.gain
        end = min(n_out, ev.start + clip.size)
        piece = clip[: end - ev.start]
        if piece.size < clip.size:  # cut by the end of the clip: fade out instead of stopping dead
            piece = piece.copy()
            k = min(piece.size, int(0.05 * sr))
            piece[-k:] *= np.linspace(1.0, 0.0, k)
        out[ev.start : end] += piece
    return fade_edges(out, int(EDGE_FADE_S * sr)).astype(np.float32)


def steady_span(y: np.ndarray, sr: int, below_median_db: float = -6.0) -> tuple[int, int]:
    """The part of a texture between its fade-in and fade-out: frames within ``below_median_db`` of the
    median frame level, from the first such frame to the last."""
    frame = max(1, int(0.02 * sr))
    rms = _frame_rms(y, frame)
    if rms.size < 4:
        return 0, y.size
    ok = np.nonzero(20 * np.log10(rms / np.median(rms)) > below_median_db)[0]
    if ok.size == 0:
        return 0, y.size
    return int(ok[0] * frame), int(min(y.size, (ok[-1] + 1) * frame))


def _best_match(seg: np.ndarray, template: np.ndarray, lo: int, hi: int) -> tuple[int, float]:
    """Start in ``[lo, hi]`` where ``seg`` best matches ``template`` (normalised cross-correlation)."""
    k = template.size
    window = seg[lo : hi + k]
    corr = fftconvolve(window, template[::-1], mode="valid")
    csum = np.concatenate([[0.0], np.cumsum(window**2)])
    energy = np.maximum(csum[k:] - csum[:-k], 0.0)  # sliding energy of each candidate
    norm = corr / np.sqrt(energy * np.dot(template, template) + 1e-20)
    i = int(np.argmax(norm))
    return lo + i, float(norm[i])


def texture_joins(
    seg_len: int,
    sr: int,
    n_out: int,
    xfade: int,
    seed: int = 0,
    search: int = 0,
    min_piece_s: float = 0.5,
) -> list[tuple[int, int]]:
    """Plan the pieces ``(read_start, read_stop)`` of a texture loop before the join search.

    Each piece starts in the first third of the steady part and stops in its last half, at seeded
    points, so piece lengths — and therefore the loop period — keep changing. Enough pieces are
    planned to fill ``n_out`` even if every join search shortens its piece by ``search`` samples.
    """
    rng = np.random.default_rng([seed, 2])
    pieces = []
    written = 0
    first = True
    min_piece = min(max(2 * xfade, int(min_piece_s * sr)), seg_len)
    while written < n_out:
        if first:
            start = int(rng.integers(0, max(1, seg_len - min(seg_len, n_out) + 1)))
            first = False
        else:
            start = int(rng.integers(0, max(1, seg_len // 3)))
        lo_stop = max(start + min_piece, seg_len // 2)
        stop = (
            int(rng.integers(min(lo_stop, seg_len - xfade), seg_len - xfade + 1))
            if seg_len > xfade
            else seg_len
        )
        stop = max(stop, min(seg_len, start + 2 * xfade + 1))
        pieces.append((start, stop))
        written += stop - start - xfade - search
    return pieces


def extend_texture(
    y: np.ndarray,
    sr: int,
    duration: float,
    seed: int = 0,
    crossfade_s: float = 0.12,
    search_s: float = 0.05,
) -> np.ndarray:
    """Loop a texture recording (wind, machinery, applause) to ``duration`` seconds without seams.

    The steady part of the recording (:func:`steady_span`) is played in pieces of seeded random length;
    each next piece's start is moved by up to ``search_s`` to where its first ``crossfade_s`` best
    matches the end of the previous piece, then the two are crossfaded — linearly when they are
    strongly correlated (no level bump), equal-power otherwise (no level dip).

    Parameters
    ----------
    y : np.ndarray
        Mono recording ``(samples,)``.
    sr : int
        Sample rate of ``y`` and of the result.
    duration : float
        Output length in seconds (> 0).
    seed : int
        Seed of every random choice.
    crossfade_s, search_s : float
        Length of each crossfade and half-width of the join search, in seconds.

    Returns
    -------
    np.ndarray
        float32 ``(round(duration * sr),)``.
    """
    y, n_out = _check(y, sr, duration)
    start, stop = steady_span(y, sr)
    seg = y[start:stop]
    xfade = max(1, min(int(crossfade_s * sr), seg.size // 4))
    search = max(0, min(int(search_s * sr), seg.size // 8))
    if seg.size < 8:
        seg = y
        xfade, search = 1, 0
    out = np.zeros(n_out + seg.size)
    ramp = (np.arange(xfade) + 0.5) / xfade
    write = 0
    prev_tail = None
    for read_start, read_stop in texture_joins(seg.size, sr, n_out, xfade, seed, search):
        if prev_tail is not None and search > 0:
            lo = max(0, read_start - search)
            hi = min(seg.size - xfade, read_start + search)
            hi = max(lo, min(hi, read_stop - 2 * xfade))
            read_start, rho = _best_match(seg, prev_tail, lo, hi)
        else:
            rho = 0.0
        piece = seg[read_start:read_stop].copy()
        if prev_tail is None:
            out[write : write + piece.size] += piece
        else:
            write -= xfade
            if rho > 0.7:
                fade_in = ramp
                fade_out = 1.0 - ramp
            else:
                fade_in = np.sin(0.5 * np.pi * ramp)
                fade_out = np.cos(0.5 * np.pi * ramp)
            out[write : write + xfade] *= fade_out
            piece[:xfade] *= fade_in
            out[write : write + piece.size] += piece
        write += piece.size
        prev_tail = seg[read_stop - xfade : read_stop] if read_stop - xfade >= 0 else None
        if write >= n_out:
            break
    return fade_edges(out[:n_out], int(EDGE_FADE_S * sr)).astype(np.float32)
