"""Spherical energy maps of AmbiX signals and their correlation with the intended map (ViSAGe, Kim et al.
2025).

The signal is steered over a grid of directions with SH weights and the RMS is taken over time; ViSAGe then
compares maps by Pearson correlation. We compute the RMS exactly from the channel covariance (E(v)² =
bᵀCb), and
build the intended map as the map a perfect render of the scene's sources would give: uncorrelated plane waves
at the intended directions, weighted by each source's energy.
"""

from __future__ import annotations

import numpy as np

from ..geometry import direction_to_vector
from .sph import ambisonic_order, sn3d_harmonics


def sphere_grid(step_deg: float = 2.0) -> np.ndarray:
    """Unit vectors ``(n, 3)`` of an azimuth/elevation grid with ``step_deg`` spacing (cell centres)."""
    az = np.arange(-180.0 + step_deg / 2, 180.0, step_deg)
    el = np.arange(-90.0 + step_deg / 2, 90.0, step_deg)
    aa, ee = np.meshgrid(az, el)
    return direction_to_vector(aa.ravel(), ee.ravel())


def beam_weights(grid: np.ndarray, order: int) -> np.ndarray:
    """Plane-wave decomposition weights ``(n, (N+1)²)``: the beam of a unit plane wave is 1 at its direction.

    For SN3D, Σ_m Y_nm(v) Y_nm(u) = P_n(cos γ), so weighting order n by (2n + 1)/(N + 1)² gives a beam
    Σ_n (2n + 1) P_n(cos γ) / (N + 1)², equal to 1 at γ = 0.
    """
    y = sn3d_harmonics(grid, order)
    scale = np.concatenate([np.full(2 * n + 1, (2 * n + 1) / (order + 1) ** 2) for n in range(order + 1)])
    return y * scale


def energy_map(y: np.ndarray, grid: np.ndarray) -> np.ndarray:
    """RMS over time of the beam output at each grid direction, for AmbiX ``y`` ``(channels, samples)``."""
    y = np.asarray(y, dtype=float)
    order = ambisonic_order(y.shape[0])
    cov = (y @ y.T) / max(y.shape[1], 1)
    b = beam_weights(grid, order)
    return np.sqrt(np.maximum(np.einsum("gi,ij,gj->g", b, cov, b), 0.0))


def intended_energy_map(
    grid: np.ndarray, directions: list[np.ndarray], energies: list[float], order: int
) -> np.ndarray:
    """The map a perfect order-``order`` render gives for uncorrelated sources.

    ``directions[i]`` holds the unit vectors ``(t, 3)`` of source ``i`` over time (one row for a fixed
    source),
    ``energies[i]`` its mean power; a moving source spreads its power evenly over its path.
    """
    b = beam_weights(grid, order)
    power = np.zeros(grid.shape[0])
    for dirs, energy in zip(directions, energies, strict=True):
        beams = b @ sn3d_harmonics(np.atleast_2d(dirs), order).T  # (grid, t)
        power += energy * np.mean(beams**2, axis=1)
    return np.sqrt(power)


def map_correlation(a: np.ndarray, b: np.ndarray, grid: np.ndarray | None = None) -> float:
    """Pearson correlation of two maps; with ``grid`` each cell is weighted by its solid angle (cos el)."""
    w = np.ones_like(a) if grid is None else np.sqrt(np.maximum(1.0 - grid[:, 2] ** 2, 0.0))
    w = w / w.sum()
    da, db = a - np.sum(w * a), b - np.sum(w * b)
    denom = np.sqrt(np.sum(w * da**2) * np.sum(w * db**2))
    return float(np.sum(w * da * db) / denom) if denom > 0 else 0.0
