"""The environment from the picture: sky → outdoors, ceiling and walls → indoors, a room's size from depth."""

from __future__ import annotations

import json

import numpy as np
import pytest
from PIL import Image

from see2sound.spatial.reverb import Room
from see2sound.vision.analysis import analyze_image, load_backends
from see2sound.vision.projection import direction_grid
from see2sound.vision.room import combine_rooms, estimate_room, outdoor_probability
from see2sound.vision.types import DepthMap
from tests.vision.synthetic import ROAD, draw_box, outdoor_scene


def indoor_scene(width: int = 320, height: int = 240, seed: int = 0) -> np.ndarray:
    """A white ceiling, beige walls, a wooden floor and a dark sofa; no sky."""
    rng = np.random.default_rng(seed)
    image = np.zeros((height, width, 3), dtype=np.int32)
    image[:] = (200, 190, 170)
    image[: int(0.18 * height)] = (235, 235, 232)
    side = slice(int(0.18 * height), int(0.7 * height))
    image[side, : int(0.15 * width)] = (180, 170, 150)
    image[side, int(0.85 * width) :] = (180, 170, 150)
    floor = int(0.7 * height)
    image[floor:] = np.array((140, 95, 55)) + rng.integers(-10, 11, (height - floor, width, 3))
    draw_box(image, width * 2 // 5, height // 2, width * 3 // 5, height * 3 // 4, (60, 60, 70))
    image += rng.integers(-3, 4, image.shape)  # a camera's noise
    return np.clip(image, 0, 255).astype(np.uint8)


@pytest.fixture(scope="module")
def backends():
    return load_backends(detector="none")


def test_a_picture_with_sky_is_outdoors_on_its_ground(backends):
    room = analyze_image(outdoor_scene(320, 240), backends=backends).room
    assert room["kind"] == "outdoor" and room["material"] == "grass" and room["confidence"] > 0.8
    assert "dimensions_m" not in room
    road = analyze_image(outdoor_scene(ground=ROAD), backends=backends).room
    assert road["kind"] == "outdoor" and road["material"] == "asphalt"


def test_ceiling_and_walls_without_sky_are_indoors_in_a_valid_room(backends):
    room = analyze_image(indoor_scene(), backends=backends).room
    assert room["kind"] == "indoor" and room["confidence"] > 0.7
    w, d, h = room["dimensions_m"]
    assert 2.0 <= w <= 40.0 and 2.0 <= d <= 60.0 and 2.2 <= h <= 12.0
    parsed = Room.from_dict(room)  # the render side accepts it as it is: the listener inside the room
    assert parsed.kind == "indoor" and np.all(parsed.listener_xyz_m <= parsed.size_xyz_m)


def test_room_size_from_the_depth_of_a_shoebox():
    """Depth rendered from a known room: 6 m wide, 6 m deep, 2.8 m high, camera 1 m from the back wall."""
    width, height, hfov = 160, 120, 65.0
    az, el = direction_grid(width, height, hfov)
    a, e = np.radians(az), np.radians(el)
    rays = np.stack([np.cos(e) * np.cos(a), np.cos(e) * np.sin(a), np.sin(e)], axis=-1)
    lo = np.array([-1.0, -2.5, -1.2])  # walls relative to the camera: back, right, floor
    hi = np.array([5.0, 3.5, 1.6])  # front, left, ceiling
    with np.errstate(divide="ignore"):
        t = np.where(rays > 0, hi / rays, np.where(rays < 0, lo / rays, np.inf))
    distance = t.min(axis=-1)
    room = estimate_room(indoor_scene(width, height), DepthMap(distance, along_ray=True), hfov)
    assert room["kind"] == "indoor"
    w, d, h = room["dimensions_m"]
    visible_width = 2.5 + 5.0 * np.tan(np.radians(hfov / 2))  # the left wall is out of view
    assert w == pytest.approx(visible_width, rel=0.15)
    assert d == pytest.approx(6.0, rel=0.15)
    assert h == pytest.approx(2.8, rel=0.15)
    assert room["listener_m"][2] == pytest.approx(1.2)


def test_a_360_picture_sees_every_wall():
    width, height = 256, 128
    az, el = direction_grid(width, height, 360.0, "equirect")
    a, e = np.radians(az), np.radians(el)
    rays = np.stack([np.cos(e) * np.cos(a), np.cos(e) * np.sin(a), np.sin(e)], axis=-1)
    lo, hi = np.array([-2.0, -1.5, -1.2]), np.array([4.0, 3.0, 1.8])  # 6 deep, 4.5 wide, 3 high
    with np.errstate(divide="ignore"):
        distance = np.where(rays > 0, hi / rays, np.where(rays < 0, lo / rays, np.inf)).min(axis=-1)
    room = estimate_room(indoor_scene(width, height), DepthMap(distance, along_ray=True), 360.0, "equirect")
    w, d, h = room["dimensions_m"]
    assert (w, d, h) == pytest.approx((4.5, 6.0, 3.0), rel=0.15)
    x, y, _ = room["listener_m"]
    assert (x, y) == pytest.approx((2.0, 1.5), rel=0.2)  # 2 m from the back wall, 1.5 m from the right


def test_outdoor_probability_follows_each_cue():
    base = outdoor_probability(0.0, 0.0, 0.0, 8.0)
    assert base < 0.5
    assert outdoor_probability(0.3, 0.0, 0.0, 8.0) > 0.5  # sky
    assert outdoor_probability(0.0, 0.0, 0.0, 80.0) > base  # a far horizon
    assert outdoor_probability(0.3, 0.2, 0.8, 80.0) < outdoor_probability(0.3, 0.2, 0.0, 80.0)  # a ceiling


def test_combine_rooms_takes_the_majority_and_the_median():
    inside = {
        "kind": "indoor",
        "dimensions_m": [4, 5, 3],
        "material": "wood",
        "listener_m": [1, 2, 1.2],
        "confidence": 0.9,
    }
    bigger = {**inside, "dimensions_m": [6, 7, 3], "material": "wood"}
    outside = {"kind": "outdoor", "material": "grass", "listener_m": [0, 0, 1.6], "confidence": 0.9}
    room = combine_rooms([inside, bigger, outside])
    assert room["kind"] == "indoor" and room["dimensions_m"] == [5.0, 6.0, 3.0] and room["material"] == "wood"
    assert room["confidence"] == pytest.approx(0.6)
    assert combine_rooms([]) is None


def test_analyze_writes_the_room_into_the_scene(cli, tmp_path):
    picture = tmp_path / "room.png"
    Image.fromarray(indoor_scene(400, 300)).save(picture)
    out = tmp_path / "scene.json"
    code, _, stderr = cli("analyze", picture, "-o", out, "--sources", "2", "--detector", "none")
    assert code == 0, stderr
    data = json.loads(out.read_text())
    assert data["room"]["kind"] == "indoor" and len(data["room"]["dimensions_m"]) == 3
    assert {"version", "duration", "sources", "media", "vision"} <= set(data)
