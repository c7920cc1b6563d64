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


GIF_MUX = """
import os, sys
import numpy as np
from see2sound.media import mux
os.sched_setaffinity(0, {int(c) for c in sys.argv[3].split(",")})
mux(sys.argv[1], np.zeros((2, 48000 * 2), np.float32), sys.argv[2], sample_rate=48000, fmt="stereo")
"""


def test_gif_video_is_the_same_on_one_core_and_on_two(tmp_path):
    """x264's frame threads shape its motion search: a fixed thread count makes the bytes repeatable."""
    import os
    import subprocess
    import sys

    from PIL import Image

    cores = sorted(os.sched_getaffinity(0))
    rng = np.random.default_rng(0)
    frames = []
    for i in range(30):
        a = np.full((120, 160, 3), 40, np.uint8)
        a[40:80, 4 * i : 4 * i + 40] = (220, 30, 30)
        frames.append(Image.fromarray(a + rng.integers(0, 20, a.shape).astype(np.uint8)))
    gif = tmp_path / "moving.gif"
    frames[0].save(gif, save_all=True, append_images=frames[1:], duration=40, loop=0)
    outs = []
    for k, affinity in enumerate((cores[:1], cores)):
        out = tmp_path / f"g{k}.mp4"
        env = {**os.environ, "PYTHONPATH": os.pathsep.join(sys.path)}
        subprocess.run(
            [sys.executable, "-c", GIF_MUX, str(gif), str(out), ",".join(map(str, affinity))],
            check=True,
            env=env,
        )
        outs.append(out.read_bytes())
    assert outs[0] == outs[1]
