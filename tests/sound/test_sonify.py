"""``see2sound sonify``: stems for every source, provenance, the stem cache, and every bad input."""

from __future__ import annotations

import json

import numpy as np
import pytest
import soundfile as sf

from see2sound.pipeline.sonify import sonify, source_seed, stem_filename
from see2sound.scene import load_scene
from see2sound.sound import procedural

SR = 16000


def write_scene(folder, sources=None, duration=1.0):
    folder.mkdir(parents=True, exist_ok=True)
    sources = sources or [
        {"id": "s0", "label": "dog", "audio": None, "position": {"azimuth": 30, "distance": 3}},
        {"id": "s1", "label": "rain", "position": {"azimuth": -30, "distance": 5}},
    ]
    path = folder / "scene.json"
    path.write_text(json.dumps({"version": 1, "sample_rate": SR, "duration": duration, "sources": sources}))
    return path


@pytest.fixture
def count_generate(monkeypatch):
    calls = []
    real = procedural.ProceduralSound.generate

    def counting(self, request):
        calls.append(request.label)
        return real(self, request)

    monkeypatch.setattr(procedural.ProceduralSound, "generate", counting)
    return calls


def test_cli_end_to_end(tmp_path, cli):
    scene_path = write_scene(tmp_path / "in")
    out = tmp_path / "out" / "scene.json"
    code, stdout, err = cli("sonify", scene_path, "-o", out, "--seed", "7")
    assert code == 0, err
    assert stdout.strip() == str(out)
    data = json.loads(out.read_text())
    for src in data["sources"]:
        assert src["audio"] == stem_filename(src["id"])
        y, sr = sf.read(out.parent / src["audio"])
        assert sr == SR and y.ndim == 1 and y.size == SR
        assert src["sound"]["backend"] == "procedural"
        assert src["sound"]["seed"] == source_seed(7, src["id"])
    assert [s["sound"]["sound_class"] for s in data["sources"]] == ["dog_bark", "rain"]
    assert json.loads(scene_path.read_text())["sources"][0]["audio"] is None  # input untouched


def test_same_seed_same_bytes_and_ids_get_their_own_seed(tmp_path):
    sources = [
        {"id": "a", "label": "wind", "position": {"azimuth": 0}},
        {"id": "b", "label": "wind", "position": {"azimuth": 90}},
    ]
    one = sonify(write_scene(tmp_path / "x", sources), tmp_path / "o1" / "scene.json", seed=3)
    two = sonify(write_scene(tmp_path / "y", sources), tmp_path / "o2" / "scene.json", seed=3)
    a1 = (tmp_path / "o1" / "stems" / "a.wav").read_bytes()
    assert a1 == (tmp_path / "o2" / "stems" / "a.wav").read_bytes()
    assert a1 != (tmp_path / "o1" / "stems" / "b.wav").read_bytes()  # same label, different source
    assert one.to_dict()["sources"] == two.to_dict()["sources"]


def test_cache_hit_does_not_regenerate(tmp_path, count_generate):
    scene_path = write_scene(tmp_path / "in")
    sonify(scene_path, tmp_path / "o1" / "scene.json")
    assert sorted(count_generate) == ["dog", "rain"]
    sonify(scene_path, tmp_path / "o2" / "scene.json")
    assert sorted(count_generate) == ["dog", "rain"]  # read back from the stem cache
    a = sf.read(tmp_path / "o1" / "stems" / "s0.wav")[0]
    b = sf.read(tmp_path / "o2" / "stems" / "s0.wav")[0]
    assert np.array_equal(a, b)
    sonify(scene_path, tmp_path / "o3" / "scene.json", regenerate=True)
    assert len(count_generate) == 4


def test_in_place_fills_only_missing_audio(tmp_path, count_generate):
    folder = tmp_path / "scene"
    (folder / "mine").mkdir(parents=True)
    sf.write(folder / "mine" / "voice.wav", np.zeros(SR), SR)
    path = write_scene(
        folder,
        [
            {"id": "s0", "label": "fire", "audio": None, "position": {"azimuth": 0}},
            {"id": "s1", "label": "my voice", "audio": "mine/voice.wav", "position": {"azimuth": 10}},
        ],
    )
    sonify(path)
    scene = load_scene(path)
    assert scene.sources[0].audio == "stems/s0.wav" and scene.sources[1].audio == "mine/voice.wav"
    assert count_generate == ["fire"]
    sonify(path)  # nothing left to do
    assert count_generate == ["fire"]
    sonify(path, regenerate=True)
    assert count_generate == ["fire", "fire", "my voice"]
    assert load_scene(path).sources[1].audio == "stems/s1.wav"


def test_duration_option_sets_length(tmp_path, cli):
    path = write_scene(tmp_path / "in")
    code, _, err = cli("sonify", path, "-o", tmp_path / "o" / "scene.json", "--duration", "2.5")
    assert code == 0, err
    assert load_scene(tmp_path / "o" / "scene.json").duration == 2.5
    assert sf.info(tmp_path / "o" / "stems" / "s1.wav").frames == int(2.5 * SR)


@pytest.mark.parametrize("value", ["0", "-1", "nan"])
def test_bad_duration(tmp_path, cli, value):
    path = write_scene(tmp_path / "in")
    code, out, err = cli("sonify", path, "-o", tmp_path / "o" / "scene.json", "--duration", value)
    assert code != 0 and "duration" in err and "Traceback" not in err
    assert not (tmp_path / "o" / "scene.json").exists()


def test_refuses_to_overwrite(tmp_path, cli):
    path = write_scene(tmp_path / "in")
    out = tmp_path / "o" / "scene.json"
    assert cli("sonify", path, "-o", out)[0] == 0
    before = out.read_bytes()
    code, _, err = cli("sonify", path, "-o", out)
    assert code == 1 and "already exists" in err and "--overwrite" in err
    assert out.read_bytes() == before
    assert cli("sonify", path, "-o", out, "--overwrite")[0] == 0


def test_refuses_to_replace_a_foreign_stem(tmp_path, cli):
    path = write_scene(tmp_path / "in")
    (tmp_path / "o" / "stems").mkdir(parents=True)
    (tmp_path / "o" / "stems" / "s0.wav").write_bytes(b"precious")
    code, _, err = cli("sonify", path, "-o", tmp_path / "o" / "scene.json")
    assert code == 1 and "s0.wav" in err
    assert (tmp_path / "o" / "stems" / "s0.wav").read_bytes() == b"precious"
    assert not (tmp_path / "o" / "scene.json").exists()


def test_library_option_and_credits(tmp_path, cli):
    lib = tmp_path / "lib"
    lib.mkdir()
    t = np.arange(SR // 2) / SR
    sf.write(lib / "dog_bark.wav", 0.5 * np.sin(2 * np.pi * 500 * t) * np.exp(-t / 0.05), SR)
    (lib / "dog_bark.json").write_text(json.dumps({"author": "Rex", "license": "CC0-1.0"}))
    out = tmp_path / "o" / "scene.json"
    code, _, err = cli("sonify", write_scene(tmp_path / "in"), "-o", out, "--sound-library", lib)
    assert code == 0, err
    dog, rain = json.loads(out.read_text())["sources"]
    assert dog["sound"]["backend"] == "library" and dog["sound"]["files"][0]["author"] == "Rex"
    assert rain["sound"]["backend"] == "procedural"


def test_bad_inputs_are_one_line_errors(tmp_path, cli):
    path = write_scene(tmp_path / "in")
    empty = tmp_path / "empty"
    empty.mkdir()
    cases = [
        (("sonify", tmp_path / "missing.json"), "no such file"),
        (("sonify", path, "-o", tmp_path / "o1.json", "--sound", "nope"), "unknown sound backend"),
        (("sonify", path, "-o", tmp_path / "o2.json", "--sound-library", empty), "no readable audio"),
        (
            ("sonify", path, "-o", tmp_path / "o3.json", "--sound-library", tmp_path / "nolib"),
            "does not exist",
        ),
        (("sonify", path, "-o", tmp_path / "o4.json", "--sound", "library"), "no recording matches"),
    ]
    for args, message in cases:
        code, _, err = cli(*args)
        assert code == 1, args
        assert err.startswith("error:") and message in err and err.count("\n") == 1, err


def test_fallback_label_is_recorded_and_warned(tmp_path, cli):
    path = write_scene(tmp_path / "in", [{"id": "q", "label": "quasar", "position": {"azimuth": 0}}])
    code, _, err = cli("sonify", path, "-o", tmp_path / "o" / "scene.json")
    assert code == 0 and "quasar" in err and "warning" in err
    sound = json.loads((tmp_path / "o" / "scene.json").read_text())["sources"][0]["sound"]
    assert sound["fallback"] is True and sound["sound_class"] == "ambience"


def test_sound_classes_command(cli):
    code, out, _ = cli("sound-classes")
    assert code == 0 and "birdsong" in out and "labels:" in out
