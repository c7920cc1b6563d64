"""Data passed between the vision backends (region proposal, detection, depth, labels)."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Protocol

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


@dataclass
class DepthMap:
    """Distances in metres for every pixel of the analysed picture.

    ``along_ray`` says whether the values are distances along each pixel's ray (True) or depths along
    the optical axis (False, the usual output of monocular depth networks; DESIGN §2).
    """

    depth_m: np.ndarray  # (H, W) float, metres, > 0
    along_ray: bool = False
    backend: str = ""


class RegionBackend(Protocol):
    """REGIONS backends: ``propose(image, max_regions, min_area, context)`` -> regions, best first.

    ``image`` is RGB uint8 ``(H, W, 3)``; ``min_area`` a fraction of the picture; ``context`` a dict
    shared by the backends of one picture (classical backends cache their segmentation in it).
    Masks are ``(H, W)`` bool of the same picture; ``Region.extra["kind"]`` is ``"object"`` or
    ``"ambience"``.
    """

    def propose(
        self, image: np.ndarray, max_regions: int, min_area: float, context: dict
    ) -> list[Region]: ...


class DepthBackend(Protocol):
    """DEPTH backends: ``estimate(image, hfov_deg, projection, context)`` -> :class:`DepthMap` in metres."""

    def estimate(self, image: np.ndarray, hfov_deg: float, projection: str, context: dict) -> DepthMap: ...


class LabelBackend(Protocol):
    """LABELS backends: ``label(image, regions, context)`` fills ``Region.labels`` (best first, scores in
    [0, 1]) and ``Region.sound_class`` of regions that have no detector label yet."""

    def label(self, image: np.ndarray, regions: list[Region], context: dict) -> None: ...


class DetectorBackend(Protocol):
    """DETECTORS backends: ``detect(image)`` -> detections with boxes in pixels of ``image`` (RGB uint8)."""

    def detect(self, image: np.ndarray) -> list[Detection]: ...
