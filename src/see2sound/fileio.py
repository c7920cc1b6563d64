"""Safe output files: written to a temporary file beside the target and renamed when complete."""

from __future__ import annotations

import contextlib
import errno
import hashlib
import os
import shutil
import stat
import tempfile
from collections.abc import Iterator
from pathlib import Path

from .errors import MediaError, See2SoundError

# Text inputs (scene.json, config.toml) larger than this are refused before reading: a scene of a
# six-hour video with a dense trajectory per source is a few MB.
MAX_TEXT_FILE_BYTES = 64 << 20
LOCK_NAME = ".see2sound.lock"


def _read_umask() -> int:
    """The process umask (read without a window where it is changed, where Linux says it)."""
    try:
        with open("/proc/self/status", encoding="ascii") as fh:
            for line in fh:
                if line.startswith("Umask:"):
                    return int(line.split()[1], 8)
    except (OSError, ValueError):
        pass
    mask = os.umask(0o022)
    os.umask(mask)
    return mask


def read_text_file(
    path: str | os.PathLike, what: str = "file", limit: int = MAX_TEXT_FILE_BYTES, error=See2SoundError
) -> str:
    """The UTF-8 text of a regular file of at most ``limit`` bytes.

    A FIFO, a device (a link to /dev/zero), a folder or an oversized file raises ``error`` naming the
    file, without blocking and without reading more than ``limit + 1`` bytes.
    """
    path = Path(path)
    try:
        fd = os.open(path, os.O_RDONLY | getattr(os, "O_NONBLOCK", 0))  # a FIFO does not block the open
    except FileNotFoundError:
        raise error(f"{path}: no such file") from None
    except IsADirectoryError:
        raise error(f"{path}: is a folder, expected a {what}") from None
    except OSError as exc:
        raise error(f"{path}: cannot read ({exc.strerror or exc})") from None
    with os.fdopen(fd, "rb") as fh:
        mode = os.fstat(fd).st_mode
        if stat.S_ISDIR(mode):
            raise error(f"{path}: is a folder, expected a {what}")
        if not stat.S_ISREG(mode):
            raise error(f"{path}: not a regular file (a pipe, socket or device); expected a {what}")
        try:
            data = fh.read(limit + 1)
        except OSError as exc:
            raise error(f"{path}: cannot read ({exc.strerror or exc})") from None
    if len(data) > limit:
        raise error(f"{path}: larger than {limit >> 20} MiB; too large for a {what}")
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError as exc:
        raise error(f"{path}: not UTF-8 text ({exc.reason} at byte {exc.start})") from None


def check_output(path: str | os.PathLike, overwrite: bool = False) -> Path:
    """Validate an output path before any work is done.

    Raises :class:`MediaError` if the file exists (and ``overwrite`` is false), is a folder, or its
    folder cannot be created or written.
    """
    path = Path(path)
    if path.is_dir():
        raise MediaError(f"{path}: is a folder, expected a file name")
    if path.exists() and not overwrite:
        raise MediaError(f"{path}: already exists", hint="use --overwrite to replace it")
    folder = path.parent if str(path.parent) else Path(".")
    try:
        folder.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        raise MediaError(f"{folder}: cannot create output folder ({exc.strerror or exc})") from None
    if not os.access(folder, os.W_OK | os.X_OK):
        raise MediaError(f"{folder}: output folder is not writable")
    return path


@contextlib.contextmanager
def atomic_output(path: str | os.PathLike, overwrite: bool = False) -> Iterator[Path]:
    """Yield a temporary path in the target's folder; rename it onto ``path`` when the block succeeds.

    On any exception the temporary file is removed and the target is left untouched.

    Examples
    --------
    >>> with atomic_output("out.wav", overwrite=True) as tmp:  # doctest: +SKIP
    ...     write_something(tmp)
    """
    path = check_output(path, overwrite)
    fd, tmp_name = tempfile.mkstemp(prefix=f".{path.stem}.", suffix=f".part{path.suffix}", dir=path.parent)
    os.close(fd)
    tmp = Path(tmp_name)
    try:
        yield tmp
        if path.exists() and not overwrite:  # appeared while we were working
            raise MediaError(f"{path}: already exists", hint="use --overwrite to replace it")
        # mkstemp makes the file 0600; the output gets the mode any new file gets (0644 under umask 022)
        os.chmod(tmp, 0o666 & ~_read_umask())
        os.replace(tmp, path)
    except BaseException as exc:
        reason = write_failure(exc, tmp.parent)  # before the unlink frees the space it took
        with contextlib.suppress(OSError):
            tmp.unlink()
        if reason is not None:
            raise MediaError(f"{path}: {reason}") from None
        raise


# Less free space than this after a failed write means the disk was full.
_FULL_BYTES = 1 << 20


def write_failure(exc: BaseException, folder: str | os.PathLike) -> str | None:
    """Why a write into ``folder`` failed, in words, when the cause is the disk or the folder:
    ``"no space left on device"``, ``"read-only file system"``, ``"permission denied"``; else ``None``.

    libsndfile reports a failed ``write()`` as "System error." without the cause, so a disk with (almost)
    no free space left is taken as the cause.
    """
    if isinstance(exc, OSError) and exc.errno is not None:
        return {
            errno.ENOSPC: "no space left on device",
            errno.EDQUOT: "disk quota exceeded",
            errno.EROFS: "read-only file system",
            errno.EACCES: "permission denied",
            errno.EFBIG: "file too large for this file system",
        }.get(exc.errno)
    if isinstance(exc, (OSError, RuntimeError)) and "system error" in str(exc).lower():
        try:
            full = shutil.disk_usage(folder).free < _FULL_BYTES
        except OSError:
            full = False
        return "no space left on device" if full else "write failed (system error)"
    return None


def sha256_file(path: str | os.PathLike) -> str:
    """Hex SHA-256 of a file, read in 1 MiB blocks."""
    h = hashlib.sha256()
    with open(path, "rb") as fh:
        for block in iter(lambda: fh.read(1 << 20), b""):
            h.update(block)
    return h.hexdigest()
