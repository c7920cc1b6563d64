"""Render a scene's mono sources to a spatial format: loudspeakers, binaural or AmbiX.

Per source: gain (``gain_db``), optional air absorption and propagation delay on the mono signal, distance
gain 1/r, then direction gains (VBIP panning, SN3D spherical harmonics, HRTFs, or the paper's microphones).
Positions are evaluated at control points every ``hop`` samples and gains are interpolated linearly
between them, so moving sources glide without clicks or zipper noise. Last, the LFE is derived from the
source mix; the result keeps the scene's calibrated level (:mod:`see2sound.spatial.level`) or is normalised
to a loudness target, and is always held under the true-peak ceiling.

No file I/O here: :func:`see2sound.pipeline.render.render` reads stems and writes the result.
"""

from __future__ import annotations

import dataclasses
import math
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

import numpy as np

from ..errors import See2SoundError
from ..formats import Format, get_format
from ..log import get_logger
from .ambisonics import sh_sn3d
from .delay import delay_fir, delay_varying, propagation_delay_samples
from .distance import DEFAULT_MIN_DISTANCE_M, SPEED_OF_SOUND_M_S, apply_air_absorption, distance_gain
from .envelope import activity_envelope
from .extent import source_seed, spread_for, to_world
from .layouts import LOUDSPEAKER_FORMATS, get_layout
from .level import source_gain_db
from .lfe import lfe_feed
from .limiter import TruePeakLimiter, limit_true_peak
from .loudness import LoudnessMeter, channel_weights, loudness_of
from .panning import PANNING_LAWS, Panner
from .reverb import render_room, resolve_room, response_length_s

if TYPE_CHECKING:
    from ..scene import Scene

log = get_logger(__name__)

METHODS = ("panning", "paper")
DEFAULT_HOP = 128  # control points every 2.7 ms at 48 kHz
BLOCK_S = 60.0  # long scenes are rendered in blocks of about this length (bounded memory)
CROSSFADE_S = 0.05  # consecutive blocks are cross-faded over this time
SETTLE_S = 0.5  # margin before a block for the short filters (LFE, air absorption, HRIRs)
LOOKAHEAD_S = 0.1  # margin after a block for the non-causal ones (fractional-delay FIRs, STFT frames)
_ALIGN_HOPS = 512  # blocks start on multiples of this many control points (every filter's grid)
_CHUNK_BLOCKS = 128  # blocks mixed at once: their temporaries (about 1 MiB) stay in L2


@dataclass
class RenderOptions:
    """How to render a scene.

    Attributes
    ----------
    format : str
        One of ``stereo, 5.1, 7.1, 7.1.4, binaural, foa, hoa2, hoa3``.
    method : {"panning", "paper"}
        ``panning``: VBIP/VBAP, SH encoding or HRTFs. ``paper``: omni microphones at the loudspeaker
        positions (SEE-2-SOUND eq. 4), loudspeaker formats only.
    sample_rate : int or None
        Output rate in Hz (8000–192000); ``None`` = the scene's rate.
    hrtf : str or None
        HRTF spec for binaural (``None``/``"auto"``/``"analytic"``/path to a SOFA file); resolved by the
        pipeline, which passes the loaded HRTF to :func:`render_scene`.
    loudness_lufs : float or None
        Integrated loudness target (BS.1770, LFE excluded); ``None`` (the default, "natural") keeps the
        scene's calibrated level (:mod:`see2sound.spatial.level`).
    true_peak_dbtp : float or None
        True-peak ceiling; the limiter always runs, so no sample is ever clipped. ``None`` = a ceiling at
        full scale (0 dBTP).
    lfe_db : float or None
        LFE level relative to the source mix; ``None`` leaves the LFE channel silent.
    propagation_delay : bool
        Delay each source by r/c (Doppler for moving sources).
    air_absorption : bool
        ISO 9613-1 air absorption (20 °C, 50 % RH) over each source's distance.
    mic_radius_m : float
        Microphone circle radius of the paper method.
    min_distance_m : float
        Distances are clamped to at least this for the 1/r gain.
    panning_law : {"vbip", "vbap"}
    hop : int
        Control-point spacing in samples for moving sources.
    room : str, Room or None
        ``--room`` spec (``auto``: the scene's room; ``none``: free field; ``indoor``, ``outdoor``,
        ``WxDxH[:material]``), a :class:`~see2sound.spatial.reverb.Room`, or ``None`` (free field).
        Reflections and the diffuse tail are added to the direct sound (:mod:`see2sound.spatial.reverb`).
    """

    format: str = "5.1"
    method: str = "panning"
    sample_rate: int | None = None
    hrtf: str | None = None
    loudness_lufs: float | None = None
    true_peak_dbtp: float | None = -1.0
    lfe_db: float | None = -10.0
    propagation_delay: bool = False
    air_absorption: bool = False
    mic_radius_m: float = 2.0
    min_distance_m: float = DEFAULT_MIN_DISTANCE_M
    panning_law: str = "vbip"
    hop: int = DEFAULT_HOP
    room: Any = "auto"

    def validate(self) -> RenderOptions:
        """Check every option; raises :class:`See2SoundError` naming the first bad one."""
        fmt = get_format(self.format)
        if self.method not in METHODS:
            raise See2SoundError(f"unknown method {self.method!r}; choose one of {', '.join(METHODS)}")
        if self.method == "paper" and self.format not in LOUDSPEAKER_FORMATS:
            raise See2SoundError(
                f"--method paper places microphones at loudspeaker positions and only renders loudspeaker "
                f"formats ({', '.join(LOUDSPEAKER_FORMATS)}), not {fmt.name}; use --method panning"
            )
        if self.sample_rate is not None and not (8000 <= int(self.sample_rate) <= 192000):
            raise See2SoundError(f"sample rate must be 8000 to 192000 Hz, got {self.sample_rate}")
        for name in ("loudness_lufs", "true_peak_dbtp", "lfe_db"):
            value = getattr(self, name)
            if value is not None and not math.isfinite(value):
                raise See2SoundError(f"{name} must be a finite number, got {value}")
        if self.loudness_lufs is not None and not -70.0 < self.loudness_lufs <= 0.0:
            raise See2SoundError(f"loudness target must be between -70 and 0 LUFS, got {self.loudness_lufs}")
        if self.true_peak_dbtp is not None and self.true_peak_dbtp > 0.0:
            raise See2SoundError(f"true-peak ceiling must be 0 dBTP or lower, got {self.true_peak_dbtp}")
        if not (math.isfinite(self.mic_radius_m) and self.mic_radius_m > 0):
            raise See2SoundError(f"microphone radius must be greater than 0 m, got {self.mic_radius_m}")
        if not (math.isfinite(self.min_distance_m) and self.min_distance_m > 0):
            raise See2SoundError(f"minimum distance must be greater than 0 m, got {self.min_distance_m}")
        if self.panning_law not in PANNING_LAWS:
            raise See2SoundError(
                f"unknown panning law {self.panning_law!r}; choose one of {', '.join(PANNING_LAWS)}"
            )
        if int(self.hop) < 1:
            raise See2SoundError(f"hop must be at least 1 sample, got {self.hop}")
        resolve_room(self.room)  # a bad --room spec fails here, before any work
        return self


# -- mixing ----------------------------------------------------------------------------------------
def mix_interpolated(
    signals: np.ndarray,
    gains: np.ndarray,
    hop: int,
    out: np.ndarray | None = None,
    rows: Sequence[int] | None = None,
) -> np.ndarray:
    """Mix ``signals`` ``(K, n)`` into channels with gains interpolated linearly between control points.

    Parameters
    ----------
    signals : ndarray, shape (K, n)
    gains : ndarray, shape (m, C, K)
        Gain matrices at samples ``0, hop, 2·hop, …``; ``m ≥ ceil(n / hop) + 1``.
    hop : int
    out : ndarray, optional
        Where to write: channel ``c`` goes to row ``rows[c]`` of ``out`` (default: a new ``(C, n)`` array).
    rows : sequence of int, optional

    Returns
    -------
    ndarray
        ``out``, with ``y[c, t] = Σ_k g[c, k](t) · s[k, t]`` and ``g`` linear between control points.
    """
    signals = np.asarray(signals)
    n_src, n = signals.shape
    n_blocks = -(-n // hop)
    if gains.shape[0] < n_blocks + 1:
        raise ValueError(f"need {n_blocks + 1} control points for {n} samples, got {gains.shape[0]}")
    dtype = np.result_type(signals.dtype, np.float32)
    gains = gains.astype(dtype, copy=False)
    n_ch = gains.shape[1]
    if out is None:
        out = np.zeros((n_ch, n), dtype=dtype)
    rows = list(range(n_ch)) if rows is None else list(rows)
    contiguous = rows == list(range(rows[0], rows[0] + n_ch))
    target = out[rows[0] : rows[0] + n_ch] if contiguous else None
    if np.all(gains[: n_blocks + 1] == gains[0]):  # nothing moves: one gain matrix for every sample
        step = hop * _CHUNK_BLOCKS
        for s0 in range(0, n, step):
            y = gains[0] @ signals[:, s0 : s0 + step]
            if target is not None:
                target[:, s0 : s0 + step] = y
            else:
                out[rows, s0 : s0 + step] = y
        return out
    ramp = (np.arange(hop) / hop).astype(dtype)
    for b0 in range(0, n_blocks, _CHUNK_BLOCKS):
        b1 = min(n_blocks, b0 + _CHUNK_BLOCKS)
        stop = min(n, b1 * hop)
        if stop == b1 * hop:
            blocks = (
                signals[:, b0 * hop : stop].reshape(n_src, b1 - b0, hop).transpose(1, 0, 2)
            )  # (B, K, hop)
        else:  # the last, partial block: pad with silence
            seg = np.zeros((n_src, (b1 - b0) * hop), dtype=signals.dtype)
            seg[:, : stop - b0 * hop] = signals[:, b0 * hop : stop]
            blocks = seg.reshape(n_src, b1 - b0, hop).transpose(1, 0, 2)
        g0 = gains[b0:b1]
        dg = gains[b0 + 1 : b1 + 1] - g0
        y = g0 @ blocks + dg @ (blocks * ramp)  # (B, C, hop)
        y = y.transpose(1, 0, 2).reshape(n_ch, -1)[:, : stop - b0 * hop]
        if target is not None:
            target[:, b0 * hop : stop] = y
        else:
            out[rows, b0 * hop : stop] = y
    return out


def _per_sample(values_ctrl: np.ndarray, n: int, hop: int) -> np.ndarray:
    """Linear interpolation of control-point values ``(m,)`` to every sample."""
    values_ctrl = np.asarray(values_ctrl, dtype=float)
    n_blocks = -(-n // hop)
    if len(values_ctrl) < n_blocks + 1:  # too few points: hold the last value
        return np.interp(np.arange(n), np.arange(len(values_ctrl)) * hop, values_ctrl)
    # block by block: v[b] + (v[b + 1] − v[b]) · j / hop (no search, unlike np.interp)
    start = values_ctrl[:n_blocks, None]
    ramp = np.arange(hop) / hop
    return (start + (values_ctrl[1 : n_blocks + 1, None] - start) * ramp).reshape(-1)[:n]


def _scale_per_sample(signal: np.ndarray, values_ctrl: np.ndarray, hop: int) -> None:
    """Multiply ``signal`` ``(n,)`` in place by control-point values interpolated to every sample."""
    values_ctrl = np.asarray(values_ctrl, dtype=float)
    if values_ctrl.size and np.all(values_ctrl == values_ctrl[0]):  # constant: one scalar
        signal *= np.asarray(values_ctrl[0], dtype=signal.dtype)
        return
    n = signal.shape[-1]
    step = hop * _CHUNK_BLOCKS * 16  # bounded temporaries
    for s0 in range(0, n, step):
        s1 = min(n, s0 + step)
        b0 = s0 // hop
        g = _per_sample(values_ctrl[b0:], s1 - s0, hop).astype(signal.dtype)
        signal[s0:s1] *= g


def _prepare_mono(
    signal: np.ndarray, distance_ctrl: np.ndarray, moving: bool, sr: int, hop: int, options: RenderOptions
) -> np.ndarray:
    """Air absorption and propagation delay on one mono source."""
    n = signal.shape[-1]
    if options.air_absorption:
        r = _per_sample(distance_ctrl, n, hop) if moving else float(distance_ctrl[0])
        signal = apply_air_absorption(signal, sr, r)
    # the paper's microphones already hear every source r/c late: delaying the mono signal too would double it
    if options.propagation_delay and options.method != "paper":
        signal = _propagate(signal, distance_ctrl, moving, sr, hop)
    return signal


def _propagate(signal: np.ndarray, distance_ctrl: np.ndarray, moving: bool, sr: int, hop: int) -> np.ndarray:
    """Delay a mono source by its distance over the speed of sound (Doppler when it moves)."""
    if moving:
        delay = propagation_delay_samples(distance_ctrl, hop, signal.shape[-1], sr, SPEED_OF_SOUND_M_S)
        return delay_varying(signal, delay)
    return delay_fir(signal, float(distance_ctrl[0]) / SPEED_OF_SOUND_M_S * sr)


def render_sources(
    signals: Sequence[np.ndarray],
    directions: Sequence[np.ndarray],
    distances_m: Sequence[np.ndarray | float],
    sr: int,
    options: RenderOptions | None = None,
    hrtf: Any = None,
    extents: Sequence[Any] | None = None,
    seeds: Sequence[int] | None = None,
) -> np.ndarray:
    """Render mono sources to ``options.format``: the direct sound (:func:`render_free_field`) plus, when
    ``options.room`` names a room, its reflections and diffuse tail (from each source's centre
    direction). No loudness normalisation.

    Without a scene, ``room="auto"`` means the free field.
    """
    options = (options or RenderOptions()).validate()
    out = render_free_field(
        signals, directions, distances_m, sr, options, hrtf=hrtf, extents=extents, seeds=seeds
    )
    room = resolve_room(options.room)
    if room is not None:
        out += render_room(signals, directions, distances_m, sr, options, room, hrtf=hrtf).astype(
            out.dtype, copy=False
        )
    return out


def render_free_field(
    signals: Sequence[np.ndarray],
    directions: Sequence[np.ndarray],
    distances_m: Sequence[np.ndarray | float],
    sr: int,
    options: RenderOptions | None = None,
    hrtf: Any = None,
    extents: Sequence[Any] | None = None,
    seeds: Sequence[int] | None = None,
) -> np.ndarray:
    """Render the direct sound of mono sources to ``options.format`` (no room, no loudness step).

    Parameters
    ----------
    signals : sequence of ndarray, shape (n,) each
        Mono signals of equal length at rate ``sr`` (gain already applied).
    directions : sequence of ndarray
        Per source a unit vector ``(3,)`` (fixed), or vectors ``(m, 3)`` at control points every
        ``options.hop`` samples, ``m = ceil(n / hop) + 1`` (moving).
    distances_m : sequence of float or ndarray
        Per source a distance, or ``(m,)`` distances at the same control points.
    sr : int
    options : RenderOptions
    hrtf : HRTF, optional
        Needed for ``binaural`` (see :func:`see2sound.pipeline.hrtf.load_hrtf`).
    extents : sequence, optional
        Per source ``None`` (a point), a ``(width, height)`` pair in degrees or a scene ``Extent``:
        extended sources are spread over decorrelated virtual sources (:mod:`see2sound.spatial.extent`).
    seeds : sequence of int, optional
        Per source the seed of its decorrelators (default: its index).

    Returns
    -------
    ndarray, shape (channels, n)
        float32 (float64 if any input is float64), channels in the format's file order.
    """
    options = (options or RenderOptions()).validate()
    fmt = get_format(options.format)
    hop = int(options.hop)
    if not (len(signals) == len(directions) == len(distances_m)):
        raise ValueError("signals, directions and distances_m must have one entry per source")
    if not signals:
        raise See2SoundError("nothing to render: the scene has no source with audio")
    n = int(np.shape(signals[0])[-1])
    dtype = np.result_type(*[np.asarray(s).dtype for s in signals], np.float32)
    m = -(-n // hop) + 1
    stacked = np.empty((len(signals), n), dtype=dtype)
    dirs_ctrl, dist_ctrl, moving = [], [], []
    for i, (s, d, r) in enumerate(zip(signals, directions, distances_m, strict=True)):
        s = np.asarray(s, dtype=dtype)
        if s.shape != (n,):
            raise ValueError(f"source {i}: expected a mono signal of {n} samples, got shape {s.shape}")
        d = np.asarray(d, dtype=float)
        r = np.asarray(r, dtype=float)
        is_moving = d.ndim == 2 or r.ndim == 1
        d = np.broadcast_to(d.reshape(-1, 3), (m, 3)) if d.ndim == 1 or len(d) == 1 else d
        r = np.broadcast_to(r.reshape(-1), (m,)) if r.ndim == 0 or r.size == 1 else r
        if d.shape != (m, 3) or r.shape != (m,):
            raise ValueError(
                f"source {i}: need {m} control points (every {hop} samples), got {d.shape}, {r.shape}"
            )
        if not (np.all(np.isfinite(d)) and np.all(np.isfinite(r)) and np.all(r > 0)):
            raise See2SoundError(
                f"source {i}: directions and distances must be finite and distances positive"
            )
        stacked[i] = _prepare_mono(s, r, is_moving, sr, hop, options)
        dirs_ctrl.append(d / np.linalg.norm(d, axis=-1, keepdims=True))
        dist_ctrl.append(r)
        moving.append(is_moving)

    out = np.zeros((fmt.n_channels, n), dtype=dtype)
    dist_gain = np.stack([distance_gain(r, options.min_distance_m) for r in dist_ctrl], axis=-1)  # (m, K)
    spreads = _spreads(extents, seeds, len(signals), sr)
    # extended sources that move (or meet the paper's microphones) become virtual point sources, each a
    # decorrelated copy; still ones are one FIR per output channel (the copies' filters summed, below)
    virtual = [
        i for i, sp in enumerate(spreads) if sp is not None and (moving[i] or options.method == "paper")
    ]
    still = [i for i, sp in enumerate(spreads) if sp is not None and i not in virtual]
    if virtual:
        copies, owners = [], []
        for i in virtual:
            sp = spreads[i]
            copies.append(
                _convolve(stacked[i], sp.filters * sp.amplitudes[:, None]).astype(dtype, copy=False)
            )
            world = to_world(sp.directions, dirs_ctrl[i])  # (m, D, 3)
            dirs_ctrl += list(world.transpose(1, 0, 2))
            dist_ctrl += [dist_ctrl[i]] * len(sp.weights)
            moving += [moving[i]] * len(sp.weights)
            owners += [i] * len(sp.weights)
        stacked = np.concatenate([stacked, *copies])
        dist_gain = np.concatenate([dist_gain, dist_gain[:, owners]], axis=1)
    # the extended sources' own rows are silent in every direction (their virtual sources or FIRs play them)
    extended = np.array([sp is not None for sp in spreads] + [False] * (len(stacked) - len(spreads)))

    if fmt.binaural:
        if hrtf is None:
            raise See2SoundError(
                "binaural rendering needs an HRTF (load one with see2sound.pipeline.hrtf.load_hrtf)"
            )
        from .binaural import render_binaural_mix

        m_bin = n // hop + 1
        for i, g in enumerate(dist_gain.T):  # 1/r on the mono signals (``stacked`` is ours to change)
            _scale_per_sample(stacked[i], g, hop)
        direct = np.flatnonzero(~extended)
        if direct.size:
            y = render_binaural_mix(
                [stacked[i] for i in direct],
                [np.ascontiguousarray(dirs_ctrl[i][:m_bin]) for i in direct],
                hrtf,
                hop,
                [np.ascontiguousarray(dist_ctrl[i][:m_bin]) for i in direct],
            )
            out += np.asarray(y, dtype=dtype)
        for i in still:
            out += _convolve(stacked[i], _binaural_spread_filters(spreads[i], dirs_ctrl[i][0], hrtf)).astype(
                dtype
            )
        return out

    if fmt.is_ambisonic:
        sh = sh_sn3d(fmt.ambisonic_order, np.concatenate(dirs_ctrl)).reshape(len(dirs_ctrl), m, -1)
        sh = np.ascontiguousarray(sh.transpose(1, 2, 0)) * dist_gain[:, None, :]  # (m, C, K)
        sh[:, :, extended] = 0.0
        mix_interpolated(stacked, sh, hop, out=out)
        for i in still:
            gains = sh_sn3d(fmt.ambisonic_order, to_world(spreads[i].directions, dirs_ctrl[i][0]))
            out += _spread_output(stacked[i], spreads[i], gains, dist_gain[0, i]).astype(dtype)
        return out

    layout = get_layout(fmt.name)
    speakers = list(layout.speaker_channels)
    lfe = layout.lfe_index if options.lfe_db is not None else None
    if options.method == "paper":
        from .paper import microphone_positions, render_paper

        direct = np.flatnonzero(~extended)
        positions = [
            (dirs_ctrl[i][0] * dist_ctrl[i][0]) if not moving[i] else dirs_ctrl[i] * dist_ctrl[i][:, None]
            for i in direct
        ]
        mics = microphone_positions(layout, options.mic_radius_m)
        out[speakers] = render_paper(stacked[direct], positions, mics, sr, hop=hop, min_distance_m=0.01)
        if lfe is not None:  # align the LFE with the microphones, which hear every source late
            sources = stacked[: len(spreads)]
            for i in range(len(sources)):
                sources[i] = _propagate(sources[i], dist_ctrl[i], moving[i], sr, hop)
            mix_interpolated(sources, dist_gain[:, None, : len(spreads)], hop, out=out, rows=[lfe])
    else:
        panner = Panner(layout, options.panning_law)
        directions_all = np.concatenate(dirs_ctrl)  # one call for every source's control points
        pan = panner.gains(directions_all).reshape(len(dirs_ctrl), m, -1).transpose(1, 2, 0)  # (m, S, K)
        pan = pan * dist_gain[:, None, :]
        if extended.any():
            pan[:, :, extended] = 0.0
        rows = speakers
        if lfe is not None:  # the source mix for the LFE rides along as one more output row
            feed = dist_gain.copy()
            feed[:, len(spreads) :] = 0.0  # virtual sources: their source's own row feeds the LFE
            pan = np.concatenate([pan, feed[:, None, :]], axis=1)
            rows = speakers + [lfe]
        mix_interpolated(stacked, pan, hop, out=out, rows=rows)
        for i in still:
            gains = panner.gains(to_world(spreads[i].directions, dirs_ctrl[i][0]))
            out[speakers] += _spread_output(stacked[i], spreads[i], gains, dist_gain[0, i]).astype(dtype)
    if lfe is not None:
        out[lfe] = lfe_feed(out[lfe], sr, options.lfe_db)
    return out


def _spreads(extents, seeds, count: int, sr: int) -> list:
    """The :class:`~see2sound.spatial.extent.Spread` of each source (``None`` for points)."""
    if extents is None:
        return [None] * count
    if len(extents) != count or (seeds is not None and len(seeds) != count):
        raise ValueError("extents and seeds must have one entry per source")
    return [
        spread_for(e, sr, i if seeds is None else seeds[i]) if e is not None else None
        for i, e in enumerate(extents)
    ]


def _convolve(signal: np.ndarray, filters: np.ndarray) -> np.ndarray:
    """``signal`` (n,) through each FIR row of ``filters``, cut to ``n`` samples (float32)."""
    from .binaural import fft_convolve_blocks

    return fft_convolve_blocks(np.asarray(signal, dtype=np.float32), np.asarray(filters, dtype=np.float32))


def _spread_output(signal: np.ndarray, spread: Any, gains: np.ndarray, distance_gain_: float) -> np.ndarray:
    """A still extended source: per output channel one FIR, the virtual sources' decorrelators weighted
    by their direction gains ``(D, C)`` and amplitudes, summed (the sum of the copies, at the cost of C
    filters rather than D)."""
    firs = (gains * (spread.amplitudes * distance_gain_)[:, None]).T @ spread.filters  # (C, taps)
    return _convolve(signal, firs)


def _binaural_spread_filters(spread: Any, direction: np.ndarray, hrtf: Any) -> np.ndarray:
    """The two ear filters of a still extended source: ``Σ_d a_d · (decorrelator_d * HRIR_d)``."""
    from .hrtf import delayed_filters

    mp, onset = hrtf.filters_at(to_world(spread.directions, direction))
    h = delayed_filters(mp, onset, hrtf.filter_length + 16)  # (D, 2, taps)
    length = h.shape[-1] + spread.filters.shape[-1] - 1
    n_fft = 1 << (length - 1).bit_length()
    spectrum = np.einsum(
        "df,def->ef",
        np.fft.rfft(spread.filters * spread.amplitudes[:, None], n_fft, axis=-1),
        np.fft.rfft(h, n_fft, axis=-1),
    )
    return np.fft.irfft(spectrum, n_fft, axis=-1)[:, :length]


def finish_loudness(
    y: np.ndarray, sr: int, fmt: str | Format, options: RenderOptions, copy: bool = True
) -> np.ndarray:
    """Normalise to ``options.loudness_lufs`` (BS.1770, LFE excluded), then limit the true peak.

    With ``loudness_lufs=None`` the levels are left as they are. The true-peak limiter always runs (at
    ``options.true_peak_dbtp``, or at full scale when that is ``None``), whatever the format or the
    gains, so no sample is ever clipped. ``copy=False`` changes ``y`` in place.
    """
    owned = not copy  # may ``y`` be changed in place?
    if options.loudness_lufs is not None:
        gain = _loudness_gain(loudness_of(y, sr, fmt), options.loudness_lufs, y.dtype)
        if gain is not None:
            if owned:
                y *= gain
            else:
                y, owned = y * gain, True
    ceiling = 0.0 if options.true_peak_dbtp is None else options.true_peak_dbtp
    return limit_true_peak(y, sr, ceiling, in_place=owned)


def fit_length(signal: np.ndarray, n: int) -> np.ndarray:
    """Zero-pad or cut a mono signal to ``n`` samples."""
    signal = np.asarray(signal)
    if signal.shape[-1] >= n:
        return signal[..., :n]
    return np.concatenate([signal, np.zeros(n - signal.shape[-1], dtype=signal.dtype)], axis=-1)


def render_scene(
    scene: Scene,
    signals: Mapping[str, Any],
    options: RenderOptions | None = None,
    hrtf: Any = None,
) -> np.ndarray:
    """Render a scene to ``(channels, samples)`` in ``options.format``, loudness-normalised.

    Long scenes are rendered in time blocks of about :data:`BLOCK_S` seconds: each block starts early
    enough that every filter, delay and reverberation tail reaching into it has settled (see
    :func:`memory_samples`), and consecutive blocks are cross-faded over :data:`CROSSFADE_S`, so the
    result equals a render in one piece (to rounding where the processing is time-invariant) while only
    one block of every stem and of the intermediate signals is held at a time. The result is held
    whole: to write a long scene to a file, use :class:`SceneStream` (the same samples, a block at a
    time), as :func:`see2sound.pipeline.render.render` does.

    Parameters
    ----------
    scene : Scene
        Sources with positions or trajectories; ``scene.duration`` sets the length.
    signals : mapping of str to array-like
        Mono signal ``(n,)`` per source id, at the output rate: an array, or anything with ``len()``
        whose slices are arrays (:class:`see2sound.media.audio.MonoReader` reads a file a block at a
        time). Stems shorter than the scene are padded with silence, longer ones are cut. Sources
        without an entry are skipped.
    options : RenderOptions
    hrtf : HRTF, optional
        Required for ``binaural``.

    Returns
    -------
    ndarray, shape (channels, round(duration · sr))
        Never NaN, Inf or above the true-peak ceiling.

    Examples
    --------
    >>> from see2sound.scene import Scene
    >>> scene = Scene.from_dict({"duration": 1.0, "sources": [
    ...     {"id": "a", "position": {"azimuth": 30.0}}]})
    >>> y = render_scene(scene, {"a": np.full(48000, 0.5, np.float32)}, RenderOptions())
    >>> y.shape, round(float(y[0, 1000]), 3)       # all of it in L (30°), LFE at -10 dB low-passed
    ((6, 48000), 0.5)
    """
    stream = SceneStream(scene, signals, options, hrtf)
    y = None
    for s0, part in stream.raw_blocks():
        if s0 == 0 and part.shape[-1] == stream.n:  # one piece
            y = part
            break
        if y is None:
            y = np.empty((part.shape[0], stream.n), dtype=part.dtype)
        y[:, s0 : s0 + part.shape[-1]] = part
    y = finish_loudness(y, stream.sr, stream.options.format, stream.options, copy=False)
    for s0 in range(0, stream.n, 1 << 20):
        _check_finite(y[:, s0 : s0 + (1 << 20)])
    return y


class SceneStream:
    """A scene rendered a block at a time: what :func:`render_scene` returns, in consecutive pieces.

    For long scenes written to a file (:func:`see2sound.pipeline.render.render`): only one block of the
    render (about :data:`BLOCK_S` seconds) and a few chunks of the limiter's state are held, whatever the
    duration. The pieces are the same samples as :func:`render_scene`'s, bit for bit: the blocks, the
    loudness meter and the limiter work on the same grids either way.

    Use: ``gain = stream.loudness_gain()`` (a first pass that renders and measures, when a loudness
    target is set; ``None`` otherwise), then write the pieces of ``stream.blocks(gain)``; when
    :attr:`rescale` is then not ``None`` the limiter's last check failed (rare): write
    ``stream.blocks(gain, stream.rescale)`` again from the start.

    Attributes
    ----------
    sr : int
        The output rate.
    n : int
        Samples in the output.
    channels : int
    options : RenderOptions
        The validated options, with the room resolved.
    rescale : float or None
        Set by :meth:`blocks` once exhausted.
    """

    def __init__(
        self, scene: Scene, signals: Mapping[str, Any], options: RenderOptions | None = None, hrtf: Any = None
    ):
        options = (options or RenderOptions()).validate()
        self.sr = sr = int(options.sample_rate or scene.sample_rate)
        self.n = int(round(scene.duration * sr))
        if self.n < 1:
            raise See2SoundError(f"scene duration {scene.duration} s is shorter than one sample at {sr} Hz")
        room = resolve_room(options.room, (scene.model_extra or {}).get("room"))
        self.options = dataclasses.replace(options, room=room)
        self.sources = [src for src in scene.sources if src.id in signals]
        if not self.sources:
            raise See2SoundError("nothing to render: the scene has no source with audio")
        self.stems = [_mono(signals[src.id]) for src in self.sources]
        self.hrtf = hrtf
        self.channels = get_format(options.format).n_channels
        self.rescale: float | None = None

    def raw_blocks(self) -> Iterator[tuple[int, np.ndarray]]:
        """The render before loudness and limiting as ``(start, samples)`` pieces in order (new
        arrays or views of them, the caller's to change).

        Blocks of about :data:`BLOCK_S` seconds, each started early enough that every filter, delay and
        reverberation tail reaching into it has settled (:func:`memory_samples`); consecutive blocks are
        cross-faded over :data:`CROSSFADE_S`, so a piece is ready once the next block's fade is done.
        """
        sources, stems, sr, n, options, hrtf = (
            self.sources,
            self.stems,
            self.sr,
            self.n,
            self.options,
            self.hrtf,
        )
        hop = int(options.hop)
        align = hop * _ALIGN_HOPS
        block = align * max(1, round(BLOCK_S * sr / align))
        if n <= block + block // 2:  # short enough for one piece
            yield 0, _render_span(sources, stems, 0, n, n, sr, options, hrtf)
            return
        pre = memory_samples(sources, sr, options, options.room, hrtf)
        fade = int(round(CROSSFADE_S * sr))
        post = int(round(LOOKAHEAD_S * sr))
        pending = None  # the last ``fade`` samples of the previous block, waiting for their cross-fade
        for b0 in range(0, n, block):
            b1 = n if n - b0 < block + block // 2 else b0 + block  # no short last block
            f0 = max(0, b0 - fade)  # where the fade-in from the previous block starts
            p0 = max(0, (f0 - pre) // align * align)
            part = _render_span(sources, stems, p0, min(n, b1 + post), n, sr, options, hrtf)
            if pending is not None:
                w = _ramp_up(b0 - f0).astype(part.dtype)
                pending += (part[:, f0 - p0 : b0 - p0] - pending) * w
                yield f0, pending
            if b1 == n:
                yield b0, part[:, b0 - p0 : b1 - p0]
                return
            keep = max(b0, b1 - fade)  # the next block's f0
            yield b0, part[:, b0 - p0 : keep - p0]
            pending = part[:, keep - p0 : b1 - p0].copy()

    def loudness_gain(self) -> np.ndarray | None:
        """The gain to the loudness target (a first pass over the render, keeping only BS.1770's 100 ms
        energies); ``None`` when no target is set or the render is silent."""
        if self.options.loudness_lufs is None:
            return None
        meter = LoudnessMeter(self.sr, channel_weights(self.options.format))
        dtype = None
        for _, part in self.raw_blocks():
            meter.push(part)
            dtype = part.dtype
        return _loudness_gain(meter.integrated(), self.options.loudness_lufs, dtype)

    def blocks(self, gain: np.ndarray | None = None, rescale: float | None = None) -> Iterator[np.ndarray]:
        """The finished output in consecutive pieces: the render times ``gain`` (from
        :meth:`loudness_gain`), limited to the true-peak ceiling, times ``rescale`` when given.
        Sets :attr:`rescale` at the end (see the class)."""
        ceiling = 0.0 if self.options.true_peak_dbtp is None else self.options.true_peak_dbtp
        limiter = TruePeakLimiter(self.n, self.sr, ceiling)
        self.rescale = None

        def finished(ready):
            for _, out, _changed in ready:
                if rescale is not None:
                    out = out * np.asarray(rescale, dtype=out.dtype)
                _check_finite(out)
                yield out

        for _, part in self.raw_blocks():
            if gain is not None:
                part *= gain  # the pieces are ours: no copy of a block
            yield from finished(limiter.push(part))
        yield from finished(limiter.finish())
        if rescale is None:
            self.rescale = limiter.rescale


def _loudness_gain(loudness: float, target: float, dtype: Any) -> np.ndarray | None:
    """The gain from ``loudness`` to ``target`` LUFS (``None`` for silence, with a warning)."""
    if not math.isfinite(loudness):
        log.warning("the rendered audio is silent (or shorter than 0.4 s); loudness left as it is")
        return None
    return np.asarray(10.0 ** ((target - loudness) / 20.0), dtype=dtype)


def _check_finite(y: np.ndarray) -> None:
    """A bug, not a user error: refuse rather than write garbage."""
    if not np.all(np.isfinite(y)):
        raise See2SoundError("rendering produced NaN or infinite samples")


def _mono(signal: Any) -> Any:
    """A 1-D view of a stem: arrays are flattened, lazy readers are used as they are."""
    if isinstance(signal, np.ndarray) or not hasattr(signal, "__getitem__"):
        return np.asarray(signal).reshape(-1)
    return signal


def _ramp_up(length: int) -> np.ndarray:
    """Raised-cosine cross-fade weights from 0 to 1 over ``length`` samples."""
    return 0.5 - 0.5 * np.cos(np.pi * (np.arange(length) + 0.5) / length)


def memory_samples(sources: Sequence[Any], sr: int, options: RenderOptions, room: Any, hrtf: Any) -> int:
    """How far back (in samples) the render at a time depends on the sources' signals.

    The longest propagation delay (when it is on, and always for the paper's microphones), the room's
    reflections and tail, and a margin for the short filters (LFE low-pass, air absorption, HRIRs).
    """
    seconds = SETTLE_S
    if options.propagation_delay or options.method == "paper":
        far = max(k.distance for src in sources for k in src.keyframes())
        seconds += (far + options.mic_radius_m) / SPEED_OF_SOUND_M_S
    if room is not None:
        seconds += response_length_s(room, sr)
    if hrtf is not None:
        seconds += hrtf.hrirs.shape[-1] / sr
    return int(math.ceil(seconds * sr))


def _render_span(
    sources: Sequence[Any],
    stems: Sequence[Any],
    start: int,
    stop: int,
    n: int,
    sr: int,
    options: RenderOptions,
    hrtf: Any,
) -> np.ndarray:
    """The render (before loudness) of samples ``start`` to ``stop`` of an ``n``-sample scene, with the
    sources' signals from ``start`` on (earlier sound is not heard: the caller starts early enough)."""
    length = stop - start
    hop = int(options.hop)
    times = (start + np.arange(-(-length // hop) + 1) * hop) / sr
    mono, dirs, dists, extents = [], [], [], []
    for src, stem in zip(sources, stems, strict=True):
        s = fit_length(np.asarray(stem[start : min(stop, len(stem))]), length)
        gain_db = source_gain_db(src, options.min_distance_m)  # calibrated level, the user's gain
        if gain_db:
            s = s * np.asarray(10.0 ** (gain_db / 20.0), dtype=s.dtype)
        if src.active is not None:  # heard only while it is in the picture, with fades
            gain = activity_envelope(src.active[0], src.active[1], n, sr, window=(start, stop))
            s = s * gain.astype(s.dtype, copy=False)
        if src.is_moving:
            d, r = src.positions_at(times)
        else:
            d, r = src.positions_at([0.0])
            d, r = d[0], float(r[0])
        mono.append(s)
        dirs.append(d)
        dists.append(r)
        extents.append(src.extent)
    seeds = [source_seed(src.id) for src in sources]
    return render_sources(mono, dirs, dists, sr, options, hrtf=hrtf, extents=extents, seeds=seeds)


__all__ = [
    "METHODS",
    "RenderOptions",
    "SceneStream",
    "finish_loudness",
    "fit_length",
    "memory_samples",
    "mix_interpolated",
    "render_free_field",
    "render_scene",
    "render_sources",
]
