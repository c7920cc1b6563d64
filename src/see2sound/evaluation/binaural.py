"""Binaural cues: GCC-PHAT interaural time difference and band level differences, compared with an HRTF.

The ITD is the lag of the phase-transform cross-correlation (Knapp & Carter 1976), searched within ±1 ms; ILDs
are taken in octave bands from 1 to 8 kHz. The same functions read the cues of the HRTF used for rendering
(from
its HRIR pairs), so a render is compared with the HRTF's own cues, not with a model of them. The cues give the
lateral angle (the cone of confusion); the front/back side comes from the best-matching HRTF direction.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

MAX_ITD_S = 1e-3
ILD_BANDS_HZ = (1000.0, 2000.0, 4000.0, 8000.0)  # octave-band centres
ITD_SIGMA_S = 20e-6  # cost scales: about a just-noticeable ITD and ILD difference
ILD_SIGMA_DB = 1.5
UPSAMPLE = 16
AMBIGUOUS_PEAK_RATIO = 0.8  # GCC-PHAT peaks this close to the highest are equally plausible ITDs
CANDIDATES = 128  # HRTF directions whose band-limited ITD is computed per block
SPEED_OF_SOUND_M_S = 343.0
HEAD_RADIUS_M = 0.0875


def woodworth_itd_s(lateral_rad) -> np.ndarray:
    """Woodworth's spherical-head ITD (a/c)(θ + sin θ) for lateral angle θ (positive = left leads)."""
    theta = np.asarray(lateral_rad, dtype=float)
    return HEAD_RADIUS_M / SPEED_OF_SOUND_M_S * (theta + np.sin(theta))


def lateral_angle_deg(vectors: np.ndarray) -> np.ndarray:
    """Angle in degrees between a direction and the median plane (+90 = left ear axis)."""
    v = np.asarray(vectors, dtype=float)
    return np.degrees(np.arcsin(np.clip(v[..., 1] / np.linalg.norm(v, axis=-1), -1.0, 1.0)))


def gcc_phat(
    cross_spectrum: np.ndarray,
    sample_rate: int,
    n_fft: int,
    bins: np.ndarray | None = None,
    upsample: int = UPSAMPLE,
    max_itd_s: float = MAX_ITD_S,
) -> tuple[np.ndarray, np.ndarray]:
    """Phase-transform cross-correlation of cross-spectra X_L·conj(X_R) ``(..., bins)`` (Knapp & Carter 1976).

    ``bins`` (boolean) selects the frequencies to use; by default those with energy. Returns the correlation
    ``(..., lags)`` for interaural delays within ±``max_itd_s`` on a grid ``upsample`` times finer than the
    samples, and those delays in seconds ``(lags,)`` (positive: the left ear leads).
    """
    g = np.asarray(cross_spectrum)
    mag = np.abs(g)
    if bins is None:
        bins = mag > 1e-9 * (mag.max() if mag.size else 0.0)
    keep = bins & (mag > 0)
    phat = np.where(keep, g / np.where(keep, mag, 1.0), 0.0)
    n = n_fft * upsample
    corr = np.fft.irfft(phat, n=n, axis=-1)  # peak at lag τ_L − τ_R
    max_lag = int(np.ceil(max_itd_s * sample_rate * upsample))
    lags = np.arange(-max_lag, max_lag + 1)
    return corr[..., lags % n], -lags / (upsample * sample_rate)


def _refine(values: np.ndarray, index: np.ndarray, delays_s: np.ndarray) -> np.ndarray:
    """Peak delays refined by a parabola through each peak and its neighbours (last axis of ``values``)."""
    index = np.asarray(index)
    inner = np.clip(index, 1, values.shape[-1] - 2)
    a, b, c = (np.take_along_axis(values, (inner + d)[..., None], axis=-1)[..., 0] for d in (-1, 0, 1))
    denom = a - 2 * b + c
    shift = np.where((index == inner) & (denom != 0), 0.5 * (a - c) / np.where(denom != 0, denom, 1.0), 0.0)
    step = delays_s[1] - delays_s[0]
    return delays_s[index] + shift * step


def gcc_phat_itd(
    cross_spectrum: np.ndarray,
    sample_rate: int,
    n_fft: int,
    max_itd_s: float = MAX_ITD_S,
    bins: np.ndarray | None = None,
    upsample: int = UPSAMPLE,
):
    """ITD in seconds at the highest GCC-PHAT peak of cross-spectra ``(..., bins)``; positive: left leads.

    Returns a float for one spectrum, else an array over the leading axes.
    """
    values, delays = gcc_phat(cross_spectrum, sample_rate, n_fft, bins, upsample, max_itd_s)
    itd = _refine(values, np.argmax(values, axis=-1), delays)
    return float(itd) if np.ndim(itd) == 0 else itd


def plausible_peaks(values: np.ndarray, min_ratio: float = AMBIGUOUS_PEAK_RATIO) -> np.ndarray:
    """Boolean ``(..., lags)``: local maxima of a correlation that reach ``min_ratio`` of its highest.

    A broadband sound has one clear peak; a narrow-band sound above ~1 kHz has several, one period of its
    centre frequency apart, and its ITD is ambiguous among them (for listeners too).
    """
    v = values
    peak = np.zeros(v.shape, bool)
    peak[..., 1:-1] = (v[..., 1:-1] >= v[..., :-2]) & (v[..., 1:-1] > v[..., 2:])
    peak &= v >= min_ratio * v.max(axis=-1, keepdims=True)
    np.put_along_axis(peak, np.argmax(v, axis=-1)[..., None], True, axis=-1)
    return peak


def _band_masks(freqs_hz: np.ndarray) -> np.ndarray:
    masks = [(freqs_hz >= fc / np.sqrt(2)) & (freqs_hz < fc * np.sqrt(2)) for fc in ILD_BANDS_HZ]
    return np.array([m for m in masks if m.any()])


def band_ilds_db(power_left: np.ndarray, power_right: np.ndarray, freqs_hz: np.ndarray) -> np.ndarray:
    """ILD 10·log10(ΣP_L / ΣP_R) per octave band from power spectra ``(..., bins)``, positive = left."""
    masks = _band_masks(freqs_hz).astype(float)
    left = power_left @ masks.T
    right = power_right @ masks.T
    return 10 * np.log10(np.maximum(left, 1e-300) / np.maximum(right, 1e-300))


@dataclass
class HrtfCues:
    """The cues of an HRIR set at one analysis size: per measured direction, ITD and HRTF spectra."""

    directions: np.ndarray  # (k, 3) unit vectors
    itd_s: np.ndarray  # (k,) broadband GCC-PHAT ITD
    cross: np.ndarray  # (k, bins) H_L·conj(H_R)
    power_left: np.ndarray  # (k, bins)
    power_right: np.ndarray  # (k, bins)
    freqs_hz: np.ndarray
    n_fft: int
    sample_rate: int
    _flat_ilds: np.ndarray | None = None

    @property
    def flat_ilds_db(self) -> np.ndarray:
        """Band ILDs ``(k, bands)`` with flat weighting within each band (computed once)."""
        if self._flat_ilds is None:
            self._flat_ilds = self.ilds_db()
        return self._flat_ilds

    def ilds_db(self, source_power: np.ndarray | None = None, rows=slice(None)) -> np.ndarray:
        """Band ILDs ``(k, bands)`` of the HRIR pairs (``rows``), weighted in a band by ``source_power``."""
        w = np.ones(self.freqs_hz.shape) if source_power is None else source_power
        w = np.where(w > 1e-30, w, 0.0)  # no subnormal numbers: they slow the products down a hundredfold
        bands = _band_masks(self.freqs_hz) * w[None]  # (bands, bins)
        left, right = self.power_left[rows] @ bands.T, self.power_right[rows] @ bands.T
        return 10 * np.log10(np.maximum(left, 1e-300) / np.maximum(right, 1e-300))


def hrtf_cues(
    directions: np.ndarray,
    hrirs: np.ndarray,
    sample_rate: int,
    n_fft: int,
    min_phase: np.ndarray | None = None,
    delays_samples: np.ndarray | None = None,
) -> HrtfCues:
    """ITDs and spectra of HRIR pairs ``(k, 2, taps)`` measured at unit ``directions`` ``(k, 3)``.

    When the HRTF is rendered as minimum-phase filters ``(k, 2, taps)`` plus per-ear delays ``(k, 2)`` in
    samples, pass those: the cues are then those of the filters actually applied (a minimum-phase split
    changes the interaural phase at high frequencies). The FFT size is ``n_fft``, or more for long HRIRs
    (at least twice their length); analyse the signal with ``cues.n_fft``.
    """
    hrirs = np.asarray(hrirs if min_phase is None else min_phase, dtype=float)
    size = max(int(n_fft), int(2 ** np.ceil(np.log2(2 * hrirs.shape[-1]))))
    spec = np.fft.rfft(hrirs, n=size, axis=-1)
    if min_phase is not None and delays_samples is not None:
        k = np.arange(spec.shape[-1])
        spec = spec * np.exp(-2j * np.pi * k * np.asarray(delays_samples, dtype=float)[..., None] / size)
    cross = spec[:, 0] * np.conj(spec[:, 1])
    itd = gcc_phat_itd(cross, sample_rate, size, bins=np.ones(cross.shape[-1], bool))
    dirs = np.asarray(directions, dtype=float)
    dirs = dirs / np.linalg.norm(dirs, axis=1, keepdims=True)
    p_left, p_right = (np.maximum(np.abs(spec[:, ear]) ** 2, 1e-30) for ear in (0, 1))
    return HrtfCues(
        dirs,
        np.atleast_1d(itd),
        cross,
        p_left,
        p_right,
        np.fft.rfftfreq(size, 1.0 / sample_rate),
        size,
        int(sample_rate),
    )


@dataclass
class BinauralEstimate:
    """Cues measured in one block and the direction they point to."""

    itd_s: float
    ilds_db: np.ndarray  # NaN in bands where the block has no energy
    lateral_deg: float
    front: bool  # the best match is in front (x ≥ 0)
    front_back_ambiguous: bool
    best_direction: np.ndarray
    itd_error_s: float | None = None  # against the HRTF at the intended direction (when given)
    ild_error_db: float | None = None


def block_binaural(
    spec: np.ndarray,
    freqs_hz: np.ndarray,
    sample_rate: int,
    n_fft: int,
    cues: HrtfCues | None,
    weight: np.ndarray | None = None,
    intended: np.ndarray | None = None,
) -> tuple[BinauralEstimate, float]:
    """Cues of one block of binaural spectra ``(2, bins, frames)`` and their best match in ``cues``.

    Without an HRTF, the lateral angle comes from inverting Woodworth's ITD and front/back stays ambiguous.
    With ``intended`` (a unit vector), the estimate also holds the ITD and ILD errors against the HRTF there
    (against Woodworth's ITD without an HRTF). Returns ``(estimate, energy)``.
    """
    w = np.ones(spec.shape[1:]) if weight is None else weight
    cross = np.sum(spec[0] * np.conj(spec[1]) * w, axis=-1)
    p_left = np.sum(np.abs(spec[0]) ** 2 * w, axis=-1)
    p_right = np.sum(np.abs(spec[1]) ** 2 * w, axis=-1)
    energy = float(p_left.sum() + p_right.sum())
    mag = np.abs(cross)
    # frequencies within 40 dB of the strongest: PHAT weighs every bin alike, so near-empty bins (noise,
    # leakage from other sources) would otherwise outvote the ones that carry the sound
    bins = mag > 1e-4 * (mag.max() if mag.size else 0.0)
    values, delays = gcc_phat(cross, sample_rate, n_fft, bins)
    itd = float(_refine(values, np.argmax(values), delays))
    if np.count_nonzero(plausible_peaks(values)) > 1:
        # Several equally good peaks: a narrow-band sound whose fine-structure ITD is ambiguous. Keep the
        # frequencies below 1.5 kHz, where interaural phase is unambiguous (duplex theory); with none,
        # only the ILDs decide.
        bins = bins & (freqs_hz < 1500.0) & (mag > 1e-2 * mag.max())  # real low content, not leakage
        if bins.any():
            values, delays = gcc_phat(cross, sample_rate, n_fft, bins)
            itd = float(_refine(values, np.argmax(values), delays))
    use_itd = bool(bins.any())
    # ILDs only in bands where the source has energy (a silent band has no level difference to compare)
    power = p_left + p_right
    used = (_band_masks(freqs_hz).astype(float) @ power) >= 1e-3 * max(energy, 1e-300)
    ilds = np.where(used, band_ilds_db(p_left, p_right, freqs_hz), np.nan)
    if cues is None:
        grid = np.radians(np.linspace(-90, 90, 3601))
        lateral = float(np.degrees(grid[np.argmin(np.abs(woodworth_itd_s(grid) - itd))]))
        best = np.array([np.cos(np.radians(lateral)), np.sin(np.radians(lateral)), 0.0])
        itd_error = None
        if intended is not None and use_itd:
            itd_error = abs(itd - float(woodworth_itd_s(np.radians(lateral_angle_deg(intended)))))
        return BinauralEstimate(itd, ilds, lateral, True, True, best, itd_error, None), energy

    def reference_itds(rows: np.ndarray) -> np.ndarray:
        """The HRTF's ITDs over the signal's frequencies (a head's ITD depends on frequency).

        Where its correlation has several near-equal peaks (narrow-band sounds), the one nearest the
        signal's ITD: the same ambiguity, resolved the same way for every direction.
        """
        ref_values, ref_delays = gcc_phat(cues.cross[rows], sample_rate, n_fft, bins, upsample=8)
        gap = np.where(plausible_peaks(ref_values), np.abs(ref_delays - itd)[None, :], np.inf)
        return np.atleast_1d(_refine(ref_values, np.argmin(gap, axis=-1), ref_delays))

    def ild_cost(rows: np.ndarray) -> np.ndarray:
        if not used.any():
            return np.zeros(len(rows), dtype=float)
        ref = cues.ilds_db(power / max(energy, 1e-300), rows=rows)[:, used]
        return np.mean(((ref - ilds[used]) / ILD_SIGMA_DB) ** 2, axis=1)

    # a coarse pass over all directions (broadband ITD, loosely; flat-weighted ILDs), then the fine cost
    coarse = use_itd * ((cues.itd_s - itd) / (5 * ITD_SIGMA_S)) ** 2
    if used.any():
        coarse = coarse + np.mean(((cues.flat_ilds_db[:, used] - ilds[used]) / ILD_SIGMA_DB) ** 2, axis=1)
    candidates = np.argsort(coarse)[:CANDIDATES]
    cost = np.full(len(cues.itd_s), np.inf)
    cost[candidates] = ild_cost(candidates)
    if use_itd:
        cost[candidates] += ((reference_itds(candidates) - itd) / ITD_SIGMA_S) ** 2
    k = int(np.argmin(cost))
    near = cost <= cost[k] + 4.0
    weights = np.exp(-(cost[near] - cost[k]) / 2)
    laterals = lateral_angle_deg(cues.directions[near])
    lateral = float(np.sum(weights * laterals) / np.sum(weights))
    best = cues.directions[k]
    # the best candidate on the other side of the frontal plane: is the front/back choice clear?
    other = np.sign(cues.directions[:, 0]) != np.sign(best[0]) if best[0] != 0 else np.zeros(len(cost), bool)
    ambiguous = bool(other.any() and cost[other].min() <= cost[k] + 1.0)
    itd_error = ild_error = None
    if intended is not None:  # the HRTF's own cues at the intended direction: blend of the 3 nearest
        angles = np.arccos(np.clip(cues.directions @ np.asarray(intended, dtype=float), -1.0, 1.0))
        nearest = np.argsort(angles)[:3]
        if angles[nearest[0]] < 1e-6:
            nearest = nearest[:1]
        blend = 1.0 / np.maximum(angles[nearest], 1e-6)
        blend /= blend.sum()
        if use_itd:
            itd_error = abs(float(blend @ reference_itds(nearest)) - itd)
        if used.any():
            ref = blend @ cues.ilds_db(power / max(energy, 1e-300), rows=nearest)
            ild_error = float(np.mean(np.abs(ref[used] - ilds[used])))
    estimate = BinauralEstimate(itd, ilds, lateral, bool(best[0] >= 0), ambiguous, best, itd_error, ild_error)
    return estimate, energy


def azimuth_from_lateral_deg(lateral_deg: float, elevation_deg: float, front: bool) -> float:
    """The azimuth on the cone of lateral angle ``lateral_deg`` at ``elevation_deg``, in front or behind."""
    cos_el = np.cos(np.radians(elevation_deg))
    s = np.clip(np.sin(np.radians(lateral_deg)) / max(cos_el, 1e-9), -1.0, 1.0)
    az = float(np.degrees(np.arcsin(s)))
    if not front:
        az = (180.0 - az) if az >= 0 else (-180.0 - az)
    return az
