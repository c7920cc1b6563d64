"""The true-peak ceiling holds as FFmpeg's ebur128 and the BS.1770-4 Annex 2 filter measure it."""

from __future__ import annotations

import av
import numpy as np
import pytest
from scipy.signal import upfirdn

from see2sound.media.audio import write_audio
from see2sound.scene import Scene
from see2sound.spatial.limiter import ANNEX2_PHASES, _swr_rows, detector_phases, true_peak
from see2sound.spatial.render import RenderOptions, render_scene

from .ffmpeg_meter import ffmpeg_ebur128

SR = 48000
DURATION = 2.2


def annex2_true_peak(y: np.ndarray) -> float:
    """BS.1770-4 Annex 2: 4x upsampling with the printed 48-tap FIR, largest magnitude."""
    h = ANNEX2_PHASES.T.reshape(-1)  # the prototype: the phases interleaved
    return max(float(np.abs(upfirdn(h, channel, 4)).max()) for channel in np.atleast_2d(y))


def _signal(kind: str) -> np.ndarray:
    rng = np.random.default_rng(1)
    n = int(DURATION * SR)
    x = np.zeros(n, np.float32)
    starts = (0.1 + 0.12 * np.arange(16)) * SR
    if kind == "bursts":  # 16 full-band white-noise bursts of 10 ms
        for s in starts.astype(int):
            x[s : s + SR // 100] = rng.standard_normal(SR // 100) * 0.3
    elif kind == "clicks":
        for s in starts.astype(int):
            x[s], x[s + 1] = 0.9, -0.9
    else:  # a square wave
        x[:] = 0.3 * np.sign(np.sin(2 * np.pi * 997 * np.arange(n) / SR))
    return x


def test_detector_phases_include_ffmpegs():
    assert detector_phases(48000) == 8 and detector_phases(96000) == 8 and detector_phases(None) == 8
    assert detector_phases(32000) == 24 and detector_phases(16000) == 24  # 192 kHz / 32 kHz = 6: k/6 ⊂ k/24
    assert detector_phases(44100) == 32


def test_annex2_coefficients_are_the_printed_symmetric_filter():
    h = ANNEX2_PHASES.T.reshape(-1)
    assert h.shape == (48,)
    np.testing.assert_array_equal(h, h[::-1])
    np.testing.assert_allclose(ANNEX2_PHASES.sum(axis=1), 1.0, atol=0.03)  # about unit DC gain per phase


def test_swr_rows_are_what_ffmpeg_interpolates():
    # FFmpeg's ebur128 upsamples 48 kHz to 192 kHz with libswresample's defaults: the same resampler here
    x = np.zeros((1, 4800))
    x[0, 2000] = 1.0
    frame = av.AudioFrame.from_ndarray(x, format="dblp", layout="mono")
    frame.sample_rate = SR
    resampler = av.AudioResampler(format="dblp", layout="mono", rate=4 * SR)
    y = np.concatenate(
        [f.to_ndarray() for f in [*resampler.resample(frame), *resampler.resample(None)]], axis=1
    )[0]
    rows, offsets = _swr_rows(4)
    for p, (row, off) in enumerate(zip(rows, offsets, strict=True)):
        # the value at c + p/4 is Σ row[k] x[c − off[k]]: the impulse at 2000 reaches c = 2000 + off
        np.testing.assert_allclose(y[4 * (2000 + off) + p], row, atol=1e-12)


@pytest.mark.parametrize("kind", ["bursts", "clicks", "square"])
@pytest.mark.parametrize(
    ("gain_db", "fmt", "sr"),
    [(0.0, "stereo", SR), (60.0, "stereo", SR), (60.0, "5.1", SR), (60.0, "stereo", 44100)],
)
def test_ceiling_holds_by_ffmpeg_and_annex2(kind, gain_db, fmt, sr, tmp_path):
    scene = Scene.from_dict(
        {
            "duration": DURATION,
            "sample_rate": sr,
            "sources": [{"id": "a", "position": {"azimuth": 30.0, "distance": 1.0}, "gain_db": gain_db}],
        }
    )
    signal = np.resize(_signal(kind), int(DURATION * sr))
    y = render_scene(scene, {"a": signal}, RenderOptions(format=fmt))  # loudness natural (off)
    ceiling = 10 ** (-1.0 / 20)
    assert true_peak(y, sr) <= ceiling
    assert annex2_true_peak(y) <= ceiling * 1.00001
    path = write_audio(tmp_path / "x.wav", y, sr, fmt, subtype="FLOAT")
    assert ffmpeg_ebur128(path)["true_peak"] <= ceiling * 1.00001
    if kind != "square" or gain_db:  # everything but the quiet square wave needed the limiter
        assert max(annex2_true_peak(y), ffmpeg_ebur128(path)["true_peak"]) > ceiling * 0.98
