"""The vision stage on synthetic pictures with known truth (classical backends; objects come from a
stand-in detector whose boxes are drawn on the picture)."""

from __future__ import annotations

import math

import numpy as np
import pytest

from see2sound.errors import See2SoundError
from see2sound.vision.analysis import analyze_image, load_backends
from see2sound.vision.backends import DETECTORS
from see2sound.vision.types import Detection
from tests.vision.synthetic import ROAD, draw_box, draw_disc, outdoor_scene


@pytest.fixture(scope="module")
def classical():
    return load_backends(detector="none")


class FakeDetector:
    def __init__(self, detections=None, error=None):
        self.detections, self.error = detections or [], error

    def detect(self, image):
        if self.error:
            raise See2SoundError(self.error)
        return list(self.detections)


def detecting(*detections):
    """Classical backends plus a detector that reports ``detections``."""
    backends = load_backends(detector="none")
    backends.detector = FakeDetector(list(detections))
    backends.names["detector"] = "fake"
    return backends


def box_of(mask, label="sports ball", score=0.9):
    v, u = np.nonzero(mask)
    return Detection(
        (float(u.min()), float(v.min()), float(u.max() + 1), float(v.max() + 1)), label, score, "fake"
    )


def camera_model(u, v, width, height, hfov_deg):
    """DESIGN §2 written out independently: ray (f, -(u-cx), -(v-cy))."""
    f = (width / 2) / math.tan(math.radians(hfov_deg) / 2)
    x, y, z = f, -(u - (width - 1) / 2), -(v - (height - 1) / 2)
    return math.degrees(math.atan2(y, x)), math.degrees(math.atan2(z, math.hypot(x, y)))


def source_at(analysis, u, v):
    """The placed object (a candidate: whether it is voiced is the composer's business) covering (u, v)."""
    for s in analysis.candidates:
        x0, y0, x1, y1 = s.bbox
        if s.kind == "object" and x0 <= u <= x1 and y0 <= v <= y1:
            return s
    raise AssertionError(
        f"no object covers pixel ({u}, {v}): {[(s.label, s.bbox) for s in analysis.candidates]}"
    )


@pytest.mark.parametrize("cx, cy, hfov", [(470.0, 300.0, 65.0), (120.0, 150.0, 90.0), (330.0, 380.0, 40.0)])
def test_object_direction_matches_the_camera_model(classical, cx, cy, hfov):
    image = outdoor_scene()
    mask = draw_disc(image, cx, cy, 35, (220, 40, 40))
    v, u = np.nonzero(mask)
    truth_az, truth_el = camera_model(u.mean(), v.mean(), 640, 480, hfov)
    analysis = analyze_image(image, n_sources=4, hfov_deg=hfov, backends=detecting(box_of(mask)))
    src = source_at(analysis, cx, cy)
    assert abs(src.azimuth_deg - truth_az) < 1.0
    assert abs(src.elevation_deg - truth_el) < 1.0
    # the region is the disc: box and polygon enclose it closely
    x0, y0, x1, y1 = src.bbox
    assert x0 == pytest.approx(cx - 35, abs=6) and x1 == pytest.approx(cx + 36, abs=6)
    assert src.polygon.shape == (4, 2)


def test_depth_order_follows_the_ground_plane():
    image = outdoor_scene(800, 600, horizon=0.45)
    # three posts standing on the ground: the lower the foot, the nearer
    feet = {"near": 560, "middle": 420, "far": 320}
    colours = {"near": (230, 40, 40), "middle": (240, 220, 30), "far": (200, 40, 200)}
    columns = {"near": 120, "middle": 380, "far": 620}
    boxes = []
    for name, foot in feet.items():
        draw_box(image, columns[name], foot - 120, columns[name] + 60, foot, colours[name])
        # "sports ball" has no size prior: the distance is the depth map's alone
        boxes.append(Detection((columns[name], foot - 120, columns[name] + 60, foot), "sports ball", 0.9))
    analysis = analyze_image(image, n_sources=5, backends=detecting(*boxes))
    dist = {name: source_at(analysis, columns[name] + 30, feet[name] - 60).distance_m for name in feet}
    assert dist["near"] < dist["middle"] < dist["far"]
    sky = [s for s in analysis.candidates if s.label == "sky"]
    assert sky and sky[0].region.extra["measured_distance_m"] > dist["far"]
    # flat ground at camera height 1.6 m: the near post's foot at about 1.6 / sin(angle below horizon)
    _, el_foot = camera_model(columns["near"] + 30, feet["near"], 800, 600, 65.0)
    _, el_horizon = camera_model(400, 0.45 * 600, 800, 600, 65.0)
    expected = 1.6 / math.sin(math.radians(el_horizon - el_foot))
    assert dist["near"] == pytest.approx(expected, rel=0.35)


def test_objects_beat_background():
    image = outdoor_scene()
    backends = detecting(box_of(draw_disc(image, 320, 330, 30, (230, 60, 30))))
    analysis = analyze_image(image, n_sources=1, backends=backends)
    assert analysis.sources[0].kind == "object"
    labels = {s.label for s in analyze_image(image, n_sources=4, backends=backends).sources}
    assert "sky" in labels


def test_unnamed_blobs_are_not_candidates(classical):
    image = outdoor_scene()
    draw_disc(image, 320, 330, 30, (230, 60, 30))  # salient, but nothing says what it is
    analysis = analyze_image(image, n_sources=4, backends=classical)
    assert analysis.candidates and all(c.kind == "part" for c in analysis.candidates)
    assert {c.label for c in analysis.candidates} == {"sky", "grass"}
    for c in analysis.candidates:
        assert c.region.extra["part"] == c.label and c.region.extra["part_confidence"] >= 0.5
        assert c.evidence["part"] == c.label and c.evidence["picture"] == "nature"


def test_scene_parts_are_labelled(classical):
    image = outdoor_scene(ground=ROAD)
    analysis = analyze_image(image, n_sources=4, backends=classical)
    by_label = {s.label: s for s in analysis.sources}
    assert "sky" in by_label and by_label["sky"].elevation_deg > 0 and by_label["sky"].sound_class == "wind"
    assert "road" in by_label and by_label["road"].sound_class == "traffic"


def test_featureless_picture_gives_one_centred_ambience_source(classical, caplog):
    image = np.full((240, 320, 3), 128, np.uint8)
    analysis = analyze_image(image, n_sources=4, backends=classical)
    assert analysis.fallback and not analysis.candidates
    assert len(analysis.sources) == 1
    src = analysis.sources[0]
    assert (src.azimuth_deg, src.elevation_deg) == (0.0, 0.0) and src.label
    assert src.distance_m > 0
    assert "no regions found" in caplog.text


@pytest.mark.parametrize("n", [0, -2])
def test_fewer_than_one_source_is_refused(classical, n):
    with pytest.raises(See2SoundError, match="sources"):
        analyze_image(outdoor_scene(), n_sources=n, backends=classical)


@pytest.mark.parametrize("image", [np.zeros((0, 4, 3), np.uint8), np.zeros((10, 10, 5), np.uint8)])
def test_bad_arrays_are_refused(classical, image):
    with pytest.raises(See2SoundError, match="image"):
        analyze_image(image, backends=classical)


def test_deterministic():
    image = outdoor_scene()
    backends = detecting(box_of(draw_disc(image, 400, 300, 30, (220, 40, 40))))
    a = analyze_image(image, backends=backends)
    b = analyze_image(image, backends=backends)
    assert [(s.label, s.azimuth_deg, s.distance_m) for s in a.sources] == [
        (s.label, s.azimuth_deg, s.distance_m) for s in b.sources
    ]


@pytest.fixture
def fake_detector(monkeypatch):
    """Register a detector named "fake" above every other in DETECTORS for one test."""
    made = {}

    def install(detector):
        made["detector"] = detector
        monkeypatch.setattr(DETECTORS, "_backends", dict(DETECTORS._backends))
        DETECTORS.register("fake", priority=1000)(lambda **_: made["detector"])

    return install


def test_detections_become_labelled_sources_with_size_prior_distance(fake_detector):
    image = outdoor_scene(1024, 768)
    # a dog 0.6 m tall spanning 60 px with f = 512 / tan(32.5°) = 803.7 px stands about 8 m away
    box = (600.0, 400.0, 680.0, 460.0)
    draw_box(image, 600, 400, 680, 460, (120, 80, 50))
    fake_detector(FakeDetector([Detection(box, "dog", 0.9, "fake")]))
    backends = load_backends()  # auto picks the fake detector
    assert backends.names["detector"] == "fake"
    analysis = analyze_image(image, n_sources=3, backends=backends)
    (dog,) = [c for c in analysis.candidates if c.kind == "object"]
    assert (dog.label, dog.origin, dog.region.extra["detector_label"]) == ("dog", "fake", "dog")
    assert dog in analysis.sources
    az, el = camera_model(639.5, 429.5, 1024, 768, 65.0)
    assert abs(dog.azimuth_deg - az) < 1.0 and abs(dog.elevation_deg - el) < 1.0
    prior = 803.7 * 0.6 / 60 * (0.8 / 0.6 * 60 / 80) ** (1 / 3)
    assert dog.region.extra["size_prior_distance_m"] == pytest.approx(prior, rel=0.05)
    assert dog.distance_m == pytest.approx(prior, rel=0.5)
    # a classical duplicate of the same object is not listed again
    assert sum(1 for s in analysis.candidates if s.kind == "object") == 1


def test_prompt_prefers_the_detected_class(fake_detector):
    image = outdoor_scene()
    draw_box(image, 100, 250, 180, 320, (120, 80, 50))
    draw_box(image, 400, 250, 520, 330, (200, 30, 30))
    fake_detector(
        FakeDetector(
            [
                Detection((100, 250, 180, 320), "dog", 0.6, "fake"),
                Detection((400, 250, 520, 330), "car", 0.9, "fake"),
            ]
        )
    )
    analysis = analyze_image(image, n_sources=1, prompt="my dog", backends=load_backends())
    assert analysis.sources[0].label == "dog"


def test_broken_detector_falls_back_with_a_notice(fake_detector, caplog):
    fake_detector(FakeDetector(error="model file is corrupt"))
    image = outdoor_scene()
    draw_disc(image, 300, 300, 30, (220, 40, 40))
    analysis = analyze_image(image, n_sources=2, backends=load_backends())
    assert {c.label for c in analysis.candidates} == {"sky", "grass"}
    assert "detector failed" in caplog.text and "corrupt" in caplog.text


def test_auto_without_a_usable_detector_uses_classical_only():
    backends = load_backends()
    # no detector model is cached in the isolated test cache
    assert backends.detector is None or backends.names.get("detector")


def test_equirect_region_across_the_seam_is_behind():
    from see2sound.vision.analysis import _place
    from see2sound.vision.mask_geometry import mask_box
    from see2sound.vision.types import DepthMap, Region

    # a mask split across the left and right edges: one region straight behind the listener
    mask = np.zeros((64, 128), dtype=bool)
    mask[30:40, :5] = mask[30:40, -5:] = True
    region = Region(mask=mask, box=mask_box(mask), labels=[("dog", 0.9)], extra={"kind": "object"})
    image = np.zeros((64, 128, 3), np.uint8)
    depth = DepthMap(np.full((64, 128), 5.0), along_ray=True)
    draft = _place(region, image, 8.0, depth, (1024, 512), 360.0, "equirect")
    # its mean direction is straight behind (not in front, as the mean pixel would say)
    assert abs(draft.azimuth_deg) > 179.0 and draft.distance_m == pytest.approx(5.0)


def test_depth_range_is_respected():
    backends = load_backends(detector="none", depth_range_m=(2.0, 30.0))
    image = outdoor_scene()
    analysis = analyze_image(image, n_sources=4, backends=backends)
    assert analysis.sources
    assert analysis.depth.depth_m.min() >= 2.0 and analysis.depth.depth_m.max() <= 30.0
    placed = [c for c in analysis.candidates if c.role != "bed"]  # a bed is heard at the listener
    assert all(2.0 <= s.distance_m <= 30.0 * 1.3 for s in placed)  # ray vs axis at the edges
    with pytest.raises(See2SoundError, match="depth-range"):
        load_backends(detector="none", depth_range_m=(5.0, 1.0))
