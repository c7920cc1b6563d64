"""The output container follows the input's codecs, and what we write decodes in both FFmpegs.

Clips are made with PyAV's encoders (old AVI codecs, WebM, ProRes, MJPEG, H.264/HEVC, MKV with Vorbis);
each is muxed into the container :func:`choose_container` picks and read back with PyAV's bundled FFmpeg and
with the system's ``ffmpeg`` (Debian 12 ships 5.1; the Makefile's test set-up installs it).
"""

from __future__ import annotations

import shutil
import subprocess

import av
import numpy as np
import pytest

from see2sound.media import mux, read_audio_track, write_audio
from see2sound.media.muxer import choose_container

from .makers import make_video, tone, video_packets

SR = 48000
FFMPEG = shutil.which("ffmpeg")

# (encoder, file format, pixel format): the container chosen for 5.1 audio, measured with PyAV's FFmpeg
VIDEO_CLIPS = [
    ("libx264", "mp4", "yuv420p", ".mp4"),
    ("libx265", "mp4", "yuv420p", ".mp4"),
    ("mpeg4", "avi", "yuv420p", ".mp4"),  # XviD/DivX-style MPEG-4 part 2
    ("mjpeg", "avi", "yuvj420p", ".mp4"),
    ("libvpx-vp9", "webm", "yuv420p", ".mp4"),
    ("msmpeg4v3", "avi", "yuv420p", ".mov"),  # MSMPEG4 (DIV3)
    ("cinepak", "avi", "rgb24", ".mov"),  # Matroska refuses Cinepak too
    ("prores_ks", "mov", "yuv422p10le", ".mov"),
    ("libvpx", "webm", "yuv420p", ".mkv"),  # VP8: neither MP4 nor MOV
]


def system_decode(path, stream: str) -> bytes:
    """Decode one stream with the system's ffmpeg (``a:0`` as float32 samples, ``v:0`` as grey frames)."""
    args = ["-map", f"0:{stream}"]
    args += ["-f", "f32le"] if stream.startswith("a") else ["-f", "rawvideo", "-pix_fmt", "gray"]
    done = subprocess.run(
        [FFMPEG, "-v", "error", "-i", str(path), *args, "-"], capture_output=True, check=False
    )
    assert done.returncode == 0 and not done.stderr.strip(), done.stderr.decode()
    return done.stdout


def test_system_ffmpeg_is_installed():
    """``make test`` installs Debian's ffmpeg: the player checks below need it."""
    assert FFMPEG is not None, "install the ffmpeg tool (apt-get install -y ffmpeg)"


@pytest.mark.parametrize(("codec", "fmt", "pix_fmt", "suffix"), VIDEO_CLIPS)
def test_container_follows_the_video_codec(tmp_path, codec, fmt, pix_fmt, suffix):
    clip = make_video(tmp_path / f"clip.{fmt}", n_frames=25, codec=codec, pix_fmt=pix_fmt)
    assert choose_container(clip, "5.1", 6) == suffix
    audio = write_audio(tmp_path / "a.wav", np.stack([tone(200 + 100 * c, SR) for c in range(6)]), SR, "5.1")
    out = mux(clip, audio, tmp_path / f"out{suffix}")
    assert video_packets(out) == video_packets(clip)  # copied, not re-encoded
    n_frames = len(system_decode(out, "v:0")) // (64 * 48)
    with av.open(str(out)) as c:
        assert sum(1 for _ in c.decode(video=0)) == n_frames == 25


def test_seven_one_four_is_not_put_in_mp4(tmp_path):
    """12-channel PCM in MP4 decodes as noise in FFmpeg 5: MOV takes H.264 and plays in both."""
    clip = make_video(tmp_path / "clip.mp4", n_frames=25)
    assert choose_container(clip, "stereo", 2) == ".mp4"
    assert choose_container(clip, "7.1.4", 12) == ".mov"
    assert choose_container(clip, "foa", 4) == ".mp4"  # Opus


def test_codec_no_container_takes_is_reencoded(tmp_path):
    """MSMPEG4v2 (MP42) fits none of MP4, MOV, MKV: the video is re-encoded as H.264, nothing is lost."""
    clip = make_video(tmp_path / "mp42.avi", n_frames=25, codec="msmpeg4v2")
    suffix = choose_container(clip, "stereo", 2)
    assert suffix == ".mp4"
    out = mux(clip, np.stack([tone(300, SR)] * 2), tmp_path / f"out{suffix}", sample_rate=SR, fmt="stereo")
    with av.open(str(out)) as c:
        assert c.streams.video[0].codec_context.name == "h264"
        frames = [f.to_ndarray(format="gray") for f in c.decode(video=0)]
    with av.open(str(clip)) as c:
        source = [f.to_ndarray(format="gray") for f in c.decode(video=0)]
    assert len(frames) == len(source) == 25
    assert max(np.abs(a.astype(int) - b.astype(int)).mean() for a, b in zip(frames, source, strict=True)) < 3


@pytest.mark.parametrize(
    ("audio_codec", "options", "suffix"),
    [("vorbis", {"strict": "experimental"}, ".mp4"), ("flac", {}, ".mp4"), ("pcm_s16le", {}, ".mov")],
)
def test_kept_audio_chooses_the_container(tmp_path, audio_codec, options, suffix):
    original = np.stack([tone(300, SR)] * 2)
    clip = make_video(
        tmp_path / "clip.mkv", n_frames=25, audio=original, audio_codec=audio_codec, audio_options=options
    )
    assert choose_container(clip, "5.1", 6, mode="keep") == suffix
    assert choose_container(clip, "5.1", 6, mode="replace") == ".mp4"
    audio = write_audio(tmp_path / "a.wav", np.stack([tone(500, SR)] * 6), SR, "5.1")
    out = mux(clip, audio, tmp_path / f"out{suffix}", mode="keep")
    kept = np.frombuffer(system_decode(out, "a:1"), np.float32).reshape(-1, 2).T
    n = min(kept.shape[1], SR) - 2048
    assert np.corrcoef(kept[0, 1024:n], original[0, 1024:n])[0, 1] > 0.99


LAYOUTS = [("stereo", 2), ("binaural", 2), ("5.1", 6), ("7.1", 8), ("7.1.4", 12), ("foa", 4), ("hoa3", 16)]


@pytest.fixture(scope="module")
def clip(tmp_path_factory):
    return make_video(tmp_path_factory.mktemp("players") / "clip.mp4", n_frames=25)


# every layout in every container run picks for it (7.1.4 is never put in MP4: see above)
PLAYED = [
    (fmt, n, suffix)
    for fmt, n in LAYOUTS
    for suffix in (".mp4", ".mov", ".mkv")
    if (fmt, suffix) != ("7.1.4", ".mp4")
]


@pytest.mark.parametrize(("fmt", "n", "suffix"), PLAYED)
def test_every_layout_decodes_in_both_ffmpegs(clip, tmp_path, fmt, n, suffix):
    """Each channel a tone (60 Hz on the LFE): each decoded channel correlates with its input."""
    freqs = [60 if (c == 3 and fmt in ("5.1", "7.1", "7.1.4")) else 250 + 110 * c for c in range(n)]
    y = np.stack([tone(f, SR, amplitude=0.1) for f in freqs])
    out = mux(clip, y, tmp_path / f"out{suffix}", sample_rate=SR, fmt=fmt)
    system = np.frombuffer(system_decode(out, "a:0"), np.float32).reshape(-1, n).T
    bundled = read_audio_track(out, SR)
    for decoded in (system, bundled):
        assert decoded.shape[0] == n
        assert abs(decoded.shape[1] - SR) <= 1024  # the end padding of one codec frame at most
        m = min(decoded.shape[1], SR)
        for c in range(n):
            assert np.corrcoef(decoded[c, 2400:m], y[c, 2400:m])[0, 1] > 0.97, (fmt, suffix, c)
