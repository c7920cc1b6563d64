"""Data passed between the vision backends (region proposal, detection, depth, labels)."""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np


@dataclass
class Detection:
    """An object found by a detector: a box in pixels of the analysed image, a label and a score."""

    box: tuple[float, float, float, float]  # x0, y0, x1, y1
    label: str  # detector vocabulary, e.g. COCO "dog"
    score: float
    backend: str = ""


@dataclass
class Region:
    """A region of interest: mask, box, minimum-area polygon (paper eqs. 2-3), labels and depth."""

    mask: np.ndarray  # (H, W) bool
    box: tuple[float, float, float, float]  # x0, y0, x1, y1 (axis-aligned, pixels)
    polygon: np.ndarray | None = None  # (4, 2) minimum-area rectangle corners, pixels
    labels: list[tuple[str, float]] = field(default_factory=list)  # best first
    sound_class: str | None = None
    score: float = 0.0  # how much a listener would expect to hear it
    depth_m: float | None = None  # median depth over the mask
    backend: str = ""
    extra: dict = field(default_factory=dict)
