"""Videos through PyAV: what the file holds, and its frames streamed at an analysis rate.

Times are seconds from the container's start (``start_time``), so a stream that does not start at zero
keeps its offset and the input's audio track (:func:`see2sound.media.audio.read_audio_track`) lines up.
Sampling is by presentation timestamps: the frame shown at analysis time ``t`` is the last decoded frame
whose timestamp is ``≤ t`` (variable frame rate safe). Rotation (the display matrix) is applied.
"""

from __future__ import annotations

import os
from collections import deque
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from fractions import Fraction
from math import ceil
from pathlib import Path

import av
import numpy as np

from ..errors import MediaError
from ..log import get_logger
from .containers import MAX_FPS, MAX_PIXELS, MIN_FPS, check_decodable, open_container
from .info import AudioStreamInfo, Frame, MediaInfo, is_equirect_shape

log = get_logger(__name__)

SPHERICAL_MARKERS = (b"sv3d", b"<GSpherical:Spherical>true", b"GSpherical:ProjectionType>equirectangular")


def video_stream(container):
    """The first video stream that is not cover art, or ``None``."""
    for stream in container.streams.video:
        if not stream.disposition & av.stream.Disposition.attached_pic:
            return stream
    return None


def container_origin(container) -> float:
    """The container's start time in seconds (0 when unknown)."""
    return container.start_time / 1e6 if container.start_time is not None else 0.0


def stream_fps(path: Path, stream) -> float:
    """The stream's frame rate; refuses zero, missing or absurd rates."""
    for rate in (stream.average_rate, stream.guessed_rate, stream.base_rate):
        if rate is not None and rate > 0:
            fps = float(rate)
            if not MIN_FPS <= fps <= MAX_FPS:
                expected = f"{MIN_FPS:g}–{MAX_FPS:g}"
                raise MediaError(f"{path}: frame rate {fps:g} fps is not usable (expected {expected})")
            return fps
    raise MediaError(f"{path}: video stream has no frame rate (zero or missing)")


def audio_stream_infos(container) -> tuple[AudioStreamInfo, ...]:
    infos = []
    for stream in container.streams.audio:
        duration = float(stream.duration * stream.time_base) if stream.duration and stream.time_base else None
        context = stream.codec_context  # None for a codec this FFmpeg does not know
        codec = getattr(context, "codec", None)
        channels = int(getattr(context, "channels", 0) or 0) if context is not None else 0
        layout = getattr(context, "layout", None) if context is not None else None
        infos.append(
            AudioStreamInfo(
                index=stream.index,
                codec=codec.name if codec is not None else "unknown",
                channels=channels,
                layout=layout.name if layout is not None else f"{channels} channels",
                sample_rate=int(getattr(context, "sample_rate", 0) or 0) if context is not None else 0,
                duration=duration,
            )
        )
    return tuple(infos)


def has_spherical_video_metadata(path: Path, window: int = 1 << 22) -> bool:
    """True when an ``sv3d`` box or GSpherical XMP appears in the first or last 4 MiB of the file."""
    size = path.stat().st_size
    with open(path, "rb") as fh:
        head = fh.read(window)
        tail = b""
        if size > window:
            fh.seek(max(window, size - window))
            tail = fh.read()
    return any(marker in head or marker in tail for marker in SPHERICAL_MARKERS)


# Packets that fail to decode are skipped (as the ffmpeg tool does) up to this many in a row.
MAX_BAD_PACKETS = 25


def decode_frames(path: Path, container, stream, packets=None) -> Iterator:
    """Decoded frames of ``stream``; damaged packets are skipped with one warning (truncated files).

    ``packets`` replaces ``container.demux(stream)`` (a filtered packet stream, see :func:`plan_nonref`).
    """
    bad = in_a_row = 0
    last_error = ""
    for packet in container.demux(stream) if packets is None else packets:
        try:
            frames = packet.decode()
        except av.error.FFmpegError as exc:
            bad += 1
            in_a_row += 1
            last_error = " ".join(str(exc).split())
            if in_a_row > MAX_BAD_PACKETS:
                raise MediaError(f"{path}: cannot decode the video ({last_error})") from None
            continue
        in_a_row = 0
        yield from frames
    if bad:
        log.warning("%s: skipped %d damaged video packet(s) (%s)", path, bad, last_error)


def first_frame(path: Path, container, stream):
    """Decode the first frame (checks that frames exist and decode); ``MediaError`` otherwise."""
    for frame in decode_frames(path, container, stream):
        return frame
    raise MediaError(f"{path}: contains no video frames")


def video_info(path: str | os.PathLike) -> MediaInfo:
    """:class:`MediaInfo` of a video or audio-only file (decodes the first video frame only)."""
    path = Path(path)
    with open_container(path) as container:
        audio = audio_stream_infos(container)
        stream = video_stream(container)
        duration = container.duration / 1e6 if container.duration else None
        if stream is None:
            if not audio:
                raise MediaError(f"{path}: has neither video nor audio streams")
            if duration is None and audio[0].duration:
                duration = audio[0].duration
            return MediaInfo(
                path=path, kind="audio", duration=duration, codec=audio[0].codec, audio_streams=audio
            )
        check_decodable(path, stream)
        fps = stream_fps(path, stream)
        frame = first_frame(path, container, stream)
        if frame.width * frame.height > MAX_PIXELS:
            raise MediaError(f"{path}: video frames of {frame.width}x{frame.height} are over the pixel limit")
        rotation = int(round(frame.rotation / 90.0)) * 90 % 360
        width, height = (frame.height, frame.width) if rotation in (90, 270) else (frame.width, frame.height)
        if stream.duration and stream.time_base:
            duration = float(stream.duration * stream.time_base)
        exact = bool(stream.frames and stream.frames > 0)
        n_frames = int(stream.frames) if exact else int(round((duration or 0.0) * fps))
        equirect = is_equirect_shape(width, height) and has_spherical_video_metadata(path)
        return MediaInfo(
            path=path,
            kind="video",
            width=width,
            height=height,
            n_frames=max(n_frames, 1),
            fps=fps,
            duration=duration,
            projection="equirect" if equirect else "perspective",
            rotation=rotation,
            codec=getattr(getattr(stream.codec_context, "codec", None), "name", None) or "unknown",
            audio_streams=audio,
            n_frames_exact=exact,
        )


def fit_size(width: int, height: int, max_size: int | None) -> tuple[int, int]:
    """The size with the long side at most ``max_size`` (aspect kept, never enlarged, at least 1 px)."""
    if not max_size or max(width, height) <= max_size:
        return width, height
    scale = max_size / max(width, height)
    return max(1, round(width * scale)), max(1, round(height * scale))


def rotate_image(image: np.ndarray, rotation: int) -> np.ndarray:
    """Apply a counter-clockwise display rotation (degrees, multiple of 90) to an ``(H, W, 3)`` array."""
    k = (rotation // 90) % 4
    return np.ascontiguousarray(np.rot90(image, k)) if k else image


def selective_ok(container, stream) -> bool:
    """Whether :func:`plan_nonref` applies: a codec and container from the lists above."""
    names = set(container.format.name.split(","))
    codec = stream.codec_context.codec
    return bool(names & set(SELECTIVE_FORMATS)) and codec is not None and codec.name in SELECTIVE_CODECS


# Skip non-reference frames when the video has at least this many frames per analysis frame.
SKIP_NONREF_RATIO = 2.5
# Converted frames waiting to be yielded while decoding goes on (bounds memory).
MAX_PENDING = 2
# Exact sampling decodes a non-reference frame only when it is on screen at an analysis time; this needs
# one packet per frame (no field-per-packet streams) and a codec whose non-reference frames are known.
SELECTIVE_FORMATS = ("mov", "mp4", "matroska", "webm")
SELECTIVE_CODECS = ("h264", "hevc")
# Packets looked at on either side (decode order) to find the next presentation time; H.264/HEVC
# reorder at most 16 frames. A window too small only makes the choice more conservative.
LOOKAROUND = 40


def plan_nonref(packets: Iterator, codec_context, time_base, origin: float, step: float) -> Iterator:
    """Pass ``packets`` through, setting the decoder to skip each non-reference frame nobody will see.

    A packet's frame is decoded in full when an analysis time ``k * step`` falls in
    ``[t, t_next)``, where ``t_next`` is the next presentation time among nearby packets (no next or
    no earlier one, no timestamp, or a duplicated one: decoded). FFmpeg copies ``skip_frame`` into the
    decoder thread with each packet, so the choice applies to exactly that packet; reference frames
    are always decoded. The frames shown are therefore the same as when every frame is decoded.
    """
    eps = 1e-6
    ahead: deque = deque()
    behind: deque = deque(maxlen=LOOKAROUND)
    source = iter(packets)
    exhausted = False
    while True:
        while not exhausted and len(ahead) <= LOOKAROUND:
            packet = next(source, None)
            if packet is None:
                exhausted = True
            else:
                ahead.append(packet)
        if not ahead:
            return
        packet = ahead.popleft()
        pts = packet.pts
        needed = True
        if pts is not None:
            nearby = [p.pts for p in ahead if p.pts is not None] + list(behind)
            later = [q for q in nearby if q > pts]
            first = not any(q < pts for q in nearby)  # the first frame is also shown before its time
            if later and not first and pts not in nearby:
                t = float(pts * time_base) - origin
                t_next = float(min(later) * time_base) - origin
                needed = ceil((t - eps) / step) * step < t_next + eps
            behind.append(pts)
        codec_context.skip_frame = "DEFAULT" if needed else "NONREF"
        yield packet


def iter_video_frames(
    path: str | os.PathLike, fps: float | None = 4.0, max_size: int | None = 1024, exact: bool = False
) -> Iterator[Frame]:
    """Stream frames of a video sampled at ``fps`` (``None``: every decoded frame at its own time).

    At most the previous decoded frame is held besides the decoder's own buffers, and up to
    ``MAX_PENDING + 1`` converted frames; a frame is converted to RGB (and scaled so that its long side
    is at most ``max_size``) only when it is emitted, on a worker thread while the next frames decode.

    Unless ``exact``, when the video runs at ``SKIP_NONREF_RATIO``× the analysis rate or more, the decoder
    skips non-reference frames (B-frames nothing depends on; FFmpeg ``skip_frame=nonref``): about half
    the decoding work for typical H.264/HEVC, and the frame shown at ``t`` may then be one source frame
    older than the exact one (``source_time_s`` says which it is). With ``exact``, H.264/HEVC in
    MP4/MOV/MKV still skip the non-reference frames that no analysis time shows (:func:`plan_nonref`).
    """
    path = Path(path)
    with open_container(path) as container:
        stream = video_stream(container)
        if stream is None:
            raise MediaError(f"{path}: has no video stream")
        check_decodable(path, stream)
        native_fps = stream_fps(path, stream)
        stream.thread_type = "AUTO"
        origin = container_origin(container)
        time_base = stream.time_base or Fraction(1, 90000)
        step = None if fps is None else 1.0 / fps
        packets = None
        if fps is not None and native_fps >= SKIP_NONREF_RATIO * fps:
            if not exact:
                stream.codec_context.skip_frame = "NONREF"
            elif selective_ok(container, stream):
                packets = plan_nonref(container.demux(stream), stream.codec_context, time_base, origin, step)
        k = 0
        previous = None  # (time_s, av frame, future of its converted image or None)
        last_time = None
        n_decoded = 0
        pending: deque = deque()  # (time_s, future image, source_time_s, index), not yet yielded

        def convert(frame) -> np.ndarray:
            rotation = int(round(frame.rotation / 90.0)) * 90 % 360
            w, h = (frame.height, frame.width) if rotation in (90, 270) else (frame.width, frame.height)
            tw, th = fit_size(w, h, max_size)
            if rotation in (90, 270):
                tw, th = th, tw
            # One swscale thread: a fresh context per frame makes its thread pool cost more than it saves.
            image = frame.reformat(width=tw, height=th, format="rgb24", threads=1).to_ndarray()
            return rotate_image(image, rotation)

        def ready(wait: bool) -> Iterator[Frame]:
            """Pending frames in order: those already converted, or all of them when ``wait``."""
            while pending and (wait or len(pending) > MAX_PENDING or pending[0][1].done()):
                time_s, future, source_s, index = pending.popleft()
                yield Frame(time_s, future.result(), source_s, index)

        # Frames are converted on a worker thread (swscale releases the GIL) while the next ones decode.
        with ThreadPoolExecutor(max_workers=1, thread_name_prefix="see2sound-rgb") as pool:
            try:
                for frame in decode_frames(path, container, stream, packets):
                    if frame.width * frame.height > MAX_PIXELS:
                        size = f"{frame.width}x{frame.height}"
                        raise MediaError(f"{path}: video frames of {size} are over the pixel limit")
                    if frame.pts is not None:
                        t = float(frame.pts * time_base) - origin
                    else:
                        t = (last_time + 1.0 / native_fps) if last_time is not None else 0.0
                    if last_time is not None and t <= last_time:  # out-of-order or duplicate timestamp
                        t = last_time + 1e-6
                    last_time = t
                    n_decoded += 1
                    if step is None:
                        yield Frame(t, convert(frame), t, n_decoded - 1)
                        continue
                    if previous is not None:
                        while k * step < t:
                            if previous[2] is None:
                                previous = (previous[0], previous[1], pool.submit(convert, previous[1]))
                            pending.append((k * step, previous[2], previous[0], k))
                            k += 1
                    previous = (t, frame, None)
                    yield from ready(wait=False)
                yield from ready(wait=True)
            except av.error.FFmpegError as exc:
                yield from ready(wait=True)
                raise MediaError(f"{path}: cannot decode the video ({' '.join(str(exc).split())})") from None
            except MediaError:
                yield from ready(wait=True)
                raise
        if n_decoded == 0:
            raise MediaError(f"{path}: contains no video frames")
        if step is not None and previous is not None:
            end = previous[0] + 1.0 / native_fps  # the last frame is shown for one frame period
            image = None
            while k * step < end or k == 0:
                image = convert(previous[1]) if image is None else image
                yield Frame(k * step, image, previous[0], k)
                k += 1
