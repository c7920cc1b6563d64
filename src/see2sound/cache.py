"""Where downloaded assets and generated stems are cached.

``SEE2SOUND_CACHE`` overrides the location; otherwise the platform's user cache folder is used.
"""

from __future__ import annotations

import os
from pathlib import Path

from .errors import See2SoundError


def cache_root() -> Path:
    env = os.environ.get("SEE2SOUND_CACHE")
    if env:
        return Path(env).expanduser()
    from platformdirs import user_cache_dir

    return Path(user_cache_dir("see2sound", appauthor=False))


def cache_dir(*parts: str, create: bool = True) -> Path:
    """A sub-folder of the cache (``cache_dir("models", "nanodet")``), created on demand."""
    path = cache_root().joinpath(*parts)
    if create:
        try:
            path.mkdir(parents=True, exist_ok=True)
        except OSError as exc:
            raise See2SoundError(
                f"{path}: cache folder cannot be created ({exc.strerror or exc})",
                hint="set SEE2SOUND_CACHE to a writable folder",
            ) from None
        if not os.access(path, os.W_OK):
            raise See2SoundError(
                f"{path}: cache folder is not writable", hint="set SEE2SOUND_CACHE to a writable folder"
            )
    return path
