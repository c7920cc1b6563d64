"""The embedded classical backends (no weights, no network): regions, depth and labels.

All three share one analysis of the picture (segmentation, scene parts, horizon, saliency) kept in the
``context`` dict that the stage passes to every backend of one picture.
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
from .mask_geometry import mask_box, min_area_rectangle
from .projection import direction_grid, pixel_to_direction
from .saliency import region_contrast_saliency, spectral_residual_saliency
from .scene_parts import AMBIENCE, AMBIENCE_PARTS, PART_SOUNDS, PART_WEIGHTS, classify_parts
from .segmentation import adjacency, oversegment, segment_statistics
from .types import DepthMap, Region

BACKGROUND_PARTS = ("sky", "road", "sand", "snow", "building", "water", "vegetation")
OBJECT_SALIENCY = 0.45  # segments at least this salient (0..1) form objects


def analyse_picture(image: np.ndarray, context: dict) -> dict:
    """Segmentation, statistics, scene parts, horizon and saliency of ``image``, cached in ``context``."""
    if "segments" in context:
        return context
    wrap = context.get("projection") == "equirect"
    labels = oversegment(image)
    seg = segment_statistics(image, labels, wrap=wrap)
    parts, confidence = classify_parts(seg)
    h, w = labels.shape
    is_sky = np.array([p == "sky" for p in parts])
    horizon_row = _horizon_row(labels, is_sky, context.get("projection", "perspective"))
    size = float(max(h, w))
    contrast = region_contrast_saliency(seg.mean_lab, seg.area, seg.centroid_yx / size, seg.border_fraction)
    sr = spectral_residual_saliency(image.astype(float).mean(axis=2))
    sr_mean = np.bincount(labels.ravel(), weights=sr.ravel(), minlength=seg.count) / np.maximum(seg.area, 1)
    saliency = 0.75 * contrast + 0.25 * sr_mean
    background = np.array(
        [c if p in BACKGROUND_PARTS else 0.0 for p, c in zip(parts, confidence, strict=True)]
    )
    saliency = saliency * (1.0 - 0.7 * np.clip(background, 0, 1))
    context.update(
        segments=seg,
        parts=parts,
        part_confidence=confidence,
        is_sky=is_sky,
        horizon_row=horizon_row,
        saliency=saliency,
        adjacency=adjacency(labels, wrap=wrap),
    )
    return context


def _horizon_row(labels: np.ndarray, is_sky: np.ndarray, projection: str) -> float | None:
    """The horizon row: just below the sky where there is sky, else ``None`` (a level camera)."""
    h = labels.shape[0]
    if projection == "equirect" or not is_sky.any():
        return None
    sky = is_sky[labels]
    columns = sky.any(axis=0)
    if columns.mean() < 0.3:
        return None
    lowest = h - 1 - np.argmax(sky[::-1, columns], axis=0)
    return float(np.clip(np.median(lowest) + 1, 0.2 * h, 0.8 * h))


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
    """Salient objects (groups of adjacent salient segments) and ambience parts (sky, water, …)."""

    name = "classical"

    def propose(self, image: np.ndarray, max_regions: int, min_area: float, context: dict) -> list[Region]:
        ctx = analyse_picture(image, context)
        seg, parts, conf, sal = ctx["segments"], ctx["parts"], ctx["part_confidence"], ctx["saliency"]
        labels = seg.labels
        if seg.count < 2:  # a featureless picture has nothing to tell apart
            return []
        total = float(labels.size)
        min_pixels = max(4.0, min_area * total)
        regions: list[Region] = []

        # objects: connected groups of salient segments
        salient = sal >= OBJECT_SALIENCY
        if salient.any():
            adj = ctx["adjacency"] & salient[:, None] & salient[None, :]
            from scipy.sparse.csgraph import connected_components

            _, group = connected_components(adj, directed=False)
            for g in np.unique(group[salient]):
                members = np.flatnonzero(salient & (group == g))
                area = seg.area[members].sum()
                if area < min_pixels or area > 0.5 * total:
                    continue
                mask = np.isin(labels, members)
                mean_sal = float(np.average(sal[members], weights=seg.area[members]))
                regions.append(_region(mask, "object", 0.5 + 0.5 * mean_sal, saliency=mean_sal))
        object_segments = {int(i) for r in regions for i in np.unique(labels[r.mask])}

        # ambience: connected components of each scene part among the remaining segments
        for part in sorted(set(parts) & set(AMBIENCE_PARTS)):
            members = [i for i, p in enumerate(parts) if p == part and i not in object_segments]
            if not members:
                continue
            part_mask = np.isin(labels, members)
            components, n = ndimage.label(part_mask)
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
                regions.append(_region(mask, "ambience", score, part=part, part_confidence=confidence))
        if not any(r.extra["kind"] == "ambience" for r in regions):
            # no recognisable scene part: the rest of the picture is the generic ambience
            rest = ~np.isin(labels, sorted(object_segments))
            if rest.sum() >= max(min_pixels, 0.1 * total):
                regions.append(_region(rest, "ambience", 0.05, part=AMBIENCE, part_confidence=0.0))
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
        # outdoors when a real piece of sky shows (not a stray bright patch)
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
    """Scene-part labels from colour, texture and position, with an honest ``ambience`` when unsure."""

    name = "classical"

    def label(self, image: np.ndarray, regions: list[Region], context: dict) -> None:
        ctx = analyse_picture(image, context)
        seg, parts, conf = ctx["segments"], ctx["parts"], ctx["part_confidence"]
        for region in regions:
            if region.labels:  # a detector or another labeller already named it
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


@REGIONS.register("classical", description="saliency + graph segmentation + scene parts (built in)")
def _classical_regions(**_):
    return ClassicalRegions()


@DEPTH.register("classical", description="ground plane, horizon, occlusion, haze and size priors (built in)")
def _classical_depth(depth_range_m=None, **_):
    return ClassicalDepth(depth_range_m)


@LABELS.register("classical", description="scene parts from colour, texture and position (built in)")
def _classical_labels(**_):
    return ClassicalLabels()
