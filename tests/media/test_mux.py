"""Muxing: the video stream copied byte for byte, the audio's layout read back, SA3D for ambisonics."""

from __future__ import annotations

import os

import av
import numpy as np
import pytest
from PIL import Image

from see2sound.errors import MediaError
from see2sound.media import mux, open_media, read_audio_track, write_audio
from see2sound.media.sa3d import SpatialAudio, read_sa3d

from .makers import audio_stream_facts, make_video, tone, video_packets

SR = 48000
SECONDS = 1.5
FREQS = (300, 500, 700, 80, 1100, 1300, 1500, 1700, 1900, 2100, 2300, 2500, 2700, 2900, 3100, 3300)


@pytest.fixture(scope="module")
def clip(tmp_path_factory):
    """2 s, 25 fps, rotated 90°, with a stereo AAC track (a 200 Hz tone in both channels)."""
    path = tmp_path_factory.mktemp("mux") / "clip.mp4"
    return make_video(path, n_frames=50, rotation=90, audio=np.stack([tone(200, 2 * SR)] * 2))


def tones_file(path, fmt, n_channels):
    """Channel c carries FREQS[c] (80 Hz on channel 3, the LFE of 5.1/7.1): checks each channel's place."""
    y = np.stack([tone(FREQS[c], int(SECONDS * SR), amplitude=0.2) for c in range(n_channels)])
    return write_audio(path, y, SR, fmt)


def dominant_frequencies(path, index=0):
    y = read_audio_track(path, SR, stream_index=index)
    segment = y[:, SR // 4 : SR // 4 + 9600]
    spectrum = np.abs(np.fft.rfft(segment, axis=1))
    return np.fft.rfftfreq(segment.shape[1], 1 / SR)[np.argmax(spectrum, axis=1)]


# codec frame sizes: AAC 1024, Opus 960 (20 ms), PCM exact
CASES = [
    ("stereo", 2, ".mp4", "aac", "stereo", 1024),
    ("binaural", 2, ".mp4", "aac", "stereo", 1024),
    ("5.1", 6, ".mp4", "aac", "5.1", 1024),
    ("7.1", 8, ".mp4", "aac", "7.1", 1024),
    ("foa", 4, ".mp4", "opus", "ambisonic 1", 960),
    ("hoa3", 16, ".mp4", "opus", "ambisonic 3", 960),
    ("7.1.4", 12, ".mov", "pcm_s24le", "7.1.4", 1),
    ("foa", 4, ".mov", "pcm_s24le", "ambisonic 1", 1),
    ("5.1", 6, ".mkv", "opus", "5.1", 960),  # AAC's priming in MKV: FFmpeg 5 plays it, Opus's it drops
    ("stereo", 2, ".mkv", "opus", "stereo", 960),
    ("foa", 4, ".mkv", "opus", "ambisonic 1", 960),
]


@pytest.mark.parametrize(("fmt", "n", "suffix", "codec", "layout", "frame"), CASES)
def test_mux_copies_video_and_sets_layout(clip, tmp_path, fmt, n, suffix, codec, layout, frame):
    audio = tones_file(tmp_path / f"{fmt}.wav", fmt, n)
    out = mux(clip, audio, tmp_path / f"out{suffix}")
    assert video_packets(out) == video_packets(clip)  # stream copy, not re-encoded
    facts = audio_stream_facts(out)
    assert (facts["codec"], facts["layout"], facts["channels"], facts["n_audio"]) == (codec, layout, n, 1)
    with av.open(str(out)) as c:
        stream = c.streams.audio[0]
        n_decoded = sum(f.samples for f in c.decode(stream))
    assert abs(n_decoded - SECONDS * SR) <= 2 * frame  # padding of the last frame and priming at most
    if facts["duration"] is not None:  # MKV stores no per-stream duration
        assert abs(facts["duration"] - SECONDS) <= frame / SR + 1e-6
    np.testing.assert_allclose(dominant_frequencies(out), FREQS[:n], atol=6)  # every channel in place
    spatial = read_sa3d(out) if suffix != ".mkv" else None
    if fmt in ("foa", "hoa3") and suffix != ".mkv":
        assert spatial == SpatialAudio.ambix(1 if fmt == "foa" else 3)
    else:
        assert spatial is None
    assert open_media(out).rotation == 90  # display matrix carried over
    assert not [p for p in os.listdir(tmp_path) if ".part" in p]


def test_keep_original_audio_as_second_track(clip, tmp_path):
    out = mux(clip, tones_file(tmp_path / "a.wav", "5.1", 6), tmp_path / "keep.mp4", mode="keep")
    assert audio_stream_facts(out)["n_audio"] == 2
    assert audio_stream_facts(out, 0)["layout"] == "5.1"
    assert video_packets(out, "audio", 1) == video_packets(clip, "audio", 0)  # original copied
    with av.open(str(out)) as c:
        assert c.streams.audio[0].disposition & av.stream.Disposition.default


def test_mix_original_audio(clip, tmp_path):
    out = mux(clip, tones_file(tmp_path / "a.wav", "stereo", 2), tmp_path / "mix.mp4", mode="mix")
    assert audio_stream_facts(out)["n_audio"] == 1
    y = read_audio_track(out, SR)
    spectrum = np.abs(np.fft.rfft(y[0, SR // 4 : SR // 4 + 9600]))
    freqs = np.fft.rfftfreq(9600, 1 / SR)
    strong = set(np.round(freqs[spectrum > 0.3 * spectrum.max()]).astype(int))
    assert 200 in strong and 300 in strong  # the original 200 Hz and the new 300 Hz


def test_mix_into_ambisonics_goes_to_w(clip, tmp_path):
    out = mux(clip, tones_file(tmp_path / "a.wav", "foa", 4), tmp_path / "mixfoa.mp4", mode="mix")
    y = read_audio_track(out, SR)[:, SR // 4 : SR // 4 + 9600]
    freqs = np.fft.rfftfreq(9600, 1 / SR)
    at_200 = np.abs(np.fft.rfft(y, axis=1))[:, np.argmin(np.abs(freqs - 200))]
    assert at_200[0] > 20 * at_200[1:].max()


def test_array_input_with_explicit_format(clip, tmp_path):
    y = np.stack([tone(FREQS[c], SR) for c in range(4)])
    out = mux(clip, y, tmp_path / "arr.mp4", sample_rate=SR, fmt="foa")
    assert audio_stream_facts(out)["layout"] == "ambisonic 1"
    with pytest.raises(MediaError, match="sample_rate"):
        mux(clip, y, tmp_path / "arr2.mp4")


def test_opus_resamples_to_48k(clip, tmp_path):
    y = np.stack([tone(FREQS[c], 44100) for c in range(4)])
    write_audio(tmp_path / "foa441.wav", y, 44100, "foa")
    out = mux(clip, tmp_path / "foa441.wav", tmp_path / "r.mp4")
    assert audio_stream_facts(out)["rate"] == 48000


def test_still_image_becomes_h264_video(tmp_path):
    image = tmp_path / "odd.png"
    data = np.zeros((101, 151, 3), np.uint8)
    data[:, :75] = (255, 0, 0)
    Image.fromarray(data).save(image)
    out = mux(image, tones_file(tmp_path / "a.wav", "5.1", 6), tmp_path / "still.mp4")
    with av.open(str(out)) as c:
        v = c.streams.video[0]
        assert (v.codec_context.name, v.format.name, v.width, v.height) == ("h264", "yuv420p", 150, 100)
        frames = list(c.decode(v))
        assert float(c.duration / 1e6) == pytest.approx(SECONDS, abs=0.55)
        picture = frames[0].to_ndarray(format="rgb24")
        assert picture[50, 10, 0] > 200 and picture[50, 140, 0] < 40
    assert audio_stream_facts(out)["layout"] == "5.1"


def test_gif_becomes_a_looping_video(tmp_path):
    gif = tmp_path / "anim.gif"
    frames = [Image.new("RGB", (40, 30), (v, v, v)) for v in (0, 120, 240)]
    frames[0].save(gif, save_all=True, append_images=frames[1:], duration=[100, 200, 0], loop=0)
    out = mux(gif, tones_file(tmp_path / "a.wav", "stereo", 2), tmp_path / "gif.mp4")
    with av.open(str(out)) as c:
        shown = [(round(f.time, 3), int(f.to_ndarray(format="rgb24")[15, 20, 0])) for f in c.decode(video=0)]
    # delays 100, 200, 0→100 ms: starts 0, .1, .3, then loops every 0.4 s for the 1.5 s of audio
    starts = [t for t, _ in shown]
    assert starts == pytest.approx([0.0, 0.1, 0.3, 0.4, 0.5, 0.7, 0.8, 0.9, 1.1, 1.2, 1.3], abs=0.002)
    levels = [v for _, v in shown]
    assert all(abs(a - b) < 12 for a, b in zip(levels, [0, 120, 240] * 3 + [0, 120], strict=True))


def test_finite_gif_loop_holds_the_last_frame(tmp_path):
    gif = tmp_path / "once.gif"
    frames = [Image.new("RGB", (20, 20), (v, v, v)) for v in (0, 200)]
    frames[0].save(gif, save_all=True, append_images=frames[1:], duration=[200, 200])  # no loop: 1 play
    out = mux(gif, tones_file(tmp_path / "a.wav", "stereo", 2), tmp_path / "once.mp4")
    with av.open(str(out)) as c:
        levels = [int(f.to_ndarray(format="rgb24")[10, 10, 0]) for f in c.decode(video=0)]
    assert len(levels) == 3 and levels[-1] > 180


# --- bad input and safe output -----------------------------------------------------------------------


def test_output_exists(clip, tmp_path):
    audio = tones_file(tmp_path / "a.wav", "stereo", 2)
    out = tmp_path / "exists.mp4"
    out.write_bytes(b"precious")
    with pytest.raises(MediaError, match="exists.mp4: already exists"):
        mux(clip, audio, out)
    assert out.read_bytes() == b"precious"
    mux(clip, audio, out, overwrite=True)
    assert out.stat().st_size > 1000


def test_output_folder_not_writable(clip, tmp_path, monkeypatch):
    audio = tones_file(tmp_path / "a.wav", "stereo", 2)
    blocker = tmp_path / "file"
    blocker.write_text("x")
    with pytest.raises(MediaError, match="cannot create output folder"):
        mux(clip, audio, blocker / "out.mp4")
    locked = tmp_path / "locked"
    locked.mkdir()
    monkeypatch.setattr(os, "access", lambda *a, **k: False)  # tests may run as root
    with pytest.raises(MediaError, match="locked: output folder is not writable"):
        mux(clip, audio, locked / "out.mp4")
    assert list(locked.iterdir()) == []


def test_failure_while_writing_leaves_nothing(clip, tmp_path, monkeypatch):
    import see2sound.media.muxer as mux_module

    def broken(*args, **kwargs):
        raise MediaError("disk full (simulated)")

    monkeypatch.setattr(mux_module, "inject_sa3d", broken)
    folder = tmp_path / "out"
    folder.mkdir()
    with pytest.raises(MediaError, match="simulated"):
        mux(clip, tones_file(tmp_path / "a.wav", "foa", 4), folder / "foa.mp4")
    assert list(folder.iterdir()) == []


def test_bad_inputs(clip, tmp_path):
    audio = tones_file(tmp_path / "a.wav", "stereo", 2)
    with pytest.raises(MediaError, match="unsupported output extension .avi"):
        mux(clip, audio, tmp_path / "x.avi")
    text = tmp_path / "text.mp4"
    text.write_text("not a video")
    with pytest.raises(MediaError, match="text.mp4: not a readable"):
        mux(text, audio, tmp_path / "y.mp4")
    with pytest.raises(MediaError, match="is an audio file"):
        mux(audio, audio, tmp_path / "z.mp4")
    empty = tmp_path / "empty.wav"
    empty.write_bytes(b"")
    with pytest.raises(MediaError, match="empty.wav: file is empty"):
        mux(clip, empty, tmp_path / "w.mp4")
    with pytest.raises(MediaError, match="needs 4 channels"):
        mux(clip, audio, tmp_path / "v.mp4", fmt="foa")
    with pytest.raises(MediaError, match="unknown mode"):
        mux(clip, audio, tmp_path / "u.mp4", mode="blend")
    assert not [p for p in os.listdir(tmp_path) if p.endswith(".mp4") and p != "text.mp4"]


def test_non_ascii_paths(clip, tmp_path):
    folder = tmp_path / "dossier été"
    folder.mkdir()
    video = folder / "vidéo.mp4"
    video.write_bytes(clip.read_bytes())
    audio = tones_file(folder / "son 音.wav", "foa", 4)
    out = mux(video, audio, folder / "résultat 360.mp4")
    assert read_sa3d(out) == SpatialAudio.ambix(1)


def test_codec_the_container_refuses(tmp_path):
    video = make_video(tmp_path / "vp8.webm", n_frames=5, codec="libvpx")
    audio = tones_file(tmp_path / "a.wav", "stereo", 2)
    with pytest.raises(
        MediaError, match=r"vp8.mp4: cannot write .*does not support.*; use \.mkv, it takes this video"
    ):
        mux(video, audio, tmp_path / "vp8.mp4")
    assert not list(tmp_path.glob("*.mp4")) and not list(tmp_path.glob(".*part*"))
    out = mux(video, audio, tmp_path / "vp8.mkv")
    assert video_packets(out) == video_packets(video)
