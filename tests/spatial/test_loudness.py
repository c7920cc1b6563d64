"""Loudness (BS.1770-4) against pyloudnorm and FFmpeg's ebur128, and the true-peak limiter."""

from __future__ import annotations

import numpy as np
import pyloudnorm
import pytest

from see2sound.media.audio import write_audio
from see2sound.spatial.limiter import limit_true_peak, true_peak
from see2sound.spatial.loudness import channel_weights, integrated_loudness, k_weighting_sos, loudness_of

from .ffmpeg_meter import ffmpeg_ebur128

SR = 48000


def _programme(n_channels: int, seconds: float = 3.0, seed: int = 0) -> np.ndarray:
    """Noise with a different level and a pause per channel (exercises the gates)."""
    rng = np.random.default_rng(seed)
    n = int(seconds * SR)
    y = rng.standard_normal((n_channels, n)) * rng.uniform(0.02, 0.2, (n_channels, 1))
    y[:, n // 3 : n // 3 + SR // 2] *= 0.001
    return y


def test_k_weighting_matches_bs1770_coefficients_at_48k():
    sos = k_weighting_sos(48000)
    np.testing.assert_allclose(sos[0, :3], [1.53512485958697, -2.69169618940638, 1.19839281085285], rtol=1e-6)
    np.testing.assert_allclose(sos[0, 4:], [-1.69065929318241, 0.73248077421585], rtol=1e-6)
    np.testing.assert_allclose(sos[1, 4:], [-1.99004745483398, 0.99007225036621], rtol=1e-6)


def test_full_scale_1k_sine_reads_minus_3():
    t = np.arange(SR * 3) / SR
    assert integrated_loudness(np.sin(2 * np.pi * 997 * t)[None], SR) == pytest.approx(-3.01, abs=0.02)


@pytest.mark.parametrize("n_channels", [1, 2, 5])
def test_agrees_with_pyloudnorm(n_channels):
    y = _programme(n_channels, seed=n_channels)
    weights = [1.0, 1.0, 1.0, 1.41, 1.41][:n_channels]  # pyloudnorm's positional weights (L R C Ls Rs)
    ref = pyloudnorm.Meter(SR).integrated_loudness(y.T)
    # pyloudnorm rounds its K-weighting prototype (1500 Hz, +4 dB) differently: a few hundredths of a LU
    assert integrated_loudness(y, SR, weights) == pytest.approx(ref, abs=0.1)


def test_channel_weights_per_format():
    np.testing.assert_array_equal(channel_weights("5.1"), [1, 1, 1, 0, 1.41, 1.41])
    np.testing.assert_array_equal(channel_weights("7.1"), [1, 1, 1, 0, 1, 1, 1.41, 1.41])
    np.testing.assert_array_equal(channel_weights("7.1.4")[8:], [1, 1, 1, 1])
    np.testing.assert_array_equal(channel_weights("binaural"), [1, 1])
    np.testing.assert_array_equal(channel_weights("foa"), [1, 0, 0, 0])


@pytest.mark.parametrize("fmt", ["stereo", "5.1"])
def test_agrees_with_ffmpeg_ebur128(fmt, tmp_path):
    from see2sound.formats import get_format

    n_ch = get_format(fmt).n_channels
    y = _programme(n_ch, seed=7)
    path = write_audio(tmp_path / "x.wav", y.astype(np.float32), SR, fmt, subtype="FLOAT")
    ours = loudness_of(y.astype(np.float32), SR, fmt)  # the LFE is excluded by both
    assert ours == pytest.approx(ffmpeg_ebur128(path)["I"], abs=0.1)


def test_silence_and_short_signals_have_no_loudness():
    assert integrated_loudness(np.zeros((2, SR)), SR) == float("-inf")
    assert integrated_loudness(np.ones((1, SR // 10)), SR) == float("-inf")


def test_true_peak_sees_inter_sample_peaks():
    # a sine at fs/4 sampled 45° off its crests: samples at 0.707, the true peak is 1.0
    n = np.arange(4800)
    y = np.sin(2 * np.pi * n / 4 + np.pi / 4)[None]
    assert np.abs(y).max() == pytest.approx(np.sqrt(0.5))
    assert true_peak(y) == pytest.approx(1.0, abs=0.02)  # (the abrupt start rings a little)


def test_limiter_holds_the_ceiling_smoothly():
    rng = np.random.default_rng(3)
    y = rng.standard_normal((2, SR * 2)) * 0.05
    y[:, SR : SR + 200] += 3.0 * np.sin(2 * np.pi * 1000 * np.arange(200) / SR)  # a loud burst
    out = limit_true_peak(y, SR, -1.0)
    assert true_peak(out, oversample=8) <= 10 ** (-1.0 / 20) * 1.003
    gain = out[0] / y[0]
    assert np.abs(np.diff(gain)).max() < 0.01  # a smooth envelope, not a clip
    np.testing.assert_allclose(out[:, : SR // 2], y[:, : SR // 2])  # untouched away from the burst
    quiet = rng.standard_normal((2, SR)) * 0.01
    assert limit_true_peak(quiet, SR, -1.0) is quiet
