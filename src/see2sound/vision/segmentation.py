"""Over-segmentation into small regions of similar colour, and per-segment statistics.

Felzenszwalb & Huttenlocher's graph segmentation (scikit-image) splits the picture into segments whose
colour, texture, position and contrast then decide what each one is and whether it should sound.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from scipy import ndimage


@dataclass
class Segments:
    """An over-segmentation: a label map and per-segment statistics (index ``i`` = label ``i``)."""

    labels: np.ndarray  # (H, W) int, 0..n-1
    area: np.ndarray  # (n,) pixels
    mean_rgb: np.ndarray  # (n, 3) in [0, 1]
    mean_lab: np.ndarray  # (n, 3) CIELAB
    mean_hsv: np.ndarray  # (n, 3) hue in degrees, saturation and value in [0, 1]
    texture: np.ndarray  # (n,) mean gradient magnitude of the grey picture
    centroid_yx: np.ndarray  # (n, 2) pixels
    top: np.ndarray  # (n,) first row
    bottom: np.ndarray  # (n,) last row
    border_fraction: np.ndarray  # (n,) pixels on the picture border / sqrt(area)
    touches_top: np.ndarray  # (n,) bool
    touches_bottom: np.ndarray  # (n,) bool
    skin_fraction: np.ndarray  # (n,) share of pixels in the YCbCr skin range
    gradient_x: np.ndarray  # (n,) mean |d grey / dx| (vertical edges)
    gradient_y: np.ndarray  # (n,) mean |d grey / dy| (horizontal edges: ripples, horizon)
    straight: np.ndarray  # (n,) share of the clear edges lying within 10° of horizontal or vertical
    bright: (
        np.ndarray
    )  # (n,) share of near-white highlights, value > 0.9 and saturation < 0.45 (flames' cores)
    left: np.ndarray  # (n,) first column
    right: np.ndarray  # (n,) last column

    @property
    def count(self) -> int:
        return int(self.area.size)


def oversegment(
    image: np.ndarray, scale: float = 150.0, sigma: float = 0.8, min_size_fraction: float = 0.002
):
    """Felzenszwalb segmentation of an RGB picture; returns a label map ``(H, W)`` numbered 0..n-1."""
    from skimage.segmentation import felzenszwalb

    h, w = image.shape[:2]
    min_size = max(8, int(min_size_fraction * h * w))
    labels = felzenszwalb(image, scale=scale, sigma=sigma, min_size=min_size)
    used = np.bincount(labels.ravel()) > 0
    if not used.all():  # renumber 0..n-1
        labels = (np.cumsum(used) - 1)[labels]
    return labels.astype(np.intp, copy=False)


def segment_statistics(image: np.ndarray, labels: np.ndarray, wrap: bool = False) -> Segments:
    """Colour, texture, position and border statistics of each segment of ``labels`` over ``image``.

    ``wrap``: the left and right edges meet (a 360° panorama), so they are not picture borders.
    """
    from skimage.color import rgb2hsv, rgb2lab

    rgb = np.asarray(image, dtype=float) / 255.0
    h, w = labels.shape
    n = int(labels.max()) + 1
    flat = labels.ravel()
    area = np.bincount(flat, minlength=n).astype(float)

    def mean(values: np.ndarray) -> np.ndarray:
        return np.bincount(flat, weights=values.ravel(), minlength=n) / np.maximum(area, 1)

    lab = rgb2lab(rgb)
    hsv = rgb2hsv(rgb)
    mean_rgb = np.stack([mean(rgb[..., c]) for c in range(3)], axis=1)
    mean_lab = np.stack([mean(lab[..., c]) for c in range(3)], axis=1)
    # hue is circular: average it as a vector
    angle = hsv[..., 0] * 2 * np.pi
    hue = np.degrees(np.arctan2(mean(np.sin(angle) * hsv[..., 1]), mean(np.cos(angle) * hsv[..., 1]))) % 360
    mean_hsv = np.stack([hue, mean(hsv[..., 1]), mean(hsv[..., 2])], axis=1)

    gray = rgb @ np.array([0.299, 0.587, 0.114])
    gy, gx = ndimage.sobel(gray, axis=0), ndimage.sobel(gray, axis=1)
    gradient = np.hypot(gx, gy)
    texture = mean(gradient)
    # edge orientation: man-made structure is mostly horizontal and vertical lines, nature is not
    clear = gradient > 0.15
    tilt = np.abs(np.arctan2(gy, gx)) % (np.pi / 2)
    axis_aligned = clear & ((tilt < np.radians(10)) | (tilt > np.radians(80)))
    clear_count = np.bincount(flat, weights=clear.ravel(), minlength=n)
    straight = np.bincount(flat, weights=axis_aligned.ravel(), minlength=n) / np.maximum(clear_count, 1)

    rows, cols = np.mgrid[0:h, 0:w]
    centroid = np.stack([mean(rows.astype(float)), mean(cols.astype(float))], axis=1)
    slices = ndimage.find_objects(labels + 1, max_label=n)
    top = np.array([sl[0].start if sl else h for sl in slices], dtype=float)
    bottom = np.array([sl[0].stop - 1 if sl else 0 for sl in slices], dtype=float)
    left = np.array([sl[1].start if sl else w for sl in slices], dtype=float)
    right = np.array([sl[1].stop - 1 if sl else 0 for sl in slices], dtype=float)

    border = np.zeros((h, w), dtype=bool)
    border[0, :] = border[-1, :] = True
    if not wrap:
        border[:, 0] = border[:, -1] = True
    border_count = np.bincount(flat[border.ravel()], minlength=n).astype(float)
    touches_top = np.bincount(labels[0], minlength=n) > 0
    touches_bottom = np.bincount(labels[-1], minlength=n) > 0

    # skin in YCbCr (Chai & Ngan 1999): Cb 77-127, Cr 133-173
    y = 255 * gray
    cb = 128 + 255 * (-0.168736 * rgb[..., 0] - 0.331264 * rgb[..., 1] + 0.5 * rgb[..., 2])
    cr = 128 + 255 * (0.5 * rgb[..., 0] - 0.418688 * rgb[..., 1] - 0.081312 * rgb[..., 2])
    skin = (cb >= 77) & (cb <= 127) & (cr >= 133) & (cr <= 173) & (y > 40)
    return Segments(
        labels=labels,
        area=area,
        mean_rgb=mean_rgb,
        mean_lab=mean_lab,
        mean_hsv=mean_hsv,
        texture=texture,
        centroid_yx=centroid,
        top=top,
        bottom=bottom,
        border_fraction=border_count / np.sqrt(np.maximum(area, 1)),
        touches_top=touches_top,
        touches_bottom=touches_bottom,
        skin_fraction=mean(skin.astype(float)),
        gradient_x=mean(np.abs(gx)),
        gradient_y=mean(np.abs(gy)),
        straight=straight,
        bright=mean(((hsv[..., 2] > 0.9) & (hsv[..., 1] < 0.45)).astype(float)),
        left=left,
        right=right,
    )


def adjacency(labels: np.ndarray, wrap: bool = False) -> np.ndarray:
    """Boolean ``(n, n)`` matrix of segments that share an edge (4-connectivity; ``wrap`` joins the
    left and right edges, as in a 360° panorama)."""
    n = int(labels.max()) + 1
    adj = np.zeros((n, n), dtype=bool)
    pairs = [(labels[:, :-1], labels[:, 1:]), (labels[:-1, :], labels[1:, :])]
    if wrap:
        pairs.append((labels[:, -1:], labels[:, :1]))
    for a, b in pairs:
        diff = a != b
        adj[a[diff], b[diff]] = True
    return adj | adj.T
