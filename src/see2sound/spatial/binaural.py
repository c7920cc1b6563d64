"""Binaural rendering of one mono source through an HRTF, static or moving.

A static source is one FFT convolution with its interpolated HRIR. A moving source is cut into
blocks of about 21 ms that overlap by a quarter block; each block is weighted by a raised-cosine
cross-fade window (the windows sum to one), convolved with the HRIR for the direction at the
block's centre, and overlap-added. Because the window splits the *input*, each output sample is a
smooth blend of two neighbouring filters: no clicks, and for a constant direction the result equals
the static convolution. Filters are minimum-phase HRIRs with the interaural delays applied as
fractional delays (see :mod:`see2sound.spatial.hrtf`), so blends never comb-filter. A slow source
shares one filter between neighbouring blocks as long as each block's direction is within
``UPDATE_DEG`` (0.5°, half the minimum audible angle) of the filter's. :func:`render_binaural_mix`
renders many sources together: their spectra are summed block by block and share the inverse FFTs.

The block grid starts at sample 0 of the given signals and a block's filter depends only on the
directions near it, so a render of a segment that starts on a multiple of ``MAX_REUSE_BLOCKS``
blocks (and of the hop), after a pre-roll longer than the filters, equals the whole render there.

Distance gain and propagation delay are the caller's job; ``distances_m`` only adds the near-field
level difference between the ears for sources closer than 1 m.
"""

from __future__ import annotations

from functools import lru_cache

import numpy as np
from scipy import fft as sp_fft

from ..errors import See2SoundError
from .hrtf import _FRAC_TABLE, FRAC_LEAD, FRAC_STEPS, HEAD_RADIUS_M, HRTF

BLOCK_SECONDS = 0.0213  # 1024 samples at 48 kHz
NEAR_FIELD_M = 1.0
UPDATE_DEG = 0.5  # a block may use a filter made for a direction at most this far from its own
MAX_REUSE_BLOCKS = 8  # one filter serves at most this many blocks (a power of two)
_CHUNK = 256  # blocks processed at once by the static convolution (bounds memory)
_MOVING_CHUNK_BYTES = 1 << 19  # the spectra of a chunk of moving-source blocks stay in the L2 cache


def _block_size(sample_rate: int, filter_length: int) -> int:
    """About 21 ms, and at least twice the filter length (long filters make short blocks costly)."""
    by_time = 2 ** round(np.log2(sample_rate * BLOCK_SECONDS))
    return int(max(128, by_time, 2 ** np.ceil(np.log2(2 * filter_length))))


def segment_alignment(hrtf: HRTF) -> int:
    """Samples that a segment's start must be a multiple of (as well as of the hop) for a render of
    the segment, after a pre-roll longer than the filters, to equal the render in one piece.

    ``MAX_REUSE_BLOCKS`` blocks: 8192 samples at 44.1 and 48 kHz (16384 with MIT KEMAR at 48 kHz).
    """
    return MAX_REUSE_BLOCKS * _block_size(hrtf.sample_rate, hrtf.filter_length)


def _directions_at(directions: np.ndarray, hop: int, times: np.ndarray) -> np.ndarray:
    """Unit vectors at sample ``times`` by normalised linear interpolation of the control points."""
    pos = np.clip(times / hop, 0, len(directions) - 1)
    i0 = np.minimum(np.floor(pos).astype(np.int64), len(directions) - 1)
    i1 = np.minimum(i0 + 1, len(directions) - 1)
    f = (pos - i0)[:, None]
    v = (1 - f) * directions[i0] + f * directions[i1]
    norm = np.linalg.norm(v, axis=1, keepdims=True)
    return np.where(norm > 1e-6, v / np.maximum(norm, 1e-12), directions[i0])


def near_field_gains(
    directions: np.ndarray, distances_m: np.ndarray, head_radius_m: float = HEAD_RADIUS_M
) -> np.ndarray:
    """Per-ear level cues ``(q, 2)`` for sources nearer than 1 m, relative to the head-centre level.

    Each ear gets the ratio of the source's distance to the head centre and to that ear
    (1/r spreading from a point source), faded in below 1 m so far sources are unchanged. The
    caller's 1/r gain is relative to the head centre, so this adds only the interaural part.
    """
    ears = np.array([[0.0, head_radius_m, 0.0], [0.0, -head_radius_m, 0.0]])
    r = np.maximum(np.asarray(distances_m, dtype=float), head_radius_m * 1.25)
    src = directions * r[:, None]
    r_ear = np.linalg.norm(src[:, None, :] - ears[None], axis=2)
    g = r[:, None] / r_ear
    fade = np.clip((NEAR_FIELD_M - r) / (NEAR_FIELD_M * 0.5), 0.0, 1.0)[:, None]  # 0 at 1 m, 1 at 0.5 m
    return 1.0 + fade * (g - 1.0)


def _check_inputs(signal, directions, hrtf, hop, distances_m):
    signal = np.asarray(signal)
    if signal.ndim != 1:
        raise See2SoundError(f"render_binaural: signal must be mono (n,), got shape {signal.shape}")
    if not isinstance(hrtf, HRTF):
        raise See2SoundError("render_binaural: hrtf must be an HRTF (see see2sound.pipeline.hrtf.load_hrtf)")
    if int(hop) < 1:
        raise See2SoundError(f"render_binaural: hop must be a positive number of samples, got {hop}")
    hop = int(hop)
    directions = np.atleast_2d(np.asarray(directions, dtype=float))
    expected = len(signal) // hop + 1
    if directions.shape != (expected, 3):
        raise See2SoundError(
            f"render_binaural: directions must have shape ({expected}, 3) for {len(signal)} samples "
            f"at hop {hop}, got {directions.shape}"
        )
    norms = np.linalg.norm(directions, axis=1, keepdims=True)
    if not np.all(np.isfinite(directions)) or np.any(norms < 1e-9):
        raise See2SoundError("render_binaural: directions must be finite, non-zero vectors")
    if not np.all(np.isfinite(signal)):
        raise See2SoundError("render_binaural: signal contains NaN or infinite samples")
    if distances_m is not None:
        distances_m = np.broadcast_to(np.asarray(distances_m, dtype=float), (expected,))
        if not np.all(np.isfinite(distances_m)) or np.any(distances_m <= 0):
            raise See2SoundError("render_binaural: distances_m must be finite and positive")
        if np.all(distances_m >= NEAR_FIELD_M):  # no near-field cue anywhere: same as no distances
            distances_m = None
    return signal, directions / norms, hop, distances_m


def render_binaural(signal, directions, hrtf: HRTF, hop: int, distances_m=None) -> np.ndarray:
    """Render a mono source to two ears through ``hrtf``.

    Parameters
    ----------
    signal : np.ndarray, shape (n,)
        The source signal at ``hrtf.sample_rate``.
    directions : np.ndarray, shape (m, 3)
        Unit vectors (listener frame) at control points every ``hop`` samples: point ``k`` is at
        sample ``k * hop`` and ``m = n // hop + 1``. Directions between points are interpolated.
    hrtf : HRTF
        At the signal's sample rate (``load_hrtf(spec, sample_rate)`` resamples).
    hop : int
        Samples between control points.
    distances_m : np.ndarray, shape (m,), optional
        Source distances at the control points; only used for near-field level cues (< 1 m).

    Returns
    -------
    np.ndarray, shape (2, n)
        Left and right ear signals, same length as ``signal`` (the HRIR's tail is cut), float64
        for float64 input and float32 otherwise.

    Examples
    --------
    >>> from see2sound.spatial.hrtf import spherical_head_hrtf
    >>> hrtf = spherical_head_hrtf(48000)
    >>> y = render_binaural(np.random.default_rng(0).standard_normal(4800), np.array([[0.0, 1.0, 0.0]] * 11),
    ...                     hrtf, hop=480)
    >>> y.shape, bool(np.std(y[0]) > np.std(y[1]))
    ((2, 4800), True)
    """
    signal, directions, hop, distances_m = _check_inputs(signal, directions, hrtf, hop, distances_m)
    out_dtype = np.float64 if signal.dtype == np.float64 else np.float32
    n = len(signal)
    if n == 0:
        return np.zeros((2, 0), dtype=out_dtype)
    static = np.ptp(directions, axis=0).max() < 1e-9 and (distances_m is None or np.ptp(distances_m) == 0)
    if static:
        return _render_static(signal, directions[0], hrtf, distances_m).astype(out_dtype, copy=False)
    return _render_moving([(signal, directions, distances_m)], hrtf, hop).astype(out_dtype, copy=False)


def _static_filter(direction, hrtf, distances_m):
    h = hrtf.impulse_response(direction)
    if distances_m is not None:
        h = h * near_field_gains(direction[None], distances_m[:1])[0][:, None]
    return h


def _render_static(signal, direction, hrtf, distances_m):
    return fft_convolve_blocks(signal, _static_filter(direction, hrtf, distances_m))


def fft_convolve_blocks(signal: np.ndarray, filters: np.ndarray) -> np.ndarray:
    """``signal`` (n,) convolved with each row of ``filters`` (c, taps), cut to ``n`` samples.

    Overlap-add with one real FFT per block shared by all filters (float32).
    """
    return _convolve_sum([signal], np.asarray(filters)[None])


def _convolve_sum(signals, filters: np.ndarray) -> np.ndarray:
    """The sum over ``s`` of ``signals[s]`` (n,) convolved with each row of ``filters[s]`` (c, taps).

    Overlap-add: per block one real FFT per signal; the products are summed before one inverse FFT
    per output row. Cut to ``n`` samples, float32.
    """
    n, (n_rows, taps) = len(signals[0]), filters.shape[1:]
    block = int(max(1024, 2 ** np.ceil(np.log2(4 * taps))))
    n_fft = _fft_size(block + taps - 1)
    bins = n_fft // 2 + 1
    n_blocks = -(-n // block)
    h_spec = sp_fft.rfft(filters.astype(np.float32), n_fft, axis=-1)[:, :, None, :]  # (s, c, 1, bins)
    per_block = -(-n_fft // block)
    out = np.zeros((n_rows, (n_blocks + per_block) * block), dtype=np.float32)
    chunk = max(8, min(_CHUNK, _MOVING_CHUNK_BYTES // (n_rows * bins * 8)))
    frames = np.zeros((chunk, block), dtype=np.float32)
    for c0 in range(0, n_blocks, chunk):
        c1 = min(n_blocks, c0 + chunk)
        x0, x1 = c0 * block, min(n, c1 * block)
        acc = None
        for x, h in zip(signals, h_spec, strict=True):
            if x1 - x0 < (c1 - c0) * block:  # the last chunk: zeros beyond the signal
                frames[:] = 0.0
            frames.reshape(-1)[: x1 - x0] = x[x0:x1]
            product = sp_fft.rfft(frames[: c1 - c0], n_fft, axis=-1) * h  # (c, blocks, bins)
            if acc is None:
                acc = product
            else:
                acc += product
        _overlap_add(out, sp_fft.irfft(acc, n_fft, axis=-1), c0, c1, block, per_block)
    return out[:, :n]


def _overlap_add(out, y, c0, c1, block, per_block):
    """Add block outputs ``y`` (channels, blocks, n_fft) starting at ``(c0 + k) * block``."""
    for j in range(per_block):
        part = y[:, :, j * block : (j + 1) * block]
        view = out[:, (c0 + j) * block : (c1 + j) * block].reshape(len(out), c1 - c0, block)  # a view
        view[:, :, : part.shape[-1]] += part


def _filter_anchors(block_dirs: np.ndarray) -> np.ndarray:
    """For each block, the block whose direction's filter it uses.

    Block ``k`` uses the coarsest anchor ``k - k % m`` (``m = MAX_REUSE_BLOCKS, ..., 2, 1``) whose
    direction is within ``UPDATE_DEG`` of its own: smaller steps are below the minimum audible angle,
    and slow sources share filters. The choice depends only on the two blocks' directions, never on
    earlier blocks, so a render of a segment that starts at a multiple of ``MAX_REUSE_BLOCKS`` blocks
    picks the same filters as a render of the whole signal.
    """
    k = np.arange(len(block_dirs))
    anchors = k.copy()
    open_ = np.ones(len(k), dtype=bool)
    cos_limit = np.cos(np.radians(UPDATE_DEG))
    m = MAX_REUSE_BLOCKS
    while m > 1:
        a = k - k % m
        ok = open_ & (np.einsum("ij,ij->i", block_dirs, block_dirs[a]) >= cos_limit)
        anchors[ok] = a[ok]
        open_ &= ~ok
        m //= 2
    return anchors


def _filter_updates(block_dirs: np.ndarray) -> np.ndarray:
    """The blocks whose direction gets a filter built (sorted)."""
    return np.unique(_filter_anchors(block_dirs))


def _fft_size(length: int) -> int:
    """The smallest 2^a·3^b·5^c ≥ ``length`` with b, c ≤ 2 (more factors of 3 or 5 are slower)."""
    best = 1 << int(np.ceil(np.log2(length)))
    for three in (1, 3, 9):
        for five in (1, 5, 25):
            odd = three * five
            size = odd << max(0, int(np.ceil(np.log2(length / odd))))
            best = min(best, size)
    return best


@lru_cache(maxsize=8)
def _fractional_delay_spectra(n_fft: int) -> np.ndarray:
    """Spectra ``(FRAC_STEPS + 1, n_fft // 2 + 1)`` of the fractional-delay filters (complex64)."""
    return sp_fft.rfft(_FRAC_TABLE, n_fft, axis=-1).astype(np.complex64)


def render_binaural_mix(signals, directions, hrtf: HRTF, hop: int, distances_m=None) -> np.ndarray:
    """The sum of :func:`render_binaural` over several sources of equal length, computed together.

    Sources share the inverse FFTs and the overlap-add: their spectra are summed block by block
    (static sources with their fixed HRIRs, moving ones with their block filters). ``signals`` is a
    sequence of ``(n,)`` arrays, ``directions`` and ``distances_m`` sequences of the per-source
    arrays that :func:`render_binaural` takes (``distances_m`` may be ``None`` or hold ``None``
    entries). Returns ``(2, n)`` float32 (float64 if every signal is float64).
    """
    signals = list(signals)
    directions = list(directions)
    if not signals or len(directions) != len(signals):
        raise See2SoundError("render_binaural_mix: give one directions array per signal (and at least one)")
    dists = [None] * len(signals) if distances_m is None else list(distances_m)
    if len(dists) != len(signals):
        raise See2SoundError("render_binaural_mix: give one distances_m entry per signal")
    n = len(np.asarray(signals[0]))
    checked = []
    for x, d, r in zip(signals, directions, dists, strict=True):
        x, d, hop, r = _check_inputs(x, d, hrtf, hop, r)
        if len(x) != n:
            raise See2SoundError(f"render_binaural_mix: signals differ in length ({len(x)} vs {n})")
        checked.append((x, d, r))
    out_dtype = np.float64 if all(x.dtype == np.float64 for x, _, _ in checked) else np.float32
    out = np.zeros((2, n), dtype=np.float32)
    if n == 0:
        return out.astype(out_dtype)
    moving, still, filters = [], [], []
    for x, d, r in checked:
        if np.ptp(d, axis=0).max() < 1e-9 and (r is None or np.ptp(r) == 0):
            still.append(x)
            filters.append(_static_filter(d[0], hrtf, r))
        else:
            moving.append((x, d, r))
    if still:
        out += _convolve_sum(still, np.stack(filters))
    if moving:
        out += _render_moving(moving, hrtf, hop)
    return out.astype(out_dtype, copy=False)


def _render_moving(sources, hrtf, hop):
    """Block cross-fade rendering of moving sources ``[(signal, directions, distances_m), …]``, summed.

    For a chunk of blocks at a time (their spectra stay in cache) and each source: one real FFT per
    block of the windowed input; one real FFT per ear of each new filter (the interpolated
    minimum-phase filter placed at its whole-sample delay), times the spectrum of its fractional
    delay; the products with the input's spectra are summed over sources. One inverse FFT per ear
    and block then serves every source.
    """
    n = len(sources[0][0])
    block = _block_size(hrtf.sample_rate, hrtf.filter_length)
    fade = block // 4
    seg_len = block + fade
    n_fft = _fft_size(seg_len + hrtf.filter_length - 1)
    bins = n_fft // 2 + 1
    # cross-fade window: raised-cosine rise over `fade`, flat, raised-cosine fall; hops of `block` sum to 1
    rise = np.sin(0.5 * np.pi * (np.arange(fade) + 0.5) / fade) ** 2
    window = np.concatenate([rise, np.ones(block - fade), rise[::-1]]).astype(np.float32)
    n_blocks = -(-(n + fade) // block)
    centres = np.arange(n_blocks) * block - fade + seg_len / 2.0
    # blocks mixed at once: a power of two, at least MAX_REUSE_BLOCKS (a chunk holds its blocks' anchors)
    chunk = 1 << int(np.log2(max(MAX_REUSE_BLOCKS, _MOVING_CHUNK_BYTES // (2 * bins * 8))))
    mp_table, delay_table = hrtf._render_tables  # (2, k, taps) float32, (k, 2)
    taps = mp_table.shape[-1]
    prepared = []
    for signal, directions, distances_m in sources:
        block_dirs = _directions_at(directions, hop, centres)
        anchors = _filter_anchors(block_dirs) if distances_m is None else np.arange(n_blocks)
        keys, which = np.unique(anchors, return_inverse=True)  # block k uses filter which[k]
        idx, w = hrtf.interpolation_weights(block_dirs[keys])
        delays = np.einsum("qk,qke->eq", w, delay_table[idx])  # (2, filters)
        whole = np.floor(delays)
        step = np.rint((delays - whole) * FRAC_STEPS).astype(np.int64)
        start = np.maximum(whole.astype(np.int64) + (step == FRAC_STEPS) - FRAC_LEAD, 0)
        step[step == FRAC_STEPS] = 0
        gains = None
        if distances_m is not None:
            block_dist = np.interp(centres / hop, np.arange(len(distances_m)), distances_m)
            gains = near_field_gains(block_dirs[keys], block_dist[keys]).T.astype(np.float32)[:, :, None]
        prepared.append((signal, idx, w.astype(np.float32), start, step, gains, which))
    lo = min(int(p[3].min()) for p in prepared)  # every filter lies in columns lo:hi
    hi = max(int(p[3].max()) for p in prepared) + taps
    frac_spectra = _fractional_delay_spectra(n_fft)
    per_block = -(-n_fft // block)
    out = np.zeros((2, (n_blocks + per_block) * block), dtype=np.float32)
    frames = np.zeros((chunk, n_fft), dtype=np.float32)  # windowed segments, zero-padded
    span = np.zeros(chunk * block + fade, dtype=np.float32)  # the input under a chunk of blocks
    segments = np.lib.stride_tricks.sliding_window_view(span, seg_len)[::block]  # (chunk, seg_len) view
    placed = np.zeros((2, chunk, n_fft), dtype=np.float32)  # filters at whole-sample delays
    total = np.empty((2, chunk, bins), dtype=np.complex64)
    # flat index in `placed` of tap t of ear e's filter q when placed at column 0
    at_zero = (np.arange(2)[:, None, None] * chunk + np.arange(chunk)[:, None]) * n_fft + np.arange(taps)
    for c0 in range(0, n_blocks, chunk):
        c1 = min(n_blocks, c0 + chunk)
        acc = total[:, : c1 - c0]
        x0, x1 = c0 * block - fade, min(n, c1 * block)  # block k reads samples k·block − fade … (k+1)·block
        inside = x0 >= 0 and x1 - x0 == len(span)
        for s, (signal, idx, w, start, step, gains, which) in enumerate(prepared):
            if inside and signal.dtype == np.float32:  # read the blocks straight from the signal
                under = np.lib.stride_tricks.sliding_window_view(signal[x0:x1], seg_len)[::block]
            else:  # first or last chunk (zeros beyond the signal), or another dtype
                if not inside:
                    span[:] = 0.0
                span[max(0, -x0) : x1 - x0] = signal[max(0, x0) : x1]
                under = segments
            np.multiply(under[: c1 - c0], window, out=frames[: c1 - c0, :seg_len])
            spec = sp_fft.rfft(frames[: c1 - c0], axis=-1)
            first, last = which[c0], which[c0:c1].max() + 1  # this chunk's filters (anchors stay inside)
            blend = np.einsum("qk,eqkt->eqt", w[first:last], mp_table[:, idx[first:last]])
            if gains is not None:
                blend *= gains[:, first:last]
            used = placed[:, : last - first]
            used[:, :, lo:hi] = 0.0
            if taps < 256:  # one scatter through flat indices
                placed.reshape(-1)[at_zero[:, : last - first] + start[:, first:last, None]] = blend
            else:  # long filters: row by row is faster
                for e, starts in enumerate(start[:, first:last].tolist()):
                    for q, s0 in enumerate(starts):
                        placed[e, q, s0 : s0 + taps] = blend[e, q]
            h_spec = sp_fft.rfft(used, axis=-1)  # (2, filters, bins)
            h_spec *= frac_spectra[step[:, first:last]]
            if last - first != c1 - c0:
                h_spec = h_spec[:, which[c0:c1] - first]
            h_spec *= spec
            if s == 0:
                acc[...] = h_spec
            else:
                acc += h_spec
        y = sp_fft.irfft(acc, n_fft, axis=-1)
        _overlap_add(out, y, c0, c1, block, per_block)  # block k's output starts at sample k * block
    return out[:, fade : fade + n]
