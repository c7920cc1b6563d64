"""Level calibration (``level`` in dB SPL), the natural-level default and the limiter on every path."""

from __future__ import annotations

import json

import numpy as np
import pytest
import soundfile as sf

from see2sound.scene import Scene
from see2sound.spatial.hrtf import spherical_head_hrtf
from see2sound.spatial.level import CALIBRATION_DB_SPL, REFERENCE_DISTANCE_M, level_gain_db
from see2sound.spatial.limiter import true_peak
from see2sound.spatial.loudness import loudness_of
from see2sound.spatial.render import RenderOptions, render_scene

from .ffmpeg_meter import ffmpeg_ebur128

SR = 48000


def _stem(seconds=2.0, seed=0) -> np.ndarray:
    """Noise at -20 dBFS RMS: the level every stem is normalised to."""
    y = np.random.default_rng(seed).standard_normal(int(seconds * SR))
    return (y / np.sqrt(np.mean(y**2)) * 10 ** (-20 / 20)).astype(np.float32)


def _rms_db(y) -> float:
    return 10 * np.log10(max(np.mean(np.asarray(y, dtype=float) ** 2), 1e-30))


def _scene(sources, duration=2.0):
    return Scene.from_dict({"duration": duration, "sample_rate": SR, "sources": sources})


def test_calibration_constants():
    assert CALIBRATION_DB_SPL == 76.0 and REFERENCE_DISTANCE_M == 1.0
    assert level_gain_db(None) == 0.0
    assert level_gain_db(96.0) == 20.0
    with pytest.raises(ValueError):
        level_gain_db(float("nan"))


@pytest.mark.parametrize(
    ("level", "gain_db", "distance", "expected_dbfs"),
    [
        (76.0, 0.0, 1.0, -20.0),  # the calibration point: 76 dB SPL at 1 m is a -20 dBFS RMS stem
        (56.0, 0.0, 1.0, -40.0),
        (56.0, 6.0, 1.0, -34.0),  # gain_db on top of the level
        (76.0, 0.0, 4.0, -32.04),  # 1/r relative to 1 m
        (None, 0.0, 1.0, -20.0),  # no level: the stem as it is
    ],
)
def test_level_gain_and_distance(level, gain_db, distance, expected_dbfs):
    src = {"id": "a", "position": {"azimuth": 30.0, "distance": distance}, "gain_db": gain_db}
    if level is not None:
        src["level"] = level
    y = render_scene(_scene([src]), {"a": _stem()}, RenderOptions(format="stereo"))
    assert _rms_db(y[0]) == pytest.approx(expected_dbfs, abs=0.01)  # 30° = L alone
    assert _rms_db(y[1]) < -200


def test_natural_default_keeps_quiet_scenes_quiet_and_target_normalises():
    quiet = _scene([{"id": "a", "position": {"azimuth": 0.0}, "level": 40.0, "role": "bed"}])
    loud = _scene([{"id": "a", "position": {"azimuth": 0.0}, "level": 80.0}])
    stems = {"a": _stem()}
    q = loudness_of(render_scene(quiet, stems, RenderOptions()), SR, "5.1")
    lo = loudness_of(render_scene(loud, stems, RenderOptions()), SR, "5.1")
    assert lo - q == pytest.approx(40.0, abs=0.05)
    for scene in (quiet, loud):
        y = render_scene(scene, stems, RenderOptions(loudness_lufs=-23.0))
        assert loudness_of(y, SR, "5.1") == pytest.approx(-23.0, abs=0.05)


@pytest.mark.parametrize("fmt", ["stereo", "5.1", "7.1.4", "foa", "hoa3", "binaural"])
@pytest.mark.parametrize("loudness", [None, 0.0])
def test_limiter_holds_on_every_path(fmt, loudness):
    # +60 dB on a -20 dBFS stem: 40 dB over full scale; loudness natural (off) and normalised to 0 LUFS
    scene = _scene(
        [
            {"id": "a", "position": {"azimuth": 30.0}, "gain_db": 60.0},
            {
                "id": "b",
                "trajectory": [{"t": 0.0, "azimuth": -90.0}, {"t": 1.0, "azimuth": 90.0}],
                "level": 150,
            },
        ],
        duration=1.0,
    )
    hrtf = spherical_head_hrtf(SR) if fmt == "binaural" else None
    stems = {"a": _stem(1.0, 1), "b": _stem(1.0, 2)}
    y = render_scene(scene, stems, RenderOptions(format=fmt, loudness_lufs=loudness), hrtf=hrtf)
    assert np.abs(y).max() < 10 ** (-1 / 20)
    assert true_peak(y, oversample=8) <= 10 ** (-1 / 20) * 1.0001
    off = render_scene(
        scene, stems, RenderOptions(format=fmt, loudness_lufs=loudness, true_peak_dbtp=None), hrtf=hrtf
    )
    assert np.abs(off).max() < 1.0  # a ceiling at full scale: never clipped


def _write(folder, level, gain_db=0.0):
    folder.mkdir(parents=True, exist_ok=True)
    sf.write(folder / "a.wav", _stem(3.0), SR)
    src = {"id": "a", "audio": "a.wav", "position": {"azimuth": 0.0}, "level": level, "gain_db": gain_db}
    (folder / "scene.json").write_text(json.dumps({"duration": 3.0, "sample_rate": SR, "sources": [src]}))
    return folder / "scene.json"


def test_cli_loudness_natural_off_and_target(cli, tmp_path):
    still = _write(tmp_path / "still", 45.0)
    street = _write(tmp_path / "street", 75.0)
    measured = {}
    for name, scene in (("still", still), ("street", street)):
        out = tmp_path / f"{name}.wav"
        code, _, err = cli("render", scene, "-o", out)  # the default: natural
        assert code == 0, err
        measured[name] = ffmpeg_ebur128(out)["I"]
        for spelling in ("natural", "off", "NATURAL"):
            again = tmp_path / f"{name}_{spelling}.wav"
            assert cli("render", scene, "-o", again, "--loudness", spelling)[0] == 0
            assert sf.read(again)[0].tobytes() == sf.read(out)[0].tobytes()
    assert measured["street"] - measured["still"] == pytest.approx(30.0, abs=0.2)
    out = tmp_path / "target.wav"
    assert cli("render", still, "-o", out, "--loudness", "-23")[0] == 0
    assert ffmpeg_ebur128(out)["I"] == pytest.approx(-23.0, abs=0.3)


def test_cli_huge_gain_is_not_clipped_by_ffmpeg(cli, tmp_path):
    scene = _write(tmp_path / "s", 76.0, gain_db=60.0)
    out = tmp_path / "x.wav"
    for loudness in ("off", "0"):
        code, _, err = cli("render", scene, "-o", out, "--loudness", loudness, "--overwrite")
        assert code == 0, err
        assert 20 * np.log10(ffmpeg_ebur128(out)["true_peak"]) <= -1.0
        assert np.abs(sf.read(out)[0]).max() < 1.0


@pytest.mark.parametrize("bad", ["loud", "nan", "inf", "1", "-80"])
def test_cli_bad_loudness_is_one_line(cli, tmp_path, bad):
    scene = _write(tmp_path / "s", 60.0)
    code, out, err = cli("render", scene, "-o", tmp_path / "x.wav", "--loudness", bad)
    assert code != 0 and "Traceback" not in err
    assert len(err.strip().splitlines()) == 1 and ("loudness" in err.lower())


def test_a_beds_level_is_at_the_listener_a_spots_at_one_metre():
    stems = {"a": _stem()}
    for distance in (1.0, 5.0, 20.0):
        bed = {"id": "a", "position": {"azimuth": 30.0, "distance": distance}, "level": 56.0, "role": "bed"}
        y = render_scene(_scene([bed]), stems, RenderOptions(format="stereo"))
        assert _rms_db(y[0]) == pytest.approx(-40.0, abs=0.01)
        spot = dict(bed, role="spot")
        y = render_scene(_scene([spot]), stems, RenderOptions(format="stereo"))
        assert _rms_db(y[0]) == pytest.approx(-40.0 - 20 * np.log10(distance), abs=0.01)


def test_loudness_setting_parses_from_the_command_line_and_config_files():
    from see2sound.cli.run import DEFAULTS, parse_loudness
    from see2sound.errors import See2SoundError

    assert DEFAULTS["loudness"] == "natural"
    for natural in (None, "natural", "off", " Off ", "none"):
        assert parse_loudness(natural) is None
    assert parse_loudness("-23") == -23.0
    assert parse_loudness(-16) == -16.0  # a TOML number
    for bad in ("loud", "nan", "-inf", True, [], "natural-ish"):
        with pytest.raises(See2SoundError, match="--loudness"):
            parse_loudness(bad)
