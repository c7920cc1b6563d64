"""Horizon, sky, scene parts, the kind of picture and detector trust, on pictures with known answers.

Synthetic pictures are drawn in tests/vision/synthetic.py; real photographs are scikit-image's samples
and the project's examples, analysed with the NanoDet model that `make test` fetched.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from see2sound.vision.analysis import _resize, analyze_image, load_backends
from see2sound.vision.classical import analyse_picture
from see2sound.vision.horizon import edge_horizon, split_at_row
from see2sound.vision.scene_kind import PictureKind
from see2sound.vision.trust import judge
from see2sound.vision.types import Detection
from tests.vision import synthetic

EXAMPLES = Path(__file__).resolve().parents[2] / "examples"


@pytest.fixture(scope="module")
def classical():
    return load_backends(detector="none")


class Reports:
    def __init__(self, detections):
        self.detections = detections

    def detect(self, image):
        return list(self.detections)


def with_detections(*detections):
    backends = load_backends(detector="none")
    backends.detector = Reports(list(detections))
    backends.names["detector"] = "fake"
    return backends


def part_map(image):
    """The scene part of every pixel of the working picture, and the analysis context."""
    small, _ = _resize(image, 320)
    context = analyse_picture(small, {"projection": "perspective"})
    return np.asarray(context["parts"], dtype=object)[context["segments"].labels], context


def part_candidates(analysis) -> dict:
    return {c.label: c for c in analysis.candidates if c.kind == "part"}


def test_sky_over_a_mirroring_lake(classical):
    image = synthetic.sky_over_water(480, 320, horizon=0.45)
    analysis = analyze_image(image, backends=classical)
    picture = analysis.picture
    assert isinstance(picture, PictureKind)
    assert picture.kind == "waterside" and picture.outdoor
    assert picture.attributes["water_body"] == "sea"  # open water up to the horizon, no far shore
    assert picture.horizon_row == pytest.approx(0.45 * 320, abs=0.03 * 320)
    parts = part_candidates(analysis)
    assert parts["sky"].elevation_deg > 0 and parts["water"].elevation_deg < 0
    assert parts["sky"].bbox[3] <= picture.horizon_row + 0.03 * 320  # no sky below the horizon
    assert parts["water"].bbox[1] >= picture.horizon_row - 0.03 * 320  # no water above it
    assert parts["water"].evidence["part"] == "water" and parts["water"].evidence["part_confidence"] >= 0.5
    assert analysis.room["kind"] == "outdoor" and analysis.room["material"] == "water"


def test_a_textured_meadow_is_grass_in_outdoor_nature(classical):
    analysis = analyze_image(synthetic.grass_field(), backends=classical)
    assert analysis.picture.kind == "nature" and analysis.picture.outdoor
    parts = part_candidates(analysis)
    assert set(parts) == {"sky", "grass"} and parts["grass"].elevation_deg < 0
    assert analysis.room["kind"] == "outdoor" and analysis.room["material"] == "grass"


def test_yellow_grass_is_grass_not_fire(classical):
    image = synthetic.grass_field(colour=(215, 180, 70))
    parts, _ = part_map(image)
    assert not (parts == "fire").any()
    analysis = analyze_image(image, backends=classical)
    assert "grass" in part_candidates(analysis) and "fire" not in analysis.picture.parts


def test_blue_stands_and_a_blue_ball_below_the_horizon_are_not_sky_nor_water():
    image, top, bottom = synthetic.stadium(480, 360)
    parts, context = part_map(image)
    scale = 360 / parts.shape[0]
    rows = slice(int(top / scale) + 2, int(bottom / scale) - 2)
    assert not (parts[rows] == "sky").any()
    assert (parts[rows] == "water").mean() < 0.1
    assert context["horizon"].row == pytest.approx(top / scale, abs=0.03 * parts.shape[0])
    ball_y, ball_x = int(0.8 * 360 / scale), int(0.6 * 480 / scale)
    assert parts[ball_y, ball_x] not in ("sky", "water")
    # nothing below the horizon is sky anywhere
    assert not (parts[int(context["horizon"].row) + 2 :] == "sky").any()


def test_a_blue_sky_is_never_water(classical):
    for image in (synthetic.outdoor_scene(), synthetic.sky_over_water(), synthetic.grass_field()):
        parts, context = part_map(image)
        horizon = int(context["horizon"].row)
        assert not (parts[: horizon - 2] == "water").any()


def test_a_still_life_on_a_table_is_indoors_and_voices_no_scene_part(classical):
    image = synthetic.still_life()
    analysis = analyze_image(image, backends=classical)
    assert analysis.picture.kind in ("indoor", "closeup") and not analysis.picture.outdoor
    assert not part_candidates(analysis)
    assert analysis.room["kind"] == "indoor"
    cup = Detection((192.0, 108.0, 288.0, 252.0), "cup", 0.8, "fake")
    analysis = analyze_image(image, backends=with_detections(cup))
    assert [c.label for c in analysis.candidates] == ["cup"]


def test_an_aerial_town_is_far_below_the_listener(classical):
    analysis = analyze_image(synthetic.aerial_town(), backends=classical)
    assert analysis.picture.kind == "aerial" and analysis.picture.horizon_row is None
    assert analysis.candidates
    for c in analysis.candidates:
        assert c.elevation_deg < -20, (c.label, c.elevation_deg)


def test_flat_colour_artwork_raises_detector_trust():
    image = synthetic.flat_artwork()
    dog = Detection((120.0, 144.0, 216.0, 252.0), "dog", 0.7, "fake")
    analysis = analyze_image(image, backends=with_detections(dog))
    assert analysis.picture.kind == "artwork"
    assert not any(c.kind == "object" for c in analysis.candidates)
    (dropped,) = analysis.dropped
    assert dropped["label"] == "dog" and dropped["threshold"] > 0.7
    assert any("artwork" in r for r in dropped["reasons"])
    assert "sky" not in analysis.picture.parts  # a white background is not a sky
    # the same detection on a photograph of a meadow is believed
    analysis = analyze_image(synthetic.grass_field(), backends=with_detections(dog))
    (found,) = [c for c in analysis.candidates if c.kind == "object"]
    assert found.region.extra["detector_label"] == "dog"
    assert found.evidence["score"] == 0.7 and found.evidence["threshold"] <= 0.7
    assert found.evidence["picture"] == "nature" and found.evidence["detector"] == "fake"


@pytest.mark.parametrize(
    "image",
    [
        np.random.default_rng(0).integers(0, 256, (32, 32, 3), dtype=np.uint8),
        synthetic.outdoor_scene(64, 48)[..., 1],  # grey
        np.dstack([synthetic.grass_field(80, 60), np.full((60, 80), 128, np.uint8)]),  # alpha
        synthetic.outdoor_scene(32, 32),
    ],
    ids=["tiny-noise", "grey", "alpha", "tiny-scene"],
)
def test_tiny_grey_and_alpha_pictures_keep_working(classical, image):
    analysis = analyze_image(image, backends=classical)
    assert analysis.sources and isinstance(analysis.picture, PictureKind)
    assert analysis.picture.kind in ("nature", "urban", "waterside", "indoor", "closeup", "aerial", "artwork")


def test_the_edge_horizon_finds_a_full_width_transition():
    image = synthetic.sky_over_water(320, 240, horizon=0.6)
    row, strength = edge_horizon(image)
    assert row == pytest.approx(0.6 * 240, abs=3) and strength > 0.06
    noise = np.random.default_rng(1).integers(0, 256, (240, 320, 3), dtype=np.uint8)
    assert edge_horizon(noise)[1] < 0.06  # a texture changes as much at every row


def test_split_at_row_cuts_only_eligible_straddling_segments():
    labels = np.zeros((10, 4), dtype=np.intp)
    labels[:, 2:] = 1
    split = split_at_row(labels, 6, np.array([True, False]))
    assert (split[:6, :2] == 0).all() and (split[6:, :2] == 2).all() and (split[:, 2:] == 1).all()
    assert split_at_row(labels, 6, np.array([False, False])) is None


class Picture:
    def __init__(self, kind, outdoor=True):
        self.kind, self.outdoor = kind, outdoor


@pytest.mark.parametrize(
    "label, score, kwargs, trusted",
    [
        ("person", 0.5, {}, False),  # people and animals need more than things
        ("cup", 0.5, {}, True),
        ("dog", 0.6, {}, True),
        ("dog", 0.6, {"picture": Picture("artwork")}, False),
        ("dog", 0.6, {"picture": Picture("closeup", outdoor=False)}, False),
        ("dog", 0.62, {"box_fraction": 0.9}, False),  # a box over most of the frame is suspect
        ("dog", 0.62, {"rival": ("cat", 0.58)}, False),  # also seen as a cat
        ("kite", 0.9, {}, False),  # no sky around it
        ("kite", 0.9, {"sky_near": True}, True),
        ("traffic light", 0.9, {"picture": Picture("nature")}, False),
        ("traffic light", 0.9, {"picture": Picture("nature"), "road": True}, True),
        ("boat", 0.9, {"picture": Picture("nature")}, False),
        ("boat", 0.9, {"picture": Picture("nature"), "water_near": True}, True),
        ("cow", 0.7, {"picture": Picture("indoor", outdoor=False)}, False),
        ("cow", 0.7, {"picture": Picture("nature")}, True),
    ],
)
def test_trust_rules(label, score, kwargs, trusted):
    kwargs = {"box_fraction": 0.1, **kwargs}
    verdict = judge(label, score, kwargs.pop("box_fraction"), kwargs.pop("picture", None), **kwargs)
    assert verdict.trusted is trusted, verdict.reasons
    assert verdict.reasons and 0.0 < verdict.threshold <= 0.95


def skimage_photo(name: str) -> np.ndarray:
    import skimage.data

    return skimage.data.stereo_motorcycle()[0] if name == "motorcycle" else getattr(skimage.data, name)()


def example_photo(name: str) -> np.ndarray:
    from PIL import Image

    with Image.open(EXAMPLES / name) as im:
        return np.asarray(im.convert("RGB"))


# photo -> (outdoor, kinds accepted, detector labels that must be trusted, labels that must not be,
#           parts that must not be voiced)
REAL_PHOTOS = {
    "astronaut": (False, ("indoor",), {"person"}, set(), {"sky", "water", "snow", "fire"}),
    "camera": (True, ("nature", "urban"), {"person"}, set(), {"water", "snow", "fire"}),
    "coffee": (False, ("indoor", "closeup"), set(), set(), {"sky", "water", "sand", "fire"}),
    "chelsea": (False, ("closeup", "indoor"), set(), {"dog"}, {"sky", "water", "sand", "snow"}),
    "motorcycle": (False, ("indoor", "closeup"), {"motorcycle"}, set(), {"sky", "water", "road"}),
    "hubble_deep_field": (None, None, set(), {"person"}, set()),
    "immunohistochemistry": (None, None, set(), {"giraffe"}, {"fire"}),
    "rocket.jpg": (True, ("urban", "nature"), set(), {"kite"}, {"water", "snow", "fire"}),
    "cat.png": (False, ("closeup", "indoor"), set(), {"dog"}, {"sky", "water", "sand", "snow"}),
}


@pytest.mark.parametrize("name", sorted(REAL_PHOTOS))
def test_real_photos(real_cache, name):
    image = example_photo(name) if "." in name else skimage_photo(name)
    outdoor, kinds, must, must_not, silent_parts = REAL_PHOTOS[name]
    analysis = analyze_image(image, backends=load_backends())
    picture = analysis.picture
    if outdoor is not None:
        assert picture.outdoor is outdoor and analysis.room["kind"] == ("outdoor" if outdoor else "indoor")
    if kinds is not None:
        assert picture.kind in kinds, picture.scores
    trusted = {c.region.extra["detector_label"] for c in analysis.candidates if c.kind == "object"}
    assert must <= trusted and not (must_not & trusted), (trusted, analysis.dropped)
    voiced_parts = {c.label for c in analysis.candidates if c.kind == "part"}
    assert not (voiced_parts & silent_parts), voiced_parts


def test_the_preview_shows_the_horizon_the_kind_and_the_untrusted_detections(tmp_path, classical):
    from PIL import Image

    from see2sound.pipeline.preview import PICTURE_BOX, write_preview
    from see2sound.scene import Scene

    image = np.full((240, 320, 3), 40, np.uint8)
    analysis = analyze_image(synthetic.sky_over_water(320, 240, horizon=0.5), backends=classical)
    picture = analysis.picture
    drafts = analysis.candidates[:1]
    scene = Scene.from_dict(
        {
            "version": 1,
            "sample_rate": 48000,
            "duration": 1.0,
            "sources": [{"id": "s0", "label": drafts[0].label, "position": {"azimuth": 0, "distance": 5}}],
        }
    )
    drafts[0].bbox = (0.0, 0.0, 1.0, 1.0)  # keep the label box out of the way
    drafts[0].region.mask = None
    dropped = [{"label": "dog", "score": 0.5, "threshold": 0.85, "box": [200, 160, 300, 230], "reasons": []}]
    write_preview(tmp_path / "p.png", image, drafts, scene, picture=picture, dropped=dropped)
    with Image.open(tmp_path / "p.png") as im:
        rgb = np.asarray(im.convert("RGB")).astype(int)
    x0, y0, x1, y1 = PICTURE_BOX
    factor = min((x1 - x0) / 320, (y1 - y0) / 240)
    ox = x0 + (x1 - x0 - round(320 * factor)) // 2
    oy = y0 + (y1 - y0 - round(240 * factor)) // 2
    row = rgb[oy + int((picture.horizon_row + 0.5) * factor), ox + 20 : ox + 300]
    assert (row.min(axis=1) > 200).mean() > 0.4  # a white dashed line on the dark picture
    grey_edge = rgb[oy + int(160 * factor), ox + int(220 * factor) : ox + int(280 * factor)]
    assert (np.abs(grey_edge - 160).max(axis=1) <= 10).mean() > 0.8  # the untrusted box, in grey
