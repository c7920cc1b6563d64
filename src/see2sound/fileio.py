"""Safe output files: written to a temporary file beside the target and renamed when complete."""

from __future__ import annotations

import contextlib
import hashlib
import os
import tempfile
from collections.abc import Iterator
from pathlib import Path

from .errors import MediaError


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
        os.replace(tmp, path)
    except BaseException:
        with contextlib.suppress(OSError):
            tmp.unlink()
        raise


def sha256_file(path: str | os.PathLike) -> str:
    """Hex SHA-256 of a file, read in 1 MiB blocks."""
    h = hashlib.sha256()
    with open(path, "rb") as fh:
        for block in iter(lambda: fh.read(1 << 20), b""):
            h.update(block)
    return h.hexdigest()
