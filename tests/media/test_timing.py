"""Timing of what mux writes: audio starts with the first picture shown and ends with the last."""

from __future__ import annotations

import av
import numpy as np
import pytest
from PIL import Image

from see2sound.media import mux

SR = 48000


def xvid_avi(path, n_frames: int = 24, fps: int = 24):
    """MPEG-4 part 2 with B-frames in AVI: its first packet is shown one frame after the stream's start."""
    with av.open(str(path), "w") as c:
        s = c.add_stream("mpeg4", rate=fps)
        s.width, s.height, s.pix_fmt = 64, 48, "yuv420p"
        s.codec_context.max_b_frames = 2
        for i in range(n_frames):
            frame = av.VideoFrame.from_ndarray(np.full((48, 64, 3), 10 * i, np.uint8), format="rgb24")
            frame.pts = i
            for packet in s.encode(frame):
                c.mux(packet)
        for packet in s.encode(None):
            c.mux(packet)
    return path


def shown_spans(path) -> tuple[tuple[float, float], tuple[float, float], float]:
    """(first picture, end of the last picture), (first audible sample, end of the audio), frame period."""
    with av.open(str(path)) as c:
        v = c.streams.video[0]
        frames = [
            (float(f.pts * f.time_base), f.duration * f.time_base if f.duration else None)
            for f in c.decode(v)
        ]
        period = float(1 / v.average_rate)
    with av.open(str(path)) as c:
        a = c.streams.audio[0]
        onset = end = None
        for f in c.decode(a):
            x = np.abs(f.to_ndarray().reshape(-1, f.samples) if f.format.is_planar else f.to_ndarray()).max(
                axis=0
            )
            t0 = float(f.pts * f.time_base)
            if onset is None and (x > 0.05).any():
                onset = t0 + int(np.argmax(x > 0.05)) / f.sample_rate
            end = t0 + f.samples / f.sample_rate
    last = frames[-1][0] + float(frames[-1][1] or period)
    return (frames[0][0], last), (onset, end), period


@pytest.mark.parametrize("suffix", [".mp4", ".mov", ".mkv"])
def test_audio_starts_with_the_first_picture_of_a_b_frame_avi(tmp_path, suffix):
    clip = xvid_avi(tmp_path / "xvid.avi")
    with av.open(str(clip)) as c:
        first_pts = min(p.pts for p in c.demux(c.streams.video[0]) if p.pts is not None)
    assert first_pts == 1  # the AVI's first picture is shown at one frame, not at 0
    y = np.full((2, SR), 0.3, np.float32)  # loud from the first sample
    out = mux(clip, y, tmp_path / f"out{suffix}", sample_rate=SR, fmt="stereo")
    (v0, v1), (a0, a1), period = shown_spans(out)
    assert abs(a0 - v0) <= 0.003, (a0, v0)  # within a few ms (MP4 edit lists count in ms)
    assert abs(a1 - v1) <= period, (a1, v1)


@pytest.mark.parametrize("suffix", [".mp4", ".mkv"])
def test_gif_video_ends_with_its_audio_and_keeps_the_last_delay(tmp_path, suffix):
    frames = [Image.fromarray(np.full((48, 64, 3), c, np.uint8)) for c in (0, 100, 200)]
    gif = tmp_path / "d.gif"
    frames[0].save(gif, save_all=True, append_images=frames[1:], duration=[100, 100, 1000], loop=0)
    out = mux(
        gif,
        np.full((2, int(1.2 * SR)), 0.3, np.float32),
        tmp_path / f"d{suffix}",
        sample_rate=SR,
        fmt="stereo",
    )
    with av.open(str(out)) as c:
        v = c.streams.video[0]
        packets = sorted((p.pts * p.time_base, p.duration * p.time_base) for p in c.demux(v) if p.size)
    assert float(packets[-1][0]) == pytest.approx(0.2, abs=0.002)
    assert float(packets[-1][1]) == pytest.approx(1.0, abs=0.002)  # the last frame's own delay, not 1/25 s
    (v0, v1), (a0, a1), period = shown_spans(out)
    assert v0 == 0 and abs(a1 - v1) <= 0.04
