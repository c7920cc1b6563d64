"""The horizon and the sky of a picture, from image evidence rather than colour alone.

Two cues, each with a strength:

* **The edge**: the row where the picture changes most across its whole width. For every column the
  mean colour (and texture) of a band above each row is compared with a band below it; the profile's
  30th percentile over the columns is high only for a transition that spans most of the width (a
  horizon, a shore line), not for one object's outline.
* **The sky**: segments connected to the top edge through smooth, bright, blue / white / grey
  segments (a dark blue night sky too) that do not reach the bottom of the picture (a white
  background does). The horizon is then just under the sky, read in the columns where the sky reaches
  lowest (trees and buildings hide it elsewhere).

Where both agree the edge gives the row (it is sharper); a sky that reaches far below a strong edge
is cut there (a lake mirroring the sky is one colour with it). No sky and no strong edge: no horizon.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from .segmentation import Segments

EDGE_BAND = 0.04  # height of the bands compared above and below each row, fraction of the height
EDGE_MIN_STRENGTH = 0.06  # colour difference (RGB in [0, 1], 30th pct. over the columns) over the median
SKY_MIN_COLUMNS = 0.3  # the sky must span this share of the columns to set the horizon
SKY_MIN_AREA = 0.03  # less sky than this share of the frame is a stray bright patch, not sky


@dataclass
class Horizon:
    """The horizon row (pixels of the analysed picture, ``None`` when not seen) and how it was found."""

    row: float | None
    confidence: float  # 0..1
    source: str  # "sky", "edge", "sky+edge" or "none"
    edge_row: float | None = None
    edge_strength: float = 0.0


def band(x, lo, hi, soft):
    """1 inside [lo, hi], falling linearly to 0 over ``soft`` outside."""
    x = np.asarray(x, dtype=float)
    return np.clip(np.minimum((x - lo) / soft + 1.0, (hi - x) / soft + 1.0), 0.0, 1.0)


def hue_band(hue, lo, hi, soft=15.0):
    """1 for hues (degrees) inside [lo, hi], falling to 0 over ``soft`` degrees outside (circular)."""
    hue = np.asarray(hue, dtype=float) % 360
    centre = (lo + hi) / 2
    diff = np.abs((hue - centre + 180) % 360 - 180)
    return np.clip(1.0 - (diff - (hi - lo) / 2) / soft, 0.0, 1.0)


def edge_profile(image: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Rows and strength of the full-width transition at each row (see the module notes)."""
    rgb = np.asarray(image, dtype=np.float32) / 255.0
    h, w = rgb.shape[:2]
    k = max(2, round(EDGE_BAND * h))
    if h < 2 * k + 2:
        return np.zeros(0), np.zeros(0)
    grey = rgb.mean(axis=2)
    texture = np.zeros_like(grey)
    texture[1:-1] = np.abs(grey[2:] + grey[:-2] - 2 * grey[1:-1])  # vertical ripple energy
    features = np.concatenate([rgb, 2.0 * texture[..., None]], axis=2)
    cs = np.concatenate([np.zeros((1, *features.shape[1:]), np.float32), np.cumsum(features, axis=0)])
    rows = np.arange(k, h - k + 1)
    step = (cs[rows + k] - 2 * cs[rows] + cs[rows - k]) / k  # band below minus band above
    diff = np.sqrt(np.einsum("rcf,rcf->rc", step, step))  # (rows, columns)
    q = int(0.3 * (w - 1))  # the 30th percentile over the columns
    return rows.astype(float), np.partition(diff, q, axis=1)[:, q].astype(float)


def edge_horizon(image: np.ndarray) -> tuple[float | None, float]:
    """The strongest full-width transition between 8 % and 92 % of the height: (row, strength over the
    profile's median)."""
    rows, strength = edge_profile(image)
    h = image.shape[0]
    inside = (rows >= 0.08 * h) & (rows <= 0.92 * h)
    if not inside.any():
        return None, 0.0
    rows, strength = rows[inside], strength[inside]
    best = int(np.argmax(strength))
    # prominence over the profile's median: a random texture changes as much at every row
    return float(rows[best]), float(strength[best] - np.median(strength))


def sky_likeness(seg: Segments) -> np.ndarray:
    """How much each segment looks like sky by itself: smooth, and blue, bright grey/white or night blue."""
    hue, sat, val = seg.mean_hsv.T
    smooth = band(seg.texture, 0.0, 0.05, 0.07)
    blue = hue_band(hue, 185, 245, 20) * band(sat, 0.08, 0.9, 0.08) * band(val, 0.35, 1.0, 0.15)
    order = np.argsort(val)
    share = np.cumsum(seg.area[order]) / max(float(seg.area.sum()), 1.0)
    bright = float(val[order][min(np.searchsorted(share, 0.9), len(val) - 1)])  # 90th pct. by area
    # an overcast sky is neutral or bluish grey; a warm off-white is a wall or a background
    cool = np.maximum(band(sat, 0.0, 0.06, 0.04), hue_band(hue, 180, 260, 30))
    overcast = band(sat, 0.0, 0.18, 0.08) * cool * band(val, max(0.6, bright - 0.15), 1.0, 0.1)
    night = hue_band(hue, 200, 260, 20) * band(sat, 0.25, 1.0, 0.1) * band(val, 0.06, 0.4, 0.08) * 0.8
    return np.maximum(np.maximum(blue, overcast), night) * smooth


def find_sky(seg: Segments, adjacency: np.ndarray, likeness: np.ndarray | None = None) -> np.ndarray:
    """Sky segments: reachable from the top edge through sky-like segments, never touching the bottom,
    together at least :data:`SKY_MIN_AREA` of the frame."""
    likeness = sky_likeness(seg) if likeness is None else likeness
    h = seg.labels.shape[0]
    allowed = (likeness >= 0.5) & ~seg.touches_bottom & (seg.centroid_yx[:, 0] < 0.75 * h)
    sky = allowed & seg.touches_top
    while True:
        grown = sky | (allowed & adjacency[:, sky].any(axis=1))
        if (grown == sky).all():
            break
        sky = grown
    if seg.area[sky].sum() < SKY_MIN_AREA * seg.labels.size or _is_ceiling(seg, sky):
        sky[:] = False
    return sky


def _is_ceiling(seg: Segments, sky: np.ndarray) -> bool:
    """A grey or white "sky" that ends along one straight row is a ceiling or a wall's top (a real
    sky's lower edge is ragged with trees and roofs, or blue above a sea)."""
    hue, sat, _ = seg.mean_hsv[sky].T
    blue = np.average(hue_band(hue, 185, 245, 20) * band(sat, 0.08, 1.0, 0.08), weights=seg.area[sky])
    if blue >= 0.5:
        return False
    mask = sky[seg.labels]
    columns = mask.any(axis=0)
    lowest = mask.shape[0] - 1 - np.argmax(mask[::-1, columns], axis=0)
    return bool(columns.mean() > 0.9 and np.std(lowest) < 0.01 * mask.shape[0])


def sky_horizon(seg: Segments, sky: np.ndarray) -> float | None:
    """The row just under the sky where it reaches lowest, or ``None`` when it spans too few columns."""
    mask = sky[seg.labels]
    columns = mask.any(axis=0)
    if columns.mean() < SKY_MIN_COLUMNS:
        return None
    h = mask.shape[0]
    lowest = h - 1 - np.argmax(mask[::-1, columns], axis=0)
    return float(np.percentile(lowest, 75) + 1)


def split_at_row(
    labels: np.ndarray, row: float, eligible: np.ndarray, min_share: float = 0.1
) -> np.ndarray | None:
    """Labels with every ``eligible`` segment that straddles ``row`` (at least ``min_share`` of it on
    each side) cut in two there; ``None`` when nothing straddles it."""
    r = int(round(row))
    n = int(labels.max()) + 1
    above = np.bincount(labels[:r].ravel(), minlength=n)
    below = np.bincount(labels[r:].ravel(), minlength=n)
    total = np.maximum(above + below, 1)
    straddle = eligible & (above >= min_share * total) & (below >= min_share * total)
    if not straddle.any():
        return None
    new_id = np.full(n, -1)
    new_id[straddle] = n + np.arange(int(straddle.sum()))
    out = labels.copy()
    lower = out[r:]
    moved = straddle[lower]
    lower[moved] = new_id[lower[moved]]
    return out


def combine(sky_row: float | None, edge_row: float | None, edge_strength: float, h: int) -> Horizon:
    """One horizon from the sky's lower boundary and the strongest full-width edge."""
    edge_conf = float(np.clip((edge_strength - 0.5 * EDGE_MIN_STRENGTH) / (2 * EDGE_MIN_STRENGTH), 0, 1))
    if sky_row is not None:
        if edge_row is not None and edge_conf > 0.3 and abs(edge_row - sky_row) < 0.08 * h:
            return Horizon(edge_row, min(1.0, 0.7 + 0.3 * edge_conf), "sky+edge", edge_row, edge_strength)
        return Horizon(float(np.clip(sky_row, 0.05 * h, 0.95 * h)), 0.7, "sky", edge_row, edge_strength)
    if edge_row is not None and edge_strength >= EDGE_MIN_STRENGTH:
        return Horizon(edge_row, 0.5 * edge_conf, "edge", edge_row, edge_strength)
    return Horizon(None, 0.0, "none", edge_row, edge_strength)
