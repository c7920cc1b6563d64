"""Activity envelopes: a source fades in where it appears and out where it leaves (video tracks)."""

from __future__ import annotations

import numpy as np

DEFAULT_FADE_S = 0.3


def activity_envelope(
    start_s: float,
    end_s: float,
    n: int,
    sample_rate: int,
    fade_s: float = DEFAULT_FADE_S,
    window: tuple[int, int] | None = None,
):
    """Gain ``(n,)`` float32 that is 1 between ``start_s`` and ``end_s`` and 0 well outside, with
    raised-cosine ramps of ``fade_s`` centred on both times (a ramp at 0 or at the end is skipped).

    ``window=(a, b)`` returns only samples ``a`` to ``b`` of it (for rendering in time blocks).

    Examples
    --------
    >>> g = activity_envelope(1.0, 2.0, 300, 100, fade_s=0.2)
    >>> [round(float(g[i]), 6) for i in (50, 100, 150, 250)]
    [0.0, 0.5, 1.0, 0.0]
    >>> bool(np.array_equal(activity_envelope(1.0, 2.0, 300, 100, 0.2, window=(95, 205)), g[95:205]))
    True
    """
    first, last = (0, n) if window is None else window
    gain = np.ones(last - first, dtype=np.float32)
    half = fade_s / 2.0
    if start_s > 0:  # silent, then the ramp up
        a, b = _span(start_s - half, start_s + half, n, sample_rate)
        gain[: max(0, min(a, last) - first)] = 0.0
        lo, hi = max(a, first), min(b, last)
        if hi > lo:
            gain[lo - first : hi - first] *= _ramp(
                (np.arange(lo, hi) / sample_rate - (start_s - half)) / fade_s
            )
    if end_s < n / sample_rate:  # the ramp down, then silent
        a, b = _span(end_s - half, end_s + half, n, sample_rate)
        lo, hi = max(a, first), min(b, last)
        if hi > lo:
            gain[lo - first : hi - first] *= _ramp(
                ((end_s + half) - np.arange(lo, hi) / sample_rate) / fade_s
            )
        gain[max(0, b - first) :] = 0.0
    return gain


def _span(t0: float, t1: float, n: int, sample_rate: int) -> tuple[int, int]:
    """Sample indices covering the times [t0, t1), clipped to the signal."""
    a = int(np.clip(np.ceil(t0 * sample_rate), 0, n))
    b = int(np.clip(np.ceil(t1 * sample_rate), a, n))
    return a, b


def _ramp(x: np.ndarray) -> np.ndarray:
    x = np.clip(x, 0.0, 1.0)
    return (0.5 - 0.5 * np.cos(np.pi * x)).astype(np.float32)
