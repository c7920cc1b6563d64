"""IIR filtering as block matrix products: the same output as ``scipy.signal.sosfilt``/``lfilter``, faster.

A recursive filter runs sample by sample; SciPy's loop costs a few nanoseconds a sample for every
second-order section. Cut the signal into blocks of ``L`` samples instead: inside a block the output is the
input convolved with the first ``L`` samples of the impulse response plus the ring-out of the state the
block starts in, and the state at each block's end follows from the one at its start by one matrix
``M = A^L``. So a filter of any order is one matrix product for all blocks (input times a Toeplitz matrix
of the impulse response, and times the matrix that gives each block's own end state), one short scalar
recursion over the block states (Cayley-Hamilton turns ``s_k = M s_(k-1) + e_k`` into an ``lfilter`` along
the blocks) and one more product for the ring-out: no approximation, the same recursion evaluated in a
different order (block-state realisations: Gold & Rader, *Digital Processing of Signals*, 1969). A noise
colour followed by a band filter, or a bank of resonators on one input, costs about one pass.

Works on float32 (float32 out) with the block states carried in float64; float64 signals and short ones
go to SciPy, which is as quick there.
"""

from __future__ import annotations

import numpy as np

BLOCK = 32  # samples per block for low orders: the product costs ~L multiply-adds a sample, the block
# recursion ~N² per block, so higher orders N take longer blocks (see _block)
SHORT = 32768  # below this the plain recursion is cheaper than building the matrices
CHUNK = 2048  # blocks per piece of the ring-out product (keeps its temporary small)
ONE_THREAD = 1 << 18  # multiply-adds per matrix product that OpenBLAS runs on the calling thread


def _section_state_space(b: np.ndarray, a: np.ndarray) -> tuple[np.ndarray, ...]:
    """State space (A, B, C, D) of ``b/a`` in transposed direct form II (the form SciPy runs)."""
    b_in, a_in = np.ravel(b).astype(float), np.ravel(a).astype(float)
    order = max(b_in.size, a_in.size) - 1
    b, a = np.zeros(order + 1), np.zeros(order + 1)
    b[: b_in.size], a[: a_in.size] = b_in / a_in[0], a_in / a_in[0]
    A = np.zeros((order, order))
    A[:, 0] = -a[1:]
    A[:-1, 1:] = np.eye(order - 1)
    B = b[1:] - a[1:] * b[0]
    C = np.zeros(order)
    if order:
        C[0] = 1.0
    return A, B, C, float(b[0])


def _cascade(sections: list[tuple[np.ndarray, ...]]) -> tuple[np.ndarray, ...]:
    """State space of sections in series (the output of each feeds the next)."""
    A, B, C, D = sections[0]
    for A2, B2, C2, D2 in sections[1:]:
        n1, n2 = A.shape[0], A2.shape[0]
        A_new = np.zeros((n1 + n2, n1 + n2))
        A_new[:n1, :n1] = A
        A_new[n1:, :n1] = np.outer(B2, C)
        A_new[n1:, n1:] = A2
        B, C = np.concatenate([B, B2 * D]), np.concatenate([D2 * C, C2])
        A, D = A_new, D2 * D
    return A, B, C, D


def _parallel(sections: list[tuple[np.ndarray, ...]], gains) -> tuple[np.ndarray, ...]:
    """State space of sections side by side on one input, their outputs summed with ``gains``."""
    sizes = [sec[0].shape[0] for sec in sections]
    A = np.zeros((sum(sizes), sum(sizes)))
    at = 0
    for (A_k, *_), size in zip(sections, sizes, strict=True):
        A[at : at + size, at : at + size] = A_k
        at += size
    B = np.concatenate([sec[1] for sec in sections])
    C = np.concatenate([g * sec[2] for sec, g in zip(sections, gains, strict=True)])
    D = float(sum(g * sec[3] for sec, g in zip(sections, gains, strict=True)))
    return A, B, C, D


def _block(order: int) -> int:
    return BLOCK if order <= 3 else 64


def _block_matrices(
    A: np.ndarray, B: np.ndarray, C: np.ndarray, D: float, block: int, dtype
) -> tuple[np.ndarray, ...]:
    """The matrices of the blocked recursion (see the module docstring).

    Returns ``toeplitz`` (block, block): input sample i -> outputs j >= i of the same block;
    ``end_state`` (block, order): input sample i -> state after the block; ``ring`` (order, block):
    state at a block's start -> the block's outputs; ``M = A^block`` (float64): state -> state a block on.
    """
    order = A.shape[0]
    powers = np.empty((block + 1, order, order))  # A^0 .. A^block
    powers[0] = np.eye(order)
    for k in range(1, block + 1):
        powers[k] = A @ powers[k - 1]
    h = np.empty(block)  # impulse response: h[0] = D, h[j] = C A^(j-1) B
    h[0] = D
    h[1:] = C @ powers[: block - 1] @ B
    j = np.arange(block)
    lag = j[None, :] - j[:, None]
    toeplitz = np.where(lag >= 0, h[np.clip(lag, 0, None)], 0.0)
    end_state = powers[block - 1 :: -1][:block] @ B
    ring = (C @ powers[:block]).T
    toeplitz, end_state, ring = (_no_subnormals(m).astype(dtype) for m in (toeplitz, end_state, ring))
    return toeplitz, end_state, ring, powers[block]


def _product(a: np.ndarray, b: np.ndarray, out: np.ndarray | None = None) -> np.ndarray:
    """``a @ b`` in pieces of rows small enough that the BLAS library keeps each on the calling thread.

    OpenBLAS hands a product of more than 2^18 multiply-adds to worker threads; for these tall, thin
    products that gains nothing, and on a busy machine the workers' spinning costs several times the
    CPU time of the product itself.
    """
    if out is None:
        out = np.empty((a.shape[0], b.shape[1]), dtype=np.result_type(a, b))
    rows = max(1, ONE_THREAD // max(a.shape[1] * b.shape[1], 1))
    for lo in range(0, a.shape[0], rows):
        np.matmul(a[lo : lo + rows], b, out=out[lo : lo + rows])
    return out


def _ring_out(Y: np.ndarray, states: np.ndarray, ring: np.ndarray) -> None:
    """``Y += states @ ring`` in cache-sized pieces (the output of each block from its start state)."""
    order = states.shape[1]
    rows = min(CHUNK, max(1, ONE_THREAD // (order * ring.shape[1])))
    part = np.empty((rows, ring.shape[1]), dtype=Y.dtype)
    for lo in range(0, Y.shape[0], rows):
        hi = min(lo + rows, Y.shape[0])
        if order <= 2:  # an outer product: broadcasting beats a matrix product with a tiny inner size
            for k in range(order):
                Y[lo:hi] += states[lo:hi, k : k + 1] * ring[k]
        else:
            Y[lo:hi] += np.matmul(states[lo:hi], ring, out=part[: hi - lo])


def _run(
    A: np.ndarray, B: np.ndarray, C: np.ndarray, D: float, x: np.ndarray, block: int | None = None
) -> np.ndarray:
    n, order = x.size, A.shape[0]
    block = block or _block(order)
    full, tail = divmod(n, block)
    count = full + (tail > 0)
    toeplitz, end_state, ring, M = _block_matrices(A, B, C, D, block, x.dtype)
    # zero-state part of every block, and every block's own end state: two products, no copy of x
    out = np.empty(count * block, dtype=x.dtype)
    Y = out.reshape(count, block)
    X = x[: full * block].reshape(full, block)
    _product(X, toeplitz, out=Y[:full])
    ends = _product(X, end_state)
    if tail:
        last = np.zeros((1, block), dtype=x.dtype)
        last[0, :tail] = x[full * block :]
        Y[full:] = last @ toeplitz
    # state at the start of block k: s_k = M s_(k-1) + e_(k-1), M = A^block, e = each block's own end state
    states = np.zeros((count, order))
    states[1:] = ends[: count - 1]
    _ring_out(Y, _no_subnormals(_accumulate(states, M)).astype(x.dtype), ring)
    return out[:n]


def impulses_through_filters(
    n: int,
    starts: np.ndarray,
    gains: np.ndarray,
    which: np.ndarray,
    filters: list[tuple[np.ndarray, np.ndarray]],
) -> np.ndarray:
    """``sum_k lfilter(b_k, a_k, train_k)``: impulse ``gains[i]`` at ``starts[i]`` into filter ``which[i]``.

    For sparse impulses (rain drops, bubbles) into a few resonators: only the blocks that hold an impulse
    get a (small) matrix product, each filter's state is carried over all blocks by the block recursion,
    and the ring-out of all filters is one product. Exact, like :func:`lfilter_blocked` on each train.

    Returns
    -------
    numpy.ndarray
        ``(n,)`` float32.
    """
    block = BLOCK
    count = -(-n // block)
    Y = np.zeros((count, block), dtype=np.float32)
    starts = np.asarray(starts, dtype=np.int64)
    gains = np.asarray(gains, dtype=np.float32)
    which = np.asarray(which, dtype=np.int64)
    all_states, all_rings = [], []
    for k, (b, a) in enumerate(filters):
        sel = which == k
        if not sel.any():
            continue
        order_of = np.argsort(starts[sel], kind="stable")
        blk, pos = np.divmod(starts[sel][order_of], block)
        toeplitz, end_state, ring, M = _block_matrices(*_section_state_space(b, a), block, np.float32)
        new_row = np.concatenate([[True], blk[1:] != blk[:-1]])
        rows = blk[new_row]  # the blocks that hold an impulse
        X = np.zeros(rows.size * block, dtype=np.float32)
        np.add.at(X, (np.cumsum(new_row) - 1) * block + pos, gains[sel][order_of])
        X = X.reshape(rows.size, block)
        Y[rows] += _product(X, toeplitz)
        u = np.zeros((count, end_state.shape[1]))
        keep = rows + 1 < count
        u[rows[keep] + 1] = _product(X, end_state)[keep]
        all_states.append(_no_subnormals(_accumulate(u, M)).astype(np.float32))
        all_rings.append(ring)
    if all_states:
        _ring_out(Y, np.concatenate(all_states, axis=1), np.concatenate(all_rings, axis=0))
    return Y.ravel()[:n]


def _no_subnormals(m: np.ndarray) -> np.ndarray:
    """Zero what would be a subnormal float32: subnormal operands make a matrix product ~50x slower."""
    m[np.abs(m) < 1e-30] = 0.0
    return m


def _accumulate(u: np.ndarray, M: np.ndarray) -> np.ndarray:
    """``s_k = M s_(k-1) + u_k`` over the rows of ``u`` (``s_(-1) = 0``), as one small scalar filter.

    Cayley-Hamilton: with ``c`` the characteristic polynomial of ``M``, every component of ``s`` obeys
    ``sum_j c_j s_(k-j) = w_k`` where ``w_k = sum_j C_j u_(k-j)``, ``C_0 = I``, ``C_j = M C_(j-1) + c_j I``.
    ``M = A^block`` has the filter's poles raised to the block length, well inside the unit circle, so
    this low-order recursion (run in float64) is well conditioned.
    """
    from scipy.signal import lfilter

    order = M.shape[0]
    c = np.ones(order + 1)
    w = u.copy()
    term = np.empty_like(u)
    Cj = np.eye(order)
    for j in range(1, order + 1):  # Faddeev-LeVerrier gives c and the C_j together
        MC = M @ Cj
        c[j] = -np.trace(MC) / j
        if j < order:
            Cj = MC + c[j] * np.eye(order)
            _product(u[:-j], Cj.T, out=term[:-j])
            w[j:] += term[:-j]
    return lfilter([1.0], c, w, axis=0)


def sosfilt_blocked(sos: np.ndarray, x: np.ndarray, block: int | None = None) -> np.ndarray:
    """``scipy.signal.sosfilt(sos, x)`` (zero initial state, 1-D ``x``) by block matrix products.

    Parameters
    ----------
    sos : numpy.ndarray
        ``(sections, 6)`` second-order sections ``[b0, b1, b2, a0, a1, a2]``.
    x : numpy.ndarray
        1-D float32 or float64 signal.
    block : int
        Samples per block.

    Returns
    -------
    numpy.ndarray
        The filtered signal, same length and dtype as ``x`` (other dtypes become float64).

    Examples
    --------
    >>> import numpy as np
    >>> from scipy.signal import butter, sosfilt
    >>> sos = butter(2, 1000, fs=48000, output="sos")
    >>> x = np.random.default_rng(0).standard_normal(100_000).astype(np.float32)
    >>> y = sosfilt_blocked(sos, x)
    >>> y.dtype, bool(np.allclose(y, sosfilt(sos, x.astype(float)), atol=1e-4))
    (dtype('float32'), True)
    """
    sos = np.atleast_2d(np.asarray(sos, dtype=float))
    x = _signal(x)
    if x.size < SHORT or x.dtype == np.float64:  # float64: SciPy's recursion is as quick
        from scipy.signal import sosfilt

        return sosfilt(sos.astype(x.dtype), x)
    return _run(*_cascade([_section_state_space(s[:3], s[3:]) for s in sos]), x, block)


def lfilter_blocked(b: np.ndarray, a: np.ndarray, x: np.ndarray, block: int | None = None) -> np.ndarray:
    """``scipy.signal.lfilter(b, a, x)`` (zero initial state, 1-D ``x``) by block matrix products.

    Meant for low orders (up to about 4); higher orders belong in second-order sections.
    """
    x = _signal(x)
    if x.size < SHORT or x.dtype == np.float64:  # float64: SciPy's recursion is as quick
        from scipy.signal import lfilter

        return lfilter(np.asarray(b, dtype=x.dtype), np.asarray(a, dtype=x.dtype), x)
    return _run(*_section_state_space(b, a), x, block)


def filter_chain_blocked(stages: list[tuple[np.ndarray, np.ndarray]], x: np.ndarray) -> np.ndarray:
    """``x`` through the filters ``(b, a)`` one after the other, in one blocked pass.

    A noise colour followed by a band filter (pink noise through a low-pass) costs what one filter does.
    """
    x = _signal(x)
    if x.size < SHORT or x.dtype == np.float64:
        from scipy.signal import lfilter

        for b, a in stages:
            x = lfilter(np.asarray(b, dtype=x.dtype), np.asarray(a, dtype=x.dtype), x)
        return x
    return _run(*_cascade([_section_state_space(b, a) for b, a in stages]), x)


def lfilter_parallel_blocked(
    filters: list[tuple[np.ndarray, np.ndarray]], gains, x: np.ndarray
) -> np.ndarray:
    """``sum(g * lfilter(b, a, x) for (b, a), g in zip(filters, gains))`` in one blocked pass.

    A bank of resonators on one signal (the formants of a vowel) costs about what one of them does.
    """
    x = _signal(x)
    if x.size < SHORT or x.dtype == np.float64:
        from scipy.signal import lfilter

        return sum(
            (g * lfilter(b, a, x) for (b, a), g in zip(filters, gains, strict=True)),
            np.zeros(x.size, x.dtype),
        ).astype(x.dtype)
    return _run(*_parallel([_section_state_space(b, a) for b, a in filters], gains), x)


def _signal(x: np.ndarray) -> np.ndarray:
    x = np.asarray(x)
    if x.dtype not in (np.float32, np.float64):
        x = x.astype(np.float64)
    return np.ascontiguousarray(x)


def butter_sos(order: int, freqs_hz, kind: str, sr: float) -> np.ndarray:
    """Digital Butterworth filter as second-order sections, like ``scipy.signal.butter(..., output="sos")``.

    The analogue prototype's poles are moved by the low-pass, high-pass or band-pass transform and
    mapped by the bilinear transform with the band edges pre-warped, as SciPy does; here in closed form,
    about fifty times quicker, because recipes design a few filters for every clip.

    Parameters
    ----------
    order : int
        Prototype order (a band-pass has twice as many poles).
    freqs_hz : float or (float, float)
        Cut-off, or the band edges for ``"bandpass"``; below ``sr / 2``.
    kind : {"lowpass", "highpass", "bandpass"}
    sr : float
        Sample rate in Hz.

    Returns
    -------
    numpy.ndarray
        ``(sections, 6)`` float64, unit gain at DC (low-pass), at Nyquist (high-pass) or at the band's
        centre (band-pass).
    """
    fs2 = 2.0 * float(sr)
    proto = np.exp(1j * np.pi * (2 * np.arange(order) + order + 1) / (2 * order))  # |s| = 1, left half plane
    if kind == "bandpass":
        lo, hi = (fs2 * np.tan(np.pi * float(f) / float(sr)) for f in freqs_hz)
        centre, width = np.sqrt(lo * hi), hi - lo
        half = proto * width / 2
        root = np.sqrt(half**2 - centre**2)
        poles = np.concatenate([half + root, half - root])
        zero_pair, zero_single = [1.0, 0.0, -1.0], None  # one zero at z = 1 and one at z = -1 per section
        ref = np.exp(2j * np.arctan(centre / fs2))
    else:
        cut = fs2 * np.tan(np.pi * float(freqs_hz) / float(sr))
        sign = 1.0 if kind == "lowpass" else -1.0  # zeros at z = -1 (low-pass) or z = 1 (high-pass)
        poles = cut * proto if kind == "lowpass" else cut / proto
        zero_pair, zero_single = [1.0, 2.0 * sign, 1.0], [1.0, sign, 0.0]
        ref = 1.0 if kind == "lowpass" else -1.0
    z = (fs2 + poles) / (fs2 - poles)
    upper = z[z.imag > 1e-12]
    real = np.sort(z[np.abs(z.imag) <= 1e-12].real)
    rows = [[*zero_pair, 1.0, -2.0 * p.real, abs(p) ** 2] for p in upper]
    for k in range(0, real.size - 1, 2):
        rows.append([*zero_pair, 1.0, -(real[k] + real[k + 1]), real[k] * real[k + 1]])
    if real.size % 2:
        rows.append([*(zero_single or zero_pair), 1.0, -real[-1], 0.0])
    sos = np.array(rows)
    powers = ref ** -np.arange(3)
    gain = np.prod((sos[:, :3] @ powers) / (sos[:, 3:] @ powers))
    sos[0, :3] /= abs(gain)
    return sos
