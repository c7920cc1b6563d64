"""Media made inside the tests: videos with chosen timing, rotation and audio; images; audio files."""

from __future__ import annotations

from fractions import Fraction
from pathlib import Path

import av
import numpy as np


def grey_levels(index: int) -> tuple[int, int]:
    """The grey levels (left half, right half) that identify frame ``index`` (robust to H.264)."""
    return 20 + 12 * (index % 18), 20 + 12 * (index // 18)


def frame_index(image: np.ndarray) -> int:
    """Inverse of :func:`grey_levels` for frames made by :func:`make_video` (up to 324 frames)."""
    height, width = image.shape[:2]
    rows = slice(height // 4, height * 3 // 4)
    left = float(np.median(image[rows, : width // 4, 1]))
    right = float(np.median(image[rows, width * 3 // 4 :, 1]))
    return int(round((left - 20) / 12)) + 18 * int(round((right - 20) / 12))


def tone(frequency: float, n: int, sr: int = 48000, amplitude: float = 0.25) -> np.ndarray:
    return (amplitude * np.sin(2 * np.pi * frequency * np.arange(n) / sr)).astype(np.float32)


def encode_audio(container, stream, y: np.ndarray, layout: str, sr: int, start: int = 0):
    for k in range(0, y.shape[1], 4800):
        block = np.ascontiguousarray(y[:, k : k + 4800].T).reshape(1, -1)
        frame = av.AudioFrame.from_ndarray(block, format="flt", layout=layout)
        frame.sample_rate = sr
        frame.pts = start + k
        frame.time_base = Fraction(1, sr)
        for packet in stream.encode(frame):
            container.mux(packet)
    for packet in stream.encode(None):
        container.mux(packet)


def make_video(
    path: Path,
    fps: float = 25,
    n_frames: int = 50,
    size: tuple[int, int] = (64, 48),
    rotation: int | None = None,
    audio: np.ndarray | None = None,
    audio_layout: str = "stereo",
    audio_codec: str = "aac",
    sr: int = 48000,
    frame_times_ms: list[int] | None = None,
    codec: str = "libx264",
    marker: bool = False,
    options: dict | None = None,
    pix_fmt: str = "yuv420p",
    audio_options: dict | None = None,
) -> Path:
    """Encode a video whose frame ``i`` is uniformly :func:`grey_level` ``(i)``.

    ``frame_times_ms`` gives variable timestamps (time base 1 ms, MKV keeps them as written);
    ``marker`` paints the top eighth red to check orientation; ``audio`` adds a track.
    """
    width, height = size
    with av.open(str(path), "w", options=options or {}) as container:
        stream = container.add_stream(codec, rate=Fraction(fps).limit_denominator(1000))
        stream.width, stream.height, stream.pix_fmt = width, height, pix_fmt
        if frame_times_ms is not None:
            stream.time_base = Fraction(1, 1000)
            stream.codec_context.time_base = Fraction(1, 1000)
        if rotation is not None:
            stream.set_display_rotation(rotation)
        astream = None
        if audio is not None:
            extra = {"options": {"mapping_family": "2"}} if audio_layout.startswith("ambisonic") else {}
            if audio_options:
                extra = {"options": {**extra.get("options", {}), **audio_options}}
            astream = container.add_stream(audio_codec, rate=sr, layout=audio_layout, **extra)
        times = frame_times_ms if frame_times_ms is not None else None
        for i in range(n_frames if times is None else len(times)):
            image = np.empty((height, width, 3), np.uint8)
            image[:, : width // 2], image[:, width // 2 :] = grey_levels(i)
            if marker:
                image[: max(2, height // 8)] = (255, 0, 0)
            frame = av.VideoFrame.from_ndarray(image, format="rgb24")
            if pix_fmt != "yuv420p":
                frame = frame.reformat(format=pix_fmt)
            if times is not None:
                frame.pts = times[i]
                frame.time_base = Fraction(1, 1000)
            for packet in stream.encode(frame):
                container.mux(packet)
        for packet in stream.encode(None):
            container.mux(packet)
        if astream is not None:
            encode_audio(container, astream, audio, audio_layout, sr)
    return path


def video_packets(path: Path, stream_type: str = "video", index: int = 0) -> list[bytes]:
    with av.open(str(path)) as container:
        stream = getattr(container.streams, stream_type)[index]
        return [bytes(p) for p in container.demux(stream) if p.size]


def audio_stream_facts(path: Path, index: int = 0) -> dict:
    with av.open(str(path)) as container:
        stream = container.streams.audio[index]
        return {
            "codec": stream.codec_context.name,
            "layout": stream.layout.name,
            "channels": stream.channels,
            "rate": stream.sample_rate,
            "duration": float(stream.duration * stream.time_base) if stream.duration else None,
            "n_audio": len(container.streams.audio),
        }
