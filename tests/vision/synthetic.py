"""Synthetic pictures with known truth, drawn in the tests (no files from elsewhere)."""

from __future__ import annotations

import numpy as np

SKY = (110, 160, 230)
GRASS = (70, 140, 60)
ROAD = (105, 105, 110)


def outdoor_scene(width: int = 640, height: int = 480, ground=GRASS, horizon: float = 0.5, seed: int = 0):
    """Blue sky above a textured ground; the horizon at ``horizon`` of the height (a level camera)."""
    rng = np.random.default_rng(seed)
    image = np.zeros((height, width, 3), dtype=np.int32)
    row = int(round(horizon * height))
    gradient = np.linspace(-20, 20, row)[:, None, None]
    image[:row] = np.array(SKY)[None, None, :] + gradient
    image[row:] = np.array(ground)[None, None, :] + rng.integers(-12, 13, (height - row, width, 3))
    return np.clip(image, 0, 255).astype(np.uint8)


def draw_box(image: np.ndarray, x0: int, y0: int, x1: int, y1: int, colour) -> None:
    image[y0:y1, x0:x1] = colour


def draw_disc(image: np.ndarray, cx: float, cy: float, radius: float, colour) -> np.ndarray:
    yy, xx = np.mgrid[0 : image.shape[0], 0 : image.shape[1]]
    mask = (xx - cx) ** 2 + (yy - cy) ** 2 <= radius**2
    image[mask] = colour
    return mask
