"""`--room` on render and run: the free field stays exactly as it was; a room adds reflections and a tail."""

from __future__ import annotations

import json

import numpy as np
import soundfile as sf

SR = 16000


def write_scene(folder, room=None):
    burst = np.zeros(SR, dtype=np.float32)
    burst[: SR // 10] = np.random.default_rng(0).standard_normal(SR // 10).astype(np.float32) * 0.3
    (folder / "stems").mkdir(parents=True, exist_ok=True)
    sf.write(folder / "stems" / "a.wav", burst, SR)
    scene = {
        "version": 1,
        "sample_rate": SR,
        "duration": 1.0,
        "sources": [
            {
                "id": "a",
                "label": "clap",
                "audio": "stems/a.wav",
                "position": {"azimuth": 40.0, "elevation": 0.0, "distance": 2.0},
            }
        ],
    }
    if room is not None:
        scene["room"] = room
    (folder / "scene.json").write_text(json.dumps(scene))
    return folder / "scene.json"


ROOM = {
    "kind": "indoor",
    "dimensions_m": [5.0, 6.0, 3.0],
    "material": "plaster",
    "listener_m": [2.5, 3.0, 1.6],
}


def test_room_none_is_exactly_the_free_field(tmp_path, cli):
    free = write_scene(tmp_path / "free")
    roomy = write_scene(tmp_path / "roomy", ROOM)
    for fmt in ("5.1", "foa", "binaural"):
        assert (
            cli("render", free, "-o", tmp_path / f"free-{fmt}.wav", "--format", fmt, "--hrtf", "analytic")[0]
            == 0
        )
        code, _, err = cli(
            "render",
            roomy,
            "-o",
            tmp_path / f"none-{fmt}.wav",
            "--format",
            fmt,
            "--hrtf",
            "analytic",
            "--room",
            "none",
        )
        assert code == 0, err
        a = (tmp_path / f"free-{fmt}.wav").read_bytes()
        assert a == (tmp_path / f"none-{fmt}.wav").read_bytes()


def test_the_scene_room_adds_a_decaying_tail_after_the_sound_stops(tmp_path, cli):
    roomy = write_scene(tmp_path / "roomy", ROOM)
    out = {}
    for spec in ("none", "auto"):
        code, _, err = cli(
            "render",
            roomy,
            "-o",
            tmp_path / f"{spec}.wav",
            "--format",
            "5.1",
            "--room",
            spec,
            "--loudness",
            "off",
        )
        assert code == 0, err
        out[spec], _ = sf.read(tmp_path / f"{spec}.wav", always_2d=True)
    late = slice(int(0.25 * SR), int(0.45 * SR))  # the burst ended at 0.1 s; 2 m is 6 ms away
    dry = np.sum(out["none"][late, [0, 1, 2, 4, 5]] ** 2)
    wet = np.sum(out["auto"][late, [0, 1, 2, 4, 5]] ** 2)
    assert dry < 1e-8 < wet
    later = slice(int(0.6 * SR), int(0.8 * SR))
    assert np.sum(out["auto"][later, [0, 1, 2, 4, 5]] ** 2) < wet  # and it decays


def test_bad_room_spec_is_one_line_and_writes_nothing(tmp_path, cli):
    scene = write_scene(tmp_path / "s")
    code, _, err = cli("render", scene, "-o", tmp_path / "x.wav", "--room", "kitchen-ish")
    assert code != 0 and err.startswith("error: ") and len(err.strip().splitlines()) == 1
    assert not (tmp_path / "x.wav").exists()
    from PIL import Image

    Image.new("RGB", (64, 48), (120, 140, 160)).save(tmp_path / "p.png")
    code, _, err = cli("run", tmp_path / "p.png", "-o", tmp_path / "out", "--room", "3x?x2")
    assert code != 0 and len(err.strip().splitlines()) == 1
    assert not (tmp_path / "out").exists()
