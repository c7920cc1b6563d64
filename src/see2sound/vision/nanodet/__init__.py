"""NanoDet-g, the offline COCO-80 object detector (DESIGN §4; ``reference/offline-detectors.md``).

Registers the ``nanodet`` detection backend. Importing this package is cheap: onnxruntime and the model
load only when the backend is created. The model comes from ``see2sound models fetch nanodet``.
"""

from __future__ import annotations

import importlib.util

from ..backends import DETECTORS
from .coco import COCO_LABELS

__all__ = ["COCO_LABELS", "create_nanodet"]


def _unavailable_reason() -> str | None:
    if importlib.util.find_spec("onnxruntime") is None:
        return "onnxruntime is not installed (pip install onnxruntime)"
    from ...assets import nanodet as asset

    return asset.unavailable_reason()


@DETECTORS.register(
    "nanodet",
    description="NanoDet-g COCO-80 detector on onnxruntime (offline; model from `see2sound models fetch`)",
    priority=10,
    check=_unavailable_reason,
)
def create_nanodet(model_path=None, threads: int | None = None):
    """A :class:`~see2sound.vision.nanodet.detector.NanoDetDetector` on the cached (verified) model."""
    from ...assets import nanodet as asset
    from .detector import NanoDetDetector

    return NanoDetDetector(model_path or asset.model_path(), threads=threads)
