"""Pixels to directions and back, for pinhole and equirectangular pictures (DESIGN §2).

Pixel coordinates are indices: pixel ``(u, v)`` is column ``u``, row ``v`` and its centre sits at ``(u, v)``.
Pinhole: the camera sits at the listener and looks along +x; pixel ``(u, v)`` maps to the ray
``(f, -(u - cx), -(v - cy))`` with the principal point at the picture centre, ``cx = (W - 1) / 2``,
``cy = (H - 1) / 2``, and ``f = (W / 2) / tan(hfov / 2)`` in pixels. Equirectangular: column ``u`` maps to
azimuth ``180 - 360 (u + 0.5) / W`` and row ``v`` to elevation ``90 - 180 (v + 0.5) / H``.
"""

from __future__ import annotations

import math
from functools import lru_cache

import numpy as np

from ..errors import See2SoundError
from ..geometry import vector_to_direction, wrap_azimuth_deg

DEFAULT_HFOV_DEG = 65.0
PROJECTIONS = ("perspective", "equirect")


def check_projection(projection: str, hfov_deg: float | None = None) -> None:
    """Raise :class:`See2SoundError` for an unknown projection or a field of view outside (0, 180)."""
    if projection not in PROJECTIONS:
        raise See2SoundError(f"projection: unknown {projection!r}; choose perspective or equirect")
    if projection == "perspective" and hfov_deg is not None and not 0.0 < float(hfov_deg) < 180.0:
        raise See2SoundError(f"fov: {hfov_deg} degrees is outside (0, 180) for a perspective picture")


def focal_length_px(width: int, hfov_deg: float) -> float:
    """Pinhole focal length in pixels of a picture ``width`` pixels wide, horizontal field ``hfov_deg``."""
    return (width / 2.0) / math.tan(math.radians(hfov_deg) / 2.0)


def pixel_to_ray(u, v, width: int, height: int, hfov_deg: float) -> np.ndarray:
    """Pinhole rays ``(..., 3)`` (not normalised, x component = ``f``) of pixels ``(u, v)``."""
    f = focal_length_px(width, hfov_deg)
    u = np.asarray(u, dtype=float)
    v = np.asarray(v, dtype=float)
    cx, cy = (width - 1) / 2.0, (height - 1) / 2.0
    u, v = np.broadcast_arrays(u, v)
    return np.stack([np.full(u.shape, f), -(u - cx), -(v - cy)], axis=-1)


def equirect_to_direction(u, v, width: int, height: int) -> tuple[np.ndarray, np.ndarray]:
    """Azimuth and elevation in degrees of equirectangular pixels ``(u, v)`` (centre column = front)."""
    az = 180.0 - 360.0 * (np.asarray(u, dtype=float) + 0.5) / width
    el = 90.0 - 180.0 * (np.asarray(v, dtype=float) + 0.5) / height
    return wrap_azimuth_deg(az), el


def direction_to_equirect(
    azimuth_deg, elevation_deg, width: int, height: int
) -> tuple[np.ndarray, np.ndarray]:
    """Equirectangular pixel coordinates ``(u, v)`` of directions; ``u`` in ``[-0.5, W - 0.5)``."""
    az = np.asarray(azimuth_deg, dtype=float)
    u = (180.0 - az) / 360.0 * width - 0.5
    u = np.mod(u + 0.5, width) - 0.5
    v = (90.0 - np.asarray(elevation_deg, dtype=float)) / 180.0 * height - 0.5
    return u, v


def pixel_to_direction(
    u, v, width: int, height: int, hfov_deg: float = DEFAULT_HFOV_DEG, projection: str = "perspective"
) -> tuple[np.ndarray, np.ndarray]:
    """Azimuth and elevation in degrees of pixels ``(u, v)`` of a picture (DESIGN §2).

    Examples
    --------
    >>> az, el = pixel_to_direction(0, 239.5, 640, 480, 90.0)
    >>> round(float(az), 3), abs(round(float(el), 3))
    (44.955, 0.0)
    """
    if projection == "equirect":
        return equirect_to_direction(u, v, width, height)
    return vector_to_direction(pixel_to_ray(u, v, width, height, hfov_deg))


def direction_to_pixel(
    azimuth_deg,
    elevation_deg,
    width: int,
    height: int,
    hfov_deg: float = DEFAULT_HFOV_DEG,
    projection: str = "perspective",
) -> tuple[np.ndarray, np.ndarray]:
    """Pixel coordinates of directions; for a pinhole, directions behind the camera give NaN."""
    if projection == "equirect":
        return direction_to_equirect(azimuth_deg, elevation_deg, width, height)
    az = np.radians(np.asarray(azimuth_deg, dtype=float))
    el = np.radians(np.asarray(elevation_deg, dtype=float))
    x = np.cos(el) * np.cos(az)
    y = np.cos(el) * np.sin(az)
    z = np.sin(el)
    f = focal_length_px(width, hfov_deg)
    with np.errstate(divide="ignore", invalid="ignore"):
        u = np.where(x > 0, (width - 1) / 2.0 - f * y / x, np.nan)
        v = np.where(x > 0, (height - 1) / 2.0 - f * z / x, np.nan)
    return u, v


def axial_depth_to_distance(depth_m, u, v, width: int, height: int, hfov_deg: float) -> np.ndarray:
    """Distance along the ray in metres from depth along the optical axis at pixels ``(u, v)``."""
    ray = pixel_to_ray(u, v, width, height, hfov_deg)
    return np.asarray(depth_m, dtype=float) * np.linalg.norm(ray, axis=-1) / ray[..., 0]


def distance_to_axial_depth(distance_m, u, v, width: int, height: int, hfov_deg: float) -> np.ndarray:
    """Depth along the optical axis from distance along the ray (undoes :func:`axial_depth_to_distance`)."""
    ray = pixel_to_ray(u, v, width, height, hfov_deg)
    return np.asarray(distance_m, dtype=float) * ray[..., 0] / np.linalg.norm(ray, axis=-1)


def direction_grid(
    width: int, height: int, hfov_deg: float = DEFAULT_HFOV_DEG, projection: str = "perspective"
) -> tuple[np.ndarray, np.ndarray]:
    """Azimuth and elevation in degrees of every pixel, each ``(height, width)`` (read-only arrays,
    shared between calls with the same arguments: the frames of a video all use one grid)."""
    return _direction_grid(int(width), int(height), float(hfov_deg), projection)


@lru_cache(maxsize=8)
def _direction_grid(width: int, height: int, hfov_deg: float, projection: str):
    v, u = np.mgrid[0:height, 0:width]
    az, el = pixel_to_direction(u, v, width, height, hfov_deg, projection)
    az, el = np.asarray(az, dtype=float), np.asarray(el, dtype=float)
    az.flags.writeable = el.flags.writeable = False
    return az, el
