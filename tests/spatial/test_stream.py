"""A render written to its file a block at a time: the same bytes as the render in memory, with the
loudness meter and the true-peak limiter fed in pieces giving what they give on the whole signal."""

from __future__ import annotations

import numpy as np
import pytest
import soundfile as sf
from typer.testing import CliRunner

from see2sound.cli import app
from see2sound.media import audio as audio_module
from see2sound.media.audio import open_audio_writer, write_audio
from see2sound.pipeline.hrtf import load_hrtf
from see2sound.pipeline.render import render
from see2sound.scene import Scene, save_scene
from see2sound.spatial import limiter as limiter_module
from see2sound.spatial import render as render_module
from see2sound.spatial.limiter import TruePeakLimiter, limit_true_peak, true_peak
from see2sound.spatial.loudness import LoudnessMeter, integrated_loudness
from see2sound.spatial.render import RenderOptions, SceneStream, render_scene

SR = 48000
DURATION = 7.0


def _scene(folder, loud: bool = True) -> tuple[Scene, dict[str, np.ndarray]]:
    """Three sources (one moving, one coming and going, one loud enough that the limiter works), with
    their stems written to ``folder`` as float WAVs."""
    n = int(DURATION * SR)
    rng = np.random.default_rng(5)
    sources = [
        {"id": "far", "position": {"azimuth": 30.0, "distance": 2.0}, "active": [1.0, 5.5]},
        {
            "id": "passing",
            "trajectory": [
                {"t": 0.0, "azimuth": -170.0, "distance": 1.0},
                {"t": DURATION, "azimuth": 170.0, "elevation": 20.0, "distance": 4.0},
            ],
        },
        {"id": "near", "position": {"azimuth": 100.0, "distance": 1.0}, "gain_db": 12.0 if loud else -6.0},
    ]
    signals = {s["id"]: (rng.standard_normal(n) * 0.3).astype(np.float32) for s in sources}
    signals["near"][3 * SR : 3 * SR + 3000] *= 6.0  # a burst far over the ceiling
    for s in sources:
        sf.write(folder / f"{s['id']}.wav", signals[s["id"]], SR, subtype="FLOAT")
        s["audio"] = str(folder / f"{s['id']}.wav")
    scene = Scene.from_dict({"duration": DURATION, "sample_rate": SR, "sources": sources})
    save_scene(scene, folder / "scene.json")
    return scene, signals


@pytest.fixture
def small_blocks(monkeypatch):
    """1.37 s render blocks and 0.14 s limiter chunks: many boundaries in a few seconds."""
    monkeypatch.setattr(render_module, "BLOCK_S", 1.0)
    monkeypatch.setattr(limiter_module, "CHUNK", SR // 7)


@pytest.mark.parametrize("fmt", ["5.1", "binaural", "foa"])
@pytest.mark.parametrize("loudness", [None, -23.0])
def test_streamed_file_has_the_bytes_of_the_render_in_memory(tmp_path, small_blocks, fmt, loudness):
    scene, signals = _scene(tmp_path)
    options = RenderOptions(
        format=fmt, loudness_lufs=loudness, room="none", hrtf="analytic" if fmt == "binaural" else None
    )
    hrtf = load_hrtf("analytic", SR) if fmt == "binaural" else None
    expected = write_audio(tmp_path / "memory.wav", render_scene(scene, signals, options, hrtf), SR, fmt)
    streamed = render(tmp_path / "scene.json", tmp_path / "streamed.wav", options=options)
    assert streamed.read_bytes() == expected.read_bytes()
    y, _ = sf.read(streamed, always_2d=True)
    assert true_peak(y.T, SR) <= 10 ** (-1.0 / 20.0) * 1.001


def test_streamed_render_rewrites_when_the_limiters_last_check_fails(tmp_path, small_blocks, monkeypatch):
    """The last check needs the whole output: the streamed render writes everything again, scaled."""
    finish = TruePeakLimiter.finish

    def failing_check(self):
        ready = finish(self)
        if self.limited:
            self.rescale = 0.5
        return ready

    monkeypatch.setattr(TruePeakLimiter, "finish", failing_check)
    scene, signals = _scene(tmp_path)
    options = RenderOptions(format="5.1", room="none")
    expected = write_audio(tmp_path / "memory.wav", render_scene(scene, signals, options), SR, "5.1")
    streamed = render(tmp_path / "scene.json", tmp_path / "streamed.wav", options=options)
    assert streamed.read_bytes() == expected.read_bytes()
    assert [p.name for p in tmp_path.glob(".*part*")] == []
    y, _ = sf.read(streamed, always_2d=True)
    assert true_peak(y.T, SR) <= 0.5 * 10 ** (-1.0 / 20.0) * 1.001  # written again, at half the level


def test_cli_render_with_a_loudness_target_streams_the_same_bytes(tmp_path, small_blocks):
    scene, signals = _scene(tmp_path, loud=False)
    result = CliRunner().invoke(
        app,
        [
            "render",
            str(tmp_path / "scene.json"),
            "-o",
            str(tmp_path / "cli.wav"),
            "--loudness",
            "-23",
            "--room",
            "none",
        ],  # fmt: skip
    )
    assert result.exit_code == 0, result.output
    y = render_scene(scene, signals, RenderOptions(format="5.1", loudness_lufs=-23.0, room="none"))
    expected = write_audio(tmp_path / "memory.wav", y, SR, "5.1")
    assert (tmp_path / "cli.wav").read_bytes() == expected.read_bytes()
    back, _ = sf.read(tmp_path / "cli.wav", always_2d=True)
    assert integrated_loudness(back.T, SR, np.array([1, 1, 1, 0, 1.41, 1.41])) == pytest.approx(
        -23.0, abs=0.05
    )


def test_stream_blocks_are_consecutive_and_whole(tmp_path, small_blocks):
    scene, signals = _scene(tmp_path)
    stream = SceneStream(scene, signals, RenderOptions(format="foa", room="none"))
    pieces = list(stream.raw_blocks())
    starts = [s0 for s0, _ in pieces]
    ends = [s0 + p.shape[-1] for s0, p in pieces]
    assert starts[0] == 0 and ends[-1] == stream.n and starts[1:] == ends[:-1]
    assert len(pieces) > 5  # the blocks and their cross-fades


@pytest.mark.parametrize("sizes", [[1000], [SR // 7], [SR // 7 + 1, 17, 5 * SR], [3 * SR]])
def test_limiter_in_pieces_equals_the_limiter_in_one_piece(monkeypatch, sizes):
    monkeypatch.setattr(limiter_module, "CHUNK", SR // 7)
    rng = np.random.default_rng(1)
    y = (rng.standard_normal((3, 3 * SR + 123)) * 0.3).astype(np.float32)
    y[:, SR : SR + 100] *= 8.0  # bursts far over the ceiling, one across a chunk edge
    y[:, 2 * SR - 50 : 2 * SR + 50] *= 5.0
    whole = limit_true_peak(y, SR, -1.0)
    limiter = TruePeakLimiter(y.shape[-1], SR, -1.0)
    out, s0, k = [], 0, 0
    while s0 < y.shape[-1]:
        size = sizes[k % len(sizes)]
        out += limiter.push(y[:, s0 : s0 + size])
        s0, k = s0 + size, k + 1
    out += limiter.finish()
    assert [start for start, _, _ in out] == list(range(0, y.shape[-1], SR // 7))
    assert np.array_equal(np.concatenate([block for _, block, _ in out], axis=-1), whole)
    assert limiter.limited and limiter.rescale is None
    assert true_peak(whole, SR) <= 10 ** (-1.0 / 20.0)


def test_limiter_refuses_the_wrong_number_of_samples():
    limiter = TruePeakLimiter(1000, SR)
    with pytest.raises(ValueError):
        limiter.push(np.zeros((2, 1001), np.float32))
    limiter.push(np.zeros((2, 999), np.float32))
    with pytest.raises(ValueError):
        limiter.finish()


def test_loudness_meter_in_pieces_equals_one_piece(monkeypatch):
    monkeypatch.setattr("see2sound.spatial.loudness.CHUNK_STEPS", 7)
    rng = np.random.default_rng(0)
    y = (rng.standard_normal((3, 5 * SR + 777)) * np.linspace(0.01, 1.0, 5 * SR + 777)).astype(np.float32)
    weights = np.array([1.0, 0.0, 1.41])
    whole = integrated_loudness(y, SR, weights)
    meter = LoudnessMeter(SR, weights)
    for s0 in range(0, y.shape[-1], 12345):
        meter.push(y[:, s0 : s0 + 12345])
    assert meter.integrated() == whole
    assert LoudnessMeter(SR, weights).integrated() == float("-inf")


def test_streamed_writer_chooses_rf64_from_the_announced_total(tmp_path, monkeypatch):
    monkeypatch.setattr(audio_module, "RF64_BYTES", 65536)
    y = (np.random.default_rng(2).standard_normal((6, 20000)) * 0.1).astype(np.float32)
    with open_audio_writer(tmp_path / "big.wav", SR, 6, 20000, "5.1") as writer:
        for s0 in range(0, 20000, 3000):
            writer.write(y[:, s0 : s0 + 3000])
    assert (tmp_path / "big.wav").read_bytes()[:4] == b"RF64"
    back, _ = sf.read(tmp_path / "big.wav", dtype="float32", always_2d=True)
    assert back.shape == (20000, 6) and np.abs(back.T - y).max() < 2**-22


def test_streamed_writer_leaves_nothing_when_short_or_failing(tmp_path):
    from see2sound.errors import MediaError

    with pytest.raises(MediaError, match="1000 of the 2000 frames"):
        with open_audio_writer(tmp_path / "short.wav", SR, 2, 2000, "stereo") as writer:
            writer.write(np.zeros((2, 1000), np.float32))
    with pytest.raises(MediaError, match="NaN"):
        with open_audio_writer(tmp_path / "nan.wav", SR, 2, 2000, "stereo") as writer:
            writer.write(np.full((2, 2000), np.nan, np.float32))
    with pytest.raises(MediaError, match="more than the 10 frames"):
        with open_audio_writer(tmp_path / "long.wav", SR, 2, 10, "stereo") as writer:
            writer.write(np.zeros((2, 11), np.float32))
    assert list(tmp_path.iterdir()) == []
