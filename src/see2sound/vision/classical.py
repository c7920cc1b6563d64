"""The embedded classical backends (no weights, no network): regions, depth and labels.

All three share one analysis of the picture (segmentation, horizon and sky, scene parts) kept
in the ``context`` dict that the stage passes to every backend of one picture.
"""

from __future__ import annotations

import numpy as np
from scipy import ndimage

from .backends import DEPTH, LABELS, REGIONS
from .depth_cues import (
    INDOOR_CAMERA_HEIGHT_M,
    INDOOR_RANGE_M,
    OUTDOOR_CAMERA_HEIGHT_M,
    OUTDOOR_RANGE_M,
    combine_log,
    ground_plane_distance,
    haze_transmission,
    log_interpolate,
    segment_contact_distance,
)
from .horizon import (
    EDGE_MIN_STRENGTH,
    Horizon,
    combine,
    edge_horizon,
    find_sky,
    sky_horizon,
    sky_likeness,
    split_at_row,
)
from .mask_geometry import mask_box, min_area_rectangle
from .projection import direction_grid, pixel_to_direction
from .scene_parts import AMBIENCE, PART_SOUNDS, PART_WEIGHTS, PARTS, classify_parts
from .segmentation import adjacency, oversegment, segment_statistics
from .types import DepthMap, Region

SPLIT_MIN_WIDTH = 0.3  # segments at least this wide (fraction of the width) are cut at a strong horizon


def analyse_picture(image: np.ndarray, context: dict) -> dict:
    """Segmentation, statistics, horizon, sky and scene parts of ``image``, cached in ``context`` (keys
    ``segments``, ``horizon`` / ``horizon_row``, ``is_sky``, ``parts``, ``part_confidence``,
    ``adjacency``)."""
    if "segments" in context:
        return context
    wrap = context.get("projection") == "equirect"
    labels = oversegment(image)
    seg = segment_statistics(image, labels, wrap=wrap)
    h, w = labels.shape
    edge_row, edge_strength = (None, 0.0) if wrap else edge_horizon(image)
    if edge_row is not None and edge_strength >= EDGE_MIN_STRENGTH:
        # a lake mirroring the sky is one colour with it: cut wide sky-like segments reaching down from
        # the top edge at a strong full-width edge
        eligible = ((seg.right - seg.left + 1) >= SPLIT_MIN_WIDTH * w) & seg.touches_top
        eligible &= sky_likeness(seg) >= 0.5
        split = split_at_row(labels, edge_row, eligible)
        if split is not None:
            labels = split
            seg = segment_statistics(image, labels, wrap=wrap)
    adj = adjacency(labels, wrap=wrap)
    is_sky = find_sky(seg, adj)
    if wrap:  # a 360° picture: the horizon is its equator
        horizon = Horizon(h / 2, 1.0, "equirect")
    else:
        horizon = combine(sky_horizon(seg, is_sky), edge_row, edge_strength, h)
    if horizon.row is not None:  # nothing below the horizon is sky
        is_sky &= seg.centroid_yx[:, 0] < horizon.row
    parts, confidence = classify_parts(seg, horizon.row, is_sky)
    context.update(
        segments=seg,
        parts=parts,
        part_confidence=confidence,
        is_sky=is_sky,
        horizon=horizon,
        horizon_row=None if wrap else horizon.row,
        adjacency=adj,
    )
    return context


def _region(mask: np.ndarray, kind: str, score: float, **extra) -> Region:
    return Region(
        mask=mask,
        box=mask_box(mask),
        polygon=min_area_rectangle(mask),
        score=float(score),
        backend="classical",
        extra={"kind": kind, **extra},
    )


class ClassicalRegions:
    """Scene-part regions (sky, water, grass, …): the largest connected pieces of each confident part.

    Salient but unnamed blobs are not proposed: colour cannot say what they are, and a region whose
    sound is unknown is not voiced (objects come from a detector).
    """

    name = "classical"

    def propose(self, image: np.ndarray, max_regions: int, min_area: float, context: dict) -> list[Region]:
        ctx = analyse_picture(image, context)
        seg, parts, conf = ctx["segments"], ctx["parts"], ctx["part_confidence"]
        labels = seg.labels
        if seg.count < 2:  # a featureless picture has nothing to tell apart
            return []
        total = float(labels.size)
        min_pixels = max(4.0, min_area * total)
        regions: list[Region] = []
        for part in sorted(set(parts) & set(PARTS)):
            members = [i for i, p in enumerate(parts) if p == part]
            components, n = ndimage.label(np.isin(labels, members))
            if n == 0:
                continue
            sizes = np.bincount(components.ravel(), minlength=n + 1)[1:]
            for rank, k in enumerate(np.argsort(-sizes, kind="stable")[:2]):
                # the largest piece of each part; a second one only when it is large too
                if sizes[k] < max(min_pixels, (0.03 if rank == 0 else 0.15) * total):
                    continue
                mask = components == k + 1
                segs = np.unique(labels[mask])
                confidence = float(np.average(conf[segs], weights=seg.area[segs]))
                score = 0.45 * PART_WEIGHTS.get(part, 0.2) * confidence * (0.5 + 0.5 * sizes[k] / total)
                regions.append(_region(mask, "part", score, part=part, part_confidence=round(confidence, 3)))
        regions.sort(key=lambda r: -r.score)
        return regions[:max_regions]


class ClassicalDepth:
    """Ground plane + horizon, support/occlusion and haze, in metres within a range per scene type."""

    name = "classical"

    def __init__(self, depth_range_m: tuple[float, float] | None = None):
        self.depth_range_m = depth_range_m

    def estimate(self, image: np.ndarray, hfov_deg: float, projection: str, context: dict) -> DepthMap:
        ctx = analyse_picture(image, context)
        seg, is_sky = ctx["segments"], ctx["is_sky"]
        labels = seg.labels
        h, w = labels.shape
        picture = ctx.get("picture")
        if picture is not None:  # the picture's kind (scene_kind.classify_picture) decides
            outdoor = bool(picture.outdoor)
        else:  # outdoors when a real piece of sky shows (not a stray bright patch)
            outdoor = bool(seg.area[is_sky].sum() >= 0.05 * labels.size)
        near_m, far_m = self.depth_range_m or (OUTDOOR_RANGE_M if outdoor else INDOOR_RANGE_M)
        camera_height = OUTDOOR_CAMERA_HEIGHT_M if outdoor else INDOOR_CAMERA_HEIGHT_M
        _, elevation = direction_grid(w, h, hfov_deg, projection)
        horizon_el = 0.0
        if ctx["horizon_row"] is not None:
            _, horizon = pixel_to_direction((w - 1) / 2, ctx["horizon_row"] - 0.5, w, h, hfov_deg, projection)
            horizon_el = float(horizon)
        ground = ground_plane_distance(elevation, horizon_el, camera_height)
        contact = segment_contact_distance(labels, ground, is_sky, far_m)
        # within a segment standing on the ground, surfaces lying on the ground still recede with it
        per_pixel = contact[labels]
        flat = np.isin(
            labels, [i for i, p in enumerate(ctx["parts"]) if p in ("road", "sand", "snow", "water")]
        )
        per_pixel = np.where(flat & np.isfinite(ground), np.minimum(ground, far_m), per_pixel)
        estimates, weights = [per_pixel], [1.0]
        if not outdoor:  # indoors, floor, tables and walls recede upwards: a per-row gradient near -> far
            rows = np.arange(h, dtype=float)[:, None] / max(h - 1, 1)
            estimates.append(np.broadcast_to(log_interpolate(1.0 - rows, near_m, far_m), (h, w)))
            weights.append(1.0)
        if outdoor:
            t = haze_transmission(image, patch=max(3, int(0.02 * max(h, w)) | 1))
            haze = log_interpolate(-np.log(t) / -np.log(0.05), near_m, far_m)
            estimates.append(haze)
            weights.append(0.25)
        depth = combine_log(estimates, weights)
        depth = np.where(is_sky[labels], far_m, depth)
        return DepthMap(np.clip(depth, near_m, far_m), along_ray=True, backend="classical")


class ClassicalLabels:
    """Scene-part labels from colour, texture and place, with an honest ``ambience`` when unsure."""

    name = "classical"

    def label(self, image: np.ndarray, regions: list[Region], context: dict) -> None:
        ctx = analyse_picture(image, context)
        seg, parts, conf = ctx["segments"], ctx["parts"], ctx["part_confidence"]
        for region in regions:
            if region.labels:  # a detector or another labeller already named it
                continue
            part = region.extra.get("part")
            if part is not None:  # a scene-part region names itself
                region.labels = [(part, float(region.extra.get("part_confidence", 0.0)))]
                region.sound_class = PART_SOUNDS.get(part, PART_SOUNDS[AMBIENCE])
                continue
            segs, counts = np.unique(seg.labels[region.mask], return_counts=True)
            votes: dict[str, float] = {}
            for s, c in zip(segs, counts, strict=True):
                votes[parts[s]] = votes.get(parts[s], 0.0) + c * float(conf[s])
            total = float(counts.sum())
            ranked = sorted(((p, v / total) for p, v in votes.items()), key=lambda x: -x[1])
            best, score = ranked[0]
            if best != AMBIENCE and score < 0.3:
                ranked = [(AMBIENCE, 1.0 - score)] + [x for x in ranked if x[0] != AMBIENCE]
                best = AMBIENCE
            region.labels = [(p, round(float(min(1.0, s)), 3)) for p, s in ranked]
            region.sound_class = PART_SOUNDS[best]


@REGIONS.register("classical", description="graph segmentation, horizon, sky and scene parts (built in)")
def _classical_regions(**_):
    return ClassicalRegions()


@DEPTH.register("classical", description="ground plane, horizon, occlusion, haze and size priors (built in)")
def _classical_depth(depth_range_m=None, **_):
    return ClassicalDepth(depth_range_m)


@LABELS.register("classical", description="scene parts from colour, texture and place (built in)")
def _classical_labels(**_):
    return ClassicalLabels()
