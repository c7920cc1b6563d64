"""Real spherical harmonics as AmbiX uses them: ACN order, SN3D normalisation, no Condon-Shortley phase."""

from __future__ import annotations

from math import factorial

import numpy as np
from scipy.special import lpmv


def sn3d_harmonics(vectors: np.ndarray, order: int) -> np.ndarray:
    """SN3D real spherical harmonics ``(n_dirs, (order + 1)²)`` in ACN order at unit vectors ``(n_dirs, 3)``.

    Y_nm = sqrt((2 − δ_m0) (n − |m|)! / (n + |m|)!) P_n^|m|(sin el) · (cos |m|az if m ≥ 0 else sin |m|az),
    so first order is W = 1, Y = y, Z = z, X = x for a unit vector (x, y, z).
    """
    v = np.atleast_2d(np.asarray(vectors, dtype=float))
    az = np.arctan2(v[:, 1], v[:, 0])
    sin_el = np.clip(v[:, 2] / np.linalg.norm(v, axis=1), -1.0, 1.0)
    out = np.empty((v.shape[0], (order + 1) ** 2))
    for n in range(order + 1):
        for m in range(-n, n + 1):
            # scipy's lpmv includes the Condon-Shortley phase (−1)^m; AmbiX does not.
            am = abs(m)
            norm = np.sqrt((2.0 - (m == 0)) * factorial(n - am) / factorial(n + am))
            legendre = (-1.0) ** am * lpmv(am, n, sin_el)
            trig = np.cos(am * az) if m >= 0 else np.sin(am * az)
            out[:, n * n + n + m] = norm * legendre * trig
    return out


def ambisonic_order(n_channels: int) -> int:
    """The order N of a full-sphere ambisonic signal with (N + 1)² channels."""
    order = int(round(np.sqrt(n_channels))) - 1
    if (order + 1) ** 2 != n_channels:
        raise ValueError(f"{n_channels} channels is not (N + 1)² for any ambisonic order N")
    return order
