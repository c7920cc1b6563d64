"""Distance gain, air absorption (ISO 9613-1) and fractional delays, including Doppler."""

from __future__ import annotations

import numpy as np
import pytest
from scipy.signal import butter, sosfiltfilt

from see2sound.spatial.delay import delay_fir, delay_varying, propagation_delay_samples, windowed_sinc
from see2sound.spatial.distance import (
    SPEED_OF_SOUND_M_S,
    air_absorption_db_per_m,
    apply_air_absorption,
    distance_gain,
)

SR = 48000


def _band_limited_noise(n: int, cutoff: float, seed: int = 0) -> np.ndarray:
    sos = butter(10, cutoff, fs=SR, output="sos")
    return sosfiltfilt(sos, np.random.default_rng(seed).standard_normal(n))


def test_inverse_distance_law_relative_to_one_metre():
    g = distance_gain([1.0, 2.0, 4.0, 10.0])
    np.testing.assert_allclose(20 * np.log10(g), [0.0, -6.0206, -12.0412, -20.0], atol=1e-3)
    assert distance_gain(0.01, min_distance_m=0.25) == pytest.approx(4.0)


@pytest.mark.parametrize(
    ("frequency_hz", "db_per_km"),
    # ISO 9613-2 Table 2 (from ISO 9613-1), 20 °C, 70 % relative humidity
    [(125, 0.3), (500, 2.8), (1000, 5.0), (2000, 9.0), (4000, 22.9), (8000, 76.6)],
)
def test_air_absorption_matches_iso_table(frequency_hz, db_per_km):
    got = float(air_absorption_db_per_m(frequency_hz, temperature_c=20.0, humidity_pct=70.0)) * 1000
    assert got == pytest.approx(db_per_km, rel=0.05, abs=0.06)


def test_air_absorption_filters_high_tones_only():
    t = np.arange(SR) / SR
    distance = 200.0
    for f in (200.0, 8000.0):
        tone = np.sin(2 * np.pi * f * t)
        out = apply_air_absorption(tone, SR, distance)
        mid = slice(SR // 4, 3 * SR // 4)
        got_db = 20 * np.log10(np.std(out[mid]) / np.std(tone[mid]))
        expected_db = -float(air_absorption_db_per_m(f)) * distance
        assert got_db == pytest.approx(expected_db, abs=0.1)
    # a moving source: the attenuation follows the distance of each moment
    tone = np.sin(2 * np.pi * 8000 * t)
    ramp = np.linspace(0.0, 400.0, SR)
    out = apply_air_absorption(tone, SR, ramp)
    early, late = np.std(out[SR // 10 : SR // 5]), np.std(out[-SR // 5 : -SR // 10])
    assert early > 2 * late


def test_fir_delay_integer_and_fractional():
    x = _band_limited_noise(4800, 8000)
    np.testing.assert_allclose(delay_fir(x, 37.0)[37:], x[:-37], atol=1e-12)
    np.testing.assert_allclose(delay_fir(x, 0.0), x, atol=1e-12)
    twice = delay_fir(delay_fir(x, 10.5), 10.5)
    assert np.abs(twice - delay_fir(x, 21.0))[100:-100].max() < 2e-3 * np.abs(x).max()
    assert delay_fir(x, 5000.0).shape == (4800,)
    np.testing.assert_allclose(delay_fir(x, 5000.0), 0.0)  # arrives after the end


def test_windowed_sinc_is_flat_and_linear_phase_in_the_passband():
    h = windowed_sinc(0.3)
    freqs = np.linspace(0, 0.4, 200)  # cycles per sample
    response = np.exp(-2j * np.pi * np.outer(freqs, np.arange(81))) @ h
    assert np.abs(20 * np.log10(np.abs(response))).max() < 0.05
    group = -np.gradient(np.unwrap(np.angle(response)), 2 * np.pi * freqs)
    np.testing.assert_allclose(group, 40.3, atol=0.01)


def test_varying_delay_with_a_constant_delay_equals_the_fixed_one():
    x = _band_limited_noise(9600, 4000, seed=1)
    d = 123.37
    lagrange = delay_varying(x, np.full(9600, d))
    fixed = delay_fir(x, d)
    err = np.abs(lagrange - fixed)[200:-200].max() / np.abs(fixed).max()
    assert 20 * np.log10(err) < -50


def test_varying_delay_keeps_the_treble_at_every_fractional_position():
    x = _band_limited_noise(24000, 0.4 * SR, seed=2)
    for frac in (0.0, 0.25, 0.5, 0.75):
        out = delay_varying(x, np.full(len(x), 50.0 + frac))
        ratio_db = 20 * np.log10(np.std(out[500:-500]) / np.std(delay_fir(x, 50.0 + frac)[500:-500]))
        assert abs(ratio_db) < 0.05


def test_approaching_source_is_doppler_shifted():
    """A source approaching at v: a tone of f arrives at f·c/(c − v) (the delay shrinks by v/c per second)."""
    f, v = 1000.0, 20.0
    n = SR * 2
    t = np.arange(n) / SR
    tone = np.sin(2 * np.pi * f * t)
    hop = 128
    distance_ctrl = 100.0 - v * np.arange(n // hop + 1) * hop / SR
    out = delay_varying(tone, propagation_delay_samples(distance_ctrl, hop, n, SR))
    seg = out[SR // 2 : SR // 2 + SR]
    spectrum = np.abs(np.fft.rfft(seg * np.hanning(len(seg)), 16 * len(seg)))
    measured = np.argmax(spectrum) * SR / (16 * len(seg))
    assert measured == pytest.approx(f * SPEED_OF_SOUND_M_S / (SPEED_OF_SOUND_M_S - v), abs=1.0)


def test_varying_delay_checks_its_input():
    with pytest.raises(ValueError, match="one delay per sample"):
        delay_varying(np.zeros(10), np.zeros(9))
