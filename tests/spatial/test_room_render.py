"""Rooms in a render: reflections at the image-source delays and directions, the tail's RT60, outdoors,
the free field untouched, plausible direct-to-reverberant ratios, and every bad --room spec."""

from __future__ import annotations

import numpy as np
import pytest

from see2sound.errors import See2SoundError
from see2sound.formats import get_format
from see2sound.spatial import reverb
from see2sound.spatial.hrtf import spherical_head_hrtf
from see2sound.spatial.render import RenderOptions, render_sources
from see2sound.spatial.reverb import (
    Room,
    convolve_sum,
    parse_room,
    reflection_paths,
    render_room,
    resolve_room,
    response_length_s,
    room_response,
)
from see2sound.spatial.room import image_sources, schroeder_rt60_s

SR = 16000
C = 343.0
# width 5 (y), depth 7 (x), height 3 (z); listener 2 m from the back wall, 1.5 m from the right wall
ROOM = Room("indoor", (5.0, 7.0, 3.0), "wood", listener_m=(2.0, 1.5, 1.2))
SOURCE = np.array([3.0, 0.5, 0.3])  # listener frame: ahead, a little left and up


def _impulse(n: int) -> np.ndarray:
    x = np.zeros(n, dtype=np.float32)
    x[0] = 1.0
    return x


def _opts(fmt: str, **kw) -> RenderOptions:
    return RenderOptions(format=fmt, loudness_lufs=None, true_peak_dbtp=None, **kw)


def _first_order_images():
    src_room = np.array(ROOM.listener_m) + SOURCE
    return image_sources(src_room, ROOM.listener_m, ROOM.size_xyz_m, "wood", max_order=1)


def test_first_reflection_arrives_at_its_image_delay_from_its_direction_foa():
    room = Room("indoor", ROOM.dimensions_m, "wood", ROOM.listener_m, max_order=1)
    h = room_response(SOURCE, room, SR, "foa", tail=False)
    images = _first_order_images()
    direct = np.linalg.norm(SOURCE)
    delays = np.rint((images.distances_m - direct) / C * SR).astype(int)
    order = np.argsort(delays)
    assert delays[order[0]] < delays[order[1]]  # the first reflection is isolated in time
    onset = int(np.flatnonzero(np.abs(h).sum(axis=0) > 0)[0])
    assert onset == delays[order[0]]
    w, y, z, x = h[:, onset]
    direction = np.array([x, y, z]) / w  # SN3D first order: (W, Y, Z, X) = a·(1, y, z, x)
    np.testing.assert_allclose(direction, images.directions[order[0]], atol=1e-5)
    expected_gain = images.gains[order[0]] / images.distances_m[order[0]]
    assert w == pytest.approx(expected_gain, rel=1e-5)
    # every first-order reflection: the right amplitude at the right delay
    for i in range(6):
        assert h[0, delays[i]] >= images.gains[i] / images.distances_m[i] - 1e-6  # (two may share a sample)


def test_first_reflection_energy_vector_points_at_the_image_on_loudspeakers():
    from see2sound.spatial.layouts import get_layout
    from see2sound.spatial.panning import energy_vector

    room = Room("indoor", ROOM.dimensions_m, "wood", ROOM.listener_m, max_order=1)
    h = room_response(SOURCE, room, SR, "7.1", tail=False)
    layout = get_layout("7.1")
    images = _first_order_images()
    direct = np.linalg.norm(SOURCE)
    delays = np.rint((images.distances_m - direct) / C * SR).astype(int)
    first = int(np.argmin(delays))
    gains = h[list(layout.speaker_channels), delays[first]]
    rE = energy_vector(gains, layout.vectors)
    target = images.directions[first].copy()
    target[2] = 0.0  # a flat layout pans the azimuth
    target /= np.linalg.norm(target)
    assert np.degrees(np.arccos(np.clip(rE @ target / np.linalg.norm(rE), -1, 1))) < 1.0
    assert np.all(h[layout.lfe_index] == 0)  # the LFE gets no room


def test_binaural_reflection_is_the_hrir_of_its_direction():
    hrtf = spherical_head_hrtf(SR)
    room = Room("indoor", ROOM.dimensions_m, "wood", ROOM.listener_m, max_order=1)
    source = np.array([0.5, 0.0, 0.0])
    h = room_response(source, room, SR, "binaural", hrtf=hrtf, tail=False)
    dirs, amp, delay = reflection_paths(room, source)
    left_wall = int(np.argmax(dirs[:, 1]))  # the reflection from the left wall comes from +y
    assert dirs[left_wall, 1] > 0.99
    start = int(np.floor(delay[left_wall] * SR))
    others = np.abs((delay - delay[left_wall]) * SR) < hrtf.filter_length + 20
    assert others.sum() == 1, "the left-wall reflection must be alone in its window"
    window = h[:, start : start + hrtf.filter_length + 20]
    expected = hrtf.impulse_response(dirs[left_wall], hrtf.filter_length + 20) * amp[left_wall]
    shift = delay[left_wall] * SR - start  # fractional part: compare energies and ear balance
    assert shift < 1.0
    assert np.sum(window**2) == pytest.approx(np.sum(expected**2), rel=0.02)
    assert np.sum(window[0] ** 2) > 2 * np.sum(window[1] ** 2)  # the left ear hears it louder


@pytest.mark.parametrize("fmt", ["5.1", "binaural", "foa"])
def test_tail_rt60_by_schroeder_integration_is_within_10_percent(fmt):
    hrtf = spherical_head_hrtf(SR) if fmt == "binaural" else None
    room = Room("indoor", (8.0, 10.0, 3.5), "plaster", listener_m=(3.0, 4.0, 1.2))
    n = int(2.0 * room.rt60_s * SR)
    y = render_room(
        [_impulse(n)],
        [SOURCE / np.linalg.norm(SOURCE)],
        [np.linalg.norm(SOURCE)],
        SR,
        _opts(fmt),
        room,
        hrtf=hrtf,
    )
    assert schroeder_rt60_s(y, SR) == pytest.approx(room.rt60_s, rel=0.10)


def test_tail_is_decorrelated_per_channel_and_ambisonic_energy_is_isotropic():
    room = Room("indoor", (8.0, 10.0, 3.5), "plaster")
    n = int(room.rt60_s * SR)
    y = render_room([_impulse(n)], [np.array([1.0, 0, 0])], [9.0], SR, _opts("5.1"), room)
    late = y[[0, 1, 2, 4, 5], int(0.05 * SR) :]
    corr = np.corrcoef(late)
    assert np.abs(corr[~np.eye(5, dtype=bool)]).max() < 0.1
    foa = render_room([_impulse(n)], [np.array([1.0, 0, 0])], [9.0], SR, _opts("foa"), room)
    energy = np.sum(foa[:, int(0.05 * SR) :] ** 2, axis=1)
    assert energy[1:] / energy[0] == pytest.approx(np.full(3, 1 / 3), rel=0.15)  # SN3D: W = 3·X


def test_outdoors_only_the_ground_reflection_and_no_tail():
    room = parse_room("outdoor")
    source = np.array([10.0, 0.0, 0.0])
    h = room_response(source, room, SR, "5.1")
    nonzero = np.flatnonzero(np.abs(h).sum(axis=0))
    assert len(nonzero) == 1  # one reflection, one sample, nothing after it
    ground_path = np.hypot(10.0, 2 * 1.6)
    assert nonzero[0] == round((ground_path - 10.0) / C * SR)
    assert np.sum(h**2) == pytest.approx((np.sqrt(1 - 0.6) / ground_path) ** 2, rel=1e-4)
    dirs, _, _ = reflection_paths(room, source)
    assert dirs[0, 2] < 0  # from below


def test_room_none_leaves_the_free_field_render_unchanged():
    rng = np.random.default_rng(1)
    signals = [rng.standard_normal(4000).astype(np.float32) for _ in range(2)]
    dirs, dists = [np.array([1.0, 0, 0]), np.array([0, 1.0, 0])], [2.0, 3.0]
    room = parse_room("none", {"kind": "indoor", "dimensions_m": [5, 6, 3]})
    assert room is None
    free = render_sources(signals, dirs, dists, SR, _opts("5.1"))
    added = render_room(signals, dirs, dists, SR, _opts("5.1"), room)
    assert not np.any(added)
    np.testing.assert_array_equal(free + added, free)
    assert parse_room("auto", None) is None  # a scene without a room stays in the free field


def test_direct_to_reverberant_ratio_follows_the_critical_distance():
    room = Room("indoor", (6.0, 8.0, 3.0), "furnished", listener_m=(2.0, 3.0, 1.2))
    rc = room.critical_distance_m
    ratios = []
    for r in (0.5 * rc, rc, 3.0):
        h = room_response([r, 0.0, 0.0], room, SR, "5.1")
        drr_db = 10 * np.log10((1.0 / r**2) / np.sum(h**2))
        ratios.append(drr_db)
        assert drr_db == pytest.approx(20 * np.log10(rc / r), abs=3.0)
    assert ratios[0] > ratios[1] > ratios[2]


def test_a_source_that_hardly_moves_keeps_the_reflections_of_its_mean_position():
    n, hop = 4096, 128
    m = n // hop + 1
    signal = np.random.default_rng(2).standard_normal(n).astype(np.float32)
    path = np.linspace([2.0, 0.2, 0.0], [2.0, -0.2, 0.0], m)  # 0.2 m either side of (2, 0, 0)
    dist = np.linalg.norm(path, axis=1)
    moving = render_room([signal], [path / dist[:, None]], [dist], SR, _opts("foa", hop=hop), ROOM)
    still = render_room([signal], [np.array([1.0, 0, 0])], [2.0], SR, _opts("foa", hop=hop), ROOM)
    np.testing.assert_allclose(moving, still, atol=1e-5)


def test_a_moving_source_gets_the_reflections_of_where_it_is():
    n, hop = 2 * SR, 128
    m = n // hop + 1
    signal = np.random.default_rng(3).standard_normal(n).astype(np.float32)
    a, b = np.array([2.0, 1.5, 0.0]), np.array([-1.0, -1.0, 0.5])
    path = np.where((np.arange(m) * hop < n // 2)[:, None], a, b)  # at A for a second, then at B
    dist = np.linalg.norm(path, axis=1)
    opts = _opts("5.1", hop=hop)
    moving = render_room([signal], [path / dist[:, None]], [dist], SR, opts, ROOM)
    at_a = render_room([signal], [a / np.linalg.norm(a)], [np.linalg.norm(a)], SR, opts, ROOM)
    at_b = render_room([signal], [b / np.linalg.norm(b)], [np.linalg.norm(b)], SR, opts, ROOM)
    # the tail is the same for every position: compare what differs, the reflections
    first, last = slice(0, int(0.7 * SR)), slice(int(1.5 * SR), n)
    np.testing.assert_allclose(moving[:, first], at_a[:, first], atol=2e-4)
    np.testing.assert_allclose(moving[:, last], at_b[:, last], atol=2e-4)
    assert not np.allclose(at_a[:, last], at_b[:, last], atol=1e-2)


def test_reflections_follow_the_propagation_delay():
    signal = _impulse(4000)
    room = Room("outdoor", None, "asphalt")
    plain = render_room([signal], [np.array([1.0, 0, 0])], [3.43], SR, _opts("foa"), room)
    delayed = render_room(
        [signal], [np.array([1.0, 0, 0])], [3.43], SR, _opts("foa", propagation_delay=True), room
    )
    shift = int(np.argmax(np.abs(delayed[0]))) - int(np.argmax(np.abs(plain[0])))
    assert shift == round(3.43 / C * SR)


def test_source_beyond_the_walls_never_precedes_or_outweighs_its_direct_sound():
    room = parse_room("3x3x3")
    _, amp, delay = reflection_paths(room, np.array([20.0, 5.0, 0.0]))
    assert np.all(delay >= 0) and np.all(amp < 1 / np.hypot(20.0, 5.0))


def test_same_seed_same_tail_and_another_seed_another():
    a = room_response(SOURCE, parse_room("5x6x3", seed=3), SR, "5.1")
    np.testing.assert_array_equal(a, room_response(SOURCE, parse_room("5x6x3", seed=3), SR, "5.1"))
    assert not np.array_equal(a, room_response(SOURCE, parse_room("5x6x3", seed=4), SR, "5.1"))


def test_convolve_sum_matches_direct_convolution():
    rng = np.random.default_rng(0)
    x = rng.standard_normal((3, 5000))
    h = rng.standard_normal((3, 2, 300))
    y = convolve_sum(x, h)
    ref = np.stack([sum(np.convolve(x[k], h[k, c])[:5000] for k in range(3)) for c in range(2)])
    np.testing.assert_allclose(y, ref, atol=1e-3)


def test_parse_room_specs_and_scene_rooms():
    scene_room = {
        "kind": "indoor",
        "dimensions_m": [4.0, 5.0, 2.5],
        "material": "carpet",
        "listener_m": [1.0, 2.0, 1.2],
        "confidence": 0.8,
    }
    room = parse_room("auto", scene_room)
    assert room.dimensions_m == (4.0, 5.0, 2.5) and room.material == "carpet"
    assert room.to_dict() == scene_room
    assert parse_room("indoor", scene_room) == room
    assert parse_room("outdoor", scene_room).kind == "outdoor"
    assert parse_room("indoor", {"kind": "outdoor"}).dimensions_m == (5.0, 6.0, 2.8)
    sized = parse_room("6x4.5x3", scene_room)
    assert sized.dimensions_m == (6.0, 4.5, 3.0) and sized.material == "carpet"
    assert parse_room("6×4.5×3:tile").material == "tile"
    assert Room.from_dict(Room("outdoor", None, "water").to_dict()).material == "water"


@pytest.mark.parametrize(
    "spec, scene_room, message",
    [
        ("kitchen", None, "--room: expected"),
        ("5x4", None, "--room: expected"),
        ("5x4x0", None, "0.5 to 1000"),
        ("5x4x3:velvet", None, "unknown material"),
        ("5x..x3", None, "--room: expected"),
        ("auto", {"kind": "cave"}, "scene room: room kind"),
        ("auto", {"kind": "indoor", "dimensions_m": [5, 4]}, "scene room: room dimensions_m"),
        ("auto", {"kind": "indoor", "dimensions_m": [5, 4, 3], "listener_m": [9, 1, 1]}, "outside the room"),
        ("auto", {"kind": "indoor", "material": 1.5}, "absorption"),
        ("auto", [1, 2], "must be an object"),
    ],
)
def test_bad_room_is_one_line_error(spec, scene_room, message):
    with pytest.raises(See2SoundError, match=message) as info:
        parse_room(spec, scene_room)
    assert "\n" not in str(info.value)


def test_time_varying_filters_cross_fade_and_equal_filters_change_nothing():
    rng = np.random.default_rng(4)
    x = rng.standard_normal((2, 20000))
    h = rng.standard_normal((2, 3, 200))
    same = [(np.array([0, 2]), np.array([0.0, 9000.0])), (np.array([1]), np.array([0.0]))]
    filters = np.concatenate([h, h[:1]])  # filter 2 equals filter 0
    np.testing.assert_allclose(convolve_sum(x, filters, schedule=same), convolve_sum(x, h), atol=1e-3)


def test_a_moving_source_glides_without_clicks():
    from scipy.signal import butter, sosfilt

    n, hop = SR, 128
    m = n // hop + 1
    tone = np.sin(2 * np.pi * 500 * np.arange(n) / SR).astype(np.float32)
    path = np.linspace([1.0, 1.0, 0.0], [4.0, -1.0, 0.0], m)  # 3.6 m in a second, passing in front
    dist = np.linalg.norm(path, axis=1)
    y = render_room([tone], [path / dist[:, None]], [dist], SR, _opts("foa", hop=hop), Room("outdoor"))
    hp = sosfilt(butter(8, 3000, "highpass", fs=SR, output="sos"), y, axis=-1)
    # a hard switch of the ground reflection's delay would splash energy far above the 500 Hz tone
    assert np.sqrt(np.mean(hp[:, 2000:] ** 2)) < 1e-3 * np.sqrt(np.mean(y[:, 2000:] ** 2))


def test_resolve_room_takes_rooms_specs_and_none():
    room = Room("indoor", (4.0, 4.0, 3.0))
    assert resolve_room(room) is room and resolve_room(None) is None
    assert resolve_room("auto", {"kind": "outdoor"}).kind == "outdoor"
    assert resolve_room("none", {"kind": "outdoor"}) is None
    with pytest.raises(See2SoundError, match="--room spec"):
        resolve_room(3.0)


def test_convolve_sum_over_many_blocks_matches_direct_convolution_and_adds_into_out():
    from scipy.signal import fftconvolve

    rng = np.random.default_rng(5)
    x = rng.standard_normal((3, 150_000)).astype(np.float32)
    h = np.zeros((3, 2, 900), dtype=np.float32)
    h[..., 200:] = rng.standard_normal((3, 2, 700))  # leading zeros only delay the output
    ref = np.stack([sum(fftconvolve(x[k], h[k, c])[:150_000] for k in range(3)) for c in range(2)])
    out = np.ones((2, 150_000), dtype=np.float32)
    y = convolve_sum(x, h, out=out)
    assert y is out
    np.testing.assert_allclose(y - 1.0, ref, atol=2e-3)


def test_a_filter_switch_cross_fades_the_input_between_the_two_filters():
    from scipy.signal import fftconvolve

    rng = np.random.default_rng(6)
    n, switch, fade = 6000, 3000.0, 400
    x = rng.standard_normal(n)
    h = rng.standard_normal((2, 1, 100))
    y = convolve_sum([x], h, schedule=[(np.array([0, 1]), np.array([0.0, switch]))], fade=fade)
    ramp = np.clip((np.arange(n) - switch + fade / 2) / fade, 0.0, 1.0)
    w = np.sin(0.5 * np.pi * ramp) ** 2  # raised cosine, centred on the switch
    ref = fftconvolve(x * (1 - w), h[0, 0])[:n] + fftconvolve(x * w, h[1, 0])[:n]
    np.testing.assert_allclose(y[0], ref, atol=1e-4)


@pytest.mark.parametrize("fmt, room", [("5.1", ROOM), ("binaural", ROOM), ("foa", Room("outdoor"))])
def test_response_length_bounds_what_the_room_adds_to_an_impulse(fmt, room):
    hrtf = spherical_head_hrtf(SR) if fmt == "binaural" else None
    length = response_length_s(room, SR, hrtf=hrtf)
    n = int(1.5 * length * SR) + 200
    source = np.array([-1.0, -1.2, 1.5])  # behind, right and up: long paths to the far walls
    y = render_room(
        [_impulse(n)],
        [source / np.linalg.norm(source)],
        [np.linalg.norm(source)],
        SR,
        _opts(fmt),
        room,
        hrtf=hrtf,
    )
    end = int(np.ceil(length * SR))
    assert np.max(np.abs(y[:, end:])) < 1e-6 * np.max(np.abs(y))  # nothing after it but rounding
    if room.kind == "indoor":  # the tail's own length, not a worst-case constant
        rt60 = room.rt60_s
        assert room.mixing_time_s + rt60 * 7 / 6 <= length <= room.mixing_time_s + rt60 * 7 / 6 + 0.01
        last = np.flatnonzero(np.abs(y).max(axis=0) > 1e-6 * np.max(np.abs(y)))[-1]
        assert last > 0.9 * end
    else:  # the ground reflection: at most twice the ears' height farther than the direct path
        assert length <= 2 * 1.6 / C + 3 / SR
    assert response_length_s(None, SR) == 0.0


def test_a_segment_with_pre_roll_renders_like_the_whole_scene():
    rng = np.random.default_rng(7)
    n = 3 * SR
    signals = [rng.standard_normal(n).astype(np.float32) for _ in range(2)]
    dirs, dists = [np.array([1.0, 0.0, 0.0]), np.array([0.0, -1.0, 0.0])], [2.0, 1.5]
    room = Room("indoor", (5.0, 7.0, 3.0), "furnished", listener_m=(2.0, 1.5, 1.2), seed=4)
    whole = render_room(signals, dirs, dists, SR, _opts("5.1"), room)
    np.testing.assert_array_equal(whole, render_room(signals, dirs, dists, SR, _opts("5.1"), room))
    start, pre_roll = 2 * SR, int(np.ceil(response_length_s(room, SR) * SR))
    assert pre_roll < start
    part = render_room([s[start - pre_roll :] for s in signals], dirs, dists, SR, _opts("5.1"), room)
    np.testing.assert_allclose(part[:, pre_roll:], whole[:, start:], atol=1e-5 * np.abs(whole).max())


@pytest.mark.parametrize("fmt", ["5.1", "binaural"])
def test_the_tail_gives_the_same_render_in_the_reflections_convolution_or_on_its_own(fmt, monkeypatch):
    import see2sound.spatial.reverb as reverb

    rng = np.random.default_rng(8)
    n, hop = SR, 128
    signals = [rng.standard_normal(n).astype(np.float32) for _ in range(2)]
    path = np.linspace([2.0, 1.0, 0.0], [1.0, -2.0, 0.0], n // hop + 1)  # the second source moves
    dist = np.linalg.norm(path, axis=1)
    dirs, dists = [np.array([0.0, 1.0, 0.0]), path / dist[:, None]], [1.5, dist]
    hrtf = spherical_head_hrtf(SR) if fmt == "binaural" else None
    renders = []
    for merge in (True, False):
        monkeypatch.setattr(reverb, "_merge_tail", lambda *args, merge=merge: merge)
        renders.append(render_room(signals, dirs, dists, SR, _opts(fmt, hop=hop), ROOM, hrtf=hrtf))
    np.testing.assert_allclose(renders[0], renders[1], atol=1e-5 * np.abs(renders[1]).max())
    assert np.abs(renders[0]).max() > 0


@pytest.mark.parametrize("fmt", ["5.1", "foa"])
def test_few_tap_filters_in_the_time_domain_equal_the_fft_convolution(fmt, monkeypatch):
    import see2sound.spatial.reverb as reverb

    rng = np.random.default_rng(9)
    n, hop = 3 * SR, 128  # more than one block of the time-domain convolution
    signals = [rng.standard_normal(n).astype(np.float32) for _ in range(3)]
    path = np.linspace([1.0, 8.0, 0.5], [4.0, -6.0, 0.0], n // hop + 1)  # fast: a new key every 0.1 s
    dist = np.linalg.norm(path, axis=1)
    dirs = [np.array([1.0, 0.0, 0.0]), path / dist[:, None], np.array([0.0, 0.6, 0.8])]
    dists = [4.0, dist, 30.0]
    room = Room("outdoor", None, "asphalt")  # the ground reflection: one tap per channel
    calls = []
    sparse_convolution = reverb._convolve_sparse
    monkeypatch.setattr(
        reverb, "_convolve_sparse", lambda *args: calls.append(1) or sparse_convolution(*args)
    )
    sparse = render_room(signals, dirs, dists, SR, _opts(fmt, hop=hop), room)
    assert calls, "the ground reflection should take the time-domain path"
    monkeypatch.setattr(reverb, "_COPY_NS", 1e9)  # force the FFT convolution
    fft = render_room(signals, dirs, dists, SR, _opts(fmt, hop=hop), room)
    np.testing.assert_allclose(sparse, fft, atol=1e-5 * np.abs(fft).max())
    assert np.abs(sparse).max() > 0.01


def test_many_filter_switches_over_many_blocks_are_the_cross_faded_sum():
    from scipy.signal import fftconvolve

    from see2sound.spatial.reverb import convolution_plan

    rng = np.random.default_rng(10)
    n, fade = 100_000, 600
    x = rng.standard_normal((2, n))
    h = rng.standard_normal((6, 3, 300))
    switches = np.array([0.0, 7_000.0, 7_900.0, 31_000.0, 64_500.0])  # some on block edges, two close
    schedule = [(np.arange(5), switches), (np.array([5]), np.array([0.0]))]
    n_fft, _ = convolution_plan(300, n, 2, 3, 4, 6)
    assert n_fft < n / 4  # many blocks
    y = convolve_sum(x, h, schedule=schedule, fade=fade)
    ref = np.stack([fftconvolve(x[1], h[5, c])[:n] for c in range(3)])
    t = np.arange(n)
    for i in range(5):  # key i: up around its switch, down around the next (half the gap at most)
        w = np.ones(n)
        for sign, at in ((1, i), (-1, i + 1)):
            if 0 < at < 5:
                half = min(fade / 2, 0.5 * np.min(np.diff(switches[1:])))
                step = np.sin(0.5 * np.pi * np.clip((t - switches[at] + half) / (2 * half), 0, 1)) ** 2
                w = w - step if sign < 0 else w * step
        ref += np.stack([fftconvolve(x[0] * w, h[i, c])[:n] for c in range(3)])
    np.testing.assert_allclose(y, ref, atol=2e-3)


@pytest.mark.parametrize("fmt", ["5.1", "7.1", "7.1.4"])
@pytest.mark.parametrize("law", ["vbip", "vbap"])
def test_loudspeaker_tail_has_the_energy_vector_of_an_isotropic_field(fmt, law):
    from see2sound.spatial.hrtf import fibonacci_directions
    from see2sound.spatial.layouts import get_layout
    from see2sound.spatial.panning import Panner, energy_vector

    layout = get_layout(fmt)
    speakers = list(layout.speaker_channels)
    room = Room("indoor", (8.0, 10.0, 3.5), "plaster")
    tail = reverb._tail_filters(room, SR, get_format(fmt), None, law)  # (loudspeakers, taps)
    e_tail = (tail.astype(float) ** 2).sum(axis=1)
    # an isotropic field through the same panner: 20000 directions, independent of the helper's 8192
    e_iso = (Panner(layout, law).gains(fibonacci_directions(20000)) ** 2).mean(axis=0)
    r_tail = energy_vector(np.sqrt(e_tail)[None], layout.vectors)[0]
    r_iso = energy_vector(np.sqrt(e_iso)[None], layout.vectors)[0]
    assert np.linalg.norm(r_tail - r_iso) <= 0.05
    equal = energy_vector(np.ones((1, len(speakers))), layout.vectors)[0]  # what equal shares gave
    if fmt == "5.1":
        assert np.linalg.norm(equal) > 0.35 and np.linalg.norm(r_tail) < 0.2
    # the tail's total energy stays the room's reverberant energy after the onset
    full = render_room(
        [_impulse(int(room.rt60_s * SR))], [np.array([1.0, 0, 0])], [9.0], SR, _opts(fmt), room
    )
    late = full[speakers, int(0.1 * SR) :].astype(float)
    shares = (late**2).sum(axis=1) / (late**2).sum()
    np.testing.assert_allclose(shares, e_iso / e_iso.sum(), atol=0.03)
