"""ADM BWF export, checked by EBU's reference renderer (``ear``, ITU-R BS.2127), libsndfile and FFmpeg."""

from __future__ import annotations

import json
import struct
from pathlib import Path

import av
import numpy as np
import pytest
import soundfile as sf

from see2sound.errors import See2SoundError
from see2sound.media.adm import AdmObject, Block, adm_xml, chna_entries
from see2sound.media.audio import decode_audio_stream, resample
from see2sound.media.bw64 import chna_chunk, read_chunks, write_bw64
from see2sound.pipeline.adm import object_gain_db, source_blocks
from see2sound.pipeline.render import render
from see2sound.scene import Scene
from see2sound.spatial.loudness import integrated_loudness

from .ear_tools import angle_deg, ear_render, rms_db, run_ear, unit, velocity_vector

SR = 48000
RMS = 0.1  # stems at -20 dBFS RMS, as ours are


def noise(seconds: float, seed: int, sr: int = SR) -> np.ndarray:
    x = np.random.default_rng(seed).standard_normal(int(round(seconds * sr)))
    return (RMS * x / np.sqrt(np.mean(x**2))).astype(np.float32)


def export(folder: Path, sources: list[dict], duration: float, sr: int = SR, **options) -> Path:
    """Write noise stems and a scene into ``folder`` and export it with ``render(format="adm")``."""
    folder.mkdir(parents=True, exist_ok=True)
    for i, src in enumerate(sources):
        sf.write(str(folder / f"{src['id']}.wav"), noise(duration, i, sr), sr, subtype="FLOAT")
        src.setdefault("audio", f"{src['id']}.wav")
    scene = {"version": 1, "sample_rate": sr, "duration": duration, "sources": sources}
    (folder / "scene.json").write_text(json.dumps(scene))
    options.setdefault("loudness_lufs", None)
    return render(folder / "scene.json", folder / "adm.wav", format="adm", overwrite=True, **options)


def window(y: np.ndarray, t0: float, t1: float) -> np.ndarray:
    return y[:, int(t0 * SR) : int(t1 * SR)]


# one object per second, each heard only in its own second: one file and one EAR render per layout
DIRECTIONS = {
    "0+5+0": [(0, 0), (15, 0), (50, 0), (80, 0), (150, 0), (-20, 0), (-70, 0), (-130, 0), (180, 0)],
    "4+7+0": [(0, 0), (60, 0), (-120, 30), (100, 15), (-45, 20), (170, 10), (-80, 0), (10, 25), (-160, 5)],
}


@pytest.fixture(scope="module")
def static_exports(tmp_path_factory):
    out = {}
    for layout, directions in DIRECTIONS.items():
        sources = [
            {"id": f"s{i}", "active": [float(i), float(i + 1)], "position": {"azimuth": a, "elevation": e}}
            for i, (a, e) in enumerate(directions)
        ]
        path = export(tmp_path_factory.mktemp(f"static{layout}"), sources, float(len(directions)))
        out[layout] = ear_render(path, layout)
    return out


@pytest.mark.parametrize("layout", list(DIRECTIONS))
def test_static_objects_land_where_the_scene_says(static_exports, layout):
    y = static_exports[layout]
    errors = []
    for i, (az, el) in enumerate(DIRECTIONS[layout]):
        v = velocity_vector(window(y, i + 0.25, i + 0.75), layout)
        errors.append(angle_deg(v, unit(az, el)))
    assert max(errors) < 2.0, dict(zip(DIRECTIONS[layout], np.round(errors, 2), strict=True))


MOVES = {
    "0+5+0": [{"t": 0.0, "azimuth": 60.0}, {"t": 4.0, "azimuth": -60.0}],
    "4+7+0": [
        {"t": 0.5, "azimuth": 120.0, "elevation": 0.0, "distance": 3.0},
        {"t": 3.5, "azimuth": 20.0, "elevation": 25.0, "distance": 1.5},
    ],
}


@pytest.mark.parametrize("layout", list(MOVES))
def test_moving_object_follows_its_trajectory(tmp_path, layout):
    path = export(tmp_path, [{"id": "car", "trajectory": MOVES[layout]}], 4.0)
    scene = Scene.model_validate({"duration": 4.0, "sources": [{"id": "car", "trajectory": MOVES[layout]}]})
    y = ear_render(path, layout)
    errors = []
    for t0 in np.arange(0.0, 4.0, 0.5):
        target = scene.sources[0].positions_at([t0 + 0.25])[0][0]
        errors.append(angle_deg(velocity_vector(window(y, t0, t0 + 0.5), layout), target))
    assert max(errors) < 3.0, np.round(errors, 2)


def test_object_is_silent_outside_its_active_span(tmp_path):
    path = export(tmp_path, [{"id": "dog", "active": [1.0, 2.0], "position": {"azimuth": 40.0}}], 3.0)
    for layout in ("0+5+0", "4+7+0"):
        y = ear_render(path, layout)
        heard = rms_db(window(y, 1.2, 1.8))
        # 0.3 s fades centred on the edges (as in our own renders): silent before 0.85 s and after 2.15 s
        assert rms_db(window(y, 0.0, 0.85)) < heard - 120
        assert rms_db(window(y, 2.15, 3.0)) < heard - 120
        assert rms_db(window(y, 0.95, 1.05)) > heard - 12  # fading in, not switched


def test_gains_come_through(tmp_path):
    """gain_db, level (re 76 dB SPL) and the 1/r distance gain each set the object's level in EAR."""
    sources = [
        {"id": "ref", "active": [0.0, 1.0], "position": {"azimuth": 30.0}},
        {"id": "plus6", "active": [1.0, 2.0], "gain_db": 6.0, "position": {"azimuth": 30.0}},
        {"id": "loud", "active": [2.0, 3.0], "level": 82.0, "position": {"azimuth": 30.0}},
        {"id": "far", "active": [3.0, 4.0], "position": {"azimuth": 30.0, "distance": 2.0}},
    ]
    y = ear_render(export(tmp_path, sources, 4.0), "0+5+0")
    level = [rms_db(window(y, i + 0.3, i + 0.7)) for i in range(4)]
    assert level[1] - level[0] == pytest.approx(6.0, abs=0.1)
    assert level[2] - level[0] == pytest.approx(6.0, abs=0.1)
    assert level[3] - level[0] == pytest.approx(-6.02, abs=0.1)


def test_ear_ignores_adm_distance(tmp_path):
    """Why the distance gain goes into the block gain: EAR renders distance 0.1 and 1.0 at one level."""
    blocks = [[Block(0.0, 1.0, 30.0, 0.0, d, 1.0)] for d in (1.0, 0.1)]
    objects = [AdmObject(f"d{i}", b) for i, b in enumerate(blocks)]
    tracks = [noise(1.0, 0), noise(1.0, 1)]
    path = tmp_path / "distance.wav"
    write_bw64(path, tracks, SR, SR, chna_chunk(chna_entries(2)), adm_xml(objects, 1.0))
    # render each object alone: its twin's track silenced
    levels = []
    for k in range(2):
        alone = tmp_path / f"alone{k}.wav"
        solo = [t if i == k else np.zeros_like(t) for i, t in enumerate(tracks)]
        write_bw64(alone, solo, SR, SR, chna_chunk(chna_entries(2)), adm_xml(objects, 1.0))
        levels.append(rms_db(ear_render(alone, "0+5+0")))
    assert levels[0] == pytest.approx(levels[1], abs=0.05)


def test_bed_comes_through_every_loudspeaker(tmp_path):
    bed = {
        "id": "bed",
        "role": "bed",
        "extent": {"width": 360.0, "height": 180.0},
        "position": {"azimuth": 0.0},
    }
    path = export(tmp_path, [bed], 2.0)
    blocks = read_axml(path)
    assert "<width>360.00000</width>" in blocks and "<height>180.00000</height>" in blocks
    for layout, lfe in (("0+5+0", 3), ("4+7+0", 3)):
        y = ear_render(path, layout)
        levels = np.array([rms_db(ch) for i, ch in enumerate(y) if i != lfe])
        assert levels.min() > levels.max() - 10, np.round(levels, 1)
        assert rms_db(y[lfe]) < -200  # no LFE object: nothing is sent to the LFE


def read_axml(path: Path) -> str:
    return read_chunks(path)[b"axml"].decode("utf-8")


def test_the_file_is_adm_bwf_that_ear_libsndfile_and_ffmpeg_read(tmp_path):
    """A scene at 44.1 kHz comes out at 48 kHz; the chna, the ADM and both decoders agree on the tracks."""
    sources = [
        {"id": "a", "label": "dog", "position": {"azimuth": 20.0}},
        {"id": "b", "label": "car", "trajectory": [{"t": 0.0, "azimuth": 90.0}, {"t": 1.5, "azimuth": 0.0}]},
        {
            "id": "c",
            "label": "birds",
            "extent": {"width": 40.0, "height": 10.0},
            "position": {"azimuth": -50.0},
        },
    ]
    path = export(tmp_path, sources, 1.5, sr=44100)
    head = path.read_bytes()[:16]
    assert head[:4] == b"RIFF" and head[8:16] == b"WAVEJUNK"  # room for a ds64 (BS.2088)

    chna = run_ear("ear-utils", "dump_chna", path).strip().splitlines()
    assert len(chna) == 3 and "ATU_00000003" in chna[2]
    axml = run_ear("ear-utils", "dump_axml", path)
    assert axml.count("<audioObject ") == 3 and axml.count('typeDefinition="Objects"') == 6
    assert "<width>40.00000</width>" in axml and "<height>10.00000</height>" in axml

    y, sr = sf.read(str(path), always_2d=True, dtype="float32")
    assert sr == 48000 and y.shape == (72000, 3)
    with av.open(str(path)) as container:  # FFmpeg
        decoded, rate = decode_audio_stream(container, container.streams.audio[0])
    assert rate == 48000
    np.testing.assert_allclose(decoded.T, y, atol=2**-23)
    # each track is the stem itself, resampled, at full level (the gains are in the metadata)
    for i in range(3):
        stem, _ = sf.read(str(tmp_path / sources[i]["audio"]), dtype="float32")
        np.testing.assert_allclose(y[:, i], resample(stem, 44100, 48000), atol=2**-22)


def test_programme_loudness_is_what_ear_renders(tmp_path):
    """The audioProgramme's BS.1770 integrated loudness, with a -23 LUFS target, against EAR's 0+5+0."""
    sources = [
        {"id": "a", "position": {"azimuth": 20.0}},
        {"id": "b", "gain_db": -4.0, "position": {"azimuth": -100.0, "distance": 3.0}},
    ]
    path = export(tmp_path, sources, 3.0, loudness_lufs=-23.0)
    assert "<integratedLoudness>-23.00</integratedLoudness>" in read_axml(path)
    y = ear_render(path, "0+5+0")
    weights = np.array([1.0, 1.0, 1.0, 0.0, 1.41, 1.41])  # BS.1770: surrounds +1.5 dB, LFE out
    assert integrated_loudness(y, SR, weights) == pytest.approx(-23.0, abs=0.5)


def test_block_times_follow_the_track():
    """Blocks sit at the trajectory's keys and every 0.1 s between them; a still object is one block."""
    scene = Scene.model_validate(
        {
            "duration": 3.0,
            "sources": [
                {
                    "id": "still",
                    "level": 70.0,
                    "gain_db": 2.0,
                    "position": {"azimuth": 10.0, "distance": 2.0},
                },
                {"id": "mover", "trajectory": [{"t": 1.0, "azimuth": 0.0}, {"t": 1.5, "azimuth": 40.0}]},
            ],
        }
    )
    still, mover = scene.sources
    assert object_gain_db(still) == pytest.approx(2.0 + 70.0 - 76.0)
    (block,) = source_blocks(still, 3.0, 1.0, 4.0)
    assert (block.rtime, block.duration, block.distance, block.gain) == (0.0, 3.0, 0.5, 0.5)
    blocks = source_blocks(mover, 3.0, 1.0, 1.0)
    starts = [round(b.rtime, 3) for b in blocks]
    assert starts == [0.0, 1.0, 1.1, 1.2, 1.3, 1.4]
    assert blocks[-1].duration == pytest.approx(1.6) and blocks[-1].azimuth == pytest.approx(40.0)
    assert blocks[-1].interpolation_s == pytest.approx(0.1)  # reaches the last key, then holds


def test_rf64_when_over_the_riff_limit(tmp_path):
    """Past 4 GiB the file is RF64 with a ds64 chunk; shown here with the limit lowered to 1000 bytes."""
    tracks = [noise(0.5, 0), noise(0.5, 1)]
    axml = adm_xml([AdmObject(f"o{i}", [Block(0.0, 0.5, 0.0, 0.0, 1.0, 1.0)]) for i in range(2)], 0.5)
    path = write_bw64(
        tmp_path / "big.wav", tracks, SR // 2, SR, chna_chunk(chna_entries(2)), axml, max_riff_size=1000
    )
    data = path.read_bytes()
    assert data[:4] == b"RF64" and struct.unpack_from("<I", data, 4)[0] == 0xFFFFFFFF
    riff_size, data_size, frames = struct.unpack_from("<QQQ", read_chunks(path)[b"ds64"])
    assert (riff_size, data_size, frames) == (len(data) - 8, SR // 2 * 2 * 3, SR // 2)
    y, sr = sf.read(str(path), always_2d=True, dtype="float32")
    np.testing.assert_allclose(y.T, np.stack(tracks), atol=2**-23)
    with av.open(str(path)) as container:
        n = sum(f.samples for f in container.decode(audio=0))
    assert n == SR // 2
    assert len(run_ear("ear-utils", "dump_chna", path).strip().splitlines()) == 2


def test_loud_stems_keep_their_peaks_in_the_gain(tmp_path):
    """24-bit PCM holds [-1, 1]: a stem peaking at 2 is written at half level and its gain doubled."""
    folder = tmp_path
    x = noise(1.0, 0)
    x[100] = 2.0
    sf.write(str(folder / "hot.wav"), x, SR, subtype="FLOAT")
    scene = {"duration": 1.0, "sources": [{"id": "hot", "audio": "hot.wav", "position": {"azimuth": 0.0}}]}
    (folder / "scene.json").write_text(json.dumps(scene))
    path = render(folder / "scene.json", folder / "adm.wav", format="adm", loudness_lufs=None)
    y, _ = sf.read(str(path), dtype="float32")
    assert y[100] == pytest.approx(1.0, abs=1e-6) and y[0] == pytest.approx(x[0] / 2, abs=2**-23)
    assert "<gain>2</gain>" in read_axml(path)


@pytest.mark.parametrize(
    ("name", "message"),
    [("out.flac", "an ADM BWF file is a .wav"), ("out.wav", "has no source with audio")],
)
def test_bad_input_is_one_clear_error(tmp_path, name, message):
    scene = {"duration": 1.0, "sources": [{"id": "a", "position": {"azimuth": 0.0}}]}
    (tmp_path / "scene.json").write_text(json.dumps(scene))
    if name == "out.flac":
        sf.write(str(tmp_path / "a.wav"), noise(1.0, 0), SR)
        scene["sources"][0]["audio"] = "a.wav"
        (tmp_path / "scene.json").write_text(json.dumps(scene))
    with pytest.raises(See2SoundError, match=message):
        render(tmp_path / "scene.json", tmp_path / name, format="adm")
    assert not (tmp_path / name).exists()
