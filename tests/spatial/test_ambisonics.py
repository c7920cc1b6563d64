"""AmbiX encoding: SN3D real spherical harmonics in ACN order, checked against SciPy and by physics."""

from __future__ import annotations

import math

import numpy as np
import pytest
from scipy.special import sph_harm_y

from see2sound.errors import See2SoundError
from see2sound.geometry import angle_between_deg, direction_to_vector
from see2sound.spatial.ambisonics import acn_degree_index, encode_ambisonics, n_ambisonic_channels, sh_sn3d


def _sn3d_from_scipy(order: int, directions: np.ndarray) -> np.ndarray:
    """Independent reference: SciPy's complex orthonormal SH → real → SN3D, without Condon–Shortley phase."""
    x, y, z = directions.T
    polar = np.arccos(np.clip(z, -1, 1))
    azimuth = np.arctan2(y, x)
    cols = []
    for acn in range(n_ambisonic_channels(order)):
        n, m = acn_degree_index(acn)
        ynm = sph_harm_y(n, abs(m), polar, azimuth)
        if m > 0:
            real = math.sqrt(2) * (-1) ** m * ynm.real
        elif m < 0:
            real = math.sqrt(2) * (-1) ** m * ynm.imag
        else:
            real = ynm.real
        cols.append(real * math.sqrt(4 * math.pi / (2 * n + 1)))
    return np.stack(cols, axis=-1)


def _sphere_quadrature(n_points: int = 16):
    """Gauss–Legendre in cos(polar) × uniform azimuth: exact for polynomials of degree < 2·n_points."""
    nodes, weights = np.polynomial.legendre.leggauss(n_points)
    phi = np.arange(2 * n_points) * np.pi / n_points
    z, ph = np.meshgrid(nodes, phi, indexing="ij")
    w = np.repeat(weights, 2 * n_points) * (np.pi / n_points)
    r = np.sqrt(1 - z.ravel() ** 2)
    return np.stack([r * np.cos(ph.ravel()), r * np.sin(ph.ravel()), z.ravel()], axis=-1), w


def test_closed_form_matches_scipy_spherical_harmonics():
    d = np.random.default_rng(0).standard_normal((500, 3))
    d /= np.linalg.norm(d, axis=1, keepdims=True)
    np.testing.assert_allclose(sh_sn3d(3, d), _sn3d_from_scipy(3, d), atol=1e-12)


def test_sn3d_norms_and_orthogonality_over_the_sphere():
    d, w = _sphere_quadrature()
    y = sh_sn3d(3, d)
    gram = (y * w[:, None]).T @ y / (4 * np.pi)
    degrees = np.array([acn_degree_index(i)[0] for i in range(16)])
    np.testing.assert_allclose(gram, np.diag(1.0 / (2 * degrees + 1)), atol=1e-12)


def test_ambix_channel_values():
    # AmbiX first order is W Y Z X with W = 1 (SN3D): a source on the left is pure Y, above is pure Z
    np.testing.assert_allclose(
        sh_sn3d(1, np.array([[0, 1, 0], [0, 0, 1], [1, 0, 0]])),
        [[1, 1, 0, 0], [1, 0, 1, 0], [1, 0, 0, 1]],
        atol=1e-15,
    )
    # SN3D maximum of every component is 1 (the point of the normalisation)
    d, _ = _sphere_quadrature(64)
    assert np.abs(sh_sn3d(3, d)).max() <= 1.0 + 1e-12
    assert [acn_degree_index(i) for i in (0, 1, 2, 3, 4, 8, 9, 15)] == [
        (0, 0),
        (1, -1),
        (1, 0),
        (1, 1),
        (2, -2),
        (2, 2),
        (3, -3),
        (3, 3),
    ]


@pytest.mark.parametrize("order", [1, 2, 3])
def test_active_intensity_points_at_the_source(order):
    rng = np.random.default_rng(order)
    s = rng.standard_normal(4800)
    az = rng.uniform(-180, 180, 20)
    el = rng.uniform(-85, 85, 20)
    for target in direction_to_vector(az, el):
        b = encode_ambisonics(s, target, order)
        assert b.shape == (n_ambisonic_channels(order), 4800)
        w, y, z, x = b[:4]
        intensity = np.array([np.mean(w * x), np.mean(w * y), np.mean(w * z)])
        assert angle_between_deg(intensity, target) < 0.01
        # W carries the source unchanged (SN3D)
        np.testing.assert_allclose(w, s)


def test_hoa_beam_peaks_at_the_source():
    """A max-directivity beam Σ(2n+1)·Y(d)·b over the sphere peaks at the encoded direction."""
    target = direction_to_vector(-57.0, 23.0)
    gains = sh_sn3d(3, target[None])[0]
    grid = direction_to_vector(*np.meshgrid(np.arange(-180, 180, 1.0), np.arange(-89, 90, 1.0)))
    grid = grid.reshape(-1, 3)
    weights = np.array([2 * acn_degree_index(i)[0] + 1 for i in range(16)])
    response = sh_sn3d(3, grid) @ (weights * gains)
    assert angle_between_deg(grid[np.argmax(response)], target) <= 1.0


def test_order_out_of_range_is_refused():
    with pytest.raises(See2SoundError, match="order"):
        sh_sn3d(4, np.array([[1.0, 0, 0]]))
