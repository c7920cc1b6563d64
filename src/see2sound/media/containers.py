"""Opening files with PyAV (FFmpeg) so that every failure becomes one :class:`MediaError` line."""

from __future__ import annotations

import contextlib
import os
from collections.abc import Iterator
from pathlib import Path

import av

from ..errors import MediaError

# Frame rates outside this range are treated as broken metadata.
MIN_FPS = 0.01
MAX_FPS = 1000.0
# Decoded frames larger than this are refused (a decompression bomb or a broken header).
MAX_PIXELS = 178_956_970  # Pillow's own hard limit (2 × Image.MAX_IMAGE_PIXELS)


def check_input_file(path: str | os.PathLike) -> Path:
    """The path of an existing, non-empty, regular file; :class:`MediaError` otherwise."""
    path = Path(path)
    if not path.exists():
        raise MediaError(f"{path}: no such file")
    if path.is_dir():
        raise MediaError(f"{path}: is a folder, expected a media file")
    if path.stat().st_size == 0:
        raise MediaError(f"{path}: file is empty")
    return path


def ffmpeg_message(exc: BaseException) -> str:
    """FFmpeg's reason without the file name PyAV appends."""
    text = getattr(exc, "strerror", None) or str(exc)
    return " ".join(str(text).split()) or type(exc).__name__


@contextlib.contextmanager
def open_container(path: str | os.PathLike) -> Iterator[av.container.InputContainer]:
    """Open ``path`` for reading with PyAV; raises :class:`MediaError` naming the file and the problem."""
    path = check_input_file(path)
    try:
        container = av.open(str(path), "r", metadata_errors="replace")
    except av.error.FFmpegError as exc:
        raise MediaError(f"{path}: not a readable video or audio file ({ffmpeg_message(exc)})") from None
    except (OSError, UnicodeDecodeError, ValueError) as exc:
        raise MediaError(f"{path}: cannot open ({ffmpeg_message(exc)})") from None
    try:
        yield container
    except av.error.FFmpegError as exc:
        raise MediaError(f"{path}: cannot decode ({ffmpeg_message(exc)})") from None
    finally:
        container.close()


def check_decodable(path: Path, stream) -> None:
    """Refuse streams whose codec the bundled FFmpeg cannot decode."""
    try:
        codec = stream.codec_context.codec
        name = codec.name if codec is not None else None
    except Exception:  # PyAV raises various errors for unknown codecs
        name = None
    if not name:
        raise MediaError(f"{path}: unsupported {stream.type} codec (FFmpeg cannot decode it)")
