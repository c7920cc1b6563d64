"""Active intensity, spherical harmonics and energy maps on plane waves with closed-form SN3D gains."""

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from see2sound.evaluation.energy_map import energy_map, intended_energy_map, map_correlation, sphere_grid
from see2sound.evaluation.intensity import intensity_directions
from see2sound.evaluation.sph import sn3d_harmonics

from ._signals import SR, ambix_plane_wave, noise, unit

DIRECTIONS = [(0, 0), (90, 0), (-135, 0), (40, 20), (-70, -35), (170, 60)]


def _angle(a, b):
    return np.degrees(np.arccos(np.clip(np.dot(a, b) / np.linalg.norm(a) / np.linalg.norm(b), -1, 1)))


@pytest.mark.parametrize(("az", "el"), DIRECTIONS)
def test_sn3d_harmonics_match_the_closed_form_table(az, el):
    expected = ambix_plane_wave(np.ones(1), az, el, order=2)[:, 0]
    assert np.allclose(sn3d_harmonics(unit(az, el)[None], 2)[0], expected, atol=1e-12)


@pytest.mark.parametrize(("az", "el"), DIRECTIONS)
@pytest.mark.parametrize("order", [1, 2])
def test_intensity_finds_a_plane_wave(az, el, order):
    y = ambix_plane_wave(noise(0.5), az, el, order)
    _, vectors, psi = intensity_directions(y, SR)
    assert _angle(vectors[0], unit(az, el)) < 0.01
    assert psi[0] == pytest.approx(0.0, abs=1e-9)


def test_diffuse_field_has_high_diffuseness():
    rng = np.random.default_rng(1)
    y = sum(
        ambix_plane_wave(rng.standard_normal(SR // 2), az, el, 1)
        for az, el in [(0, 0), (180, 0), (90, 0), (-90, 0), (0, 90), (0, -90)]
    )
    _, _, psi = intensity_directions(y, SR)
    assert psi[0] > 0.8


def test_two_sources_give_an_energy_weighted_direction_between_them():
    rng = np.random.default_rng(2)
    y = ambix_plane_wave(rng.standard_normal(SR), 20, 0, 1)
    y = y + ambix_plane_wave(rng.standard_normal(SR), -20, 0, 1)
    _, vectors, _ = intensity_directions(y, SR, block_s=1.0)
    assert abs(np.degrees(np.arctan2(vectors[0][1], vectors[0][0]))) < 2.0


@pytest.mark.parametrize("order", [1, 2])
def test_energy_map_peaks_at_the_source_and_correlates_with_the_intended_map(order):
    grid = sphere_grid(4.0)
    y = ambix_plane_wave(noise(0.5), 60, 10, order)
    m = energy_map(y, grid)
    assert _angle(grid[np.argmax(m)], unit(60, 10)) < 4.0
    right = intended_energy_map(grid, [unit(60, 10)[None]], [1.0], order)
    wrong = intended_energy_map(grid, [unit(-120, -10)[None]], [1.0], order)
    assert map_correlation(m, right, grid) > 0.999
    assert map_correlation(m, wrong, grid) < 0.0


@settings(max_examples=25, deadline=None)
@given(az=st.floats(-180, 180), el=st.floats(-85, 85))
def test_intensity_round_trip_any_direction(az, el):
    y = ambix_plane_wave(noise(0.1, seed=4), az, el, 1)
    _, vectors, _ = intensity_directions(y, SR, block_s=0.1)
    assert _angle(vectors[0], unit(az, el)) < 0.01
