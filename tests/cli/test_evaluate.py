"""`see2sound evaluate` and `see2sound compare`: JSON shape, exit status, and every bad input."""

import json

import numpy as np
import pytest
import soundfile as sf

from see2sound.media.audio import write_audio

SR = 48000


def _noise(seconds, seed):
    return (np.random.default_rng(seed).standard_normal(int(seconds * SR)) * 0.1).astype(np.float32)


@pytest.fixture
def project(tmp_path):
    """Two stems, each alone for half a second: the first from L, the second from Rs."""
    n = SR // 2
    a = np.concatenate([_noise(0.5, 1), np.zeros(n, np.float32)])
    b = np.concatenate([np.zeros(n, np.float32), _noise(0.5, 2)])
    (tmp_path / "stems").mkdir()
    sf.write(tmp_path / "stems" / "a.wav", a, SR)
    sf.write(tmp_path / "stems" / "b.wav", b, SR)
    scene = {
        "version": 1,
        "duration": 1.0,
        "sources": [
            {"id": "a", "audio": "stems/a.wav", "position": {"azimuth": 30.0, "distance": 2.0}},
            {"id": "b", "audio": "stems/b.wav", "position": {"azimuth": -110.0, "distance": 2.0}},
        ],
    }
    (tmp_path / "scene.json").write_text(json.dumps(scene))
    y = np.zeros((6, 2 * n), np.float32)
    y[0], y[5] = a, b
    write_audio(tmp_path / "out.wav", y, SR, "5.1")
    write_audio(tmp_path / "swapped.wav", y[[1, 0, 2, 3, 5, 4]], SR, "5.1")
    return tmp_path


def test_json_report(cli, project):
    code, out, err = cli("evaluate", project / "out.wav", "--scene", project / "scene.json", "--json")
    assert code == 0, err
    report = json.loads(out)
    assert [s["id"] for s in report["sources"]] == ["a", "b"]
    for src in report["sources"]:
        assert src["azimuth_error_deg"] < 1.0 and src["elevation_error_deg"] is None
    for key in ("median_azimuth_error_deg", "loudness_lufs", "true_peak_dbtp", "clipped_samples"):
        assert key in report
    assert report["format"] == "5.1" and report["clipped_samples"] == 0
    assert report["isolation"] == "stems"


def test_swapped_render_scores_badly_but_still_exits_zero(cli, project):
    code, out, _ = cli("evaluate", project / "swapped.wav", "--scene", project / "scene.json", "--json")
    assert code == 0
    assert json.loads(out)["median_azimuth_error_deg"] > 50.0


def test_table_output(cli, project):
    code, out, _ = cli("evaluate", project / "out.wav", "--scene", project / "scene.json")
    assert code == 0
    assert "median azimuth error" in out and "LUFS" in out
    assert out.splitlines()[2].split()[0] == "a"


def test_binaural_needs_a_format_name_and_accepts_it(cli, project):
    stereo = np.stack([_noise(1.0, 3), 0.5 * _noise(1.0, 3)])
    write_audio(project / "two.wav", stereo, SR)
    code, _, err = cli("evaluate", project / "two.wav", "--scene", project / "scene.json")
    assert code == 1 and "stereo or binaural" in err and "--format" in err and len(err.splitlines()) == 1
    code, out, err = cli(
        "evaluate", project / "two.wav", "--scene", project / "scene.json", "--format", "binaural", "--json"
    )
    assert code == 0, err
    assert json.loads(out)["format"] == "binaural"


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["missing.wav", "--scene", "scene.json"], "missing.wav: no such file"),
        (["out.wav", "--scene", "nope.json"], "nope.json: no such file"),
        (["out.wav", "--scene", "scene.json", "--format", "foa"], "has 6 channels, format foa needs 4"),
        (["out.wav", "--scene", "scene.json", "--format", "9.1"], "unknown format '9.1'"),
        (["out.wav", "--scene", "scene.json", "--hrtf", "analytic"], "--hrtf applies to binaural"),
        (["stems/a.wav", "--scene", "scene.json"], "1 channels match no format"),
    ],
)
def test_bad_input_is_one_line(cli, project, monkeypatch, args, message):
    monkeypatch.chdir(project)
    code, out, err = cli("evaluate", *args)
    assert code == 1
    assert err.startswith("error: ") and message in err and len(err.strip().splitlines()) == 1
    assert "Traceback" not in err and out == ""


def test_missing_stem_is_named(cli, project):
    (project / "stems" / "b.wav").unlink()
    code, _, err = cli("evaluate", project / "out.wav", "--scene", project / "scene.json")
    assert code == 1 and "b.wav: no such file" in err


def test_compare(cli, project):
    code, out, err = cli("compare", project / "out.wav", project / "out.wav", "--json")
    assert code == 0, err
    scores = json.loads(out)
    assert scores["overall"] == 1.0 and scores["mfcc_dtw"] == 1.0
    code, out, _ = cli("compare", project / "out.wav", project / "stems" / "a.wav")
    assert code == 0
    names = [line.split()[0] for line in out.splitlines()]
    assert names == ["mfcc_dtw", "zcr", "chroma", "spectral_contrast", "rhythm", "overall"]
    code, _, err = cli("compare", project / "out.wav", project / "none.wav")
    assert code == 1 and "none.wav: no such file" in err


def test_binaural_render_scored_against_the_hrtf_it_used(cli, tmp_path):
    from see2sound.pipeline.hrtf import load_hrtf
    from see2sound.scene import Scene
    from see2sound.spatial.render import RenderOptions, render_scene

    stem = _noise(1.0, 8)
    sf.write(tmp_path / "s.wav", stem, SR)
    data = {
        "version": 1,
        "duration": 1.0,
        "sources": [
            {"id": "s", "audio": "s.wav", "position": {"azimuth": -50.0, "elevation": 0.0, "distance": 3.0}}
        ],
    }
    (tmp_path / "scene.json").write_text(json.dumps(data))
    y = render_scene(
        Scene.from_dict(data),
        {"s": stem},
        RenderOptions(format="binaural", sample_rate=SR),
        hrtf=load_hrtf("analytic", SR),
    )
    write_audio(tmp_path / "bin.wav", y, SR, "binaural")
    code, out, err = cli(
        "evaluate",
        tmp_path / "bin.wav",
        "--scene",
        tmp_path / "scene.json",
        "--format",
        "binaural",
        "--hrtf",
        "analytic",
        "--json",
    )
    assert code == 0, err
    src = json.loads(out)["sources"][0]
    assert src["azimuth_error_deg"] < 5.0 and src["itd_error_us"] < 30.0
