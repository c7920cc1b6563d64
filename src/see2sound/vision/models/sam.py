"""``sam``: Segment Anything automatic masks as regions (Kirillov et al. 2023; SAM 2, Ravi et al. 2024).

A grid of point prompts over the picture, one mask per point, filtered by predicted IoU and stability,
then non-maximum suppression over the mask boxes (transformers' ``mask-generation`` pipeline). The
pipeline's last step needs torchvision only for ``batched_nms``; we replace it with a pure-torch greedy
NMS so that the CPU build of torch is enough. Masks become :class:`~see2sound.vision.types.Region`
objects; what they are comes later from the label backend (``clip`` or ``classical``).
"""

from __future__ import annotations

import os

import numpy as np

from ...errors import BackendError
from ...hub import load_error, select_device
from ...log import get_logger
from ..backends import REGIONS
from ..mask_geometry import mask_box, min_area_rectangle
from ..types import Region
from .common import ModelChoice, to_pil

log = get_logger(__name__)

SAM = ModelChoice("SEE2SOUND_SAM_MODEL", "facebook/sam-vit-base")

# a mask this large that touches two or more picture borders is ambience (sky, ground, a wall)
AMBIENCE_AREA = 0.2


def greedy_box_nms(boxes, scores, iou_threshold: float):
    """Indices of the boxes kept by greedy non-maximum suppression, best score first.

    Pure torch, equal to ``torchvision.ops.batched_nms`` with a single class: a box is dropped when
    its IoU with an already kept, better-scored box exceeds ``iou_threshold``.
    """
    import torch

    boxes = boxes.float().reshape(-1, 4)
    scores = scores.float().reshape(-1)
    order = torch.argsort(scores, descending=True, stable=True)
    area = (boxes[:, 2] - boxes[:, 0]).clamp(min=0) * (boxes[:, 3] - boxes[:, 1]).clamp(min=0)
    suppressed = torch.zeros(len(boxes), dtype=torch.bool, device=boxes.device)
    keep = []
    for i in order.tolist():
        if suppressed[i]:
            continue
        keep.append(i)
        lt = torch.maximum(boxes[i, :2], boxes[:, :2])
        rb = torch.minimum(boxes[i, 2:], boxes[:, 2:])
        inter = (rb - lt).clamp(min=0).prod(dim=1)
        iou = inter / (area[i] + area - inter).clamp(min=1e-9)
        suppressed |= iou > iou_threshold
    return torch.tensor(keep, dtype=torch.long, device=boxes.device)


def rle_to_mask(rle: dict) -> np.ndarray:
    """Decode the uncompressed, column-major RLE of the mask-generation pipeline to ``(H, W)`` bool."""
    height, width = rle["size"]
    counts = np.asarray(rle["counts"], dtype=np.int64)
    values = np.arange(len(counts)) % 2 == 1  # runs alternate, starting with False
    flat = np.repeat(values, counts)[: height * width]
    return flat.reshape(width, height).T


def _post_process_for_mask_generation(rle_masks, iou_scores, mask_boxes, crops_nms_thresh=0.7):
    keep = greedy_box_nms(mask_boxes, iou_scores, crops_nms_thresh)
    rles = [rle_masks[i] for i in keep.tolist()]
    return [rle_to_mask(r) for r in rles], iou_scores[keep], rles, mask_boxes[keep]


def _touches(mask: np.ndarray) -> int:
    return int(mask[0].any()) + int(mask[-1].any()) + int(mask[:, 0].any()) + int(mask[:, -1].any())


class SamRegions:
    """Automatic SAM / SAM 2 masks as regions, best predicted quality first.

    Parameters
    ----------
    model : str, optional
        Hugging Face id or local folder (default ``$SEE2SOUND_SAM_MODEL``, else ``facebook/sam-vit-base``).
    device : str, optional
        ``cuda``, ``mps`` or ``cpu`` (default: the best available; half precision on a GPU).
    points_per_side : int, optional
        Point prompts per side of the grid (default ``$SEE2SOUND_SAM_POINTS``, else 16 = 256 prompts;
        the SAM paper uses 32: finer masks, four times the decoder work).
    pred_iou_thresh, stability_score_thresh : float
        Keep masks whose predicted IoU and stability reach these values (the SAM paper's filters).
    nms_iou : float
        Box IoU above which the lower-scored of two masks is dropped.
    """

    name = "sam"

    def __init__(
        self,
        model=None,
        device: str | None = None,
        points_per_side: int | None = None,
        points_per_batch: int = 64,
        pred_iou_thresh: float = 0.86,
        stability_score_thresh: float = 0.9,
        nms_iou: float = 0.7,
    ):
        from transformers import pipeline

        self.model_ref = SAM.ref(model)
        dev, dtype = select_device(device)
        try:
            self.pipe = pipeline("mask-generation", model=self.model_ref, device=dev, dtype=dtype)
        except (OSError, ValueError, KeyError, RuntimeError, ImportError) as exc:
            raise load_error(self.model_ref, exc) from None
        self.pipe.image_processor.post_process_for_mask_generation = _post_process_for_mask_generation
        if points_per_side is None:
            points_per_side = int(os.environ.get("SEE2SOUND_SAM_POINTS", "").strip() or 16)
        if points_per_side < 1:
            raise BackendError(f"sam: points per side must be at least 1, got {points_per_side}")
        self.options = dict(
            points_per_crop=int(points_per_side),
            points_per_batch=int(points_per_batch),
            pred_iou_thresh=float(pred_iou_thresh),
            stability_score_thresh=float(stability_score_thresh),
            crops_nms_thresh=float(nms_iou),
        )

    def propose(self, image: np.ndarray, max_regions: int, min_area: float, context: dict) -> list[Region]:
        h, w = image.shape[:2]
        out = self.pipe(to_pil(image), **self.options)
        scores = np.asarray(out["scores"].float().cpu()).reshape(-1)
        total = float(h * w)
        regions = []
        for mask, score in zip(out["masks"], scores, strict=True):
            mask = np.asarray(mask, dtype=bool)
            if mask.shape != (h, w):
                continue
            area = float(mask.sum())
            if area < max(4.0, min_area * total) or area > 0.95 * total:
                continue
            ambience = area >= AMBIENCE_AREA * total and _touches(mask) >= 2
            quality = float(np.clip(score, 0.0, 1.0))
            regions.append(
                Region(
                    mask=mask,
                    box=mask_box(mask),
                    polygon=min_area_rectangle(mask),
                    # objects rank like the classical salient objects; ambience below them
                    score=(0.2 + 0.2 * quality) if ambience else (0.5 + 0.5 * quality),
                    backend=self.name,
                    extra={"kind": "ambience" if ambience else "object", "predicted_iou": quality},
                )
            )
        regions.sort(key=lambda r: -r.score)
        log.debug("sam: %d masks kept of %d", len(regions), len(scores))
        return regions[:max_regions]


@REGIONS.register(
    "sam",
    description="Segment Anything (SAM / SAM 2) automatic masks (extra see2sound[models])",
    priority=20,
    check=SAM.unavailable_reason,
)
def create_sam(model=None, device=None, **options):
    """A :class:`SamRegions` on ``model`` (id or folder); other keywords go to the constructor."""
    options.pop("depth_range_m", None)
    return SamRegions(model=model, device=device, **options)
