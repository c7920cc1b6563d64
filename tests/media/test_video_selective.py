"""Exact sampling that skips unseen non-reference frames shows the same frames as decoding every frame."""

from __future__ import annotations

from fractions import Fraction
from math import ceil

import av
import numpy as np
import pytest

from see2sound.media import iter_frames
from see2sound.media import video as video_module


def make_b_pyramid_video(path, fps: int, n_frames: int, codec: str = "libx264") -> None:
    """Moving content with many B-frames (a B-pyramid: some B-frames are references)."""
    height, width = 48, 64
    yy, xx = np.mgrid[0:height, 0:width]
    options = {"preset": "medium", "bf": "4", "b-pyramid": "normal"} if codec == "libx264" else {}
    with av.open(str(path), "w") as container:
        stream = container.add_stream(codec, rate=Fraction(fps), options=options)
        stream.width, stream.height, stream.pix_fmt = width, height, "yuv420p"
        for i in range(n_frames):
            image = np.empty((height, width, 3), np.uint8)
            image[..., 0] = (xx * 4 + i * 9) % 256
            image[..., 1] = (yy * 5 + i * 3) % 256
            image[..., 2] = (i * 37) % 256
            for packet in stream.encode(av.VideoFrame.from_ndarray(image, format="rgb24")):
                container.mux(packet)
        for packet in stream.encode(None):
            container.mux(packet)


def on_screen(every, t: float):
    """The frame decoded without skipping that is on screen at ``t`` (the last one not after it)."""
    shown = [f for f in every if f.source_time_s <= t + 1e-9]
    return shown[-1] if shown else every[0]


@pytest.mark.parametrize(
    ("suffix", "video_fps", "fps"),
    [
        (".mp4", 30, 4),
        (".mp4", 30, 7),
        (".mkv", 25, 3),
        (".mp4", 60, 10),
        (".mov", 24, 2.5),
    ],
)
def test_exact_sampling_matches_full_decoding(tmp_path, monkeypatch, suffix, video_fps, fps):
    path = tmp_path / f"pyramid{suffix}"
    make_b_pyramid_video(path, video_fps, n_frames=3 * video_fps)
    skipped = []
    plan = video_module.plan_nonref

    def spy(packets, codec_context, *args):
        for packet in plan(packets, codec_context, *args):
            skipped.append(str(codec_context.skip_frame).upper().endswith("NONREF"))
            yield packet

    monkeypatch.setattr(video_module, "plan_nonref", spy)
    every = list(iter_frames(path, fps=None))
    assert len(every) == 3 * video_fps
    frames = list(iter_frames(path, fps=fps, exact=True))
    assert any(skipped) and not all(skipped)  # the selective path ran and skipped something
    assert [f.time_s for f in frames] == pytest.approx([k / fps for k in range(len(frames))])
    assert len(frames) == ceil(3 * fps - 1e-9)  # up to the end of the last frame (3 s)
    for f in frames:
        expected = on_screen(every, f.time_s)
        assert f.source_time_s == pytest.approx(expected.source_time_s)
        np.testing.assert_array_equal(f.image, expected.image)


def test_hevc_exact_sampling_matches_full_decoding(tmp_path):
    path = tmp_path / "pyramid_hevc.mkv"
    make_b_pyramid_video(path, 30, n_frames=60, codec="libx265")
    every = list(iter_frames(path, fps=None))
    for f in iter_frames(path, fps=4, exact=True):
        expected = on_screen(every, f.time_s)
        assert f.source_time_s == pytest.approx(expected.source_time_s)
        np.testing.assert_array_equal(f.image, expected.image)


def test_no_selective_skipping_for_other_codecs(tmp_path, monkeypatch):
    path = tmp_path / "clip.avi"
    make_b_pyramid_video(path, 30, n_frames=30, codec="mpeg4")
    calls = []
    monkeypatch.setattr(video_module, "plan_nonref", lambda *a: calls.append(a) or a[0])
    every = list(iter_frames(path, fps=None))
    frames = list(iter_frames(path, fps=4, exact=True))
    assert not calls
    for f in frames:
        np.testing.assert_array_equal(f.image, on_screen(every, f.time_s).image)
