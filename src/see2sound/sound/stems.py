"""The stem cache: a generated clip is stored under a hash of everything that determines it.

The key covers the backend, its own cache key (model or synthesis version, sound class, library index
version and chosen file), the version of the code that fits a recording to length
(:data:`see2sound.sound.oneshot.FIT_VERSION`), the label, prompt, duration, sample rate and seed;
rendering the same scene again reads the clip back instead of generating it.
"""

from __future__ import annotations

import hashlib
import json
import os
from pathlib import Path

import numpy as np

from ..cache import cache_dir
from ..log import get_logger
from .oneshot import FIT_VERSION
from .types import SoundRequest, SoundResult

log = get_logger(__name__)


def stem_key(backend, request: SoundRequest) -> str:
    """The cache key (hex) of ``request`` on ``backend``."""
    own = getattr(backend, "cache_key", None)
    parts = {
        "backend": backend.name,
        "backend_key": own(request) if own else {},
        "fit": FIT_VERSION,
        "label": request.label,
        "prompt": request.prompt,
        "duration": round(float(request.duration), 6),
        "rate": int(request.sample_rate),
        "seed": int(request.seed),
    }
    text = json.dumps(parts, sort_keys=True, default=str)
    return hashlib.sha256(text.encode()).hexdigest()[:32]


def _paths(key: str) -> tuple[Path, Path]:
    folder = cache_dir("stems")
    return folder / f"{key}.npy", folder / f"{key}.json"


def load_stem(key: str) -> SoundResult | None:
    audio_path, meta_path = _paths(key)
    try:
        audio = np.load(audio_path, allow_pickle=False)
        prov = json.loads(meta_path.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return None
    return SoundResult(audio.astype(np.float32, copy=False), prov)


def store_stem(key: str, result: SoundResult) -> None:
    audio_path, meta_path = _paths(key)
    tmp = audio_path.with_suffix(f".{os.getpid()}.tmp.npy")
    np.save(tmp, np.asarray(result.audio, dtype=np.float32))
    os.replace(tmp, audio_path)
    tmp_meta = meta_path.with_suffix(f".{os.getpid()}.tmp")
    tmp_meta.write_text(json.dumps(result.provenance, default=str), encoding="utf-8")
    os.replace(tmp_meta, meta_path)


def generate_cached(backend, request: SoundRequest, regenerate: bool = False) -> tuple[SoundResult, bool]:
    """``backend.generate(request)`` through the cache; returns the result and whether it was a hit.

    ``regenerate`` skips the lookup (the fresh clip still replaces the cached one).
    """
    key = stem_key(backend, request)
    if not regenerate:
        hit = load_stem(key)
        n = int(round(request.duration * request.sample_rate))
        if hit is not None and hit.audio.shape == (n,):
            _used(key)
            return hit, True
    result = backend.generate(request)
    try:
        store_stem(key, result)
    except OSError as exc:  # a full or read-only cache must not stop the run
        log.warning(f"stem cache not written ({exc})")
    _used(key)
    return result, False


def _used(key: str) -> None:
    """Mark an entry as just used and keep the cache within its size and age (cache.prune_stems)."""
    from ..cache import prune_stems

    for path in _paths(key):
        try:
            os.utime(path)
        except OSError:
            pass
    try:
        prune_stems()
    except OSError as exc:
        log.warning(f"stem cache not pruned ({exc})")
