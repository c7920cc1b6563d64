"""Typical real sizes of COCO objects, and the distance they imply through the pinhole model.

An object of real height ``H`` metres that spans ``h`` pixels of a camera with focal length ``f``
pixels stands at depth ``Z = f H / h`` along the optical axis. Heights are typical adult/standard
values (upright for people and animals); boxes cut by the picture's edge only give an upper bound.
"""

from __future__ import annotations

# COCO name -> (typical height in metres, typical width in metres)
SIZE_PRIORS_M: dict[str, tuple[float, float]] = {
    "person": (1.7, 0.5),
    "bicycle": (1.05, 1.7),
    "car": (1.5, 4.3),
    "motorcycle": (1.15, 2.0),
    "airplane": (8.0, 35.0),
    "bus": (3.2, 11.0),
    "train": (3.9, 25.0),
    "truck": (3.3, 8.0),
    "boat": (2.5, 6.0),
    "traffic light": (0.9, 0.35),
    "fire hydrant": (0.75, 0.4),
    "stop sign": (0.75, 0.75),
    "parking meter": (1.4, 0.3),
    "bench": (0.85, 1.6),
    "bird": (0.25, 0.3),
    "cat": (0.3, 0.45),
    "dog": (0.6, 0.8),
    "horse": (1.6, 2.3),
    "sheep": (0.9, 1.3),
    "cow": (1.45, 2.4),
    "elephant": (3.0, 5.5),
    "bear": (1.2, 2.0),
    "zebra": (1.4, 2.3),
    "giraffe": (4.8, 2.5),
    "umbrella": (1.0, 1.0),
    "kite": (0.8, 0.8),
    "surfboard": (2.0, 0.55),
    "bottle": (0.25, 0.08),
    "wine glass": (0.2, 0.08),
    "cup": (0.1, 0.09),
    "chair": (0.9, 0.5),
    "couch": (0.85, 2.0),
    "potted plant": (0.5, 0.4),
    "bed": (0.6, 1.6),
    "dining table": (0.75, 1.5),
    "toilet": (0.75, 0.4),
    "tv": (0.6, 1.0),
    "laptop": (0.25, 0.35),
    "keyboard": (0.04, 0.45),
    "cell phone": (0.15, 0.07),
    "microwave": (0.3, 0.5),
    "oven": (0.85, 0.6),
    "sink": (0.2, 0.55),
    "refrigerator": (1.8, 0.8),
    "clock": (0.3, 0.3),
    "vase": (0.3, 0.15),
    "hair drier": (0.25, 0.2),
}


def prior_axial_depth_m(
    label: str, box_height_px: float, box_width_px: float, focal_px: float
) -> float | None:
    """Depth along the optical axis implied by an object's box, or ``None`` for an unknown class.

    A weighted geometric mean of the depths implied by the box's height and by its width, trusting the
    height more (the width depends on the viewing angle: a car seen end-on is narrower).

    Examples
    --------
    >>> round(prior_axial_depth_m("person", 170.0, 50.0, 1000.0), 2)
    10.0
    """
    prior = SIZE_PRIORS_M.get(label)
    if prior is None or box_height_px <= 0:
        return None
    height_m, width_m = prior
    from_height = focal_px * height_m / box_height_px
    if box_width_px <= 0:
        return from_height
    from_width = focal_px * width_m / box_width_px
    return float(from_height ** (2 / 3) * from_width ** (1 / 3))
