"""The paper's similarity metrics, computed along time and independent of level."""

import numpy as np
import pytest

from see2sound.evaluation.similarity import chroma_profile, compare_signals, dtw_cost

RATE = 22050


def _tone(freq, seconds=2.0, rate=RATE):
    t = np.arange(int(seconds * rate)) / rate
    return np.sin(2 * np.pi * freq * t)


def _chirp(f0, f1, seconds=2.0, rate=RATE):
    t = np.arange(int(seconds * rate)) / rate
    return np.sin(2 * np.pi * (f0 * t + (f1 - f0) * t**2 / (2 * seconds)))


def test_identical_and_scaled_signals_score_one():
    y = np.random.default_rng(0).standard_normal(RATE * 2)
    assert all(v == 1.0 for v in compare_signals(y, y, RATE, RATE).values())
    assert compare_signals(y, 0.01 * y, RATE, RATE)["overall"] == pytest.approx(1.0, abs=1e-6)


def test_rate_does_not_matter():
    a = _chirp(200, 2000, rate=RATE)
    b = _chirp(200, 2000, rate=48000)
    assert compare_signals(a, b, RATE, 48000)["mfcc_dtw"] > 0.9


def test_dtw_runs_along_time():
    assert dtw_cost(np.array([[0.0, 1.0, 2.0]]), np.array([[0.0, 1.0, 1.0, 2.0]])) == 0.0
    up = _chirp(200, 4000)
    slow_up = _chirp(200, 4000, seconds=3.0)  # same sound, stretched in time
    down = _chirp(4000, 200)  # same spectrum on average, opposite order in time
    stretched = compare_signals(up, slow_up, RATE, RATE)["mfcc_dtw"]
    reversed_ = compare_signals(up, down, RATE, RATE)["mfcc_dtw"]
    assert stretched > reversed_ + 0.1


def test_chroma_knows_octaves():
    a440, a880, c523 = _tone(440), _tone(880), _tone(523.25)
    assert np.argmax(chroma_profile(a440)) == 0
    assert compare_signals(a440, a880, RATE, RATE)["chroma"] > 0.9
    assert compare_signals(a440, c523, RATE, RATE)["chroma"] < 0.2


def test_rhythm_compares_tempo():
    def clicks(period_s, offset_s=0.0, seconds=8.0):
        y = np.zeros(int(seconds * RATE))
        y[(np.arange(offset_s, seconds, period_s) * RATE).astype(int)] = 1.0
        return y + 1e-4 * np.random.default_rng(1).standard_normal(y.size)

    base = clicks(0.5)
    assert compare_signals(base, clicks(0.5, 0.13), RATE, RATE)["rhythm"] > 0.9
    assert compare_signals(base, clicks(0.37), RATE, RATE)["rhythm"] < 0.75


def test_different_sounds_score_lower():
    noise = np.random.default_rng(0).standard_normal(RATE * 2)
    scores = compare_signals(noise, _tone(440), RATE, RATE)
    assert scores["overall"] < 0.5
    assert scores["zcr"] < 0.7
