"""Directions in the listener frame (DESIGN §2): x forward, y left, z up; azimuth counter-clockwise.

Degrees in files and on the command line, radians inside the DSP.
"""

from __future__ import annotations

import numpy as np


def direction_to_vector(azimuth_deg, elevation_deg) -> np.ndarray:
    """Unit vectors ``(..., 3)`` for azimuth/elevation in degrees (+90° azimuth = left, +90° = up)."""
    az = np.radians(np.asarray(azimuth_deg, dtype=float))
    el = np.radians(np.asarray(elevation_deg, dtype=float))
    return np.stack([np.cos(el) * np.cos(az), np.cos(el) * np.sin(az), np.sin(el)], axis=-1)


def vector_to_direction(vector) -> tuple[np.ndarray, np.ndarray]:
    """Azimuth and elevation in degrees of vectors ``(..., 3)`` (any length > 0)."""
    v = np.asarray(vector, dtype=float)
    x, y, z = v[..., 0], v[..., 1], v[..., 2]
    azimuth = np.degrees(np.arctan2(y, x))
    elevation = np.degrees(np.arctan2(z, np.hypot(x, y)))
    return azimuth, elevation


def angle_between_deg(a, b) -> np.ndarray:
    """Great-circle angle in degrees between vectors ``a`` and ``b`` (``(..., 3)``, any length)."""
    a = np.asarray(a, dtype=float)
    b = np.asarray(b, dtype=float)
    cross = np.linalg.norm(np.cross(a, b), axis=-1)
    dot = np.sum(a * b, axis=-1)
    return np.degrees(np.arctan2(cross, dot))


def wrap_azimuth_deg(azimuth_deg):
    """Wrap azimuths to (-180, 180]."""
    wrapped = (np.asarray(azimuth_deg, dtype=float) + 180.0) % 360.0 - 180.0
    return np.where(wrapped == -180.0, 180.0, wrapped)


def slerp(u0: np.ndarray, u1: np.ndarray, fraction) -> np.ndarray:
    """Spherical linear interpolation between unit vectors ``u0`` and ``u1`` at ``fraction`` ``(n,)``.

    Antipodal endpoints have no unique great circle; the path then passes through a direction
    perpendicular to both, chosen deterministically (towards +z, else +y).
    """
    f = np.asarray(fraction, dtype=float)[..., None]
    dot = float(np.clip(np.dot(u0, u1), -1.0, 1.0))
    if dot > 1.0 - 1e-12:
        return np.broadcast_to(u0, f.shape[:-1] + (3,)).copy()
    if dot < -1.0 + 1e-9:
        helper = np.array([0.0, 0.0, 1.0]) if abs(u0[2]) < 0.9 else np.array([0.0, 1.0, 0.0])
        mid = helper - np.dot(helper, u0) * u0
        mid /= np.linalg.norm(mid)
        # two quarter-circle slerps through ``mid``
        first = f[..., 0] < 0.5
        out = np.empty(f.shape[:-1] + (3,))
        out[first] = slerp(u0, mid, 2 * f[first, 0])
        out[~first] = slerp(mid, u1, 2 * f[~first, 0] - 1)
        return out
    omega = np.arccos(dot)
    s = np.sin(omega)
    return (np.sin((1 - f) * omega) * u0 + np.sin(f * omega) * u1) / s
