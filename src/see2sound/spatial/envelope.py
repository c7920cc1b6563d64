"""Activity envelopes: a source fades in where it appears and out where it leaves (video tracks)."""

from __future__ import annotations

import numpy as np

DEFAULT_FADE_S = 0.3


def activity_envelope(start_s: float, end_s: float, n: int, sample_rate: int, fade_s: float = DEFAULT_FADE_S):
    """Gain ``(n,)`` that is 1 between ``start_s`` and ``end_s`` and 0 well outside, with raised-cosine
    ramps of ``fade_s`` centred on both times (a ramp at 0 or at the end of the signal is skipped).

    Examples
    --------
    >>> g = activity_envelope(1.0, 2.0, 300, 100, fade_s=0.2)
    >>> [round(float(g[i]), 6) for i in (50, 100, 150, 250)]
    [0.0, 0.5, 1.0, 0.0]
    """
    t = np.arange(n) / float(sample_rate)
    half = fade_s / 2.0
    gain = np.ones(n)
    if start_s > 0:
        gain *= _ramp((t - (start_s - half)) / fade_s)
    if end_s < n / sample_rate:
        gain *= _ramp(((end_s + half) - t) / fade_s)
    return gain


def _ramp(x: np.ndarray) -> np.ndarray:
    x = np.clip(x, 0.0, 1.0)
    return 0.5 - 0.5 * np.cos(np.pi * x)
