"""The SEE-2-SOUND paper's renderer (eq. 4): omnidirectional microphones at the loudspeaker positions.

Each output channel ``j`` is what an omni microphone at loudspeaker ``j``'s position (``mic_radius_m`` from
the listener) picks up from every source in free field::

    y_j(t) = Σ_i s_i(t − r_ij / c) / r_ij

This is the direct path of a pyroomacoustics ShoeBox (``max_order=0``; gain 1/r, not 1/4πr) with the
same 81-tap Hann-windowed-sinc fractional delay, without its 10 Hz high-pass and its 40-sample bulk
delay. It is a spaced-microphone recording, not amplitude panning: expect inter-channel delays of several
milliseconds and comb filtering (see ``docs/spatial.md``).

Fixed sources are mixed by block FFT convolution: one FFT per source block, a multiply-add of the
(microphone × source) filter spectra, one inverse FFT per microphone block, in single precision.
Moving sources go through a time-varying delay line.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
from scipy import fft as sp_fft

from .delay import FIR_TAPS, delay_varying, propagation_delay_samples, windowed_sinc
from .distance import SPEED_OF_SOUND_M_S
from .layouts import Layout, get_layout


def microphone_positions(layout: Layout | str, mic_radius_m: float = 2.0) -> np.ndarray:
    """Positions ``(n_speakers, 3)`` in metres of omni microphones at the loudspeaker directions."""
    layout = get_layout(layout) if isinstance(layout, str) else layout
    return layout.vectors * float(mic_radius_m)


def delay_filters(distance_m: np.ndarray, sr: int, speed_of_sound: float = SPEED_OF_SOUND_M_S) -> np.ndarray:
    """Direct-path impulse responses ``(..., length)``: gain 1/r, delay r/c plus a bulk delay of 40 samples.

    The 81-tap windowed sinc of tap ``k`` lands at sample ``floor(r/c·sr) + k``, so the response is
    pyroomacoustics' direct path (its bulk delay included).
    """
    r = np.asarray(distance_m, dtype=float)
    delays = r / speed_of_sound * sr
    whole = np.floor(delays).astype(np.int64)
    taps = windowed_sinc(delays - whole) / r[..., None]  # (..., 81)
    length = int(whole.max()) + FIR_TAPS
    h = np.zeros(r.shape + (length,))
    flat_h = h.reshape(-1, length)
    for row, (start, fir) in enumerate(zip(whole.ravel(), taps.reshape(-1, FIR_TAPS), strict=True)):
        flat_h[row, start : start + FIR_TAPS] = fir
    return h


def _mix_static(signals: np.ndarray, h: np.ndarray, out: np.ndarray, skip: int) -> None:
    """Add ``y_j = Σ_k h[j, k] * s_k`` (``h``: ``(M, K, L)``) to ``out`` ``(M, n)``, ``skip`` samples early.

    Block FFT convolution, a few blocks at a time (about 2^19 samples over all sources and microphones), so
    the working memory stays a few MB above the inputs and the output whatever the length.
    """
    n_src, n = signals.shape
    n_out = out.shape[-1]
    length = h.shape[-1]
    n_fft = sp_fft.next_fast_len(max(4 * length, 8192), real=True)
    block = n_fft - length + 1
    n_blocks = -(-n // block)
    chunk_blocks = max(1, 2**19 // ((n_src + out.shape[0]) * n_fft))
    # single precision inside (a noise floor near -130 dB, far below the -60 dB the method needs) halves
    # the memory traffic of the multiply-adds, which dominate
    work = np.float32
    filters = sp_fft.rfft(h.astype(work), n_fft, axis=-1)  # (M, K, F)
    for b0 in range(0, n_blocks, chunk_blocks):
        b1 = min(n_blocks, b0 + chunk_blocks)
        seg = np.zeros((n_src, (b1 - b0) * block), dtype=work)
        stop = min(n, b1 * block)
        seg[:, : stop - b0 * block] = signals[:, b0 * block : stop]
        spectra = sp_fft.rfft(seg.reshape(n_src, b1 - b0, block), n_fft, axis=-1)  # (K, B, F)
        mixed = np.empty((out.shape[0],) + spectra.shape[1:], dtype=spectra.dtype)  # (M, B, F)
        for j in range(out.shape[0]):
            np.multiply(filters[j, 0], spectra[0], out=mixed[j])
            for k in range(1, n_src):
                mixed[j] += filters[j, k] * spectra[k]
        blocks = sp_fft.irfft(mixed, n_fft, axis=-1)  # (M, B, n_fft)
        for b in range(b1 - b0):
            start = (b0 + b) * block - skip
            lo, hi = max(0, -start), min(n_fft, n_out - start)
            if hi > lo:
                out[:, start + lo : start + hi] += blocks[:, b, lo:hi]


def render_paper(
    signals: Sequence[np.ndarray] | np.ndarray,
    positions_m: Sequence[np.ndarray],
    mic_positions_m: np.ndarray,
    sr: int,
    hop: int = 128,
    speed_of_sound: float = SPEED_OF_SOUND_M_S,
    min_distance_m: float = 0.01,
) -> np.ndarray:
    """Mix sources into omni microphones with delay ``r/c`` and gain ``1/r``: ``(n_mics, n)``.

    Parameters
    ----------
    signals : sequence of ndarray, shape (n,) each, or ndarray (K, n)
        Mono source signals, all of the same length ``n``.
    positions_m : sequence of ndarray
        Per source, a fixed position ``(3,)`` in metres, or positions ``(m, 3)`` at control points every
        ``hop`` samples (point ``k`` at sample ``k * hop``; ``m ≥ n // hop + 1``) for a moving source.
    mic_positions_m : ndarray, shape (M, 3)
    sr : int
    hop : int
        Control-point spacing of moving sources; delays and gains are interpolated linearly between.
    speed_of_sound : float
        In m/s (343, as pyroomacoustics).
    min_distance_m : float
        Distances are clamped to at least this (a source on a microphone stays finite).

    Returns
    -------
    ndarray, shape (M, n)
        Microphone signals (float32 for float32 inputs, else float64), cut to the input length.
        Equal to pyroomacoustics' ``mic_array.signals[:, 40:40 + n]`` for the same geometry.
    """
    dtype = np.result_type(*[np.asarray(s).dtype for s in signals], np.float32)
    if isinstance(signals, np.ndarray) and signals.ndim == 2:
        signals = signals.astype(dtype, copy=False)
    else:
        signals = [np.asarray(s, dtype=dtype) for s in signals]
    mics = np.atleast_2d(np.asarray(mic_positions_m, dtype=float))
    if len(signals) == 0:
        raise ValueError("no signals to render")
    n = signals[0].shape[-1]
    out = np.zeros((len(mics), n), dtype=dtype)
    static = [i for i, p in enumerate(positions_m) if np.ndim(p) == 1]
    moving = [i for i, p in enumerate(positions_m) if np.ndim(p) == 2]
    bulk = (FIR_TAPS - 1) // 2
    if static:
        pos = np.array([positions_m[i] for i in static], dtype=float)  # (K, 3)
        dist = np.maximum(
            np.linalg.norm(mics[:, None, :] - pos[None, :, :], axis=-1), min_distance_m
        )  # (M, K)
        h = delay_filters(dist, sr, speed_of_sound)
        stacked = signals if len(static) == len(signals) and isinstance(signals, np.ndarray) else None
        if stacked is None:
            stacked = np.stack([signals[i] for i in static])
        _mix_static(stacked, h, out, skip=bulk)
    if moving:
        t = np.arange(n)
        for i in moving:
            pos = np.asarray(positions_m[i], dtype=float)
            if pos.ndim != 2 or pos.shape[1] != 3 or len(pos) < n // hop + 1:
                raise ValueError(f"source {i}: need positions (>= {n // hop + 1}, 3), got {pos.shape}")
            t_ctrl = np.arange(len(pos)) * hop
            for j in range(len(mics)):
                d_ctrl = np.maximum(np.linalg.norm(pos - mics[j], axis=-1), min_distance_m)
                delay = propagation_delay_samples(d_ctrl, hop, n, sr, speed_of_sound)
                # 1/r at the emission time, like the delay
                gain = 1.0 / np.interp(t - delay, t_ctrl, d_ctrl)
                out[j] += (delay_varying(signals[i], delay) * gain).astype(dtype, copy=False)
    return out
