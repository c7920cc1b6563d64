"""``open_media`` and ``iter_frames``: the one way the vision stage and the pipeline read any input.

Images and animations go through Pillow (EXIF, real per-frame delays), videos and audio through PyAV.
"""

from __future__ import annotations

import numbers
import os
from collections.abc import Iterator

import numpy as np
from PIL import Image

from ..errors import MediaError
from .containers import MAX_FPS, MAX_PIXELS, check_input_file
from .images import IMAGE_SUFFIXES, image_info, is_image_file, iter_animation, read_image
from .info import Frame, MediaInfo
from .video import fit_size, iter_video_frames, video_info


def open_media(path: str | os.PathLike, max_pixels: int = MAX_PIXELS) -> MediaInfo:
    """Find out what a file is: image, animation, video or audio, with size, timing and projection.

    Reads headers (and the first video frame); raises :class:`MediaError` naming the file and the problem.

    Examples
    --------
    >>> info = open_media("clip.mp4")  # doctest: +SKIP
    >>> info.kind, info.fps, info.projection  # doctest: +SKIP
    ('video', 25.0, 'perspective')
    """
    path = check_input_file(path)
    if is_image_file(path) or path.suffix.lower() in IMAGE_SUFFIXES:
        return image_info(path, max_pixels)  # an image suffix Pillow cannot read: Pillow says why
    info = video_info(path)
    if info.kind == "audio":
        check_plausible_duration(info, path.stat().st_size)
    return info


# No audio codec stores a second in fewer bits than this (FLAC's silence: about 1,400 bit/s).
MIN_AUDIO_BITS_PER_S = 100


def check_plausible_duration(info: MediaInfo, size_bytes: int) -> None:
    """Refuse an audio file whose header states more seconds than its bytes can hold (an MP3 with a
    bogus frame count states 56 million seconds in 17 kB)."""
    durations = [info.duration, *(s.duration for s in info.audio_streams)]
    longest = max((d for d in durations if d is not None), default=None)
    if longest is not None and longest * MIN_AUDIO_BITS_PER_S > max(
        8 * size_bytes, 60 * MIN_AUDIO_BITS_PER_S
    ):
        raise MediaError(
            f"{info.path}: damaged header (states {longest:.0f} s of audio in {size_bytes} bytes)"
        )


def check_pictures(info: MediaInfo, max_pixels: int = MAX_PIXELS) -> None:
    """Decode every picture of an image or animation (``open_media`` reads only headers), so that a
    truncated or damaged file raises :class:`MediaError` instead of passing for a good one. Videos
    were checked by decoding their first frame; audio has no pictures to check."""
    if info.kind == "image":
        read_image(info.path, max_pixels)
    elif info.kind == "animation":
        for _ in iter_animation(info.path, max_pixels):
            pass


def resize_image(image: np.ndarray, max_size: int | None) -> np.ndarray:
    """Scale an RGB ``uint8`` image so that its long side is at most ``max_size`` (area-averaging)."""
    height, width = image.shape[:2]
    tw, th = fit_size(width, height, max_size)
    if (tw, th) == (width, height):
        return image
    return np.asarray(Image.fromarray(image).resize((tw, th), Image.Resampling.BOX))


def sample_timed_frames(frames, fps: float | None, total_s: float) -> Iterator[Frame]:
    """Sample ``(image, start_s)`` pairs (in time order) at ``fps`` over ``[0, total_s)``.

    The frame shown at time ``t`` is the last one starting at or before ``t``. ``fps=None`` yields every
    frame at its own start time.
    """
    step = None if fps is None else 1.0 / fps
    k = 0
    previous = None
    for i, (image, start) in enumerate(frames):
        if step is None:
            yield Frame(start, image, start, i)
            continue
        if previous is not None:
            while k * step < start:
                yield Frame(k * step, previous[0], previous[1], k)
                k += 1
        previous = (image, start)
    if step is not None and previous is not None:
        while k * step < total_s or k == 0:
            yield Frame(k * step, previous[0], previous[1], k)
            k += 1


def check_fps(fps: float | None) -> None:
    if fps is None:
        return
    if isinstance(fps, bool) or not (isinstance(fps, numbers.Real) and 0 < fps <= MAX_FPS):
        raise MediaError(f"analysis frame rate must be in (0, {MAX_FPS:g}] fps, got {fps!r}")


def iter_frames(
    path: str | os.PathLike,
    fps: float | None = 4.0,
    max_size: int | None = 1024,
    max_pixels: int = MAX_PIXELS,
    exact: bool = False,
) -> Iterator[Frame]:
    """Stream the frames of any picture input, sampled at ``fps`` and at most ``max_size`` pixels long.

    - still image: one frame at ``t = 0`` (EXIF orientation applied);
    - animation (GIF, APNG, WebP): one loop, frames at their real delays (≤ 10 ms plays as 100 ms);
    - video: sampled by timestamps from the container start, rotation applied.

    ``fps=None`` yields every frame at its own time. Only a couple of frames are held at once. For
    videos at 2.5× the analysis rate or more, non-reference frames are skipped unless ``exact`` (twice as
    fast; the frame shown may be one source frame older, see ``Frame.source_time_s``).

    Yields
    ------
    Frame
        ``time_s`` (analysis time), ``image`` RGB ``uint8`` ``(H, W, 3)``, ``source_time_s``, ``index``.
    """
    check_fps(fps)
    info = open_media(path, max_pixels)
    if info.kind == "audio":
        raise MediaError(f"{info.path}: is an audio file, it has no pictures")
    if info.kind == "image":
        image, _ = read_image(info.path, max_pixels, max_size)
        yield Frame(0.0, resize_image(image, max_size), 0.0, 0)
        return
    if info.kind == "animation":

        def timed():
            start = 0.0
            for image, delay in iter_animation(info.path, max_pixels):
                yield resize_image(image, max_size), start
                start += delay

        yield from sample_timed_frames(timed(), fps, float(info.duration or 0.0))
        return
    yield from iter_video_frames(info.path, fps, max_size, exact)
