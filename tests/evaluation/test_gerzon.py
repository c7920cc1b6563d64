"""Gerzon vectors on loudspeaker feeds built by hand from the tangent law and the ITU angles."""

import numpy as np
import pytest

from see2sound.evaluation.gerzon import energy_vector, gerzon_vectors
from see2sound.formats import FORMATS

from ._signals import SR, noise, unit

# ITU-R BS.775 / BS.2051 angles, written again here for the test
EXPECTED = {
    "L": (30, 0),
    "R": (-30, 0),
    "C": (0, 0),
    "Ls": (110, 0),
    "Rs": (-110, 0),
    "Lss": (90, 0),
    "Rss": (-90, 0),
    "Lrs": (135, 0),
    "Rrs": (-135, 0),
    "Ltf": (45, 45),
    "Rtf": (-45, 45),
    "Ltr": (135, 45),
    "Rtr": (-135, 45),
}


def _angle(a, b):
    return np.degrees(np.arccos(np.clip(np.dot(a, b) / np.linalg.norm(a) / np.linalg.norm(b), -1, 1)))


@pytest.mark.parametrize("name", ["stereo", "5.1", "7.1", "7.1.4"])
def test_one_loudspeaker_points_at_itself(name):
    fmt = FORMATS[name]
    s = noise(0.5)
    for i, channel in enumerate(fmt.channels):
        if channel == "LFE":
            continue
        y = np.zeros((fmt.n_channels, s.size))
        y[i] = s
        _, r_e, r_v = gerzon_vectors(y, SR, fmt)
        target = unit(*EXPECTED[channel])
        assert _angle(r_e[0], target) < 1e-6
        assert _angle(r_v[0], target) < 1e-6
        assert np.linalg.norm(r_e[0]) == pytest.approx(1.0)


@pytest.mark.parametrize("target_deg", [3.0, 11.0, 20.0, 27.0])
def test_tangent_law_pan_between_c_and_l(target_deg):
    # tan(θ − 15°) / tan(15°) = (g_L − g_C) / (g_L + g_C): the velocity vector of these gains is at θ exactly
    r = np.tan(np.radians(target_deg - 15.0)) / np.tan(np.radians(15.0))
    g_c, g_l = 1 - r, 1 + r
    s = noise(0.5)
    y = np.zeros((6, s.size))
    y[2], y[0] = g_c * s, g_l * s
    _, _, r_v = gerzon_vectors(y, SR, FORMATS["5.1"])
    assert np.degrees(np.arctan2(r_v[0][1], r_v[0][0])) == pytest.approx(target_deg, abs=0.05)
    # the same law on powers puts the energy vector there
    y[2], y[0] = np.sqrt(g_c) * s, np.sqrt(g_l) * s
    _, r_e, _ = gerzon_vectors(y, SR, FORMATS["5.1"])
    assert np.degrees(np.arctan2(r_e[0][1], r_e[0][0])) == pytest.approx(target_deg, abs=0.05)
    assert np.linalg.norm(r_e[0]) < 1.0  # a phantom image is less sharp than a loudspeaker


def test_velocity_vector_keeps_the_sign_of_out_of_phase_feeds():
    s = noise(0.5)
    y = np.zeros((2, s.size))
    y[0], y[1] = s, -0.5 * s  # anti-phase right channel pushes the velocity vector beyond L
    _, r_e, r_v = gerzon_vectors(y, SR, FORMATS["stereo"])
    assert np.degrees(np.arctan2(r_v[0][1], r_v[0][0])) > 30.0
    assert 0 < np.degrees(np.arctan2(r_e[0][1], r_e[0][0])) < 30.0


def test_energy_vector_of_equal_powers_opposite_is_zero_length():
    speakers = np.array([unit(90), unit(-90)])
    assert np.linalg.norm(energy_vector(np.array([1.0, 1.0]), speakers)) == pytest.approx(0.0, abs=1e-12)


def test_lfe_is_ignored():
    s = noise(0.5)
    y = np.zeros((6, s.size))
    y[1], y[3] = s, 10 * s  # R plus a loud LFE
    _, r_e, _ = gerzon_vectors(y, SR, FORMATS["5.1"])
    assert _angle(r_e[0], unit(-30)) < 1e-6
