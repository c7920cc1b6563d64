"""Binaural rendering of one mono source through an HRTF, static or moving.

A static source is one FFT convolution with its interpolated HRIR. A moving source is cut into
blocks of about 21 ms that overlap by a quarter block; each block is weighted by a raised-cosine
cross-fade window (the windows sum to one), convolved with the HRIR for the direction at the
block's centre, and overlap-added. Because the window splits the *input*, each output sample is a
smooth blend of two neighbouring filters: no clicks, and for a constant direction the result equals
the static convolution. Filters are minimum-phase HRIRs with the interaural delays applied as
fractional delays (see :mod:`see2sound.spatial.hrtf`), so blends never comb-filter. A block reuses
the previous filter until the source has moved ``UPDATE_DEG`` (0.5°, half the minimum audible angle).
:func:`render_binaural_mix` renders many sources together, sharing the inverse FFTs.

Distance gain and propagation delay are the caller's job; ``distances_m`` only adds the near-field
level difference between the ears for sources closer than 1 m.
"""

from __future__ import annotations

import numpy as np
from scipy import fft as sp_fft

from ..errors import See2SoundError
from .hrtf import HEAD_RADIUS_M, HRTF, delayed_filters

BLOCK_SECONDS = 0.0213  # 1024 samples at 48 kHz
NEAR_FIELD_M = 1.0
UPDATE_DEG = 0.5  # a moving source's filter is rebuilt once it has moved this far
_CHUNK = 256  # blocks processed at once (bounds memory)


def _block_size(sample_rate: int, filter_length: int) -> int:
    """About 21 ms, and at least twice the filter length (long filters make short blocks costly)."""
    by_time = 2 ** round(np.log2(sample_rate * BLOCK_SECONDS))
    return int(max(128, by_time, 2 ** np.ceil(np.log2(2 * filter_length))))


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


def _render_static(signal, direction, hrtf, distances_m):
    h = hrtf.impulse_response(direction)
    if distances_m is not None:
        h = h * near_field_gains(direction[None], distances_m[:1])[0][:, None]
    return fft_convolve_blocks(signal, h)


def fft_convolve_blocks(signal: np.ndarray, filters: np.ndarray) -> np.ndarray:
    """``signal`` (n,) convolved with each row of ``filters`` (c, taps), cut to ``n`` samples.

    Overlap-add with one real FFT per block shared by all filters (float32).
    """
    n, taps = len(signal), filters.shape[-1]
    block = int(max(1024, 2 ** np.ceil(np.log2(4 * taps))))
    n_fft = sp_fft.next_fast_len(block + taps - 1, real=True)
    n_blocks = -(-n // block)
    padded = np.zeros(n_blocks * block, dtype=np.float32)
    padded[:n] = signal
    h_spec = sp_fft.rfft(filters.astype(np.float32), n_fft, axis=-1)
    per_block = -(-n_fft // block)
    out = np.zeros((len(filters), (n_blocks + per_block) * block), dtype=np.float32)
    for c0 in range(0, n_blocks, _CHUNK):
        c1 = min(n_blocks, c0 + _CHUNK)
        spec = sp_fft.rfft(padded[c0 * block : c1 * block].reshape(c1 - c0, block), n_fft, axis=-1)
        y = sp_fft.irfft(spec[None] * h_spec[:, None, :], n_fft, axis=-1)
        _overlap_add(out, y, c0, c1, block, per_block)
    return out[:, :n]


def _overlap_add(out, y, c0, c1, block, per_block):
    """Add block outputs ``y`` (channels, blocks, n_fft) starting at ``(c0 + k) * block``."""
    for j in range(per_block):
        part = y[:, :, j * block : (j + 1) * block]
        view = out[:, (c0 + j) * block : (c1 + j) * block].reshape(len(out), c1 - c0, block)  # a view
        view[:, :, : part.shape[-1]] += part


def _filter_updates(block_dirs: np.ndarray) -> np.ndarray:
    """Blocks whose filter is rebuilt: the first, and each one whose direction has moved more than
    ``UPDATE_DEG`` from the last rebuilt one (smaller steps are below the minimum audible angle)."""
    cos_limit = np.cos(np.radians(UPDATE_DEG))
    steps = np.einsum("ij,ij->i", block_dirs[1:], block_dirs[:-1])
    if np.all(steps < cos_limit):  # fast movement: every block
        return np.arange(len(block_dirs))
    keys = [0]
    ref = block_dirs[0].tolist()
    for k, d in enumerate(block_dirs.tolist()):
        if ref[0] * d[0] + ref[1] * d[1] + ref[2] * d[2] < cos_limit:
            keys.append(k)
            ref = d
    return np.asarray(keys)


def render_binaural_mix(signals, directions, hrtf: HRTF, hop: int, distances_m=None) -> np.ndarray:
    """The sum of :func:`render_binaural` over several sources of equal length, computed together.

    Moving sources share the inverse FFTs and the overlap-add (their spectra are summed block by
    block), which saves about a third of the work for many moving sources; static ones are convolved
    one by one. ``signals`` is a sequence of ``(n,)`` arrays, ``directions`` and ``distances_m``
    sequences of the per-source arrays that :func:`render_binaural` takes (``distances_m`` may be
    ``None`` or hold ``None`` entries). Returns ``(2, n)`` float32 (float64 if every signal is float64).
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
    moving = []
    for x, d, r in checked:
        if np.ptp(d, axis=0).max() < 1e-9 and (r is None or np.ptp(r) == 0):
            out += _render_static(x, d[0], hrtf, r)
        else:
            moving.append((x, d, r))
    if moving:
        out += _render_moving(moving, hrtf, hop)
    return out.astype(out_dtype, copy=False)


def _render_moving(sources, hrtf, hop):
    """Block cross-fade rendering of moving sources ``[(signal, directions, distances_m), …]``, summed."""
    n = len(sources[0][0])
    block = _block_size(hrtf.sample_rate, hrtf.filter_length)
    fade = block // 4
    seg_len = block + fade
    filt_len = hrtf.filter_length
    n_fft = sp_fft.next_fast_len(seg_len + filt_len - 1, real=True)
    # cross-fade window: raised-cosine rise over `fade`, flat, raised-cosine fall; hops of `block` sum to 1
    rise = np.sin(0.5 * np.pi * (np.arange(fade) + 0.5) / fade) ** 2
    window = np.concatenate([rise, np.ones(block - fade), rise[::-1]]).astype(np.float32)
    n_blocks = -(-(n + fade) // block)
    centres = np.arange(n_blocks) * block - fade + seg_len / 2.0
    prepared = []
    for signal, directions, distances_m in sources:
        padded = np.zeros(n_blocks * block + fade, dtype=np.float32)
        padded[fade : fade + n] = signal
        block_dirs = _directions_at(directions, hop, centres)
        keys = _filter_updates(block_dirs) if distances_m is None else np.arange(n_blocks)
        # filters for the update blocks: ear-major (2, updates, taps) so FFT inputs are contiguous
        mp, delays = hrtf.filters_at(block_dirs[keys])
        mp = np.ascontiguousarray(mp.transpose(1, 0, 2), dtype=np.float32)
        if distances_m is not None:
            block_dist = np.interp(centres / hop, np.arange(len(distances_m)), distances_m)
            gains = near_field_gains(block_dirs, block_dist)
            mp *= np.ascontiguousarray(gains.T, dtype=np.float32)[:, :, None]
        windows = np.lib.stride_tricks.sliding_window_view(padded, seg_len)
        # block k uses filter `which[k]`: the last update at or before it
        which = np.searchsorted(keys, np.arange(n_blocks), side="right") - 1
        prepared.append((windows, mp, np.ascontiguousarray(delays.T), which))
    per_block = -(-n_fft // block)
    out = np.zeros((2, (n_blocks + per_block) * block), dtype=np.float32)
    frames = np.zeros((min(_CHUNK, n_blocks), n_fft), dtype=np.float32)  # windowed segments, zero-padded
    for c0 in range(0, n_blocks, _CHUNK):
        c1 = min(n_blocks, c0 + _CHUNK)
        total = None
        for windows, mp, delays, which in prepared:
            np.multiply(windows[c0 * block : c1 * block : block], window, out=frames[: c1 - c0, :seg_len])
            spec = sp_fft.rfft(frames[: c1 - c0], axis=-1)
            first, last = which[c0], which[c1 - 1] + 1  # the filters this chunk uses
            hc = np.zeros((2, last - first, n_fft), dtype=np.float32)
            delayed_filters(mp[:, first:last], delays[:, first:last], n_fft, out=hc)
            h_spec = sp_fft.rfft(hc, axis=-1)  # (2, filters, bins)
            if last - first != c1 - c0:
                h_spec = h_spec[:, which[c0:c1] - first]
            h_spec *= spec
            if total is None:
                total = h_spec
            else:
                total += h_spec
        y = sp_fft.irfft(total, n_fft, axis=-1)
        _overlap_add(out, y, c0, c1, block, per_block)  # block k's output starts at sample k * block
    return out[:, fade : fade + n]
