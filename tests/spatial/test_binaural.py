"""Binaural rendering: physical facts, static fast path, moving sources without clicks, bad input."""

from __future__ import annotations

import numpy as np
import pytest
from scipy.signal import butter, correlate, fftconvolve, sosfiltfilt, welch

from see2sound.errors import See2SoundError
from see2sound.geometry import direction_to_vector
from see2sound.pipeline.hrtf import load_hrtf
from see2sound.spatial.binaural import (
    near_field_gains,
    render_binaural,
    render_binaural_mix,
    segment_alignment,
)
from see2sound.spatial.hrtf import spherical_head_hrtf

SR = 48000
HOP = 480


@pytest.fixture(scope="module")
def analytic():
    return spherical_head_hrtf(SR)


def noise(seconds=1.0, seed=0):
    return np.random.default_rng(seed).standard_normal(int(seconds * SR))


def fixed(direction, n, hop=HOP):
    return np.tile(np.asarray(direction, dtype=float), (n // hop + 1, 1))


def sweep(n, turns_per_second=1.0, hop=HOP, elevation_deg=0.0):
    t = np.arange(n // hop + 1) * hop / SR
    return direction_to_vector(360.0 * turns_per_second * t, np.full_like(t, elevation_deg))


def lag_of_right_behind_left(y: np.ndarray) -> int:
    """Samples by which the right ear lags the left (low-passed cross-correlation)."""
    lp = sosfiltfilt(butter(4, 1500, fs=SR, output="sos"), y, axis=-1)
    c = correlate(lp[1], lp[0], mode="full")
    return int(np.argmax(c)) - (y.shape[1] - 1)


def test_output_shape_and_dtype(analytic):
    x = noise(0.5)
    y = render_binaural(x, fixed([1, 0, 0], len(x)), analytic, HOP)
    assert y.shape == (2, len(x)) and y.dtype == np.float64
    y32 = render_binaural(x.astype(np.float32), sweep(len(x)), analytic, HOP)
    assert y32.shape == (2, len(x)) and y32.dtype == np.float32
    assert render_binaural(np.zeros(0), np.zeros((1, 3)) + [1, 0, 0], analytic, HOP).shape == (2, 0)


@pytest.mark.parametrize("name", ["analytic", "ku100", "kemar"])
def test_source_at_left_arrives_first_and_louder_at_left(request, name):
    if name != "analytic":
        request.getfixturevalue("real_cache")
    hrtf = load_hrtf(name, SR)
    x = noise(1.0)
    y = render_binaural(x, fixed(direction_to_vector(90.0, 0.0), len(x)), hrtf, HOP)
    assert np.std(y[0]) > 2 * np.std(y[1])
    assert lag_of_right_behind_left(y) >= 0.0005 * SR  # > 0.5 ms
    y = render_binaural(x, fixed(direction_to_vector(-90.0, 0.0), len(x)), hrtf, HOP)
    assert np.std(y[1]) > 2 * np.std(y[0]) and lag_of_right_behind_left(y) <= -0.0005 * SR


def test_static_source_is_one_convolution_with_the_interpolated_hrir(analytic):
    x = noise(0.3)
    d = direction_to_vector(33.0, 12.0)
    y = render_binaural(x, fixed(d, len(x)), analytic, HOP)
    h = analytic.impulse_response(d)
    expected = np.stack([np.convolve(x, h[e])[: len(x)] for e in range(2)])
    np.testing.assert_allclose(y, expected, atol=1e-4 * np.abs(expected).max())


def test_moving_path_with_a_still_direction_equals_the_static_path(analytic):
    """The cross-fade windows sum to one: a 'moving' source that does not move renders like a static one."""
    x = noise(7.0)  # longer than one processing chunk (256 blocks)
    d = fixed(direction_to_vector(-70.0, 20.0), len(x))
    wobble = d + 1e-9 * np.random.default_rng(1).standard_normal(d.shape)  # forces the moving path
    static = render_binaural(x, d, analytic, HOP)
    moving = render_binaural(x, wobble, analytic, HOP)
    np.testing.assert_allclose(moving, static, atol=2e-5 * np.abs(static).max())


@pytest.mark.parametrize("name", ["analytic", "ku100"])
def test_sweep_of_360_degrees_in_one_second_has_no_clicks(request, name):
    if name != "analytic":
        request.getfixturevalue("real_cache")
    hrtf = load_hrtf(name, SR)
    t = np.arange(SR) / SR
    tone = np.sin(2 * np.pi * 500 * t)
    moving = render_binaural(tone, sweep(len(tone)), hrtf, HOP)
    worst_static = max(
        np.abs(
            np.diff(
                render_binaural(tone, fixed(direction_to_vector(az, 0.0), len(tone)), hrtf, HOP)[:, 2000:],
                axis=1,
            )
        ).max()
        for az in np.arange(0, 360, 10)
    )
    assert np.abs(np.diff(moving[:, 2000:], axis=1)).max() <= worst_static * 1.02


def test_long_moving_render_has_no_silent_chunks(analytic):
    x = noise(8.0)
    y = render_binaural(x, sweep(len(x), turns_per_second=0.05), analytic, HOP)
    rms = np.sqrt(np.mean(y.reshape(2, 16, -1) ** 2, axis=-1))  # half-second frames
    assert rms.min() > 0.1 * rms.max()


def test_sweep_follows_the_direction(analytic):
    x = noise(1.0)
    y = render_binaural(x, sweep(len(x)), analytic, HOP)
    quarter = len(x) // 4
    left_half = y[:, quarter // 2 : quarter + quarter // 2]  # around +90° (left)
    right_half = y[:, 3 * quarter - quarter // 2 : 3 * quarter + quarter // 2]  # around -90° (right)
    assert np.std(left_half[0]) > 1.5 * np.std(left_half[1])
    assert np.std(right_half[1]) > 1.5 * np.std(right_half[0])


def test_measured_render_reproduces_the_measured_hrir_at_a_measured_direction(real_cache):
    """Rendering through KU100 at one of its measured directions: same spectrum and interaural delay as
    convolving with the measured HRIR, and the same waveform below 1.5 kHz."""
    hrtf = load_hrtf("ku100", SR)
    x = noise(1.0, seed=2)
    lp = butter(4, 1500, fs=SR, output="sos")
    for i in (10, 300, 700, 1900):
        y = render_binaural(x, fixed(hrtf.directions[i], len(x)), hrtf, HOP)
        ref = np.stack([fftconvolve(x, hrtf.hrirs[i, e])[: len(x)] for e in range(2)])
        f, p_ours = welch(y[:, 1000:], SR, nperseg=2048)
        _, p_ref = welch(ref[:, 1000:], SR, nperseg=2048)
        band = (f > 200) & (f < 16000)
        strong = p_ref[:, band] > p_ref[:, band].max() * 1e-3
        assert np.abs(10 * np.log10(p_ours[:, band] / p_ref[:, band]))[strong].max() < 1.0
        assert abs(lag_of_right_behind_left(y) - lag_of_right_behind_left(ref)) <= 1
        a, b = sosfiltfilt(lp, y, axis=-1)[:, 1000:], sosfiltfilt(lp, ref, axis=-1)[:, 1000:]
        corr = np.sum(a * b, axis=1) / np.sqrt(np.sum(a * a, axis=1) * np.sum(b * b, axis=1))
        assert np.all(corr > 0.99), (i, corr)


def test_near_field_raises_the_level_difference(analytic):
    x = noise(0.5)
    d = fixed(direction_to_vector(90.0, 0.0), len(x))
    far = render_binaural(x, d, analytic, HOP, distances_m=np.full(len(d), 2.0))
    near = render_binaural(x, d, analytic, HOP, distances_m=np.full(len(d), 0.25))
    plain = render_binaural(x, d, analytic, HOP)
    np.testing.assert_allclose(far, plain, atol=1e-6)  # no change beyond 1 m
    ild = lambda y: 20 * np.log10(np.std(y[0]) / np.std(y[1]))  # noqa: E731
    assert ild(near) > ild(far) + 3.0


def test_near_field_gains_are_one_beyond_a_metre_and_symmetric():
    dirs = direction_to_vector(np.array([0.0, 90.0, -90.0]), np.zeros(3))
    np.testing.assert_allclose(near_field_gains(dirs, np.full(3, 1.5)), 1.0)
    g = near_field_gains(dirs, np.full(3, 0.2))
    assert np.isclose(g[0, 0], g[0, 1]) and g[1, 0] > 1 > g[1, 1]
    np.testing.assert_allclose(g[1], g[2][::-1])


def test_approaching_source_is_rendered_smoothly(analytic):
    x = np.sin(2 * np.pi * 300 * np.arange(SR) / SR)
    d = fixed(direction_to_vector(60.0, 0.0), len(x))
    dist = np.linspace(3.0, 0.2, len(d))
    y = render_binaural(x, d, analytic, HOP, distances_m=dist)
    assert np.all(np.isfinite(y))
    assert np.abs(np.diff(y, axis=1)).max() < 0.1


@pytest.mark.parametrize(
    "args, message",
    [
        ((np.zeros((2, 100)), np.zeros((3, 3)) + [1, 0, 0], 50), "mono"),
        ((np.zeros(100), np.zeros((2, 3)) + [1, 0, 0], 50), "shape"),
        ((np.zeros(100), np.zeros((3, 2)) + 1, 50), "shape"),
        ((np.zeros(100), np.zeros((3, 3)), 50), "non-zero"),
        ((np.zeros(100), np.full((3, 3), np.nan), 50), "finite"),
        ((np.full(100, np.inf), np.zeros((3, 3)) + [1, 0, 0], 50), "NaN or infinite"),
        ((np.zeros(100), np.zeros((3, 3)) + [1, 0, 0], 0), "hop"),
    ],
)
def test_bad_input_is_one_line_error(analytic, args, message):
    with pytest.raises(See2SoundError, match=message) as info:
        render_binaural(args[0], args[1], analytic, args[2])
    assert "\n" not in str(info.value)


def test_bad_hrtf_and_distances_are_refused(analytic):
    x = np.zeros(100)
    d = np.zeros((3, 3)) + [1, 0, 0]
    with pytest.raises(See2SoundError, match="HRTF"):
        render_binaural(x, d, "analytic", 50)
    with pytest.raises(See2SoundError, match="distances_m"):
        render_binaural(x, d, analytic, 50, distances_m=np.array([1.0, 0.0, 1.0]))


def test_mix_equals_the_sum_of_single_renders(analytic):
    n = SR // 2
    signals = [noise(0.5, seed=s) for s in range(3)]
    dirs = [
        sweep(n),
        fixed(direction_to_vector(40.0, 10.0), n),
        sweep(n, turns_per_second=-0.5, elevation_deg=20),
    ]
    dists = [None, None, np.linspace(0.3, 2.0, n // HOP + 1)]
    mix = render_binaural_mix(signals, dirs, analytic, HOP, distances_m=dists)
    expected = sum(
        render_binaural(x, d, analytic, HOP, distances_m=r)
        for x, d, r in zip(signals, dirs, dists, strict=True)
    )
    np.testing.assert_allclose(mix, expected, atol=1e-5 * np.abs(expected).max())
    assert mix.dtype == np.float64


def test_mix_refuses_mismatched_sources(analytic):
    with pytest.raises(See2SoundError, match="one directions array per signal"):
        render_binaural_mix([np.zeros(100)], [], analytic, 50)
    with pytest.raises(See2SoundError, match="differ in length"):
        render_binaural_mix(
            [np.zeros(100), np.zeros(50)], [fixed([1, 0, 0], 100, 50), fixed([1, 0, 0], 50, 50)], analytic, 50
        )


def test_slow_source_reuses_filters_without_audible_difference(analytic, monkeypatch):
    """Filters are rebuilt only after 0.5° of movement (below the minimum audible angle of about 1°):
    against rebuilding every block, levels and ILDs agree within 0.3 dB (an ILD change of 0.5-1 dB is
    the smallest heard); the waveform differs by a delay of at most about 0.2 samples."""
    import see2sound.spatial.binaural as binaural

    x = noise(2.0)
    d = sweep(len(x), turns_per_second=10.0 / 360.0)  # 10°/s: 0.2° per block
    assert len(binaural._filter_updates(binaural._directions_at(d, HOP, np.arange(94) * 1024.0))) < 60
    reused = render_binaural(x, d, analytic, HOP)
    monkeypatch.setattr(binaural, "UPDATE_DEG", 0.0)
    every_block = render_binaural(x, d, analytic, HOP)

    def frame_db(y):
        return 10 * np.log10(np.mean(y[:, : 8 * 12000].reshape(2, 8, -1) ** 2, axis=-1))

    a, b = frame_db(reused), frame_db(every_block)
    assert np.abs(a - b).max() < 0.3
    assert np.abs((a[0] - a[1]) - (b[0] - b[1])).max() < 0.3
    assert 20 * np.log10(np.std(reused - every_block) / np.std(every_block)) < -15


def test_far_distances_change_nothing(analytic):
    x = noise(1.0)
    d = sweep(len(x), turns_per_second=0.1)
    far = render_binaural(x, d, analytic, HOP, distances_m=np.linspace(1.0, 30.0, len(d)))
    np.testing.assert_array_equal(far, render_binaural(x, d, analytic, HOP))


def test_filter_anchors_stay_within_the_update_angle_and_depend_on_nothing_earlier():
    """Each block uses a filter made for a direction within UPDATE_DEG of its own, from its own group of
    MAX_REUSE_BLOCKS blocks; a suffix starting on a group boundary picks the same anchors on its own."""
    import see2sound.spatial.binaural as binaural

    rng = np.random.default_rng(3)
    t = np.arange(400) / 47.0
    az = 40 * np.sin(2 * np.pi * t / 7) + np.cumsum(rng.uniform(-1.5, 1.5, len(t)))
    dirs = direction_to_vector(az, 10 * np.sin(t))
    anchors = binaural._filter_anchors(dirs)
    k = np.arange(len(dirs))
    assert np.all(anchors <= k) and np.all(anchors >= k - k % binaural.MAX_REUSE_BLOCKS)
    cos_angle = np.einsum("ij,ij->i", dirs, dirs[anchors])
    assert np.degrees(np.arccos(np.clip(cos_angle, -1, 1))).max() <= binaural.UPDATE_DEG + 1e-9
    assert len(np.unique(anchors)) < 0.8 * len(dirs)  # slow stretches share filters
    cut = 5 * binaural.MAX_REUSE_BLOCKS
    np.testing.assert_array_equal(binaural._filter_anchors(dirs[cut:]), anchors[cut:] - cut)


@pytest.mark.parametrize("name", ["analytic", "kemar"])
def test_a_segment_with_pre_roll_renders_like_the_whole(request, name):
    """The renderer may cut a long scene into segments that start on a multiple of 8 blocks and of the
    hop: after a pre-roll longer than the filters, the segment equals the whole render."""
    if name != "analytic":
        request.getfixturevalue("real_cache")
    hrtf = load_hrtf(name, SR)
    hop = 512
    x = noise(3.0, seed=4)
    t = np.arange(len(x) // hop + 1) * hop / SR
    d = direction_to_vector(7.0 * t + 20.0 * np.sin(2.0 * t), 5.0 * t)  # slow: filters are shared
    y, e = 0.5 * x[::-1], d[::-1]
    whole = render_binaural_mix([x, y], [d, e], hrtf, hop)
    align = segment_alignment(hrtf)
    assert align in (8192, 16384) and 4 * 4096 % align == 0
    start, pre_roll = 16 * 4096, 8 * 4096  # multiples of the alignment and of the hop
    s0 = start - pre_roll
    part = render_binaural_mix([x[s0:], y[s0:]], [d[s0 // hop :], e[s0 // hop :]], hrtf, hop)
    np.testing.assert_allclose(part[:, pre_roll:], whole[:, start:], atol=1e-5 * np.abs(whole).max())


@pytest.mark.parametrize("name", ["ku100", "kemar"])
def test_mix_equals_the_sum_of_single_renders_with_measured_sets(real_cache, name):
    hrtf = load_hrtf(name, SR)
    n = SR
    signals = [noise(1.0, seed=s) for s in range(3)]
    dirs = [sweep(n), fixed(direction_to_vector(-120.0, -10.0), n), sweep(n, turns_per_second=-0.1)]
    mix = render_binaural_mix(signals, dirs, hrtf, HOP)
    expected = sum(render_binaural(x, d, hrtf, HOP) for x, d in zip(signals, dirs, strict=True))
    np.testing.assert_allclose(mix, expected, atol=1e-5 * np.abs(expected).max())


def test_fft_sizes_are_small_and_fast():
    from see2sound.spatial.binaural import _fft_size

    for length in [1, 7, 100, 1000, 1376, 1455, 3165, 4097, 70000]:
        size = _fft_size(length)
        m = size
        for p in (2, 3, 5):
            while m % p == 0:
                m //= p
        assert m == 1 and size >= length and size < 1.25 * length + 2
        assert size % 27 and size % 125  # at most two factors of 3 and of 5


def test_static_sources_mixed_together_equal_their_single_renders(analytic):
    n = 40000 + 123  # not a whole number of blocks
    signals = [noise(1.0, seed=s)[:n] for s in range(4)]
    dirs = [fixed(direction_to_vector(az, el), n) for az, el in [(0, 0), (90, 10), (-135, -20), (30, 60)]]
    dists = [None, np.full(len(dirs[1]), 0.3), None, np.full(len(dirs[3]), 2.0)]
    mix = render_binaural_mix(signals, dirs, analytic, HOP, distances_m=dists)
    expected = sum(
        np.stack([np.convolve(x, h)[:n] for h in analytic.impulse_response(d[0])])
        * (near_field_gains(d[:1], r[:1])[0][:, None] if r is not None else 1.0)
        for x, d, r in zip(signals, dirs, dists, strict=True)
    )
    np.testing.assert_allclose(mix, expected, atol=1e-5 * np.abs(expected).max())


def test_single_and_double_precision_inputs_render_alike(analytic):
    """Float32 signals are read in place, others are copied block by block: same result."""
    x = noise(3.0, seed=5)
    d = sweep(len(x), turns_per_second=0.2)
    y64 = render_binaural_mix([x, x[::-1]], [d, d[::-1]], analytic, HOP)
    y32 = render_binaural_mix([x.astype(np.float32), x[::-1].astype(np.float32)], [d, d[::-1]], analytic, HOP)
    assert y64.dtype == np.float64 and y32.dtype == np.float32
    np.testing.assert_allclose(y32, y64, atol=1e-5 * np.abs(y64).max())
