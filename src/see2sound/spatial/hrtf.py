"""Head-related transfer functions: measured sets, the analytic spherical head, interpolation.

An :class:`HRTF` holds head-related impulse responses (HRIRs) for a set of directions in the
listener frame (x forward, y left, z up; ear 0 = left, ear 1 = right). For rendering, each HRIR
is split into a minimum-phase filter and a per-ear onset delay (Kulkarni, Isabelle & Colburn
1999): minimum-phase filters of neighbouring directions are aligned in time, so mixing them does
not comb-filter, and the interaural time difference is applied as a separate fractional delay.
Directions between measurements are interpolated with barycentric weights on the triangles of the
measurement grid's convex hull (as in VBAP, Pulkki 1997), so weights change continuously with
direction.

The analytic head is Brown & Duda's (1998) structural model: a rigid sphere with a one-pole,
one-zero head-shadow filter per ear and Woodworth's ray-tracing delay, valid at any sample rate.
"""

from __future__ import annotations

from functools import cached_property
from math import gcd

import numpy as np
from scipy import fft as sp_fft

from ..errors import See2SoundError

SPEED_OF_SOUND_M_S = 343.0
HEAD_RADIUS_M = 0.0875  # Brown & Duda 1998

# Fractional delays use a Kaiser-windowed sinc of this length; its centre adds FRAC_LEAD samples.
FRAC_TAPS = 16
FRAC_LEAD = FRAC_TAPS // 2 - 1
FRAC_STEPS = 256  # fractional delays are quantised to 1/256 sample (< 0.1 µs at 48 kHz)


def _fractional_delay_table(
    n_taps: int = FRAC_TAPS, n_steps: int = FRAC_STEPS, beta: float = 8.0
) -> np.ndarray:
    """Windowed-sinc fractional-delay filters ``(n_steps + 1, n_taps)`` for fractions 0 … 1.

    Row ``q`` delays by ``FRAC_LEAD + q / n_steps`` samples.
    """
    frac = np.arange(n_steps + 1)[:, None] / n_steps
    t = np.arange(n_taps)[None, :] - (n_taps // 2 - 1) - frac
    window = np.i0(beta * np.sqrt(np.clip(1.0 - (t / (n_taps / 2)) ** 2, 0.0, None))) / np.i0(beta)
    table = np.sinc(t) * window
    return table / table.sum(axis=1, keepdims=True)  # unit gain at DC


_FRAC_TABLE = _fractional_delay_table()


def minimum_phase(h: np.ndarray, n_fft: int | None = None) -> np.ndarray:
    """Minimum-phase filters with the same magnitude response as ``h`` (last axis = taps).

    Homomorphic method (real cepstrum folded onto positive quefrencies) on an FFT 32 times longer
    than the filter (at least 4096), which keeps cepstral aliasing below 0.1 dB even near notches.
    """
    h = np.asarray(h, dtype=float)
    taps = h.shape[-1]
    n_fft = n_fft or sp_fft.next_fast_len(max(32 * taps, 4096), real=True)
    fold = np.zeros(n_fft)
    fold[0] = 1.0
    fold[1 : (n_fft + 1) // 2] = 2.0
    if n_fft % 2 == 0:
        fold[n_fft // 2] = 1.0
    flat = h.reshape(-1, taps)
    out = np.empty_like(flat)
    for r0 in range(0, len(flat), 64):  # in chunks: the long FFTs stay in cache
        mag = np.abs(sp_fft.rfft(flat[r0 : r0 + 64], n_fft, axis=-1))
        floor = 1e-7 * np.maximum(mag.max(axis=-1, keepdims=True), 1e-30)
        cep = sp_fft.irfft(np.log(np.maximum(mag, floor)), n_fft, axis=-1)
        out[r0 : r0 + 64] = sp_fft.irfft(np.exp(sp_fft.rfft(cep * fold, axis=-1)), n_fft, axis=-1)[:, :taps]
    return out.reshape(h.shape)


def onset_delay(h: np.ndarray, threshold_db: float = -20.0, oversample: int = 8) -> np.ndarray:
    """Onset of each impulse response in samples (fractional): first crossing of ``threshold_db``
    below its peak, found on an ``oversample``-times band-limited interpolation.
    """
    from scipy.signal import resample_poly  # imported here: scipy.signal is slow to import

    h = np.asarray(h, dtype=float)
    up = resample_poly(h, oversample, 1, axis=-1)
    env = np.abs(up)
    level = env.max(axis=-1, keepdims=True) * 10.0 ** (threshold_db / 20.0)
    first = np.argmax(env >= level, axis=-1)
    return first / oversample


def excess_phase_delay(
    h: np.ndarray,
    sample_rate: int,
    min_phase: np.ndarray | None = None,
    f_lo_hz: float = 300.0,
    f_hi_hz: float = 1500.0,
) -> np.ndarray:
    """Delay in samples of each impulse response relative to its minimum-phase version.

    The slope of the excess phase (phase of ``H / H_min``) fitted between ``f_lo_hz`` and
    ``f_hi_hz``: the low-frequency group delay that carries the interaural time difference
    (Minnaar et al. 2000). Minimum-phase filter + this delay reproduces the measured HRIR's
    magnitude exactly and its low-frequency phase closely.
    """
    h = np.asarray(h, dtype=float)
    mp = minimum_phase(h) if min_phase is None else np.asarray(min_phase, dtype=float)
    hi = min(f_hi_hz, 0.45 * sample_rate)
    if hi <= f_lo_hz:
        raise See2SoundError(f"sample rate {sample_rate} Hz is too low to estimate HRIR delays")
    omega = 2 * np.pi * np.linspace(f_lo_hz, hi, 64) / sample_rate  # rad/sample
    basis_h = np.exp(-1j * np.outer(np.arange(h.shape[-1]), omega))
    basis_m = np.exp(-1j * np.outer(np.arange(mp.shape[-1]), omega))
    spec = (h.reshape(-1, h.shape[-1]) @ basis_h) * np.conj(mp.reshape(-1, mp.shape[-1]) @ basis_m)
    phase = np.unwrap(np.angle(spec), axis=-1)
    design = np.stack([omega, np.ones_like(omega)], axis=1)
    slope = np.linalg.lstsq(design, phase.T, rcond=None)[0][0]
    return -slope.reshape(h.shape[:-1])


def _signed_minimum_phase(hrirs: np.ndarray) -> np.ndarray:
    """Minimum-phase versions of a set, with the set's polarity (the homomorphic method gives positive)."""
    peaks = np.take_along_axis(hrirs, np.abs(hrirs).argmax(axis=-1)[..., None], axis=-1)
    return minimum_phase(hrirs) * (-1.0 if peaks.sum() < 0 else 1.0)


def _resample_filters(h: np.ndarray, sr_in: int, sr_out: int) -> np.ndarray:
    from scipy.signal import resample_poly

    g = gcd(int(sr_in), int(sr_out))
    return resample_poly(h, int(sr_out) // g, int(sr_in) // g, axis=-1, window=("kaiser", 8.6))


def _trim_length(h: np.ndarray, tail_db: float = -70.0, minimum: int = 16) -> int:
    """Length that keeps all but ``tail_db`` of the energy of every filter in ``h``."""
    energy = np.cumsum(np.reshape(h, (-1, h.shape[-1])) ** 2, axis=-1)
    total = energy[:, -1:]
    keep = energy >= total * (1.0 - 10.0 ** (tail_db / 10.0))
    last = np.argmax(keep, axis=-1).max() + 1
    return int(min(h.shape[-1], max(minimum, last)))


_QUERY_CHUNK = 1024  # directions located at once by HRTF.interpolation_weights
_NARROW_INCIDENCE = 8


def _best_triangle(p: np.ndarray, cand: np.ndarray, inv: np.ndarray):
    """Among candidate triangles ``cand`` (q, c) (-1 = none), the one containing each ``p`` (q, 3) best.

    Returns the triangle index (q,), its barycentric weights (q, 3) and their minimum (q,): negative
    when no candidate contains the direction.
    """
    inv_c = inv[np.maximum(cand, 0)]  # (q, c, 3, 3): g = p @ inv, written out (beats einsum)
    g = p[:, 0, None, None] * inv_c[:, :, 0]
    g += p[:, 1, None, None] * inv_c[:, :, 1]
    g += p[:, 2, None, None] * inv_c[:, :, 2]
    score = np.where(cand >= 0, g.min(axis=2), -np.inf)
    best = np.argmax(score, axis=1)
    rows = np.arange(len(p))
    return cand[rows, best], g[rows, best], score[rows, best]


class HRTF:
    """A set of head-related impulse responses at one sample rate.

    Parameters
    ----------
    sample_rate : int
        Sample rate of ``hrirs`` in Hz.
    directions : array_like, shape (k, 3)
        Direction of each measurement in the listener frame (normalised to unit length).
    hrirs : array_like, shape (k, 2, taps)
        Impulse responses, ear 0 = left, ear 1 = right.
    name : str
        Short name (``"analytic"``, ``"ku100"``, a file name).
    credit : str
        Who measured or modelled it, for the credits of a render.
    delays_samples, min_phase : array_like, optional
        The split used for rendering: per-ear delays ``(k, 2)`` in samples and minimum-phase
        filters ``(k, 2, taps)``. Estimated from ``hrirs`` when omitted (measured sets); the
        analytic head passes its exact model.

    Examples
    --------
    >>> hrtf = spherical_head_hrtf(48000)
    >>> left, right = hrtf.impulse_response([0.0, 1.0, 0.0])
    >>> bool(np.abs(left).max() > np.abs(right).max())
    True
    """

    def __init__(
        self,
        sample_rate,
        directions,
        hrirs,
        name: str = "",
        credit: str = "",
        delays_samples=None,
        min_phase=None,
    ):
        directions = np.asarray(directions, dtype=float)
        hrirs = np.asarray(hrirs, dtype=float)
        if directions.ndim != 2 or directions.shape[1] != 3 or len(directions) == 0:
            raise See2SoundError(f"HRTF {name}: directions must have shape (k, 3), got {directions.shape}")
        if hrirs.ndim != 3 or hrirs.shape[0] != len(directions) or hrirs.shape[1] != 2 or hrirs.shape[2] < 1:
            raise See2SoundError(
                f"HRTF {name}: hrirs must have shape ({len(directions)}, 2, taps), got {hrirs.shape}"
            )
        if not (np.all(np.isfinite(directions)) and np.all(np.isfinite(hrirs))):
            raise See2SoundError(f"HRTF {name}: contains NaN or infinite values")
        norms = np.linalg.norm(directions, axis=1, keepdims=True)
        if np.any(norms < 1e-9):
            raise See2SoundError(f"HRTF {name}: a measurement direction has zero length")
        if not 1000 <= int(sample_rate) <= 768000:
            raise See2SoundError(f"HRTF {name}: sample rate {sample_rate} Hz is out of range")
        self.sample_rate = int(sample_rate)
        self.directions = directions / norms
        self.hrirs = hrirs
        self.name = name
        self.credit = credit
        if (delays_samples is None) != (min_phase is None):
            raise See2SoundError(f"HRTF {name}: give both delays_samples and min_phase, or neither")
        self._given_split = None if delays_samples is None else (delays_samples, min_phase)

    @cached_property
    def _split(self) -> tuple[np.ndarray, np.ndarray]:
        """(delays ``(k, 2)``, minimum-phase filters ``(k, 2, taps)``), estimated on first use."""
        if self._given_split is not None:
            delays, min_phase = self._given_split
        else:
            min_phase = _signed_minimum_phase(self.hrirs)
            delays = excess_phase_delay(self.hrirs, self.sample_rate, min_phase)
        min_phase = np.asarray(min_phase, dtype=float)
        min_phase = min_phase[..., : _trim_length(min_phase)]
        delays = np.asarray(delays, dtype=float)
        # Room for the fractional-delay filter's lead: shift the whole set by a constant if needed.
        lead = np.ceil(max(0.0, FRAC_LEAD + 1 - float(delays.min())))
        return delays + lead, min_phase

    @cached_property
    def _render_tables(self) -> tuple[np.ndarray, np.ndarray]:
        """Minimum-phase filters ear-major in single precision ``(2, k, taps)`` and delays ``(k, 2)``."""
        return (
            np.ascontiguousarray(self.min_phase.transpose(1, 0, 2), dtype=np.float32),
            np.asarray(self.delays_samples, dtype=float),
        )

    @property
    def delays_samples(self) -> np.ndarray:
        """Per-ear delays ``(k, 2)`` in samples applied after the minimum-phase filters."""
        return self._split[0]

    @property
    def min_phase(self) -> np.ndarray:
        """Minimum-phase filters ``(k, 2, taps)`` with the measured magnitude responses."""
        return self._split[1]

    def __repr__(self) -> str:
        return (
            f"HRTF(name={self.name!r}, sample_rate={self.sample_rate}, directions={len(self.directions)}, "
            f"taps={self.hrirs.shape[-1]})"
        )

    @property
    def filter_length(self) -> int:
        """Length of the filters :meth:`filters_at` builds (delay + fractional filter + min-phase)."""
        return int(np.floor(self.delays_samples.max())) - FRAC_LEAD + FRAC_TAPS + self.min_phase.shape[-1]

    # -- interpolation --------------------------------------------------------------------------

    @cached_property
    def _mesh(self):
        """Triangles of the measurement grid (convex hull), their inverse matrices, per-vertex incidence."""
        from scipy.spatial import ConvexHull, QhullError, cKDTree

        tree = cKDTree(self.directions)
        if len(self.directions) < 4:
            return tree, None, None, None
        try:
            hull = ConvexHull(self.directions)
        except (QhullError, ValueError):
            return tree, None, None, None
        if np.any(
            hull.equations[:, 3] > -1e-6
        ):  # origin not strictly inside: grid does not surround the head
            return tree, None, None, None
        tri = hull.simplices
        with np.errstate(all="ignore"):
            inv = np.linalg.inv(self.directions[tri])  # p = g @ V  ->  g = p @ inv(V)
        incident = [[] for _ in range(len(self.directions))]
        for t, verts in enumerate(tri):
            for v in verts:
                incident[v].append(t)
        width = max(len(x) for x in incident)
        table = np.full((len(incident), width), -1, dtype=np.int64)
        for v, ts in enumerate(incident):
            table[v, : len(ts)] = ts
        return tree, tri, inv, table

    def interpolation_weights(self, directions) -> tuple[np.ndarray, np.ndarray]:
        """Measurement indices ``(q, 3)`` and weights ``(q, 3)`` (summing to 1) for directions ``(q, 3)``.

        Barycentric (VBAP-style) weights on the triangle of the measurement grid that contains each
        direction; grids that do not surround the head (e.g. horizontal plane only) fall back to
        angular inverse-distance weights of the three nearest measurements.
        """
        p = np.atleast_2d(np.asarray(directions, dtype=float))
        p = p / np.maximum(np.linalg.norm(p, axis=1, keepdims=True), 1e-12)
        tree, tri, inv, incident = self._mesh
        if tri is None:
            k = min(3, len(self.directions))
            dist, idx = tree.query(p, k=k)
            dist, idx = np.atleast_2d(dist).reshape(len(p), k), np.atleast_2d(idx).reshape(len(p), k)
            if k < 3:
                idx = np.pad(idx, ((0, 0), (0, 3 - k)), mode="edge")
                dist = np.pad(dist, ((0, 0), (0, 3 - k)), constant_values=np.inf)
            w = 1.0 / np.maximum(dist, 1e-9) ** 2
            w /= w.sum(axis=1, keepdims=True)
            return idx, w
        idx = np.empty((len(p), 3), dtype=np.int64)
        gains = np.empty((len(p), 3))
        for q0 in range(0, len(p), _QUERY_CHUNK):  # bounded temporaries (they stay in cache)
            q1 = min(len(p), q0 + _QUERY_CHUNK)
            idx[q0:q1], gains[q0:q1] = self._containing_triangles(p[q0:q1])
        return idx, gains

    @cached_property
    def _narrow_incident(self) -> np.ndarray:
        """The first few triangles at each vertex (a pole's long list would pad every row)."""
        return self._mesh[3][:, :_NARROW_INCIDENCE]

    def _containing_triangles(self, p: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """Vertex indices and barycentric weights of the grid triangle containing each direction.

        Candidates are the triangles at the nearest vertex, then those at the three nearest, and
        as a last resort every triangle; the first stage settles nearly every direction.
        """
        tree, tri, inv, incident = self._mesh
        _, nearest = tree.query(p, k=1)
        tri_idx, gains, score = _best_triangle(p, self._narrow_incident[nearest], inv)
        miss = score < -1e-9
        if np.any(miss):  # near a vertex with many triangles, or not touching the nearest vertex
            _, near3 = tree.query(p[miss], k=3)
            t, g, sc = _best_triangle(p[miss], incident[near3].reshape(len(near3), -1), inv)
            tri_idx[miss], gains[miss], score[miss] = t, g, sc
            miss = score < -1e-9
        missed = np.flatnonzero(miss)
        for r0 in range(0, len(missed), 128):
            # rare (e.g. in a grid's gap): the triangle touches none of the three nearest vertices
            rows = missed[r0 : r0 + 128]
            gall = np.einsum("qi,tij->qtj", p[rows], inv)
            t = np.argmax(gall.min(axis=2), axis=1)
            tri_idx[rows] = t
            gains[rows] = gall[np.arange(len(t)), t]
        gains = np.clip(gains, 0.0, None)
        gains /= np.maximum(gains.sum(axis=1, keepdims=True), 1e-12)
        return tri[tri_idx], gains

    def filters_at(self, directions) -> tuple[np.ndarray, np.ndarray]:
        """Interpolated minimum-phase filters ``(q, 2, taps)`` and onset delays ``(q, 2)`` in samples."""
        idx, w = self.interpolation_weights(directions)
        mp = np.einsum("qk,qket->qet", w, self.min_phase[idx])
        delays = np.einsum("qk,qke->qe", w, self.delays_samples[idx])
        return mp, delays

    def impulse_response(self, direction, length: int | None = None) -> np.ndarray:
        """The interpolated HRIR ``(2, length)`` for one direction: minimum-phase filter + onset delay.

        This is exactly the filter :func:`see2sound.spatial.binaural.render_binaural` applies for a
        static source.
        """
        mp, delays = self.filters_at(np.reshape(np.asarray(direction, dtype=float), (1, 3)))
        out = delayed_filters(mp, delays, length or self.filter_length)
        return out[0]

    # -- conversion -----------------------------------------------------------------------------

    def resampled(self, sample_rate: int) -> HRTF:
        """This set at another sample rate (polyphase resampling; the interaural delays are kept)."""
        sample_rate = int(sample_rate)
        if sample_rate == self.sample_rate:
            return self
        if getattr(self, "head_radius_m", None) is not None:  # the analytic head: rebuild the model
            return spherical_head_hrtf(
                sample_rate, self.head_radius_m, self.speed_of_sound, self.n_model_directions
            )
        hrirs = _resample_filters(self.hrirs, self.sample_rate, sample_rate)
        if "_split" not in self.__dict__:  # not split yet: estimate at the new rate only
            return HRTF(sample_rate, self.directions, hrirs, name=self.name, credit=self.credit)
        return HRTF(
            sample_rate,
            self.directions,
            hrirs,
            name=self.name,
            credit=self.credit,
            delays_samples=self.delays_samples * (sample_rate / self.sample_rate),
            min_phase=_signed_minimum_phase(hrirs),
        )


def delayed_filters(
    min_phase: np.ndarray, delays_samples: np.ndarray, length: int, out: np.ndarray | None = None
) -> np.ndarray:
    """Place filters ``(..., taps)`` at fractional delays ``(...)``: returns ``(..., length)``.

    The fractional part uses a 16-tap Kaiser-windowed sinc (quantised to 1/256 sample); the filter
    starts ``FRAC_LEAD`` samples before the integer part, so delays must be at least ``FRAC_LEAD``.
    Parts beyond ``length`` are dropped. ``out`` (zeros, shape ``(..., length)``) is filled if given.
    """
    lead_shape, taps = min_phase.shape[:-1], min_phase.shape[-1]
    mp = min_phase.reshape(-1, taps)
    d = np.asarray(delays_samples, dtype=float).reshape(-1)
    whole = np.floor(d)
    step = np.rint((d - whole) * FRAC_STEPS).astype(np.int64)
    whole = whole.astype(np.int64) + (step == FRAC_STEPS)
    step[step == FRAC_STEPS] = 0
    frac = _FRAC_TABLE[step].astype(mp.dtype)  # (rows, FRAC_TAPS)
    conv_len = taps + FRAC_TAPS - 1
    conv = np.zeros((len(mp), conv_len), dtype=mp.dtype)
    product = np.empty_like(mp)
    for j in range(FRAC_TAPS):  # short batched convolution
        np.multiply(frac[:, j : j + 1], mp, out=product)
        conv[:, j : j + taps] += product
    if out is None:
        out = np.zeros(lead_shape + (length,), dtype=mp.dtype)
    flat = out.reshape(-1, length)
    start = np.maximum(whole - FRAC_LEAD, 0)
    if len(mp) and flat.flags.c_contiguous and int(start.max()) + conv_len <= length:
        # every filter fits: one write through flat indices (no masks)
        at = (np.arange(len(mp)) * length + start)[:, None] + np.arange(conv_len)
        flat.reshape(-1)[at] = conv
    else:
        cols = start[:, None] + np.arange(conv_len)
        inside = cols < length
        rows = np.broadcast_to(np.arange(len(mp))[:, None], cols.shape)
        flat[rows[inside], cols[inside]] = conv[inside]
    if not np.shares_memory(flat, out):  # `out` was not contiguous: reshape made a copy
        out[...] = flat.reshape(out.shape)
    return out


# -- the analytic spherical head (Brown & Duda 1998) --------------------------------------------


def woodworth_itd_s(
    azimuth_deg, head_radius_m: float = HEAD_RADIUS_M, speed_of_sound: float = SPEED_OF_SOUND_M_S
):
    """Woodworth's interaural time difference (left-ear lead, seconds) for horizontal-plane azimuths.

    ITD = (a / c) (θ + sin θ) with θ the lateral angle (azimuth folded to ±90°).
    """
    az = np.radians(np.asarray(azimuth_deg, dtype=float))
    lateral = np.arcsin(np.clip(np.sin(az), -1.0, 1.0))
    return head_radius_m / speed_of_sound * (lateral + np.sin(lateral))


def _ear_delay_s(theta, head_radius_m, speed_of_sound):
    """Brown & Duda's per-ear delay for incidence angle ``theta`` (rad) from the ear axis, plus a/c."""
    a_c = head_radius_m / speed_of_sound
    return np.where(theta < np.pi / 2, -a_c * np.cos(theta), a_c * (theta - np.pi / 2)) + a_c


def _head_shadow(theta, sample_rate, taps, head_radius_m, speed_of_sound, alpha_min=0.1, theta_min_deg=150.0):
    """Impulse responses of the one-pole, one-zero head-shadow filter (bilinear transform)."""
    w0 = speed_of_sound / head_radius_m
    alpha = (1 + alpha_min / 2) + (1 - alpha_min / 2) * np.cos(theta / np.radians(theta_min_deg) * np.pi)
    k = 2.0 * sample_rate
    b0, b1 = 2 * w0 + alpha * k, 2 * w0 - alpha * k
    a0, a1 = 2 * w0 + k, 2 * w0 - k
    pole = -a1 / a0
    n = np.arange(taps)
    h = np.empty(np.shape(theta) + (taps,))
    h[..., 0] = b0 / a0
    h[..., 1:] = ((b1 / a0 + pole * b0 / a0)[..., None]) * pole ** (n[1:] - 1)
    return h


def fibonacci_directions(count: int) -> np.ndarray:
    """``count`` nearly uniform unit vectors (Fibonacci lattice), including both poles' neighbourhoods."""
    i = np.arange(count) + 0.5
    z = 1.0 - 2.0 * i / count
    phi = np.pi * (1.0 + 5.0**0.5) * i
    r = np.sqrt(1.0 - z * z)
    return np.stack([r * np.cos(phi), r * np.sin(phi), z], axis=1)


def spherical_head_hrtf(
    sample_rate: int,
    head_radius_m: float = HEAD_RADIUS_M,
    speed_of_sound: float = SPEED_OF_SOUND_M_S,
    n_directions: int = 2000,
) -> HRTF:
    """The analytic rigid-sphere head (Brown & Duda 1998) sampled at ``n_directions`` directions.

    Ears sit at ±90° azimuth on the sphere. Each ear gets Woodworth's ray-tracing delay and a
    minimum-phase head-shadow filter (+6 dB towards the ear, about -20 dB at high frequencies
    behind it). The onsets' interaural delay is Woodworth's formula by construction; at low
    frequencies the shadow filters' phase adds to it, giving about Kuhn's (1977) 3(a/c)·sin θ.

    Parameters
    ----------
    sample_rate : int
        Any rate in Hz (the model is continuous).
    head_radius_m : float
        Sphere radius (8.75 cm, Brown & Duda's average head).
    speed_of_sound : float
        In m/s.
    n_directions : int
        Size of the Fibonacci sampling grid used for interpolation.
    """
    if not 1000 <= int(sample_rate) <= 768000:
        raise See2SoundError(f"sample rate {sample_rate} Hz is out of range")
    if not 0.03 <= head_radius_m <= 0.2:
        raise See2SoundError(f"head radius {head_radius_m} m is out of range (0.03-0.2 m)")
    dirs = fibonacci_directions(n_directions)
    # exact measurement points on the horizontal plane and the ear axis help tests and symmetry
    az = np.radians(np.arange(-180, 180, 5.0))
    ring = np.stack([np.cos(az), np.sin(az), np.zeros_like(az)], axis=1)
    dirs = np.concatenate([dirs[np.abs(dirs[:, 2]) > 0.06], ring])
    ears = np.array([[0.0, 1.0, 0.0], [0.0, -1.0, 0.0]])
    theta = np.arccos(np.clip(dirs @ ears.T, -1.0, 1.0))  # (k, 2) incidence angle from each ear axis
    delays = _ear_delay_s(theta, head_radius_m, speed_of_sound) * sample_rate
    taps = max(16, int(np.ceil(sample_rate * 2.5e-3 * (head_radius_m / HEAD_RADIUS_M))))
    mp = _head_shadow(theta, float(sample_rate), taps, head_radius_m, speed_of_sound)
    hrtf = HRTF(
        sample_rate,
        dirs,
        np.zeros((len(dirs), 2, 1)),
        name="analytic",
        credit="analytic spherical head (Brown & Duda 1998; Woodworth ITD)",
        delays_samples=delays,
        min_phase=mp,
    )
    hrtf.hrirs = delayed_filters(hrtf.min_phase, hrtf.delays_samples, hrtf.filter_length)
    hrtf.head_radius_m = head_radius_m
    hrtf.speed_of_sound = speed_of_sound
    hrtf.n_model_directions = n_directions
    return hrtf
