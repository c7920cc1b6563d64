"""Scene parts from colour, texture, edge direction and place relative to the horizon and the sky.

Each segment gets a fuzzy score per part; the best part names it when its score reaches
:data:`MIN_CONFIDENCE`, else it stays unnamed (:data:`AMBIENCE`) and is never voiced. Colour alone
decides nothing: every part also needs its texture and its place.

* **sky**: one of the segments :func:`.horizon.find_sky` grew from the top edge; never below the horizon.
* **water**: starts at or below the horizon and is wide (or reaches the bottom edge); blue, or the
  sky's own colour a little darker (a reflection), or grey with horizontal ripples; smooth or
  horizontally streaked. Never above the horizon.
* **grass**: green (or dry yellow-green) with a fine texture, below the horizon.
* **trees**: green with texture, reaching above the horizon (or the top edge).
* **snow**, **sand**, **road**: white / pale yellow-brown / grey, flat-lying (below the horizon, wide),
  and only where a sky shows (without it a white background or an office floor looks the same).
* **building**: clear edges mostly horizontal and vertical (man-made straight lines), unsaturated.
* **fire**: saturated orange with bright, near-white cores and a flickering texture; not a wide flat
  band along the bottom (yellow grass).
"""

from __future__ import annotations

import numpy as np

from .horizon import band, hue_band
from .segmentation import Segments

AMBIENCE = "ambience"  # an unnamed segment: not voiced

PARTS = ("sky", "water", "grass", "trees", "snow", "sand", "road", "building", "fire")
# parts that only exist outdoors (a picture judged indoor or close-up does not voice them)
OUTDOOR_PARTS = ("sky", "water", "grass", "trees", "snow", "sand", "road", "building")

# scene part -> sound class (the vocabulary's table takes over once compose.choose_sources is in)
PART_SOUNDS: dict[str, str] = {
    "sky": "wind",
    "water": "water",
    "grass": "wind",
    "trees": "leaves rustling",
    "fire": "fire crackling",
    "snow": "wind",
    "sand": "wind",
    "road": "traffic",
    "building": "city ambience",
    AMBIENCE: "ambience",
}

# how much a listener expects to hear each part (ranking among part regions)
PART_WEIGHTS: dict[str, float] = {
    "fire": 1.0,
    "water": 0.9,
    "road": 0.7,
    "trees": 0.6,
    "grass": 0.5,
    "sky": 0.5,
    "building": 0.4,
    "snow": 0.4,
    "sand": 0.35,
}

MIN_CONFIDENCE = 0.5


def part_scores(seg: Segments, horizon_row: float | None, sky: np.ndarray) -> dict[str, np.ndarray]:
    """Fuzzy membership ``(n,)`` of every segment in every part of :data:`PARTS`.

    ``horizon_row``: pixels of the segmented picture (``None``: not seen); ``sky``: the sky segments
    (:func:`.horizon.find_sky`).
    """
    h, w = seg.labels.shape
    hue, sat, val = seg.mean_hsv.T
    top, cy = seg.top / h, seg.centroid_yx[:, 0] / h
    width = (seg.right - seg.left + 1) / w
    area = seg.area / seg.labels.size
    have_sky = bool(sky.any())
    if horizon_row is None:
        below = 0.7 * band(cy, 0.55, 2.0, 0.2)  # the lower frame, believed less
        above = band(top, -1.0, 0.05, 0.1)
    else:
        hz = horizon_row / h
        below = band(top, hz - 0.03, 2.0, 0.05) * band(cy, hz + 0.01, 2.0, 0.02)
        above = band(top, -1.0, hz - 0.03, 0.05)
    smooth = band(seg.texture, 0.0, 0.05, 0.06)
    textured = band(seg.texture, 0.05, 100.0, 0.03)
    ripples = band(seg.gradient_y / np.maximum(seg.gradient_x, 1e-6), 1.5, 1e6, 0.5)
    wide = np.maximum(band(width, 0.4, 1.0, 0.25), 0.8 * seg.touches_bottom)
    flat_lying = below * wide * (1.0 if have_sky else 0.0)

    sky_score = np.where(sky, 0.6 + 0.4 * smooth, 0.0) * (1.0 - below)

    blue = hue_band(hue, 170, 250, 20) * band(sat, 0.1, 1.0, 0.08) * band(val, 0.08, 1.0, 0.06)
    mirror = np.zeros(seg.count)
    if have_sky:
        sky_lab = np.average(seg.mean_lab[sky], axis=0, weights=seg.area[sky])
        sky_val = float(np.average(val[sky], weights=seg.area[sky]))
        distance = np.linalg.norm(seg.mean_lab[:, 1:] - sky_lab[1:], axis=1)  # chroma only
        sky_blue = float(np.average(sat[sky], weights=seg.area[sky])) >= 0.15
        mirror = band(distance, 0.0, 6.0, 6.0) * band(val, 0.05, sky_val + 0.05, 0.1)
        mirror *= 1.0 if sky_blue else ripples  # a grey reflection needs its ripples
    grey_ripples = band(sat, 0.0, 0.2, 0.1) * ripples
    water_colour = np.maximum(np.maximum(blue, mirror), 0.8 * grey_ripples)
    # straight edges in both directions are man-made; ripples are straight along the rows only
    water_texture = np.maximum(smooth, ripples) * (
        1.0 - 0.7 * band(seg.straight, 0.6, 1.0, 0.1) * (1 - ripples)
    )
    # without a sky to mirror, only rippled water is believed (a blue floor or wall is smooth too)
    water = water_colour * water_texture * below * wide * (1.0 if have_sky else 0.4 + 0.4 * ripples)

    green = hue_band(hue, 65, 165, 15) * band(sat, 0.12, 1.0, 0.08) * band(val, 0.12, 0.95, 0.06)
    dry = hue_band(hue, 38, 62, 8) * band(sat, 0.2, 0.8, 0.1) * band(val, 0.3, 0.95, 0.1)
    fine = band(seg.texture, 0.035, 100.0, 0.03)
    indoors_doubt = 1.0 if have_sky else 0.8
    grass = np.maximum(green, 0.85 * dry) * fine * below * np.where(seg.touches_bottom, 1.0, 0.8)
    grass *= indoors_doubt * (1.0 - 0.6 * band(seg.straight, 0.55, 1.0, 0.1))
    trees = green * textured * np.maximum(above, 0.8 * seg.touches_top) * indoors_doubt
    trees *= 1.0 - 0.6 * band(seg.straight, 0.55, 1.0, 0.1)

    white = band(sat, 0.0, 0.1, 0.06) * band(val, 0.8, 1.0, 0.08)
    snow = 0.9 * white * flat_lying * band(seg.texture, 0.0, 0.08, 0.05)
    sand = (
        hue_band(hue, 25, 55, 10)
        * band(sat, 0.12, 0.55, 0.1)
        * band(val, 0.45, 0.95, 0.1)
        * flat_lying
        * band(seg.texture, 0.0, 0.1, 0.05)
        * (1.0 - 0.5 * seg.skin_fraction)
    )
    road = (
        0.9
        * band(sat, 0.0, 0.15, 0.08)
        * band(val, 0.15, 0.7, 0.1)
        * flat_lying
        * np.where(seg.touches_bottom, 1.0, 0.6)
        * band(seg.texture, 0.0, 0.08, 0.05)
    )
    building = (
        band(seg.straight, 0.5, 1.0, 0.15)
        * (1.0 - ripples)
        * band(seg.texture, 0.04, 100.0, 0.03)
        * band(sat, 0.0, 0.45, 0.15)
        * band(area, 0.01, 1.0, 0.01)
        * np.maximum(above, 0.7 * (top < (horizon_row or 0.5 * h) / h))
        * (0.9 if have_sky else 0.6)
    )
    fire = (
        hue_band(hue, 5, 42, 8)
        * band(sat, 0.55, 1.0, 0.1)
        * band(val, 0.7, 1.0, 0.08)
        * band(seg.bright, 0.08, 1.0, 0.06)
        * textured
        * (1.0 - 0.8 * seg.skin_fraction)
        * (1.0 - 0.9 * band(width, 0.5, 1.0, 0.2) * seg.touches_bottom)
    )
    return {
        "sky": sky_score,
        "water": water,
        "grass": grass,
        "trees": trees,
        "snow": snow,
        "sand": sand,
        "road": road,
        "building": building,
        "fire": fire,
    }


def classify_parts(seg: Segments, horizon_row: float | None, sky: np.ndarray) -> tuple[list[str], np.ndarray]:
    """The part of each segment and its confidence; :data:`AMBIENCE` below :data:`MIN_CONFIDENCE`."""
    scores = part_scores(seg, horizon_row, sky)
    table = np.stack([scores[k] for k in PARTS], axis=1)
    best = np.argmax(table, axis=1)
    confidence = table[np.arange(seg.count), best]
    parts = [PARTS[b] if c >= MIN_CONFIDENCE else AMBIENCE for b, c in zip(best, confidence, strict=True)]
    return parts, confidence
