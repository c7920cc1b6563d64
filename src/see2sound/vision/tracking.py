"""Regions followed across video frames: Hungarian association, track birth and death, smoothing.

Frame-to-frame association minimises a cost of box overlap (1 - IoU), colour-histogram distance
(Bhattacharyya), angular distance and label disagreement with :func:`scipy.optimize.linear_sum_assignment`
(Kuhn 1955); a track survives ``max_gap`` missed frames and is kept when it lasts ``min_track_s``.
Trajectories are smoothed with a Savitzky–Golay filter on unit direction vectors and log-distance.
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field

import numpy as np

from ..geometry import angle_between_deg, direction_to_vector, vector_to_direction

GATE_COST = 0.85  # pairs costlier than this are never matched
GATE_ANGLE_DEG = 25.0


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


def association_cost(track_draft, draft) -> float:
    """Cost of continuing a track (last observation ``track_draft``) with ``draft``; lower is better."""
    angle = float(
        angle_between_deg(
            direction_to_vector(track_draft.azimuth_deg, track_draft.elevation_deg),
            direction_to_vector(draft.azimuth_deg, draft.elevation_deg),
        )
    )
    if angle > GATE_ANGLE_DEG:
        return np.inf
    iou = box_iou(track_draft.bbox, draft.bbox)
    colour = bhattacharyya_distance(track_draft.appearance, draft.appearance)
    label = 0.0 if track_draft.label == draft.label else 0.15
    kind = 0.0 if track_draft.kind == draft.kind else 0.5
    return 0.4 * (1.0 - iou) + 0.35 * colour + 0.25 * angle / GATE_ANGLE_DEG + label + kind


def track_sources(per_frame, min_track_s: float = 0.5, max_gap: int = 2) -> list[Track]:
    """Associate per-frame source drafts into tracks.

    Parameters
    ----------
    per_frame : list of (time_s, list of SourceDraft)
        Candidates of each analysed frame, in time order.
    min_track_s : float
        Tracks shorter than this are dropped (unless the video itself is shorter).
    max_gap : int
        Frames a track may miss before it ends.
    """
    from scipy.optimize import linear_sum_assignment

    active: list[Track] = []
    finished: list[Track] = []
    next_id = 0
    for time_s, drafts in per_frame:
        matched_tracks: set[int] = set()
        matched_drafts: set[int] = set()
        if active and drafts:
            cost = np.array([[association_cost(t.drafts[-1], d) for d in drafts] for t in active])
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


def select_tracks(tracks: list[Track], n_sources: int) -> list[Track]:
    """The ``n_sources`` best tracks; with three or more slots one is kept for the best ambience."""
    ranked = sorted(tracks, key=lambda t: (-t.score, t.id))
    chosen = ranked[:n_sources]
    if n_sources >= 3 and not any(t.kind == "ambience" for t in chosen):
        ambience = [t for t in ranked if t.kind == "ambience"]
        if ambience:
            chosen = ranked[: n_sources - 1] + ambience[:1]
    return chosen
