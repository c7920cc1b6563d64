"""Source extent: MDAP-style spreading over decorrelated virtual sources in every format."""

from __future__ import annotations

import json

import numpy as np
import pytest
import soundfile as sf
from scipy.signal import butter, correlate, sosfiltfilt

from see2sound.formats import FORMATS
from see2sound.geometry import direction_to_vector
from see2sound.scene import Scene
from see2sound.spatial.extent import decorrelation_filters, extent_cells, source_seed, spread_for, to_world
from see2sound.spatial.hrtf import fibonacci_directions, spherical_head_hrtf
from see2sound.spatial.layouts import get_layout
from see2sound.spatial.panning import Panner, energy_vector
from see2sound.spatial.render import RenderOptions, render_scene, render_sources

SR = 48000
FRONT = direction_to_vector(0.0, 0.0)
RAW = dict(lfe_db=None, room=None)


def _noise(seconds=2.0, seed=0) -> np.ndarray:
    return (np.random.default_rng(seed).standard_normal(int(seconds * SR)) * 0.1).astype(np.float32)


def _render(fmt, extent, signal=None, hrtf=None, direction=FRONT, seed=1):
    signal = _noise() if signal is None else signal
    return render_sources(
        [signal],
        [direction],
        [1.0],
        SR,
        RenderOptions(format=fmt, **RAW),
        hrtf=hrtf,
        extents=[extent],
        seeds=[seed],
    ).astype(float)


def _speaker_energies(fmt, y) -> np.ndarray:
    return (y[list(get_layout(fmt).speaker_channels)] ** 2).sum(axis=1)


def _re_length(fmt, extent) -> float:
    e = _speaker_energies(fmt, _render(fmt, extent))
    return float(np.linalg.norm(energy_vector(np.sqrt(e)[None], get_layout(fmt).vectors)[0]))


def _isotropic_re_length(fmt) -> float:
    """|rE| of an isotropic field through the same panner (dense, uniform directions)."""
    layout = get_layout(fmt)
    e = (Panner(layout).gains(fibonacci_directions(20000)) ** 2).mean(axis=0)
    return float(np.linalg.norm(energy_vector(np.sqrt(e)[None], layout.vectors)[0]))


def interaural_coherence(y, lo_hz=500.0) -> float:
    """Largest normalised cross-correlation of the ears within ±1 ms, both high-passed at ``lo_hz``."""
    sos = butter(4, lo_hz, "highpass", fs=SR, output="sos")
    left, right = sosfiltfilt(sos, y[0]), sosfiltfilt(sos, y[1])
    c = correlate(left, right, mode="full", method="fft")
    mid, lag = len(right) - 1, SR // 1000
    return float(
        np.abs(c[mid - lag : mid + lag + 1]).max() / np.sqrt(np.dot(left, left) * np.dot(right, right))
    )


# -- the virtual sources ---------------------------------------------------------------------------
def test_cells_cover_the_extent_with_solid_angle_weights():
    d, w = extent_cells(360.0, 180.0)
    assert w.sum() == pytest.approx(1.0) and np.all(w > 0)
    np.testing.assert_allclose(w @ d, 0.0, atol=1e-12)  # the whole sphere: no direction is favoured
    # as a uniform field on the sphere: the second moments are I/3
    np.testing.assert_allclose((d.T * w) @ d, np.eye(3) / 3, atol=0.01)
    d, w = extent_cells(360.0, 0.0)
    az = np.degrees(np.arctan2(d[:, 1], d[:, 0]))
    assert len(np.unique(np.round(az, 6))) == len(az)  # a ring, no cell twice (−180 = 180)
    np.testing.assert_allclose(w, 1.0 / len(w))
    d, w = extent_cells(60.0, 20.0)
    az, el = np.degrees(np.arctan2(d[:, 1], d[:, 0])), np.degrees(np.arcsin(d[:, 2]))
    assert np.abs(az).max() < 30.0 and np.abs(el).max() < 10.0 and len(w) >= 4


def test_extent_turns_with_the_source():
    local, _ = extent_cells(90.0, 30.0)
    for az, el in [(0.0, 0.0), (120.0, 0.0), (-60.0, 40.0), (10.0, -80.0)]:
        u = direction_to_vector(az, el)
        world = to_world(local, u)
        centre = world.mean(axis=0)
        assert np.degrees(np.arccos(centre @ u / np.linalg.norm(centre))) < 1e-6
        # the angles between cells and the source are those in the source frame
        np.testing.assert_allclose(world @ u, local[:, 0], atol=1e-12)


def test_decorrelators_are_flat_unit_energy_and_uncorrelated():
    f = decorrelation_filters(8, SR, seed=3).astype(float)
    assert f.shape == (8, 1024)
    np.testing.assert_allclose((f**2).sum(axis=1), 1.0, rtol=1e-5)
    np.testing.assert_allclose(np.abs(np.fft.rfft(f, axis=-1)), 1.0, atol=1e-4)
    cross = np.abs(f @ f.T - np.eye(8)).max()
    assert cross < 0.15
    np.testing.assert_array_equal(f, decorrelation_filters(8, SR, seed=3))
    assert not np.allclose(f, decorrelation_filters(8, SR, seed=4))
    assert source_seed("bed") == source_seed("bed") != source_seed("bird")


# -- point sources stay exact ------------------------------------------------------------------------
@pytest.mark.parametrize("fmt", ["stereo", "5.1", "7.1.4", "foa", "hoa3", "binaural"])
def test_point_sources_are_bit_identical(fmt):
    hrtf = spherical_head_hrtf(SR) if fmt == "binaural" else None
    keys = [{"t": 0.0, "azimuth": -60.0}, {"t": 1.0, "azimuth": 80.0, "elevation": 30.0}]
    base = [{"id": "a", "position": {"azimuth": 30.0}}, {"id": "b", "trajectory": keys}]
    signals = {"a": _noise(1.0, 1), "b": _noise(1.0, 2)}
    plain = render_scene(
        Scene.from_dict({"duration": 1.0, "sources": base}), signals, RenderOptions(format=fmt), hrtf
    )
    zero = [dict(s, extent={"width": 0.0, "height": 0.0}) for s in base]
    same = render_scene(
        Scene.from_dict({"duration": 1.0, "sources": zero}), signals, RenderOptions(format=fmt), hrtf
    )
    assert plain.tobytes() == same.tobytes()


# -- loudspeakers ------------------------------------------------------------------------------------
@pytest.mark.parametrize("fmt", ["5.1", "7.1.4"])
@pytest.mark.parametrize("height", [0.0, 60.0])
def test_energy_vector_shortens_as_the_width_grows(fmt, height):
    lengths = [_re_length(fmt, (w, height)) for w in range(0, 361, 30)]
    assert lengths[0] == pytest.approx(1.0, abs=1e-6) or height > 0
    assert all(b <= a + 0.005 for a, b in zip(lengths, lengths[1:], strict=False)), lengths
    assert lengths[-1] < 0.25 < 0.9 < lengths[1]


@pytest.mark.parametrize("fmt", ["5.1", "7.1.4"])
def test_an_all_round_bed_is_nearly_isotropic(fmt):
    assert _re_length(fmt, (360.0, 90.0)) <= 0.2
    # the whole sphere through the panner: as an isotropic field through the same panner (7.1.4 has no
    # loudspeaker below the horizon, so even that points up a little)
    whole = _re_length(fmt, (360.0, 180.0))
    assert whole == pytest.approx(_isotropic_re_length(fmt), abs=0.05)
    if fmt == "5.1":
        assert whole <= 0.2


@pytest.mark.parametrize("fmt", ["5.1", "7.1.4"])
def test_a_bed_reaches_the_surround_and_height_loudspeakers(fmt):
    e = _speaker_energies(fmt, _render(fmt, (360.0, 90.0)))
    names = [FORMATS[fmt].channels[c] for c in get_layout(fmt).speaker_channels]
    share = dict(zip(names, e / e.sum(), strict=True))
    assert all(v > 0.02 for v in share.values())  # every loudspeaker plays
    surround = sum(v for k, v in share.items() if k in ("Ls", "Rs", "Lss", "Rss", "Lrs", "Rrs"))
    assert surround >= 0.25
    if fmt == "7.1.4":
        assert sum(v for k, v in share.items() if k in ("Ltf", "Rtf", "Ltr", "Rtr")) >= 0.15


@pytest.mark.parametrize("fmt", ["5.1", "7.1.4", "foa", "hoa3"])
@pytest.mark.parametrize("extent", [(30.0, 0.0), (90.0, 30.0), (200.0, 60.0), (360.0, 90.0), (360.0, 180.0)])
def test_total_energy_is_the_point_sources(fmt, extent):
    point = _render(fmt, None)
    spread = _render(fmt, extent)
    if FORMATS[fmt].is_ambisonic:  # the omnidirectional W carries the energy
        point, spread = point[:1], spread[:1]
    ratio_db = 10 * np.log10((spread**2).sum() / (point**2).sum())
    assert abs(ratio_db) < 0.5


# -- ambisonics --------------------------------------------------------------------------------------
def _intensity(y) -> np.ndarray:
    w, yy, z, x = y[:4]
    return np.array([np.mean(w * x), np.mean(w * yy), np.mean(w * z)]) / np.mean(w * w)


def test_ambisonics_get_wide_and_an_all_round_bed_has_no_direction():
    lengths = [np.linalg.norm(_intensity(_render("foa", (w, 0.0)))) for w in (0, 90, 180, 270, 360)]
    assert lengths[0] == pytest.approx(1.0, abs=1e-6)
    assert all(b < a for a, b in zip(lengths, lengths[1:], strict=False)), lengths
    assert np.linalg.norm(_intensity(_render("foa", (360.0, 180.0)))) <= 0.15
    assert np.linalg.norm(_intensity(_render("hoa3", (360.0, 180.0)))) <= 0.15


# -- binaural ----------------------------------------------------------------------------------------
@pytest.mark.parametrize("hrtf_name", ["analytic", "ku100"])
def test_binaural_bed_has_low_interaural_coherence(request, hrtf_name):
    if hrtf_name == "analytic":
        hrtf = spherical_head_hrtf(SR)
    else:
        request.getfixturevalue("real_cache")
        from see2sound.pipeline.hrtf import load_hrtf

        hrtf = load_hrtf(hrtf_name, SR)
    assert interaural_coherence(_render("binaural", None, hrtf=hrtf)) > 0.9  # a point in front
    for extent in [(360.0, 90.0), (360.0, 180.0)]:
        assert interaural_coherence(_render("binaural", extent, hrtf=hrtf)) < 0.3
    # the energy: what the virtual sources' directions give together
    spread = spread_for((360.0, 90.0), SR, 1)
    dirs = to_world(spread.directions, FRONT)
    points = sum(
        w * (_render("binaural", None, hrtf=hrtf, direction=d) ** 2).sum()
        for d, w in zip(dirs, spread.weights, strict=True)
    )
    ratio_db = 10 * np.log10((_render("binaural", (360.0, 90.0), hrtf=hrtf) ** 2).sum() / points)
    assert abs(ratio_db) < 0.5


# -- moving, deterministic, scene and CLI ------------------------------------------------------------
@pytest.mark.parametrize("fmt", ["5.1", "foa", "binaural", "7.1.4"])
def test_moving_path_equals_the_still_path_for_a_source_that_stays(fmt):
    hrtf = spherical_head_hrtf(SR) if fmt == "binaural" else None
    signals = {"a": _noise(1.0, 5)}
    extent = {"width": 120.0, "height": 40.0}
    still = [{"id": "a", "position": {"azimuth": 40.0, "elevation": 10.0}, "extent": extent}]
    keys = [{"t": 0.0, "azimuth": 40.0, "elevation": 10.0}, {"t": 1.0, "azimuth": 40.0, "elevation": 10.0}]
    moving = [{"id": "a", "trajectory": keys, "extent": extent}]
    a = render_scene(
        Scene.from_dict({"duration": 1.0, "sources": still}), signals, RenderOptions(format=fmt), hrtf
    )
    b = render_scene(
        Scene.from_dict({"duration": 1.0, "sources": moving}), signals, RenderOptions(format=fmt), hrtf
    )
    assert np.abs(a - b).max() <= 2e-4 * np.abs(a).max()


def test_a_moving_extended_source_follows_its_path():
    keys = [{"t": 0.0, "azimuth": 90.0}, {"t": 2.0, "azimuth": -90.0}]
    scene = Scene.from_dict(
        {"duration": 2.0, "sources": [{"id": "a", "trajectory": keys, "extent": {"width": 60.0}}]}
    )
    y = render_scene(scene, {"a": _noise(2.0, 6)}, RenderOptions(format="5.1", lfe_db=None)).astype(float)
    ch = FORMATS["5.1"].channels
    first, last = y[:, : SR // 2], y[:, -SR // 2 :]
    assert (first[ch.index("L")] ** 2).sum() > 5 * (first[ch.index("R")] ** 2).sum()
    assert (last[ch.index("R")] ** 2).sum() > 5 * (last[ch.index("L")] ** 2).sum()


def test_paper_method_spreads_too():
    y = render_sources(
        [_noise()],
        [FRONT],
        [3.0],
        SR,
        RenderOptions(format="5.1", method="paper", **RAW),
        extents=[(360.0, 90.0)],
    ).astype(float)
    e = _speaker_energies("5.1", y)
    assert e[3:].sum() / e.sum() > 0.2  # Ls and Rs (the last two loudspeakers) get a share


def test_same_scene_same_bytes_and_the_seed_follows_the_id():
    sources = [{"id": "bed", "position": {"azimuth": 0.0}, "extent": {"width": 360.0, "height": 90.0}}]
    scene = Scene.from_dict({"duration": 1.0, "sources": sources})
    signals = {"bed": _noise(1.0, 7)}
    a = render_scene(scene, signals, RenderOptions(format="7.1.4"))
    assert a.tobytes() == render_scene(scene, signals, RenderOptions(format="7.1.4")).tobytes()
    other = Scene.from_dict({"duration": 1.0, "sources": [dict(sources[0], id="ambience")]})
    assert not np.allclose(
        a, render_scene(other, {"ambience": signals["bed"]}, RenderOptions(format="7.1.4"))
    )


def test_cli_bed_puts_energy_in_the_surrounds(cli, tmp_path):
    sf.write(tmp_path / "bed.wav", _noise(3.0, 8), SR)
    sf.write(tmp_path / "dog.wav", _noise(3.0, 9), SR)
    sources = [
        {"id": "bed", "audio": "bed.wav", "role": "bed", "position": {"azimuth": 0.0},
         "extent": {"width": 360.0, "height": 90.0}, "level": 50.0},
        {"id": "dog", "audio": "dog.wav", "role": "spot", "position": {"azimuth": 20.0, "distance": 5.0},
         "level": 45.0},
    ]  # fmt: skip
    (tmp_path / "scene.json").write_text(json.dumps({"duration": 3.0, "sample_rate": SR, "sources": sources}))
    out = tmp_path / "out.wav"
    code, _, err = cli("render", tmp_path / "scene.json", "-o", out, "--format", "5.1")
    assert code == 0, err
    y, _ = sf.read(out, always_2d=True)
    e = (y**2).sum(axis=0)
    ch = FORMATS["5.1"].channels
    surround = e[ch.index("Ls")] + e[ch.index("Rs")]
    assert surround / (e.sum() - e[ch.index("LFE")]) >= 0.10
