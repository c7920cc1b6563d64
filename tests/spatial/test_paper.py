"""The paper's method (omni microphones at the loudspeakers) equals pyroomacoustics' direct path."""

from __future__ import annotations

import numpy as np
import pytest
from scipy.signal import butter, sosfiltfilt

from see2sound.geometry import direction_to_vector
from see2sound.spatial.layouts import get_layout
from see2sound.spatial.paper import microphone_positions, render_paper
from see2sound.spatial.render import RenderOptions, render_sources

SR = 48000
PRA_BULK_DELAY = 40  # pyroomacoustics' 81-tap fractional-delay filter is centred on tap 40


def _scene(k: int, seconds: float, seed: int):
    rng = np.random.default_rng(seed)
    # band-limited to 0.3·sr: pyroomacoustics interpolates its sinc from a coarse table, which costs it
    # accuracy near Nyquist
    sos = butter(10, 0.25 * SR, fs=SR, output="sos")
    signals = sosfiltfilt(sos, rng.standard_normal((k, int(seconds * SR))), axis=-1)
    positions = (
        direction_to_vector(rng.uniform(-180, 180, k), rng.uniform(-30, 30, k))
        * rng.uniform(1, 6, k)[:, None]
    )
    return signals, positions


def _pyroomacoustics(signals, positions, mics):
    import pyroomacoustics as pra  # a dev dependency: the reference must be there

    pra.constants.set("rir_hpf_enable", False)
    try:
        centre = np.array([10.0, 10.0, 10.0])
        room = pra.ShoeBox([20.0, 20.0, 20.0], fs=SR, max_order=0)
        for s, p in zip(signals, positions, strict=True):
            room.add_source(p + centre, signal=s)
        room.add_microphone_array((mics + centre).T)
        room.simulate()
        return room.mic_array.signals[:, PRA_BULK_DELAY : PRA_BULK_DELAY + signals.shape[1]]
    finally:
        pra.constants.set("rir_hpf_enable", True)


@pytest.mark.parametrize(("layout", "radius"), [("5.1", 2.0), ("7.1.4", 1.5)])
def test_paper_method_equals_pyroomacoustics_direct_path(layout, radius):
    signals, positions = _scene(4, 0.5, seed=len(layout))
    mics = microphone_positions(layout, radius)
    ours = render_paper(signals, list(positions), mics, SR)
    ref = _pyroomacoustics(signals, positions, mics)
    error_db = 20 * np.log10(np.abs(ours - ref).max() / np.abs(ref).max())
    assert error_db < -60, error_db


def test_paper_method_is_delay_and_inverse_distance():
    """One impulse-like source: each microphone gets it r/c later and 1/r as loud."""
    n = 4800
    x = np.zeros(n)
    x[100] = 1.0
    source = np.array([3.0, 1.0, 0.5])
    mics = microphone_positions("stereo", 2.0)
    y = render_paper([x], [source], mics, SR)
    for j, mic in enumerate(mics):
        r = np.linalg.norm(source - mic)
        arrival = 100 + r / 343.0 * SR
        assert np.argmax(np.abs(y[j])) == round(arrival)
        assert np.sum(y[j]) == pytest.approx(1.0 / r, rel=1e-3)  # a delayed unit impulse sums to its gain


def test_moving_path_with_a_fixed_position_equals_the_static_path():
    signals, positions = _scene(1, 0.25, seed=3)
    sos = butter(10, 0.1 * SR, fs=SR, output="sos")
    s = sosfiltfilt(sos, signals[0])
    fade = np.minimum(1.0, np.minimum(np.arange(len(s)), np.arange(len(s))[::-1]) / (0.01 * SR))
    s *= np.sin(0.5 * np.pi * fade) ** 2  # the two interpolators ring differently at a hard onset
    mics = microphone_positions("5.1")
    hop = 128
    still = np.repeat(positions[:1], len(s) // hop + 1, axis=0)
    moving = render_paper([s], [still], mics, SR, hop=hop)
    static = render_paper([s], [positions[0]], mics, SR, hop=hop)
    err = np.abs(moving - static).max() / np.abs(static).max()
    assert 20 * np.log10(err) < -50  # oversampled cubic Lagrange vs the 81-tap FIR


def test_render_sources_places_paper_channels_and_lfe():
    signals, positions = _scene(2, 0.5, seed=5)
    layout = get_layout("5.1")
    dist = np.linalg.norm(positions, axis=1)
    opts = RenderOptions(format="5.1", method="paper", mic_radius_m=2.0)
    y = render_sources(list(signals), list(positions / dist[:, None]), list(dist), SR, opts)
    mains = render_paper(signals, list(positions), microphone_positions(layout, 2.0), SR)
    np.testing.assert_allclose(y[list(layout.speaker_channels)], mains, atol=1e-9)
    assert np.std(y[layout.lfe_index]) > 0
