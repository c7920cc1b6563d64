"""The same mux twice gives the same bytes (MP4, MOV and MKV), with the audio encoded ahead on a thread."""

from __future__ import annotations

import numpy as np
import pytest

from see2sound.media import mux, read_audio_track

from .makers import make_video


@pytest.mark.parametrize(("fmt", "suffix"), [("5.1", ".mp4"), ("stereo", ".mkv"), ("7.1", ".mov")])
def test_same_input_same_bytes(tmp_path, fmt, suffix):
    clip = make_video(tmp_path / "clip.mp4", fps=25, n_frames=50)
    n = {"5.1": 6, "stereo": 2, "7.1": 8}[fmt]
    y = (0.1 * np.random.default_rng(3).standard_normal((n, 48000 * 2))).astype(np.float32)
    first = mux(clip, y, tmp_path / f"a{suffix}", sample_rate=48000, fmt=fmt)
    second = mux(clip, y, tmp_path / f"b{suffix}", sample_rate=48000, fmt=fmt)
    assert first.read_bytes() == second.read_bytes()
    decoded = read_audio_track(first, 48000)
    assert decoded.shape[0] == n
    # MP4/MOV state the track's duration (edit list); MKV its duration without the codec delay
    assert decoded.shape[1] == 48000 * 2
