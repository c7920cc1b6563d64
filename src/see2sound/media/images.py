"""Still images and animations (GIF, APNG, animated WebP) through Pillow.

Pixels come out as RGB ``uint8`` ``(height, width, 3)`` whatever the file holds: EXIF orientation is
applied; 16-bit and floating-point greyscale are scaled to 8 bits; palette, greyscale, CMYK and YCbCr are
converted; transparency is composited onto white (how a page shows a cut-out).
"""

from __future__ import annotations

import contextlib
import os
import struct
import warnings
from collections.abc import Iterator
from pathlib import Path

import numpy as np
from PIL import Image, ImageOps, UnidentifiedImageError

from ..errors import MediaError
from .containers import MAX_PIXELS, check_input_file
from .info import MediaInfo, browser_frame_delay, hfov_from_focal_35mm, is_equirect_shape

EXIF_IFD = 0x8769
EXIF_ORIENTATION = 0x0112
EXIF_FOCAL_35MM = 0xA405
# EXIF orientations 5–8 swap width and height.
TRANSPOSING_ORIENTATIONS = {5, 6, 7, 8}
SPHERICAL_MARKERS = (b"equirectangular", b"<GSpherical:Spherical>true")
IMAGE_SUFFIXES = {".jpg", ".jpeg", ".jpe", ".png", ".apng", ".webp", ".bmp", ".tif", ".tiff", ".gif"}
# What Pillow raises on damaged files besides OSError (found by mutating valid files, tests/media/
# test_reader_fuzz.py): broken PNG/APNG chunks, truncated GIF frame tables and extensions, TIFFs without
# dimensions, a later frame over the pixel limit.
PILLOW_ERRORS = (
    OSError,
    SyntaxError,
    ValueError,
    EOFError,
    IndexError,
    TypeError,
    KeyError,
    struct.error,
    Image.DecompressionBombError,
)


def _reason(exc: BaseException) -> str:
    if isinstance(exc, Image.DecompressionBombError):
        return "a frame is too large (decompression bomb?)"
    return " ".join(str(exc).split()) or type(exc).__name__


@contextlib.contextmanager
def open_image(path: str | os.PathLike, max_pixels: int = MAX_PIXELS) -> Iterator[Image.Image]:
    """Open an image with Pillow (header only), refusing unreadable files and oversized pictures."""
    path = check_input_file(path)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", Image.DecompressionBombWarning)
        try:
            im = Image.open(path)
        except Image.DecompressionBombError:
            raise MediaError(f"{path}: image is too large (decompression bomb?)") from None
        except (UnidentifiedImageError, *PILLOW_ERRORS) as exc:
            raise MediaError(f"{path}: not a readable image ({_reason(exc)})") from None
        try:
            width, height = im.size
            if width <= 0 or height <= 0:
                raise MediaError(f"{path}: image has no pixels ({width}x{height})")
            if width * height > max_pixels:
                raise MediaError(
                    f"{path}: image is {width}x{height} = {width * height / 1e6:.0f} Mpx, over the limit of "
                    f"{max_pixels / 1e6:.0f} Mpx (decompression bomb?)"
                )
            yield im
        finally:
            im.close()


def is_image_file(path: Path) -> bool:
    """True when Pillow recognises the file (reads the header only)."""
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        try:
            with Image.open(path) as im:
                return im.format is not None
        except Image.DecompressionBombError:
            return True  # an image, and open_image says why it is refused
        except Exception:
            return False


def to_rgb_array(im: Image.Image) -> np.ndarray:
    """Any Pillow image as RGB ``uint8`` ``(H, W, 3)``; alpha composited onto white."""
    mode = im.mode
    if mode in ("I;16", "I;16B", "I;16L", "I;16N", "I", "F"):
        data = np.asarray(im, dtype=np.float64)
        if mode == "F":
            lo, hi = float(np.nanmin(data)), float(np.nanmax(data))
            data = (data - lo) / (hi - lo) * 255.0 if hi > lo else np.zeros_like(data)
        elif mode.startswith("I;16") or data.max(initial=0) > 255:
            data = data / 257.0  # 16-bit → 8-bit (65535 → 255)
        grey = np.clip(np.rint(np.nan_to_num(data)), 0, 255).astype(np.uint8)
        return np.repeat(grey[:, :, None], 3, axis=2)
    has_alpha = mode in ("RGBA", "LA", "PA", "La", "RGBa") or (mode == "P" and "transparency" in im.info)
    if has_alpha:
        rgba = np.asarray(im.convert("RGBA"), dtype=np.float32)
        alpha = rgba[:, :, 3:4] / 255.0
        rgb = rgba[:, :, :3] * alpha + 255.0 * (1.0 - alpha)
        return np.clip(np.rint(rgb), 0, 255).astype(np.uint8)
    if mode != "RGB":
        im = im.convert("RGB")
    return np.ascontiguousarray(np.asarray(im, dtype=np.uint8))


def exif_focal_35mm(im: Image.Image) -> float | None:
    """The EXIF ``FocalLengthIn35mmFilm`` in millimetres, or ``None``."""
    try:
        exif = im.getexif()
        value = exif.get_ifd(EXIF_IFD).get(EXIF_FOCAL_35MM) or exif.get(EXIF_FOCAL_35MM)
    except Exception:  # malformed EXIF must not stop reading the pixels
        return None
    try:
        value = float(value)
    except (TypeError, ValueError):
        return None
    return value if 1.0 <= value <= 10000.0 else None


def exif_orientation(im: Image.Image) -> int:
    try:
        value = int(im.getexif().get(EXIF_ORIENTATION, 1))
    except Exception:
        return 1
    return value if 1 <= value <= 8 else 1


def has_spherical_metadata(path: Path, head_bytes: int = 1 << 20) -> bool:
    """True when the file's first MiB carries GPano / GSpherical equirectangular metadata (XMP)."""
    with open(path, "rb") as fh:
        head = fh.read(head_bytes)
    return any(marker.lower() in head.lower() for marker in SPHERICAL_MARKERS)


def frame_delays(im: Image.Image) -> tuple[float, ...]:
    """Per-frame delays of an animation in seconds, with the browser rule (≤ 10 ms → 100 ms)."""
    delays = []
    for i in range(getattr(im, "n_frames", 1)):
        im.seek(i)
        if im.format == "WEBP":  # Pillow's WebP reader sets the delay when the frame is loaded
            im.load()
        delays.append(browser_frame_delay(float(im.info.get("duration", 0) or 0) / 1000.0))
    im.seek(0)
    return tuple(delays)


def loop_count(im: Image.Image) -> int:
    """Number of plays (0 = forever). GIF's NETSCAPE count N means N+1 plays, as browsers do; no count = 1."""
    loop = im.info.get("loop")
    if loop is None:
        return 1
    loop = int(loop)
    if loop == 0:
        return 0
    return loop + 1 if im.format == "GIF" else loop


def image_info(path: str | os.PathLike, max_pixels: int = MAX_PIXELS) -> MediaInfo:
    """:class:`MediaInfo` of a still image or animation (reads headers and frame delays only)."""
    path = Path(path)
    with open_image(path, max_pixels) as im:
        width, height = im.size
        if exif_orientation(im) in TRANSPOSING_ORIENTATIONS:
            width, height = height, width
        f35 = exif_focal_35mm(im)
        try:
            n_frames = int(getattr(im, "n_frames", 1) or 1)
            animated = n_frames > 1
            delays = frame_delays(im) if animated else None
            loops = loop_count(im) if animated else None
        except PILLOW_ERRORS as exc:
            raise MediaError(f"{path}: broken animation ({_reason(exc)})") from None
        equirect = is_equirect_shape(width, height) and has_spherical_metadata(path)
        return MediaInfo(
            path=path,
            kind="animation" if animated else "image",
            width=width,
            height=height,
            n_frames=n_frames,
            fps=(n_frames / sum(delays)) if animated else None,
            duration=sum(delays) if animated else None,
            projection="equirect" if equirect else "perspective",
            hfov=None if equirect or f35 is None else hfov_from_focal_35mm(f35, width, height),
            codec=(im.format or "").lower() or None,
            loop_count=loops,
            frame_delays=delays,
            focal_length_35mm=f35,
        )


REDUCE_ABOVE = 4  # pictures more than this many times larger than asked for are decoded at a reduced size


def read_image(
    path: str | os.PathLike, max_pixels: int = MAX_PIXELS, max_size: int | None = None
) -> tuple[np.ndarray, MediaInfo]:
    """Read a still image (or the first frame of an animation) as RGB ``uint8`` ``(H, W, 3)``.

    EXIF orientation is applied, so the array is the picture as a viewer shows it.

    Parameters
    ----------
    path : str or PathLike
        JPEG, PNG, WebP, BMP, TIFF, GIF… anything Pillow opens.
    max_pixels : int
        Refuse pictures with more pixels than this (decompression bombs).
    max_size : int, optional
        The long side the caller will scale the picture to. A picture more than ``REDUCE_ABOVE`` times larger
        is decoded at a reduced size (JPEG's DCT scaling, else Pillow's integer box reduction, which frees the
        full-size copy at once), so a 13,000 × 13,000 PNG costs its decoded size once, not four copies.

    Returns
    -------
    image : np.ndarray
        ``(height, width, 3)`` ``uint8``.
    info : MediaInfo
        Size, field of view from EXIF, projection.

    Examples
    --------
    >>> image, info = read_image("beach.jpg")  # doctest: +SKIP
    >>> image.shape[:2] == (info.height, info.width)  # doctest: +SKIP
    True
    """
    info = image_info(path, max_pixels)
    with open_image(path, max_pixels) as im:
        try:
            factor = max(im.size) // (REDUCE_ABOVE * max_size) if max_size else 0
            if factor >= 1:
                size = (max(1, im.size[0] // (factor * 2)), max(1, im.size[1] // (factor * 2)))
                im.draft("RGB", size)  # JPEG only
            im.load()
            factor = max(im.size) // (REDUCE_ABOVE * max_size) if max_size else 0
            small = im.reduce(factor * 2) if factor >= 1 else im
            rgb = to_rgb_array(ImageOps.exif_transpose(small))
        except (*PILLOW_ERRORS, ZeroDivisionError) as exc:  # a damaged header can claim a zero scale
            raise MediaError(f"{path}: corrupt image data ({_reason(exc)})") from None
    return rgb, info


def iter_animation(
    path: str | os.PathLike, max_pixels: int = MAX_PIXELS
) -> Iterator[tuple[np.ndarray, float]]:
    """Every frame of an animation, composed, as ``(RGB uint8 image, delay_s)``, one at a time."""
    with open_image(path, max_pixels) as im:
        try:
            n_frames = int(getattr(im, "n_frames", 1) or 1)
        except PILLOW_ERRORS as exc:
            raise MediaError(f"{path}: broken animation ({_reason(exc)})") from None
        for i in range(n_frames):
            try:
                im.seek(i)
                im.load()
                delay = browser_frame_delay(float(im.info.get("duration", 0) or 0) / 1000.0)
                rgb = to_rgb_array(ImageOps.exif_transpose(im))
            except PILLOW_ERRORS as exc:
                raise MediaError(f"{path}: corrupt frame {i} ({_reason(exc)})") from None
            yield rgb, delay
