"""What kind of picture it is: outdoor nature, urban, waterside, indoor, close-up, aerial or artwork.

The kind drives the rest of the stage: indoors or outdoors and the room (:mod:`.room`), the distance
scale (an aerial view is far below the listener, a close-up is near) and how far a detector is trusted
(:mod:`.trust`: an artwork or a close-up needs much higher scores). Every kind gets a score in [0, 1]
from cues measured on the working picture; the best one wins.

* **sky** (the sky segments of :mod:`.horizon`) and the **scene parts** (:mod:`.scene_parts`): nature
  (grass, trees, snow, sand), urban (building, road), waterside (water).
* **close-up / macro**: a shallow depth of field, i.e. a sharp centre and a blurred surround (mean
  absolute Laplacian of the centre over that of the border ring), no sky.
* **aerial**: no sky and no horizon, detail everywhere (no smooth 16-pixel square) and as much at the
  top as at the bottom (a ground seen in perspective has more at the top), no sizeable confident
  detection.
* **artwork**: flat colour areas outside the sky (pixels whose four neighbours differ by at most two
  levels: a photograph's noise rarely allows it), few distinct colours (the eight commonest 4-bit colours
  cover most of the picture), a white or flat background along the border. It wins whenever its score
  reaches 0.6. Paintings with brush strokes are not caught (see docs/vision.md).
* **indoor**: no sky, no outdoor parts and little greenery, and none of the above. A close-up or an
  artwork is outdoors when it shows sky, outdoor parts or much greenery.
* **night**: an outdoor picture whose median brightness is below 0.25.
* ``attributes["water_body"]``: ``"sea"`` when water reaches the horizon across most of the width,
  ``"lake"`` when a far shore stands between them.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np
from scipy import ndimage

from .horizon import band
from .scene_parts import OUTDOOR_PARTS

KINDS = ("nature", "urban", "waterside", "indoor", "closeup", "aerial", "artwork")
OUTDOOR_KINDS = ("nature", "urban", "waterside", "aerial")
NATURE_PARTS = ("grass", "trees", "snow", "sand")
URBAN_PARTS = ("building", "road")


@dataclass
class PictureKind:
    """What kind of picture it is (see the module notes)."""

    kind: str  # "nature" | "urban" | "waterside" | "indoor" | "closeup" | "aerial" | "artwork"
    confidence: float  # 0..1
    outdoor: bool
    horizon_row: float | None  # pixels of the ORIGINAL picture (None: no horizon seen)
    parts: dict[str, float]  # fraction of the frame confidently each part (absent = 0)
    night: bool = False
    attributes: dict = field(default_factory=dict)  # e.g. {"water_body": "sea" | "lake" | "river"}
    scores: dict[str, float] = field(default_factory=dict)  # score of every kind

    def to_dict(self) -> dict:
        """The JSON-ready record of the kind (rounded)."""
        return {
            "kind": self.kind,
            "confidence": round(float(self.confidence), 3),
            "outdoor": bool(self.outdoor),
            "horizon_row": None if self.horizon_row is None else round(float(self.horizon_row), 1),
            "parts": {k: round(float(v), 3) for k, v in self.parts.items()},
            "night": bool(self.night),
            **({"attributes": dict(self.attributes)} if self.attributes else {}),
            "scores": {k: round(float(v), 3) for k, v in self.scores.items()},
        }


def part_fractions(context: dict) -> dict[str, float]:
    """Share of the frame that each confident scene part covers."""
    seg, parts = context["segments"], context["parts"]
    total = float(seg.labels.size)
    out: dict[str, float] = {}
    for i, p in enumerate(parts):
        if p != "ambience":
            out[p] = out.get(p, 0.0) + float(seg.area[i]) / total
    return out


def flatness_cues(image: np.ndarray, sky: np.ndarray | None = None) -> dict[str, float]:
    """Flat share, the eight commonest colours' share (4 bits per channel; 6-bit levels for a grey
    picture) and a plain border's share; the first two outside the ``sky`` mask (a sky is smooth in
    any photograph)."""
    rgb = np.asarray(image, dtype=np.int16)
    h, w = rgb.shape[:2]
    keep = np.ones((h, w), dtype=bool) if sky is None or sky.all() else ~sky
    # flat: each of the four neighbours within two levels in every channel
    dx = np.abs(np.diff(rgb, axis=1)).max(axis=2) <= 2
    dy = np.abs(np.diff(rgb, axis=0)).max(axis=2) <= 2
    flat = 0.0
    if h > 2 and w > 2:
        flat_px = dx[1:-1, :-1] & dx[1:-1, 1:] & dy[:-1, 1:-1] & dy[1:, 1:-1]
        inner = keep[1:-1, 1:-1]
        flat = float(flat_px[inner].mean()) if inner.any() else 0.0
    if int(np.abs(rgb - rgb[..., :1]).max()) <= 8:  # grey: its levels are its colours
        index = (rgb[..., 0] >> 2).astype(np.int32)
    else:
        q = (rgb >> 4).astype(np.int32)
        index = (q[..., 0] << 8) | (q[..., 1] << 4) | q[..., 2]
    counts = np.bincount(index[keep].ravel(), minlength=4096)
    top8 = float(np.sort(counts)[-8:].sum() / counts.sum())
    border = np.concatenate([rgb[0], rgb[-1], rgb[:, 0], rgb[:, -1]]).astype(float)
    plain_border = float(np.mean(np.abs(border - np.median(border, axis=0)).max(axis=1) <= 6))
    return {"flat": flat, "top8": top8, "plain_border": plain_border}


def sharpness_ratio(grey: np.ndarray) -> float:
    """Mean |Laplacian| of the central half of the picture over that of its outer ring."""
    lap = np.abs(ndimage.laplace(grey))
    h, w = grey.shape
    centre = np.zeros((h, w), dtype=bool)
    centre[h // 4 : h - h // 4, w // 4 : w - w // 4] = True
    ring = np.ones((h, w), dtype=bool)
    ring[h // 8 : h - h // 8, w // 8 : w - w // 8] = False
    return float((lap[centre].mean() + 1e-4) / (lap[ring].mean() + 1e-4))


def detail_balance(grey: np.ndarray) -> float:
    """Detail (mean gradient) of the top third over that of the bottom third."""
    grad = np.hypot(ndimage.sobel(grey, 0), ndimage.sobel(grey, 1))
    third = max(1, grey.shape[0] // 3)
    return float((grad[:third].mean() + 1e-4) / (grad[-third:].mean() + 1e-4))


def detailed_share(grey: np.ndarray, block: int = 16) -> float:
    """Share of ``block``-pixel squares whose grey level varies (standard deviation > 0.035)."""
    h, w = grey.shape
    bh, bw = h // block, w // block
    if bh == 0 or bw == 0:
        return 0.0
    blocks = grey[: bh * block, : bw * block].reshape(bh, block, bw, block)
    return float(np.mean(blocks.std(axis=(1, 3)) > 0.035))


def green_share(image: np.ndarray) -> float:
    """Share of clearly green pixels (vegetation, wherever it is in the frame)."""
    rgb = np.asarray(image, dtype=float)
    r, g, b = rgb[..., 0], rgb[..., 1], rgb[..., 2]
    return float(np.mean((g > r * 1.1) & (g > b * 1.05) & (g - np.minimum(r, b) > 25)))


def classify_picture(image: np.ndarray, context: dict, scale: float = 1.0, detections=()) -> PictureKind:
    """The :class:`PictureKind` of the working picture ``image`` analysed in ``context``
    (:func:`.classical.analyse_picture`).

    ``scale``: original pixels per working pixel. ``detections``: ``(score, box_fraction)`` of the
    detector's raw detections (a confident, sizeable one rules out an aerial view).
    """
    rgb = np.asarray(image, dtype=float) / 255.0
    grey = rgb.mean(axis=2)
    parts = part_fractions(context)
    sky = parts.get("sky", 0.0)
    nature = sum(parts.get(p, 0.0) for p in NATURE_PARTS)
    urban = sum(parts.get(p, 0.0) for p in URBAN_PARTS)
    water = parts.get("water", 0.0)
    has_sky = float(band(sky, 0.05, 1.0, 0.04))
    flat = flatness_cues(image, context["is_sky"][context["segments"].labels])
    sharp = sharpness_ratio(grey)
    balance = detail_balance(grey)
    horizon = context.get("horizon")
    horizon_row = getattr(horizon, "row", None)
    seg = context["segments"]
    fine = float(band(detailed_share(grey), 0.85, 1.0, 0.15))
    subject = any(score >= 0.55 and fraction >= 0.05 for score, fraction in detections)

    artwork = max(
        band(flat["flat"], 0.55, 1.0, 0.2) * band(flat["top8"], 0.55, 1.0, 0.2),
        band(flat["flat"], 0.35, 1.0, 0.15) * band(flat["plain_border"], 0.7, 1.0, 0.2),
        band(flat["flat"], 0.15, 1.0, 0.1) * band(flat["plain_border"], 0.8, 1.0, 0.1),
    )
    closeup = band(sharp, 2.0, 1e9, 0.3) * (1.0 - 0.8 * has_sky)
    aerial = (
        fine
        * band(balance, 0.7, 1.4, 0.3)
        * (1.0 - has_sky)
        * (0.3 if horizon_row is not None else 1.0)
        * (0.2 if subject else 1.0)
        * (1.0 - closeup)
        * (1.0 - 0.5 * band(nature, 0.5, 1.0, 0.2))
    )
    scores = {
        "nature": max(0.5 * has_sky + 0.5 * band(nature, 0.2, 1.0, 0.18), 0.8 * band(nature, 0.4, 1.0, 0.2)),
        "urban": (0.4 * has_sky + 0.6 * band(urban, 0.15, 1.0, 0.13))
        * (0.5 + 0.5 * band(urban, 0.05, 1, 0.04)),
        "waterside": band(water, 0.1, 1.0, 0.08) * (0.4 + 0.6 * has_sky),
        "closeup": float(closeup),
        "aerial": float(aerial),
        "artwork": float(artwork),
    }
    greenery = green_share(image)
    outdoor_evidence = max(
        has_sky, float(band(nature + water, 0.3, 1.0, 0.2)), float(band(greenery, 0.3, 1, 0.1))
    )
    scores["indoor"] = 0.55 * (1.0 - outdoor_evidence) * (1.0 - 0.5 * max(aerial, artwork))
    scores = {k: float(np.clip(v, 0.0, 1.0)) for k, v in scores.items()}
    # an artwork or a close-up may show an outdoor scene: the kind still says how far to trust a detector
    kind = "artwork" if scores["artwork"] >= 0.6 else max(KINDS, key=lambda k: scores[k])
    others = sorted((v for k, v in scores.items() if k != kind), reverse=True)
    confidence = float(np.clip(0.5 + scores[kind] - others[0], 0.0, 1.0))
    if kind in OUTDOOR_KINDS:
        outdoor = True
    elif kind == "indoor":
        outdoor = False
    else:
        outdoor = bool(outdoor_evidence >= 0.5)
    night = bool(outdoor and np.median(rgb.max(axis=2)) < 0.25)
    attributes = {}
    if water >= 0.05 and horizon_row is not None and horizon.source != "equirect":
        # water reaching the horizon across most of the width is the sea; with a far shore, a lake
        is_water = np.array([p == "water" for p in context["parts"]], dtype=bool)[seg.labels]
        h = is_water.shape[0]
        band_rows = is_water[int(horizon_row) : min(h, int(horizon_row + 0.04 * h) + 1)]
        open_water = float(band_rows.any(axis=0).mean()) if band_rows.size else 0.0
        attributes["water_body"] = "sea" if open_water >= 0.7 else "lake"
    if kind == "aerial":
        horizon_row = None
    if kind == "artwork" and "sky" in parts:
        sky_sat = context["segments"].mean_hsv[context["is_sky"], 1]
        if sky_sat.size and float(sky_sat.mean()) < 0.1:  # a white or grey background, not a sky
            del parts["sky"]
    return PictureKind(
        kind=kind,
        confidence=confidence,
        outdoor=outdoor,
        horizon_row=None if horizon_row is None else float((horizon_row + 0.5) * scale - 0.5),
        parts={k: v for k, v in parts.items() if v > 0 and (outdoor or k not in OUTDOOR_PARTS)},
        night=night,
        attributes=attributes,
        scores=scores,
    )
