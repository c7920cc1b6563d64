"""Tracking: Hungarian association keeps identities, short tracks are dropped, trajectories are smoothed."""

from __future__ import annotations

import numpy as np

from see2sound.vision.analysis import SourceDraft
from see2sound.vision.prompt import parse_prompt
from see2sound.vision.tracking import box_iou, select_tracks, track_sources
from see2sound.vision.types import Region


def draft(az, colour_bin, label="ambience", kind="object", score=0.8, width=10.0):
    hist = np.zeros(64)
    hist[colour_bin] = 1.0
    x = 500 - az * 10
    region = Region(mask=np.ones((2, 2), bool), box=(0, 0, 1, 1))
    return SourceDraft(
        label,
        label,
        0.5,
        kind,
        float(az),
        0.0,
        5.0,
        (x - width, 100.0, x + width, 140.0),
        np.zeros((4, 2)),
        score,
        region,
        hist,
    )


def test_crossing_objects_keep_their_identity():
    times = np.arange(0, 3, 0.25)
    rng = np.random.default_rng(0)
    per_frame = []
    for t in times:
        a = draft(-10 + 8 * t + rng.normal(0, 0.3), 5)  # moving left
        b = draft(10 - 8 * t + rng.normal(0, 0.3), 40)  # moving right, another colour
        per_frame.append((float(t), [b, a] if int(t * 4) % 2 else [a, b]))
    tracks = track_sources(per_frame)
    assert len(tracks) == 2
    for track in tracks:
        colours = {int(np.argmax(d.appearance)) for d in track.drafts}
        assert len(colours) == 1 and len(track.drafts) == len(times)
        truth = (-10 + 8 * times) if colours == {5} else (10 - 8 * times)
        # smoothing brings the noisy track closer to the truth
        raw = np.array([d.azimuth_deg for d in track.drafts])
        assert np.abs(track.azimuth_deg - truth).mean() < np.abs(raw - truth).mean()


def test_flicker_is_dropped_and_gaps_are_bridged():
    per_frame = []
    for k in range(12):
        drafts = [draft(0.0, 3)] if k not in (4, 5) else []  # missed twice: bridged
        if k == 7:
            drafts.append(draft(20.0, 50))  # one-frame flicker
        per_frame.append((k * 0.25, drafts))
    tracks = track_sources(per_frame, min_track_s=0.5)
    assert len(tracks) == 1 and len(tracks[0].drafts) == 10


def test_select_keeps_an_ambience_slot():
    per_frame = [
        (
            k * 0.25,
            [
                draft(0, 1, score=0.9),
                draft(5, 2, score=0.8),
                draft(-5, 3, score=0.7),
                draft(0, 4, label="sky", kind="ambience", score=0.1, width=200),
            ],
        )
        for k in range(6)
    ]
    chosen = select_tracks(track_sources(per_frame), 3)
    assert [t.kind for t in chosen].count("ambience") == 1


def test_box_iou():
    assert box_iou((0, 0, 10, 10), (0, 0, 10, 10)) == 1.0
    assert box_iou((0, 0, 10, 10), (5, 0, 15, 10)) == 50 / 150
    assert box_iou((0, 0, 1, 1), (2, 2, 3, 3)) == 0.0


def test_prompt_parsing():
    assert [n.label for n in parse_prompt("Waves crashing, seagulls and a busy road")] == [
        "ocean waves",
        "seagull",
        "traffic",
    ]
    assert parse_prompt("") == [] and parse_prompt("a quiet abstract painting") == []
