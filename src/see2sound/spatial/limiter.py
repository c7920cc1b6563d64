"""True-peak measurement (ITU-R BS.1770-4 Annex 2) and a look-ahead true-peak limiter."""

from __future__ import annotations

from functools import lru_cache

import numpy as np


@lru_cache(maxsize=8)
def _polyphase_interpolator(oversample: int) -> tuple[np.ndarray, np.ndarray, float]:
    """The interpolation filter of ``resample_poly(x, oversample, 1, window=("kaiser", 8.6))`` split by phase.

    Returns ``(H, offsets, bound)``: the value between samples ``c`` and ``c+1`` at phase ``p`` is
    ``Σ_k H[p, k] · x[c − offsets[k]]``; ``bound = max_p Σ_k |H[p, k]|`` limits how far any interpolated
    value can exceed the largest sample around it.
    """
    from scipy.signal import firwin  # imported here: scipy.signal is slow to import

    half = 10 * oversample
    h = firwin(2 * half + 1, 1.0 / oversample, window=("kaiser", 8.6)) * oversample
    offsets = np.arange(-(half // oversample) - 1, half // oversample + 2)
    taps = np.zeros((oversample, len(offsets)))
    for p in range(oversample):
        idx = offsets * oversample + p + half
        ok = (idx >= 0) & (idx < len(h))
        taps[p, ok] = h[idx[ok]]
    return taps, offsets, float(np.abs(taps).sum(axis=1).max())


CHUNK = 1 << 20  # samples handled at once: the memory stays bounded however long the signal is


def _oversampled_abs_peaks(y: np.ndarray, oversample: int, threshold: float = 0.0) -> np.ndarray:
    """Per sample, the largest |value| over all channels of the oversampled signal up to the next sample.

    Exact wherever that value can reach ``threshold``; elsewhere the sample magnitude (a lower bound, below
    ``threshold``). Computed in chunks with enough context on both sides that the result does not depend
    on where the chunks start.
    """
    y = np.atleast_2d(y)
    n = y.shape[-1]
    peaks = np.empty(n, dtype=np.result_type(y.dtype, np.float32))
    margin = 2 * int(np.abs(_polyphase_interpolator(oversample)[1]).max()) + 16 if oversample > 1 else 0
    for s0 in range(0, n, CHUNK):
        s1 = min(n, s0 + CHUNK)
        a0, a1 = max(0, s0 - margin), min(n, s1 + margin)
        peaks[s0:s1] = _chunk_peaks(y[:, a0:a1], oversample, threshold)[s0 - a0 : s1 - a0]
    return peaks


def _chunk_peaks(y: np.ndarray, oversample: int, threshold: float) -> np.ndarray:
    """:func:`_oversampled_abs_peaks` of one chunk, zeros assumed outside it.

    Only samples whose neighbourhood is loud enough are interpolated: an interpolated value is at most
    ``bound`` times the largest sample within the filter's reach.
    """
    peaks = np.abs(y[0]).astype(np.result_type(y.dtype, np.float32))
    for channel in y[1:]:
        np.maximum(peaks, np.abs(channel), out=peaks)
    if oversample <= 1:
        return peaks
    taps, offsets, bound = _polyphase_interpolator(oversample)
    if float(peaks.max()) * bound < threshold:  # nothing anywhere can reach the threshold
        return peaks
    from scipy.ndimage import maximum_filter1d  # imported here: scipy.ndimage is slow to import

    reach = int(np.abs(offsets).max())
    n = y.shape[-1]
    near = maximum_filter1d(peaks, 2 * reach + 1, mode="constant")
    candidates = np.flatnonzero(near * bound >= threshold)
    if len(candidates) > n // 8:  # loud throughout: oversample everything, one channel at a time
        from scipy.signal import resample_poly

        for channel in y:
            up = resample_poly(channel, oversample, 1, window=("kaiser", 8.6))[: n * oversample]
            np.maximum(peaks, np.abs(up).reshape(n, oversample).max(axis=1), out=peaks)
        return peaks
    dtype = np.result_type(y.dtype, np.float32)
    padded = np.zeros((y.shape[0], n + 2 * reach), dtype=dtype)
    padded[:, reach : reach + n] = y
    h = taps.T.astype(dtype)
    for start in range(0, len(candidates), 1 << 13):
        c = candidates[start : start + (1 << 13)]
        for channel in padded:
            rows = channel[c[:, None] - offsets[None, :] + reach]  # (m, taps)
            peaks[c] = np.maximum(peaks[c], np.abs(rows @ h).max(axis=1))
    return peaks


def true_peak(y: np.ndarray, sr: int | None = None, oversample: int = 4) -> float:
    """Largest absolute value of the ``oversample``-times oversampled signal (linear, all channels).

    BS.1770-4 asks for at least 4× oversampling at 48 kHz (``sr`` is accepted for symmetry and unused).
    """
    y = np.atleast_2d(np.asarray(y))
    if y.shape[-1] == 0:
        return 0.0
    sample_peak = max(float(np.abs(y[:, s0 : s0 + CHUNK]).max()) for s0 in range(0, y.shape[-1], CHUNK))
    # only values above the sample peak matter, and only near samples loud enough to produce them
    return float(_oversampled_abs_peaks(y, oversample, threshold=sample_peak).max())


def limit_true_peak(
    y: np.ndarray,
    sr: int,
    ceiling_dbtp: float = -1.0,
    attack_ms: float = 5.0,
    oversample: int = 4,
    in_place: bool = False,
) -> np.ndarray:
    """Keep the true peak of ``y`` ``(channels, samples)`` at or below ``ceiling_dbtp`` with a smooth gain.

    The gain needed at each sample (``ceiling / peak``, at most 1) is spread with a forward minimum
    and a backward moving average over ``attack_ms``: it starts falling one window before a peak, is never
    above the needed gain, and recovers over the same window. One gain for all channels keeps the image.
    A last check scales the whole signal if the limited result still exceeds the ceiling. The work goes
    in chunks, so a long signal needs little memory beyond itself (none more with ``in_place``).

    Returns
    -------
    ndarray
        Same shape and dtype as ``y``; ``y`` itself when no limiting is needed (or with ``in_place``).
    """
    y = np.asarray(y)
    n = y.shape[-1]
    if n == 0:
        return y
    ceiling = 10.0 ** (ceiling_dbtp / 20.0)
    needed = _oversampled_abs_peaks(y, oversample, threshold=ceiling)  # turned into the needed gain:
    np.maximum(needed, 1e-30, out=needed)
    np.divide(np.asarray(ceiling, dtype=needed.dtype), needed, out=needed)
    np.minimum(needed, 1.0, out=needed)
    if needed.min() >= 1.0:
        return y
    from scipy.ndimage import minimum_filter1d, uniform_filter1d

    width = max(1, int(round(attack_ms * 1e-3 * sr))) | 1  # odd
    half = width // 2
    out = y if in_place else np.empty_like(y)
    for s0 in range(0, n, CHUNK):
        s1 = min(n, s0 + CHUNK)
        a0, a1 = max(0, s0 - 2 * width), min(n, s1 + 2 * width)
        if needed[max(0, s0 - width) : s1 + width].min() >= 1.0:  # no peak within reach: gain 1
            if not in_place:
                out[:, s0:s1] = y[:, s0:s1]
            continue
        ahead = minimum_filter1d(needed[a0:a1], width, mode="nearest", origin=-half)  # min over [t, t + w)
        gain = uniform_filter1d(ahead, width, mode="nearest", origin=half)  # mean over (t - w, t]: <= needed
        np.multiply(y[:, s0:s1], gain[s0 - a0 : s1 - a0].astype(y.dtype), out=out[:, s0:s1])
    peak = true_peak(out, sr, oversample)
    if peak > ceiling:
        out *= np.asarray(ceiling / peak * (1 - 1e-6), dtype=y.dtype)
    return out
