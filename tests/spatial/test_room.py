"""Rooms: image sources against pyroomacoustics, the diffuse tail's RT60, the ground reflection."""

from __future__ import annotations

import numpy as np
import pytest

from see2sound.errors import See2SoundError
from see2sound.spatial.room import (
    diffuse_tail,
    ground_reflection,
    image_sources,
    reverberant_energy,
    rt60_s,
    schroeder_rt60_s,
)

DIMS = [6.0, 4.5, 3.0]
SRC = [1.5, 3.2, 1.2]
LIS = [4.0, 2.0, 1.6]
ALPHA = [0.1, 0.2, 0.3, 0.05, 0.4, 0.15]


def test_image_sources_match_pyroomacoustics():
    import pyroomacoustics as pra  # dev dependency: the reference

    names = ["west", "east", "south", "north", "floor", "ceiling"]  # x=0, x=W, y=0, y=D, z=0, z=H
    room = pra.ShoeBox(
        DIMS, fs=16000, materials={n: pra.Material(a) for n, a in zip(names, ALPHA, strict=True)}, max_order=3
    )
    room.add_source(SRC)
    room.add_microphone(LIS)
    room.image_source_model()
    ref = room.sources[0]
    theirs = ref.images.T[ref.orders > 0]
    their_gain = ref.damping[0][ref.orders > 0]
    ours = image_sources(SRC, LIS, DIMS, ALPHA, max_order=3)
    positions = ours.relative_positions + np.array(LIS)
    assert len(positions) == len(theirs) == 62
    for p, g, order in zip(positions, ours.gains, ours.orders, strict=True):
        k = np.argmin(np.linalg.norm(theirs - p, axis=1))
        assert np.linalg.norm(theirs[k] - p) < 1e-5
        assert abs(their_gain[k] - g) < 1e-6
        assert ref.orders[ref.orders > 0][k] == order


def test_first_order_floor_reflection_comes_from_below_at_the_mirror_delay():
    ours = image_sources(SRC, LIS, DIMS, 0.2, max_order=1)
    assert len(ours.gains) == 6 and np.allclose(ours.gains, np.sqrt(0.8))
    floor = np.argmin(ours.relative_positions[:, 2])
    horizontal = np.hypot(SRC[0] - LIS[0], SRC[1] - LIS[1])
    expected = np.hypot(horizontal, SRC[2] + LIS[2])  # source mirrored to z = -1.2
    assert ours.distances_m[floor] == pytest.approx(expected)
    assert ours.delays_s()[floor] == pytest.approx(expected / 343.0)
    assert ours.directions[floor, 2] == pytest.approx(-(SRC[2] + LIS[2]) / expected)


def test_moving_source_gives_each_reflection_a_trajectory_in_the_same_order():
    path = np.linspace(SRC, [2.0, 1.0, 1.5], 5)
    moving = image_sources(path, LIS, DIMS, ALPHA, max_order=2)
    assert moving.relative_positions.shape == (5, len(moving.gains), 3)
    first = image_sources(path[0], LIS, DIMS, ALPHA, max_order=2)
    np.testing.assert_allclose(moving.relative_positions[0], first.relative_positions)
    steps = np.linalg.norm(np.diff(moving.relative_positions, axis=0), axis=-1)
    assert steps.max() < 2 * np.linalg.norm(path[1] - path[0]) + 1e-9  # continuous, no reordering


def test_order_zero_has_no_reflections():
    assert image_sources(SRC, LIS, DIMS, max_order=0).gains.size == 0


@pytest.mark.parametrize("rt60", [0.3, 0.8, 2.0])
def test_tail_rt60_by_schroeder_integration_is_within_10_percent(rt60):
    sr = 16000
    tail = diffuse_tail(4, sr, rt60, energy=1.0, onset_s=0.02, seed=3)
    for channel in tail:
        assert schroeder_rt60_s(channel, sr) == pytest.approx(rt60, rel=0.10)


def test_tail_channels_are_decorrelated_and_carry_the_energy_after_onset():
    tail = diffuse_tail(6, 16000, 2.0, energy=2.0, onset_s=0.0, seed=1)
    corr = np.corrcoef(tail)
    assert np.abs(corr[~np.eye(6, dtype=bool)]).max() < 0.1
    assert np.sum(tail**2) == pytest.approx(2.0)
    late = diffuse_tail(2, 16000, 0.6, energy=2.0, onset_s=0.1, seed=1)
    assert np.sum(late**2) == pytest.approx(2.0 * np.exp(-13.8155 * 0.1 / 0.6))
    assert np.all(late[:, :1600] == 0)


def test_tail_is_deterministic_per_seed():
    a = diffuse_tail(2, 8000, 0.5, 1.0, seed=7)
    np.testing.assert_array_equal(a, diffuse_tail(2, 8000, 0.5, 1.0, seed=7))
    assert not np.array_equal(a, diffuse_tail(2, 8000, 0.5, 1.0, seed=8))


def test_rt60_and_critical_distance_agree_with_textbook_formulas():
    dims, alpha = [10.0, 8.0, 3.0], 0.1
    volume, surface = 240.0, 2 * (80 + 30 + 24)
    sabine = 0.161 * volume / (surface * alpha)
    assert rt60_s(dims, alpha) == pytest.approx(sabine, rel=0.06)  # Eyring ≈ Sabine for small α
    assert rt60_s(dims, alpha) < sabine
    # critical distance (direct = reverberant energy): r_c = √(R / 16π) ≈ 0.057 √(V / T)
    critical = 1.0 / np.sqrt(reverberant_energy(dims, alpha))
    assert critical == pytest.approx(0.057 * np.sqrt(volume / sabine), rel=0.08)


def test_named_material_and_ground_reflection():
    assert rt60_s(DIMS, "carpet") < rt60_s(DIMS, "concrete")
    ground = ground_reflection([5.0, 0.0, 1.0], [0.0, 0.0, 1.7], absorption=0.36)
    assert ground.gains[0] == pytest.approx(0.8)
    assert ground.relative_positions[0] == pytest.approx([5.0, 0.0, -2.7])


@pytest.mark.parametrize(
    "call, message",
    [
        (lambda: image_sources([7.0, 1.0, 1.0], LIS, DIMS), "inside the room"),
        (lambda: image_sources(SRC, LIS, [6.0, -1.0, 3.0]), "room size"),
        (lambda: image_sources(SRC, LIS, DIMS, absorption=1.2), "absorption"),
        (lambda: image_sources(SRC, LIS, DIMS, absorption="velvet"), "unknown room material"),
        (lambda: image_sources(SRC, LIS, DIMS, max_order=-1), "order"),
        (lambda: diffuse_tail(2, 16000, 0.0, 1.0), "RT60"),
    ],
)
def test_bad_room_input_is_one_line_error(call, message):
    with pytest.raises(See2SoundError, match=message) as info:
        call()
    assert "\n" not in str(info.value)
