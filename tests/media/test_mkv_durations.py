"""MKV outputs read back at the length of the audio put in: priming and end padding handled as for MP4.

FFmpeg's Matroska muxer counts the AAC priming (``CodecDelay``, 1024 samples) into the durations it states
and keeps the last AAC frame's padding only as a millisecond block duration; without the corrections an
MKV with AAC read back 1008–1029 samples too long.
"""

from __future__ import annotations

import struct

import av
import numpy as np
import pytest
from PIL import Image

from see2sound.media import mux, read_audio, read_audio_track
from see2sound.media.matroska import fix_codec_delay_durations, format_duration_tag, parse_duration_tag

from .makers import make_video, tone

SR = 48000
N = 2 * SR + 123  # not a whole number of codec frames, nor of milliseconds


@pytest.fixture(scope="module")
def clip(tmp_path_factory):
    """2 s at 25 fps with a stereo AAC track (its own priming, copied as it is in ``keep`` mode)."""
    path = tmp_path_factory.mktemp("mkv") / "clip.mp4"
    return make_video(path, n_frames=50, audio=np.stack([tone(200, 2 * SR)] * 2))


def chirps(n_channels: int, n: int = N) -> np.ndarray:
    """A distinct rising tone per channel: any shift or stretch of the read-back audio shows."""
    t = np.arange(n) / SR
    freqs = 300 + 150 * np.arange(n_channels)[:, None]
    return (0.2 * np.sin(2 * np.pi * freqs * t * (1 + 0.5 * t))).astype(np.float32)


def lag_samples(decoded: np.ndarray, original: np.ndarray) -> int:
    """Where ``original``'s first 0.25 s best matches ``decoded`` (0 = aligned)."""
    probe = original[: SR // 4]
    search = decoded[: SR // 4 + 4096]
    scores = np.correlate(search, probe, mode="valid")
    return int(np.argmax(scores))


@pytest.mark.parametrize(
    ("fmt", "n_channels", "codec"),
    [("stereo", 2, "opus"), ("5.1", 6, "opus"), ("foa", 4, "opus"), ("7.1.4", 12, "pcm_s24le")],
)
@pytest.mark.parametrize("n", [N, 2 * SR])
def test_mkv_reads_back_at_the_input_length(clip, tmp_path, fmt, n_channels, codec, n):
    y = chirps(n_channels, n)
    out = mux(clip, y, tmp_path / "out.mkv", sample_rate=SR, fmt=fmt)
    with av.open(str(out)) as container:
        assert container.streams.audio[0].codec_context.name == codec
        assert container.duration == round(n / SR * 1e6)  # the audio is longer than the 2 s video
    track = read_audio_track(out, SR)
    whole, sr = read_audio(out)
    assert (track.shape, whole.shape, sr) == ((n_channels, n), (n_channels, n), SR)
    assert lag_samples(track[0], y[0]) == 0  # priming removed, not just the length cut
    tail = slice(n - SR // 10, n - 2048)  # the end is there too: the last frames are not padding
    assert np.corrcoef(track[0, tail], y[0, tail])[0, 1] > 0.99


def test_mkv_durations_match_mp4(clip, tmp_path):
    """The same audio in MKV and MP4 reads back the same length (MP4: the edit list, to the ms)."""
    y = chirps(6)
    mkv = read_audio_track(mux(clip, y, tmp_path / "a.mkv", sample_rate=SR, fmt="5.1"), SR)
    mp4 = read_audio_track(mux(clip, y, tmp_path / "a.mp4", sample_rate=SR, fmt="5.1"), SR)
    assert mkv.shape[1] == N
    assert abs(mp4.shape[1] - N) <= SR // 1000  # MP4's movie time scale is 1 ms


def test_mkv_audio_shorter_than_video_keeps_video_length(clip, tmp_path):
    y = chirps(2, SR + 77)
    out = mux(clip, y, tmp_path / "short.mkv", sample_rate=SR, fmt="stereo")
    with av.open(str(out)) as container:
        assert container.duration == 2_000_000
        tags = {s.type: parse_duration_tag(s.metadata["DURATION"]) for s in container.streams}
    assert tags == {"video": 2.0, "audio": pytest.approx((SR + 77) / SR, abs=1e-9)}
    assert read_audio_track(out, SR).shape[1] == 2 * SR  # aligned to the container: silence after


def test_mkv_keep_mode_durations(clip, tmp_path):
    """The copied AAC track has no CodecDelay (FFmpeg shifts the file instead): every end stays consistent."""
    y = chirps(6)
    out = mux(clip, y, tmp_path / "keep.mkv", sample_rate=SR, fmt="5.1", mode="keep")
    with av.open(str(out)) as container:
        ends = [parse_duration_tag(s.metadata["DURATION"]) for s in container.streams]
        duration = container.duration / 1e6
    video_end, new_end, _ = ends
    assert duration == pytest.approx(max(ends), abs=1e-6)
    # the new track starts with the video (FFmpeg shifted both by the same whole milliseconds)
    assert new_end - N / SR == pytest.approx(video_end - 2.0, abs=1e-9)


def test_duration_tag_format_round_trip():
    assert format_duration_tag(3725.5, 20) == b"01:02:05.500000000\0\0"
    assert parse_duration_tag("01:02:05.500000000") == 3725.5
    assert format_duration_tag(2.0025625, 18) == b"00:00:02.002562500"
    with pytest.raises(ValueError):
        format_duration_tag(2.0, 10)


def test_fixer_leaves_other_files_alone(tmp_path):
    for data in (b"", b"not a matroska file at all", struct.pack(">I", 0x1A45DFA3) + b"\x81\x00"):
        path = tmp_path / "x.mkv"
        path.write_bytes(data)
        assert fix_codec_delay_durations(path) is False
        assert path.read_bytes() == data


def test_fixer_without_codec_delay_changes_nothing(clip, tmp_path):
    out = mux(clip, chirps(12), tmp_path / "pcm.mkv", sample_rate=SR, fmt="7.1.4")  # PCM: no delay
    before = out.read_bytes()
    assert fix_codec_delay_durations(out) is False
    assert fix_codec_delay_durations(out, {2: N / SR}) is False  # mux already stated the exact length
    assert out.read_bytes() == before


def test_picture_to_mkv_reads_back_at_the_input_length(tmp_path):
    image = tmp_path / "still.png"
    Image.fromarray(np.full((30, 40, 3), 128, np.uint8)).save(image)
    y = chirps(2)
    out = mux(image, y, tmp_path / "still.mkv", sample_rate=SR, fmt="stereo")
    decoded, _ = read_audio(out)
    assert decoded.shape == (2, N)
    assert lag_samples(decoded[0], y[0]) == 0
