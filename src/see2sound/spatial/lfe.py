"""The LFE channel: a low-passed copy of the source mix (4th-order Butterworth at 120 Hz)."""

from __future__ import annotations

import numpy as np

LFE_CUTOFF_HZ = 120.0


def lfe_feed(mix: np.ndarray, sr: int, lfe_db: float = -10.0, cutoff_hz: float = LFE_CUTOFF_HZ) -> np.ndarray:
    """The LFE signal for a mono mix ``(n,)``: 4th-order Butterworth low-pass, then ``lfe_db`` of gain.

    The channel is a copy of the bass (the main channels still carry it); −10 dB keeps it from
    adding much level on a system that plays it back with the usual +10 dB in-band gain.

    Examples
    --------
    >>> sr = 48000
    >>> t = np.arange(sr) / sr
    >>> low = lfe_feed(np.sin(2 * np.pi * 40 * t), sr, 0.0)
    >>> round(float(np.abs(low[sr // 2 :]).max()), 2)   # 40 Hz passes
    1.0
    """
    from scipy.signal import butter, sosfilt  # imported here: scipy.signal is slow to import

    sos = butter(4, cutoff_hz, btype="low", fs=sr, output="sos")
    out = sosfilt(sos, np.asarray(mix, dtype=float))
    return (out * 10.0 ** (lfe_db / 20.0)).astype(np.result_type(mix, np.float32), copy=False)
