"""Regions followed across video frames: Hungarian association, track birth and death, smoothing.

Frame-to-frame association minimises a cost of box overlap (1 - IoU), colour-histogram distance
(Bhattacharyya), angular distance from the *predicted* direction (constant angular velocity on the
sphere), box-size change and label disagreement with :func:`scipy.optimize.linear_sum_assignment`
(Kuhn 1955); a track survives ``max_gap`` missed frames and is kept when it lasts ``min_track_s``. Shot
cuts (:func:`frame_change` above ``CUT_DISTANCE``) end every track. Trajectories are smoothed with a
Savitzky–Golay filter on unit direction vectors and log-distance. :func:`select_over_time` keeps at most
``n_sources`` tracks heard at any moment, movers first.
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field

import numpy as np

from ..geometry import angle_between_deg, direction_to_vector, vector_to_direction

GATE_COST = 0.85  # pairs costlier than this are never matched
GATE_ANGLE_DEG = 25.0  # around the predicted direction
GATE_SIZE_RATIO = 2.5  # a box that grows or shrinks more than this between frames is another object
CUT_DISTANCE = 0.5  # frame_change above this is a shot cut (same shot: < 0.3 measured, cuts: > 0.6)
MOVING_BOX_WIDTHS = 0.75  # a track whose box centre travels this many box widths is a mover
MOVING_ANGLE_DEG = 4.0  # ... or whose direction spans this many degrees


@dataclass
class Track:
    """A region followed over time; arrays are per observation, in time order."""

    id: int
    times: list[float] = field(default_factory=list)
    drafts: list = field(default_factory=list)  # SourceDraft per observation
    azimuth_deg: np.ndarray | None = None  # smoothed, set by :func:`smooth_track`
    elevation_deg: np.ndarray | None = None
    distance_m: np.ndarray | None = None
    label: str = ""
    sound_class: str = ""
    kind: str = "object"
    confidence: float = 0.0
    score: float = 0.0
    missed: int = 0
    moving: bool = False  # set by _vote: the box travelled (see MOVING_BOX_WIDTHS, MOVING_ANGLE_DEG)

    def predicted(self, time_s: float) -> np.ndarray:
        """The unit direction expected at ``time_s``: the last one moved on at the last angular velocity."""
        last = self.drafts[-1]
        here = direction_to_vector(last.azimuth_deg, last.elevation_deg)
        if len(self.drafts) < 2 or self.times[-1] <= self.times[-2]:
            return here
        before = self.drafts[-2]
        there = direction_to_vector(before.azimuth_deg, before.elevation_deg)
        velocity = (here - there) / (self.times[-1] - self.times[-2])  # tangent, per second
        ahead = here + velocity * (time_s - self.times[-1])
        return ahead / np.linalg.norm(ahead)

    def predicted_box(self, time_s: float) -> tuple[float, float, float, float]:
        """The last box moved on at the last velocity of its centre (its size kept)."""
        box = np.asarray(self.drafts[-1].bbox, dtype=float)
        if len(self.drafts) < 2 or self.times[-1] <= self.times[-2]:
            return tuple(box)
        before = np.asarray(self.drafts[-2].bbox, dtype=float)
        shift = ((box[:2] + box[2:]) - (before[:2] + before[2:])) / 2 / (self.times[-1] - self.times[-2])
        shift *= time_s - self.times[-1]
        return tuple(box + np.concatenate([shift, shift]))

    @property
    def bboxes(self) -> list[tuple[float, float, float, float]]:
        return [d.bbox for d in self.drafts]

    @property
    def duration_s(self) -> float:
        return self.times[-1] - self.times[0] if self.times else 0.0


def box_iou(a, b) -> float:
    """Intersection over union of two boxes ``(x0, y0, x1, y1)``."""
    ix = max(0.0, min(a[2], b[2]) - max(a[0], b[0]))
    iy = max(0.0, min(a[3], b[3]) - max(a[1], b[1]))
    inter = ix * iy
    union = (a[2] - a[0]) * (a[3] - a[1]) + (b[2] - b[0]) * (b[3] - b[1]) - inter
    return inter / union if union > 0 else 0.0


def bhattacharyya_distance(p: np.ndarray, q: np.ndarray) -> float:
    """Hellinger form of the Bhattacharyya distance between two normalised histograms, in [0, 1]."""
    return float(np.sqrt(max(0.0, 1.0 - np.sum(np.sqrt(p * q)))))


def box_area(box) -> float:
    return max(0.0, box[2] - box[0]) * max(0.0, box[3] - box[1])


def frame_change(previous: np.ndarray, image: np.ndarray, bins: int = 8) -> float:
    """How different two frames look, in [0, 1]: Hellinger distance of their RGB colour histograms.

    Moving things change a small part of the histogram; a shot cut replaces it (measured on synthetic
    clips: < 0.3 within a shot, camera pans and people crossing included, > 0.6 across cuts).
    """

    def histogram(rgb: np.ndarray) -> np.ndarray:
        q = (rgb[::2, ::2].reshape(-1, 3).astype(np.int32) * bins) // 256
        h = np.bincount((q[:, 0] * bins + q[:, 1]) * bins + q[:, 2], minlength=bins**3).astype(np.float64)
        return h / max(h.sum(), 1.0)

    return bhattacharyya_distance(histogram(previous), histogram(image))


def association_cost(track_draft, draft, predicted: np.ndarray | None = None, box=None) -> float:
    """Cost of continuing a track (last observation ``track_draft``) with ``draft``; lower is better.

    ``predicted`` and ``box`` are the direction and box the track is expected at (:meth:`Track.predicted`,
    :meth:`Track.predicted_box`); by default its last ones. Pairs farther than ``GATE_ANGLE_DEG`` from it,
    or whose box area changes by more than ``GATE_SIZE_RATIO``, are never matched.
    """
    if predicted is None:
        predicted = direction_to_vector(track_draft.azimuth_deg, track_draft.elevation_deg)
    box = track_draft.bbox if box is None else box
    angle = float(angle_between_deg(predicted, direction_to_vector(draft.azimuth_deg, draft.elevation_deg)))
    if angle > GATE_ANGLE_DEG:
        return np.inf
    a, b = box_area(track_draft.bbox), box_area(draft.bbox)
    size = abs(np.log(a / b)) / np.log(GATE_SIZE_RATIO) if a > 0 and b > 0 else 0.0
    if size > 1.0:
        return np.inf
    iou = box_iou(box, draft.bbox)
    colour = bhattacharyya_distance(track_draft.appearance, draft.appearance)
    label = 0.0 if track_draft.label == draft.label else 0.15
    kind = 0.0 if track_draft.kind == draft.kind else 0.5
    return 0.35 * (1.0 - iou) + 0.3 * colour + 0.2 * angle / GATE_ANGLE_DEG + 0.15 * size + label + kind


def track_sources(per_frame, min_track_s: float = 0.5, max_gap: int = 2, cuts=()) -> list[Track]:
    """Associate per-frame source drafts into tracks.

    Parameters
    ----------
    per_frame : list of (time_s, list of SourceDraft)
        Candidates of each analysed frame, in time order.
    min_track_s : float
        Tracks shorter than this are dropped (unless the video itself is shorter).
    max_gap : int
        Frames a track may miss before it ends.
    cuts : iterable of float
        Times of shot cuts (the first frame of each new shot): every track ends there.
    """
    from scipy.optimize import linear_sum_assignment

    active: list[Track] = []
    finished: list[Track] = []
    next_id = 0
    cuts = sorted(float(c) for c in cuts)
    for time_s, drafts in per_frame:
        while cuts and cuts[0] <= time_s + 1e-9:  # a new shot: nothing carries over
            cuts.pop(0)
            finished.extend(active)
            active = []
        matched_tracks: set[int] = set()
        matched_drafts: set[int] = set()
        if active and drafts:
            cost = np.array(
                [
                    [
                        association_cost(t.drafts[-1], d, t.predicted(time_s), t.predicted_box(time_s))
                        for d in drafts
                    ]
                    for t in active
                ]
            )
            finite = np.where(np.isfinite(cost), cost, 1e6)
            rows, cols = linear_sum_assignment(finite)
            for r, c in zip(rows, cols, strict=True):
                if cost[r, c] <= GATE_COST:
                    active[r].times.append(time_s)
                    active[r].drafts.append(drafts[c])
                    active[r].missed = 0
                    matched_tracks.add(r)
                    matched_drafts.add(c)
        still: list[Track] = []
        for i, track in enumerate(active):
            if i not in matched_tracks:
                track.missed += 1
            (still if track.missed <= max_gap else finished).append(track)
        active = still
        for j, draft in enumerate(drafts):
            if j not in matched_drafts:
                active.append(Track(id=next_id, times=[time_s], drafts=[draft]))
                next_id += 1
    finished.extend(active)
    span = per_frame[-1][0] - per_frame[0][0] if per_frame else 0.0
    needed = min(min_track_s, 0.5 * span)
    tracks = [t for t in finished if t.duration_s >= needed and (len(t.times) >= 2 or span == 0)]
    for track in tracks:
        smooth_track(track)
        _vote(track, n_frames=len(per_frame))
    tracks.sort(key=lambda t: (-t.score, t.id))
    return tracks


def smooth_track(track: Track, window: int = 5, polyorder: int = 2) -> None:
    """Savitzky–Golay smoothing of the direction (as unit vectors) and log-distance, in place."""
    az = np.array([d.azimuth_deg for d in track.drafts])
    el = np.array([d.elevation_deg for d in track.drafts])
    dist = np.array([d.distance_m for d in track.drafts])
    n = len(az)
    if n >= 3:
        from scipy.signal import savgol_filter

        w = min(window, n if n % 2 else n - 1)
        order = min(polyorder, w - 1)
        vectors = savgol_filter(direction_to_vector(az, el), w, order, axis=0, mode="interp")
        az, el = vector_to_direction(vectors)
        dist = np.exp(savgol_filter(np.log(dist), w, order, mode="interp"))
    track.azimuth_deg, track.elevation_deg, track.distance_m = az, el, dist


def _vote(track: Track, n_frames: int) -> None:
    """Label, sound class and kind by score-weighted vote along the track; track score."""
    votes: Counter = Counter()
    for d in track.drafts:
        votes[(d.label, d.sound_class, d.kind)] += max(d.score, 1e-3) * max(d.confidence, 0.05)
    (label, sound_class, kind), _ = votes.most_common(1)[0]
    track.label, track.sound_class, track.kind = label, sound_class, kind
    same = [d for d in track.drafts if d.label == label]
    track.confidence = float(np.mean([d.confidence for d in same]))
    coverage = len(track.drafts) / max(n_frames, 1)
    track.score = float(np.mean([d.score for d in track.drafts]) * (0.3 + 0.7 * coverage))
    track.moving = is_moving(track)


def is_moving(track: Track) -> bool:
    """Whether the tracked thing moves: its box centre travels ``MOVING_BOX_WIDTHS`` of its width, or its
    (smoothed) direction spans ``MOVING_ANGLE_DEG`` (a parked car, a tree, a lawn: no)."""
    boxes = np.array(track.bboxes, dtype=float)
    if len(boxes) < 2:
        return False
    centres = (boxes[:, :2] + boxes[:, 2:]) / 2
    width = float(np.median(np.maximum(boxes[:, 2] - boxes[:, 0], 1.0)))
    travel = float(np.max(np.linalg.norm(centres - centres[0], axis=1)))
    az = track.azimuth_deg if track.azimuth_deg is not None else [d.azimuth_deg for d in track.drafts]
    el = track.elevation_deg if track.elevation_deg is not None else [d.elevation_deg for d in track.drafts]
    vectors = direction_to_vector(np.asarray(az), np.asarray(el))
    spread = float(np.max(angle_between_deg(vectors, vectors[0])))
    return track.kind == "object" and (travel >= MOVING_BOX_WIDTHS * width or spread >= MOVING_ANGLE_DEG)


def select_over_time(
    tracks: list[Track], n_sources: int, frame_interval: float = 0.0, max_total: int | None = None
) -> list[Track]:
    """At most ``n_sources`` tracks heard at any moment; tracks that never overlap share a slot.

    Tracks are taken greedily, movers first, then by score, then the longer; a track is kept when,
    over its whole span (``frame_interval`` past its last frame), fewer than ``n_sources`` of those
    already kept are heard at once, and fewer than ``max_total`` are kept in all (each source is a stem as
    long as the clip). With three or more slots one is held for the best ambience (the place under the
    movers) for the whole clip.
    """
    if n_sources < 1:
        return []
    ranked = sorted(tracks, key=lambda t: (not t.moving, -t.score, -t.duration_s, t.id))
    budget = n_sources
    chosen: list[Track] = []
    ambience = [t for t in ranked if t.kind != "object"]
    if n_sources >= 3 and ambience:
        chosen.append(ambience[0])
        budget -= 1
    spans: list[tuple[float, float]] = []

    def span(track: Track) -> tuple[float, float]:
        return track.times[0], track.times[-1] + frame_interval

    for track in ranked:
        if max_total is not None and len(chosen) >= max_total:
            break
        if track in chosen:
            continue
        start, end = span(track)
        # the most kept tracks heard at once within [start, end): checked at every span's start
        moments = [start] + [s for s, _ in spans if start < s < end]
        busiest = max((sum(1 for s, e in spans if s <= m < e) for m in moments), default=0)
        if busiest < budget:
            chosen.append(track)
            spans.append((start, end))
    return sorted(chosen, key=lambda t: (t.kind == "object", t.times[0], t.id))
