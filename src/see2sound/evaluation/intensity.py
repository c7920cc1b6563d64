"""Direction of an AmbiX signal from its active intensity vector (Merimaa & Pulkki 2005; Pulkki 2007, DirAC).

A plane wave s from the unit vector u gives W = s and (X, Y, Z) = s·u in SN3D, so per time-frequency cell
I = Re{W* (X, Y, Z)} points at the source, and E = ½(|W|² + |X|² + |Y|² + |Z|²). Higher orders carry the same
first-order channels (ACN 0–3), so this reads FOA and HOA alike.
"""

from __future__ import annotations

import numpy as np

from .spectra import analysis_fft_size, stft

INTENSITY_BAND_HZ = (100.0, 16000.0)


def block_intensity(
    spec: np.ndarray, freqs_hz: np.ndarray, weight: np.ndarray | None = None
) -> tuple[np.ndarray, float, float]:
    """Summed active intensity of one block of AmbiX spectra ``(≥4, bins, frames)`` (ACN: W Y Z X).

    Returns ``(intensity (3,) as x y z, diffuseness ψ = 1 − |ΣI| / ΣE in [0, 1], energy)``.
    """
    w = np.ones(spec.shape[1:]) if weight is None else weight
    band = (freqs_hz >= INTENSITY_BAND_HZ[0]) & (freqs_hz <= INTENSITY_BAND_HZ[1])
    s = spec[:4, band] * np.sqrt(w[band])[None]
    ww, yy, zz, xx = s
    conj_w = np.conj(ww)
    intensity = np.array([np.real(conj_w * c).sum() for c in (xx, yy, zz)])
    energy = 0.5 * float(np.sum(np.abs(s) ** 2))
    diffuseness = 1.0 - float(np.linalg.norm(intensity)) / energy if energy > 0 else 1.0
    return intensity, float(np.clip(diffuseness, 0.0, 1.0)), energy


def intensity_directions(
    y: np.ndarray, sample_rate: int, block_s: float = 0.25
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Active intensity vectors of an AmbiX signal ``(channels ≥ 4, samples)`` per block of ``block_s``.

    Returns ``(times_s (b,), unit vectors (b, 3), diffuseness (b,))``.

    Examples
    --------
    >>> s = np.random.default_rng(0).standard_normal(48000)
    >>> foa = np.stack([s, 0 * s, 0 * s, -s])  # W Y Z X: a plane wave from behind
    >>> t, u, psi = intensity_directions(foa, 48000)
    >>> np.round(u[0], 3).tolist(), round(float(psi[0]), 3)
    ([-1.0, 0.0, 0.0], 0.0)
    """
    n_fft = analysis_fft_size(sample_rate)
    hop = n_fft // 2
    spec = stft(np.asarray(y)[:4], n_fft, hop)
    freqs = np.fft.rfftfreq(n_fft, 1.0 / sample_rate)
    per_block = max(1, int(round(block_s * sample_rate / hop)))
    times, vecs, psis = [], [], []
    for start in range(0, spec.shape[-1], per_block):
        block = spec[..., start : start + per_block]
        vec, psi, _ = block_intensity(block, freqs)
        norm = np.linalg.norm(vec)
        vecs.append(vec / norm if norm > 0 else vec)
        psis.append(psi)
        times.append((start + block.shape[-1] / 2) * hop / sample_rate + n_fft / (2 * sample_rate))
    return np.array(times), np.array(vecs), np.array(psis)
