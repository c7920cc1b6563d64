"""True-peak measurement and a look-ahead true-peak limiter whose ceiling holds as standard meters read it.

The true peak is the largest magnitude of the band-limited signal between the samples. Meters estimate it by
oversampling, and each interpolator reads a little differently near the Nyquist frequency: the ITU-R BS.1770-4
Annex 2 filter (48 taps, 4 phases) over-reads there; FFmpeg's ``ebur128`` upsamples to 192 kHz with
libswresample's default filter (a 32-tap Kaiser-windowed sinc, beta 9, cut off at the Nyquist frequency); a
short interpolator cut off below Nyquist under-reads full-band transients by ~0.3 dB. So the detector here
takes, per sample, the larger of two readings: libswresample's filter at enough phases to include every one
FFmpeg evaluates (:func:`detector_phases`: 8 at 48 and 96 kHz, a superset of FFmpeg's 4 and 2; 32 at 44.1 kHz,
where FFmpeg's 192 kHz grid does not line up with the samples) and the Annex 2 filter itself. A signal limited
to a ceiling by this detector reads at or below it on both meters (tested against FFmpeg's ``ebur128`` and the
Annex 2 filter on full-band noise bursts, clicks and square waves, at 48 and 44.1 kHz).
"""

from __future__ import annotations

import math
from functools import lru_cache

import numpy as np

# ITU-R BS.1770-4 Annex 2: the 48-tap interpolating FIR as its four phases (12 taps each, as printed)
ANNEX2_PHASES = np.array(
    [
        [0.0017089843750, 0.0109863281250, -0.0196533203125, 0.0332031250000,
         -0.0594482421875, 0.1373291015625, 0.9721679687500, -0.1022949218750,
         0.0476074218750, -0.0266113281250, 0.0148925781250, -0.0083007812500],
        [-0.0291748046875, 0.0292968750000, -0.0517578125000, 0.0891113281250,
         -0.1665039062500, 0.4650878906250, 0.7797851562500, -0.2003173828125,
         0.1015625000000, -0.0582275390625, 0.0330810546875, -0.0189208984375],
        [-0.0189208984375, 0.0330810546875, -0.0582275390625, 0.1015625000000,
         -0.2003173828125, 0.7797851562500, 0.4650878906250, -0.1665039062500,
         0.0891113281250, -0.0517578125000, 0.0292968750000, -0.0291748046875],
        [-0.0083007812500, 0.0148925781250, -0.0266113281250, 0.0476074218750,
         -0.1022949218750, 0.9721679687500, 0.1373291015625, -0.0594482421875,
         0.0332031250000, -0.0196533203125, 0.0109863281250, 0.0017089843750],
    ]
)  # fmt: skip
SWR_TAPS = 32  # libswresample's default filter_size
SWR_KAISER_BETA = 9.0  # and kaiser_beta


def _swr_rows(oversample: int) -> tuple[list[np.ndarray], list[np.ndarray]]:
    """libswresample's default upsampling filter at phases ``p / oversample``: rows and offsets.

    Phase ``f`` weighs ``x[c + i − 15]`` (``i = 0 … 31``) by ``sinc(t)·I0(β·√(1 − (2t/32)²))`` at
    ``t = i − 15 − f``, every phase divided by the sum of phase 0's taps (as ``build_filter`` does), giving
    the value at ``c + f``. Matches what FFmpeg's ``ebur128`` computes at 48 kHz to 1e-15 (tested).
    """
    centre = (SWR_TAPS - 1) // 2
    i = np.arange(SWR_TAPS)
    rows, offsets = [], []
    for p in range(oversample):
        t = (i - centre) - p / oversample
        w = 2.0 * t / SWR_TAPS
        rows.append(np.sinc(t) * np.i0(SWR_KAISER_BETA * np.sqrt(np.maximum(1.0 - w * w, 0.0))))
        offsets.append(centre - i)
    norm = rows[0].sum()
    return [r / norm for r in rows], offsets


def _phase_rows(h: np.ndarray, up: int) -> tuple[list[np.ndarray], list[np.ndarray]]:
    """Rows and integer offsets of the interpolator ``h`` (a prototype at ``up`` times the rate) by phase.

    Row ``p`` gives the interpolated value ``Σ_k rows[p][k] · x[c − offsets[p][k]]`` at a time in
    ``[c, c + 1)`` (the filter's delay is taken out), so every value is assigned to the sample before it.
    """
    h = np.asarray(h, dtype=float)
    centre = (len(h) - 1) / 2.0
    rows, offsets = [], []
    for p in range(up):
        k = np.arange(-(-(len(h) - p) // up))
        tau = (p - centre) / up  # y[up·c' + p] is the value at c' + tau: c' = c − floor(tau)
        rows.append(h[up * k + p])
        offsets.append(k + int(np.floor(tau)))
    return rows, offsets


def detector_phases(sr: int | None) -> int:
    """Phases of libswresample's filter in the detector at rate ``sr``: FFmpeg's ``ebur128`` evaluates
    the signal at ``k · sr / 192000``; for rates dividing 192 kHz those instants are among ours (at least
    8), for others 32 phases come within 0.002 dB of FFmpeg's reading (tested at 44.1, 32, 22.05 kHz)."""
    if sr is None:  # assume 48 kHz
        return 8
    if 192000 % int(sr) == 0:
        return math.lcm(8, 192000 // int(sr))
    return 32


@lru_cache(maxsize=8)
def _polyphase_interpolator(oversample: int) -> tuple[np.ndarray, np.ndarray, float]:
    """The detector's interpolators as one matrix: ``(H, offsets, bound)``.

    The rows are the ``oversample`` phases of libswresample's filter and the four phases of the Annex 2
    filter; the value of row ``r`` between samples ``c`` and ``c+1`` is ``Σ_k H[r, k] · x[c − offsets[k]]``.
    ``bound = max_r Σ_k |H[r, k]|`` limits how far any interpolated value can exceed the largest sample
    around it.
    """
    rows, offsets = _swr_rows(max(1, int(oversample)))
    a_rows, a_offsets = _phase_rows(ANNEX2_PHASES.T.reshape(-1), 4)
    rows, offsets = rows + a_rows, offsets + a_offsets
    lo = min(int(o.min()) for o in offsets)
    hi = max(int(o.max()) for o in offsets)
    common = np.arange(lo, hi + 1)
    taps = np.zeros((len(rows), len(common)))
    for r, (row, off) in enumerate(zip(rows, offsets, strict=True)):
        taps[r, off - lo] = row
    return taps, common, float(np.abs(taps).sum(axis=1).max())


CHUNK = 1 << 18  # samples handled at once: the memory stays bounded however long the signal is


def _oversampled_abs_peaks(y: np.ndarray, oversample: int, threshold: float = 0.0) -> np.ndarray:
    """Per sample, the largest |value| over all channels of the interpolated signal up to the next sample.

    Exact wherever that value can reach ``threshold``; elsewhere the sample magnitude (a lower bound, below
    ``threshold``). Computed in chunks with enough context on both sides that the result does not depend
    on where the chunks start.
    """
    y = np.atleast_2d(y)
    n = y.shape[-1]
    peaks = np.empty(n, dtype=np.result_type(y.dtype, np.float32))
    margin = 2 * int(np.abs(_polyphase_interpolator(oversample)[1]).max()) + 16
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
    dtype = np.result_type(y.dtype, np.float32)
    peaks = np.abs(y[0]).astype(dtype)
    for channel in y[1:]:
        np.maximum(peaks, np.abs(channel), out=peaks)
    taps, offsets, bound = _polyphase_interpolator(oversample)
    if float(peaks.max()) * bound < threshold:  # nothing anywhere can reach the threshold
        return peaks
    from scipy.ndimage import maximum_filter1d  # imported here: scipy.ndimage is slow to import

    reach = int(np.abs(offsets).max())
    n = y.shape[-1]
    near = maximum_filter1d(peaks, 2 * reach + 1, mode="constant")
    candidates = np.flatnonzero(near * bound >= threshold)
    if len(candidates) > n // 8:  # loud throughout: every phase as an FIR over the whole chunk (FFT)
        from scipy.signal import oaconvolve

        firs = taps.astype(dtype)  # value[c] = (x * taps[r])[c − offsets[0]]
        for channel in y:
            up = oaconvolve(channel[None, :].astype(dtype, copy=False), firs, axes=-1)
            np.maximum(peaks, np.abs(up[:, -offsets[0] : n - offsets[0]]).max(axis=0), out=peaks)
        return peaks
    padded = np.zeros((y.shape[0], n + 2 * reach), dtype=dtype)
    padded[:, reach : reach + n] = y
    h = taps.T.astype(dtype)
    for start in range(0, len(candidates), 1 << 12):
        c = candidates[start : start + (1 << 12)]
        for channel in padded:
            rows = channel[c[:, None] - offsets[None, :] + reach]  # (m, taps)
            peaks[c] = np.maximum(peaks[c], np.abs(rows @ h).max(axis=1))
    return peaks


def true_peak(y: np.ndarray, sr: int | None = None, oversample: int | None = None) -> float:
    """True peak (linear, all channels): the larger of libswresample's interpolation at ``oversample``
    phases (default :func:`detector_phases` of ``sr``; 8 when ``sr`` is not given) and the BS.1770-4
    Annex 2 filter's reading.
    """
    oversample = oversample or detector_phases(sr)
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
    oversample: int | None = None,
    in_place: bool = False,
) -> np.ndarray:
    """Keep the true peak of ``y`` ``(channels, samples)`` at or below ``ceiling_dbtp`` with a smooth gain.

    The gain needed at each sample (``ceiling / peak``, at most 1) is spread with a forward minimum
    and a backward moving average over ``attack_ms`` (widened by the interpolators' reach): it starts falling
    one window before a peak, is never above the needed gain anywhere that peak is interpolated from, and
    recovers over the same window. One gain for all channels keeps the image.
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
    oversample = oversample or detector_phases(sr)
    ceiling = 10.0 ** (ceiling_dbtp / 20.0)
    needed = _oversampled_abs_peaks(y, oversample, threshold=ceiling)  # turned into the needed gain:
    np.maximum(needed, 1e-30, out=needed)
    # aim 1e-5 (0.0001 dB) under the ceiling: float32 rounding of the product must not poke through
    np.divide(np.asarray(ceiling * (1 - 1e-5), dtype=needed.dtype), needed, out=needed)
    np.minimum(needed, 1.0, out=needed)
    if needed.min() >= 1.0:
        return y
    from scipy.ndimage import minimum_filter1d, uniform_filter1d

    width = max(1, int(round(attack_ms * 1e-3 * sr))) | 1  # odd
    half = width // 2
    # the gain is held down over the interpolators' reach around a peak too: every sample that an
    # interpolated peak is made of is scaled by at most the gain that peak needs
    reach = int(np.abs(_polyphase_interpolator(oversample)[1]).max())
    out = y if in_place else np.empty_like(y)
    for s0 in range(0, n, CHUNK):
        s1 = min(n, s0 + CHUNK)
        a0, a1 = max(0, s0 - 2 * (width + reach)), min(n, s1 + 2 * (width + reach))
        if needed[max(0, s0 - width - reach) : s1 + width + reach].min() >= 1.0:  # no peak within reach
            if not in_place:
                out[:, s0:s1] = y[:, s0:s1]
            continue
        ahead = minimum_filter1d(needed[a0:a1], width, mode="nearest", origin=-half)  # min over [t, t + w)
        ahead = minimum_filter1d(ahead, 2 * reach + 1, mode="nearest")  # over [t − reach, t + w + reach)
        gain = uniform_filter1d(ahead, width, mode="nearest", origin=half)  # mean over (t - w, t]: <= needed
        np.multiply(y[:, s0:s1], gain[s0 - a0 : s1 - a0].astype(y.dtype), out=out[:, s0:s1])
    peak = true_peak(out, sr, oversample)
    if peak > ceiling:
        out *= np.asarray(ceiling / peak * (1 - 1e-6), dtype=y.dtype)
    return out
