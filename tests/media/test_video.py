"""Videos: timing by timestamps, rotation, bounded size, the input's audio track, and every bad input."""

from __future__ import annotations

import av
import numpy as np
import pytest

from see2sound.errors import MediaError
from see2sound.media import iter_frames, open_media, read_audio, read_audio_track

from .makers import frame_index, make_video, tone

SR = 48000


@pytest.fixture(scope="module")
def clip(tmp_path_factory):
    """2 s at 25 fps, 64x48, with 2 s of stereo AAC (440 Hz left, 1 kHz right)."""
    path = tmp_path_factory.mktemp("v") / "clip.mp4"
    audio = np.stack([tone(440, 2 * SR), tone(1000, 2 * SR)])
    return make_video(path, fps=25, n_frames=50, audio=audio)


def test_probe_video(clip):
    info = open_media(clip)
    assert info.kind == "video" and info.codec == "h264"
    assert (info.width, info.height, info.n_frames, info.fps) == (64, 48, 50, 25.0)
    assert info.duration == pytest.approx(2.0, abs=0.01)
    assert info.rotation == 0 and info.projection == "perspective"
    (audio,) = info.audio_streams
    assert (audio.codec, audio.layout, audio.channels, audio.sample_rate) == ("aac", "stereo", 2, SR)


def test_exact_sampling_at_4_fps(clip):
    frames = list(iter_frames(clip, fps=4, exact=True))
    assert [f.time_s for f in frames] == pytest.approx([k * 0.25 for k in range(8)])
    for f in frames:
        expected = int(np.floor(f.time_s * 25 + 1e-6))  # the frame on screen at t
        assert frame_index(f.image) == expected
        assert f.source_time_s == pytest.approx(expected / 25)


def test_fast_sampling_shows_a_recent_frame(clip):
    # Non-reference frames may be skipped: the frame shown is never later than t, at most 2 frames older.
    frames = list(iter_frames(clip, fps=4))
    assert [f.time_s for f in frames] == pytest.approx([k * 0.25 for k in range(8)])
    for f in frames:
        assert f.time_s - 2 / 25 - 1e-6 <= f.source_time_s <= f.time_s + 1e-6
        assert frame_index(f.image) == round(f.source_time_s * 25)


def test_every_frame_when_fps_is_none(clip):
    times = [f.source_time_s for f in iter_frames(clip, fps=None)]
    assert times == pytest.approx([i / 25 for i in range(50)])


def test_variable_frame_rate_by_timestamps(tmp_path):
    times_ms = [0, 100, 150, 400, 1000, 1100]
    path = make_video(tmp_path / "vfr.mkv", frame_times_ms=times_ms, fps=10)
    frames = list(iter_frames(path, fps=10, exact=True))
    shown = [frame_index(f.image) for f in frames]
    # t = 0.0 … 1.1 s; the last frame is held for one nominal frame period (0.1 s).
    assert [round(f.time_s, 2) for f in frames] == [round(0.1 * k, 2) for k in range(12)]
    assert shown == [0, 1, 2, 2, 3, 3, 3, 3, 3, 3, 4, 5]


def test_stream_not_starting_at_zero(tmp_path):
    # Video starts at 0.5 s, audio at 0: times are from the container start, the first frame is held.
    path = tmp_path / "late.mkv"
    make_video(path, frame_times_ms=[500, 600, 700, 800], fps=10, audio=np.zeros((2, SR), np.float32))
    frames = list(iter_frames(path, fps=10, exact=True))
    assert frames[0].time_s == 0.0 and frames[0].source_time_s == pytest.approx(0.5)
    assert [frame_index(f.image) for f in frames[:9]] == [0, 0, 0, 0, 0, 0, 1, 2, 3]


def test_rotation_is_applied(tmp_path):
    # A display matrix rotating 90° counter-clockwise: the red top band is shown on the left.
    path = make_video(tmp_path / "rot.mp4", size=(64, 32), n_frames=3, rotation=90, marker=True)
    info = open_media(path)
    assert info.rotation == 90 and (info.width, info.height) == (32, 64)
    frame = next(iter_frames(path))
    assert frame.image.shape == (64, 32, 3)
    assert frame.image[32, 1, 0] > 200 and frame.image[32, 1, 2] < 60  # left column red
    assert frame.image[32, 30, 0] < 100  # right column grey


def test_rotation_270(tmp_path):
    path = make_video(tmp_path / "rot270.mp4", size=(64, 32), n_frames=2, rotation=-90, marker=True)
    info = open_media(path)
    assert info.rotation == 270
    image = next(iter_frames(path)).image
    assert image.shape == (64, 32, 3) and image[32, 30, 0] > 200 and image[32, 1, 0] < 100


def test_frames_are_bounded_in_size(tmp_path):
    path = make_video(tmp_path / "big.mp4", size=(320, 240), n_frames=2)
    assert next(iter_frames(path, max_size=160)).image.shape == (120, 160, 3)
    assert next(iter_frames(path, max_size=None)).image.shape == (240, 320, 3)


def test_equirect_video_from_spherical_metadata(tmp_path):
    path = make_video(tmp_path / "pano.mp4", size=(128, 64), n_frames=2)
    assert open_media(path).projection == "perspective"  # 2:1 alone is not enough
    xmp = b"<rdf:SphericalVideo><GSpherical:Spherical>true</GSpherical:Spherical></rdf:SphericalVideo>"
    uuid = bytes.fromhex("ffcc8263f8554a938814587a02521fdd")
    with open(path, "ab") as fh:  # a top-level uuid box, as the spherical-video RFC v1 writes in trak
        fh.write((8 + 16 + len(xmp)).to_bytes(4, "big") + b"uuid" + uuid + xmp)
    assert open_media(path).projection == "equirect"


# --- the input's audio -----------------------------------------------------------------------------------


def test_read_audio_track_is_trimmed_to_the_container(clip):
    y = read_audio_track(clip, SR)
    assert y.shape == (2, 2 * SR)  # PyAV decodes 256 samples more; trimmed
    spectrum = np.abs(np.fft.rfft(y[:, SR // 2 : SR // 2 + 4800], axis=1))
    freqs = np.fft.rfftfreq(4800, 1 / SR)
    assert freqs[np.argmax(spectrum[0])] == pytest.approx(440, abs=10)
    assert freqs[np.argmax(spectrum[1])] == pytest.approx(1000, abs=10)


def test_read_audio_track_resamples(clip):
    assert read_audio_track(clip, 16000).shape == (2, 32000)


def test_read_audio_track_none_without_audio(tmp_path):
    assert read_audio_track(make_video(tmp_path / "mute.mp4", n_frames=5)) is None


def test_read_audio_track_aligns_a_late_audio_stream(tmp_path):
    path = tmp_path / "late_audio.mkv"
    with av.open(str(path), "w") as container:
        video = container.add_stream("libx264", rate=10)
        video.width, video.height, video.pix_fmt = 32, 32, "yuv420p"
        audio = container.add_stream("pcm_s16le", rate=SR, layout="mono")
        for i in range(10):
            frame = av.VideoFrame.from_ndarray(np.zeros((32, 32, 3), np.uint8), format="rgb24")
            frame.pts = i
            for p in video.encode(frame):
                container.mux(p)
        for p in video.encode(None):
            container.mux(p)
        y = np.full((1, SR // 2), 0.5, np.float32)
        from .makers import encode_audio

        encode_audio(container, audio, y, "mono", SR, start=SR // 4)  # audio starts at 0.25 s
    track = read_audio_track(path, SR)
    first = int(np.argmax(np.abs(track[0]) > 0.25))
    assert first == pytest.approx(SR // 4, abs=48)


@pytest.mark.parametrize(
    ("suffix", "codec", "layout", "n"),
    [
        (".m4a", "aac", "stereo", 2),
        (".mka", "libopus", "5.1", 6),
        (".mp3", "libmp3lame", "stereo", 2),
    ],
)
def test_read_audio_falls_back_to_ffmpeg(tmp_path, suffix, codec, layout, n):
    if codec not in av.codecs_available:
        codec = "mp2"
    path = tmp_path / f"stem{suffix}"
    y = np.stack([tone(300 + 100 * c, SR) for c in range(n)])
    with av.open(str(path), "w") as container:
        stream = container.add_stream(codec, rate=SR, layout=layout)
        from .makers import encode_audio

        encode_audio(container, stream, y, layout, SR)
    back, sr = read_audio(path)
    assert sr == SR and back.shape[0] == n
    assert abs(back.shape[1] - SR) <= 1152  # trimmed to the stated duration (MP3: within one frame)
    assert np.corrcoef(back[0, 5000:20000], y[0, 5000:20000])[0, 1] > 0.9


# --- bad input -----------------------------------------------------------------------------------------


def test_empty_mp4(tmp_path):
    path = tmp_path / "empty.mp4"
    path.write_bytes(b"")
    with pytest.raises(MediaError, match="empty.mp4: file is empty"):
        open_media(path)


def test_text_file_named_mp4(tmp_path):
    path = tmp_path / "notes.mp4"
    path.write_text("this is not a video\n" * 20)
    with pytest.raises(MediaError, match="notes.mp4: not a readable video or audio file"):
        open_media(path)


def test_truncated_video(clip, tmp_path):
    path = tmp_path / "cut.mp4"
    data = clip.read_bytes()
    path.write_bytes(data[: len(data) // 2])  # moov is at the end: lost
    with pytest.raises(MediaError, match="cut.mp4: not a readable video or audio file"):
        open_media(path)


def test_truncated_faststart_video_stops_cleanly(tmp_path):
    # moov first, media cut: the frames that are there are read, none invented.
    path = make_video(tmp_path / "fs.mp4", n_frames=50, options={"movflags": "+faststart"})
    cut = tmp_path / "fs_cut.mp4"
    data = path.read_bytes()
    cut.write_bytes(data[:-300])  # the last ~10 frames are lost, the last one kept is partial
    frames = list(iter_frames(cut, fps=None))
    assert 20 <= len(frames) < 50
    assert [frame_index(f.image) for f in frames] == list(range(len(frames)))


def test_zero_frames(tmp_path):
    path = tmp_path / "none.mp4"
    with av.open(str(path), "w") as container:
        stream = container.add_stream("libx264", rate=25)
        stream.width, stream.height, stream.pix_fmt = 32, 32, "yuv420p"
    with pytest.raises(MediaError, match="none.mp4"):
        open_media(path)


def test_absurd_frame_rate(tmp_path):
    # Frames 1/20000 s apart: metadata no real camera writes (the limit is 1000 fps).
    fast = tmp_path / "faster.mkv"
    with av.open(str(fast), "w") as container:
        stream = container.add_stream("libx264", rate=20000)
        stream.width, stream.height, stream.pix_fmt = 32, 32, "yuv420p"
        for i in range(5):
            frame = av.VideoFrame.from_ndarray(np.zeros((32, 32, 3), np.uint8), format="rgb24")
            frame.pts = i
            for p in stream.encode(frame):
                container.mux(p)
        for p in stream.encode(None):
            container.mux(p)
    with pytest.raises(MediaError, match="faster.mkv: frame rate .* not usable"):
        open_media(fast)


def test_unsupported_codec(clip, tmp_path):
    path = tmp_path / "odd.mkv"
    make_video(path, n_frames=5)
    data = path.read_bytes()
    assert data.count(b"V_MPEG4/ISO/AVC") == 1
    path.write_bytes(data.replace(b"V_MPEG4/ISO/AVC", b"V_ZZZZZ/ISO/AVC"))
    with pytest.raises(MediaError, match="odd.mkv: .*(unsupported|no video)"):
        list(iter_frames(path))


def test_non_ascii_video_path(clip, tmp_path):
    path = tmp_path / "vidéo 日本.mp4"
    path.write_bytes(clip.read_bytes())
    assert open_media(path).n_frames == 50
    assert len(list(iter_frames(path, fps=2))) == 4
    assert read_audio_track(path).shape == (2, 2 * SR)


def test_audio_file_has_no_frames(tmp_path):
    path = tmp_path / "stem.m4a"
    with av.open(str(path), "w") as container:
        stream = container.add_stream("aac", rate=SR, layout="mono")
        from .makers import encode_audio

        encode_audio(container, stream, tone(440, SR)[None], "mono", SR)
    assert open_media(path).kind == "audio"
    with pytest.raises(MediaError, match="stem.m4a: is an audio file"):
        next(iter_frames(path))


def test_missing_file(tmp_path):
    with pytest.raises(MediaError, match="nope.mp4: no such file"):
        open_media(tmp_path / "nope.mp4")


def test_frames_are_streamed_not_accumulated(tmp_path):
    # 120 frames of 320x240 RGB would be 27 MB; streaming holds a couple (230 kB each) at a time.
    import tracemalloc

    path = make_video(tmp_path / "long.mp4", size=(320, 240), n_frames=120)
    tracemalloc.start()
    try:
        count = sum(1 for _ in iter_frames(path, fps=None, max_size=None))
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    assert count == 120
    assert peak < 10 * 320 * 240 * 3


@pytest.mark.parametrize(
    ("suffix", "codec"),
    [
        (".mov", "libx264"),
        (".mkv", "libx264"),
        (".webm", "libvpx-vp9"),
        (".avi", "mpeg4"),
    ],
)
def test_common_containers(tmp_path, suffix, codec):
    path = make_video(tmp_path / f"clip{suffix}", fps=10, n_frames=10, codec=codec)
    info = open_media(path)
    assert info.kind == "video" and info.fps == pytest.approx(10)
    assert info.duration == pytest.approx(1.0, abs=0.11)
    frames = list(iter_frames(path, fps=5, exact=True))
    assert [frame_index(f.image) for f in frames] == [0, 2, 4, 6, 8]
