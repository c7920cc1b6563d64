"""Long scenes are rendered in time blocks: the result must equal a render in one piece."""

from __future__ import annotations

import numpy as np
import pytest

from see2sound.scene import Scene
from see2sound.spatial import limiter, loudness
from see2sound.spatial import render as render_module
from see2sound.spatial.limiter import limit_true_peak, true_peak
from see2sound.spatial.loudness import integrated_loudness
from see2sound.spatial.render import RenderOptions, render_scene

SR = 48000
DURATION = 8.0


def _scene() -> tuple[Scene, dict[str, np.ndarray]]:
    n = int(DURATION * SR)
    rng = np.random.default_rng(3)
    sources = [
        {"id": "far", "position": {"azimuth": 30.0, "distance": 20.0}, "active": [1.0, 6.5]},
        {
            "id": "passing",
            "trajectory": [
                {"t": 0.0, "azimuth": -170.0, "distance": 3.0},
                {"t": DURATION, "azimuth": 170.0, "elevation": 20.0, "distance": 40.0},
            ],
        },
        {"id": "near", "position": {"azimuth": 100.0, "elevation": 10.0, "distance": 1.0}, "gain_db": -3.0},
    ]
    signals = {s["id"]: (rng.standard_normal(n) * 0.1).astype(np.float32) for s in sources}
    return Scene.from_dict({"duration": DURATION, "sources": sources}), signals


@pytest.mark.parametrize(
    ("fmt", "method"), [("5.1", "panning"), ("foa", "panning"), ("7.1.4", "panning"), ("5.1", "paper")]
)
def test_blocks_equal_one_piece(monkeypatch, fmt, method):
    scene, signals = _scene()
    options = RenderOptions(
        format=fmt, method=method, propagation_delay=True, air_absorption=True, room="none"
    )
    whole = render_scene(scene, signals, options)
    monkeypatch.setattr(render_module, "BLOCK_S", 1.0)  # 1.37 s blocks: five boundaries in 8 s
    pieces = render_scene(scene, signals, options)
    assert pieces.shape == whole.shape
    assert np.abs(pieces - whole).max() <= 1e-5 * np.abs(whole).max()


def test_blocks_start_early_enough_for_the_longest_delay():
    scene, _ = _scene()
    sources = list(scene.sources)
    base = render_module.memory_samples(sources, SR, RenderOptions(room="none"), None, None)
    delayed = render_module.memory_samples(
        sources, SR, RenderOptions(room="none", propagation_delay=True), None, None
    )
    assert base == round(render_module.SETTLE_S * SR)
    assert (delayed - base) / SR == pytest.approx((40.0 + 2.0) / 343.0, abs=1e-4)  # the farthest key


@pytest.mark.parametrize("hrtf_name", ["analytic", "kemar"])
def test_binaural_blocks_equal_one_piece(monkeypatch, real_cache, hrtf_name):
    from see2sound.pipeline.hrtf import load_hrtf

    scene, signals = _scene()
    options = RenderOptions(format="binaural", room="none", propagation_delay=True)
    hrtf = load_hrtf(hrtf_name, SR)
    whole = render_scene(scene, signals, options, hrtf)
    monkeypatch.setattr(render_module, "BLOCK_S", 1.0)
    pieces = render_scene(scene, signals, options, hrtf)
    # filter updates are planned on a grid that every block start falls on: the same filters
    assert np.abs(pieces - whole).max() <= 1e-5 * np.abs(whole).max()


def test_loudness_does_not_depend_on_the_filter_chunks(monkeypatch):
    y = np.random.default_rng(0).standard_normal((2, 5 * SR)) * np.linspace(0.01, 1.0, 5 * SR)
    whole = integrated_loudness(y, SR)
    monkeypatch.setattr(loudness, "CHUNK_STEPS", 3)
    assert integrated_loudness(y, SR) == pytest.approx(whole, abs=1e-9)


def test_limiter_does_not_depend_on_the_chunks(monkeypatch):
    rng = np.random.default_rng(1)
    y = (rng.standard_normal((3, 3 * SR)) * 0.3).astype(np.float32)
    y[:, SR : SR + 100] *= 8.0  # a burst far over the ceiling, across a chunk edge below
    whole = limit_true_peak(y, SR, -1.0)
    monkeypatch.setattr(limiter, "CHUNK", SR // 7)
    pieces = limit_true_peak(y, SR, -1.0)
    assert np.abs(pieces - whole).max() <= 1e-6
    assert true_peak(pieces) <= 10 ** (-1.0 / 20.0) * 1.001
    in_place = y.copy()
    assert limit_true_peak(in_place, SR, -1.0, in_place=True) is in_place
    assert np.array_equal(in_place, pieces)


def test_stems_read_from_files_a_block_at_a_time_equal_stems_in_memory(tmp_path, monkeypatch):
    import soundfile as sf

    from see2sound.media.audio import read_audio
    from see2sound.pipeline.render import load_stems, render
    from see2sound.scene import load_scene, save_scene

    scene, signals = _scene()
    for src in scene.sources:
        sf.write(tmp_path / f"{src.id}.wav", signals[src.id], SR, subtype="FLOAT")
        src.audio = str(tmp_path / f"{src.id}.wav")
    save_scene(scene, tmp_path / "scene.json")
    monkeypatch.setattr(render_module, "BLOCK_S", 1.0)
    stems = load_stems(load_scene(tmp_path / "scene.json"), SR)
    assert all(not isinstance(s, np.ndarray) for s in stems.values())  # read on demand
    out = render(tmp_path / "scene.json", tmp_path / "out.wav", format="5.1", room="none")
    expected = render_scene(scene, signals, RenderOptions(format="5.1", room="none"))
    written, _ = read_audio(out)
    assert np.abs(written - expected).max() <= 2.0**-22  # the 24-bit file's rounding


def test_blocks_in_a_room(monkeypatch):
    scene, signals = _scene()
    options = RenderOptions(format="5.1", room="indoor", loudness_lufs=None)
    fixed = Scene.from_dict(
        {"duration": DURATION, "sources": [s.model_dump(exclude_none=True) for s in scene.sources[::2]]}
    )
    whole_fixed, whole = render_scene(fixed, signals, options), render_scene(scene, signals, options)
    monkeypatch.setattr(render_module, "BLOCK_S", 1.0)
    pieces_fixed, pieces = render_scene(fixed, signals, options), render_scene(scene, signals, options)
    # fixed sources: the blocks start before the room's response has begun, so they are exact
    assert np.abs(pieces_fixed - whole_fixed).max() <= 1e-5 * np.abs(whole_fixed).max()
    # a moving source's reflections are planned per block: another, equally loud rendering of the room
    np.testing.assert_allclose(_level_per_second(pieces), _level_per_second(whole), atol=0.2)


def _level_per_second(y: np.ndarray) -> np.ndarray:
    return 10 * np.log10(np.mean(y.reshape(y.shape[0], -1, SR) ** 2, axis=(0, 2)))


@pytest.mark.parametrize("fmt", ["5.1", "foa", "binaural"])
def test_extended_sources_in_blocks_equal_one_piece(monkeypatch, fmt):
    from see2sound.spatial.hrtf import spherical_head_hrtf

    scene, signals = _scene()
    data = scene.to_dict()
    data["sources"][0]["extent"] = {"width": 360.0, "height": 90.0}  # a still bed
    data["sources"][1]["extent"] = {"width": 90.0, "height": 30.0}  # a moving wide source
    scene = Scene.from_dict(data)
    options = RenderOptions(format=fmt, room="none")
    hrtf = spherical_head_hrtf(SR) if fmt == "binaural" else None
    whole = render_scene(scene, signals, options, hrtf)
    monkeypatch.setattr(render_module, "BLOCK_S", 1.0)
    pieces = render_scene(scene, signals, options, hrtf)
    assert np.abs(pieces - whole).max() <= 1e-5 * np.abs(whole).max()
