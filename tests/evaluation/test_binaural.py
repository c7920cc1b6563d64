"""Binaural cues against a spherical head built in the test (Brown & Duda 1998, Woodworth ITD) and
against a two-microphone pyroomacoustics recording."""

import numpy as np
import pytest

from see2sound.evaluation.binaural import (
    azimuth_from_lateral_deg,
    band_ilds_db,
    gcc_phat_itd,
    woodworth_itd_s,
)
from see2sound.evaluation.evaluate import evaluate_render
from see2sound.evaluation.spectra import stft
from see2sound.formats import FORMATS
from see2sound.scene import Scene

from ._signals import SR, binaural_source, noise, scene_dict, sphere_head, sphere_head_split, unit


@pytest.fixture(scope="module")
def head():
    return sphere_head(step_deg=5.0)


def _itd(y):
    spec = stft(y, 1024)
    return gcc_phat_itd(np.sum(spec[0] * np.conj(spec[1]), axis=-1), SR, 1024)


@pytest.mark.parametrize("azimuth_deg", [-80.0, -30.0, 0.0, 25.0, 60.0])
def test_gcc_phat_recovers_a_pyroomacoustics_two_microphone_delay(azimuth_deg):
    import pyroomacoustics as pra

    pra.constants.set("rir_hpf_enable", False)
    room = pra.AnechoicRoom(dim=3, fs=SR)
    centre = np.array([0.0, 0.0, 0.0])
    left, right = centre + [0, 0.09, 0], centre + [0, -0.09, 0]
    room.add_microphone_array(np.array([left, right]).T)
    src = centre + 6.0 * unit(azimuth_deg)
    room.add_source(src, signal=noise(0.5))
    room.simulate()
    expected = (np.linalg.norm(src - right) - np.linalg.norm(src - left)) / 343.0
    assert _itd(room.mic_array.signals) == pytest.approx(expected, abs=5e-6)


def test_physical_facts_of_a_source_on_the_left():
    y = binaural_source(noise(0.5), 90.0)
    assert _itd(y) > 0.5e-3  # the left ear hears it first…
    spec = np.abs(stft(y, 1024)) ** 2
    freqs = np.fft.rfftfreq(1024, 1 / SR)
    ilds = band_ilds_db(spec[0].sum(-1), spec[1].sum(-1), freqs)
    assert np.all(ilds > 3.0)  # …and louder, more so at high frequencies
    assert ilds[-1] > ilds[0]
    assert _itd(y) == pytest.approx(woodworth_itd_s(np.pi / 2), abs=15e-6)


@pytest.mark.parametrize("azimuth_deg", [0.0, 7.0, 23.0, -37.0, 52.0, -68.0, 81.0, 118.0, -143.0, 172.0])
def test_direction_through_the_hrtf_cues_within_two_degrees(head, azimuth_deg):
    scene = Scene.from_dict(scene_dict(("a", azimuth_deg, 0.0)))
    y = binaural_source(noise(0.6, seed=3), azimuth_deg)
    src = evaluate_render(y, SR, FORMATS["binaural"], scene, hrtf=head)["sources"][0]
    assert src["azimuth_error_deg"] < 2.0
    assert src["itd_error_us"] < 15.0
    assert src["ild_error_db"] < 1.0


def test_without_an_hrtf_woodworth_gives_the_lateral_angle():
    scene = Scene.from_dict(scene_dict(("a", 40.0, 0.0)))
    y = binaural_source(noise(0.6), 40.0)
    src = evaluate_render(y, SR, FORMATS["binaural"], scene)["sources"][0]
    assert src["azimuth_error_deg"] < 3.0
    assert src["ild_error_db"] is None


@pytest.mark.parametrize("azimuth_deg", [30.0, 75.0, -110.0])
def test_swapped_ears_score_badly(head, azimuth_deg):
    scene = Scene.from_dict(scene_dict(("a", azimuth_deg, 0.0)))
    y = binaural_source(noise(0.6), azimuth_deg)[::-1]
    src = evaluate_render(y, SR, FORMATS["binaural"], scene, hrtf=head)["sources"][0]
    assert src["azimuth_error_deg"] > 50.0
    assert src["itd_error_us"] > 400.0


def test_cone_of_confusion_mapping():
    assert azimuth_from_lateral_deg(30.0, 0.0, True) == pytest.approx(30.0)
    assert azimuth_from_lateral_deg(30.0, 0.0, False) == pytest.approx(150.0)
    assert azimuth_from_lateral_deg(-30.0, 0.0, False) == pytest.approx(-150.0)
    # at 60° elevation the same lateral angle is a wider azimuth
    assert azimuth_from_lateral_deg(30.0, 60.0, True) == pytest.approx(90.0)


def test_hrtf_at_another_rate_is_refused(head):
    from types import SimpleNamespace

    from see2sound.errors import See2SoundError

    other = SimpleNamespace(directions=head.directions, hrirs=head.hrirs, sample_rate=44100)
    scene = Scene.from_dict(scene_dict(("a", 0.0, 0.0)))
    with pytest.raises(See2SoundError, match="44100"):
        evaluate_render(np.zeros((2, SR)), SR, FORMATS["binaural"], scene, hrtf=other)


def test_narrow_band_sound_is_placed_by_its_level_differences(head):
    # a 3.6–4.4 kHz band: its fine-structure ITD is ambiguous (several GCC peaks ~250 µs apart)
    from scipy.signal import butter, sosfilt

    s = sosfilt(butter(4, [3600, 4400], "bandpass", fs=SR, output="sos"), noise(0.6, seed=9))
    scene = Scene.from_dict(scene_dict(("a", 50.0, 0.0)))
    src = evaluate_render(binaural_source(s, 50.0), SR, FORMATS["binaural"], scene, hrtf=head)["sources"][0]
    assert src["azimuth_error_deg"] < 5.0
    swapped = binaural_source(s, 50.0)[::-1]
    report = evaluate_render(swapped, SR, FORMATS["binaural"], scene, hrtf=head)
    assert report["median_azimuth_error_deg"] > 50


def test_cues_of_a_minimum_phase_split_equal_those_of_the_full_filters(head):
    from see2sound.evaluation.binaural import hrtf_cues

    # the test head's filters are a minimum-phase shelf times a pure delay: give them split
    filters, delays = sphere_head_split(head.directions)
    full = hrtf_cues(head.directions, head.hrirs, SR, 1024)
    split = hrtf_cues(head.directions, head.hrirs, SR, 1024, filters, delays)
    assert np.max(np.abs(full.itd_s - split.itd_s)) < 2e-6
    assert np.max(np.abs(full.ilds_db() - split.ilds_db())) < 0.3
