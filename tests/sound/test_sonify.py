"""``see2sound sonify``: stems for every source, provenance, the stem cache, and every bad input."""

from __future__ import annotations

import json

import numpy as np
import pytest
import soundfile as sf

from see2sound.pipeline.sonify import content_keys, media_key, region_key, sonify, source_seed, stem_filename
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
    keys = content_keys(load_scene(scene_path), load_scene(scene_path).sources)
    for src in data["sources"]:
        assert src["audio"] == stem_filename(src["id"])
        y, sr = sf.read(out.parent / src["audio"])
        assert sr == SR and y.ndim == 1 and y.size == SR
        assert src["sound"]["backend"] == "procedural"
        assert src["sound"]["seed"] == source_seed(7, keys[src["id"]])
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


# --- seeds follow the content: the picture, what the source is and where, not its index or id ---


def photo_scene(folder, picture: bytes, sources, name="photo.jpg", size=(1000, 800)):
    """A scene made from a 'picture' file (bytes stand in for a photo) with sources at pixel boxes."""
    folder.mkdir(parents=True, exist_ok=True)
    (folder / name).write_bytes(picture)
    data = {
        "version": 1,
        "sample_rate": SR,
        "duration": 1.0,
        "media": {"path": name, "width": size[0], "height": size[1]},
        "sources": sources,
    }
    path = folder / "scene.json"
    path.write_text(json.dumps(data))
    return path


STREAM = {"label": "stream", "bbox": [100, 500, 600, 780], "position": {"azimuth": -10, "elevation": -20}}


def stem_bytes(scene_json, source_id):
    return (scene_json.parent / "stems" / f"{source_id}.wav").read_bytes()


def test_the_same_stream_in_two_photos_sounds_different(tmp_path):
    one = photo_scene(tmp_path / "a", b"photo one" * 1000, [{"id": "s0", **STREAM}])
    two = photo_scene(tmp_path / "b", b"photo two" * 1000, [{"id": "s0", **STREAM}])
    sonify(one, tmp_path / "oa" / "scene.json", seed=0)
    sonify(two, tmp_path / "ob" / "scene.json", seed=0)
    a = sf.read(tmp_path / "oa" / "stems" / "s0.wav")[0]
    b = sf.read(tmp_path / "ob" / "stems" / "s0.wav")[0]
    assert not np.allclose(a, b, atol=1e-3)  # same id, label, place and seed; another picture


def test_the_same_photo_gives_the_same_sound_whatever_the_ids_order_and_file_name(tmp_path):
    dog = {"label": "dog", "bbox": [700, 300, 800, 450], "position": {"azimuth": 20}}
    picture = b"\xff\xd8 a photo" * 5000
    one = photo_scene(tmp_path / "a", picture, [{"id": "s0", **STREAM}, {"id": "s1", **dog}])
    two = photo_scene(tmp_path / "b", picture, [{"id": "dog", **dog}, {"id": "x", **STREAM}], name="copy.jpg")
    sonify(one, tmp_path / "oa" / "scene.json", seed=4)
    sonify(two, tmp_path / "ob" / "scene.json", seed=4)
    assert stem_bytes(tmp_path / "oa" / "scene.json", "s0") == stem_bytes(tmp_path / "ob" / "scene.json", "x")
    assert stem_bytes(tmp_path / "oa" / "scene.json", "s1") == stem_bytes(
        tmp_path / "ob" / "scene.json", "dog"
    )
    again = photo_scene(tmp_path / "c", picture, [{"id": "s0", **STREAM}, {"id": "s1", **dog}])
    sonify(again, tmp_path / "oc" / "scene.json", seed=4)  # same input, options and seed: same bytes
    for sid in ("s0", "s1"):
        assert stem_bytes(tmp_path / "oa" / "scene.json", sid) == stem_bytes(
            tmp_path / "oc" / "scene.json", sid
        )
    sonify(again, tmp_path / "od" / "scene.json", seed=5)  # another global seed: another variation
    assert stem_bytes(tmp_path / "oa" / "scene.json", "s0") != stem_bytes(
        tmp_path / "od" / "scene.json", "s0"
    )


def test_region_and_label_change_the_seed_and_twins_differ(tmp_path):
    picture = b"one photo" * 100
    at = {"position": {"azimuth": 0}}
    left = {"label": "dog", "bbox": [50, 300, 150, 450], **at}
    right = {"label": "dog", "bbox": [800, 300, 900, 450], **at}
    cat = {"label": "cat", "bbox": [800, 300, 900, 450], **at}
    path = photo_scene(
        tmp_path / "a",
        picture,
        [{"id": "a", **left}, {"id": "b", **right}, {"id": "c", **cat}, {"id": "d", **right}],
    )
    scene = load_scene(path)
    keys = content_keys(scene, scene.sources)
    seeds = {sid: source_seed(0, key) for sid, key in keys.items()}
    assert len(set(seeds.values())) == 4  # place, label and a twin in the same place all count
    # a box moved by a pixel or two is the same region: the seed does not flicker
    nudged = photo_scene(tmp_path / "b", picture, [{"id": "a", **left, "bbox": [51, 301, 151, 449]}])
    scene2 = load_scene(nudged)
    assert content_keys(scene2, scene2.sources)["a"] == keys["a"]


def test_media_key_reads_the_picture_and_falls_back_to_its_name(tmp_path):
    big = bytes(range(256)) * 20000  # 5 MB: only its first and last MiB and its size are read
    one = load_scene(photo_scene(tmp_path / "a", big, []))
    changed = load_scene(photo_scene(tmp_path / "b", big[:-1] + b"x", []))
    assert media_key(one) != media_key(changed) and len(media_key(one)) == 24
    (tmp_path / "a" / "photo.jpg").unlink()
    assert media_key(one) == "photo.jpg:1000x800"  # the picture is gone: its name and size stand in
    hand = load_scene(write_scene(tmp_path / "c"))
    assert media_key(hand) == ""


def test_region_key_uses_the_box_then_the_direction():
    from see2sound.scene import Source

    boxed = Source(id="a", label="dog", bbox=[100, 200, 300, 400], position={"azimuth": 10})
    assert region_key(boxed, 1000, 800) == "box:2,5,6,10"
    assert region_key(boxed) == "box:6,12,19,25"  # no frame size: a 16-pixel grid
    placed = Source(id="b", label="wind", position={"azimuth": -95, "elevation": 32})
    assert region_key(placed) == "dir:26,3"
    moving = Source(id="c", label="car", trajectory=[{"t": 0, "azimuth": 40}, {"t": 1, "azimuth": 50}])
    assert region_key(moving) == "dir:4,0"
    unplaced = Source.model_construct(id="d", label="hum", bbox=None, position=None, trajectory=None)
    assert region_key(unplaced) == ""
