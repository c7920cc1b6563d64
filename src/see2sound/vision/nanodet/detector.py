"""NanoDet-g (COCO-80) run by onnxruntime: letterbox, normalise, GFL decoding and per-class NMS.

Pre- and post-processing follow NanoDet (RangiLyu/nanodet, Apache-2.0) as measured in
``reference/offline-detectors.md``: the image is scaled so that its longer side is 416 pixels and placed in
the top-left corner of a black 416 x 416 canvas, converted to BGR and normalised with NanoDet's mean and
standard deviation. Each of the three levels (strides 8, 16, 32) gives per-location class scores (already
sigmoid) and, per box side, a discrete distribution over 0..``reg_max`` strides (Generalized Focal Loss,
Li et al. 2020); the expected value is the distance from the cell centre to that side.
"""

from __future__ import annotations

import os
from pathlib import Path

import numpy as np

from ...errors import BackendError, See2SoundError
from ..types import Detection
from .coco import COCO_LABELS

INPUT_SIZE = 416
MEAN_BGR = np.array([103.53, 116.28, 123.675], dtype=np.float32)
STD_BGR = np.array([57.375, 57.12, 57.375], dtype=np.float32)
STRIDES = (8, 16, 32)
REG_MAX = 10
CENTER_OFFSET = 0.5  # cell centres at (j + 0.5) * stride


def check_image(image: np.ndarray) -> np.ndarray:
    """Return ``image`` as (H, W, 3) uint8 RGB; grey and RGBA are accepted, anything else refused."""
    if not isinstance(image, np.ndarray):
        raise See2SoundError(f"image must be a NumPy array, got {type(image).__name__}")
    if image.dtype != np.uint8:
        raise See2SoundError(f"image must be uint8 (0-255), got {image.dtype}")
    if image.ndim == 2:
        image = np.repeat(image[:, :, None], 3, axis=2)
    if image.ndim != 3 or image.shape[2] not in (3, 4):
        raise See2SoundError(f"image must have shape (H, W, 3), got {image.shape}")
    if image.shape[0] < 1 or image.shape[1] < 1:
        raise See2SoundError(f"image is empty: shape {image.shape}")
    return image[:, :, :3]


def letterbox(image: np.ndarray, size: int = INPUT_SIZE) -> tuple[np.ndarray, float]:
    """Scale ``image`` (H, W, 3) so its longer side is ``size`` and put it top-left on a black square.

    Returns
    -------
    canvas : ndarray, shape (size, size, 3), uint8
    scale : float
        Canvas pixels per image pixel; a canvas coordinate divided by ``scale`` is an image coordinate.
    """
    from PIL import Image

    height, width = image.shape[:2]
    scale = size / max(height, width)
    new_w, new_h = max(1, round(width * scale)), max(1, round(height * scale))
    canvas = np.zeros((size, size, 3), dtype=np.uint8)
    if (new_w, new_h) == (width, height):
        canvas[:height, :width] = image
    else:
        resized = Image.fromarray(np.ascontiguousarray(image)).resize((new_w, new_h), Image.BILINEAR)
        canvas[:new_h, :new_w] = np.asarray(resized)
    return canvas, scale


def to_input_tensor(canvas: np.ndarray) -> np.ndarray:
    """RGB uint8 canvas (S, S, 3) -> normalised BGR tensor (1, 3, S, S) float32."""
    bgr = canvas[:, :, ::-1].astype(np.float32)
    return np.ascontiguousarray(((bgr - MEAN_BGR) / STD_BGR).transpose(2, 0, 1)[None])


def decode_gfl(
    class_scores: list[np.ndarray],
    box_distributions: list[np.ndarray],
    strides: tuple[int, ...] = STRIDES,
    input_size: int = INPUT_SIZE,
    reg_max: int = REG_MAX,
) -> tuple[np.ndarray, np.ndarray]:
    """Boxes and class scores of every location of every level.

    Parameters
    ----------
    class_scores : list of ndarray, each (H_l * W_l, n_classes)
        Per-level scores in [0, 1], rows in raster order of the level's grid.
    box_distributions : list of ndarray, each (H_l * W_l, 4 * (reg_max + 1))
        Per-level logits of the distances (left, top, right, bottom) in units of the stride.
    strides : tuple of int
        Stride of each level in input pixels.

    Returns
    -------
    boxes : ndarray, shape (N, 4)
        ``x0, y0, x1, y1`` in input (canvas) pixels.
    scores : ndarray, shape (N, n_classes)
    """
    boxes, scores = [], []
    bins = np.arange(reg_max + 1, dtype=np.float32)
    for cls, dist, stride in zip(class_scores, box_distributions, strides, strict=True):
        rows, cols = -(-input_size // stride), -(-input_size // stride)
        if cls.shape[0] != rows * cols or dist.shape != (rows * cols, 4 * (reg_max + 1)):
            raise BackendError(f"detector output of shape {dist.shape} does not fit stride {stride}")
        logits = dist.reshape(-1, 4, reg_max + 1)
        prob = np.exp(logits - logits.max(axis=2, keepdims=True))
        distance = (prob @ bins) / prob.sum(axis=2) * stride  # (N, 4): left, top, right, bottom
        grid_y, grid_x = np.divmod(np.arange(rows * cols), cols)
        cx = (grid_x + CENTER_OFFSET) * stride
        cy = (grid_y + CENTER_OFFSET) * stride
        boxes.append(
            np.stack(
                [cx - distance[:, 0], cy - distance[:, 1], cx + distance[:, 2], cy + distance[:, 3]], axis=1
            )
        )
        scores.append(cls)
    return np.concatenate(boxes).astype(np.float32), np.concatenate(scores).astype(np.float32)


def box_iou(box: np.ndarray, others: np.ndarray) -> np.ndarray:
    """Intersection over union of one box (4,) with many (N, 4), all ``x0, y0, x1, y1``."""
    x0 = np.maximum(box[0], others[:, 0])
    y0 = np.maximum(box[1], others[:, 1])
    x1 = np.minimum(box[2], others[:, 2])
    y1 = np.minimum(box[3], others[:, 3])
    inter = np.clip(x1 - x0, 0, None) * np.clip(y1 - y0, 0, None)
    area = (box[2] - box[0]) * (box[3] - box[1])
    areas = (others[:, 2] - others[:, 0]) * (others[:, 3] - others[:, 1])
    return inter / np.maximum(area + areas - inter, 1e-9)


def nms(boxes: np.ndarray, scores: np.ndarray, iou_threshold: float = 0.5) -> np.ndarray:
    """Greedy non-maximum suppression; indices of the kept boxes, best first (stable for ties)."""
    order = np.argsort(-scores, kind="stable")
    keep = []
    while order.size:
        best = order[0]
        keep.append(best)
        if order.size == 1:
            break
        rest = order[1:]
        order = rest[box_iou(boxes[best], boxes[rest]) <= iou_threshold]
    return np.asarray(keep, dtype=np.int64)


def multiclass_nms(
    boxes: np.ndarray,
    scores: np.ndarray,
    score_threshold: float = 0.35,
    iou_threshold: float = 0.5,
    max_candidates: int = 1000,
    max_detections: int = 100,
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Per-class NMS over every (location, class) pair scoring above ``score_threshold``.

    A location may yield several classes (as in NanoDet). Returns boxes (K, 4), scores (K,) and class
    indices (K,), best first.
    """
    loc, cls = np.nonzero(scores > score_threshold)
    values = scores[loc, cls]
    order = np.argsort(-values, kind="stable")[:max_candidates]
    loc, cls, values = loc[order], cls[order], values[order]
    keep_all = []
    for label in np.unique(cls):
        members = np.flatnonzero(cls == label)
        keep_all.extend(members[nms(boxes[loc[members]], values[members], iou_threshold)])
    keep = np.asarray(sorted(keep_all, key=lambda i: (-values[i], i))[:max_detections], dtype=np.int64)
    return boxes[loc[keep]], values[keep], cls[keep]


class NanoDetDetector:
    """NanoDet-g on onnxruntime.

    Parameters
    ----------
    model_path : path
        The ONNX file made by ``see2sound models fetch nanodet``.
    threads : int, optional
        onnxruntime intra-op threads (default: onnxruntime's choice, one per physical core).

    Examples
    --------
    >>> detector = NanoDetDetector(path)  # doctest: +SKIP
    >>> [(d.label, round(d.score, 2)) for d in detector.detect(image)]  # doctest: +SKIP
    [('dog', 0.68), ('bicycle', 0.51), ...]
    """

    name = "nanodet"

    def __init__(self, model_path: str | Path, threads: int | None = None):
        try:
            import onnxruntime as ort
        except ImportError:
            raise BackendError("nanodet needs onnxruntime (pip install onnxruntime)") from None
        options = ort.SessionOptions()
        options.log_severity_level = 3
        if threads:
            options.intra_op_num_threads = int(threads)
        try:
            self.session = ort.InferenceSession(
                os.fspath(model_path), options, providers=["CPUExecutionProvider"]
            )
        except Exception as exc:  # onnxruntime raises its own exception types
            raise BackendError(
                f"{model_path}: cannot load the detector model ({str(exc).splitlines()[0]})"
            ) from None
        self.input_name = self.session.get_inputs()[0].name
        outputs = self.session.get_outputs()
        width = 4 * (REG_MAX + 1)
        cls = sorted((o for o in outputs if o.shape[-1] == len(COCO_LABELS)), key=lambda o: -o.shape[1])
        reg = sorted((o for o in outputs if o.shape[-1] == width), key=lambda o: -o.shape[1])
        if len(cls) != len(STRIDES) or len(reg) != len(STRIDES):
            raise BackendError(f"{model_path}: not a NanoDet model (outputs {[o.shape for o in outputs]})")
        self._output_names = [o.name for o in cls] + [o.name for o in reg]

    def detect(
        self, image: np.ndarray, score_threshold: float = 0.35, iou_threshold: float = 0.5
    ) -> list[Detection]:
        """Objects in ``image`` (H, W, 3) RGB uint8, best first; boxes in pixels of ``image``."""
        if not 0.0 <= score_threshold <= 1.0:
            raise See2SoundError(f"score_threshold must be in [0, 1], got {score_threshold}")
        image = check_image(image)
        canvas, scale = letterbox(image)
        results = self.session.run(self._output_names, {self.input_name: to_input_tensor(canvas)})
        n = len(STRIDES)
        boxes, scores = decode_gfl([r[0] for r in results[:n]], [r[0] for r in results[n:]])
        boxes, values, classes = multiclass_nms(boxes, scores, score_threshold, iou_threshold)
        height, width = image.shape[:2]
        boxes = boxes / scale
        boxes[:, [0, 2]] = boxes[:, [0, 2]].clip(0, width)
        boxes[:, [1, 3]] = boxes[:, [1, 3]].clip(0, height)
        return [
            Detection(tuple(float(v) for v in box), COCO_LABELS[int(c)], float(s), backend=self.name)
            for box, s, c in zip(boxes, values, classes, strict=True)
        ]
