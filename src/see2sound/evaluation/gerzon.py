"""Gerzon's velocity and energy vectors of a loudspeaker signal (Gerzon 1992, AES preprint 3306).

The velocity vector predicts the perceived direction at low frequencies (below about 700 Hz), the energy
vector above. Both are computed from the signals and this package's own ITU loudspeaker table; the LFE is
left out.
"""

from __future__ import annotations

import numpy as np

from ..formats import Format
from .layouts import speaker_vectors
from .spectra import analysis_fft_size, stft

VELOCITY_BAND_HZ = (80.0, 700.0)
ENERGY_BAND_HZ = (700.0, 16000.0)


def energy_vector(channel_power: np.ndarray, speakers: np.ndarray) -> np.ndarray:
    """r_E = Σ g_i² u_i / Σ g_i² for channel powers ``(k,)`` (or ``(k, n)``) and speaker vectors ``(k, 3)``.

    Returns ``(3,)`` (or ``(n, 3)``); its length ≤ 1 measures how sharp the image is.
    """
    p = np.asarray(channel_power, dtype=float)
    total = np.sum(p, axis=0)
    vec = np.tensordot(p, speakers, axes=([0], [0]))
    return vec / np.maximum(total, 1e-300)[..., None] if vec.ndim > 1 else vec / max(float(total), 1e-300)


def block_vectors(
    spec: np.ndarray, freqs_hz: np.ndarray, speakers: np.ndarray, weight: np.ndarray | None = None
) -> tuple[np.ndarray, np.ndarray, float]:
    """Energy and velocity vectors of one block of spectra ``(k, bins, frames)`` of the loudspeaker channels.

    ``weight`` ``(bins, frames)`` in [0, 1] selects the time-frequency cells that belong to one source.
    The velocity vector uses the pressure (channel sum) as reference, r_V = Σ Re⟨X_i, P⟩ u_i / ⟨P, P⟩, so it
    keeps the sign of out-of-phase feeds. Returns ``(r_E, r_V, energy)``.
    """
    w = np.ones(spec.shape[1:]) if weight is None else weight
    hi = (freqs_hz >= ENERGY_BAND_HZ[0]) & (freqs_hz <= ENERGY_BAND_HZ[1])
    lo = (freqs_hz >= VELOCITY_BAND_HZ[0]) & (freqs_hz < VELOCITY_BAND_HZ[1])
    power = np.abs(spec) ** 2 * w
    r_e = energy_vector(power[:, hi].sum(axis=(1, 2)), speakers)
    pressure = spec[:, lo].sum(axis=0)
    cross = np.real(spec[:, lo] * np.conj(pressure)[None]) * w[lo]
    p_energy = float(np.sum(np.abs(pressure) ** 2 * w[lo]))
    r_v = (cross.sum(axis=(1, 2)) @ speakers) / max(p_energy, 1e-300)
    return r_e, r_v, float(power.sum())


def gerzon_vectors(
    y: np.ndarray, sample_rate: int, fmt: Format, block_s: float = 0.25
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Energy and velocity vectors of a loudspeaker signal ``(channels, samples)`` per block of ``block_s``.

    Returns ``(times_s (b,), r_E (b, 3), r_V (b, 3))``.

    Examples
    --------
    >>> from see2sound.formats import FORMATS
    >>> y = np.zeros((6, 48000)); y[2] = np.random.default_rng(0).standard_normal(48000)  # C only
    >>> t, r_e, r_v = gerzon_vectors(y, 48000, FORMATS["5.1"])
    >>> np.round(r_e[0], 3).tolist()
    [1.0, 0.0, 0.0]
    """
    speakers, index = speaker_vectors(fmt)
    n_fft = analysis_fft_size(sample_rate)
    hop = n_fft // 2
    spec = stft(np.asarray(y)[index], n_fft, hop)
    freqs = np.fft.rfftfreq(n_fft, 1.0 / sample_rate)
    per_block = max(1, int(round(block_s * sample_rate / hop)))
    times, r_es, r_vs = [], [], []
    for start in range(0, spec.shape[-1], per_block):
        block = spec[..., start : start + per_block]
        r_e, r_v, _ = block_vectors(block, freqs, speakers)
        times.append((start + block.shape[-1] / 2) * hop / sample_rate + n_fft / (2 * sample_rate))
        r_es.append(r_e)
        r_vs.append(r_v)
    return np.array(times), np.array(r_es), np.array(r_vs)
