"""open_mono / MonoReader: stems read a block at a time equal stems read whole."""

from __future__ import annotations

import numpy as np
import pytest
import soundfile as sf

from see2sound.errors import MediaError
from see2sound.media.audio import MonoReader, open_mono, read_audio

SR = 48000


def test_slices_equal_the_whole_file_down_mixed(tmp_path):
    y = np.random.default_rng(0).uniform(-0.5, 0.5, (SR, 3)).astype(np.float32)
    path = tmp_path / "three.wav"
    sf.write(path, y, SR, subtype="FLOAT")
    reader, channels = open_mono(path, SR)
    assert isinstance(reader, MonoReader) and channels == 3
    assert len(reader) == SR and reader.shape == (SR,) and reader.dtype == np.float32
    whole = read_audio(path)[0].mean(axis=0)
    np.testing.assert_allclose(np.asarray(reader), whole, atol=1e-7)
    np.testing.assert_allclose(reader[1000:5000], whole[1000:5000], atol=1e-7)
    assert reader[SR - 10 : SR + 100].shape == (10,)  # past the end: what there is
    with pytest.raises(TypeError):
        reader[::2]


def test_other_rates_and_codecs_are_read_whole(tmp_path):
    path = tmp_path / "low.wav"
    sf.write(path, np.sin(np.arange(22050) / 10.0).astype(np.float32), 22050)
    stem, channels = open_mono(path, SR)
    assert isinstance(stem, np.ndarray) and stem.shape == (SR,) and channels == 1


def test_bad_stems_give_one_line_errors(tmp_path):
    with pytest.raises(MediaError, match="no such file"):
        open_mono(tmp_path / "missing.wav", SR)
    (tmp_path / "empty.wav").write_bytes(b"")
    with pytest.raises(MediaError, match="empty"):
        open_mono(tmp_path / "empty.wav", SR)
    bad = tmp_path / "nan.wav"
    y = np.zeros(SR, np.float32)
    y[SR // 2] = np.nan
    sf.write(bad, y, SR, subtype="FLOAT")
    reader, _ = open_mono(bad, SR)
    with pytest.raises(MediaError, match="NaN"):
        reader[: SR // 2 + 1]
