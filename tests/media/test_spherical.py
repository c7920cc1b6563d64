"""360° videos stay 360°: the muxed MP4/MOV marks its video track equirectangular (Spherical Video V1)."""

from __future__ import annotations

import numpy as np
import pytest

from see2sound.media import mux, open_media
from see2sound.media.sa3d import read_sa3d
from see2sound.media.spherical import inject_spherical, is_marked_spherical

from .makers import frame_index, make_video, video_packets


def foa(seconds: float = 1.0, sr: int = 48000) -> np.ndarray:
    t = np.arange(int(seconds * sr)) / sr
    return np.stack([0.2 * np.sin(2 * np.pi * f * t) for f in (300, 500, 700, 900)]).astype(np.float32)


@pytest.mark.parametrize("suffix", [".mp4", ".mov"])
def test_ambisonic_mux_of_a_360_video_marks_the_video_and_keeps_its_packets(tmp_path, suffix):
    src = make_video(tmp_path / "pano.mp4", size=(128, 64), n_frames=25, options={"movflags": "+faststart"})
    assert open_media(src).projection == "perspective"  # 2:1 alone is not enough
    out = mux(src, foa(), tmp_path / f"out{suffix}", fmt="foa", sample_rate=48000, spherical=True)
    assert is_marked_spherical(out)
    assert open_media(out).projection == "equirect"
    assert video_packets(out) == video_packets(src)
    assert read_sa3d(out).ambisonic_order == 1
    # a marked input stays marked without being told
    again = mux(out, foa(), tmp_path / f"again{suffix}", fmt="foa", sample_rate=48000)
    assert is_marked_spherical(again) and video_packets(again) == video_packets(src)


def test_flat_videos_are_not_marked_and_injection_is_idempotent(tmp_path):
    src = make_video(tmp_path / "flat.mp4", size=(64, 48), n_frames=10)
    out = mux(src, foa(), tmp_path / "flat_out.mp4", fmt="foa", sample_rate=48000)
    assert not is_marked_spherical(out)
    inject_spherical(out)
    size = out.stat().st_size
    inject_spherical(out)  # a second time adds nothing
    assert out.stat().st_size == size and is_marked_spherical(out)
    import av

    with av.open(str(out)) as container:  # still decodes frame by frame after the moov grew
        frames = [f.to_ndarray(format="rgb24") for f in container.decode(video=0)]
    assert [frame_index(f) for f in frames] == list(range(10))
