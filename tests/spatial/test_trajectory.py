"""Trajectories between (nearly) opposite keys go round through the front, not over the head."""

from __future__ import annotations

import logging

import numpy as np
import pytest

from see2sound.formats import FORMATS
from see2sound.geometry import vector_to_direction
from see2sound.scene import Scene, Source
from see2sound.spatial.render import RenderOptions, render_scene

SR = 48000


def _source(keys) -> Source:
    return Source.model_validate({"id": "s", "trajectory": keys})


def test_opposite_keys_pass_through_the_front_on_the_horizon(caplog):
    src = _source([{"t": 0.0, "azimuth": 90.0}, {"t": 8.0, "azimuth": -90.0}])
    times = np.linspace(0.0, 8.0, 81)
    with caplog.at_level(logging.WARNING, logger="see2sound"):
        dirs, _ = src.positions_at(times)
        src.positions_at(times)  # warned once, not on every call
    az, el = vector_to_direction(dirs)
    assert np.abs(el).max() < 1e-9  # never over the head (the audit found 84–90° at 4 s)
    np.testing.assert_allclose(az, np.linspace(90.0, -90.0, 81), atol=1e-9)  # steadily, via 0° at 4 s
    warnings = [r for r in caplog.records if "opposite" in r.getMessage()]
    assert len(warnings) == 1 and "'s'" in warnings[0].getMessage()


@pytest.mark.parametrize(
    ("k0", "k1", "middle_az"),
    [
        ((100.0, 20.0), (-80.0, -20.0), 10.0),  # from back-left to front-right-ish: through the front
        ((170.0, 0.0), (-10.0, 0.0), 80.0),  # the front way round is through the left
        ((0.0, 0.0), (180.0, 0.0), 90.0),  # a tie (front to back): the left
        ((-150.0, 10.0), (32.0, -12.0), -59.0),  # 178° apart: near-opposite counts too
    ],
)
def test_near_opposite_keys_interpolate_azimuth_and_elevation(k0, k1, middle_az):
    src = _source(
        [{"t": 0.0, "azimuth": k0[0], "elevation": k0[1]}, {"t": 2.0, "azimuth": k1[0], "elevation": k1[1]}]
    )
    az, el = src.direction_at(1.0)[:2]
    assert az == pytest.approx(middle_az, abs=1e-6)
    assert el == pytest.approx((k0[1] + k1[1]) / 2, abs=1e-6)


def test_other_keys_still_follow_the_great_circle():
    src = _source(
        [{"t": 0.0, "azimuth": 0.0, "elevation": 80.0}, {"t": 2.0, "azimuth": 180.0, "elevation": 60.0}]
    )
    az, el, _ = src.direction_at(1.0)  # 40° apart over the zenith: the short way, 10° past the zenith
    assert el == pytest.approx(80.0, abs=1e-6) and abs(az) == pytest.approx(180.0, abs=1e-6)


def test_render_sweeps_left_centre_right_without_a_jump():
    keys = [{"t": 0.0, "azimuth": 90.0}, {"t": 8.0, "azimuth": -90.0}]
    scene = Scene.from_dict({"duration": 8.0, "sources": [{"id": "s", "trajectory": keys}]})
    signal = (np.random.default_rng(0).standard_normal(8 * SR) * 0.05).astype(np.float32)
    y = render_scene(scene, {"s": signal}, RenderOptions(format="5.1", lfe_db=None)).astype(float)
    ch = FORMATS["5.1"].channels
    energy = (y.reshape(6, 16, -1) ** 2).sum(axis=-1)  # per half second
    loudest = [ch[i] for i in energy.argmax(axis=0)]
    assert loudest[0] in ("L", "Ls") and loudest[-1] in ("R", "Rs")
    assert "C" in (loudest[7], loudest[8])
    c = energy[ch.index("C")]
    assert c[7] + c[8] > 0.5 * (energy[:, 7] + energy[:, 8]).sum()  # in the middle, the centre plays
