"""Short-time spectra shared by the estimators: one STFT convention for every measure."""

from __future__ import annotations

import numpy as np


def analysis_fft_size(sample_rate: int) -> int:
    """About 21 ms frames: 1024 samples at 48 kHz, a power of two at any rate."""
    return int(2 ** round(np.log2(sample_rate * 1024 / 48000)))


def stft(y: np.ndarray, n_fft: int, hop: int | None = None) -> np.ndarray:
    """Hann-windowed STFT of ``y`` ``(channels, samples)`` → ``(channels, n_fft // 2 + 1, frames)``.

    Frame ``k`` starts at sample ``k * hop``; the signal is zero-padded at the end to whole frames.
    """
    y = np.atleast_2d(np.asarray(y, dtype=np.float64))
    hop = hop or n_fft // 2
    n = y.shape[-1]
    n_frames = max(1, int(np.ceil(max(n - n_fft, 0) / hop)) + 1)
    padded = np.zeros(y.shape[:-1] + ((n_frames - 1) * hop + n_fft,))
    padded[..., :n] = y
    idx = np.arange(n_fft)[None, :] + hop * np.arange(n_frames)[:, None]
    frames = padded[..., idx] * np.hanning(n_fft + 1)[:-1]
    return np.moveaxis(np.fft.rfft(frames, axis=-1), -1, -2)


def frame_times(n_frames: int, n_fft: int, hop: int, sample_rate: int) -> np.ndarray:
    """Centre time in seconds of each STFT frame."""
    return (np.arange(n_frames) * hop + n_fft / 2) / sample_rate


def group_frames(n_frames: int, frames_per_block: int) -> list[slice]:
    """Consecutive blocks of frames (the last one may be shorter)."""
    return [slice(s, min(s + frames_per_block, n_frames)) for s in range(0, n_frames, frames_per_block)]
