"""Camera models of DESIGN §2: pinhole and equirectangular pixels <-> directions."""

from __future__ import annotations

import math

import numpy as np
import pytest

from see2sound.errors import See2SoundError
from see2sound.vision.projection import (
    axial_depth_to_distance,
    check_projection,
    direction_to_pixel,
    distance_to_axial_depth,
    focal_length_px,
    pixel_to_direction,
)


def test_centre_pixel_looks_straight_ahead():
    az, el = pixel_to_direction(319.5, 239.5, 640, 480, 65.0)
    assert abs(az) < 1e-9 and abs(el) < 1e-9


def test_right_and_down_are_negative_azimuth_and_elevation():
    az, el = pixel_to_direction(600, 400, 640, 480, 65.0)
    assert az < 0 and el < 0
    az, el = pixel_to_direction(10, 10, 640, 480, 65.0)
    assert az > 0 and el > 0


def test_edges_span_the_field_of_view():
    # the outer edge of the picture (pixel -0.5 / W-0.5) is at +-hfov/2
    az_left, _ = pixel_to_direction(-0.5, 239.5, 640, 480, 65.0)
    az_right, _ = pixel_to_direction(639.5, 239.5, 640, 480, 65.0)
    assert az_left == pytest.approx(32.5, abs=1e-9)
    assert az_right == pytest.approx(-32.5, abs=1e-9)


def test_pinhole_matches_the_ray_formula():
    width, height, hfov = 800, 600, 70.0
    f = 400 / math.tan(math.radians(35))
    u, v = 123.0, 456.0
    x, y, z = f, -(u - 399.5), -(v - 299.5)
    az, el = pixel_to_direction(u, v, width, height, hfov)
    assert az == pytest.approx(math.degrees(math.atan2(y, x)))
    assert el == pytest.approx(math.degrees(math.atan2(z, math.hypot(x, y))))
    assert focal_length_px(width, hfov) == pytest.approx(f)


@pytest.mark.parametrize("projection", ["perspective", "equirect"])
def test_pixel_direction_round_trip(projection):
    rng = np.random.default_rng(0)
    width, height = (1024, 512) if projection == "equirect" else (1024, 768)
    u = rng.uniform(0, width - 1, 200)
    v = rng.uniform(0, height - 1, 200)
    az, el = pixel_to_direction(u, v, width, height, 80.0, projection)
    u2, v2 = direction_to_pixel(az, el, width, height, 80.0, projection)
    np.testing.assert_allclose(u2, u, atol=1e-6)
    np.testing.assert_allclose(v2, v, atol=1e-6)


def test_equirect_conventions():
    w, h = 2048, 1024
    az, el = pixel_to_direction(w / 2 - 0.5, h / 2 - 0.5, w, h, projection="equirect")
    assert abs(az) < 1e-9 and abs(el) < 1e-9  # the centre column is the front
    az, _ = pixel_to_direction(w / 4 - 0.5, h / 2 - 0.5, w, h, projection="equirect")
    assert az == pytest.approx(90.0)  # a quarter across = left
    _, el = pixel_to_direction(0, 0, w, h, projection="equirect")
    assert el == pytest.approx(90.0 - 180.0 * 0.5 / h)


def test_behind_the_camera_has_no_pixel():
    u, v = direction_to_pixel(180.0, 0.0, 640, 480, 65.0)
    assert np.isnan(u) and np.isnan(v)


def test_axial_depth_and_ray_distance():
    # a pixel at 45 degrees off-axis: ray distance = axial depth * sqrt(2)
    width, hfov = 640, 90.0
    f = focal_length_px(width, hfov)
    u = 319.5 - f  # 45 degrees to the left
    d = axial_depth_to_distance(10.0, u, 239.5, width, 480, hfov)
    assert d == pytest.approx(10 * math.sqrt(2))
    assert distance_to_axial_depth(d, u, 239.5, width, 480, hfov) == pytest.approx(10.0)


@pytest.mark.parametrize("projection, fov", [("fisheye", None), ("perspective", 0.0), ("perspective", 190.0)])
def test_bad_camera_settings(projection, fov):
    with pytest.raises(See2SoundError):
        check_projection(projection, fov)
