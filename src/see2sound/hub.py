"""Where a model backend's weights come from, and which device runs it (extra ``see2sound[models]``).

A model is named by a Hugging Face id (``facebook/sam-vit-base``) or a local folder. The choice is, in
order: the backend's ``model=`` argument, its environment variable (``SEE2SOUND_SAM_MODEL``...), its
default id. ``auto`` must never start a multi-GB download (DESIGN §1), so a backend is usable only
when its Python packages are installed *and* its weights are already on this machine: a local folder,
or the id in the Hugging Face cache. Nothing here imports torch; :func:`select_device` does, lazily.
"""

from __future__ import annotations

import importlib.util
import os
from dataclasses import dataclass
from pathlib import Path

from .errors import BackendError

__all__ = [
    "hub_cache_dirs",
    "load_error",
    "model_unavailable_reason",
    "resolve_model",
    "select_device",
    "weights_on_disk",
]

# files that mark a folder as a saved transformers model or diffusers pipeline
_MODEL_MARKERS = ("config.json", "model_index.json")


def resolve_model(model: str | os.PathLike | None, env_var: str, default: str) -> str:
    """The model reference to load: ``model``, else ``$env_var``, else ``default``."""
    if model:
        return str(model)
    return os.environ.get(env_var, "").strip() or default


@dataclass(frozen=True)
class ModelChoice:
    """A backend's default Hugging Face id, the environment variable that overrides it, and the
    packages (an installed extra) it needs."""

    env_var: str
    default: str
    packages: tuple[str, ...] = ("torch", "transformers")

    def ref(self, model: str | os.PathLike | None = None) -> str:
        return resolve_model(model, self.env_var, self.default)

    def unavailable_reason(self, model: str | os.PathLike | None = None, **_: object) -> str | None:
        """For the registry's ``check``: installed extra and weights on this machine, no import of torch."""
        return model_unavailable_reason(self.packages, self.ref(model), self.env_var)


def _looks_like_path(ref: str) -> bool:
    return ref.startswith((".", "/", "~")) or os.sep in ref.replace("/", "", 1) or Path(ref).exists()


def hub_cache_dirs() -> list[Path]:
    """Folders that may hold the Hugging Face hub cache, most specific first."""
    dirs = []
    if os.environ.get("HF_HUB_CACHE"):
        dirs.append(Path(os.environ["HF_HUB_CACHE"]).expanduser())
    if os.environ.get("HUGGINGFACE_HUB_CACHE"):
        dirs.append(Path(os.environ["HUGGINGFACE_HUB_CACHE"]).expanduser())
    if os.environ.get("HF_HOME"):
        dirs.append(Path(os.environ["HF_HOME"]).expanduser() / "hub")
    xdg = os.environ.get("XDG_CACHE_HOME")
    dirs.append((Path(xdg).expanduser() if xdg else Path.home() / ".cache") / "huggingface" / "hub")
    return list(dict.fromkeys(dirs))


def weights_on_disk(ref: str) -> bool:
    """Whether ``ref`` (a folder or a hub id) can be loaded without the network."""
    path = Path(ref).expanduser()
    if path.is_dir():
        return any((path / marker).is_file() for marker in _MODEL_MARKERS)
    if "/" not in ref or _looks_like_path(ref):
        return False
    folder = "models--" + ref.replace("/", "--")
    for cache in hub_cache_dirs():
        snapshots = cache / folder / "snapshots"
        if snapshots.is_dir() and any(
            (snap / marker).exists() for snap in snapshots.iterdir() for marker in _MODEL_MARKERS
        ):
            return True
    return False


def model_unavailable_reason(packages: tuple[str, ...], ref: str, env_var: str) -> str | None:
    """``None`` when ``packages`` are installed and ``ref``'s weights are local, else why not (one line).

    Uses ``importlib.util.find_spec`` only: checking never imports torch.
    """
    missing = [p for p in packages if importlib.util.find_spec(p) is None]
    if missing:
        return f"{', '.join(missing)} not installed (pip install 'see2sound[models]')"
    if weights_on_disk(ref):
        return None
    path = Path(ref).expanduser()
    if _looks_like_path(ref) or path.exists():
        return f"{ref}: no saved model in that folder (config.json or model_index.json)"
    return (
        f"weights of {ref} are not in the local Hugging Face cache "
        f"(download them once, e.g. `hf download {ref}`, or set {env_var} to a local folder)"
    )


def select_device(device: str | None = None):
    """``(torch.device, dtype)``: CUDA, then Apple MPS, then CPU; half precision on a GPU.

    ``device`` (or ``$SEE2SOUND_DEVICE``) forces one, e.g. ``"cpu"`` or ``"cuda:1"``.
    """
    import torch

    name = device or os.environ.get("SEE2SOUND_DEVICE", "").strip() or None
    if name is None:
        if torch.cuda.is_available():
            name = "cuda"
        elif getattr(torch.backends, "mps", None) is not None and torch.backends.mps.is_available():
            name = "mps"
        else:
            name = "cpu"
    try:
        dev = torch.device(name)
    except RuntimeError as exc:
        raise BackendError(f"device {name!r}: {exc}") from None
    dtype = torch.float32 if dev.type == "cpu" else torch.float16
    return dev, dtype


def load_error(ref: str, exc: BaseException) -> BackendError:
    """A one-line :class:`BackendError` for a model that failed to load."""
    text = " ".join(str(exc).split())
    if len(text) > 200:
        text = text[:197] + "..."
    return BackendError(f"model {ref}: cannot be loaded ({type(exc).__name__}: {text})")
