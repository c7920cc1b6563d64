"""The environment seen in a picture: indoors or outdoors, the room's size, a material guess.

Cues (all from the analysis the stage already made of the picture):

* The **picture's kind** (:func:`.scene_kind.classify_picture`, kept in the analysis context) decides
  indoors or outdoors when it is known; otherwise the cues below vote.
* **Sky** (the sky segments grown from the top edge) and outdoor **scene parts** (grass, trees, water,
  snow) vote for outdoors; so does a depth range reaching beyond a room's (> 20 m).
* A **ceiling** (smooth, unsaturated, non-sky segments along the top of the picture) and a bounded
  depth range (< 10 m) vote for indoors.
* **Size**: every pixel's ray times its distance is a 3-D point in the listener frame. Each wall's
  distance is the 90th percentile of the points whose rays point at it (within 25°); where the picture
  has no such rays (the side walls and ceiling of a perspective picture) a percentile of all points
  (their reach at the picture's edges). A perspective picture cannot see behind the camera: a quarter
  of the depth, 0.5–2 m, is added. A 360° picture sees every wall.
* **Material**: warm brown surfaces → ``wood``, large smooth grey ones → ``plaster`` / ``concrete``,
  otherwise ``furnished``. Outdoors the ground under the horizon: grass, water, sand, snow or asphalt.

The result is the scene's ``room`` object (see docs/rooms.md); it is a guess, with a ``confidence``
in [0.5, 1] for the indoor/outdoor call. No file I/O here.
"""

from __future__ import annotations

from functools import lru_cache

import numpy as np

from .projection import direction_grid
from .types import DepthMap

INDOOR_CAMERA_HEIGHT_M = 1.2
OUTDOOR_CAMERA_HEIGHT_M = 1.6
GROUND_MATERIALS = {
    "grass": "grass",
    "water": "water",
    "sand": "sand",
    "snow": "snow",
    "road": "asphalt",
}
WIDTH_RANGE_M = (2.0, 40.0)
DEPTH_RANGE_M = (2.0, 60.0)
HEIGHT_RANGE_M = (2.2, 12.0)
INDOOR_RANGE_M = (0.5, 12.0)  # as the classical depth backend's
INDOOR_FAR_LIMIT_M = 20.0


def outdoor_probability(
    sky_fraction: float, outdoor_part_fraction: float, ceiling_fraction: float, far_m: float
) -> float:
    """Probability that the picture was taken outdoors, from the four cues (a logistic vote)."""
    score = (
        3.0 * min(sky_fraction / 0.08, 1.0)
        + 2.5 * min(outdoor_part_fraction / 0.3, 1.0)
        + 1.0 * float(np.clip((far_m - 10.0) / 10.0, 0.0, 1.0))
        - 2.5 * min(ceiling_fraction / 0.5, 1.0)
        - 1.0 * float(far_m < 10.0)
        - 0.5
    )
    return float(1.0 / (1.0 + np.exp(-2.0 * score)))


def _segment_cues(context: dict) -> dict:
    """Sky, outdoor-part and ceiling fractions, material statistics and the sky mask."""
    seg, parts, is_sky = context["segments"], context["parts"], context["is_sky"]
    labels = seg.labels
    h = labels.shape[0]
    total = float(labels.size)
    hue, sat, val = seg.mean_hsv.T
    # overcast sky and a white ceiling look alike: a grey "sky" segment along the top that ends high in
    # the picture is a ceiling, one that does not reach the top is a wall
    blue_sky = is_sky & (hue >= 180) & (hue <= 250) & (sat >= 0.12)
    grey_sky = is_sky & ~blue_sky
    ceiling_segments = grey_sky & seg.touches_top & (seg.bottom < 0.3 * h)
    sky_segments = blue_sky | (grey_sky & seg.touches_top & ~ceiling_segments)
    plain = (sat < 0.25) & (seg.texture < 0.06) & (val > 0.25) & ~sky_segments
    ceiling = float(np.mean(plain[labels[: max(1, h // 8)]]))
    weights = {"grass": 1.0, "trees": 1.0, "water": 0.5, "snow": 0.3}
    outdoor = sum(w * seg.area[[p == part for p in parts]].sum() for part, w in weights.items()) / total
    warm = (hue >= 15) & (hue <= 45) & (sat >= 0.25) & (sat <= 0.75) & ~sky_segments
    grey = (sat < 0.15) & (seg.texture < 0.06) & ~sky_segments
    bottom = labels[int(0.75 * h) :]
    counts = np.bincount(bottom.ravel(), minlength=seg.count)
    ground_area = dict.fromkeys(GROUND_MATERIALS, 0.0)
    for i, p in enumerate(parts):
        if p in ground_area:
            ground_area[p] += counts[i]
    return {
        "sky": float(seg.area[sky_segments].sum() / total),
        "outdoor_parts": float(outdoor),
        "ceiling": ceiling,
        "warm": float(seg.area[warm].sum() / total),
        "grey": float(seg.area[grey].sum() / total),
        "grey_value": float(np.average(val[grey], weights=seg.area[grey])) if grey.any() else 0.5,
        "ground": max(ground_area, key=ground_area.get) if any(ground_area.values()) else None,
        "sky_mask": sky_segments[labels],
    }


@lru_cache(maxsize=8)
def _unit_rays(width: int, height: int, hfov_deg: float, projection: str) -> np.ndarray:
    """The unit ray of every pixel ``(H, W, 3)`` (read-only, shared by the frames of a video)."""
    az, el = direction_grid(width, height, hfov_deg, projection)
    a, e = np.radians(az), np.radians(el)
    rays = np.stack([np.cos(e) * np.cos(a), np.cos(e) * np.sin(a), np.sin(e)], axis=-1)
    rays.flags.writeable = False
    return rays


def _points(depth: DepthMap, hfov_deg: float, projection: str) -> np.ndarray:
    """Every pixel as a 3-D point ``(H, W, 3)`` in the listener frame (metres)."""
    h, w = depth.depth_m.shape
    rays = _unit_rays(w, h, float(hfov_deg), projection)
    distance = depth.depth_m
    if not depth.along_ray and projection != "equirect":
        distance = distance / np.maximum(rays[..., 0], 1e-3)  # axial depth → distance along the ray
    return rays * distance[..., None]


def estimate_room(
    image: np.ndarray,
    depth: DepthMap,
    hfov_deg: float,
    projection: str = "perspective",
    context: dict | None = None,
) -> dict:
    """The scene's ``room`` object for one picture.

    Parameters
    ----------
    image : ndarray, shape (H, W, 3)
        The working picture (RGB uint8) the depth map belongs to.
    depth : DepthMap
        Distances for every pixel of ``image``.
    hfov_deg : float
        Horizontal field of view (360 for equirectangular pictures).
    projection : {"perspective", "equirect"}
    context : dict, optional
        The classical analysis of ``image`` (computed here if absent).

    Returns
    -------
    dict
        ``{"kind", "dimensions_m" (indoors), "material", "listener_m", "confidence"}`` as in
        :meth:`see2sound.spatial.reverb.Room.to_dict`: dimensions are width (left–right), depth
        (front–back) and height; the listener is at ``x`` from the back wall, ``y`` from the right wall
        and ``z`` above the floor.
    """
    from .classical import analyse_picture

    context = analyse_picture(image, context if context is not None else {"projection": projection})
    cues = _segment_cues(context)
    points = _points(depth, hfov_deg, projection)
    solid = points[~cues["sky_mask"]] if (~cues["sky_mask"]).any() else points.reshape(-1, 3)
    distance = np.linalg.norm(solid, axis=-1)
    far_m = float(np.percentile(distance, 95))
    picture = context.get("picture")
    if picture is not None:  # the picture's kind decides (a meadow or a jetty is outdoors)
        p_out = 0.5 + (0.5 if picture.outdoor else -0.5) * float(np.clip(picture.confidence, 0.0, 1.0))
    else:
        p_out = outdoor_probability(cues["sky"], cues["outdoor_parts"], cues["ceiling"], far_m)
    confidence = round(max(p_out, 1.0 - p_out), 3)
    if p_out >= 0.5:
        return {
            "kind": "outdoor",
            "material": GROUND_MATERIALS.get(cues["ground"] or "", "grass"),
            "listener_m": [0.0, 0.0, OUTDOOR_CAMERA_HEIGHT_M],
            "confidence": confidence,
        }
    if far_m > INDOOR_FAR_LIMIT_M:
        # the depth map reaches beyond any room (a depth backend that took the picture for outdoors):
        # keep its order but map its range log-linearly onto a room's
        near = max(float(distance.min()), 1e-3)
        fraction = np.log(np.maximum(distance, near) / near) / max(np.log(float(distance.max()) / near), 1e-9)
        solid = (
            solid
            * (INDOOR_RANGE_M[0] * (INDOOR_RANGE_M[1] / INDOOR_RANGE_M[0]) ** fraction / distance)[:, None]
        )
    rays = solid / np.maximum(np.linalg.norm(solid, axis=-1, keepdims=True), 1e-9)

    def reach(axis: int, sign: float, fallback_pct: float | None, default=None) -> float | None:
        """How far the wall is along ``sign``·axis: from the rays pointing at it (within 25°) when the
        picture has them, else a percentile of every point (a perspective picture's edges)."""
        along = sign * solid[:, axis]
        facing = sign * rays[:, axis] > 0.9
        if facing.sum() > 0.005 * len(solid):
            return float(np.percentile(along[facing], 90))
        if fallback_pct is None:
            return default
        return float(np.percentile(along, fallback_pct))

    front = reach(0, 1.0, 90)
    if projection == "equirect":
        behind = float(max(reach(0, -1.0, 90), 0.5))
    else:
        behind = float(np.clip(0.25 * front, 0.5, 2.0))
    depth_m = float(np.clip(front + behind, *DEPTH_RANGE_M))
    left = float(max(reach(1, 1.0, 95), 1.0))
    right = float(max(reach(1, -1.0, 95), 1.0))
    width_m = float(np.clip(left + right, *WIDTH_RANGE_M))
    z = solid[:, 2]
    above = z[z > 0]
    up = reach(2, 1.0, None) or (float(np.percentile(above, 90)) if above.size > 0.05 * z.size else 1.5)
    height_m = float(np.clip(INDOOR_CAMERA_HEIGHT_M + up, *HEIGHT_RANGE_M))
    lis_x = float(np.clip(behind, 0.3, depth_m - 0.3))
    lis_y = float(np.clip(right * width_m / (left + right), 0.3, width_m - 0.3))
    lis_z = float(min(INDOOR_CAMERA_HEIGHT_M, height_m - 0.3))
    if cues["warm"] > 0.35:
        material = "wood"
    elif cues["grey"] > 0.5:
        material = "plaster" if cues["grey_value"] > 0.5 else "concrete"
    else:
        material = "furnished"
    return {
        "kind": "indoor",
        "dimensions_m": [round(width_m, 2), round(depth_m, 2), round(height_m, 2)],
        "material": material,
        "listener_m": [round(lis_x, 2), round(lis_y, 2), round(lis_z, 2)],
        "confidence": confidence,
    }


def combine_rooms(rooms: list[dict]) -> dict | None:
    """One room for a video: the majority kind, the median size and listener, the commonest material."""
    rooms = [r for r in rooms if r]
    if not rooms:
        return None
    votes = [r["kind"] for r in rooms]
    kind = max(("indoor", "outdoor"), key=votes.count)
    same = [r for r in rooms if r["kind"] == kind]
    materials = [r["material"] for r in same]
    out = {
        "kind": kind,
        "material": max(materials, key=materials.count),
        "listener_m": [round(float(v), 2) for v in np.median([r["listener_m"] for r in same], axis=0)],
        "confidence": round(float(np.mean([r["confidence"] for r in same]) * len(same) / len(rooms)), 3),
    }
    if kind == "indoor":
        out["dimensions_m"] = [
            round(float(v), 2) for v in np.median([r["dimensions_m"] for r in same], axis=0)
        ]
        w, d, h = out["dimensions_m"]
        x, y, z = out["listener_m"]
        out["listener_m"] = [min(x, d - 0.3), min(y, w - 0.3), min(z, h - 0.3)]
    out["confidence"] = max(out["confidence"], 0.5)
    return {k: out[k] for k in ("kind", "dimensions_m", "material", "listener_m", "confidence") if k in out}
