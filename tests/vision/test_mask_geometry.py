"""Box, centroid and minimum-area rectangle of masks (paper eqs. 2-3)."""

from __future__ import annotations

import numpy as np
import pytest
from skimage.draw import polygon as draw_polygon

from see2sound.vision.mask_geometry import mask_box, mask_centroid, min_area_rectangle, polygon_area


def test_axis_aligned_rectangle():
    mask = np.zeros((100, 120), bool)
    mask[20:40, 10:70] = True
    assert mask_box(mask) == (10, 20, 70, 40)
    assert mask_centroid(mask) == pytest.approx((39.5, 29.5))
    assert polygon_area(min_area_rectangle(mask)) == pytest.approx(60 * 20)


@pytest.mark.parametrize("angle_deg", [15.0, 30.0, 45.0, 70.0])
def test_rotated_rectangle_is_found(angle_deg):
    t = np.radians(angle_deg)
    half = np.array([[-60, -15], [60, -15], [60, 15], [-60, 15]], float)
    rot = np.array([[np.cos(t), -np.sin(t)], [np.sin(t), np.cos(t)]])
    corners = half @ rot.T + 100
    mask = np.zeros((200, 200), bool)
    rr, cc = draw_polygon(corners[:, 1], corners[:, 0], mask.shape)
    mask[rr, cc] = True
    rect = min_area_rectangle(mask)
    box = mask_box(mask)
    box_area = (box[2] - box[0]) * (box[3] - box[1])
    # the true rectangle is 120 x 30 = 3600 px; its axis-aligned box is far larger
    assert polygon_area(rect) == pytest.approx(3600, rel=0.08)
    assert polygon_area(rect) < 0.6 * box_area
    # every mask pixel lies inside the rectangle
    v, u = np.nonzero(mask)
    centre = rect.mean(axis=0)
    e1, e2 = rect[1] - rect[0], rect[3] - rect[0]
    p = np.stack([u + 0.5, v + 0.5], 1) - centre
    assert np.all(np.abs(p @ e1) / np.dot(e1, e1) <= 0.5 + 1e-9)
    assert np.all(np.abs(p @ e2) / np.dot(e2, e2) <= 0.5 + 1e-9)


def test_empty_mask_is_refused():
    with pytest.raises(ValueError):
        min_area_rectangle(np.zeros((5, 5), bool))
