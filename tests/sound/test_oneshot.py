"""Extending short recordings: one-shot repetitions (not loops) and seamless texture loops."""

from __future__ import annotations

import numpy as np
import pytest

from see2sound.sound.oneshot import (
    RHYTHMS,
    WHOLE_BOUT_S,
    Rhythm,
    active_span,
    extend_one_shot,
    extend_texture,
    one_shot_events,
    rhythm_for,
    steady_span,
    texture_joins,
)

SR = 16000


def bark(sr: int = SR, seed: int = 0) -> np.ndarray:
    """A bark-like event: 0.3 s of harmonic tone with a decaying envelope, silence around, a noise floor."""
    rng = np.random.default_rng(seed)
    t = np.arange(int(0.3 * sr)) / sr
    tone = sum(np.sin(2 * np.pi * 450 * k * t) / k for k in range(1, 5)) * np.exp(-t / 0.08)
    y = np.concatenate([np.zeros(int(0.2 * sr)), 0.5 * tone, np.zeros(int(0.4 * sr))])
    return y + 1e-3 * rng.standard_normal(y.size)


def wind(seconds: float = 2.0, sr: int = SR, seed: int = 0) -> np.ndarray:
    """A texture: low-passed noise with a fade-in and fade-out, as recordings often have."""
    rng = np.random.default_rng(seed)
    noise = np.convolve(rng.standard_normal(int(seconds * sr)), np.ones(16) / 16, mode="same")
    ramp = np.minimum(1.0, np.minimum(np.arange(noise.size), noise.size - np.arange(noise.size)) / (0.2 * sr))
    return 0.3 * noise * ramp


def max_step(y: np.ndarray) -> float:
    return float(np.max(np.abs(np.diff(y))))


@pytest.mark.parametrize("extend", [extend_one_shot, extend_texture])
@pytest.mark.parametrize("duration", [0.1, 0.7, 5.0, 12.34])
def test_exact_length_float32_finite(extend, duration):
    y = bark() if extend is extend_one_shot else wind()
    out = extend(y, SR, duration, seed=3)
    assert out.dtype == np.float32 and out.shape == (round(duration * SR),)
    assert np.all(np.isfinite(out)) and np.max(np.abs(out)) > 0


@pytest.mark.parametrize("extend", [extend_one_shot, extend_texture])
def test_same_seed_same_samples_other_seed_differs(extend):
    y = bark() if extend is extend_one_shot else wind()
    a, b, c = extend(y, SR, 6.0, seed=1), extend(y, SR, 6.0, seed=1), extend(y, SR, 6.0, seed=2)
    assert np.array_equal(a, b)
    assert not np.array_equal(a, c)


def test_active_span_finds_the_event():
    start, stop = active_span(bark(), SR)
    assert abs(start - 0.2 * SR) <= 0.01 * SR
    assert 0.25 * SR < stop - start <= 0.31 * SR


def test_one_shot_events_never_repeat_identically_and_leave_gaps():
    event_len = int(0.3 * SR)
    for seed in range(20):
        events = one_shot_events(event_len, SR, 30 * SR, seed=seed)
        assert len(events) >= 5
        for a, b in zip(events, events[1:], strict=False):
            semitones = 12 * abs(np.log2(b.rate / a.rate))
            assert semitones >= 0.15 - 1e-9  # audibly different pitch from the neighbour
            assert b.start - a.start >= round(event_len / a.rate) + int(0.3 * 0.5 * SR) - 1  # a real gap
        assert all(2 ** (-0.71 / 12) <= e.rate <= 2 ** (0.71 / 12) for e in events)
        assert all(10 ** (-3.01 / 20) <= e.gain <= 10 ** (3.01 / 20) for e in events)
        gaps = np.diff([e.start for e in events])
        assert np.std(gaps) > 0.05 * SR  # not a metronome


def test_one_shot_output_has_no_two_identical_adjacent_events():
    y = bark()
    out = extend_one_shot(y, SR, 20.0, seed=5)
    start, stop = active_span(y, SR)
    events = one_shot_events(stop - start, SR, out.size, seed=5)
    n = int(0.2 * SR)
    segments = [out[e.start : e.start + n].astype(np.float64) for e in events if e.start + n <= out.size]
    assert len(segments) >= 4
    for a, b in zip(segments, segments[1:], strict=False):
        assert not np.allclose(a, b, atol=1e-4)
        # the pitch differs, so the waveforms drift apart: correlation well below a copy's 1.0
        assert np.dot(a, b) / np.sqrt(np.dot(a, a) * np.dot(b, b)) < 0.98


def test_one_shot_has_no_clicks():
    y = bark()
    out = extend_one_shot(y, SR, 15.0, seed=0)
    # every sample step stays within what the (louder, higher-pitched) recording itself does
    assert max_step(out) <= 1.5 * max_step(y)
    # and the edges of the clip are faded
    assert abs(out[0]) < 1e-3 and abs(out[-1]) < 1e-3


def test_one_shot_pauses_are_quiet_but_not_dead():
    out = extend_one_shot(bark(), SR, 15.0, seed=0).astype(np.float64)
    frame = int(0.02 * SR)
    rms = np.sqrt(np.mean(out[: out.size // frame * frame].reshape(-1, frame) ** 2, axis=1))
    loud, quiet = np.percentile(rms, 99), np.percentile(rms, 10)
    assert loud / quiet > 10 ** (25 / 20)  # clear events over a quiet bed
    assert quiet > 0  # the recording's noise floor continues between events: no gating


def test_one_shot_shorter_than_the_event_is_cut_with_a_fade():
    y = bark()
    out = extend_one_shot(y, SR, 0.15, seed=0)
    assert out.shape == (int(0.15 * SR),)
    assert np.max(np.abs(out)) > 0.1


def test_steady_span_skips_fades():
    y = wind(3.0)
    start, stop = steady_span(y, SR)
    assert 0.05 * SR < start < 0.2 * SR
    assert 2.8 * SR < stop < 2.95 * SR


def test_texture_joins_vary_so_there_is_no_fixed_loop_period():
    pieces = texture_joins(3 * SR, SR, 60 * SR, xfade=int(0.1 * SR), seed=0)
    lengths = [b - a for a, b in pieces]
    assert len(set(lengths)) == len(lengths)
    assert len({a for a, _ in pieces[1:]}) == len(pieces) - 1


def test_texture_loop_has_no_clicks_and_no_level_dips_at_joins():
    y = wind(2.0)
    out = extend_texture(y, SR, 20.0, seed=4).astype(np.float64)
    start, stop = steady_span(y, SR)
    steady = y[start:stop]
    assert max_step(out) <= 1.3 * max_step(steady)
    frame = int(0.01 * SR)
    body = out[int(0.05 * SR) : -int(0.05 * SR)]
    rms = np.sqrt(np.mean(body[: body.size // frame * frame].reshape(-1, frame) ** 2, axis=1))
    level_db = 20 * np.log10(rms / np.median(rms))
    # uncorrelated noise joined with equal-power crossfades keeps its level within a few dB everywhere
    assert level_db.min() > -6.0 and level_db.max() < 6.0


def test_texture_is_not_a_plain_loop():
    y = wind(1.5)
    out = extend_texture(y, SR, 12.0, seed=0).astype(np.float64)
    start, stop = steady_span(y, SR)
    period = stop - start
    a, b = out[SR : SR + period], out[SR + period : SR + 2 * period]
    assert np.dot(a, b) / np.sqrt(np.dot(a, a) * np.dot(b, b)) < 0.5


def test_texture_join_search_finds_the_matching_point_of_a_periodic_sound():
    # a pure tone looped at random points would click; the search aligns the phase at every join
    t = np.arange(int(1.0 * SR)) / SR
    y = 0.5 * np.sin(2 * np.pi * 220 * t)
    out = extend_texture(y, SR, 8.0, seed=2).astype(np.float64)
    expected_step = 0.5 * 2 * np.pi * 220 / SR
    assert max_step(out) <= 1.1 * expected_step


@pytest.mark.parametrize("extend", [extend_one_shot, extend_texture])
@pytest.mark.parametrize(
    ("y", "duration", "message"),
    [
        (np.zeros((2, 100)), 1.0, "mono"),
        (np.array([]), 1.0, "non-empty"),
        (np.array([0.0, np.nan, 0.1]), 1.0, "finite"),
        (np.ones(100), 0.0, "duration"),
        (np.ones(100), -1.0, "duration"),
        (np.ones(100), float("nan"), "duration"),
    ],
)
def test_bad_input(extend, y, duration, message):
    with pytest.raises(ValueError, match=message):
        extend(y, SR, duration)


# --- spaced as in life: events per minute of each rhythm, bouts, no recording twice back to back ---

# events per minute (lo, hi) of a short event (0.3 s) and of a recording holding a whole call or bout (2 s)
PER_MINUTE = {
    "rare": ((0.5, 2.5), (0.5, 2.5)),  # a crash, a train whistle: once in a while
    "horn": ((1.0, 4.0), (0.5, 2.5)),  # a honk or two every 20-60 s, not 2-3 in 10 s
    "bark": ((12.0, 40.0), (3.0, 10.0)),  # bouts of barks, pauses of seconds
    "song": ((6.0, 15.0), (3.0, 8.0)),  # 3-10 song phrases a minute (Catchpole & Slater 2008)
    "hoot": ((2.0, 8.0), (1.5, 5.0)),
    "quack": ((12.0, 40.0), (3.0, 10.0)),
    "crow": ((1.0, 4.0), (1.0, 3.5)),
    "moo": ((1.5, 6.0), (1.5, 4.0)),
    "neigh": ((1.0, 4.0), (1.0, 3.5)),
    "bleat": ((6.0, 20.0), (3.0, 10.0)),
    "meow": ((5.0, 15.0), (3.0, 8.0)),
    "impact": ((5.0, 18.0), (3.0, 10.0)),
    "walk": ((40.0, 90.0), (4.0, 14.0)),  # ~110 steps a minute while walking, and stops
    "default": ((8.0, 25.0), (3.0, 10.0)),
}


def test_every_rhythm_has_a_rate():
    assert set(PER_MINUTE) == set(RHYTHMS)


@pytest.mark.parametrize("name", sorted(PER_MINUTE))
def test_events_per_minute_are_realistic(name):
    sr = 1000
    for event_s, (lo, hi) in zip((0.3, 2.0), PER_MINUTE[name], strict=True):
        for seed in range(8):
            events = one_shot_events(int(event_s * sr), sr, 300 * sr, seed=seed, rhythm=RHYTHMS[name])
            assert lo <= len(events) / 5.0 <= hi, (event_s, seed)


def test_a_horn_sounds_once_in_ten_seconds():
    for seed in range(100):
        events = one_shot_events(int(0.6 * SR), SR, 10 * SR, seed=seed, rhythm=RHYTHMS["horn"])
        assert 1 <= len(events) <= 2  # one honk, or a double honk
        if len(events) == 2:
            assert events[1].start - events[0].start < 1.2 * SR  # the double honk of one bout


def test_barks_come_in_bouts_with_pauses():
    events = one_shot_events(int(0.25 * SR), SR, 600 * SR, seed=3, rhythm=RHYTHMS["bark"])
    gaps = np.diff([e.start for e in events]) / SR
    assert np.mean(gaps < 1.0) > 0.3  # barks of a bout follow each other
    assert np.mean(gaps > 3.0) > 0.15  # then the dog is quiet for seconds
    assert not np.any((gaps > 1.0) & (gaps < 3.0 + 0.25))  # nothing in between: bouts, not a metronome


@pytest.mark.parametrize("name", sorted(RHYTHMS))
def test_a_whole_call_is_never_played_twice_back_to_back(name):
    """A recording longer than WHOLE_BOUT_S holds a call or a bout: after it, a pause at least as long."""
    length = int((WHOLE_BOUT_S + 0.8) * SR)
    for seed in range(10):
        events = one_shot_events(length, SR, 120 * SR, seed=seed, rhythm=RHYTHMS[name])
        for a, b in zip(events, events[1:], strict=False):
            assert b.start - a.start >= 2 * length / a.rate - 1


def test_first_event_comes_early():
    for name, rhythm in RHYTHMS.items():
        for seed in range(20):
            first = one_shot_events(int(0.3 * SR), SR, 10 * SR, seed=seed, rhythm=rhythm)[0].start
            assert first <= max(rhythm.first_s[1], 0.25) * SR, name
    short = one_shot_events(int(0.1 * SR), SR, int(2.0 * SR), seed=0, rhythm=RHYTHMS["horn"])
    assert short[0].start <= 0.5 * SR  # at most a quarter of a short clip in


@pytest.mark.parametrize(
    "phrases, rhythm",
    [
        (("horn", "car horn", "honk"), "horn"),
        (("ship", "boat", "ship horn"), "rare"),
        (("truck", "lorry", "truck horn"), "horn"),
        (("2 dogs barking",), "bark"),
        (("bird", "birds", "birdsong"), "song"),
        (("Cows",), "moo"),
        (("footsteps on snow", "footsteps"), "walk"),
        (("zebra crossing",), "default"),
        ((), "default"),
    ],
)
def test_rhythm_for_reads_what_the_recording_is(phrases, rhythm):
    assert rhythm_for(*phrases) is RHYTHMS[rhythm]


def test_rhythm_changes_the_output_and_stays_seeded():
    y = bark()
    horn = extend_one_shot(y, SR, 20.0, seed=1, rhythm=RHYTHMS["horn"])
    barks = extend_one_shot(y, SR, 20.0, seed=1, rhythm=RHYTHMS["bark"])
    assert np.array_equal(horn, extend_one_shot(y, SR, 20.0, seed=1, rhythm=RHYTHMS["horn"]))
    frame = int(0.02 * SR)

    def busy(out):
        rms = np.sqrt(np.mean(out[: out.size // frame * frame].reshape(-1, frame).astype(float) ** 2, axis=1))
        return np.mean(rms > 0.1 * rms.max())

    assert busy(horn) < 0.5 * busy(barks)


def test_custom_rhythm():
    rhythm = Rhythm(bout=(3, 3), within_s=(0.2, 0.2), between_s=(5.0, 5.0), first_s=(0.0, 0.0))
    events = one_shot_events(int(0.1 * SR), SR, 30 * SR, seed=0, rhythm=rhythm, pitch_semitones=0.0)
    starts = np.array([e.start for e in events]) / SR
    assert starts[0] == 0.0
    assert np.allclose(np.diff(starts)[:3], [0.3, 0.3, 5.1], atol=0.01)
