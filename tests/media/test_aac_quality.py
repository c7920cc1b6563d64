"""`mux` encodes AAC with FFmpeg's fast coder: loudness and spectrum stay those of the input.

The fast coder (`aac_coder=fast`) takes about a quarter of the CPU time of FFmpeg's default two-loop
search; these tests pin down that the decoded track keeps the input's loudness (ITU-R BS.1770 via
pyloudnorm, an independent meter) and its third-octave spectrum, and is no worse than the default coder.
"""

from __future__ import annotations

from fractions import Fraction

import av
import numpy as np
import pyloudnorm
import pytest
from scipy.signal import butter, lfilter, sosfilt

from see2sound.media import mux, read_audio_track

from .makers import make_video

SR = 48000
N = 3 * SR
FULL_RANGE = [0, 1, 2, 4, 5]  # 5.1 without the LFE (channel 3)
CENTERS_HZ = 1000 * 2 ** (np.arange(-13, 12) / 3)  # third octaves, 50 Hz … 12.7 kHz


@pytest.fixture(scope="module")
def ambience() -> np.ndarray:
    """Ambience-like 5.1: independent low-passed noise per channel, the LFE below 100 Hz (seeded)."""
    rng = np.random.default_rng(7)
    y = 0.05 * lfilter([1.0], [1.0, -0.95], rng.standard_normal((6, N)), axis=1)
    y[3] = 0.3 * sosfilt(butter(4, 100, fs=SR, output="sos"), rng.standard_normal(N))
    return y.astype(np.float32)


def band_levels_db(y: np.ndarray) -> np.ndarray:
    """Energy per third-octave band, dB, shape ``(channels, bands)``."""
    power = np.abs(np.fft.rfft(y, axis=-1)) ** 2
    freqs = np.fft.rfftfreq(y.shape[-1], 1 / SR)
    edges = [(c * 2 ** (-1 / 6), c * 2 ** (1 / 6)) for c in CENTERS_HZ]
    return 10 * np.log10(np.stack([power[:, (freqs >= lo) & (freqs < hi)].sum(-1) for lo, hi in edges], -1))


def encode_decode_default_coder(y: np.ndarray) -> np.ndarray:
    """The same audio through FFmpeg's default AAC coder (two-loop search), decoded, priming removed."""
    encoder = av.CodecContext.create("aac", "w")
    encoder.sample_rate, encoder.layout, encoder.format, encoder.bit_rate = SR, "5.1", "fltp", 448_000
    packets = []
    for start in range(0, y.shape[1], 1024):
        frame = av.AudioFrame.from_ndarray(np.ascontiguousarray(y[:, start : start + 1024]), "fltp", "5.1")
        frame.sample_rate, frame.pts, frame.time_base = SR, start, Fraction(1, SR)
        packets += encoder.encode(frame)
    packets += encoder.encode(None)
    decoder = av.CodecContext.create("aac", "r")
    decoder.extradata, decoder.sample_rate, decoder.layout = encoder.extradata, SR, "5.1"
    decoded = [frame.to_ndarray() for packet in packets for frame in decoder.decode(packet)]
    return np.concatenate(decoded, axis=1)[:, 1024 : 1024 + y.shape[1]]


@pytest.fixture(scope="module")
def muxed(ambience, tmp_path_factory) -> np.ndarray:
    folder = tmp_path_factory.mktemp("aacq")
    clip = make_video(folder / "clip.mp4", n_frames=75)
    out = mux(clip, ambience, folder / "out.mp4", sample_rate=SR, fmt="5.1")
    with av.open(str(out)) as container:
        assert container.streams.audio[0].codec_context.name == "aac"
    return read_audio_track(out, SR)


def test_loudness_kept(ambience, muxed):
    meter = pyloudnorm.Meter(SR)  # BS.1770 K-weighting; channels weighted 1.0 as for L, R, C
    before = meter.integrated_loudness(ambience[FULL_RANGE].T)
    after = meter.integrated_loudness(muxed[FULL_RANGE].T)
    assert after == pytest.approx(before, abs=0.5)


def test_third_octave_spectrum_kept(ambience, muxed):
    error = band_levels_db(muxed) - band_levels_db(ambience)
    assert np.abs(error[FULL_RANGE]).max() < 1.0  # every band of every full-range channel within 1 dB
    assert np.abs(error[3, CENTERS_HZ <= 100]).max() < 1.0  # the LFE's band
    assert (np.abs(muxed - ambience) ** 2).sum() < 0.1 * (ambience**2).sum()  # waveform SNR > 10 dB


def test_no_worse_than_the_default_coder(ambience, muxed):
    reference = encode_decode_default_coder(ambience)
    ours = np.abs(band_levels_db(muxed) - band_levels_db(ambience))[FULL_RANGE]
    default = np.abs(band_levels_db(reference) - band_levels_db(ambience))[FULL_RANGE]
    assert np.all(ours.max(axis=0) <= default.max(axis=0) + 0.5)  # band by band, worst channel
    snr_ours = 10 * np.log10((ambience**2).sum() / ((muxed - ambience) ** 2).sum())
    snr_default = 10 * np.log10((ambience**2).sum() / ((reference - ambience) ** 2).sum())
    assert snr_ours > snr_default - 1.0
