"""The vision stage's face: one picture (or a stream of frames) in, sound sources in 3D out.

:func:`analyze_image` runs the chosen backends on a picture (detector, regions, depth, labels), places
each region at its mask centroid and median depth (DESIGN §2, §4) and picks the regions a listener
expects to hear. :mod:`see2sound.pipeline.analyze` runs it on the frames of a video and tracks the regions
over time (:mod:`.tracking`). No file is read here: the pipeline hands in arrays.
"""

from __future__ import annotations

from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass, field
from functools import lru_cache

import numpy as np

from ..errors import BackendError, See2SoundError
from ..log import get_logger
from .backends import DEPTH, DETECTORS, LABELS, REGIONS
from .compose import choose_sources
from .mask_geometry import mask_box, mask_centroid, min_area_rectangle
from .projection import (
    DEFAULT_HFOV_DEG,
    axial_depth_to_distance,
    check_projection,
    focal_length_px,
    pixel_to_direction,
)
from .scene_kind import PictureKind, classify_picture
from .scene_parts import AMBIENCE, MIN_CONFIDENCE, PART_SOUNDS
from .size_priors import prior_axial_depth_m
from .sound_classes import coco_sound
from .trust import judge
from .types import DepthMap, Detection, Region

log = get_logger(__name__)

WORKING_SIZE = 320  # long side, pixels, of the picture the classical backends analyse
DETECTION_MIN_SCORE = 0.35
DETECTOR_THREADS = 1  # onnxruntime threads of the NanoDet session (it runs beside the classical analysis)
PRIOR_WEIGHT = 0.7  # weight of a size prior against the depth map, in log-distance
# Ambience (sky, sea, a forest) is heard from its near edge, not from its median point hundreds of metres
# away: its source distance is capped so that 1/r attenuation does not silence it.
AMBIENCE_MAX_DISTANCE_M = 20.0
# an aerial picture is seen looking down from above: its centre this far below the horizon, the ground
# this far below the listener
AERIAL_PITCH_DEG = 60.0
AERIAL_HEIGHT_M = 80.0
CLOSEUP_DISTANCE_M = (0.3, 1.5)  # a close-up's things are within reach


@dataclass
class SourceDraft:
    """A sound source found in one picture, placed in the listener frame (degrees, metres)."""

    label: str
    sound_class: str
    confidence: float
    kind: str  # "object" (a trusted detection) or "part" (a confident scene part)
    azimuth_deg: float
    elevation_deg: float
    distance_m: float
    bbox: tuple[float, float, float, float]  # pixels of the original picture
    polygon: np.ndarray  # (4, 2) minimum-area rectangle, pixels of the original picture
    score: float
    region: Region  # on the working picture
    appearance: np.ndarray  # colour histogram, for tracking
    origin: str = ""  # which backend found it
    role: str = "spot"  # "spot" (a thing that sounds) or "bed" (the place's ambience, surrounds the listener)
    extent: tuple[float, float] | None = None  # angular (width, height) in degrees; None = a point
    level_db: float | None = None  # dB SPL at 1 m (a bed: at the listener); see spatial.level
    evidence: dict = field(default_factory=dict)  # why it is voiced: detector score, part, rule


@dataclass
class ImageAnalysis:
    """Everything :func:`analyze_image` found; ``sources`` are the chosen ones, best first."""

    sources: list[SourceDraft]
    candidates: list[SourceDraft]
    depth: DepthMap
    scale: float  # original pixels per working pixel
    backends: dict[str, str]
    fallback: bool = False
    room: dict | None = None  # the environment (see .room.estimate_room): the scene's "room"
    picture: PictureKind | None = None  # what kind of picture it is
    # detections that failed trust: {"label", "score", "threshold", "box", "reasons"} (not candidates)
    dropped: list[dict] = field(default_factory=list)


@dataclass
class VisionBackends:
    """Instantiated backends for one analysis (reuse it across the frames of a video)."""

    regions: object
    depth: object
    labels: object
    detector: object | None
    names: dict[str, str] = field(default_factory=dict)


def load_backends(
    regions: str = "auto",
    depth: str = "auto",
    labels: str = "auto",
    detector: str = "auto",
    depth_range_m: tuple[float, float] | None = None,
) -> VisionBackends:
    """Create the backends by name (``auto`` = best usable here); ``detector="none"`` skips detection.

    A detector that ``auto`` cannot use, or that fails to load, is skipped with one notice: the
    classical backends then find objects alone.
    """
    if depth_range_m is not None:
        near, far = depth_range_m
        if not (np.isfinite(near) and np.isfinite(far) and 0 < near < far):
            raise See2SoundError(f"depth-range: need 0 < NEAR < FAR metres, got {near} {far}")
    names = {
        "vision": REGIONS.get(regions).name,
        "depth": DEPTH.get(depth).name,
        "labels": LABELS.get(labels).name,
    }
    region_backend = REGIONS.create(regions)
    depth_backend = DEPTH.create(depth, depth_range_m=depth_range_m)
    label_backend = LABELS.create(labels)
    detector_backend = None
    if detector != "none":
        try:
            chosen = DETECTORS.get(detector)
            # NanoDet on one onnxruntime thread: it runs beside the classical analysis (see
            # analyze_image), which keeps the other core busy
            options = {"threads": DETECTOR_THREADS} if chosen.name == "nanodet" else {}
            detector_backend = DETECTORS.create(chosen.name, **options)
            names["detector"] = chosen.name
        except BackendError:
            if detector != "auto":
                raise
            log.info("no object detector in use (%s); classical regions only", _detector_reasons())
        except See2SoundError as exc:
            if detector != "auto":
                raise
            log.warning("object detector failed to load (%s); using classical regions only", exc)
    return VisionBackends(region_backend, depth_backend, label_backend, detector_backend, names)


def _detector_reasons() -> str:
    """Why each registered detector cannot run here, one short clause each."""
    reasons = []
    for backend in DETECTORS.backends():
        reason = backend.unavailable_reason() or "not chosen"
        reasons.append(f"{backend.name}: {reason if len(reason) <= 120 else reason[:117] + '...'}")
    return "; ".join(reasons) or "none registered"


def _resize(image: np.ndarray, working_size: int) -> tuple[np.ndarray, float]:
    h, w = image.shape[:2]
    scale = max(h, w) / working_size
    if scale <= 1.0:
        return image, 1.0
    from PIL import Image

    size = (max(1, round(w / scale)), max(1, round(h / scale)))
    small = np.asarray(Image.fromarray(image).resize(size, Image.Resampling.BOX))
    return small, w / size[0]


MIN_ANALYSIS_SIDE = 8  # the classical region and depth backends need a few pixels per side


def _check_image(image: np.ndarray) -> np.ndarray:
    """The picture as RGB ``uint8``; a valid picture smaller than 8 pixels a side (an icon, a 1×1 pixel)
    is enlarged by pixel repetition so that every backend can analyse it."""
    image = np.asarray(image)
    if image.ndim == 2:
        image = np.repeat(image[..., None], 3, axis=2)
    if image.ndim != 3 or image.shape[2] not in (3, 4) or min(image.shape[:2]) < 1:
        raise See2SoundError(f"image: expected a colour or grey picture, got an array of shape {image.shape}")
    if image.dtype != np.uint8:
        image = np.clip(image, 0, 255).astype(np.uint8)
    small = min(image.shape[:2])
    if small < MIN_ANALYSIS_SIDE:
        factor = -(-MIN_ANALYSIS_SIDE // small)  # ceil: the short side reaches 8 pixels
        image = np.repeat(np.repeat(image, factor, axis=0), factor, axis=1)
    return np.ascontiguousarray(image[..., :3])


def appearance_histogram(image: np.ndarray, mask: np.ndarray, bins: int = 4) -> np.ndarray:
    """Normalised joint RGB histogram (``bins``³) of the masked pixels."""
    pixels = image[mask].astype(int) * bins // 256
    index = (pixels[:, 0] * bins + pixels[:, 1]) * bins + pixels[:, 2]
    hist = np.bincount(index, minlength=bins**3).astype(float)
    return hist / max(hist.sum(), 1.0)


def _detection_region(det: Detection, small: np.ndarray, scale: float, context: dict) -> Region | None:
    h, w = small.shape[:2]
    x0, y0, x1, y1 = (np.array(det.box, dtype=float) / scale).tolist()
    x0, x1 = int(np.clip(np.floor(x0), 0, w - 1)), int(np.clip(np.ceil(x1), 1, w))
    y0, y1 = int(np.clip(np.floor(y0), 0, h - 1)), int(np.clip(np.ceil(y1), 1, h))
    if x1 - x0 < 2 or y1 - y0 < 2:
        return None
    inside = np.zeros((h, w), dtype=bool)
    inside[y0:y1, x0:x1] = True
    mask = np.zeros_like(inside)
    seg = context.get("segments")
    if seg is not None:
        # refine: the segments lying mostly inside the box, except sky
        labels = seg.labels
        within = np.bincount(labels[inside], minlength=seg.count) / np.maximum(seg.area, 1)
        keep = (within >= 0.5) & ~context["is_sky"]
        mask = keep[labels] & inside
    if mask.sum() < 0.25 * inside.sum():  # segmentation did not separate it: the inscribed ellipse
        yy, xx = np.mgrid[0:h, 0:w]
        cy, cx, ry, rx = (y0 + y1 - 1) / 2, (x0 + x1 - 1) / 2, (y1 - y0) / 2, (x1 - x0) / 2
        mask = ((yy - cy) / ry) ** 2 + ((xx - cx) / rx) ** 2 <= 1.0
    return Region(
        mask=mask,
        box=mask_box(mask),
        polygon=min_area_rectangle(mask),
        labels=[(det.label, float(det.score))],
        sound_class=coco_sound(det.label),
        score=1.0 + float(det.score),
        backend=det.backend,
        extra={
            "kind": "object",
            "detection_box": tuple(float(b) for b in det.box),
            "detector_label": det.label,
        },
    )


def _detect(detector, image: np.ndarray, prompt: str | None = None) -> list[tuple[Detection, tuple | None]]:
    """Detections above the detector's score threshold, each with its best rival ``(label, score)``:
    of two boxes on one object (a cat also seen as a dog) the better-scored one is kept (class-agnostic
    suppression at IoU 0.7) and the other is its rival; a box mostly (80 %) inside a better box of the
    same class is dropped (one bicycle seen twice). Detectors that take a prompt (open-vocabulary
    ones such as OWLv2) look for the prompt's nouns."""
    from .tracking import box_iou

    if prompt and hasattr(detector, "prompt"):
        detector.prompt = prompt
    detect = getattr(detector, "detect", None) or detector
    min_score = getattr(detector, "min_score", DETECTION_MIN_SCORE)
    found = sorted((d for d in detect(image) if d.score >= min_score), key=lambda d: -d.score)
    kept: list[list] = []
    for d in found:
        same = next((k for k in kept if box_iou(d.box, k[0].box) >= 0.7), None)
        if same is None:
            # a box mostly inside a better one of the same class is a part of that object seen again
            if any(k[0].label == d.label and _inside_fraction(d.box, k[0].box) >= 0.8 for k in kept):
                continue
            kept.append([d, None])
        elif same[1] is None and d.label != same[0].label:
            same[1] = (d.label, float(d.score))
    return [(d, rival) for d, rival in kept]


def _inside_fraction(box, outer) -> float:
    """Share of ``box``'s area that lies inside ``outer``."""
    ix = max(0.0, min(box[2], outer[2]) - max(box[0], outer[0]))
    iy = max(0.0, min(box[3], outer[3]) - max(box[1], outer[1]))
    area = max(box[2] - box[0], 0.0) * max(box[3] - box[1], 0.0)
    return ix * iy / area if area > 0 else 0.0


def _context_near(box, scale: float, sky: np.ndarray, water: np.ndarray) -> dict:
    """Sky around the box, water in or below it (masks of the working picture)."""
    h, w = sky.shape
    x0, y0, x1, y1 = (np.asarray(box, dtype=float) / scale).tolist()
    bw, bh = max(x1 - x0, 1.0), max(y1 - y0, 1.0)

    def window(a0, b0, a1, b1):
        r0, r1 = int(np.clip(b0, 0, h)), int(np.clip(b1, 0, h))
        c0, c1 = int(np.clip(a0, 0, w)), int(np.clip(a1, 0, w))
        return (slice(r0, r1), slice(c0, c1)) if r1 > r0 and c1 > c0 else None

    around = window(x0 - bw, y0 - bh, x1 + bw, y1 + bh)
    under = window(x0 - 0.25 * bw, y0 + 0.5 * bh, x1 + 0.25 * bw, y1 + 0.5 * bh)
    return {
        "sky_near": bool(around is not None and sky[around].mean() >= 0.2),
        "water_near": bool(under is not None and water[under].mean() >= 0.1),
    }


def _box_fraction(box, size) -> float:
    x0, y0, x1, y1 = box
    return max(x1 - x0, 0.0) * max(y1 - y0, 0.0) / float(size[0] * size[1])


def _trusted(detections, scale, context, picture, size) -> tuple[list, list[dict]]:
    """Split the detections into trusted ones (with their verdict) and the dropped records."""
    road = picture.parts.get("road", 0.0) >= 0.02
    labels = context["segments"].labels
    sky = context["is_sky"][labels]
    water = np.array([p == "water" for p in context["parts"]], dtype=bool)[labels]
    trusted, dropped = [], []
    for det, rival in detections:
        fraction = _box_fraction(det.box, size)
        near = _context_near(det.box, scale, sky, water)
        verdict = judge(det.label, det.score, fraction, picture, road=road, rival=rival, **near)
        if verdict.trusted:
            trusted.append((det, verdict))
        else:
            dropped.append(
                {
                    "label": det.label,
                    "score": round(float(det.score), 3),
                    "threshold": verdict.threshold,
                    "box": [round(float(b), 1) for b in det.box],
                    "reasons": verdict.reasons,
                    "detector": det.backend,
                }
            )
    return trusted, dropped


def _pitch_down(az_deg: float, el_deg: float, pitch_deg: float) -> tuple[float, float]:
    """A direction seen by a camera tilted ``pitch_deg`` down, in the level listener frame."""
    a, e, p = np.radians([az_deg, el_deg, pitch_deg])
    x, y, z = np.cos(e) * np.cos(a), np.cos(e) * np.sin(a), np.sin(e)
    x, z = x * np.cos(p) + z * np.sin(p), -x * np.sin(p) + z * np.cos(p)
    return float(np.degrees(np.arctan2(y, x))), float(np.degrees(np.arctan2(z, np.hypot(x, y))))


def _fit_to_picture(draft: SourceDraft, picture: PictureKind) -> None:
    """Aerial views put everything far below the listener; close-ups keep everything within reach."""
    if picture.kind == "aerial":
        draft.azimuth_deg, draft.elevation_deg = _pitch_down(
            draft.azimuth_deg, draft.elevation_deg, AERIAL_PITCH_DEG
        )
        below = np.sin(np.radians(-draft.elevation_deg))
        draft.distance_m = float(np.clip(AERIAL_HEIGHT_M / max(below, 0.2), AERIAL_HEIGHT_M, 400.0))
        if draft.kind == "part":
            draft.region.extra["measured_distance_m"] = round(draft.distance_m, 3)
            draft.distance_m = min(draft.distance_m, AMBIENCE_MAX_DISTANCE_M)
    elif picture.kind == "closeup":
        draft.distance_m = float(np.clip(draft.distance_m, *CLOSEUP_DISTANCE_M))


def _evidence(draft: SourceDraft, picture: PictureKind, verdict=None) -> dict:
    extra = draft.region.extra
    if draft.kind == "object":
        score = next((s for name, s in draft.region.labels if name == extra.get("detector_label")), None)
        return {
            "detector": draft.origin,
            "score": None if score is None else round(float(score), 3),
            "threshold": None if verdict is None else verdict.threshold,
            "picture": picture.kind,
            "reasons": list(verdict.reasons) if verdict is not None else [],
        }
    part, confidence = extra.get("part"), float(extra.get("part_confidence", 0.0))
    return {
        "part": part,
        "part_confidence": round(confidence, 3),
        "picture": picture.kind,
        "reasons": [f"{part} {confidence:.2f} >= {MIN_CONFIDENCE:.2f}"],
    }


def _is_candidate(region: Region, picture: PictureKind) -> bool:
    """A trusted detection, or a confident scene part that can be in this kind of picture."""
    if region.extra.get("detector_label") is not None:
        return True
    part = region.extra.get("part")
    if part is None or part == AMBIENCE or float(region.extra.get("part_confidence", 0.0)) < MIN_CONFIDENCE:
        return False
    return part in picture.parts  # the picture's kind rules out some (no sky or grass indoors)


@lru_cache(maxsize=1)
def _helper_thread() -> ThreadPoolExecutor:
    return ThreadPoolExecutor(max_workers=1, thread_name_prefix="see2sound-detector")


def _run_beside(func, *args) -> Future:
    """``func(*args)`` on a helper thread (one, shared, started on first use); returns its future."""
    return _helper_thread().submit(func, *args)


def _place(
    region: Region,
    small: np.ndarray,
    scale: float,
    depth: DepthMap,
    full_size: tuple[int, int],
    hfov_deg: float,
    projection: str,
) -> SourceDraft:
    width, height = full_size
    u_s, v_s = mask_centroid(region.mask)
    u, v = (u_s + 0.5) * scale - 0.5, (v_s + 0.5) * scale - 0.5
    if projection == "equirect":
        # the mean direction of the mask's pixels: correct across the ±180° seam
        from ..geometry import direction_to_vector, vector_to_direction

        vs, us = np.nonzero(region.mask)
        az_px, el_px = pixel_to_direction(
            (us + 0.5) * scale - 0.5, (vs + 0.5) * scale - 0.5, width, height, projection="equirect"
        )
        az, el = vector_to_direction(direction_to_vector(az_px, el_px).mean(axis=0))
    else:
        az, el = pixel_to_direction(u, v, width, height, hfov_deg, projection)
    median_depth = float(np.median(depth.depth_m[region.mask]))
    if depth.along_ray or projection == "equirect":
        distance = median_depth
    else:
        distance = float(axial_depth_to_distance(median_depth, u, v, width, height, hfov_deg))
    label_name = region.extra.get("detector_label")
    if label_name is not None:
        x0, y0, x1, y1 = region.extra["detection_box"]
        truncated = x0 <= 1 or y0 <= 1 or x1 >= width - 1 or y1 >= height - 1
        focal = width / (2 * np.pi) if projection == "equirect" else focal_length_px(width, hfov_deg)
        prior = prior_axial_depth_m(label_name, y1 - y0, x1 - x0, focal)
        if prior is not None and not truncated:
            prior_distance = (
                prior
                if projection == "equirect"
                else float(axial_depth_to_distance(prior, u, v, width, height, hfov_deg))
            )
            distance = float(
                np.exp(PRIOR_WEIGHT * np.log(prior_distance) + (1 - PRIOR_WEIGHT) * np.log(distance))
            )
            region.extra["size_prior_distance_m"] = round(prior_distance, 3)
    region.depth_m = median_depth
    if region.extra.get("kind") in ("part", "ambience") and distance > AMBIENCE_MAX_DISTANCE_M:
        region.extra["measured_distance_m"] = round(float(distance), 3)
        distance = AMBIENCE_MAX_DISTANCE_M
    label, confidence = region.labels[0] if region.labels else (AMBIENCE, 0.0)
    sound_class = region.sound_class or PART_SOUNDS.get(label, label)
    bx0, by0, bx1, by1 = region.box
    return SourceDraft(
        label=label,
        sound_class=sound_class,
        confidence=float(confidence),
        kind=region.extra.get("kind", "object"),
        azimuth_deg=float(az),
        elevation_deg=float(el),
        distance_m=max(float(distance), 0.1),
        bbox=(bx0 * scale, by0 * scale, min(bx1 * scale, width), min(by1 * scale, height)),
        polygon=np.asarray(region.polygon) * scale if region.polygon is not None else np.zeros((4, 2)),
        score=float(region.score),
        region=region,
        appearance=appearance_histogram(small, region.mask),
        origin=region.backend,
    )


def _overlap_fraction(a: np.ndarray, b: np.ndarray) -> float:
    return float((a & b).sum()) / max(float(a.sum()), 1.0)


def analyze_image(
    image: np.ndarray,
    *,
    n_sources: int = 4,
    hfov_deg: float | None = None,
    projection: str = "perspective",
    prompt: str | None = None,
    backends: VisionBackends | None = None,
    min_area: float = 0.005,
    working_size: int = WORKING_SIZE,
    max_candidates: int | None = None,
) -> ImageAnalysis:
    """Find the sound sources of one picture and place them in the listener frame.

    Parameters
    ----------
    image : ndarray, shape (H, W, 3)
        RGB picture, uint8.
    n_sources : int
        How many sources to choose (>= 1).
    hfov_deg : float, optional
        Horizontal field of view of a perspective picture (default 65°).
    projection : {"perspective", "equirect"}
        Camera model (DESIGN §2).
    prompt : str, optional
        The user's text; its sound-bearing nouns label the regions that fit them.
    backends : VisionBackends, optional
        From :func:`load_backends`; default ``auto`` for every stage.
    min_area : float
        Smallest region, as a fraction of the picture.
    working_size : int
        Long side in pixels of the copy the classical backends analyse.
    max_candidates : int, optional
        How many candidates to keep (default ``2 * n_sources + 4``).

    Returns
    -------
    ImageAnalysis
        ``sources``: the ambience bed's layers, then the spots (:func:`.compose.choose_sources`);
        never empty (``fallback`` is true when nothing but the bed sounds).
    """
    if int(n_sources) != n_sources or n_sources < 1:
        raise See2SoundError(f"sources: need at least 1, got {n_sources}")
    if not 0.0 <= min_area < 1.0:
        raise See2SoundError(f"min-area: need a fraction in [0, 1), got {min_area}")
    hfov = DEFAULT_HFOV_DEG if hfov_deg is None else float(hfov_deg)
    check_projection(projection, hfov)
    image = _check_image(image)
    backends = backends or load_backends()
    height, width = image.shape[:2]
    small, scale = _resize(image, working_size)
    context: dict = {"projection": projection, "hfov_deg": hfov}
    max_candidates = max_candidates or 2 * n_sources + 4

    # the detector (onnxruntime or torch, which release the GIL) runs on the full picture while the
    # classical backends analyse the small copy: two cores work at once
    pending = (
        _run_beside(_detect, backends.detector, image, prompt) if backends.detector is not None else None
    )
    regions = list(backends.regions.propose(small, max_candidates, min_area, context))
    from .classical import analyse_picture

    analyse_picture(small, context)  # horizon, sky and parts (cached when the classical regions ran)
    detections: list = []
    if backends.detector is not None:
        try:
            detections = pending.result()
        except See2SoundError as exc:
            log.warning("object detector failed (%s); using classical regions only", exc)
            backends.detector = None
    picture = classify_picture(
        small, context, scale, [(d.score, _box_fraction(d.box, (width, height))) for d, _ in detections]
    )
    context["picture"] = picture
    verdicts: dict[int, object] = {}
    dropped: list[dict] = []
    if backends.detector is not None:
        trusted, dropped = _trusted(detections, scale, context, picture, (width, height))
        det_regions = []
        for det, verdict in trusted:
            region = _detection_region(det, small, scale, context)
            if region is not None:
                verdicts[id(region)] = verdict
                det_regions.append(region)
        # a classical object mostly covered by a detection is the same object; a "scene part" lying
        # inside a detected object is part of it (an orange sleeve is not a fire)
        regions = [
            r
            for r in regions
            if all(
                _overlap_fraction(r.mask, d.mask) < (0.3 if r.extra.get("kind") == "object" else 0.5)
                for d in det_regions
            )
        ]
        regions = det_regions + regions
    regions = [r for r in regions if r.mask.any() and _is_candidate(r, picture)]
    backends.labels.label(small, regions, context)
    depth = backends.depth.estimate(small, hfov, projection, context)
    if depth.depth_m.shape != small.shape[:2]:
        raise See2SoundError(
            f"depth backend returned a {depth.depth_m.shape} map for a {small.shape[:2]} picture"
        )
    candidates = [_place(r, small, scale, depth, (width, height), hfov, projection) for r in regions]
    for draft in candidates:
        if projection == "perspective":
            _fit_to_picture(draft, picture)
        draft.evidence = _evidence(draft, picture, verdicts.get(id(draft.region)))
        draft.region.extra["picture"] = picture  # for the preview
    sources = choose_sources(candidates, picture, n_sources, prompt)
    fallback = not any(s.role == "spot" for s in sources)
    from .room import estimate_room

    room = estimate_room(small, depth, hfov, projection, context)
    return ImageAnalysis(
        sources, candidates, depth, scale, dict(backends.names), fallback, room, picture, dropped
    )


def drop_pixels(analysis: ImageAnalysis) -> None:
    """Forget the masks and the depth map of a video frame once it is analysed (tracking needs only
    boxes, directions and colour histograms), so that a long video does not hold every frame's pixels."""
    analysis.depth = None
    for draft in (*analysis.sources, *analysis.candidates):
        draft.region.mask = None
