"""Monocular depth cues turned into metres: ground plane and horizon, support/occlusion, haze.

- **Ground plane** (Hoiem et al. 2005, "pop-up" scenes): a camera at height ``h`` above flat ground sees
  the ground at elevation ``-e`` below the horizon at distance ``h / sin(e)``. A segment that stands on
  the ground is as far as the point where it touches it (its lowest row).
- **Support and occlusion**: a segment that does not reach below the horizon (a tree crown, the top of a
  building) rests on or stands behind what lies directly below it, so it takes that segment's distance.
- **Haze** (He et al. 2009, dark channel prior): distant scene points are washed out towards the
  atmospheric light; ``-ln t`` grows with distance. A weak cue, weighted lightly and only outdoors.

All distances are along the ray from the listener (not along the optical axis).
"""

from __future__ import annotations

import numpy as np
from scipy import ndimage

OUTDOOR_RANGE_M = (1.0, 150.0)
INDOOR_RANGE_M = (0.5, 12.0)
OUTDOOR_CAMERA_HEIGHT_M = 1.6
INDOOR_CAMERA_HEIGHT_M = 1.2


def ground_plane_distance(elevation_deg, horizon_elevation_deg: float = 0.0, camera_height_m: float = 1.6):
    """Distance in metres to flat ground seen at ``elevation_deg`` (``inf`` at or above the horizon).

    Examples
    --------
    >>> round(float(ground_plane_distance(-30.0, camera_height_m=1.5)), 6)
    3.0
    """
    below = np.radians(horizon_elevation_deg - np.asarray(elevation_deg, dtype=float))
    with np.errstate(divide="ignore"):
        return np.where(below > 1e-6, camera_height_m / np.sin(np.clip(below, 1e-6, np.pi / 2)), np.inf)


def dark_channel(image: np.ndarray, patch: int = 15) -> np.ndarray:
    """Dark channel (He et al. 2009): minimum over the colours and a ``patch`` neighbourhood, in [0, 1]."""
    rgb = np.asarray(image, dtype=float) / 255.0
    return ndimage.minimum_filter(rgb.min(axis=2), size=patch, mode="nearest")


def haze_transmission(image: np.ndarray, patch: int = 15, omega: float = 0.95) -> np.ndarray:
    """Estimated transmission ``t`` in (0, 1] per pixel from the dark channel prior."""
    dark = dark_channel(image, patch)
    brightest = np.quantile(dark, 0.999)
    atmosphere = max(float(brightest), 1e-3)
    return np.clip(1.0 - omega * dark / atmosphere, 0.05, 1.0)


def log_interpolate(fraction, near_m: float, far_m: float):
    """``near * (far / near) ** fraction`` (fraction clipped to [0, 1])."""
    return near_m * (far_m / near_m) ** np.clip(fraction, 0.0, 1.0)


def segment_contact_distance(
    labels: np.ndarray,
    ground_distance: np.ndarray,
    is_sky: np.ndarray,
    far_m: float,
) -> np.ndarray:
    """Distance of each segment from where it touches the ground, or what supports it from below.

    Parameters
    ----------
    labels : ndarray, shape (H, W)
        Segment label map, 0..n-1.
    ground_distance : ndarray, shape (H, W)
        Ground-plane distance of each pixel (``inf`` at and above the horizon).
    is_sky : ndarray, shape (n,)
        Segments that are sky: infinitely far, clipped to ``far_m``.
    far_m : float
        The far limit in metres.
    """
    h, w = labels.shape
    n = int(labels.max()) + 1
    slices = ndimage.find_objects(labels + 1, max_label=n)
    bottom = np.array([sl[0].stop - 1 if sl else -1 for sl in slices])
    distance = np.full(n, np.nan)
    distance[is_sky] = far_m
    # process from the lowest-reaching segment upwards so supports are known before what rests on them
    for i in np.argsort(-bottom, kind="stable"):
        if is_sky[i]:
            continue
        bottom_row = bottom[i]
        cols = np.flatnonzero(labels[bottom_row] == i)
        contact = np.median(ground_distance[bottom_row, cols]) if cols.size else np.inf
        if np.isfinite(contact):
            distance[i] = contact
            continue
        # rests on (or is seen behind) the segment just below it
        below = bottom_row + 1
        if below < h:
            mask = labels == i
            low = np.zeros_like(mask)
            low[1:] = mask[:-1] & ~mask[1:]
            under = labels[low]
            under = under[(under != i) & np.isfinite(distance[under])]
            if under.size:
                distance[i] = float(np.median(distance[under]))
                continue
        distance[i] = far_m * 0.5
    return np.minimum(distance, far_m)


def combine_log(estimates: list[np.ndarray], weights: list[float]) -> np.ndarray:
    """Weighted geometric mean of positive distance estimates (NaN entries are ignored)."""
    logs = np.stack([np.log(np.asarray(e, dtype=float)) for e in estimates])
    w = np.asarray(weights, dtype=float)[:, None] * np.isfinite(logs).reshape(len(estimates), -1)
    logs = np.nan_to_num(logs.reshape(len(estimates), -1), nan=0.0, posinf=0.0, neginf=0.0)
    out = np.exp((w * logs).sum(0) / np.maximum(w.sum(0), 1e-12))
    return out.reshape(np.shape(estimates[0]))
