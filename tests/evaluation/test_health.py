"""Signal health: BS.1770 loudness against pyloudnorm, true peak, clipping, DC, dual mono, LFE content."""

import numpy as np
import pyloudnorm
import pytest

from see2sound.evaluation.health import (
    clipped_samples,
    integrated_loudness,
    is_dual_mono,
    k_weighting_filters,
    lfe_above_cutoff_db,
    loudness_weights,
    signal_health,
    true_peak_dbtp,
)
from see2sound.formats import FORMATS

from ._signals import SR


def _noise(channels, seconds=3.0, seed=0):
    rng = np.random.default_rng(seed)
    return rng.standard_normal((channels, int(seconds * SR))) * rng.uniform(0.02, 0.2, (channels, 1))


def test_k_weighting_at_48k_has_the_coefficients_tabulated_in_bs1770():
    (b1, a1), (b2, a2) = k_weighting_filters(48000)
    assert np.allclose(b1, [1.53512485958697, -2.69169618940638, 1.19839281085285], atol=1e-8)
    assert np.allclose(a1, [1.0, -1.69065929318241, 0.73248077421585], atol=1e-8)
    assert np.allclose(b2, [1.0, -2.0, 1.0])
    assert np.allclose(a2, [1.0, -1.99004745483398, 0.99007225036621], atol=1e-8)


def _meter(rate):
    return pyloudnorm.Meter(rate, filter_class="DeMan")  # pyloudnorm's exact BS.1770 filters


def test_full_scale_sine_in_one_channel_is_minus_three_lufs():
    t = np.arange(3 * SR) / SR
    y = np.stack([np.sin(2 * np.pi * 997 * t), np.zeros_like(t)])
    assert integrated_loudness(y, SR, np.ones(2)) == pytest.approx(-3.01, abs=0.03)


@pytest.mark.parametrize("rate", [44100, 48000])
def test_stereo_loudness_matches_pyloudnorm(rate):
    y = _noise(2)
    expected = _meter(rate).integrated_loudness(y.T)
    measured = integrated_loudness(y, rate, loudness_weights(FORMATS["stereo"]))
    assert measured == pytest.approx(expected, abs=0.02)


def test_51_loudness_matches_pyloudnorm_without_the_lfe():
    y = _noise(6, seed=4)
    five = y[[0, 1, 2, 4, 5]]  # pyloudnorm weights by position: L R C Ls Rs
    expected = _meter(SR).integrated_loudness(five.T)
    measured = signal_health(y, SR, FORMATS["5.1"])["loudness_lufs"]
    assert measured == pytest.approx(expected, abs=0.02)


def test_gating_ignores_silence_as_bs1770_does():
    y = _noise(2)
    padded = np.concatenate([np.zeros((2, 2 * SR)), y, np.zeros((2, 5 * SR))], axis=1)
    w = np.ones(2)
    expected = _meter(SR).integrated_loudness(padded.T)
    assert integrated_loudness(padded, SR, w) == pytest.approx(expected, abs=0.02)
    assert integrated_loudness(np.zeros((2, SR)), SR, w) == float("-inf")
    assert integrated_loudness(y[:, : SR // 4], SR, w) == float("-inf")  # shorter than one 400 ms block


def test_side_loudspeakers_weigh_more_heights_and_lfe_do_not_count():
    w = dict(zip(FORMATS["7.1.4"].channels, loudness_weights(FORMATS["7.1.4"]), strict=True))
    assert w["Lss"] == w["Rss"] == 1.41
    assert w["Lrs"] == w["Ltf"] == w["C"] == 1.0
    assert w["LFE"] == 0.0
    assert loudness_weights(FORMATS["foa"]).tolist() == [1.0, 0.0, 0.0, 0.0]


def test_true_peak_sees_the_peak_between_samples():
    # a sine at fs/4 sampled at ±45°: every sample is 0.707 of the real peak
    n = np.arange(SR)
    fade = np.minimum(1.0, np.minimum(n, n[::-1]) / 2000.0)  # no abrupt edges (they ring)
    y = (0.9 * fade * np.sin(2 * np.pi * n / 4 + np.pi / 4))[None]
    assert 20 * np.log10(np.max(np.abs(y))) == pytest.approx(20 * np.log10(0.9) - 3.01, abs=0.01)
    assert true_peak_dbtp(y) == pytest.approx(20 * np.log10(0.9), abs=0.1)


def test_clipped_samples_are_counted():
    t = np.arange(SR) / SR
    y = np.clip(1.5 * np.sin(2 * np.pi * 100 * t), -1, 1)[None]
    assert clipped_samples(y) == int(np.count_nonzero(np.abs(1.5 * np.sin(2 * np.pi * 100 * t)) >= 0.9999))
    assert clipped_samples(0.5 * y) == 0


def test_dual_mono_is_flagged_and_real_stereo_is_not():
    s = _noise(1)[0]
    assert is_dual_mono(np.stack([s, s]))
    assert not is_dual_mono(np.stack([s, 0.5 * s]))  # a pan, not dual mono
    assert not is_dual_mono(_noise(2))
    assert not is_dual_mono(np.stack([s, np.zeros_like(s)]))
    health = signal_health(np.stack([s, s]), SR, FORMATS["binaural"])
    assert health["dual_mono"] and health["max_interchannel_coherence"] == pytest.approx(1.0)


def test_dc_and_lfe_content():
    t = np.arange(SR) / SR
    y = np.zeros((6, SR))
    y[0] = 0.1 * np.sin(2 * np.pi * 440 * t) + 0.05
    y[3] = 0.5 * np.sin(2 * np.pi * 50 * t)
    health = signal_health(y, SR, FORMATS["5.1"])
    assert health["dc_offset_max"] == pytest.approx(0.05, abs=1e-4)
    assert health["lfe_above_120hz_db"] < -60.0
    assert lfe_above_cutoff_db(np.sin(2 * np.pi * 1000 * t), SR) == pytest.approx(0.0, abs=0.01)
    assert lfe_above_cutoff_db(np.zeros(100), SR) is None


def test_health_of_a_clean_712_render_has_every_field():
    health = signal_health(_noise(12) * 0.1, SR, FORMATS["7.1.4"])
    assert health["clipped_samples"] == 0 and health["nonfinite_samples"] == 0
    assert health["loudness_lufs"] < 0 and health["true_peak_dbtp"] < 0
    assert health["lfe_above_120hz_db"] > -1.0  # white noise in the LFE: nearly all above 120 Hz
