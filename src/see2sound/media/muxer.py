"""Put a spatial audio track into a video (stream copy), or turn a still image or GIF into a video with it.

Codec choice (by the audio's layout and the output container):

============================  ===========================  ==========================  =====================
layout                        MP4 / M4V                    MOV                         MKV
============================  ===========================  ==========================  =====================
mono, stereo, binaural        AAC 128 / 192 kbit/s         AAC                         Opus 128 / 192 kbit/s
5.1, 7.1                      AAC 448 / 576 kbit/s         AAC                         Opus 448 / 576 kbit/s
7.1.4 (12 ch)                 PCM 24-bit (layout kept)     PCM 24-bit (layout kept)    PCM 24-bit
AmbiX FOA / HOA2 / HOA3       Opus, mapping family 2,      PCM 24-bit + ``SA3D``       Opus, family 2
                              ≥ 512 kbit/s + ``SA3D``
other channel counts          PCM 24-bit                   PCM 24-bit                  PCM 24-bit
============================  ===========================  ==========================  =====================

FFmpeg's AAC encoder has no 7.1.4 mode and Opus carries 12 channels only as "discrete" (mapping family
255, layout lost), so 7.1.4 goes in as PCM, whose MP4 (``ipcm``/``chnl``) and MOV (``chan``) boxes keep
the layout; FFmpeg 5 (Debian 12) decodes PCM in MP4 as noise, so :func:`choose_container` puts it in MOV.
MKV gets Opus rather than AAC: FFmpeg 5 plays AAC's 1024 priming samples in Matroska (it honours
``CodecDelay`` for Opus only). FFmpeg's AAC encoder runs with ``aac_coder=fast`` (3–4× faster than the
default two-loop search; at these bit rates the difference is not audible). Opus only runs at 48 kHz (and
AAC at the MPEG-4 rates): other rates are resampled. In MKV the last AAC frame's padding is marked for
``DiscardPadding`` and the durations FFmpeg states (which count the codec delay in) are corrected
afterwards (:mod:`.matroska`), so the audio reads back at exactly the length put in.

The output container follows the input's codecs (:func:`choose_container`, measured by :func:`copy_refusal`);
a video codec none of MP4, MOV and MKV takes is re-encoded as H.264.
"""

from __future__ import annotations

import heapq
import os
import struct
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from fractions import Fraction
from itertools import islice
from math import ceil
from pathlib import Path

import av
import numpy as np
from av.packet import PacketSideData, packet_sidedata_type_from_literal

from ..errors import MediaError
from ..fileio import atomic_output, check_output
from ..formats import Format, get_format
from ..log import get_logger
from .audio import guess_format, read_audio, read_audio_track, read_channel_mask, resample
from .containers import check_decodable
from .images import iter_animation, read_image
from .info import MediaInfo
from .matroska import fix_codec_delay_durations
from .probe import open_media
from .sa3d import SpatialAudio, inject_sa3d
from .spherical import inject_spherical
from .video import video_stream

log = get_logger(__name__)

CONTAINERS = {".mp4": "mp4", ".m4v": "mp4", ".mov": "mov", ".mkv": "matroska"}
CONTAINER_ORDER = ("mp4", "mov", "matroska")  # the output container chosen first that takes the streams
SUFFIXES = {"mp4": ".mp4", "mov": ".mov", "matroska": ".mkv"}
MODES = ("replace", "keep", "mix")
ORIGINAL_AUDIO_DB = 0.0  # mode "mix": the original's loudness relative to the new track, in dB (LU)
AAC_RATES = (96000, 88200, 64000, 48000, 44100, 32000, 24000, 22050, 16000, 12000, 11025, 8000)
AAC_BITRATES = {1: 128_000, 2: 192_000, 6: 448_000, 8: 576_000}
OPUS_BITRATE_PER_CHANNEL = 128_000
OPUS_MIN_AMBISONIC_BITRATE = 512_000  # YouTube's minimum for first-order ambisonics in Opus
STILL_FPS = 2  # frame rate of the video made from a still image
MAX_VIDEO_SIDE = 4096  # pictures larger than this are scaled down for H.264
BLOCK = 4096  # samples per audio frame fed to the encoder
X264_THREADS = 2  # H.264 encoder threads, fixed so that the bytes do not depend on the machine's cores


@dataclass(frozen=True)
class AudioPlan:
    """How one audio track is encoded: codec, FFmpeg layout, bit rate, rate, encoder options, SA3D."""

    codec: str
    layout: str
    sample_rate: int
    bit_rate: int | None = None
    options: dict = field(default_factory=dict)
    spatial: SpatialAudio | None = None


def ffmpeg_layout_name(layout: Format | None, n_channels: int) -> str:
    if layout is not None:
        return layout.ffmpeg_layout
    return "mono" if n_channels == 1 else f"{n_channels} channels"


def plan_audio(layout: Format | None, n_channels: int, sample_rate: int, container: str) -> AudioPlan:
    """Choose the codec for ``n_channels`` of ``layout`` in ``container`` (``mp4``, ``mov``, ``matroska``)."""
    name = ffmpeg_layout_name(layout, n_channels)
    if layout is not None and layout.is_ambisonic:
        spatial = SpatialAudio.ambix(layout.ambisonic_order)
        if container == "mov":
            return AudioPlan("pcm_s24le", name, sample_rate, spatial=spatial)
        bit_rate = max(OPUS_MIN_AMBISONIC_BITRATE, OPUS_BITRATE_PER_CHANNEL * n_channels)
        return AudioPlan(
            "libopus",
            name,
            48000,
            bit_rate,
            {"mapping_family": "2"},
            spatial=spatial if container == "mp4" else None,
        )
    if n_channels in AAC_BITRATES and (layout is not None or n_channels == 1):
        if container == "matroska":  # AAC's priming in MKV is dropped by FFmpeg 7+ only: Opus everywhere
            return AudioPlan("libopus", name, 48000, AAC_BITRATES[n_channels])
        rate = sample_rate if sample_rate in AAC_RATES else 48000
        return AudioPlan("aac", name, rate, AAC_BITRATES[n_channels], {"aac_coder": "fast"})
    return AudioPlan("pcm_s24le", name, sample_rate)


def pcm_in_mp4(plan: AudioPlan, container: str) -> bool:
    """Whether this is PCM in MP4 (``ipcm``), which FFmpeg before 6 (Debian 12's 5.1) decodes as noise."""
    return container == "mp4" and plan.codec.startswith("pcm_")


def copy_refusal(container: str, streams) -> str | None:
    """Why ``container`` cannot take a stream copy of ``streams`` (PyAV input streams), or ``None``.

    Measured, not looked up: the streams' first packets are muxed into an in-memory file, header and
    trailer included (FFmpeg refuses some codecs only there: PCM ``s16le`` in MP4, VP9 in MOV).
    """
    import io

    streams = list(streams)
    if not streams:
        return None
    inp = streams[0].container
    try:
        with av.open(io.BytesIO(), "w", format=container) as out:
            copies = {s.index: out.add_stream_from_template(s) for s in streams}
            out.start_encoding()
            waiting = set(copies)
            for packet in islice(inp.demux(streams), 256):
                if packet.stream.index in waiting and packet.dts is not None and packet.size:
                    packet.stream = copies[packet.stream.index]
                    out.mux(packet)
                    waiting.discard(packet.stream.index)
                if not waiting:
                    break
    except (av.error.FFmpegError, ValueError) as exc:
        return " ".join(str(exc).split())
    finally:
        inp.seek(0)
    return None


def copied_streams(inp, keep_original: bool) -> list:
    """The input streams a stream copy takes over: the video, and the audio when it is kept."""
    streams = [video_stream(inp)]
    return streams + list(inp.streams.audio) if keep_original else streams


def choose_container(
    input_path: str | os.PathLike, fmt: str | Format | None, n_channels: int, mode: str = "replace"
) -> str:
    """The output suffix for muxing ``input_path``: ``.mp4`` when its codecs allow, else ``.mov``, ``.mkv``.

    A picture or GIF becomes H.264 (any of the three). A video's copied streams (the video, and its audio
    with ``mode="keep"``) must be taken by the container (:func:`copy_refusal`), and the new audio track must
    play: 12-channel PCM (7.1.4) is not put into MP4 (:func:`pcm_in_mp4`). When no container takes the
    video, the video is re-encoded as H.264 (:func:`mux`) and the choice is made for the audio alone.
    """
    layout = get_format(fmt) if isinstance(fmt, str) else fmt
    order = list(CONTAINER_ORDER)
    order = [c for c in order if not pcm_in_mp4(plan_audio(layout, n_channels, 48000, c), c)]
    info = open_media(input_path)
    if info.kind == "video":
        with av.open(str(info.path), metadata_errors="replace") as inp:
            for keep in (True, False) if mode == "keep" else (False,):
                streams = copied_streams(inp, keep)
                for container in order:
                    if copy_refusal(container, streams) is None:
                        return SUFFIXES[container]
    return SUFFIXES[order[0]]


def resolve_audio(
    audio: str | os.PathLike | np.ndarray, sample_rate: int | None, fmt: str | Format | None
) -> tuple[np.ndarray, int, Format | None]:
    """The audio as float32 ``(channels, samples)``, its rate and its layout."""
    if isinstance(audio, np.ndarray):
        if sample_rate is None:
            raise MediaError("mux: an audio array needs its sample_rate")
        y = np.atleast_2d(np.asarray(audio, dtype=np.float32))
        mask = None
        where = "audio array"
    else:
        y, sample_rate = read_audio(audio)
        mask = read_channel_mask(audio)
        where = str(audio)
    if y.shape[1] == 0:
        raise MediaError(f"{where}: contains no audio samples")
    if not np.all(np.isfinite(y)):
        raise MediaError(f"{where}: contains NaN or infinite samples")
    if not 8000 <= int(sample_rate) <= 192000:
        raise MediaError(f"{where}: sample rate {sample_rate} Hz is outside 8–192 kHz")
    layout = get_format(fmt) if isinstance(fmt, str) else fmt
    if layout is None:
        layout = guess_format(y.shape[0], mask)
    elif layout.n_channels != y.shape[0]:
        raise MediaError(f"{where}: {layout.name} needs {layout.n_channels} channels, got {y.shape[0]}")
    return y, int(sample_rate), layout


def mix_original(
    y: np.ndarray,
    layout: Format | None,
    original: np.ndarray,
    sample_rate: int,
    original_db: float = ORIGINAL_AUDIO_DB,
) -> np.ndarray:
    """Add the input's own audio to the new track, ``original_db`` dB relative to it.

    Same channel count: channel by channel. Otherwise the original is taken as mono (one channel) or its
    first two channels as L/R: into L/R of loudspeaker and binaural layouts (a mono original into C, or
    L and R at −3 dB), and into W only for ambisonics (non-directional). The original so placed is
    scaled so that its integrated loudness (ITU-R BS.1770, the layout's channel weights) is
    ``original_db`` LU above the new track's (0: equally loud); a silent track on either side leaves
    it unscaled. The sum is scaled down if it would clip.
    """
    from ..spatial.loudness import channel_weights, integrated_loudness

    n = y.shape[1]
    original = original[:, :n]
    if original.shape[1] < n:
        original = np.pad(original, ((0, 0), (0, n - original.shape[1])))
    placed = np.zeros(y.shape, np.float32)
    if original.shape[0] == placed.shape[0]:
        placed += original
    elif layout is not None and layout.is_ambisonic:
        placed[0] += original[:2].mean(axis=0)
    elif original.shape[0] == 1:
        if layout is not None and "C" in layout.channels:
            placed[layout.channels.index("C")] += original[0]
        elif placed.shape[0] >= 2:
            placed[:2] += original[0] * np.float32(10 ** (-3 / 20))
        else:
            placed[0] += original[0]
    elif placed.shape[0] >= 2:
        placed[:2] += original[:2]
    else:
        placed[0] += original[:2].mean(axis=0)
    weights = channel_weights(layout) if layout is not None else None
    new_lufs = integrated_loudness(y, sample_rate, weights)
    original_lufs = integrated_loudness(placed, sample_rate, weights)
    if np.isfinite(new_lufs) and np.isfinite(original_lufs):
        gain_db = float(original_db) - (original_lufs - new_lufs)
        log.info(
            "original audio at %.1f LUFS, new track at %.1f LUFS: original scaled by %+.1f dB",
            original_lufs,
            new_lufs,
            gain_db,
        )
        placed *= np.float32(10 ** (gain_db / 20))
    out = y.astype(np.float32, copy=True) + placed
    peak = float(np.max(np.abs(out))) if out.size else 0.0
    if peak > 1.0:
        log.warning("mixing in the original audio would clip: scaled by -%.1f dB", 20 * np.log10(peak))
        out /= np.float32(peak * 1.0001)
    return out


def encode_audio_packets(stream, y: np.ndarray, plan: AudioPlan, first: int = 0) -> Iterator:
    """Encode ``y`` block by block as float frames (the encoder re-blocks to its frame size).

    AAC gets planar float, its native format: no transpose here and no sample format conversion in
    FFmpeg (the same packets as packed input). Not for 8 channels or more: PyAV's ``AudioFrame.planes``
    then reads past ``AVFrame.data``. Other codecs get packed float.
    """
    planar = plan.codec == "aac" and y.shape[0] < 8
    for start in range(0, y.shape[1], BLOCK):
        if planar:
            block = np.ascontiguousarray(y[:, start : start + BLOCK], dtype=np.float32)
        else:
            block = np.ascontiguousarray(y[:, start : start + BLOCK].T).reshape(1, -1)
        frame = av.AudioFrame.from_ndarray(block, format="fltp" if planar else "flt", layout=plan.layout)
        frame.sample_rate = plan.sample_rate
        frame.pts = first + start  # ``first``: the first sample's time in samples (a start offset)
        frame.time_base = Fraction(1, plan.sample_rate)
        yield from stream.encode(frame)
    yield from stream.encode(None)


def mark_end_padding(packets: Iterator, codec_context) -> Iterator:
    """Pass ``packets`` through, marking the padding of the last one (``skip_samples`` side data).

    FFmpeg's AAC encoder pads the last frame to 1024 samples and says so only through that packet's
    shorter duration; Matroska keeps block durations in milliseconds, so the padding is lost unless it
    is stated as ``DiscardPadding``, which FFmpeg writes from this side data (libopus sets it itself).
    """
    last = None
    for packet in packets:
        if last is not None:
            yield last
        last = packet
    if last is None:
        return
    frame_size = int(codec_context.frame_size or 0)  # known once the encoder is open
    if frame_size and last.duration and last.time_base and not last.has_sidedata("skip_samples"):
        samples = round(last.duration * last.time_base * codec_context.sample_rate)
        if 0 < samples < frame_size:
            side_data = PacketSideData(packet_sidedata_type_from_literal("skip_samples"), 10)
            # AV_PKT_DATA_SKIP_SAMPLES: u32le skip at start, u32le discard at end, u8 reasons.
            side_data.update(struct.pack("<IIBB", 0, frame_size - samples, 0, 0))
            last.set_sidedata(side_data)
    yield last


def encode_ahead(
    out, stream, y: np.ndarray, plan: AudioPlan, pool, packets_per_task: int = 64, first: int = 0
) -> Iterator:
    """:func:`encode_audio_packets` run on ``pool``'s one thread, a batch ahead of the caller's muxing.

    FFmpeg encodes without holding the GIL, so the encoder works while the caller copies and muxes
    video packets. The encoder is opened and the header written here first, so that the worker never
    races the muxer over the stream's time base; the packets are the same as when encoding inline.
    """
    stream.codec_context.open(strict=False)
    out.start_encoding()
    packets = encode_audio_packets(stream, y, plan, first)
    if out.format.name == "matroska":
        packets = mark_end_padding(packets, stream.codec_context)

    def batch() -> list:
        return list(islice(packets, packets_per_task))

    future = pool.submit(batch)
    while True:
        done = future.result()
        if not done:
            return
        future = pool.submit(batch)
        yield from done


def add_audio_stream(out, plan: AudioPlan):
    stream = out.add_stream(plan.codec, rate=plan.sample_rate, layout=plan.layout, options=dict(plan.options))
    if plan.bit_rate:
        stream.bit_rate = plan.bit_rate
    return stream


def packet_time(packet) -> float:
    ts = packet.dts if packet.dts is not None else packet.pts
    if ts is None or packet.time_base is None:
        return float("inf")
    return float(ts * packet.time_base)


def even_size(width: int, height: int) -> tuple[int, int]:
    """A size for H.264 4:2:0: long side at most ``MAX_VIDEO_SIDE``, both sides even."""
    scale = min(1.0, MAX_VIDEO_SIDE / max(width, height))
    w, h = max(2, round(width * scale)), max(2, round(height * scale))
    return w - w % 2, h - h % 2


def picture_frames(info: MediaInfo, duration_s: float) -> Iterator[tuple[np.ndarray, float]]:
    """``(image, start_s)`` covering ``[0, duration_s)``: a still every 1/STILL_FPS s or the animation."""
    if info.kind == "image":
        image, _ = read_image(info.path)
        for k in range(max(1, ceil(duration_s * STILL_FPS))):
            yield image, k / STILL_FPS
        return
    plays = 0
    start = 0.0
    last = None
    while start < duration_s:
        for image, delay in iter_animation(info.path):
            if start >= duration_s:
                return
            yield image, start
            last = image
            start += delay
        plays += 1
        if info.loop_count and plays >= info.loop_count:  # finite loop count: hold the last frame
            if last is not None and start < duration_s:
                yield last, start
            return


def add_h264_stream(out, width: int, height: int, tune: str, time_base=Fraction(1, 1000), rate=25):
    """Add an H.264 (yuv420p, even size) stream; returns it and ``encode(frame or None) -> packets``.

    Frames keep their ``pts`` (in ``time_base``) and are scaled to the stream's size.
    """
    width, height = even_size(width, height)
    stream = out.add_stream("libx264", rate=rate)
    stream.width, stream.height, stream.pix_fmt = width, height, "yuv420p"
    stream.time_base = time_base
    stream.codec_context.time_base = time_base
    # a fixed thread count: x264's frame threads constrain motion search, so its bytes depend on the count
    stream.options = {"preset": "veryfast", "crf": "20", "tune": tune, "threads": str(X264_THREADS)}

    durations: dict[int, int] = {}  # pts -> duration of the frames sent: the packets get them

    def encode(frame):
        if frame is not None:
            pts, duration = frame.pts, frame.duration
            if (frame.width, frame.height, frame.format.name) != (width, height, "yuv420p"):
                frame = frame.reformat(width=width, height=height, format="yuv420p")
            frame.pts, frame.time_base = pts, time_base
            if duration:
                durations[pts] = duration
        for packet in stream.encode(frame):
            if packet.pts in durations:  # libx264 states 1/rate; the muxer keeps the last frame's
                packet.duration = durations.pop(packet.pts)
            yield packet

    return stream, encode


def _picture_frame(image: np.ndarray, pts_ms: int, end_ms: int):
    """A frame shown from ``pts_ms`` to ``end_ms`` (its duration is the packet's: the last frame keeps it)."""
    frame = av.VideoFrame.from_ndarray(image, format="rgb24")
    frame.pts, frame.duration = pts_ms, max(1, end_ms - pts_ms)
    return frame


def encode_picture_packets(out, info: MediaInfo, duration_s: float):
    """Add an H.264 stream showing the picture/animation and yield its packets (time base 1 ms).

    The last frame is held to ``duration_s`` (an animation's last frame keeps its own delay: the packet
    durations come from the next frame's time, and a final frame repeats the last picture at the end).
    """
    tune = "stillimage" if info.kind == "image" else "animation"
    stream, encode = add_h264_stream(
        out, info.width, info.height, tune, rate=STILL_FPS if info.kind == "image" else 25
    )

    def packets():
        end_ms = int(round(duration_s * 1000))
        held = None  # (image, pts): sent once the next frame's time (its end) is known
        for image, start in picture_frames(info, duration_s):
            pts = int(round(start * 1000))
            if held is not None and pts <= held[1]:
                continue
            if pts >= end_ms:
                break
            if held is not None:
                yield from encode(_picture_frame(*held, pts))
            held = (image, pts)
        if held is not None:
            yield from encode(_picture_frame(*held, end_ms))
        yield from encode(None)

    return stream, packets()


def mux(
    video_or_image_path: str | os.PathLike,
    audio: str | os.PathLike | np.ndarray,
    output: str | os.PathLike,
    mode: str = "replace",
    overwrite: bool = False,
    sample_rate: int | None = None,
    fmt: str | Format | None = None,
    spherical: bool | None = None,
    original_db: float = ORIGINAL_AUDIO_DB,
) -> Path:
    """Write ``output`` (MP4, MOV or MKV): the input's video stream copied and ``audio`` as its sound.

    Parameters
    ----------
    video_or_image_path : str or PathLike
        A video (its video stream is copied, not re-encoded, unless no container of the three takes its
        codec: then it is re-encoded as H.264), or a still image / animation (encoded as H.264 4:2:0
        showing the picture, or the looping animation, for the audio's duration).
    audio : str, PathLike or np.ndarray
        A spatial audio file (WAV/FLAC with its channel mask, or anything FFmpeg decodes) or an array
        ``(channels, samples)`` with ``sample_rate``.
    output : str or PathLike
        ``.mp4``, ``.m4v``, ``.mov`` or ``.mkv`` (:func:`choose_container` says which one takes the input's
        codecs); written atomically.
    mode : {"replace", "keep", "mix"}
        Drop the input's audio, keep it as a second track (stream copy; re-encoded when the container does
        not take its codec), or mix it into the new track.
    fmt : str or Format, optional
        The audio's layout when the file or array does not say (``"foa"``, ``"5.1"``…).
    spherical : bool, optional
        Mark the video as 360° equirectangular (Spherical Video V1) in MP4/MOV; default: when the input
        is detected as equirectangular.
    original_db : float
        Mode ``mix``: the original's loudness relative to the new track in dB (BS.1770; default 0,
        equally loud).

    Returns
    -------
    Path
        ``output``.

    Examples
    --------
    >>> mux("clip.mp4", "clip_foa.wav", "clip_360.mp4")  # doctest: +SKIP
    PosixPath('clip_360.mp4')
    """
    output = Path(output)
    container_format = CONTAINERS.get(output.suffix.lower())
    if container_format is None:
        suffix = output.suffix or "(none)"
        raise MediaError(f"{output}: unsupported output extension {suffix}; use .mp4, .mov or .mkv")
    if mode not in MODES:
        raise MediaError(f"mux: unknown mode {mode!r}; choose one of {', '.join(MODES)}")
    if not np.isfinite(original_db):
        raise MediaError(f"--original-audio-db: expected a finite number of dB, got {original_db}")
    check_output(output, overwrite)
    info = open_media(video_or_image_path)
    if info.kind == "audio":
        raise MediaError(f"{info.path}: is an audio file; mux needs a video, an image or an animation")
    y, sr, layout = resolve_audio(audio, sample_rate, fmt)
    has_original = info.kind == "video" and bool(info.audio_streams)
    if mode != "replace" and not has_original:
        log.warning("%s has no audio track: nothing to %s", info.path, "keep" if mode == "keep" else "mix")
        mode = "replace"
    plan = plan_audio(layout, y.shape[0], sr, container_format)
    if pcm_in_mp4(plan, container_format):
        log.warning(
            "%s: %d channels as PCM in MP4 play in few players (FFmpeg 5 decodes noise); .mov is safer",
            output,
            y.shape[0],
        )
    copy = _copy_plan(info, container_format, output, keep=(mode == "keep"))
    if mode == "mix":
        original = read_audio_track(info.path, sr)
        y = mix_original(y, layout, original, sr, original_db)
    if plan.sample_rate != sr:
        y = resample(y, sr, plan.sample_rate)
    if plan.codec == "pcm_s24le":
        log.info("%s: %d channels stored as 24-bit PCM", output, y.shape[0])
    # MKV: bitexact, or FFmpeg writes a random segment UID and the same input gives different bytes.
    options = {"movflags": "+faststart"} if container_format in ("mp4", "mov") else {"fflags": "+bitexact"}
    try:
        with atomic_output(output, overwrite=overwrite) as tmp:
            track, n_samples = write_muxed(tmp, container_format, options, info, y, plan, copy)
            if container_format == "matroska":  # durations without the codec delay FFmpeg counts in
                fix_codec_delay_durations(tmp, {track: n_samples / plan.sample_rate})
            if plan.spatial is not None:
                inject_sa3d(tmp, plan.spatial, track=0)
            if container_format in ("mp4", "mov") and (
                info.projection == "equirect" if spherical is None else spherical
            ):
                inject_spherical(tmp)  # 360° players need the video marked, not only the audio
    except (av.error.FFmpegError, ValueError) as exc:
        raise MediaError(f"{output}: cannot write ({' '.join(str(exc).split())})") from None
    except OSError as exc:
        raise MediaError(f"{output}: cannot write ({exc.strerror or exc})") from None
    return output


@dataclass(frozen=True)
class CopyPlan:
    """What happens to a video input's streams: the video copied or re-encoded, which audio kept how."""

    transcode_video: bool = False
    copied_audio: tuple[int, ...] = ()  # input stream indices copied as they are
    encoded_audio: tuple[int, ...] = ()  # kept, but re-encoded (no container of the three takes them)


def _copy_plan(info: MediaInfo, container: str, output: Path, keep: bool) -> CopyPlan:
    """Check that ``container`` takes the input's streams; re-encode only what no container takes.

    A stream another container would take is refused with the suffix to use instead (measured with
    :func:`copy_refusal`, so the advice is true); one that none takes is re-encoded.
    """
    if info.kind != "video":
        return CopyPlan()
    with av.open(str(info.path), metadata_errors="replace") as inp:
        vin = video_stream(inp)
        check_decodable(info.path, vin)
        transcode = False
        reason = copy_refusal(container, [vin])
        if reason is not None:
            others = [c for c in CONTAINER_ORDER if c != container and copy_refusal(c, [vin]) is None]
            if others:
                raise MediaError(
                    f"{output}: cannot write ({reason}); use {SUFFIXES[others[0]]}, it takes this video"
                )
            log.warning(
                "%s: no MP4, MOV or MKV takes its video codec (%s): re-encoding it as H.264",
                info.path,
                info.codec,
            )
            transcode = True
        copied, encoded = [], []
        for stream in inp.streams.audio if keep else ():
            reason = copy_refusal(container, [stream])
            if reason is None:
                copied.append(stream.index)
                continue
            others = [c for c in CONTAINER_ORDER if c != container and copy_refusal(c, [stream]) is None]
            if others:
                raise MediaError(
                    f"{output}: cannot keep the original audio ({reason}); use {SUFFIXES[others[0]]}, "
                    "it takes this audio"
                )
            log.warning(
                "%s: no MP4, MOV or MKV takes its audio codec: the kept track is re-encoded", info.path
            )
            encoded.append(stream.index)
    return CopyPlan(transcode, tuple(copied), tuple(encoded))


def write_muxed(
    path: Path,
    container_format: str,
    options: dict,
    info: MediaInfo,
    y: np.ndarray,
    plan: AudioPlan,
    copy: CopyPlan,
) -> tuple[int, int]:
    """Write the output container: video (copied or encoded), the new audio first, originals after.

    Returns the new audio's track number (stream index + 1, as Matroska counts them) and its length in
    samples (a video whose first picture is shown after the container's start drops the audio before it).
    """
    duration_s = y.shape[1] / plan.sample_rate
    with av.open(str(path), "w", format=container_format, options=options) as out:
        if info.kind == "video":
            # Opened directly (open_media has vetted it) so that a muxer error is reported as one.
            with av.open(str(info.path), metadata_errors="replace") as inp:
                vin = video_stream(inp)
                if copy.transcode_video:
                    vout, encode_video = add_h264_stream(
                        out,
                        vin.codec_context.width,
                        vin.codec_context.height,
                        "film",
                        time_base=vin.time_base,
                    )
                else:
                    vout = out.add_stream_from_template(vin)
                audio_out = add_audio_stream(out, plan)
                copies = {vin.index: vout}
                for index in copy.copied_audio:
                    copies[index] = out.add_stream_from_template(inp.streams[index])
                    copies[index].disposition = 0
                kept = []
                for k, stream in enumerate(inp.streams.audio):
                    if stream.index in copy.encoded_audio:
                        original = read_audio_track(info.path, None, stream_index=k)
                        rate = int(stream.sample_rate)
                        kept_plan = plan_audio(
                            guess_format(original.shape[0]), original.shape[0], rate, container_format
                        )
                        if kept_plan.sample_rate != rate:
                            original = resample(original, rate, kept_plan.sample_rate)
                        kept_out = add_audio_stream(out, kept_plan)
                        kept_out.disposition = 0
                        kept.append(encode_audio_packets(kept_out, original, kept_plan))
                audio_out.disposition = av.stream.Disposition.default

                def copied():
                    for packet in inp.demux([inp.streams[i] for i in copies]):
                        if packet.dts is None and packet.pts is None:
                            continue
                        if copy.transcode_video and packet.stream.index == vin.index:
                            for frame in packet.decode():
                                yield from encode_video(frame)
                            continue
                        packet.stream = copies[packet.stream.index]
                        yield packet
                    if copy.transcode_video:
                        yield from encode_video(None)

                # the new audio starts with the first picture shown (its time in the input's timeline;
                # the scene's times count from the container's start, so what comes before is dropped)
                shown = first_shown_s(inp, vin)
                origin = inp.start_time / 1e6 if inp.start_time is not None else 0.0
                lead = min(max(0, round((shown - origin) * plan.sample_rate)), max(0, y.shape[1] - 1))
                n_samples = y.shape[1] - lead
                first = round(shown * plan.sample_rate)
                with ThreadPoolExecutor(max_workers=1, thread_name_prefix="see2sound-encode") as pool:
                    audio = encode_ahead(out, audio_out, y[:, lead:], plan, pool, first=first)
                    _mux_in_time_order(out, [copied(), audio, *kept])
        else:
            _, video_packets = encode_picture_packets(out, info, duration_s)
            audio_out = add_audio_stream(out, plan)
            audio_packets = encode_audio_packets(audio_out, y, plan)
            if container_format == "matroska":
                audio_packets = mark_end_padding(audio_packets, audio_out.codec_context)
            _mux_in_time_order(out, [video_packets, audio_packets])
            n_samples = y.shape[1]
    return audio_out.index + 1, n_samples


def first_shown_s(inp, stream, look: int = 64) -> float:
    """When the first picture of ``stream`` is shown: the earliest presentation time among its first
    packets, in seconds (B-frames reorder: the first packet need not be the first picture)."""
    times = []
    for packet in islice(inp.demux(stream), look):
        if packet.pts is not None and packet.size:
            times.append(float(packet.pts * packet.time_base))
    inp.seek(0)
    if times:
        return min(times)
    return float(stream.start_time * stream.time_base) if stream.start_time is not None else 0.0


def _mux_in_time_order(out, sources) -> None:
    for packet in heapq.merge(*sources, key=packet_time):
        out.mux(packet)
