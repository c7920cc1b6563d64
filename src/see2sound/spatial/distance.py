"""Distance cues: 1/r gain (re 1 m) and atmospheric absorption (ISO 9613-1)."""

from __future__ import annotations

import numpy as np

SPEED_OF_SOUND_M_S = 343.0  # at 20 °C; pyroomacoustics uses the same value
DEFAULT_MIN_DISTANCE_M = 0.25


def distance_gain(distance_m, min_distance_m: float = DEFAULT_MIN_DISTANCE_M) -> np.ndarray:
    """Free-field amplitude gain ``1 / max(r, r_min)`` relative to a source at 1 m.

    The minimum distance keeps a source at the head from becoming infinitely loud: 0.25 m gives at most
    +12 dB.

    Examples
    --------
    >>> distance_gain([0.1, 1.0, 2.0, 10.0])
    array([4. , 1. , 0.5, 0.1])
    """
    r = np.asarray(distance_m, dtype=float)
    return 1.0 / np.maximum(r, float(min_distance_m))


def air_absorption_db_per_m(
    frequency_hz,
    temperature_c: float = 20.0,
    humidity_pct: float = 50.0,
    pressure_kpa: float = 101.325,
) -> np.ndarray:
    """Pure-tone attenuation coefficient of air in dB per metre (ISO 9613-1:1993, eqs. 3–5, B.1).

    Examples
    --------
    >>> round(float(air_absorption_db_per_m(1000.0, 20.0, 70.0)) * 1000, 1)   # dB/km (table: 5.0)
    5.0
    """
    f = np.asarray(frequency_hz, dtype=float)
    t = temperature_c + 273.15
    t0, t01, pr = 293.15, 273.16, 101.325
    pa = pressure_kpa / pr
    # molar concentration of water vapour, % (Annex B)
    c = -6.8346 * (t01 / t) ** 1.261 + 4.6151
    h = humidity_pct * 10.0**c / pa
    fr_o = pa * (24.0 + 4.04e4 * h * (0.02 + h) / (0.391 + h))
    fr_n = pa * (t / t0) ** -0.5 * (9.0 + 280.0 * h * np.exp(-4.170 * ((t / t0) ** (-1.0 / 3.0) - 1.0)))
    return (
        8.686
        * f**2
        * (
            1.84e-11 / pa * (t / t0) ** 0.5
            + (t / t0) ** -2.5
            * (
                0.01275 * np.exp(-2239.1 / t) / (fr_o + f**2 / fr_o)
                + 0.1068 * np.exp(-3352.0 / t) / (fr_n + f**2 / fr_n)
            )
        )
    )


def apply_air_absorption(
    y: np.ndarray,
    sr: int,
    distance_m,
    frame_length: int = 1024,
    temperature_c: float = 20.0,
    humidity_pct: float = 50.0,
) -> np.ndarray:
    """Filter a mono signal by the air absorption of a path of ``distance_m`` metres.

    Zero-phase gains on a short-time Fourier transform (Hann, 75 % overlap), so the filter can follow a
    moving source: ``distance_m`` is a scalar or one value per sample ``(n,)``.

    Parameters
    ----------
    y : ndarray, shape (n,)
    sr : int
    distance_m : float or ndarray, shape (n,)
    frame_length : int
        STFT frame in samples; the attenuation is updated every quarter frame.

    Returns
    -------
    ndarray, shape (n,)
    """
    from scipy.signal import istft, stft

    y = np.asarray(y)
    n = y.shape[-1]
    if n == 0:
        return y.copy()
    hop = frame_length // 4
    freqs, times, spec = stft(y, fs=sr, window="hann", nperseg=frame_length, noverlap=frame_length - hop)
    alpha = air_absorption_db_per_m(freqs, temperature_c, humidity_pct)
    r = np.asarray(distance_m, dtype=float)
    if r.ndim == 0:
        r_frames = np.full(times.shape, float(r))
    else:
        idx = np.clip(np.round(times * sr).astype(int), 0, n - 1)
        r_frames = r[idx]
    spec *= 10.0 ** (-np.outer(alpha, r_frames) / 20.0)
    _, out = istft(spec, fs=sr, window="hann", nperseg=frame_length, noverlap=frame_length - hop)
    return out[:n].astype(y.dtype, copy=False)
