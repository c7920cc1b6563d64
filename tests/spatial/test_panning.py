"""Panning: the energy vector of one source points at it wherever loudspeakers surround it."""

from __future__ import annotations

import numpy as np
import pytest

from see2sound.errors import See2SoundError
from see2sound.geometry import angle_between_deg, direction_to_vector, vector_to_direction
from see2sound.spatial.layouts import get_layout
from see2sound.spatial.panning import Panner, energy_vector, panning_gains, velocity_vector


def _horizontal_error_deg(layout: str, azimuth_deg: np.ndarray, law: str = "vbip") -> np.ndarray:
    p = Panner(layout, law)
    targets = direction_to_vector(azimuth_deg, np.zeros_like(azimuth_deg))
    g = p.gains(targets)
    vector = energy_vector(g, p.vectors) if law == "vbip" else velocity_vector(g, p.vectors)
    return angle_between_deg(vector, targets)


def test_layout_angles_follow_itu():
    l51 = get_layout("5.1")
    assert l51.channels == ("L", "R", "C", "LFE", "Ls", "Rs") and l51.lfe_index == 3
    np.testing.assert_array_equal(l51.azimuth_deg, [30, -30, 0, 110, -110])
    l714 = get_layout("7.1.4")
    assert l714.n_speakers == 11 and l714.is_3d
    np.testing.assert_array_equal(l714.elevation_deg[-4:], [45, 45, 45, 45])
    np.testing.assert_array_equal(l714.azimuth_deg[-4:], [45, -45, 135, -135])
    assert get_layout("stereo").lfe_index is None
    with pytest.raises(See2SoundError, match="not a loudspeaker layout"):
        get_layout("foa")


@pytest.mark.parametrize("layout", ["5.1", "7.1"])
def test_energy_vector_on_target_all_around(layout):
    az = np.linspace(-180, 180, 1441)
    assert _horizontal_error_deg(layout, az).max() < 1.0


def test_energy_vector_on_target_between_stereo_speakers():
    az = np.linspace(-30, 30, 241)
    assert _horizontal_error_deg("stereo", az).max() < 1.0


def test_vbap_places_velocity_vector_on_target():
    az = np.linspace(-180, 180, 721)
    assert _horizontal_error_deg("5.1", az, law="vbap").max() < 1.0


def test_energy_vector_on_3d_targets_for_714():
    az, el = np.meshgrid(np.linspace(-180, 180, 73), np.linspace(0, 90, 19))
    targets = direction_to_vector(az.ravel(), el.ravel())
    p = Panner("7.1.4")
    g = p.gains(targets)
    assert angle_between_deg(energy_vector(g, p.vectors), targets).max() < 1.0


def test_below_horizon_on_714_keeps_azimuth_at_ear_level():
    az = np.linspace(-180, 180, 73)
    p = Panner("7.1.4")
    g = p.gains(direction_to_vector(az, np.full_like(az, -40.0)))
    assert np.all(g[:, -4:] == 0)  # folded onto the ear-level ring, not the heights
    ev_az, ev_el = vector_to_direction(energy_vector(g, p.vectors))
    np.testing.assert_allclose(ev_el, 0.0, atol=1e-9)
    assert np.abs((ev_az - az + 180) % 360 - 180).max() < 1.0


def test_nothing_is_silenced_and_power_is_one():
    for name in ("stereo", "5.1", "7.1", "7.1.4"):
        p = Panner(name)
        rng = np.random.default_rng(1)
        d = rng.standard_normal((2000, 3))
        g = p.gains(d)
        np.testing.assert_allclose((g**2).sum(axis=1), 1.0, atol=1e-12)
        assert np.all(g.max(axis=1) > 0.3)
    straight_down = Panner("7.1.4").gains(np.array([[0.0, 0.0, -1.0]]))[0]
    assert np.all(straight_down[:7] > 0.3)  # the whole ear-level ring plays


def test_source_at_a_speaker_plays_from_that_speaker_only():
    for name in ("stereo", "5.1", "7.1", "7.1.4"):
        p = Panner(name)
        g = p.gains(p.vectors)
        np.testing.assert_allclose(g, np.eye(p.layout.n_speakers), atol=1e-6)


def test_behind_a_stereo_pair_mirrors_to_the_front():
    g = panning_gains("stereo", direction_to_vector([150.0, 90.0, -90.0, 180.0, 170.0], [0.0] * 5))
    np.testing.assert_allclose(g[0], [1, 0], atol=1e-12)  # 150° plays like 30°: L
    np.testing.assert_allclose(g[1], [1, 0], atol=1e-12)  # hard left
    np.testing.assert_allclose(g[2], [0, 1], atol=1e-12)  # hard right
    np.testing.assert_allclose(g[3] ** 2, [0.5, 0.5], atol=1e-12)  # behind = centre
    assert g[4, 0] > g[4, 1] > 0  # 170° ~ 10° left of centre


@pytest.mark.parametrize("layout", ["5.1", "7.1.4"])
def test_gains_are_continuous_along_paths(layout):
    p = Panner(layout)
    t = np.linspace(0, 1, 20001)
    paths = [
        direction_to_vector(360 * t - 180, np.zeros_like(t)),  # horizontal circle
        direction_to_vector(np.full_like(t, 70.0), 180 * t - 90),  # meridian through both poles
        direction_to_vector(720 * t, 60 * np.sin(6 * np.pi * t) - 20),  # wavy spiral
    ]
    for path in paths:
        g = p.gains(path)
        step = np.abs(np.diff(g, axis=0)).max()
        assert step < 0.1, step  # 0.018° apart: a jump would be far larger


def test_bad_directions_are_refused():
    with pytest.raises(See2SoundError, match="finite"):
        panning_gains("5.1", np.array([[np.nan, 0.0, 0.0]]))
    with pytest.raises(See2SoundError, match="finite"):
        panning_gains("5.1", np.zeros((1, 3)))
    with pytest.raises(See2SoundError, match="panning law"):
        Panner("5.1", law="dbap")
