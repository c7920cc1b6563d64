"""Scene parts from colour, texture and position: sky, water, vegetation, fire, snow, sand, road, …

Each segment gets a fuzzy score per part from simple memberships (hue, saturation, value, texture,
height in the picture); the best part wins when it is confident enough, else the honest generic
``ambience``. These are the regions that make the ambience of a scene; objects come from saliency and
the detector.
"""

from __future__ import annotations

import numpy as np

from .segmentation import Segments

AMBIENCE = "ambience"

# scene part -> sound it makes (a label the sound stage understands)
PART_SOUNDS: dict[str, str] = {
    "sky": "wind",
    "water": "water",
    "vegetation": "leaves rustling",
    "fire": "fire crackling",
    "snow": "wind",
    "sand": "wind",
    "road": "traffic",
    "building": "city ambience",
    "person": "people talking",
    AMBIENCE: "ambience",
}

# parts that make ambience regions (skin colour alone is too unreliable to place voices)
AMBIENCE_PARTS = ("sky", "water", "vegetation", "fire", "snow", "sand", "road", "building")

# how much a listener expects to hear each part (ranking among ambience regions)
PART_WEIGHTS: dict[str, float] = {
    "fire": 1.0,
    "water": 0.9,
    "road": 0.7,
    "person": 0.8,
    "vegetation": 0.6,
    "building": 0.4,
    "sky": 0.5,
    "snow": 0.4,
    "sand": 0.35,
    AMBIENCE: 0.2,
}

MIN_CONFIDENCE = 0.4


def _band(x, lo, hi, soft):
    """1 inside [lo, hi], falling linearly to 0 over ``soft`` outside."""
    x = np.asarray(x, dtype=float)
    return np.clip(np.minimum((x - lo) / soft + 1.0, (hi - x) / soft + 1.0), 0.0, 1.0)


def _hue_band(hue, lo, hi, soft=15.0):
    hue = np.asarray(hue, dtype=float) % 360
    centre = (lo + hi) / 2
    diff = np.abs((hue - centre + 180) % 360 - 180)
    return np.clip(1.0 - (diff - (hi - lo) / 2) / soft, 0.0, 1.0)


def part_scores(seg: Segments, horizon_row: float | None = None) -> dict[str, np.ndarray]:
    """Fuzzy membership ``(n,)`` of every segment in every scene part (except ``ambience``)."""
    h = seg.labels.shape[0]
    hue, sat, val = seg.mean_hsv.T
    y = seg.centroid_yx[:, 0] / h  # 0 top, 1 bottom
    horizon = 0.5 if horizon_row is None else horizon_row / h
    upper = _band(y, -1.0, horizon - 0.05, 0.25)
    lower = _band(y, horizon + 0.02, 2.0, 0.2)
    smooth = _band(seg.texture, 0.0, 0.04, 0.06)
    textured = _band(seg.texture, 0.06, 10.0, 0.05)
    grey = _band(sat, 0.0, 0.12, 0.1)

    blue = _hue_band(hue, 190, 235, 20) * _band(sat, 0.15, 1.0, 0.1)
    overcast = grey * _band(val, 0.75, 1.0, 0.15)
    sky = np.maximum(blue * _band(val, 0.4, 1.0, 0.2), overcast) * upper * smooth
    sky *= np.where(seg.touches_top, 1.0, 0.6)
    water = _hue_band(hue, 165, 235, 20) * _band(sat, 0.12, 1.0, 0.1) * _band(val, 0.15, 1.0, 0.1) * lower
    vegetation = _hue_band(hue, 70, 160, 12) * _band(sat, 0.18, 1.0, 0.1) * _band(val, 0.1, 0.9, 0.1)
    vegetation *= 0.7 + 0.3 * textured
    fire = (
        _hue_band(hue, 18, 45, 8)
        * _band(sat, 0.7, 1.0, 0.1)
        * _band(val, 0.85, 1.0, 0.08)
        * (1.0 - 0.6 * seg.skin_fraction)
    )
    snow = grey * _band(val, 0.85, 1.0, 0.08) * lower
    sand = _hue_band(hue, 28, 55, 10) * _band(sat, 0.18, 0.55, 0.1) * _band(val, 0.55, 1.0, 0.1) * lower
    road = grey * _band(val, 0.2, 0.65, 0.1) * lower * np.where(seg.touches_bottom, 1.0, 0.6) * smooth
    building = _band(sat, 0.0, 0.3, 0.1) * _band(val, 0.2, 0.9, 0.1) * textured * (1.0 - lower * 0.7)
    building *= np.where(seg.touches_top, 0.8, 0.6)
    # skin colour alone also matches wood, sand and beige walls: only small skin-coloured parts
    area_fraction = seg.area / seg.labels.size
    person = _band(seg.skin_fraction, 0.7, 1.0, 0.3) * _band(area_fraction, 0.0, 0.05, 0.05)
    person *= 1.0 - 0.8 * upper * smooth
    return {
        "sky": sky,
        "water": water,
        "vegetation": vegetation,
        "fire": fire,
        "snow": snow,
        "sand": sand,
        "road": road,
        "building": building * 0.7,  # never confident from colour alone
        "person": person * 0.6,
    }


def classify_parts(seg: Segments, horizon_row: float | None = None) -> tuple[list[str], np.ndarray]:
    """The scene part of each segment and its confidence; ``ambience`` below :data:`MIN_CONFIDENCE`."""
    scores = part_scores(seg, horizon_row)
    names = list(scores)
    table = np.stack([scores[k] for k in names], axis=1)
    best = np.argmax(table, axis=1)
    confidence = table[np.arange(seg.count), best]
    parts = [names[b] if c >= MIN_CONFIDENCE else AMBIENCE for b, c in zip(best, confidence, strict=True)]
    return parts, confidence
