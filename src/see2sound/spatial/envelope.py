"""Activity envelopes: a source fades in where it appears and out where it leaves (video tracks)."""

from __future__ import annotations

import numpy as np

DEFAULT_FADE_S = 0.3


def activity_envelope(start_s: float, end_s: float, n: int, sample_rate: int, fade_s: float = DEFAULT_FADE_S):
    """Gain ``(n,)`` float32 that is 1 between ``start_s`` and ``end_s`` and 0 well outside, with
    raised-cosine ramps of ``fade_s`` centred on both times (a ramp at 0 or at the end is skipped).

    Examples
    --------
    >>> g = activity_envelope(1.0, 2.0, 300, 100, fade_s=0.2)
    >>> [round(float(g[i]), 6) for i in (50, 100, 150, 250)]
    [0.0, 0.5, 1.0, 0.0]
    """
    gain = np.ones(n, dtype=np.float32)
    half = fade_s / 2.0
    if start_s > 0:  # silent, then the ramp up
        a, b = _span(start_s - half, start_s + half, n, sample_rate)
        gain[:a] = 0.0
        gain[a:b] *= _ramp((np.arange(a, b) / sample_rate - (start_s - half)) / fade_s)
    if end_s < n / sample_rate:  # the ramp down, then silent
        a, b = _span(end_s - half, end_s + half, n, sample_rate)
        gain[a:b] *= _ramp(((end_s + half) - np.arange(a, b) / sample_rate) / fade_s)
        gain[b:] = 0.0
    return gain


def _span(t0: float, t1: float, n: int, sample_rate: int) -> tuple[int, int]:
    """Sample indices covering the times [t0, t1), clipped to the signal."""
    a = int(np.clip(np.ceil(t0 * sample_rate), 0, n))
    b = int(np.clip(np.ceil(t1 * sample_rate), a, n))
    return a, b


def _ramp(x: np.ndarray) -> np.ndarray:
    x = np.clip(x, 0.0, 1.0)
    return (0.5 - 0.5 * np.cos(np.pi * x)).astype(np.float32)
