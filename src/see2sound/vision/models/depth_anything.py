"""``depth-anything``: Depth Anything V2 monocular depth (Yang et al. 2024), relative or metric.

The relative checkpoints predict affine-invariant *disparity* (larger = nearer, no unit). It becomes
metres through the same near/far range as the classical backend (indoor or outdoor by the amount of
sky, or ``--depth-range``): the robust 2nd-98th percentile span of the disparity is mapped linearly onto
inverse depth between ``1/far`` and ``1/near``. The metric checkpoints (``...-Metric-Indoor/Outdoor-...``)
predict metres directly. Both give depth along the optical axis (DESIGN §2: ``along_ray=False``).
"""

from __future__ import annotations

import numpy as np

from ..backends import DEPTH
from ..depth_cues import INDOOR_RANGE_M, OUTDOOR_RANGE_M
from ..types import DepthMap
from .common import ModelChoice, load_model, load_processor, to_pil

DEPTH_ANYTHING = ModelChoice("SEE2SOUND_DEPTH_MODEL", "depth-anything/Depth-Anything-V2-Small-hf")


def disparity_to_depth(
    disparity: np.ndarray, near_m: float, far_m: float, percentiles: tuple[float, float] = (2.0, 98.0)
) -> np.ndarray:
    """Relative disparity -> metres in ``[near_m, far_m]``, linear in inverse depth.

    The ``percentiles`` of ``disparity`` map to ``far_m`` (low) and ``near_m`` (high), so a few outliers
    do not squeeze the rest of the picture; values beyond them are clipped.

    Examples
    --------
    >>> disparity_to_depth(np.array([0.0, 1.0]), 1.0, 100.0, percentiles=(0, 100)).round(3).tolist()
    [100.0, 1.0]
    """
    d = np.asarray(disparity, dtype=np.float64)
    lo, hi = np.percentile(d, percentiles)
    if not np.isfinite(hi - lo) or hi - lo <= 1e-12 * max(abs(hi), 1.0):
        t = np.full(d.shape, 0.5)  # a flat prediction says nothing: the middle of the range
    else:
        t = np.clip((d - lo) / (hi - lo), 0.0, 1.0)
    inverse = 1.0 / far_m + t * (1.0 / near_m - 1.0 / far_m)
    return 1.0 / inverse


class DepthAnythingDepth:
    """Depth Anything (V1/V2) through transformers; see the module docstring for the units.

    Parameters
    ----------
    model : str, optional
        Hugging Face id or local folder (default ``$SEE2SOUND_DEPTH_MODEL``, else
        ``depth-anything/Depth-Anything-V2-Small-hf``).
    device : str, optional
        ``cuda``, ``mps`` or ``cpu`` (default: the best available; half precision on a GPU).
    depth_range_m : (near, far), optional
        Metres that the relative disparity spans (default: the classical indoor/outdoor range).
    """

    name = "depth-anything"

    def __init__(self, model=None, device: str | None = None, depth_range_m=None):
        from transformers import AutoImageProcessor, AutoModelForDepthEstimation

        self.model_ref = DEPTH_ANYTHING.ref(model)
        self.processor = load_processor(AutoImageProcessor, self.model_ref)
        self.model, self.device, self.dtype = load_model(AutoModelForDepthEstimation, self.model_ref, device)
        self.metric = getattr(self.model.config, "depth_estimation_type", "relative") == "metric"
        self.depth_range_m = depth_range_m

    def predict(self, image: np.ndarray) -> np.ndarray:
        """The network's raw output resized to the picture: disparity (relative) or metres (metric)."""
        import torch

        h, w = image.shape[:2]
        inputs = self.processor(images=to_pil(image), return_tensors="pt")
        pixels = inputs["pixel_values"].to(self.device, self.dtype)
        with torch.inference_mode():
            predicted = self.model(pixel_values=pixels).predicted_depth
            resized = torch.nn.functional.interpolate(
                predicted[:, None].float(), size=(h, w), mode="bicubic", align_corners=False
            )
        return resized[0, 0].cpu().numpy().astype(np.float64)

    def _range(self, image: np.ndarray, context: dict) -> tuple[float, float]:
        if self.depth_range_m is not None:
            return tuple(float(x) for x in self.depth_range_m)
        from ..classical import analyse_picture  # the classical rule: outdoors when sky shows

        ctx = analyse_picture(image, context)
        seg, is_sky = ctx["segments"], ctx["is_sky"]
        outdoor = bool(seg.area[is_sky].sum() >= 0.05 * seg.labels.size)
        return OUTDOOR_RANGE_M if outdoor else INDOOR_RANGE_M

    def estimate(self, image: np.ndarray, hfov_deg: float, projection: str, context: dict) -> DepthMap:
        raw = self.predict(image)
        if self.metric:
            depth = np.clip(np.nan_to_num(raw, nan=1.0), 0.05, None)
        else:
            near, far = self._range(image, context)
            depth = disparity_to_depth(np.nan_to_num(raw), near, far)
        return DepthMap(depth.astype(np.float64), along_ray=False, backend=self.name)


@DEPTH.register(
    "depth-anything",
    description="Depth Anything V2, relative or metric (extra see2sound[models])",
    priority=20,
    check=DEPTH_ANYTHING.unavailable_reason,
)
def create_depth_anything(model=None, device=None, depth_range_m=None, **_):
    """A :class:`DepthAnythingDepth` on ``model`` (id or folder)."""
    return DepthAnythingDepth(model=model, device=device, depth_range_m=depth_range_m)
