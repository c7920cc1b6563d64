"""Fractional delays: a windowed-sinc FIR for fixed delays, cubic Lagrange for time-varying ones.

The FIR is the one pyroomacoustics uses for its direct path (81 taps, Hann window, sinc centred on the
fractional delay; flat to within 0.02 dB up to 0.4·sr), so the paper's method can equal it. A time-varying
delay line reads the input at ``t − d(t)``; when ``d`` changes the pitch changes with it, which is the
Doppler shift of a moving source.
"""

from __future__ import annotations

import numpy as np

FIR_TAPS = 81
_READ_CHUNK = 1 << 16  # samples read through the varying delay at a time


def windowed_sinc(frac, n_taps: int = FIR_TAPS) -> np.ndarray:
    """Fractional-delay FIRs ``(..., n_taps)``: a Hann-windowed sinc centred on tap ``(n_taps−1)/2 + frac``.

    Tap ``k`` is ``hann[k] · sinc(k − (n_taps−1)/2 − frac)``; with ``frac = 0`` the filter is a unit
    impulse at the centre tap. This is pyroomacoustics' filter (evaluated exactly, without its look-up table).

    Examples
    --------
    >>> np.round(windowed_sinc(0.0, 5), 12) + 0.0
    array([0., 0., 1., 0., 0.])
    """
    if n_taps % 2 != 1:
        raise ValueError("the number of taps must be odd")
    f = np.asarray(frac, dtype=float)[..., None]
    k = np.arange(n_taps)
    hann = 0.5 - 0.5 * np.cos(2 * np.pi * k / (n_taps - 1))
    return hann * np.sinc(k - (n_taps - 1) // 2 - f)


def delay_fir(
    y: np.ndarray, delay_samples: float, n_out: int | None = None, n_taps: int = FIR_TAPS
) -> np.ndarray:
    """Delay mono ``y`` by a fixed, possibly fractional, number of samples with a windowed-sinc FIR.

    The output has ``n_out`` samples (default ``len(y)``): what arrives later is cut.

    Examples
    --------
    >>> y = np.zeros(8); y[1] = 1.0
    >>> np.round(delay_fir(y, 2.0), 6) + 0.0
    array([0., 0., 0., 1., 0., 0., 0., 0.])
    """
    y = np.asarray(y)
    n = y.shape[-1]
    n_out = n if n_out is None else int(n_out)
    if not delay_samples >= 0:
        raise ValueError("delay must be 0 or more samples")
    whole = int(np.floor(delay_samples))
    h = windowed_sinc(delay_samples - whole, n_taps)
    from scipy.signal import oaconvolve  # imported here: scipy.signal is slow to import

    full = oaconvolve(y, h.astype(y.dtype, copy=False))  # impulse at 0 -> peak at centre tap
    start = (n_taps - 1) // 2 - whole  # out[t] = full[t + start]
    out = np.zeros(n_out, dtype=full.dtype)
    lo = max(0, -start)
    hi = min(n_out, len(full) - start)
    if hi > lo:
        out[lo:hi] = full[lo + start : hi + start]
    return out.astype(y.dtype, copy=False)


def lagrange3_weights(frac: np.ndarray) -> np.ndarray:
    """Cubic Lagrange weights ``(4, m)`` for the samples at offsets −1, 0, 1, 2 around a position."""
    f = np.asarray(frac, dtype=float)
    return np.stack(
        [
            -f * (f - 1) * (f - 2) / 6.0,
            (f + 1) * (f - 1) * (f - 2) / 2.0,
            -(f + 1) * f * (f - 2) / 2.0,
            (f + 1) * f * (f - 1) / 6.0,
        ]
    )


def delay_varying(y: np.ndarray, delay_samples: np.ndarray, oversample: int = 4) -> np.ndarray:
    """Read mono ``y`` through a delay line whose length ``delay_samples[t]`` changes every sample.

    ``out[t] = y(t − d[t])``: the signal is oversampled ``oversample`` times (polyphase, Kaiser window),
    then read with cubic Lagrange interpolation. At 4× the response is flat within 0.03 dB up to 0.4·sr
    for every fractional position (plain cubic Lagrange loses 7 dB there at half-sample positions, which
    a moving source would turn into a flutter of the treble). Samples before the start read as silence.
    Doppler follows from the changing delay.

    Parameters
    ----------
    y : ndarray, shape (n,)
    delay_samples : ndarray, shape (n,)
        Non-negative delays in samples.
    oversample : int
        1 reads the input directly (cheaper, duller).

    Returns
    -------
    ndarray, shape (n,)
    """
    from scipy.signal import resample_poly

    y = np.asarray(y)
    d = np.asarray(delay_samples, dtype=float)
    n = y.shape[-1]
    if d.shape != (n,):
        raise ValueError(f"need one delay per sample ({n}), got shape {d.shape}")
    if n == 0:
        return y.copy()
    pad = 4
    padded = np.zeros(n * oversample + 2 * pad, dtype=np.result_type(y.dtype, np.float32))
    padded[pad:-pad] = resample_poly(y, oversample, 1, window=("kaiser", 8.6)) if oversample > 1 else y
    out = np.empty(n, dtype=y.dtype)
    for s0 in range(0, n, _READ_CHUNK):  # in chunks: the per-sample temporaries stay small
        s1 = min(n, s0 + _READ_CHUNK)
        pos = (np.arange(s0, s1) - d[s0:s1]) * oversample
        i = np.floor(pos).astype(np.int64)
        w = lagrange3_weights(pos - i).astype(padded.dtype, copy=False)
        base = i - 1 + pad  # index in ``padded`` of the first of the four taps
        inside = (base >= 0) & (base <= len(padded) - 4)
        base = np.clip(base, 0, len(padded) - 4)
        part = w[0] * padded[base]
        for k in range(1, 4):
            part += w[k] * padded[base + k]
        part[~inside] = 0.0
        out[s0:s1] = part
    return out


def propagation_delay_samples(
    distance_m: np.ndarray, hop: int, n: int, sr: int, speed_of_sound: float = 343.0, iterations: int = 4
) -> np.ndarray:
    """Per-sample propagation delay ``(n,)`` in samples for distances at control points every ``hop`` samples.

    The sound heard at time ``t`` left the source at ``t − d(t)``, when it was ``r(t − d(t))`` away:
    ``d(t) = r(t − d(t)) / c``. A few fixed-point iterations solve it (each shrinks the error by
    ``v/c``), so the Doppler shift is the physical ``f·c/(c − v)`` for a source approaching at ``v``.
    Before the first control point the source holds still.
    """
    r = np.asarray(distance_m, dtype=float)
    t_ctrl = np.arange(len(r)) * float(hop)
    t = np.arange(n, dtype=float)
    scale = sr / speed_of_sound
    d = np.interp(t, t_ctrl, r) * scale
    for _ in range(iterations):
        d = np.interp(t - d, t_ctrl, r) * scale
    return d
