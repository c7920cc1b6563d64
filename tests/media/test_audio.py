"""Audio files: channel masks written and read back, layouts guessed, band-limited resampling."""

from __future__ import annotations

import numpy as np
import pytest
import soundfile as sf

from see2sound.errors import MediaError
from see2sound.formats import FORMATS
from see2sound.media import read_audio, resample, write_audio
from see2sound.media.audio import guess_format, read_channel_mask

from .makers import audio_stream_facts, tone

SR = 48000


ROUND_TRIPS = [(name, ".wav") for name in ("stereo", "5.1", "7.1", "7.1.4", "foa", "hoa3")] + [
    (name, ".flac")
    for name in ("stereo", "5.1", "7.1", "foa")  # FLAC holds at most 8 channels
]


@pytest.mark.parametrize(("name", "suffix"), ROUND_TRIPS)
def test_layout_round_trip(tmp_path, name, suffix):
    layout = FORMATS[name]
    y = np.stack([tone(200 + 100 * c, SR // 10) for c in range(layout.n_channels)])
    path = write_audio(tmp_path / f"a{suffix}", y, SR, name)
    mask = read_channel_mask(path)
    assert mask == layout.channel_mask
    assert guess_format(layout.n_channels, mask) == layout
    back, sr = read_audio(path)
    assert sr == SR and back.shape == y.shape
    np.testing.assert_allclose(back, y, atol=2e-6)
    if not layout.is_ambisonic:
        assert audio_stream_facts(path)["layout"] == layout.ffmpeg_layout  # FFmpeg reads our mask


def test_plain_wav_has_no_mask(tmp_path):
    path = tmp_path / "plain.wav"
    sf.write(path, np.zeros((100, 6), np.float32), SR)
    assert read_channel_mask(path) is None
    assert guess_format(6, None) == FORMATS["5.1"]


def test_guess_format_rules():
    assert guess_format(6, 0x60F) == FORMATS["5.1"]  # side surrounds count as 5.1
    assert guess_format(4, 0) == FORMATS["foa"]
    assert guess_format(9, None) == FORMATS["hoa2"]
    assert guess_format(1, None) is None and guess_format(3, None) is None
    assert guess_format(4, 0x33) is None  # quad speakers: not ambisonics


def test_resample_keeps_a_tone_and_removes_what_cannot_be_represented():
    y = np.stack([tone(1000, 44100, 44100), tone(20000, 44100, 44100)])
    out = resample(y, 44100, 48000)
    assert out.shape == (2, 48000) and out.dtype == np.float32
    middle = out[:, 4800:-4800]
    assert np.sqrt(np.mean(middle[0] ** 2)) == pytest.approx(0.25 / np.sqrt(2), rel=0.01)
    down = resample(y, 44100, 16000)[:, 1600:-1600]
    assert np.sqrt(np.mean(down[1] ** 2)) < 0.25 / np.sqrt(2) * 0.01  # 20 kHz is above 8 kHz: gone


def test_read_audio_resamples_and_downmixes(tmp_path):
    path = write_audio(tmp_path / "s.wav", np.stack([tone(440, SR), -tone(440, SR)]), SR, "stereo")
    y, sr = read_audio(path, sample_rate=16000, mono=True)
    assert sr == 16000 and y.shape == (1, 16000)
    assert np.max(np.abs(y)) < 1e-3  # L and −L cancel


def test_bad_audio_files(tmp_path):
    empty = tmp_path / "e.wav"
    empty.write_bytes(b"")
    with pytest.raises(MediaError, match="e.wav: file is empty"):
        read_audio(empty)
    text = tmp_path / "t.ogg"
    text.write_text("no audio here")
    with pytest.raises(MediaError, match="t.ogg: not a readable"):
        read_audio(text)
    with pytest.raises(MediaError, match="missing.wav: no such file"):
        read_audio(tmp_path / "missing.wav")
    with pytest.raises(MediaError, match="needs 6 channels"):
        write_audio(tmp_path / "x.wav", np.zeros((2, 10)), SR, "5.1")
    with pytest.raises(MediaError, match="NaN"):
        write_audio(tmp_path / "n.wav", np.full((1, 10), np.nan), SR)
