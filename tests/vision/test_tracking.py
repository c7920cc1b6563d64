"""Tracking: Hungarian association keeps identities, short tracks are dropped, trajectories are smoothed."""

from __future__ import annotations

import numpy as np

from see2sound.vision.analysis import SourceDraft
from see2sound.vision.prompt import parse_prompt
from see2sound.vision.tracking import box_iou, frame_change, select_over_time, track_sources
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


def person(az, width=10.0, colour_bin=7, score=0.8):
    return draft(az, colour_bin, label="person", score=score, width=width)


def identity_switches(tracks, truth_of) -> int:
    """Observations whose ground-truth object differs from their track's majority object."""
    switches = 0
    for track in tracks:
        owners = [truth_of[id(d)] for d in track.drafts]
        switches += len(owners) - max(owners.count(o) for o in set(owners))
    return switches


def crossing_people(seed: int):
    """Two people of the same colour and size walk past each other (ground truth: who is who)."""
    rng = np.random.default_rng(seed)
    truth_of, per_frame = {}, []
    for t in np.arange(0, 4, 0.25):
        a = person(-12 + 6 * t + rng.normal(0, 0.4))
        b = person(12 - 6 * t + rng.normal(0, 0.4))
        truth_of[id(a)], truth_of[id(b)] = "a", "b"
        per_frame.append((float(t), [b, a] if rng.random() < 0.5 else [a, b]))
    return per_frame, truth_of


def test_passing_people_of_one_colour_keep_their_identities():
    """Without the motion prediction the nearer box wins at the crossing and every pair swaps (measured:
    100 of 100 tracks ended on the other person, 750 of 1600 observations wrong); with it none swaps and
    only the observation where the two meet is a coin toss (42 of 1600 over 50 seeds)."""
    wrong = 0
    for seed in range(10):
        per_frame, truth_of = crossing_people(seed)
        tracks = track_sources(per_frame)
        assert len(tracks) == 2
        assert all(truth_of[id(t.drafts[0])] == truth_of[id(t.drafts[-1])] for t in tracks)
        wrong += identity_switches(tracks, truth_of)
    assert wrong <= 10 * 2  # at most the meeting frame of each person


def test_box_size_tells_a_near_person_from_a_far_one():
    """A far (small) person standing where a near (big) one walks past is not taken for them."""
    rng = np.random.default_rng(1)
    truth_of, per_frame = {}, []
    for t in np.arange(0, 3, 0.25):
        near = person(-8 + 6 * t + rng.normal(0, 0.3), width=30.0)
        far = person(1.0 + rng.normal(0, 0.3), width=6.0)
        truth_of[id(near)], truth_of[id(far)] = "near", "far"
        per_frame.append((float(t), [near, far]))
    tracks = track_sources(per_frame)
    assert len(tracks) == 2 and identity_switches(tracks, truth_of) == 0
    assert sorted(t.moving for t in tracks) == [False, True]


def test_a_shot_cut_restarts_every_track():
    """After a hard cut another object stands where the old one was: with the cut, no track spans it."""
    per_frame = [(k * 0.25, [person(0.0, colour_bin=7 if k < 8 else 9)]) for k in range(16)]
    joined = track_sources(per_frame)
    assert len(joined) == 1  # same place, same size, a colour change alone is within the gate
    split = track_sources(per_frame, cuts=[2.0])
    assert [(t.times[0], t.times[-1]) for t in split] == [(0.0, 1.75), (2.0, 3.75)]


def test_leaving_and_coming_back_gives_two_spans():
    """An object out of the picture for longer than max_gap frames is heard again only when it is back."""
    per_frame = [(k * 0.25, [person(5.0)] if not 4 <= k < 10 else []) for k in range(16)]
    tracks = track_sources(per_frame)
    assert sorted((t.times[0], t.times[-1]) for t in tracks) == [(0.0, 0.75), (2.5, 3.75)]


def test_frame_change_separates_cuts_from_motion():
    rng = np.random.default_rng(0)
    scene_a = np.zeros((90, 160, 3), np.uint8)
    scene_a[:45] = (120, 160, 200)  # sky over grass
    scene_a[45:] = (70, 120, 60)
    scene_b = np.zeros_like(scene_a)
    scene_b[:] = (180, 170, 150)  # a room
    scene_b[60:] = (90, 60, 40)

    def with_disc(scene, x):
        out = scene.copy()
        out[50:70, x : x + 20] = (220, 30, 30)
        return np.clip(out + rng.integers(0, 12, out.shape), 0, 255).astype(np.uint8)

    within = [frame_change(with_disc(scene_a, x), with_disc(scene_a, x + 12)) for x in range(0, 120, 12)]
    pan = frame_change(scene_a, np.roll(scene_a, 10, axis=0))
    cut = frame_change(with_disc(scene_a, 40), with_disc(scene_b, 40))
    assert max(within) < 0.3 and pan < 0.3 and cut > 0.6


def test_select_over_time_shares_the_budget_and_prefers_movers():
    per_frame = []
    for k in range(24):
        t = k * 0.25
        drafts = [person(-20.0, colour_bin=1, score=0.9)]  # a static thing, well detected, all along
        if t < 2.0:
            drafts.append(person(-5 + 8 * t, colour_bin=2, score=0.5))  # walks by in the first 2 s
        if t >= 3.0:
            drafts.append(person(20 - 8 * (t - 3), colour_bin=3, score=0.5))  # another, after 3 s
        per_frame.append((t, drafts))
    tracks = track_sources(per_frame)
    assert len(tracks) == 3
    chosen = select_over_time(tracks, 1, frame_interval=0.25)
    assert [(t.times[0], t.moving) for t in chosen] == [(0.0, True), (3.0, True)]  # one slot, two movers
    both = select_over_time(tracks, 2, frame_interval=0.25)
    assert len(both) == 3 and sum(not t.moving for t in both) == 1


def test_select_over_time_caps_the_sources_of_a_long_clip():
    """Twenty people pass one after another: one slot takes them all unless a total is set."""
    per_frame = []
    for k in range(200):
        t = k * 0.25
        walker = (k // 10) % 2  # a new person every 2.5 s, alternating colours so the tracks split
        per_frame.append((t, [person(-10 + 8 * (t % 2.5), colour_bin=2 + walker)] if k % 10 < 6 else []))
    tracks = track_sources(per_frame)
    assert len(tracks) == 20
    assert len(select_over_time(tracks, 1, frame_interval=0.25)) == 20
    assert len(select_over_time(tracks, 1, frame_interval=0.25, max_total=3)) == 3
