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
    through :class:`TruePeakLimiter` in chunks, so a long signal needs little memory beyond itself (none
    more with ``in_place``), and a signal limited a block at a time comes out the same.

    Returns
    -------
    ndarray
        Same shape and dtype as ``y``; ``y`` itself when no limiting is needed (or with ``in_place``).
    """
    y = np.asarray(y)
    n = y.shape[-1]
    if n == 0:
        return y
    limiter = TruePeakLimiter(n, sr, ceiling_dbtp, attack_ms, oversample)
    out = y if in_place else None
    for s0, block, changed in [*limiter.push(y), *limiter.finish()]:
        if changed:
            if out is None:
                out = y.copy()
            out[:, s0 : s0 + block.shape[-1]] = block
    if out is None:
        return y
    if limiter.rescale is not None:
        out *= np.asarray(limiter.rescale, dtype=y.dtype)
    return out


class TruePeakLimiter:
    """:func:`limit_true_peak` of an ``n``-sample signal given a block at a time (any sizes).

    :meth:`push` takes the next samples and :meth:`finish` ends the signal; both return the limited
    samples that are ready as ``(start, block, changed)`` in order (``changed`` is false where the
    block is the input itself). The work is done on a fixed grid of :data:`CHUNK` samples from the
    signal's start whatever the block sizes, so the result does not depend on them, and only a few
    chunks of input, needed gain and output are held: the memory does not grow with ``n``.

    The last check of :func:`limit_true_peak` (the limited signal's true peak) needs the whole output:
    after :meth:`finish`, :attr:`rescale` is ``None`` when it holds, else the factor by which every
    output sample must still be multiplied (a streamed caller renders the output again with it).
    """

    def __init__(
        self,
        n: int,
        sr: int,
        ceiling_dbtp: float = -1.0,
        attack_ms: float = 5.0,
        oversample: int | None = None,
    ):
        self.n = int(n)
        self.oversample = oversample or detector_phases(sr)
        self.ceiling = 10.0 ** (ceiling_dbtp / 20.0)
        self.width = max(1, int(round(attack_ms * 1e-3 * sr))) | 1  # odd
        # the gain is held down over the interpolators' reach around a peak too: every sample that an
        # interpolated peak is made of is scaled by at most the gain that peak needs
        self.reach = int(np.abs(_polyphase_interpolator(self.oversample)[1]).max())
        self.margin = 2 * self.reach + 16  # context of the detector on each side (_oversampled_abs_peaks)
        self.context = 2 * (self.width + self.reach)  # context of the gain smoothing on each side
        self.chunk = CHUNK
        self.rescale: float | None = None
        self._input = _Window(4 * self.chunk)  # input samples still needed
        self._needed = _Window(4 * self.chunk)  # needed gain (1, k), computed up to _needed.end
        self._output = _Window(4 * self.chunk)  # output kept for the last check
        self._changed: set[int] = set()  # output chunks that differ from the input
        self._peak = 0.0  # the output's true peak where it can exceed the ceiling
        self._checked = 0  # output checked up to here
        self._done = 0  # output returned up to here

    @property
    def limited(self) -> bool:
        """Whether any sample so far has been changed."""
        return bool(self._changed)

    def push(self, block: np.ndarray) -> list[tuple[int, np.ndarray, bool]]:
        """Take the next samples ``(channels, k)``; return the output that is ready."""
        block = np.atleast_2d(np.asarray(block))
        if self._input.end + block.shape[-1] > self.n:
            raise ValueError(f"more than the {self.n} samples announced")
        self._input.append(block)
        return self._advance()

    def finish(self) -> list[tuple[int, np.ndarray, bool]]:
        """End the signal (all ``n`` samples pushed); return the rest of the output."""
        if self._input.end != self.n:
            raise ValueError(f"{self._input.end} of the {self.n} samples announced were pushed")
        ready = self._advance()
        self._check(final=True)
        if self._changed and self._peak > self.ceiling:
            self.rescale = self.ceiling / self._peak * (1 - 1e-6)
        return ready

    def _advance(self) -> list[tuple[int, np.ndarray, bool]]:
        n, ready = self.n, []
        while True:
            c0 = self._needed.end  # the next chunk of needed gain, once its context has arrived
            c1 = min(n, c0 + self.chunk)
            if c0 < n and self._input.end >= min(n, c1 + self.margin):
                a0, a1 = max(0, c0 - self.margin), min(n, c1 + self.margin)
                peaks = _chunk_peaks(self._input.get(a0, a1), self.oversample, self.ceiling)[
                    c0 - a0 : c1 - a0
                ]
                np.maximum(peaks, 1e-30, out=peaks)  # turned into the needed gain: aim 1e-5 (0.0001 dB)
                # under the ceiling, so that float32 rounding of the product does not poke through
                np.divide(np.asarray(self.ceiling * (1 - 1e-5), dtype=peaks.dtype), peaks, out=peaks)
                np.minimum(peaks, 1.0, out=peaks)
                self._needed.append(peaks[None, :])
                continue
            s0 = self._done  # the next chunk of output, once the needed gain around it is known
            s1 = min(n, s0 + self.chunk)
            if s0 < n and self._needed.end >= min(n, s1 + self.context):
                ready.append(self._limit(s0, s1))
                self._done = s1
                self._input.drop_before(min(self._needed.end - self.margin, self._done))
                self._needed.drop_before(self._done - self.context)
                self._check(final=False)
                continue
            return ready

    def _limit(self, s0: int, s1: int) -> tuple[int, np.ndarray, bool]:
        """The output of samples ``s0`` to ``s1`` (one chunk)."""
        n, width, reach = self.n, self.width, self.reach
        y = self._input.get(s0, s1)
        near = self._needed.get(max(0, s0 - width - reach), min(n, s1 + width + reach))[0]
        if near.min() >= 1.0:  # no peak within reach
            self._output.append(y)
            return s0, y, False
        from scipy.ndimage import minimum_filter1d, uniform_filter1d

        half = width // 2
        a0, a1 = max(0, s0 - self.context), min(n, s1 + self.context)
        needed = self._needed.get(a0, a1)[0]
        ahead = minimum_filter1d(needed, width, mode="nearest", origin=-half)  # min over [t, t + w)
        ahead = minimum_filter1d(ahead, 2 * reach + 1, mode="nearest")  # over [t − reach, t + w + reach)
        gain = uniform_filter1d(ahead, width, mode="nearest", origin=half)  # mean over (t - w, t]: <= needed
        out = y * gain[s0 - a0 : s1 - a0].astype(y.dtype)
        self._output.append(out)
        self._changed.add(s0 // self.chunk)
        return s0, out, True

    def _check(self, final: bool) -> None:
        """The true peak of the output chunks whose context is complete, where it can exceed the ceiling
        (next to a changed chunk: elsewhere the output is the input, whose peaks are under the ceiling)."""
        n = self.n
        while self._checked < n:
            c0 = self._checked
            c1 = min(n, c0 + self.chunk)
            if self._output.end < min(n, c1 + self.margin):
                if not final:
                    return
                raise AssertionError("the output is incomplete")  # finish() is called with every sample
            k = c0 // self.chunk
            if self._changed & {k - 1, k, k + 1}:
                a0, a1 = max(0, c0 - self.margin), min(n, c1 + self.margin)
                peaks = _chunk_peaks(self._output.get(a0, a1), self.oversample, self.ceiling)
                self._peak = max(self._peak, float(peaks[c0 - a0 : c1 - a0].max()))
            self._checked = c1
            self._output.drop_before(self._checked - self.margin)


class _Window:
    """Consecutive samples ``(rows, k)`` of a long signal, from ``start`` to ``end``: appended at the end,
    dropped from the start. The blocks are kept as given (no copy of a long block); only a range that
    spans two of them is copied when asked for, and the rest of a block once it is shorter than
    ``copy_below`` samples (so that it does not keep the whole block alive)."""

    def __init__(self, copy_below: int):
        self.copy_below = copy_below
        self.blocks: list[np.ndarray] = []
        self.start = 0
        self.end = 0

    def append(self, block: np.ndarray) -> None:
        if block.shape[-1]:
            self.blocks.append(block)
            self.end += block.shape[-1]

    def get(self, a: int, b: int) -> np.ndarray:
        assert self.start <= a <= b <= self.end, (a, b, self.start, self.end)
        pieces, s0 = [], self.start
        for block in self.blocks:
            s1 = s0 + block.shape[-1]
            if s1 > a and s0 < b:
                pieces.append(block[:, max(a, s0) - s0 : min(b, s1) - s0])
            s0 = s1
        if len(pieces) == 1:
            return pieces[0]
        if not pieces:
            return self.blocks[0][:, :0] if self.blocks else np.zeros((1, 0))
        return np.concatenate(pieces, axis=-1)

    def drop_before(self, a: int) -> None:
        a = min(max(a, self.start), self.end)
        while self.blocks and self.start + self.blocks[0].shape[-1] <= a:
            self.start += self.blocks.pop(0).shape[-1]
        if self.blocks and a > self.start:
            rest = self.blocks[0][:, a - self.start :]
            self.blocks[0] = rest.copy() if rest.shape[-1] < self.copy_below else rest
        self.start = a
