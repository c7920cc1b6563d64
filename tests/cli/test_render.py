"""``see2sound render``: formats, channel masks read back by FFmpeg, and every bad input as one line."""

from __future__ import annotations

import json
import os
from pathlib import Path

import numpy as np
import pytest
import soundfile as sf

from see2sound.formats import FORMATS

from ..spatial.ffmpeg_meter import ffmpeg_ebur128, ffmpeg_layout

SR = 16000


def _write_scene(folder: Path, sources=None, duration=1.0, stem_channels=1, **extra) -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    (folder / "stems").mkdir(exist_ok=True)
    rng = np.random.default_rng(0)
    y = (rng.standard_normal((int(SR * 1.2), stem_channels)) * 0.1).astype(np.float32)
    sf.write(folder / "stems" / "a.wav", y, SR)
    sf.write(folder / "stems" / "b.wav", y[::-1], SR)
    if sources is None:
        sources = [
            {
                "id": "a",
                "audio": "stems/a.wav",
                "position": {"azimuth": 30.0, "elevation": 10.0, "distance": 2.0},
            },
            {
                "id": "b",
                "audio": "stems/b.wav",
                "trajectory": [{"t": 0.0, "azimuth": -100.0}, {"t": 1.0, "azimuth": 20.0, "distance": 3.0}],
            },
        ]
    data = {"version": 1, "sample_rate": SR, "duration": duration, "sources": sources, **extra}
    path = folder / "scene.json"
    path.write_text(json.dumps(data))
    return path


def _only_the_scene_files_remain(folder: Path, before: set[str]) -> bool:
    return {p.name for p in folder.iterdir()} == before


@pytest.mark.parametrize("fmt", ["stereo", "5.1", "7.1", "7.1.4", "foa", "hoa3"])
def test_renders_every_loudspeaker_and_ambisonic_format_with_its_mask(cli, tmp_path, fmt):
    scene = _write_scene(tmp_path / "s")
    out = tmp_path / f"out_{fmt}.wav"
    code, stdout, err = cli("render", scene, "-o", out, "--format", fmt)
    assert code == 0, err
    assert stdout.strip() == str(out)
    layout, channels = ffmpeg_layout(out)
    assert channels == FORMATS[fmt].n_channels
    if not FORMATS[fmt].is_ambisonic:
        assert layout == FORMATS[fmt].ffmpeg_layout
    info = sf.info(out)
    assert info.samplerate == SR and info.frames == SR


def test_default_is_51_and_loudness_23_is_minus_23_lufs_checked_by_ffmpeg(cli, tmp_path):
    scene = _write_scene(tmp_path / "s", duration=3.0)
    out = tmp_path / "out.wav"
    code, _, err = cli("render", scene, "-o", out, "--sample-rate", "48000", "--loudness", "-23")
    assert code == 0, err
    assert ffmpeg_layout(out) == ("5.1", 6)
    measured = ffmpeg_ebur128(out)
    assert measured["I"] == pytest.approx(-23.0, abs=0.5)
    assert 20 * np.log10(measured["true_peak"]) <= -1.0 + 0.2
    assert sf.info(out).samplerate == 48000


def test_flac_paper_method_and_options(cli, tmp_path):
    scene = _write_scene(tmp_path / "s", stem_channels=2)
    out = tmp_path / "out.flac"
    code, _, err = cli(
        "render",
        scene,
        "-o",
        out,
        "--method",
        "paper",
        "--mic-radius",
        "1.5",
        "--loudness",
        "off",
        "--lfe-db",
        "off",
        "--propagation-delay",
        "--air-absorption",
    )
    assert code == 0, err
    assert "down-mixed" in err  # the stereo stems
    assert ffmpeg_layout(out)[1] == 6
    y, _ = sf.read(out, always_2d=True)
    assert not np.any(y[:, 3])  # --lfe-db off: silent LFE
    code, _, err = cli("render", scene, "-o", out, "--overwrite", "--format", "binaural", "--quiet")
    assert code == 0, err
    assert sf.info(out).channels == 2


def test_negative_option_values_parse(cli, tmp_path):
    scene = _write_scene(tmp_path / "s", duration=2.0)
    out = tmp_path / "loud.wav"
    code, _, err = cli(
        "render", scene, "-o", out, "--format", "stereo", "--loudness", "-16", "--true-peak", "-2"
    )
    assert code == 0, err
    measured = ffmpeg_ebur128(out)
    assert measured["I"] == pytest.approx(-16.0, abs=0.5)
    assert 20 * np.log10(measured["true_peak"]) <= -2.0 + 0.2


def test_loudness_off_leaves_raw_levels(cli, tmp_path):
    scene = _write_scene(
        tmp_path / "s",
        sources=[{"id": "a", "audio": "stems/a.wav", "position": {"azimuth": 30.0, "distance": 1.0}}],
    )
    out = tmp_path / "raw.wav"
    assert cli("render", scene, "-o", out, "--format", "stereo", "--loudness", "off")[0] == 0
    y, _ = sf.read(out, always_2d=True)
    stem, _ = sf.read(tmp_path / "s" / "stems" / "a.wav")
    np.testing.assert_allclose(y[:, 0], stem[:SR], atol=1e-6)  # 30° = L, at 1 m: the stem itself
    np.testing.assert_allclose(y[:, 1], 0.0, atol=1e-6)


def _bad(cli, tmp_path, args, match, scene_kwargs=None, edit=None, out_name="out.wav"):
    folder = tmp_path / "bad"
    scene = _write_scene(folder, **(scene_kwargs or {}))
    if edit is not None:
        edit(scene)
    before = {p.name for p in folder.iterdir()}
    out = folder / out_name
    code, stdout, err = cli("render", scene, "-o", out, *args)
    assert code != 0
    lines = err.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("error:"), err
    assert match in lines[0], lines[0]
    assert "Traceback" not in err
    return folder, before, out


def _edit_json(change):
    def edit(path: Path):
        data = json.loads(path.read_text())
        change(data)
        path.write_text(json.dumps(data))

    return edit


@pytest.mark.parametrize(
    ("case", "args", "match", "edit"),
    [
        ("missing stem", [], "no such file", lambda p: (p.parent / "stems" / "a.wav").unlink()),
        (
            "unreadable stem",
            [],
            "(id 'b'): audio:",
            lambda p: (p.parent / "stems" / "b.wav").write_bytes(b"RIFFjunk"),
        ),
        ("wrong schema", [], "sources", _edit_json(lambda d: d.update(sources={"a": 1}))),
        ("not json", [], "not valid JSON", lambda p: p.write_text("{oops")),
        (
            "nan position",
            [],
            "azimuth",
            lambda p: p.write_text(p.read_text().replace('"azimuth": 30.0', '"azimuth": NaN')),
        ),
        (
            "infinite distance",
            [],
            "distance",
            lambda p: p.write_text(p.read_text().replace('"distance": 2.0', '"distance": Infinity')),
        ),
        ("missing position", [], "position", _edit_json(lambda d: d["sources"][0].pop("position"))),
        ("zero duration", [], "duration", _edit_json(lambda d: d.update(duration=0))),
        ("negative duration", [], "duration", _edit_json(lambda d: d.update(duration=-2.0))),
        (
            "trajectory out of order",
            [],
            "times must increase",
            _edit_json(lambda d: d["sources"][1]["trajectory"].reverse()),
        ),
        (
            "no audio at all",
            [],
            "no source with audio",
            _edit_json(lambda d: [s.update(audio=None) for s in d["sources"]]),
        ),
        ("unknown format", ["--format", "9.1"], "unknown format", None),
        ("paper with ambisonics", ["--format", "foa", "--method", "paper"], "loudspeaker formats", None),
        ("unknown method", ["--method", "magic"], "unknown method", None),
        ("bad loudness", ["--loudness", "loud"], "--loudness", None),
        ("bad sample rate", ["--sample-rate", "1000"], "sample rate", None),
        ("bad mic radius", ["--mic-radius", "-1"], "microphone radius", None),
    ],
)
def test_bad_input_is_one_line_and_leaves_nothing(cli, tmp_path, case, args, match, edit):
    folder, before, out = _bad(cli, tmp_path, args, match, edit=edit)
    assert not out.exists()
    assert _only_the_scene_files_remain(folder, before)


def test_bad_output_extension(cli, tmp_path):
    folder, before, out = _bad(cli, tmp_path, [], "use .wav or .flac", out_name="out.mp3")
    assert not out.exists() and _only_the_scene_files_remain(folder, before)


def test_output_exists_without_overwrite(cli, tmp_path):
    folder = tmp_path / "s"
    scene = _write_scene(folder)
    out = folder / "out.wav"
    out.write_bytes(b"keep me")
    code, _, err = cli("render", scene, "-o", out)
    assert code != 0 and "already exists" in err and "--overwrite" in err
    assert out.read_bytes() == b"keep me"


def test_unwritable_output_folder(cli, tmp_path):
    folder = tmp_path / "s"
    scene = _write_scene(folder)
    blocker = tmp_path / "a_file"
    blocker.write_text("not a folder")
    code, _, err = cli("render", scene, "-o", blocker / "out.wav")
    assert code != 0 and len(err.strip().splitlines()) == 1 and "cannot create output folder" in err
    if os.geteuid() != 0:  # root can write anywhere
        locked = tmp_path / "locked"
        locked.mkdir()
        locked.chmod(0o500)
        code, _, err = cli("render", scene, "-o", locked / "out.wav")
        assert code != 0 and "not writable" in err
        assert list(locked.iterdir()) == []


def test_missing_scene_file(cli, tmp_path):
    code, _, err = cli("render", tmp_path / "nope.json", "-o", tmp_path / "out.wav")
    assert code != 0 and "no such file" in err and len(err.strip().splitlines()) == 1


def test_sofa_file_of_another_convention_is_refused(cli, tmp_path):
    import h5py

    bogus = tmp_path / "room.sofa"
    with h5py.File(bogus, "w") as f:
        f.attrs["Conventions"] = "SOFA"
        f.attrs["SOFAConventions"] = "GeneralFIR"
        f.create_dataset("Data.IR", data=np.zeros((2, 2, 8)))
    text = tmp_path / "notes.sofa"
    text.write_text("not hdf5")
    for sofa in (bogus, text, tmp_path / "missing.sofa"):
        folder, before, out = _bad(cli, tmp_path, ["--format", "binaural", "--hrtf", str(sofa)], sofa.name)
        assert not out.exists() and _only_the_scene_files_remain(folder, before)


def test_bundled_example_scene_renders(cli, tmp_path):
    scene = Path(__file__).resolve().parents[2] / "examples" / "scene" / "scene.json"
    out = tmp_path / "example.wav"
    code, stdout, err = cli("render", scene, "-o", out, "--format", "7.1.4", "--quiet")
    assert code == 0, err
    assert ffmpeg_layout(out) == ("7.1.4", 12)
    assert sf.info(out).duration == pytest.approx(6.0)
