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


def _entries(folder: Path) -> tuple[dict[str, list[os.DirEntry]], list[os.DirEntry]]:
    entries: dict[str, list[os.DirEntry]] = {}
    temporary = []
    with os.scandir(folder) as it:
        for item in it:
            if not item.is_file(follow_symlinks=False):
                continue
            if ".tmp" in item.name:
                temporary.append(item)
            else:
                entries.setdefault(item.name.split(".", 1)[0], []).append(item)
    return entries, temporary


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
    entries, temporary = _entries(folder)
    removed = [0, 0]

    def remove(items) -> None:
        for item in items:
            try:
                size = item.stat(follow_symlinks=False).st_size
                os.unlink(item.path)
            except FileNotFoundError:  # another process removed it
                continue
            removed[1] += size
        removed[0] += 1

    for item in temporary:
        if now - item.stat(follow_symlinks=False).st_mtime > _STALE_TMP_S:
            remove([item])
            removed[0] -= 1  # not an entry
    # (last use, size, key): a cache hit touches the entry (see sound.stems)
    table = sorted(
        (
            max(i.stat(follow_symlinks=False).st_mtime for i in items),
            sum(i.stat(follow_symlinks=False).st_size for i in items),
            key,
        )
        for key, items in entries.items()
    )
    total = sum(size for _, size, _ in table)
    for used, size, key in table:  # oldest use first
        too_old = max_age_days is not None and now - used > max_age_days * 86400.0
        if not too_old and total <= limit:
            break
        remove(entries[key])
        total -= size
    return removed[0], removed[1], len(table) - removed[0], total
