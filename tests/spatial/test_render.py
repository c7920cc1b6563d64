"""render_scene / render_sources: lengths, gains, LFE, moving sources, every format, loudness."""

from __future__ import annotations

import numpy as np
import pytest

from see2sound.errors import See2SoundError
from see2sound.formats import FORMATS
from see2sound.geometry import angle_between_deg, direction_to_vector
from see2sound.scene import Scene
from see2sound.spatial.layouts import get_layout
from see2sound.spatial.limiter import true_peak
from see2sound.spatial.loudness import loudness_of
from see2sound.spatial.panning import energy_vector
from see2sound.spatial.render import RenderOptions, mix_interpolated, render_scene, render_sources

SR = 48000
RAW = dict(loudness_lufs=None, lfe_db=None)


def _scene(sources, duration=1.0, sample_rate=SR):
    return Scene.from_dict({"duration": duration, "sample_rate": sample_rate, "sources": sources})


def _noise(n, seed=0):
    return np.random.default_rng(seed).standard_normal(n).astype(np.float32) * 0.1


def test_length_padding_cutting_and_gain():
    scene = _scene(
        [
            {"id": "short", "position": {"azimuth": 30.0}, "gain_db": -6.0},
            {"id": "long", "position": {"azimuth": -30.0}},
        ],
        duration=0.5,
    )
    y = render_scene(
        scene,
        {"short": np.full(1000, 0.5, np.float32), "long": np.full(SR, 0.5, np.float32)},
        RenderOptions(format="stereo", **RAW),
    )
    assert y.shape == (2, SR // 2)
    np.testing.assert_allclose(y[0, :1000], 0.5 * 10 ** (-6 / 20), rtol=1e-6)  # L: the short stem, -6 dB
    np.testing.assert_allclose(y[0, 1000:], 0.0)  # padded with silence
    np.testing.assert_allclose(y[1], 0.5)  # R: the long stem, cut to the scene


def test_inverse_distance_and_minimum_distance():
    s = np.ones(4800, np.float32)
    opts = RenderOptions(format="stereo", **RAW)
    front = direction_to_vector(30.0, 0.0)
    near = render_sources([s], [front], [1.0], SR, opts)
    far = render_sources([s], [front], [4.0], SR, opts)
    touching = render_sources([s], [front], [0.01], SR, opts)
    assert 20 * np.log10(far[0, 100] / near[0, 100]) == pytest.approx(-12.04, abs=0.01)
    assert touching[0, 100] == pytest.approx(1.0 / RenderOptions().min_distance_m)


@pytest.mark.parametrize("fmt", ["stereo", "5.1", "7.1", "7.1.4"])
def test_rendered_energy_vector_points_at_the_source(fmt):
    layout = get_layout(fmt)
    rng = np.random.default_rng(1)
    for az, el in [(20.0, 0.0), (-75.0, 0.0), (10.0, 0.0)] + (
        [(100.0, 30.0), (-160.0, 60.0)] if fmt == "7.1.4" else []
    ):
        if fmt == "stereo" and abs(az) > 30:
            continue
        target = direction_to_vector(az, el)
        s = rng.standard_normal(4800)
        y = render_sources([s], [target], [1.0], SR, RenderOptions(format=fmt, **RAW))
        energies = (y[list(layout.speaker_channels)] ** 2).sum(axis=1)
        assert angle_between_deg(energy_vector(np.sqrt(energies), layout.vectors), target) < 1.0


def test_lfe_is_low_passed_mix_at_lfe_db():
    t = np.arange(SR) / SR
    low, high = np.sin(2 * np.pi * 40 * t), np.sin(2 * np.pi * 2000 * t)
    opts = RenderOptions(format="5.1", loudness_lufs=None, lfe_db=-10.0)
    fmt = FORMATS["5.1"]
    for tone, expected_db in ((low, -10.0), (high, None)):
        y = render_sources([tone], [direction_to_vector(60.0, 0.0)], [2.0], SR, opts)
        lfe = y[fmt.lfe_index, SR // 2 :]
        level_db = 20 * np.log10(np.abs(lfe).max() / 0.5)  # the mix is the tone at 1/r = 0.5
        if expected_db is None:
            assert level_db < -10.0 - 80.0  # 2 kHz: 4th order at 120 Hz → about -97 dB
        else:
            assert level_db == pytest.approx(expected_db, abs=0.1)
    silent = render_sources(
        [low], [direction_to_vector(0.0, 0.0)], [1.0], SR, RenderOptions(format="5.1", **RAW)
    )
    assert not np.any(silent[fmt.lfe_index])


def test_mix_interpolated_is_linear_between_control_points():
    hop = 4
    s = np.ones((1, 10))
    gains = np.array([0.0, 1.0, 1.0, 0.0])[:, None, None]  # control points at 0, 4, 8, 12
    y = mix_interpolated(s, gains, hop)[0]
    np.testing.assert_allclose(y, [0, 0.25, 0.5, 0.75, 1, 1, 1, 1, 1, 0.75])


def _sweep_scene(moving: bool, azimuth: float = 0.0):
    if moving:  # a full circle in one second
        keys = [{"t": 0.0, "azimuth": 180.0, "distance": 2.0}] + [
            {"t": i / 8, "azimuth": 180.0 - 45.0 * i, "distance": 2.0} for i in range(1, 9)
        ]
        return _scene([{"id": "s", "trajectory": keys}], duration=1.0)
    return _scene([{"id": "s", "position": {"azimuth": azimuth, "distance": 2.0}}], duration=1.0)


@pytest.mark.parametrize("fmt", ["5.1", "7.1.4", "hoa3"])
def test_moving_source_has_no_jumps_larger_than_static(fmt):
    t = np.arange(SR) / SR
    tone = {"s": (0.5 * np.sin(2 * np.pi * 1000 * t)).astype(np.float32)}
    opts = RenderOptions(format=fmt, **RAW)
    moving = render_scene(_sweep_scene(True), tone, opts)
    static_jump = max(
        np.abs(np.diff(render_scene(_sweep_scene(False, az), tone, opts), axis=1)).max()
        for az in np.arange(-180, 180, 15.0)
    )
    assert np.abs(np.diff(moving, axis=1)).max() <= static_jump * 1.01
    # zipper test: a constant signal moving around changes only as fast as the gains glide
    dc = {"s": np.full(SR, 0.5, np.float32)}
    assert np.abs(np.diff(render_scene(_sweep_scene(True), dc, opts), axis=1)).max() < 2e-3


def test_moving_source_is_heard_where_it_is():
    keys = [{"t": 0.0, "azimuth": 90.0}, {"t": 0.5, "azimuth": 0.0}, {"t": 1.0, "azimuth": -90.0}]
    scene = _scene([{"id": "s", "trajectory": keys}])
    y = render_scene(scene, {"s": _noise(SR)}, RenderOptions(format="foa", **RAW))
    for k, expected in ((0, 90.0), (SR // 2 - 2400, 0.0), (SR - 4800, -90.0)):
        block = y[:, k : k + 4800]
        iy, ix = np.mean(block[0] * block[1]), np.mean(block[0] * block[3])
        assert np.degrees(np.arctan2(iy, ix)) == pytest.approx(expected, abs=12.0)


def test_propagation_delay_delays_by_distance_over_c():
    x = np.zeros(SR // 2, np.float32)
    x[100] = 1.0
    opts = RenderOptions(format="stereo", propagation_delay=True, **RAW)
    y = render_sources([x], [direction_to_vector(30.0, 0.0)], [34.3], SR, opts)
    assert np.argmax(np.abs(y[0])) == 100 + 4800  # 34.3 m at 343 m/s = 100 ms


def test_air_absorption_dulls_far_sources():
    s = _noise(SR)
    dry = render_sources(
        [s], [direction_to_vector(0.0, 0.0)], [300.0], SR, RenderOptions(format="stereo", **RAW)
    )
    wet = render_sources(
        [s],
        [direction_to_vector(0.0, 0.0)],
        [300.0],
        SR,
        RenderOptions(format="stereo", air_absorption=True, **RAW),
    )
    spec_dry, spec_wet = np.abs(np.fft.rfft(dry[0])), np.abs(np.fft.rfft(wet[0]))
    f = np.fft.rfftfreq(SR, 1 / SR)

    def band(lo, hi):
        sel = (f > lo) & (f < hi)
        return 20 * np.log10(spec_wet[sel].sum() / spec_dry[sel].sum())

    assert band(100, 300) > -0.5
    assert band(9000, 11000) < -10.0


@pytest.mark.parametrize("fmt", list(FORMATS))
def test_every_format_meets_loudness_and_true_peak(fmt):
    scene = _scene(
        [
            {"id": "a", "position": {"azimuth": 40.0, "elevation": 10.0, "distance": 3.0}},
            {
                "id": "b",
                "trajectory": [{"t": 0.0, "azimuth": -120.0}, {"t": 1.5, "azimuth": 60.0, "elevation": 30.0}],
            },
        ],
        duration=1.5,
    )
    signals = {"a": _noise(SR * 2, 1) * 8, "b": _noise(SR, 2)}
    hrtf = None
    if fmt == "binaural":
        from see2sound.spatial.hrtf import spherical_head_hrtf

        hrtf = spherical_head_hrtf(SR)
    y = render_scene(scene, signals, RenderOptions(format=fmt, loudness_lufs=-16.0), hrtf=hrtf)
    assert y.shape == (FORMATS[fmt].n_channels, int(1.5 * SR))
    assert np.all(np.isfinite(y))
    assert loudness_of(y, SR, fmt) == pytest.approx(-16.0, abs=0.3)
    assert true_peak(y) <= 10 ** (-1 / 20) * 1.001


def test_binaural_source_on_the_left_is_louder_in_the_left_ear():
    from see2sound.spatial.hrtf import spherical_head_hrtf

    scene = _scene([{"id": "s", "position": {"azimuth": 90.0, "distance": 2.0}}])
    y = render_scene(
        scene, {"s": _noise(SR)}, RenderOptions(format="binaural", **RAW), hrtf=spherical_head_hrtf(SR)
    )
    assert np.std(y[0]) > 2 * np.std(y[1])


def test_bad_options_are_refused():
    with pytest.raises(See2SoundError, match="unknown format"):
        RenderOptions(format="9.1").validate()
    with pytest.raises(See2SoundError, match="only renders loudspeaker formats"):
        RenderOptions(format="foa", method="paper").validate()
    with pytest.raises(See2SoundError, match="unknown method"):
        RenderOptions(method="magic").validate()
    with pytest.raises(See2SoundError, match="sample rate"):
        RenderOptions(sample_rate=4000).validate()
    with pytest.raises(See2SoundError, match="microphone radius"):
        RenderOptions(mic_radius_m=0.0).validate()
    with pytest.raises(See2SoundError, match="HRTF"):
        render_sources([np.zeros(100)], [np.array([1.0, 0, 0])], [1.0], SR, RenderOptions(format="binaural"))


def test_paper_method_delays_once_and_aligns_the_lfe():
    x = np.zeros(SR // 2, np.float32)
    x[100] = 1.0
    target, distance = direction_to_vector(0.0, 0.0), 34.3  # 100 ms away
    plain = RenderOptions(format="5.1", method="paper", loudness_lufs=None)
    delayed = RenderOptions(format="5.1", method="paper", loudness_lufs=None, propagation_delay=True)
    a = render_sources([x], [target], [distance], SR, plain)
    b = render_sources([x], [target], [distance], SR, delayed)
    np.testing.assert_array_equal(a, b)  # the microphones already hear the source r/c late
    centre = FORMATS["5.1"].channels.index("C")
    arrival = np.argmax(np.abs(a[centre]))
    assert arrival == 100 + round((distance - 2.0) / 343.0 * SR)  # the C microphone is 2 m closer
    lfe = a[FORMATS["5.1"].lfe_index]
    assert abs(np.argmax(np.abs(lfe)) - (100 + 4800)) < 200  # low-passed impulse, 100 ms late too


def test_same_input_gives_identical_output():
    scene = _sweep_scene(True)
    signals = {"s": _noise(SR, 4)}
    for fmt in ("7.1.4", "foa"):
        a = render_scene(scene, signals, RenderOptions(format=fmt))
        b = render_scene(scene, signals, RenderOptions(format=fmt))
        assert a.tobytes() == b.tobytes()


@pytest.mark.parametrize("sr", [8000, 22050, 192000])
def test_any_sample_rate_with_every_option(sr):
    keys = [{"t": 0.0, "azimuth": 10.0, "distance": 5.0}, {"t": 1.0, "azimuth": 170.0, "elevation": 20.0}]
    scene = _scene([{"id": "a", "trajectory": keys}], duration=1.0)
    signal = {"a": np.random.default_rng(0).standard_normal(sr).astype(np.float32) * 0.1}
    opts = RenderOptions(
        format="7.1.4", sample_rate=sr, propagation_delay=True, air_absorption=True, loudness_lufs=-23.0
    )
    y = render_scene(scene, signal, opts)
    assert y.shape == (12, sr) and np.all(np.isfinite(y))
    assert loudness_of(y, sr, "7.1.4") == pytest.approx(-23.0, abs=0.1)
