"""What the vision model backends share: model choice, the ``check`` for ``auto``, loading, devices."""

from __future__ import annotations

import os
from dataclasses import dataclass

import numpy as np

from ...hub import load_error, model_unavailable_reason, resolve_model, select_device

PACKAGES = ("torch", "transformers")


@dataclass(frozen=True)
class ModelChoice:
    """A backend's default Hugging Face id and the environment variable that overrides it."""

    env_var: str
    default: str

    def ref(self, model: str | os.PathLike | None = None) -> str:
        return resolve_model(model, self.env_var, self.default)

    def unavailable_reason(self) -> str | None:
        """For the registry's ``check``: installed extra and weights on this machine, no import of torch."""
        return model_unavailable_reason(PACKAGES, self.ref(), self.env_var)


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
