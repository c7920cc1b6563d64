"""AmbiX encoding: real spherical harmonics in ACN order with SN3D normalisation, orders 0–3.

Closed-form polynomials in the unit vector (x forward, y left, z up), as in the AmbiX proposal
(Nachbar, Zotter, Deleflie & Sontacchi 2011) and the ACN/SN3D table of the Ambisonic Data Exchange
Formats. SN3D: ``(1/4π) ∮ Y_nm² dΩ = 1/(2n+1)``; ``W`` = 1, first order ``Y Z X`` = ``y z x``.
"""

from __future__ import annotations

import numpy as np

from ..errors import See2SoundError

MAX_ORDER = 3


def n_ambisonic_channels(order: int) -> int:
    """``(order + 1)²`` channels for a full-sphere order."""
    return (order + 1) ** 2


def acn_degree_index(acn: int) -> tuple[int, int]:
    """Degree ``n`` and index ``m`` (−n ≤ m ≤ n) of ACN channel ``acn = n² + n + m``."""
    n = int(np.floor(np.sqrt(acn)))
    return n, acn - n * n - n


def sh_sn3d(order: int, directions: np.ndarray) -> np.ndarray:
    """Real SN3D spherical harmonics in ACN order, ``(m, (order+1)²)``, for unit vectors ``(m, 3)``.

    Examples
    --------
    >>> np.round(sh_sn3d(1, np.array([[0.0, 1.0, 0.0]])), 6)   # a source on the left: W = 1, Y = 1
    array([[1., 1., 0., 0.]])
    """
    if not 0 <= order <= MAX_ORDER:
        raise See2SoundError(f"ambisonic order must be 0 to {MAX_ORDER}, got {order}")
    d = np.atleast_2d(np.asarray(directions, dtype=float))
    d = d / np.linalg.norm(d, axis=-1, keepdims=True)
    x, y, z = d[:, 0], d[:, 1], d[:, 2]
    cols = [np.ones_like(x)]
    if order >= 1:
        cols += [y, z, x]
    if order >= 2:
        s3 = np.sqrt(3.0)
        cols += [
            s3 * x * y,
            s3 * y * z,
            0.5 * (3 * z * z - 1),
            s3 * x * z,
            0.5 * s3 * (x * x - y * y),
        ]
    if order >= 3:
        a, b, c = np.sqrt(5.0 / 8.0), np.sqrt(15.0), np.sqrt(3.0 / 8.0)
        cols += [
            a * y * (3 * x * x - y * y),
            b * x * y * z,
            c * y * (5 * z * z - 1),
            0.5 * z * (5 * z * z - 3),
            c * x * (5 * z * z - 1),
            0.5 * b * z * (x * x - y * y),
            a * x * (x * x - 3 * y * y),
        ]
    return np.stack(cols, axis=-1)


def encode_ambisonics(signal: np.ndarray, directions: np.ndarray, order: int) -> np.ndarray:
    """Encode a mono signal as a plane wave from a fixed direction: ``(channels, samples)``.

    Parameters
    ----------
    signal : ndarray, shape (n,)
    directions : ndarray, shape (3,)
        Unit vector of the source.
    order : int
        Ambisonic order, 1 to 3.

    Returns
    -------
    ndarray, shape ((order+1)², n)
        AmbiX (ACN/SN3D) signals.

    See Also
    --------
    see2sound.spatial.render.render_sources : moving sources, distance and many sources at once.
    """
    gains = sh_sn3d(order, np.asarray(directions, dtype=float).reshape(1, 3))[0]
    return gains[:, None] * np.asarray(signal)[None, :]
