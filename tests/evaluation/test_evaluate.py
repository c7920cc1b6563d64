"""evaluate_render: per-source isolation, moving sources, and renders that are deliberately wrong."""

import numpy as np
import pytest
from scipy.signal import butter, sosfilt

from see2sound.errors import See2SoundError
from see2sound.evaluation.evaluate import evaluate_render
from see2sound.formats import FORMATS
from see2sound.scene import Scene

from ._signals import SR, ambix_plane_wave, noise, scene_dict, unit

CHANNEL = {"L": 0, "R": 1, "C": 2, "Ls": 4, "Rs": 5}  # 5.1 file order
AZIMUTH = {"L": 30.0, "R": -30.0, "C": 0.0, "Ls": 110.0, "Rs": -110.0}


def _band(lo, hi, seconds, seed):
    return sosfilt(butter(6, [lo, hi], "bandpass", fs=SR, output="sos"), noise(seconds, seed))


def test_one_source_at_a_time_is_told_apart_by_its_stem():
    names = ["L", "Rs", "C", "Ls"]
    n = SR // 2
    stems, y = {}, np.zeros((6, n * len(names)))
    for k, name in enumerate(names):  # each source plays alone for half a second, from its loudspeaker
        s = np.zeros(n * len(names))
        s[k * n : (k + 1) * n] = noise(0.5, seed=k)
        stems[name] = s
        y[CHANNEL[name]] += s
    scene = Scene.from_dict(scene_dict(*[(name, AZIMUTH[name], 0.0) for name in names]))
    report = evaluate_render(y, SR, FORMATS["5.1"], scene, stems=stems)
    assert report["isolation"] == "stems"
    assert [s["azimuth_error_deg"] for s in report["sources"]] == pytest.approx([0, 0, 0, 0], abs=0.5)
    assert report["median_azimuth_error_deg"] < 0.5


def test_simultaneous_sources_in_different_bands_are_told_apart():
    low, high = _band(800, 2000, 1.0, 1), _band(4000, 9000, 1.0, 2)
    y = np.zeros((6, SR))
    y[CHANNEL["R"]] = low
    y[CHANNEL["Ls"]] = high
    scene = Scene.from_dict(scene_dict(("low", -30.0, 0.0), ("high", 110.0, 0.0)))
    report = evaluate_render(y, SR, FORMATS["5.1"], scene, stems={"low": low, "high": high})
    assert report["median_azimuth_error_deg"] < 2.0


def test_render_one_isolates_overlapping_sources():
    s0, s1 = noise(1.0, 5), noise(1.0, 6)
    alone = {"a": ambix_plane_wave(s0, 45.0, 30.0, 1), "b": ambix_plane_wave(s1, -100.0, -10.0, 1)}
    scene = Scene.from_dict(scene_dict(("a", 45.0, 30.0), ("b", -100.0, -10.0)))
    mix = alone["a"] + alone["b"]
    report = evaluate_render(mix, SR, FORMATS["foa"], scene, render_one=alone.__getitem__)
    assert report["isolation"] == "render"
    for src in report["sources"]:
        assert src["azimuth_error_deg"] < 0.1 and src["elevation_error_deg"] < 0.1
    assert report["energy_map_cc"] > 0.95
    # the same mix scored without isolation: no directions, but still health and the map
    blind = evaluate_render(mix, SR, FORMATS["foa"], scene)
    assert blind["isolation"] == "none" and blind["median_azimuth_error_deg"] is None
    assert blind["energy_map_cc"] > 0.95


def test_a_moving_source_is_followed_over_time():
    seconds = 2.0
    s = noise(seconds, 7)
    t = np.arange(s.size) / SR
    az = np.radians(60.0 - 120.0 * t / seconds)  # +60° → −60° along the horizon, like the scene below
    foa = np.stack([s, s * np.sin(az), 0 * s, s * np.cos(az)])
    data = scene_dict()
    data["duration"] = seconds
    keys = [{"t": 0.0, "azimuth": 60.0}, {"t": seconds, "azimuth": -60.0}]
    data["sources"] = [{"id": "car", "trajectory": keys}]
    report = evaluate_render(foa, SR, FORMATS["foa"], Scene.from_dict(data))
    src = report["sources"][0]
    assert src["moving"] and src["blocks"] >= 6
    assert src["azimuth_error_deg"] < 2.0
    # a source frozen at the start is found to be wrong most of the time
    frozen = ambix_plane_wave(s, 60.0, 0.0, 1)
    assert evaluate_render(frozen, SR, FORMATS["foa"], Scene.from_dict(data))["median_azimuth_error_deg"] > 30


def test_left_and_right_swapped_scores_badly():
    names = ["L", "Ls", "R", "Rs"]
    n = SR // 2
    stems, y = {}, np.zeros((6, n * len(names)))
    for k, name in enumerate(names):
        s = np.zeros(n * len(names))
        s[k * n : (k + 1) * n] = noise(0.5, seed=k)
        stems[name] = s
        y[CHANNEL[name]] += s
    scene = Scene.from_dict(scene_dict(*[(name, AZIMUTH[name], 0.0) for name in names]))
    swapped = y[[1, 0, 2, 3, 5, 4]]
    good = evaluate_render(y, SR, FORMATS["5.1"], scene, stems=stems)
    bad = evaluate_render(swapped, SR, FORMATS["5.1"], scene, stems=stems)
    assert good["median_azimuth_error_deg"] < 0.5
    assert bad["median_azimuth_error_deg"] > 50.0


def test_height_layout_measures_elevation_and_horizontal_does_not():
    y = np.zeros((12, SR))
    y[FORMATS["7.1.4"].channels.index("Ltf")] = noise(1.0)
    scene = Scene.from_dict(scene_dict(("up", 45.0, 45.0)))
    src = evaluate_render(y, SR, FORMATS["7.1.4"], scene)["sources"][0]
    assert src["azimuth_error_deg"] < 0.01 and src["elevation_error_deg"] < 0.01
    assert src["angular_error_deg"] < 0.01
    flat = np.zeros((6, SR))
    flat[0] = noise(1.0)
    raised = Scene.from_dict(scene_dict(("a", 30.0, 20.0)))
    src = evaluate_render(flat, SR, FORMATS["5.1"], raised)["sources"][0]
    assert src["azimuth_error_deg"] < 0.01 and src["elevation_error_deg"] is None


def test_silent_source_and_bad_shapes():
    scene = Scene.from_dict(scene_dict(("a", 0.0, 0.0)))
    src = evaluate_render(np.zeros((6, SR)), SR, FORMATS["5.1"], scene)["sources"][0]
    assert src["azimuth_error_deg"] is None and "silent" in src["note"]
    with pytest.raises(See2SoundError, match="5.1 needs 6 channels"):
        evaluate_render(np.zeros((4, SR)), SR, FORMATS["5.1"], scene)
    with pytest.raises(See2SoundError, match="source 'a'"):
        evaluate_render(
            np.zeros((6, SR)), SR, FORMATS["5.1"], scene, render_one=lambda sid: np.zeros((2, SR))
        )


def test_report_is_plain_json():
    import json

    scene = Scene.from_dict(scene_dict(("a", 10.0, 0.0)))
    y = ambix_plane_wave(noise(0.5), 10.0, 0.0, 1)
    text = json.dumps(evaluate_render(y, SR, FORMATS["foa"], scene), allow_nan=False)
    assert '"median_azimuth_error_deg"' in text
    assert unit(0).shape == (3,)


def test_overlapping_broadband_sources_are_separated_by_their_stems():
    # three white noises at once, one of them delayed as by 10 m of air: the least-squares fit on the
    # stems gives each source's own loudspeaker gains
    stems = {"a": noise(1.0, 11), "b": noise(1.0, 12), "c": noise(1.0, 13)}
    delay = int(0.029 * SR)
    y = np.zeros((6, SR))
    y[CHANNEL["L"]] += stems["a"]
    y[CHANNEL["Rs"]] += 0.5 * stems["b"]
    y[CHANNEL["C"]] += 0.6 * stems["c"]
    y[CHANNEL["R"], delay:] += 0.8 * stems["c"][:-delay]  # c is a phantom between C and R, arriving late
    y[CHANNEL["C"]] -= 0.6 * stems["c"]
    y[CHANNEL["C"], delay:] += 0.6 * stems["c"][:-delay]
    g = 0.8**2 / (0.8**2 + 0.6**2)
    c_az = np.degrees(np.arctan2(-g * np.sin(np.radians(30)), (1 - g) + g * np.cos(np.radians(30))))
    scene = Scene.from_dict(scene_dict(("a", 30.0, 0.0), ("b", -110.0, 0.0), ("c", float(c_az), 0.0)))
    report = evaluate_render(y, SR, FORMATS["5.1"], scene, stems=stems)
    assert [s["azimuth_error_deg"] for s in report["sources"]] == pytest.approx([0, 0, 0], abs=0.5)


def test_energy_map_follows_sources_second_by_second():
    # a plays in the first second from the front, b in the second from behind: per-second maps match the
    # scene only if they know who plays when
    a = np.concatenate([noise(1.0, 21), np.zeros(SR)])
    b = np.concatenate([np.zeros(SR), noise(1.0, 22)])
    y = ambix_plane_wave(a, 0.0, 0.0, 1) + ambix_plane_wave(b, 180.0, 0.0, 1)
    data = scene_dict(("a", 0.0, 0.0), ("b", 180.0, 0.0))
    data["duration"] = 2.0
    scene = Scene.from_dict(data)
    report = evaluate_render(y, SR, FORMATS["foa"], scene, stems={"a": a, "b": b})
    assert report["energy_map_cc_1s"] > 0.99
    assert report["median_azimuth_error_deg"] < 0.1
    wrong = ambix_plane_wave(a, 180.0, 0.0, 1) + ambix_plane_wave(b, 0.0, 0.0, 1)
    assert evaluate_render(wrong, SR, FORMATS["foa"], scene, stems={"a": a, "b": b})["energy_map_cc_1s"] < 0
