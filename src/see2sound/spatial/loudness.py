"""Programme loudness per ITU-R BS.1770-4 (K-weighting, 400 ms blocks, absolute and relative gates).

Written out here (rather than with pyloudnorm) because pyloudnorm measures at most five channels and
weights them by position; our layouts have up to eleven full-range channels plus an LFE. The tests
check this against pyloudnorm (stereo, 5.0) and FFmpeg's ``ebur128`` filter.

Channel weights (BS.1770-4 Table 4): 1.41 (+1.5 dB) for loudspeakers at 60°–120° azimuth and below 30°
elevation, 1.0 for the others, 0 for the LFE. Binaural is measured as stereo. Ambisonics have no
BS.1770 rule: we measure the omnidirectional W channel alone (for one SN3D-encoded source W is the
source itself, so an ambisonic file and a mono file of the same sources read the same loudness).
"""

from __future__ import annotations

import numpy as np

from ..formats import Format, get_format

ABSOLUTE_GATE_LUFS = -70.0
RELATIVE_GATE_LU = -10.0
CHUNK_STEPS = 100  # K-weighting filtered 10 s at a time


def k_weighting_sos(sr: int) -> np.ndarray:
    """BS.1770 K-weighting (high shelf + RLB high-pass) as second-order sections at any rate.

    The analogue prototypes are those of libebur128 / pyloudnorm, bilinear-transformed at ``sr``; at
    48 kHz they reproduce the coefficients printed in BS.1770-4.
    """
    # stage 1: +4 dB high shelf (head acoustics)
    f0, gain_db, q = 1681.974450955533, 3.999843853973347, 0.7071752369554196
    k = np.tan(np.pi * f0 / sr)
    vh = 10.0 ** (gain_db / 20.0)
    vb = vh**0.4996667741545416
    a0 = 1.0 + k / q + k * k
    shelf = [
        (vh + vb * k / q + k * k) / a0,
        2.0 * (k * k - vh) / a0,
        (vh - vb * k / q + k * k) / a0,
        1.0,
        2.0 * (k * k - 1.0) / a0,
        (1.0 - k / q + k * k) / a0,
    ]
    # stage 2: RLB high-pass
    f0, q = 38.13547087602444, 0.5003270373238773
    k = np.tan(np.pi * f0 / sr)
    a0 = 1.0 + k / q + k * k
    highpass = [1.0, -2.0, 1.0, 1.0, 2.0 * (k * k - 1.0) / a0, (1.0 - k / q + k * k) / a0]
    return np.array([shelf, highpass])


def channel_weights(fmt: str | Format) -> np.ndarray:
    """BS.1770 weight of each channel of a format (LFE 0; ambisonics: W only)."""
    from .layouts import SPEAKER_ANGLES_DEG

    fmt = get_format(fmt) if isinstance(fmt, str) else fmt
    if fmt.is_ambisonic:
        w = np.zeros(fmt.n_channels)
        w[0] = 1.0
        return w
    if fmt.binaural:
        return np.ones(fmt.n_channels)
    weights = []
    for ch in fmt.channels:
        if ch == "LFE":
            weights.append(0.0)
            continue
        az, el = SPEAKER_ANGLES_DEG[ch]
        weights.append(1.41 if 60.0 <= abs(az) <= 120.0 and abs(el) < 30.0 else 1.0)
    return np.array(weights)


def integrated_loudness(y: np.ndarray, sr: int, weights: np.ndarray | None = None) -> float:
    """Gated integrated loudness in LUFS of ``y`` ``(channels, samples)`` (BS.1770-4).

    Returns ``-inf`` for silence or for signals shorter than one 400 ms block.

    Examples
    --------
    >>> sr = 48000
    >>> t = np.arange(sr * 2) / sr
    >>> tone = np.sin(2 * np.pi * 1000 * t)                # full-scale 1 kHz sine in one channel
    >>> round(integrated_loudness(tone[None, :], sr), 1)   # BS.1770: -3.01 LUFS
    -3.0
    """
    y = np.atleast_2d(np.asarray(y))
    meter = LoudnessMeter(sr, np.ones(y.shape[0]) if weights is None else weights)
    meter.push(y)
    return meter.integrated()


class LoudnessMeter:
    """:func:`integrated_loudness` of a signal given a block at a time (any sizes).

    BS.1770 gating needs only the K-weighted energy of every 100 ms step, so that is all that is kept
    (5 KB a minute per channel): :meth:`push` filters the samples as they come, in chunks of
    :data:`CHUNK_STEPS` steps on a fixed grid from the signal's start (the filter's state carried from
    chunk to chunk), and :meth:`integrated` gates. Pushing a signal whole or in pieces gives the same
    number.
    """

    def __init__(self, sr: int, weights: np.ndarray):
        self.sr = int(sr)
        self.weights = np.asarray(weights, dtype=float)
        self.channels = np.flatnonzero(self.weights > 0)
        self.block, self.step = int(round(0.4 * sr)), int(round(0.1 * sr))
        self.chunk = self.step * CHUNK_STEPS
        self._sos = k_weighting_sos(sr)
        self._state: np.ndarray | None = None  # per channel, the filter's state
        self._pending: list[np.ndarray] = []  # samples not filtered yet (less than a chunk)
        self._energy: list[np.ndarray] = []  # K-weighted energy per 100 ms step, (channels, steps) each
        self.n = 0

    def push(self, y: np.ndarray) -> None:
        """Measure the next samples ``(channels, k)``."""
        y = np.atleast_2d(np.asarray(y))
        self.n += y.shape[-1]
        if self._pending:
            y = np.concatenate([*self._pending, y], axis=-1)
            self._pending = []
        full = y.shape[-1] // self.chunk * self.chunk
        if full:
            self._filter(y[:, :full])
        if full < y.shape[-1]:
            self._pending = [y[:, full:]]

    def integrated(self) -> float:
        """Gated integrated loudness in LUFS of everything pushed (``-inf`` for silence or when
        shorter than one 400 ms block)."""
        tail = self._pending[0] if self._pending else None
        if tail is not None:  # the last whole steps
            whole = tail.shape[-1] // self.step * self.step
            energy = list(self._energy)
            if whole:
                energy.append(self._energies(tail[:, :whole], self._state)[0])
        else:
            energy = self._energy
        if self.n < self.block or self.channels.size == 0 or not energy:
            return float("-inf")
        energy = np.concatenate(energy, axis=-1)
        per_block_steps = self.block // self.step
        # mean square per 400 ms block with 75 % overlap, from the sums over 100 ms steps
        cum = np.concatenate([np.zeros((energy.shape[0], 1)), np.cumsum(energy, axis=-1)], axis=-1)
        blocks = (cum[:, per_block_steps:] - cum[:, :-per_block_steps]) / self.block
        power = self.weights[self.channels] @ blocks
        with np.errstate(divide="ignore"):
            loud = -0.691 + 10.0 * np.log10(power)
        gated = power[loud > ABSOLUTE_GATE_LUFS]
        if gated.size == 0:
            return float("-inf")
        relative = -0.691 + 10.0 * np.log10(gated.mean()) + RELATIVE_GATE_LU
        gated = power[(loud > ABSOLUTE_GATE_LUFS) & (loud > relative)]
        return float(-0.691 + 10.0 * np.log10(gated.mean()))

    def _filter(self, y: np.ndarray) -> None:
        """Filter whole chunks, keeping the energies and the filter's state."""
        for s0 in range(0, y.shape[-1], self.chunk):
            energy, self._state = self._energies(y[:, s0 : s0 + self.chunk], self._state)
            self._energy.append(energy)

    def _energies(self, y: np.ndarray, state: np.ndarray | None) -> tuple[np.ndarray, np.ndarray]:
        """K-weighted energy per 100 ms step of ``y`` (a whole number of steps) and the filter's state."""
        from scipy.signal import sosfilt  # imported here: scipy.signal is slow to import

        dtype = np.float64 if y.dtype == np.float64 else np.float32  # float32 filtering: 2x faster, 1e-6 dB
        sos = self._sos.astype(dtype)
        if state is None:
            state = np.zeros((self.channels.size, sos.shape[0], 2), dtype=dtype)
        energy = np.empty((self.channels.size, y.shape[-1] // self.step))
        new_state = np.empty_like(state)
        for row, c in enumerate(self.channels):  # only the weighted channels
            z, new_state[row] = sosfilt(sos, np.asarray(y[c], dtype=dtype), zi=state[row])
            np.square(z, out=z)
            energy[row] = z.reshape(-1, self.step).sum(axis=-1, dtype=np.float64)
        return energy, new_state


def loudness_of(y: np.ndarray, sr: int, fmt: str | Format) -> float:
    """Integrated loudness of an output in format ``fmt`` with that format's channel weights."""
    return integrated_loudness(y, sr, channel_weights(fmt))
