"""Signal health of a render: loudness, true peak, clipping, DC, inter-channel coherence, LFE content.

Loudness follows ITU-R BS.1770-4: K-weighting, 400 ms blocks with 75 % overlap, an absolute gate at −70 LUFS
and a relative gate at −10 LU; channel weights 1.41 for loudspeakers at 60–120° azimuth below 30° elevation,
1.0 otherwise; the LFE is excluded. Ambisonics have no BS.1770 rule: we measure W (the omnidirectional
channel, the mono sum in SN3D). True peak is the peak of the 4× oversampled signal (BS.1770 annex 2).
"""

from __future__ import annotations

import numpy as np
from scipy.signal import lfilter, resample_poly

from ..formats import Format
from .layouts import SPEAKER_ANGLES_DEG

CLIP_LEVEL = 0.9999  # a sample this close to full scale counts as clipped
DUAL_MONO_COHERENCE = 0.999
LFE_CUTOFF_HZ = 120.0


def k_weighting_filters(sample_rate: int) -> list[tuple[np.ndarray, np.ndarray]]:
    """The two BS.1770 K-weighting biquads (shelf, then high-pass) at any rate.

    Brecht De Man's analog-prototype derivation: at 48 kHz it reproduces the coefficients tabulated in
    ITU-R BS.1770-4 to about 1e-8.
    """
    k = np.tan(np.pi * 1681.974450955533 / sample_rate)
    q = 0.7071752369554196
    vh = 10 ** (3.999843853973347 / 20)
    vb = vh**0.4996667741545416
    a0 = 1 + k / q + k * k
    shelf = (
        np.array([vh + vb * k / q + k * k, 2 * (k * k - vh), vh - vb * k / q + k * k]) / a0,
        np.array([1.0, 2 * (k * k - 1) / a0, (1 - k / q + k * k) / a0]),
    )
    k = np.tan(np.pi * 38.13547087602444 / sample_rate)
    q = 0.5003270373238773
    a0 = 1 + k / q + k * k
    high_pass = (np.array([1.0, -2.0, 1.0]), np.array([1.0, 2 * (k * k - 1) / a0, (1 - k / q + k * k) / a0]))
    return [shelf, high_pass]


def k_weight(y: np.ndarray, sample_rate: int) -> np.ndarray:
    """BS.1770 K-weighting along the last axis: a +4 dB shelf above ~1.7 kHz, then a ~38 Hz high-pass."""
    for b, a in k_weighting_filters(sample_rate):
        y = lfilter(b, a, y, axis=-1)
    return y


def loudness_weights(fmt: Format) -> np.ndarray:
    """BS.1770 weight per channel of ``fmt`` (0 for the LFE and for ambisonic channels other than W)."""
    if fmt.is_ambisonic:
        w = np.zeros(fmt.n_channels)
        w[0] = 1.0
        return w
    weights = []
    for name in fmt.channels:
        if name == "LFE":
            weights.append(0.0)
            continue
        az, el = SPEAKER_ANGLES_DEG.get(name, (0.0, 0.0))
        weights.append(1.41 if (60.0 <= abs(az) <= 120.0 and el < 30.0 and not fmt.binaural) else 1.0)
    return np.array(weights)


def integrated_loudness(y: np.ndarray, sample_rate: int, channel_weights: np.ndarray) -> float:
    """Gated integrated loudness in LUFS of ``y`` ``(channels, samples)``; −inf if silent or < 400 ms."""
    y = np.atleast_2d(np.asarray(y, dtype=float))
    use = np.asarray(channel_weights) > 0
    z = k_weight(y[use], sample_rate) ** 2
    g = np.asarray(channel_weights)[use]
    block, step = int(round(0.4 * sample_rate)), int(round(0.1 * sample_rate))
    if z.shape[1] < block:
        return float("-inf")
    csum = np.concatenate([np.zeros((z.shape[0], 1)), np.cumsum(z, axis=1)], axis=1)
    starts = np.arange(0, z.shape[1] - block + 1, step)
    power = (csum[:, starts + block] - csum[:, starts]) / block  # (channels, blocks)
    block_power = g @ power
    with np.errstate(divide="ignore"):
        block_lufs = -0.691 + 10 * np.log10(block_power)
    gated = block_power[block_lufs > -70.0]
    if gated.size == 0:
        return float("-inf")
    relative = -0.691 + 10 * np.log10(gated.mean()) - 10.0
    gated = gated[-0.691 + 10 * np.log10(gated) > relative]
    return float(-0.691 + 10 * np.log10(gated.mean()))


def true_peak_dbtp(y: np.ndarray, oversample: int = 4) -> float:
    """Peak of the ``oversample``× interpolated signal in dB re full scale (−inf for silence)."""
    y = np.atleast_2d(np.asarray(y, dtype=float))
    up = resample_poly(y, oversample, 1, axis=-1)
    peak = max(float(np.max(np.abs(up))), float(np.max(np.abs(y))))
    return float(20 * np.log10(peak)) if peak > 0 else float("-inf")


def clipped_samples(y: np.ndarray, level: float = CLIP_LEVEL) -> int:
    """Number of samples (over all channels) at or beyond ``level`` of full scale."""
    return int(np.count_nonzero(np.abs(np.asarray(y)) >= level))


def dc_offsets(y: np.ndarray) -> np.ndarray:
    """Mean of each channel (full scale = 1)."""
    return np.mean(np.atleast_2d(np.asarray(y, dtype=float)), axis=-1)


def coherence_matrix(y: np.ndarray) -> np.ndarray:
    """Zero-lag normalised correlation between channels ``(c, c)`` (0 where a channel is silent)."""
    y = np.atleast_2d(np.asarray(y, dtype=float))
    y = y - y.mean(axis=-1, keepdims=True)
    norm = np.sqrt(np.sum(y**2, axis=-1))
    safe = np.where(norm > 0, norm, 1.0)
    c = (y @ y.T) / np.outer(safe, safe)
    c[norm == 0] = 0.0
    c[:, norm == 0] = 0.0
    return c


def is_dual_mono(y: np.ndarray) -> bool:
    """True when every active channel carries the same signal at the same level: no spatial image at all."""
    y = np.atleast_2d(np.asarray(y, dtype=float))
    rms = np.sqrt(np.mean(y**2, axis=-1))
    active = rms > 1e-6 * max(float(rms.max()), 1e-300)
    if active.sum() < 2:
        return False
    c = coherence_matrix(y[active])
    levels_db = 20 * np.log10(rms[active])
    return bool(np.all(c > DUAL_MONO_COHERENCE) and np.ptp(levels_db) < 0.5)


def lfe_above_cutoff_db(lfe: np.ndarray, sample_rate: int, cutoff_hz: float = LFE_CUTOFF_HZ) -> float | None:
    """Energy of the LFE above ``cutoff_hz`` relative to all its energy, in dB (None for a silent LFE)."""
    spec = np.abs(np.fft.rfft(np.asarray(lfe, dtype=float))) ** 2
    total = float(spec.sum())
    if total <= 0:
        return None
    above = float(spec[np.fft.rfftfreq(len(lfe), 1.0 / sample_rate) > cutoff_hz].sum())
    return float(10 * np.log10(max(above / total, 1e-30)))


def signal_health(y: np.ndarray, sample_rate: int, fmt: Format) -> dict:
    """All health measures of a render ``(channels, samples)`` as a JSON-ready dict.

    Keys: ``loudness_lufs``, ``true_peak_dbtp``, ``clipped_samples``, ``dc_offset_max``,
    ``nonfinite_samples``,
    ``max_interchannel_coherence``, ``dual_mono``, ``lfe_above_120hz_db``.
    """
    y = np.atleast_2d(np.asarray(y, dtype=float))
    nonfinite = int(np.count_nonzero(~np.isfinite(y)))
    y = np.nan_to_num(y, nan=0.0, posinf=1.0, neginf=-1.0)
    spatial = [i for i, name in enumerate(fmt.channels) if name != "LFE"]
    coherence = coherence_matrix(y[spatial]) if not fmt.is_ambisonic else coherence_matrix(y)
    off_diag = coherence[~np.eye(coherence.shape[0], dtype=bool)]
    loud = integrated_loudness(y, sample_rate, loudness_weights(fmt))
    peak = true_peak_dbtp(y)
    lfe = fmt.lfe_index
    return {
        "loudness_lufs": _finite_or_none(loud),
        "true_peak_dbtp": _finite_or_none(peak),
        "clipped_samples": clipped_samples(y),
        "nonfinite_samples": nonfinite,
        "dc_offset_max": float(np.max(np.abs(dc_offsets(y)))),
        "max_interchannel_coherence": float(np.max(np.abs(off_diag))) if off_diag.size else None,
        "dual_mono": is_dual_mono(y[spatial]) if not fmt.is_ambisonic else False,
        "lfe_above_120hz_db": lfe_above_cutoff_db(y[lfe], sample_rate) if lfe is not None else None,
    }


def _finite_or_none(value: float) -> float | None:
    return float(value) if np.isfinite(value) else None
