"""Where downloaded assets and generated stems are cached.

``SEE2SOUND_CACHE`` overrides the location; otherwise the platform's user cache folder is used.
"""

from __future__ import annotations

import os
import time
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


# The stem cache (``stems/``: one ``<key>.npy`` clip and ``<key>.json`` provenance per entry) is kept
# under a size and an age: entries used least recently go first. ``SEE2SOUND_STEM_CACHE_MB`` changes
# the size; ``see2sound cache clean`` applies other limits by hand.
STEM_CACHE_MB = 2048
STEM_CACHE_DAYS = 90.0
_STALE_TMP_S = 3600.0  # temporary files of a process that died while writing


def stem_cache_limit_bytes() -> int:
    """The stem cache's size limit: ``SEE2SOUND_STEM_CACHE_MB`` or 2048 MB."""
    env = os.environ.get("SEE2SOUND_STEM_CACHE_MB")
    try:
        megabytes = float(env) if env else STEM_CACHE_MB
    except ValueError:
        raise See2SoundError(f"SEE2SOUND_STEM_CACHE_MB: expected megabytes, got {env!r}") from None
    return max(0, int(megabytes * (1 << 20)))


def _scan(folder: Path) -> tuple[dict[str, list[tuple[str, float, int]]], list[tuple[str, float, int]]]:
    """The cache's entries ``{key: [(path, mtime, size), ...]}`` and its temporary files."""
    entries: dict[str, list[tuple[str, float, int]]] = {}
    temporary = []
    with os.scandir(folder) as it:
        for item in it:
            try:
                if not item.is_file(follow_symlinks=False):
                    continue
                st = item.stat(follow_symlinks=False)
            except FileNotFoundError:  # removed by another process meanwhile
                continue
            record = (item.path, st.st_mtime, st.st_size)
            if ".tmp" in item.name:
                temporary.append(record)
            else:
                entries.setdefault(item.name.split(".", 1)[0], []).append(record)
    return entries, temporary


def _remove(records) -> int:
    """Remove files; the bytes freed (files another process removed first count as none)."""
    freed = 0
    for path, _, size in records:
        try:
            os.unlink(path)
        except FileNotFoundError:
            continue
        freed += size
    return freed


def prune_stems(
    max_bytes: int | None = None, max_age_days: float | None = STEM_CACHE_DAYS, now: float | None = None
) -> tuple[int, int, int, int]:
    """Remove stem cache entries older than ``max_age_days`` (by last use), then the least recently used
    ones until the cache holds at most ``max_bytes`` (default :func:`stem_cache_limit_bytes`).

    Returns ``(entries removed, bytes removed, entries kept, bytes kept)``.
    """
    folder = cache_root() / "stems"
    if not folder.is_dir():
        return 0, 0, 0, 0
    limit = stem_cache_limit_bytes() if max_bytes is None else int(max_bytes)
    now = time.time() if now is None else now
    entries, temporary = _scan(folder)
    freed = _remove(r for r in temporary if now - r[1] > _STALE_TMP_S)
    # (last use, size, key), oldest use first: a cache hit touches its entry (see sound.stems)
    table = sorted(
        (max(r[1] for r in records), sum(r[2] for r in records), key) for key, records in entries.items()
    )
    total = sum(size for _, size, _ in table)
    removed = 0
    for used, size, key in table:
        too_old = max_age_days is not None and now - used > max_age_days * 86400.0
        if not too_old and total <= limit:
            break
        freed += _remove(entries[key])
        total -= size
        removed += 1
    return removed, freed, len(table) - removed, total
