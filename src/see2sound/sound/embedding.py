"""Optional semantic matching of labels to library files with a local sentence-embedding model.

Word and synonym matching (:mod:`see2sound.sound.library`) needs no model. When it finds nothing and
``SEE2SOUND_SOUND_EMBEDDER`` names a folder holding a Hugging Face sentence-embedding model (for example a
downloaded ``sentence-transformers/all-MiniLM-L6-v2``) and the ``models`` extra (torch, transformers) is
installed, labels and file descriptions are embedded (mean-pooled last hidden state, unit length) and
the most similar file above :data:`MIN_SIMILARITY` is used. Nothing is ever downloaded.
"""

from __future__ import annotations

import os
from pathlib import Path

import numpy as np

from ..log import get_logger

log = get_logger(__name__)

ENV_VAR = "SEE2SOUND_SOUND_EMBEDDER"
MIN_SIMILARITY = 0.5
_warned: set[str] = set()


class TextEmbedder:
    """A local text encoder: ``encode(texts) -> (len(texts), dim)`` unit vectors."""

    def __init__(self, folder: str | os.PathLike):
        import torch
        from transformers import AutoModel, AutoTokenizer

        self.folder = Path(folder)
        self._torch = torch
        self.tokenizer = AutoTokenizer.from_pretrained(str(folder), local_files_only=True)
        self.model = AutoModel.from_pretrained(str(folder), local_files_only=True).eval()

    def encode(self, texts: list[str]) -> np.ndarray:
        torch = self._torch
        batch = self.tokenizer(list(texts), padding=True, truncation=True, max_length=64, return_tensors="pt")
        with torch.no_grad():
            hidden = self.model(**batch).last_hidden_state
        mask = batch["attention_mask"].unsqueeze(-1).to(hidden.dtype)
        pooled = (hidden * mask).sum(1) / mask.sum(1).clamp(min=1)
        vectors = pooled.float().numpy()
        return vectors / (np.linalg.norm(vectors, axis=1, keepdims=True) + 1e-12)


def _warn(message: str) -> None:
    if message not in _warned:
        _warned.add(message)
        log.warning(message)


def embedder_from_env() -> TextEmbedder | None:
    """The embedder named by ``SEE2SOUND_SOUND_EMBEDDER``, or ``None`` (unset, missing folder or extra)."""
    folder = os.environ.get(ENV_VAR)
    if not folder:
        return None
    path = Path(folder).expanduser()
    if not path.is_dir():
        _warn(f"{ENV_VAR}={folder}: not a folder; library matching uses words only")
        return None
    try:
        return TextEmbedder(path)
    except ImportError:
        _warn(f"{ENV_VAR} is set but torch/transformers are not installed (pip install 'see2sound[models]')")
    except (OSError, ValueError) as exc:
        _warn(f"{ENV_VAR}={folder}: cannot load a text model ({' '.join(str(exc).split())[:200]})")
    return None


def best_by_embedding(
    embedder, query: str, texts: list[str], cache: dict | None = None, key: str = ""
) -> tuple[int, float] | None:
    """Index and cosine similarity of the text nearest to ``query``, if at least :data:`MIN_SIMILARITY`."""
    if not texts:
        return None
    if cache is not None and key in cache:
        vectors = cache[key]
    else:
        vectors = embedder.encode(texts)
        if cache is not None:
            cache[key] = vectors
    q = embedder.encode([query])[0]
    sims = vectors @ q
    best = int(np.argmax(sims))
    return (best, float(sims[best])) if sims[best] >= MIN_SIMILARITY else None
