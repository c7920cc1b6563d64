"""What the vision model backends share: model choice, the ``check`` for ``auto``, loading, devices."""

from __future__ import annotations

import numpy as np

from ...hub import ModelChoice, load_error, select_device  # noqa: F401  (ModelChoice: the backends' face)


def load_model(loader, ref: str, device: str | None = None):
    """``loader.from_pretrained(ref)`` on the chosen device and dtype, in eval mode; one-line errors."""
    dev, dtype = select_device(device)
    try:
        model = loader.from_pretrained(ref, dtype=dtype)
    except (OSError, ValueError, KeyError, RuntimeError, ImportError) as exc:
        raise load_error(ref, exc) from None
    return model.to(dev).eval(), dev, dtype


def load_processor(loader, ref: str):
    try:
        return loader.from_pretrained(ref)
    except (OSError, ValueError, KeyError, ImportError) as exc:
        raise load_error(ref, exc) from None


def to_pil(image: np.ndarray):
    """RGB uint8 ``(H, W, 3)`` -> PIL image."""
    from PIL import Image

    return Image.fromarray(np.ascontiguousarray(np.asarray(image, dtype=np.uint8)[..., :3]))
