"""Clips longer than a minute are made of crossfaded pieces: exact length, seeded, no level jump at joins."""

from __future__ import annotations

import numpy as np
import pytest

from see2sound.sound.synth import CROSSFADE_S, LONG_S, SEGMENT_S, synthesize

SR = 8000


@pytest.mark.parametrize("sound_class", ["wind", "traffic", "crowd"])
def test_long_clip_is_exact_seeded_and_joins_keep_the_level(sound_class):
    duration = LONG_S + 17.3
    y = synthesize(sound_class, duration, SR, seed=5)
    assert y.shape == (int(round(duration * SR)),) and y.dtype == np.float32
    assert np.all(np.isfinite(y)) and np.max(np.abs(y)) <= 0.8911
    assert np.array_equal(y, synthesize(sound_class, duration, SR, seed=5))
    assert not np.array_equal(y, synthesize(sound_class, duration, SR, seed=6))
    # short-time level (1 s windows) through each crossfade stays within the clip's own spread
    win = SR
    levels = 10 * np.log10(
        np.array([np.mean(y[i : i + win] ** 2) for i in range(0, len(y) - win, win)]) + 1e-12
    )
    spread = np.percentile(levels, 95) - np.percentile(levels, 5)
    for k in range(1, int(duration // SEGMENT_S) + 1):
        join = int(k * SEGMENT_S * SR + CROSSFADE_S * SR / 2) // win
        if join + 1 < len(levels):
            assert abs(levels[join] - np.median(levels)) <= spread + 1.0
