"""Building blocks of the procedural sounds: noises, slow random curves, filters, oscillators, events.

Everything works on 1-D arrays of ``n`` samples at ``sr`` Hz, float32 (float64 only where precision needs
it: phases over long clips), and takes a :class:`numpy.random.Generator`, so a sound is a pure function of
its seed. Nothing here loops over samples in Python: events are summed by slice additions or one
``np.bincount``, oscillators read a wavetable, and filters run as block matrix products (:mod:`.iir`).
"""

from __future__ import annotations

import numpy as np

from .iir import (
    butter_sos,
    filter_chain_blocked,
    impulses_through_filters,
    lfilter_blocked,
    lfilter_parallel_blocked,
)


def hz(f: float, sr: int) -> float:
    """A frequency clipped below Nyquist (0.45·sr), so recipes written for 48 kHz run at any rate."""
    return float(min(max(f, 1.0), 0.45 * sr))


def white(rng: np.random.Generator, n: int) -> np.ndarray:
    """White noise of unit variance, float32, uniformly distributed.

    Uniform rather than Gaussian samples: the spectrum is the same flat one, any filter makes the sum
    Gaussian again (central limit theorem), and uniform numbers cost a third of Gaussian ones.
    """
    y = rng.random(n, dtype=np.float32)
    y -= np.float32(0.5)
    y *= np.float32(np.sqrt(12.0))
    return y


# Paul Kellet's economy pink filter (unit-ish RMS on unit white noise)
PINK_B = np.array([0.049922035, -0.095993537, 0.050612699, -0.004408786]) / 0.08
PINK_A = np.array([1.0, -2.494956002, 2.017265875, -0.522189400])

Stages = list[tuple[np.ndarray, np.ndarray]]  # filters (b, a) applied one after the other


def pink(rng: np.random.Generator, n: int, then: Stages = ()) -> np.ndarray:
    """Pink (1/f) noise, Paul Kellet's economy filter on white noise (unit-ish RMS).

    ``then`` (e.g. :func:`lowpass_stages`) filters it further in the same pass, for the cost of one filter.
    """
    return filter_chain_blocked([(PINK_B, PINK_A), *then], white(rng, n))


def brown(
    rng: np.random.Generator, n: int, sr: int, corner_hz: float = 30.0, then: Stages = ()
) -> np.ndarray:
    """Brown (1/f²) noise above ``corner_hz``: white noise through a leaky integrator (unit-ish RMS)."""
    p = np.exp(-2 * np.pi * corner_hz / sr)
    gain = np.sqrt(sr / (np.pi * corner_hz))
    return filter_chain_blocked([(np.array([(1 - p) * gain]), np.array([1, -p])), *then], white(rng, n))


def _stages(sos: np.ndarray) -> Stages:
    return [(row[:3], row[3:]) for row in sos]


def lowpass_stages(f: float, sr: int, order: int = 2) -> Stages:
    """A Butterworth low-pass as filter stages, for :func:`filter_chain` or a noise's ``then``."""
    return _stages(butter_sos(order, hz(f, sr), "lowpass", sr))


def highpass_stages(f: float, sr: int, order: int = 2) -> Stages:
    return _stages(butter_sos(order, hz(f, sr), "highpass", sr))


def bandpass_stages(lo: float, hi: float, sr: int, order: int = 2) -> Stages:
    lo, hi = hz(lo, sr), hz(hi, sr)
    if hi <= lo * 1.01:
        lo = hi / 1.5
    return _stages(butter_sos(order, [lo, hi], "bandpass", sr))


def filter_chain(x: np.ndarray, stages: Stages) -> np.ndarray:
    """``x`` through all ``stages`` in one pass (the recursion is evaluated as block matrix products)."""
    return filter_chain_blocked(list(stages), x)


def lowpass(x: np.ndarray, f: float, sr: int, order: int = 2) -> np.ndarray:
    return filter_chain(x, lowpass_stages(f, sr, order))


def highpass(x: np.ndarray, f: float, sr: int, order: int = 2) -> np.ndarray:
    return filter_chain(x, highpass_stages(f, sr, order))


def bandpass(x: np.ndarray, lo: float, hi: float, sr: int, order: int = 2) -> np.ndarray:
    return filter_chain(x, bandpass_stages(lo, hi, sr, order))


def resonator_coefficients(f: float, q: float, sr: int) -> tuple[np.ndarray, np.ndarray]:
    """``(b, a)`` of a two-pole resonant band-pass (RBJ constant-peak-gain), centre ``f`` Hz, Q ``q``."""
    w = 2 * np.pi * hz(f, sr) / sr
    alpha = np.sin(w) / (2 * q)
    b = np.array([alpha, 0.0, -alpha]) / (1 + alpha)
    a = np.array([1 + alpha, -2 * np.cos(w), 1 - alpha]) / (1 + alpha)
    return b, a


def resonator(x: np.ndarray, f: float, q: float, sr: int) -> np.ndarray:
    """Two-pole resonant band-pass (RBJ constant-peak-gain), centre ``f`` Hz, quality ``q``."""
    return lfilter_blocked(*resonator_coefficients(f, q, sr), x)


def resonator_bank(x: np.ndarray, freqs_hz, qs, gains, sr: int) -> np.ndarray:
    """``sum(g * resonator(x, f, q, sr))`` over the bank, in one filter pass (formants, partials)."""
    filters = [resonator_coefficients(f, q, sr) for f, q in zip(freqs_hz, qs, strict=True)]
    return lfilter_parallel_blocked(filters, gains, x)


def smooth_curve(rng: np.random.Generator, n: int, sr: int, rate_hz: float) -> np.ndarray:
    """A slow random curve in about [-1, 1]: Gaussian knots every ``1/rate_hz`` s, raised-cosine joins.

    Its slope is zero at every knot, so modulating with it never clicks; knots are independent, so
    the curve never repeats however long it runs. Evaluated at a control rate (at least 8 points per
    knot interval) and linearly interpolated, which is indistinguishable and much cheaper.
    """
    step = max(sr / max(rate_hz, 1e-3), 1.0)
    knots = rng.standard_normal(int(n / step) + 3) / 2.0
    h = int(max(1, min(64, step // 8)))
    m = n // h + 2
    pos = np.arange(m) * (h / step)
    i = pos.astype(np.int64)
    w = 0.5 - 0.5 * np.cos(np.pi * (pos - i))
    ctrl = (knots[i] * (1 - w) + knots[i + 1] * w).astype(np.float32)
    return upsample_linear(ctrl, h, n)


def upsample_linear(ctrl: np.ndarray, hop: int, n: int) -> np.ndarray:
    """``n`` samples linearly interpolated between control points ``hop`` samples apart.

    Needs ``(len(ctrl) - 1) * hop >= n``; slow curves (envelopes, formants) are computed at a control
    rate and brought to audio rate with this, which costs two array passes.
    """
    ctrl = np.asarray(ctrl)
    if hop == 1:
        return ctrl[:n]
    ramp = (np.arange(hop) / hop).astype(ctrl.dtype)
    out = np.diff(ctrl)[:, None] * ramp[None, :]
    out += ctrl[:-1, None]
    return out.ravel()[:n]


def control_grid(n: int, hop: int) -> np.ndarray:
    """Sample indices of the control points for :func:`upsample_linear` (covers ``n`` samples)."""
    return np.arange(n // hop + 2) * hop


def envelope_from_curve(curve: np.ndarray, depth_db: float) -> np.ndarray:
    """A positive gain from a curve in [-1, 1]: ``10**(depth_db·curve/20)``."""
    gain = curve * np.float32(depth_db / 20.0 * np.log(10.0))
    return np.exp(gain, out=gain)


def poisson_times(rng: np.random.Generator, n: int, sr: int, rate_hz: float | np.ndarray) -> np.ndarray:
    """Event onsets (sample indices) of a Poisson process; ``rate_hz`` may be a per-sample curve."""
    if np.isscalar(rate_hz):
        count = rng.poisson(float(rate_hz) * n / sr)
        return np.sort(rng.integers(0, n, count))
    rate = np.asarray(rate_hz)
    peak = float(rate.max()) if rate.size else 0.0
    if peak <= 0:
        return np.zeros(0, dtype=np.int64)
    cand = np.sort(rng.integers(0, n, rng.poisson(peak * n / sr)))
    keep = rng.random(cand.size) < rate[cand] / peak  # thinning (Lewis & Shedler 1979)
    return cand[keep]


def jittered_times(
    rng: np.random.Generator,
    n: int,
    sr: int,
    period_s: float,
    jitter: float = 0.1,
    start_s: float | None = None,
) -> np.ndarray:
    """Quasi-periodic onsets: period ``period_s`` with relative Gaussian jitter, random phase."""
    t = rng.random() * period_s if start_s is None else start_s
    count = int(n / sr / period_s * 1.5) + 4
    steps = period_s * np.clip(1 + jitter * rng.standard_normal(count), 0.2, None)
    times = t + np.concatenate([[0.0], np.cumsum(steps)])
    times = times[times < n / sr]
    return (times * sr).astype(np.int64)


def overlap_add(
    n: int, starts: np.ndarray, bank: np.ndarray, which: np.ndarray, gains: np.ndarray
) -> np.ndarray:
    """Sum ``gains[i]·bank[which[i]]`` starting at ``starts[i]`` into ``n`` samples (one bincount).

    ``bank`` is ``(k, length)``; event tails past the end are cut, onsets may be negative (pre-roll).
    For thousands of events a second use :func:`resonant_impulses`, which costs nothing per event.
    """
    bank = np.atleast_2d(bank)
    length = bank.shape[1]
    starts = np.asarray(starts, dtype=np.int64)
    keep = (starts > -length) & (starts < n)
    if not keep.any():
        return np.zeros(n)
    starts = starts[keep] + length  # shift so every index is >= 0
    which = np.asarray(which, dtype=np.int64)[keep]
    gains = np.asarray(gains, dtype=float)[keep]
    if length >= 64:  # long events: one slice addition each beats building an index per sample
        out = np.zeros(n + 2 * length, dtype=np.float32)
        bank = np.asarray(bank, dtype=np.float32)
        for start, k, g in zip(starts.tolist(), which.tolist(), gains.astype(np.float32), strict=True):
            out[start : start + length] += bank[k] * g
        return out[length : length + n]
    idx = (starts[:, None] + np.arange(length)[None, :]).ravel()
    vals = (gains[:, None] * bank[which]).ravel()
    return np.bincount(idx, weights=vals, minlength=n + 2 * length)[length : length + n]


def resonant_impulses(
    n: int, starts: np.ndarray, gains: np.ndarray, freqs_hz, decays_s, sr: int, rng: np.random.Generator
) -> np.ndarray:
    """Many short pings: each event is an impulse into one of a few resonators (random choice).

    A two-pole resonator rings at ``f`` for ``tau`` seconds (Q = π·f·tau); the cost grows with the
    number of resonators and of blocks holding a ping (:func:`impulses_through_filters`), not with the
    length of the rings.
    """
    freqs = np.atleast_1d(np.asarray(freqs_hz, dtype=float))
    taus = np.broadcast_to(np.asarray(decays_s, dtype=float), freqs.shape)
    starts = np.asarray(starts, dtype=np.int64)
    group = rng.integers(0, freqs.size, starts.size)
    ok = (starts >= 0) & (starts < n)
    filters = []
    for f, tau in zip(freqs, taus, strict=True):
        f = hz(f, sr)
        q = max(np.pi * f * tau, 0.6)
        b, a = resonator_coefficients(f, q, sr)
        # the resonator's impulse response starts at alpha = sin(w)/(2q): scale each ping to ~1
        filters.append((b * (2 * q / max(np.sin(2 * np.pi * f / sr), 1e-3)), a))
    return impulses_through_filters(n, starts[ok], np.asarray(gains)[ok], group[ok], filters)


def place(out: np.ndarray, start: int, y: np.ndarray, gain: float = 1.0) -> None:
    """Add ``gain·y`` into ``out`` from ``start`` (clipped at both ends), in place."""
    a, b = max(start, 0), min(start + y.size, out.size)
    if b > a:
        out[a:b] += gain * y[a - start : b - start]


def decay(length: int, sr: int, tau_s: float, attack_s: float = 0.001) -> np.ndarray:
    """An exponential decay with a short raised-cosine attack."""
    env = np.exp(np.arange(length, dtype=np.float32) * np.float32(-1 / (sr * max(tau_s, 1e-5))))
    na = min(max(int(attack_s * sr), 1), length)
    env[:na] *= np.float32(0.5) - np.float32(0.5) * np.cos(
        np.arange(na, dtype=np.float32) * np.float32(np.pi / na)
    )
    return env


def hann_env(length: int, attack_frac: float = 0.5) -> np.ndarray:
    """An asymmetric Hann bump: rises over ``attack_frac`` of the length, falls over the rest."""
    na = max(int(length * attack_frac), 1)
    nr = max(length - na, 1)
    up = 0.5 - 0.5 * np.cos(np.pi * np.arange(na) / na)
    down = 0.5 + 0.5 * np.cos(np.pi * np.arange(nr) / nr)
    return np.concatenate([up, down])[:length]


def phase_from_freq(
    freq_hz: np.ndarray | float, sr: int, n: int | None = None, phase0: float = 0.0
) -> np.ndarray:
    """Instantaneous phase in cycles (not radians) of a frequency curve."""
    f = np.full(n, float(freq_hz)) if np.isscalar(freq_hz) else np.array(freq_hz, dtype=float)
    np.cumsum(f, out=f)  # float64: exact to a tiny fraction of a cycle over any duration
    f *= 1.0 / sr
    if phase0:
        f += phase0
    return f


def sine(phase_cycles: np.ndarray) -> np.ndarray:
    """``sin(2π·phase)`` as float32 for a (float64) phase in cycles: the whole cycles are dropped first,
    so float32 keeps full accuracy however long the clip."""
    frac = np.floor(phase_cycles)
    np.subtract(phase_cycles, frac, out=frac)
    frac = frac.astype(np.float32)
    frac *= np.float32(2 * np.pi)
    return np.sin(frac, out=frac)


def wavetable(harmonic_amps: np.ndarray, size: int = 4096, phases: np.ndarray | None = None) -> np.ndarray:
    """One period of a band-limited wave with the given harmonic amplitudes (first entry = fundamental)."""
    amps = np.asarray(harmonic_amps, dtype=float)
    spec = np.zeros(size // 2 + 1, dtype=complex)
    ph = np.zeros(amps.size) if phases is None else np.asarray(phases)
    spec[1 : amps.size + 1] = amps * np.exp(1j * (ph - np.pi / 2)) * size / 2
    return np.fft.irfft(spec, size)


def table_osc(table: np.ndarray, phase_cycles: np.ndarray) -> np.ndarray:
    """Read a one-period wavetable (power-of-two size) at a phase in cycles, linear interpolation.

    The phase may be float64 (long clips need it); only its fraction of a cycle is used, and from there
    on the work runs in float32 (with a float32 table; a float64 table gives float64 samples).
    """
    size = table.size
    slope = np.roll(table, -1) - table  # table[i + 1] - table[i], wrapping: one lookup fewer per sample
    phase = np.asarray(phase_cycles)
    if phase.dtype == np.float32:
        pos = phase * np.float32(size)
    else:
        pos = np.floor(phase)
        np.subtract(phase, pos, out=pos)
        pos = pos.astype(np.float32)
        pos *= np.float32(size)
    i = np.floor(pos)
    pos -= i  # now the fraction between table entries
    i = i.astype(np.int32)
    i &= size - 1  # a fraction that rounded up to 1.0 wraps
    out = table[i]
    step = slope[i]
    step *= pos.astype(table.dtype, copy=False)
    out += step
    return out


def harmonic_amps(f0_max: float, sr: int, tilt_db_per_oct: float = -6.0, limit: int = 200) -> np.ndarray:
    """Harmonic amplitudes falling ``tilt_db_per_oct`` per octave, cut below Nyquist at ``f0_max``."""
    count = int(min(limit, max(1, 0.45 * sr / max(f0_max, 1.0))))
    k = np.arange(1, count + 1)
    return 10 ** (tilt_db_per_oct * np.log2(k) / 20)


def formant_weights(freqs_hz: np.ndarray, formants: list[tuple[float, float, float]]) -> np.ndarray:
    """Spectral envelope of resonances ``(centre Hz, bandwidth Hz, gain)`` at ``freqs_hz`` (Lorentzians)."""
    w = np.zeros(np.shape(freqs_hz))
    for fc, bw, g in formants:
        w = w + g / (1 + ((freqs_hz - fc) / (bw / 2)) ** 2)
    return w


def voice(
    f0: np.ndarray,
    sr: int,
    formants: list[tuple[np.ndarray | float, float, float]],
    tilt_db_per_oct: float = -3.0,
    max_harmonics: int = 40,
) -> np.ndarray:
    """A voiced sound: additive harmonics of the pitch curve ``f0`` shaped by (moving) formants.

    Each formant is ``(centre Hz or per-sample curve, bandwidth Hz, gain)``; harmonics above
    Nyquist are dropped, so fast pitch glides never alias. Harmonic amplitudes are computed at a
    control rate (every 32 samples) and the harmonics by the Chebyshev recursion
    ``sin(kφ) = 2·cos(φ)·sin((k-1)φ) − sin((k-2)φ)``, which needs no ``sin`` per harmonic.
    """
    n = f0.size
    hop = 32
    grid = np.minimum(control_grid(n, hop), n - 1)
    f0_c = f0[grid]
    forms_c = [(fc[grid] if np.ndim(fc) else fc, bw, g) for fc, bw, g in formants]
    phase = phase_from_freq(f0, sr)
    phase -= np.floor(phase)  # whole cycles dropped in float64; float32 from here (errors below -90 dB)
    phase = phase.astype(np.float32)
    phase *= np.float32(2 * np.pi)
    s1, s0, s2 = np.sin(phase), np.zeros(n, dtype=np.float32), np.empty(n, dtype=np.float32)
    two_cos = np.cos(phase)
    two_cos *= np.float32(2)
    out = np.zeros(n, dtype=np.float32)
    # every harmonic's amplitude curve is interpolated into the same buffer, in blocks of ``hop``
    blocks = grid.size - 1
    amp_up = np.empty(blocks * hop, dtype=np.float32)
    amp_blocks = amp_up.reshape(blocks, hop)
    ramp = (np.arange(hop) / hop).astype(np.float32)
    count = int(min(max_harmonics, 0.45 * sr / max(float(f0.min()), 20.0)))
    for k in range(1, count + 1):
        fk = k * f0_c
        amp = formant_weights(fk, forms_c) * k ** (tilt_db_per_oct / 6.02)
        amp = np.where(fk < 0.45 * sr, amp, 0.0)
        np.multiply(np.diff(amp)[:, None], ramp[None, :], out=amp_blocks)
        amp_blocks += amp[:-1, None]
        np.multiply(amp_up[:n], s1, out=s2)
        out += s2
        np.multiply(two_cos, s1, out=s2)  # the next harmonic: sin((k+1)φ) = 2cos(φ)·sin(kφ) - sin((k-1)φ)
        s2 -= s0
        s0, s1, s2 = s1, s2, s0
    return out


def variable_delay(x: np.ndarray, delay_samples: np.ndarray) -> np.ndarray:
    """``x(t - d(t))`` with linear interpolation (flanging, Doppler)."""
    t = np.arange(x.size) - delay_samples
    return np.interp(t, np.arange(x.size), x, left=0.0, right=0.0)


def crossfade_mix(x: np.ndarray, weights: list[np.ndarray], bands: list[np.ndarray]) -> np.ndarray:
    """Sum ``weights[i]·bands[i]``: a time-varying filter made from fixed filters."""
    out = np.zeros_like(x)
    for w, b in zip(weights, bands, strict=True):
        out += w * b
    return out


def click_bank(
    rng: np.random.Generator,
    sr: int,
    count: int,
    length_s: float,
    lo: float,
    hi: float,
    tau_s: float,
    q: float = 6.0,
) -> np.ndarray:
    """``count`` short resonant clicks (noise burst + ring at a random centre in [lo, hi] Hz)."""
    length = max(int(length_s * sr), 8)
    bank = np.zeros((count, length))
    for i in range(count):
        burst = rng.standard_normal(length) * decay(length, sr, tau_s * 0.3, attack_s=0.0002)
        f = np.exp(rng.uniform(np.log(lo), np.log(hi)))
        ring = resonator(burst, f, q, sr) * decay(length, sr, tau_s, attack_s=0.0002)
        bank[i] = ring / (np.abs(ring).max() + 1e-12)
    return bank


def room_response(rng: np.random.Generator, sr: int, rt60_s: float = 0.4) -> np.ndarray:
    """A diffuse room's impulse response: exponentially decaying, darkening noise, -60 dB at ``rt60_s``,
    silent for the first 5 ms (the tail starts after the direct sound), unit energy, float32."""
    length = max(int(rt60_s * sr), 16)
    ir = white(rng, length) * decay(length, sr, rt60_s / np.log(1000.0), attack_s=0.0)
    ir = lowpass(ir, 6000, sr, 1)
    ir[: int(0.005 * sr)] = 0.0
    ir /= np.sqrt(np.sum(ir**2, dtype=np.float64)) + 1e-12
    return ir


def room(
    x: np.ndarray, sr: int, rng: np.random.Generator, rt60_s: float = 0.4, wet: float = 0.3
) -> np.ndarray:
    """``x`` plus ``wet`` times its diffuse room tail (:func:`room_response`), cut to ``x``'s length.

    ``x`` may be ``(..., n)``: a bank of sounds gets its tail along the last axis. For a few events in a
    long clip, giving the bank its tail first and then placing the events costs far less than this on
    the whole clip, and sums to the same.
    """
    from scipy.signal import oaconvolve

    ir = room_response(rng, sr, rt60_s)
    x = np.asarray(x, dtype=np.float32)  # float32 halves the FFTs
    n = x.shape[-1]
    return x + np.float32(wet) * oaconvolve(x, np.reshape(ir, (1,) * (x.ndim - 1) + (-1,)), axes=-1)[..., :n]
