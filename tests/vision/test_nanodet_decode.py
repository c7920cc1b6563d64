"""NanoDet pre- and post-processing on synthetic inputs with known answers (no model needed)."""

from __future__ import annotations

import numpy as np
import pytest

from see2sound.errors import See2SoundError
from see2sound.vision.nanodet.coco import COCO_LABELS
from see2sound.vision.nanodet.detector import (
    INPUT_SIZE,
    MEAN_BGR,
    REG_MAX,
    STD_BGR,
    STRIDES,
    box_iou,
    check_image,
    decode_gfl,
    letterbox,
    multiclass_nms,
    nms,
    to_input_tensor,
)


def test_coco_labels_are_the_80_classes_in_order():
    assert len(COCO_LABELS) == 80 == len(set(COCO_LABELS))
    assert COCO_LABELS[0] == "person" and COCO_LABELS[16] == "dog" and COCO_LABELS[79] == "toothbrush"


def test_letterbox_keeps_aspect_and_puts_the_image_top_left():
    image = np.full((300, 600, 3), 200, np.uint8)
    canvas, scale = letterbox(image)
    assert canvas.shape == (INPUT_SIZE, INPUT_SIZE, 3) and scale == pytest.approx(416 / 600)
    assert (canvas[:208] == 200).all() and (canvas[208:] == 0).all()  # 300 * 416/600 = 208 rows of image
    tall = np.full((832, 100, 3), 7, np.uint8)
    canvas, scale = letterbox(tall)
    assert scale == 0.5 and (canvas[:, :50] == 7).all() and (canvas[:, 50:] == 0).all()


def test_letterbox_of_a_416_square_is_the_image_itself():
    image = np.random.default_rng(1).integers(0, 256, (416, 416, 3), dtype=np.uint8)
    canvas, scale = letterbox(image)
    assert scale == 1.0 and np.array_equal(canvas, image)


def test_input_tensor_is_bgr_normalised_nchw():
    canvas = np.zeros((4, 4, 3), np.uint8)
    canvas[..., 0] = 255  # pure red
    tensor = to_input_tensor(canvas)
    assert tensor.shape == (1, 3, 4, 4) and tensor.dtype == np.float32
    np.testing.assert_allclose(tensor[0, :, 0, 0], (np.array([0, 0, 255]) - MEAN_BGR) / STD_BGR, rtol=1e-6)


def test_check_image_accepts_grey_and_rgba_and_refuses_the_rest():
    assert check_image(np.zeros((5, 6), np.uint8)).shape == (5, 6, 3)
    assert check_image(np.zeros((5, 6, 4), np.uint8)).shape == (5, 6, 3)
    for bad in (
        np.zeros((5, 6, 3), np.float32),
        np.zeros((5, 6, 2), np.uint8),
        np.zeros((0, 6, 3), np.uint8),
        [[1, 2, 3]],
    ):
        with pytest.raises(See2SoundError):
            check_image(bad)


def one_hot_distribution(n_locations: int, distances_in_strides) -> np.ndarray:
    """Logits whose softmax puts all mass on the given bin for each side."""
    logits = np.full((n_locations, 4, REG_MAX + 1), -50.0, np.float32)
    for side, d in enumerate(distances_in_strides):
        logits[:, side, d] = 50.0
    return logits.reshape(n_locations, -1)


def level_inputs(n_classes=3):
    sizes = [(INPUT_SIZE // s) ** 2 for s in STRIDES]
    classes = [np.zeros((n, n_classes), np.float32) for n in sizes]
    dists = [one_hot_distribution(n, (1, 2, 3, 4)) for n in sizes]
    return classes, dists


def test_gfl_decoding_places_boxes_around_cell_centres():
    classes, dists = level_inputs()
    boxes, scores = decode_gfl(classes, dists)
    assert boxes.shape == (52 * 52 + 26 * 26 + 13 * 13, 4) and scores.shape == (boxes.shape[0], 3)
    # stride 8, row 2, column 5 -> centre (44, 20); distances 1, 2, 3, 4 strides (left, top, right, bottom)
    index = 2 * 52 + 5
    np.testing.assert_allclose(boxes[index], [44 - 8, 20 - 16, 44 + 24, 20 + 32], atol=1e-4)
    # first cell of the stride-32 level
    index = 52 * 52 + 26 * 26
    np.testing.assert_allclose(boxes[index], [16 - 32, 16 - 64, 16 + 96, 16 + 128], atol=1e-4)


def test_gfl_distance_is_the_expected_value_of_the_distribution():
    classes, dists = level_inputs()
    logits = np.zeros((4, REG_MAX + 1), np.float32)  # uniform -> mean bin 5
    logits[0, :2] = [10.0, 10.0]  # left: half on bin 0, half on bin 1 -> 0.5
    logits[0, 2:] = -40.0
    dists[2][0] = logits.reshape(-1)
    boxes, _ = decode_gfl(classes, dists)
    np.testing.assert_allclose(
        boxes[52 * 52 + 26 * 26], [16 - 0.5 * 32, 16 - 5 * 32, 16 + 5 * 32, 16 + 5 * 32], atol=1e-3
    )


def test_decode_refuses_outputs_of_the_wrong_size():
    classes, dists = level_inputs()
    dists[0] = dists[0][:-1]
    with pytest.raises(See2SoundError):
        decode_gfl(classes, dists)


def test_box_iou_known_values():
    box = np.array([0, 0, 10, 10], float)
    others = np.array([[0, 0, 10, 10], [5, 0, 15, 10], [20, 20, 30, 30]], float)
    np.testing.assert_allclose(box_iou(box, others), [1.0, 50 / 150, 0.0])


def test_nms_suppresses_overlaps_and_keeps_separate_boxes():
    boxes = np.array([[0, 0, 10, 10], [1, 1, 11, 11], [50, 50, 60, 60], [0, 0, 10, 10.5]], float)
    scores = np.array([0.9, 0.8, 0.7, 0.95])
    assert nms(boxes, scores, 0.5).tolist() == [3, 2]


def test_multiclass_nms_is_per_class():
    boxes = np.array([[0, 0, 10, 10], [1, 1, 11, 11], [100, 100, 120, 120]], float)
    scores = np.zeros((3, 80))
    scores[0, 16], scores[1, 16] = 0.9, 0.8  # two overlapping dogs -> one
    scores[1, 15] = 0.6  # a cat on the same place survives (different class)
    scores[2, 2] = 0.3  # a car under the threshold
    out_boxes, out_scores, out_classes = multiclass_nms(boxes, scores, 0.35, 0.5)
    assert out_classes.tolist() == [16, 15] and out_scores.tolist() == [0.9, 0.6]
    np.testing.assert_array_equal(out_boxes, boxes[[0, 1]])
    _, _, classes = multiclass_nms(boxes, scores, 0.2, 0.5)
    assert classes.tolist() == [16, 15, 2]
