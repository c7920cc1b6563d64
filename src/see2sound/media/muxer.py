"""Put a spatial audio track into a video (stream copy), or turn a still image or GIF into a video with it.

Codec choice (by the audio's layout and the output container):

============================  ===========================  ==========================  =====================
layout                        MP4 / M4V                    MOV                         MKV
============================  ===========================  ==========================  =====================
mono, stereo, binaural        AAC 128 / 192 kbit/s         AAC                         AAC
5.1, 7.1                      AAC 448 / 576 kbit/s         AAC                         AAC
7.1.4 (12 ch)                 PCM 24-bit (layout kept)     PCM 24-bit (layout kept)    PCM 24-bit
AmbiX FOA / HOA2 / HOA3       Opus, mapping family 2,      PCM 24-bit + ``SA3D``       Opus, family 2
                              ≥ 512 kbit/s + ``SA3D``
other channel counts          PCM 24-bit                   PCM 24-bit                  PCM 24-bit
============================  ===========================  ==========================  =====================

FFmpeg's AAC encoder has no 7.1.4 mode and Opus carries 12 channels only as "discrete" (mapping family
255, layout lost), so 7.1.4 goes in as PCM, whose MP4 (``ipcm``/``chnl``) and MOV (``chan``) boxes keep
the layout. FFmpeg's AAC encoder runs with ``aac_coder=fast`` (3–4× faster than the default two-loop
search; at these bit rates the difference is not audible). Opus only runs at 48 kHz (and AAC at the
MPEG-4 rates): other rates are resampled. In MKV the last AAC frame's padding is marked for
``DiscardPadding`` and the durations FFmpeg states (which count the codec delay in) are corrected
afterwards (:mod:`.matroska`), so the audio reads back at exactly the length put in.
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
MODES = ("replace", "keep", "mix")
ORIGINAL_AUDIO_DB = 0.0  # mode "mix": the original's loudness relative to the new track, in dB (LU)
AAC_RATES = (96000, 88200, 64000, 48000, 44100, 32000, 24000, 22050, 16000, 12000, 11025, 8000)
AAC_BITRATES = {1: 128_000, 2: 192_000, 6: 448_000, 8: 576_000}
OPUS_BITRATE_PER_CHANNEL = 128_000
OPUS_MIN_AMBISONIC_BITRATE = 512_000  # YouTube's minimum for first-order ambisonics in Opus
STILL_FPS = 2  # frame rate of the video made from a still image
MAX_VIDEO_SIDE = 4096  # pictures larger than this are scaled down for H.264
BLOCK = 4096  # samples per audio frame fed to the encoder


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
        rate = sample_rate if sample_rate in AAC_RATES else 48000
        return AudioPlan("aac", name, rate, AAC_BITRATES[n_channels], {"aac_coder": "fast"})
    return AudioPlan("pcm_s24le", name, sample_rate)


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


def encode_audio_packets(stream, y: np.ndarray, plan: AudioPlan) -> Iterator:
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
        frame.pts = start
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


def encode_ahead(out, stream, y: np.ndarray, plan: AudioPlan, pool, packets_per_task: int = 64) -> Iterator:
    """:func:`encode_audio_packets` run on ``pool``'s one thread, a batch ahead of the caller's muxing.

    FFmpeg encodes without holding the GIL, so the encoder works while the caller copies and muxes
    video packets. The encoder is opened and the header written here first, so that the worker never
    races the muxer over the stream's time base; the packets are the same as when encoding inline.
    """
    stream.codec_context.open(strict=False)
    out.start_encoding()
    packets = encode_audio_packets(stream, y, plan)
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


def encode_picture_packets(out, info: MediaInfo, duration_s: float):
    """Add an H.264 stream showing the picture/animation and yield its packets (time base 1 ms)."""
    width, height = even_size(info.width, info.height)
    stream = out.add_stream("libx264", rate=STILL_FPS if info.kind == "image" else 25)
    stream.width, stream.height, stream.pix_fmt = width, height, "yuv420p"
    stream.time_base = Fraction(1, 1000)
    stream.codec_context.time_base = Fraction(1, 1000)
    tune = "stillimage" if info.kind == "image" else "animation"
    stream.options = {"preset": "veryfast", "crf": "20", "tune": tune}

    def packets():
        end_ms = int(round(duration_s * 1000))
        last_pts = -1
        for image, start in picture_frames(info, duration_s):
            pts = int(round(start * 1000))
            if pts <= last_pts or pts >= end_ms:
                continue
            frame = av.VideoFrame.from_ndarray(image, format="rgb24")
            if (frame.width, frame.height) != (width, height):
                frame = frame.reformat(width=width, height=height)
            frame = frame.reformat(format="yuv420p")
            frame.pts = pts
            frame.time_base = Fraction(1, 1000)
            last_pts = pts
            yield from stream.encode(frame)
        yield from stream.encode(None)

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
        A video (its video stream is copied, not re-encoded), or a still image / animation (encoded as
        H.264 4:2:0 showing the picture, or the looping animation, for the audio's duration).
    audio : str, PathLike or np.ndarray
        A spatial audio file (WAV/FLAC with its channel mask, or anything FFmpeg decodes) or an array
        ``(channels, samples)`` with ``sample_rate``.
    output : str or PathLike
        ``.mp4``, ``.m4v``, ``.mov`` or ``.mkv``; written atomically.
    mode : {"replace", "keep", "mix"}
        Drop the input's audio, keep it as a second track (stream copy), or mix it into the new track.
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
            track = write_muxed(tmp, container_format, options, info, y, plan, keep_original=(mode == "keep"))
            if container_format == "matroska":  # durations without the codec delay FFmpeg counts in
                fix_codec_delay_durations(tmp, {track: y.shape[1] / plan.sample_rate})
            if plan.spatial is not None:
                inject_sa3d(tmp, plan.spatial, track=0)
            if container_format in ("mp4", "mov") and (
                info.projection == "equirect" if spherical is None else spherical
            ):
                inject_spherical(tmp)  # 360° players need the video marked, not only the audio
    except (av.error.FFmpegError, ValueError) as exc:
        hint = "; .mkv takes any codec" if container_format != "matroska" else ""
        raise MediaError(f"{output}: cannot write ({' '.join(str(exc).split())}){hint}") from None
    except OSError as exc:
        raise MediaError(f"{output}: cannot write ({exc.strerror or exc})") from None
    return output


def write_muxed(
    path: Path,
    container_format: str,
    options: dict,
    info: MediaInfo,
    y: np.ndarray,
    plan: AudioPlan,
    keep_original: bool,
) -> int:
    """Write the output container: video (copied or encoded), the new audio first, originals after.

    Returns the new audio's track number (stream index + 1, as Matroska counts them).
    """
    duration_s = y.shape[1] / plan.sample_rate
    with av.open(str(path), "w", format=container_format, options=options) as out:
        if info.kind == "video":
            # Opened directly (open_media has vetted it) so that a muxer error is reported as one.
            with av.open(str(info.path), metadata_errors="replace") as inp:
                vin = video_stream(inp)
                check_decodable(info.path, vin)
                vout = out.add_stream_from_template(vin)
                audio_out = add_audio_stream(out, plan)
                copies = {vin.index: vout}
                if keep_original:
                    for stream in inp.streams.audio:
                        copies[stream.index] = out.add_stream_from_template(stream)
                        copies[stream.index].disposition = 0
                audio_out.disposition = av.stream.Disposition.default

                def copied():
                    for packet in inp.demux([inp.streams[i] for i in copies]):
                        if packet.dts is None and packet.pts is None:
                            continue
                        packet.stream = copies[packet.stream.index]
                        yield packet

                with ThreadPoolExecutor(max_workers=1, thread_name_prefix="see2sound-encode") as pool:
                    _mux_in_time_order(out, [copied(), encode_ahead(out, audio_out, y, plan, pool)])
        else:
            _, video_packets = encode_picture_packets(out, info, duration_s)
            audio_out = add_audio_stream(out, plan)
            audio_packets = encode_audio_packets(audio_out, y, plan)
            if container_format == "matroska":
                audio_packets = mark_end_padding(audio_packets, audio_out.codec_context)
            _mux_in_time_order(out, [video_packets, audio_packets])
    return audio_out.index + 1


def _mux_in_time_order(out, sources) -> None:
    for packet in heapq.merge(*sources, key=packet_time):
        out.mux(packet)
