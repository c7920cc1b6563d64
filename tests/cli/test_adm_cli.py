"""``--format adm`` through the command line: `run` on a picture and `render` on a scene write ADM BWF."""

from __future__ import annotations

import json
import re
from pathlib import Path

import numpy as np
import soundfile as sf

from tests.media.ear_tools import ear_render, rms_db, run_ear

EXAMPLES = Path(__file__).resolve().parents[2] / "examples"


def test_run_writes_adm_that_ear_renders(tmp_path, cli):
    out = tmp_path / "rocket"
    code, stdout, err = cli(
        "run",
        EXAMPLES / "rocket.jpg",
        "--format",
        "adm",
        "-o",
        out,
        "--duration",
        "3",
        "--video",
        "--loudness",
        "-23",
    )
    assert code == 0, err
    path = out / "rocket.adm.wav"
    assert str(path) in stdout
    assert "ADM is not muxed into a video" in err and not (out / "rocket.mp4").exists()
    scene = json.loads((out / "scene.json").read_text())
    sources = [s for s in scene["sources"] if s.get("audio")]
    assert sources

    chna = run_ear("ear-utils", "dump_chna", path).strip().splitlines()
    y, sr = sf.read(str(path), always_2d=True)
    assert sr == 48000 and y.shape == (3 * 48000, len(sources)) and len(chna) == len(sources)
    axml = run_ear("ear-utils", "dump_axml", path)
    # each object starts where its source is (ADM azimuth/elevation are the scene's)
    channels = re.findall(r"<audioChannelFormat .*?</audioChannelFormat>", axml, re.S)
    assert len(channels) == len(sources)
    for src, channel in zip(sources, channels, strict=True):
        first = src["position"] if "position" in src else src["trajectory"][0]
        azimuth = float(re.search(r'coordinate="azimuth">([-\d.]+)<', channel).group(1))
        elevation = float(re.search(r'coordinate="elevation">([-\d.]+)<', channel).group(1))
        assert abs(azimuth - first["azimuth"]) < 0.01 and abs(elevation - first.get("elevation", 0.0)) < 0.01
    assert "<integratedLoudness>-23.00</integratedLoudness>" in axml  # the target asked for

    rendered = ear_render(path, "0+5+0")
    assert rendered.shape == (6, 3 * 48000) and rms_db(rendered) > -60


def test_render_command_writes_adm_and_rejects_flac(tmp_path, cli):
    sf.write(str(tmp_path / "a.wav"), 0.1 * np.random.default_rng(0).standard_normal(48000), 48000)
    scene = {"duration": 1.0, "sources": [{"id": "a", "audio": "a.wav", "position": {"azimuth": 45.0}}]}
    (tmp_path / "scene.json").write_text(json.dumps(scene))
    code, stdout, err = cli("render", tmp_path / "scene.json", "-o", tmp_path / "x.wav", "--format", "adm")
    assert code == 0, err
    assert len(run_ear("ear-utils", "dump_chna", tmp_path / "x.wav").strip().splitlines()) == 1

    code, stdout, err = cli("render", tmp_path / "scene.json", "-o", tmp_path / "x.flac", "--format", "adm")
    assert code != 0 and "an ADM BWF file is a .wav" in err and "Traceback" not in err
    assert not (tmp_path / "x.flac").exists()


def test_render_warns_past_the_atmos_object_limit_and_about_channel_options(tmp_path, cli):
    sf.write(str(tmp_path / "a.wav"), 0.1 * np.random.default_rng(0).standard_normal(24000), 48000)
    sources = [{"id": f"s{i}", "audio": "a.wav", "position": {"azimuth": i - 60.0}} for i in range(119)]
    (tmp_path / "scene.json").write_text(json.dumps({"duration": 0.5, "sources": sources}))
    out = tmp_path / "many.wav"
    code, _, err = cli("render", tmp_path / "scene.json", "-o", out, "--format", "adm", "--room", "indoor")
    assert code == 0, err
    assert "119 objects: the Dolby Atmos Renderer takes at most 118" in err
    assert "--room does not apply to ADM" in err
    assert len(run_ear("ear-utils", "dump_chna", out).strip().splitlines()) == 119
