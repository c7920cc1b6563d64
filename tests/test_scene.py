import json

import numpy as np
import pytest

from see2sound.errors import SceneError
from see2sound.scene import Scene, load_scene, save_scene

GOOD = {
    "version": 1,
    "sample_rate": 48000,
    "duration": 8.0,
    "media": {"path": "beach.jpg", "width": 1024, "height": 768, "projection": "perspective", "hfov": 65.0},
    "sources": [
        {
            "id": "s0",
            "label": "ocean waves",
            "prompt": "gentle waves",
            "audio": "stems/s0.wav",
            "gain_db": 0.0,
            "position": {"azimuth": 20.0, "elevation": -5.0, "distance": 12.0},
            "bbox": [120, 300, 560, 700],
        },
        {
            "id": "s1",
            "label": "car",
            "audio": None,
            "trajectory": [
                {"t": 0.0, "azimuth": 60.0, "elevation": 0.0, "distance": 8.0},
                {"t": 4.0, "azimuth": -60.0, "elevation": 0.0, "distance": 8.0},
            ],
        },
    ],
}


def test_round_trip_keeps_fields_and_relative_paths(tmp_path):
    path = tmp_path / "a" / "scene.json"
    path.parent.mkdir()
    path.write_text(json.dumps({**GOOD, "custom": {"x": 1}}))
    scene = load_scene(path)
    assert scene.audio_path(scene.sources[0]) == (tmp_path / "a" / "stems" / "s0.wav").resolve()
    assert scene.audio_path(scene.sources[1]) is None
    out = tmp_path / "b" / "moved.json"
    save_scene(scene, out)
    again = load_scene(out)
    assert again.sources[0].audio == "../a/stems/s0.wav"
    assert again.audio_path(again.sources[0]) == scene.audio_path(scene.sources[0])
    assert again.to_dict()["custom"] == {"x": 1}


def test_trajectory_interpolates_on_the_sphere_and_holds_at_the_ends():
    scene = Scene.from_dict(GOOD)
    car = scene.source("s1")
    assert car.direction_at(-1.0)[0] == pytest.approx(60.0)
    assert car.direction_at(2.0)[0] == pytest.approx(0.0, abs=1e-9)  # midway along the great circle
    assert car.direction_at(1.0)[0] == pytest.approx(30.0, abs=1e-9)
    assert car.direction_at(100.0)[0] == pytest.approx(-60.0)
    dirs, dist = car.positions_at(np.linspace(0, 4, 9))
    assert np.allclose(np.linalg.norm(dirs, axis=1), 1.0)
    assert np.allclose(dist, 8.0)


@pytest.mark.parametrize(
    ("patch", "message"),
    [
        ({"duration": 0}, "duration: must be greater than 0"),
        ({"duration": -2}, "duration: must be greater than 0"),
        ({"version": 2}, "version: unsupported version 2"),
        ({"sample_rate": 100}, "sample_rate"),
        (
            {"sources": [{"id": "x", "position": {"azimuth": float("nan")}}]},
            "sources[0] (id 'x'): position.azimuth",
        ),
        (
            {"sources": [{"id": "x", "position": {"azimuth": 0, "distance": float("inf")}}]},
            "position.distance",
        ),
        ({"sources": [{"id": "x", "position": {"azimuth": 0, "distance": 0}}]}, "position.distance"),
        ({"sources": [{"id": "x"}]}, "sources[0] (id 'x'): needs exactly one of 'position' or 'trajectory'"),
        ({"sources": [{"id": "x", "position": {"elevation": 0}}]}, "position.azimuth: is missing"),
        (
            {"sources": [{"id": "x", "trajectory": [{"t": 1, "azimuth": 0}, {"t": 0.5, "azimuth": 0}]}]},
            "trajectory[1].t: times must increase",
        ),
        ({"sources": [{"id": "x", "trajectory": []}]}, "trajectory"),
        (
            {"sources": [{"id": "x", "position": {"azimuth": 0}}, {"id": "x", "position": {"azimuth": 1}}]},
            "duplicate id",
        ),
    ],
)
def test_bad_scene_gives_one_line_naming_the_field(patch, message):
    with pytest.raises(SceneError) as info:
        Scene.from_dict({**GOOD, **patch}, name="scene.json")
    text = str(info.value)
    assert "\n" not in text
    assert text.startswith("scene.json: ")
    assert message in text


def test_unreadable_scene_files(tmp_path):
    with pytest.raises(SceneError, match="no such file"):
        load_scene(tmp_path / "missing.json")
    bad = tmp_path / "bad.json"
    bad.write_text("{ not json")
    with pytest.raises(SceneError, match="not valid JSON"):
        load_scene(bad)
    bad.write_text("[1, 2]")
    with pytest.raises(SceneError, match="JSON object"):
        load_scene(bad)
