"""Shape of a region mask: axis-aligned box, minimum-area rectangle (paper eqs. 2-3) and centroid."""

from __future__ import annotations

import numpy as np


def mask_box(mask: np.ndarray) -> tuple[float, float, float, float]:
    """Axis-aligned box ``(x0, y0, x1, y1)`` in pixels enclosing the mask (``x1``/``y1`` exclusive)."""
    rows = np.flatnonzero(mask.any(axis=1))
    cols = np.flatnonzero(mask.any(axis=0))
    if rows.size == 0:
        raise ValueError("empty mask has no box")
    return float(cols[0]), float(rows[0]), float(cols[-1] + 1), float(rows[-1] + 1)


def mask_centroid(mask: np.ndarray) -> tuple[float, float]:
    """Centroid ``(u, v)`` of the mask's pixel centres."""
    v, u = np.nonzero(mask)
    if u.size == 0:
        raise ValueError("empty mask has no centroid")
    return float(u.mean()), float(v.mean())


def min_area_rectangle(mask: np.ndarray) -> np.ndarray:
    """Corners ``(4, 2)`` as ``(x, y)`` of the smallest-area rectangle enclosing the mask's pixels.

    Rotating calipers over the convex hull of the pixel squares: the optimal rectangle has one side on
    a hull edge (Freeman & Shapira 1975), the paper's eqs. 2-3 (minimum-area polygon of the region).
    """
    mask = np.asarray(mask, dtype=bool)
    rows = np.flatnonzero(mask.any(axis=1))
    if rows.size == 0:
        raise ValueError("empty mask has no rectangle")
    # hull vertices are corners of the leftmost or rightmost pixel square of some row
    sub = mask[rows]
    left = np.argmax(sub, axis=1).astype(float)
    right = (mask.shape[1] - np.argmax(sub[:, ::-1], axis=1)).astype(float)
    r = rows.astype(float)
    corners = np.concatenate([np.stack([x, r + dv], axis=1) for x in (left, right) for dv in (0.0, 1.0)])
    hull = _convex_hull(corners)
    if len(hull) < 3:
        x0, y0 = corners.min(axis=0)
        x1, y1 = corners.max(axis=0)
        return np.array([[x0, y0], [x1, y0], [x1, y1], [x0, y1]])
    edges = np.diff(np.vstack([hull, hull[:1]]), axis=0)
    angles = np.unique(np.mod(np.arctan2(edges[:, 1], edges[:, 0]), np.pi / 2))
    cos, sin = np.cos(angles), np.sin(angles)
    # hull points in each candidate frame: (n_angles, n_points)
    xs = hull[:, 0][None, :] * cos[:, None] + hull[:, 1][None, :] * sin[:, None]
    ys = -hull[:, 0][None, :] * sin[:, None] + hull[:, 1][None, :] * cos[:, None]
    areas = (xs.max(1) - xs.min(1)) * (ys.max(1) - ys.min(1))
    i = int(np.argmin(areas))
    x0, x1, y0, y1 = xs[i].min(), xs[i].max(), ys[i].min(), ys[i].max()
    local = np.array([[x0, y0], [x1, y0], [x1, y1], [x0, y1]])
    c, s = cos[i], sin[i]
    return np.stack([local[:, 0] * c - local[:, 1] * s, local[:, 0] * s + local[:, 1] * c], axis=1)


def _convex_hull(points: np.ndarray) -> np.ndarray:
    """Andrew's monotone chain; points ``(n, 2)`` -> hull vertices counter-clockwise."""
    pts = np.unique(points, axis=0)
    if len(pts) < 3:
        return pts

    def half(seq: np.ndarray) -> list:
        out: list = []
        for p in seq:
            while len(out) >= 2 and _cross(out[-2], out[-1], p) <= 0:
                out.pop()
            out.append(p)
        return out

    lower = half(pts)
    upper = half(pts[::-1])
    return np.array(lower[:-1] + upper[:-1])


def _cross(o: np.ndarray, a: np.ndarray, b: np.ndarray) -> float:
    return float((a[0] - o[0]) * (b[1] - o[1]) - (a[1] - o[1]) * (b[0] - o[0]))


def polygon_area(polygon: np.ndarray) -> float:
    """Area of a simple polygon ``(n, 2)`` (shoelace formula)."""
    x, y = polygon[:, 0], polygon[:, 1]
    return float(abs(np.dot(x, np.roll(y, -1)) - np.dot(y, np.roll(x, -1))) / 2.0)
