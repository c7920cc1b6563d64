"""Amplitude panning to loudspeakers: VBIP (default) and VBAP, 2-D pairs and 3-D triangles.

VBAP (Pulkki 1997) writes the target direction ``p`` as a non-negative combination ``p = L w`` of the
two (2-D) or three (3-D) loudspeakers around it. VBIP (vector-base *intensity* panning, Pernaux, Boussard
& Jot 1998) uses the same weights as loudspeaker *energies*: ``g_i = sqrt(w_i / sum(w))``. The energy
vector ``rE = sum(g_i^2 u_i) / sum(g_i^2)`` is then parallel to ``L w = p``: it points exactly at the target
wherever loudspeakers surround it. Gains are power-normalised (``sum(g^2) = 1``) for both laws.

Outside the loudspeakers' reach:

* Flat layouts (stereo, 5.1, 7.1) pan the target's azimuth (its projection on the horizontal plane).
  Within 10° of the poles the gains blend smoothly into equal energy on every loudspeaker.
* A gap wider than 180° (behind a stereo pair) is covered by mirroring the target front-to-back
  (x → −x), then moving it to the nearest loudspeaker if it is still outside: a source at 150° plays
  like one at 30° (from L), one at ±90° plays from L or R alone.
* Height layouts (7.1.4) are triangulated as the convex hull of the loudspeakers plus a virtual
  loudspeaker straight below. Its energy is folded back onto the two ear-level loudspeakers of the same
  triangle in proportion to their own energies, so a source below the horizon keeps its azimuth and plays
  at ear level; within 10° of the nadir it blends into equal energy on the ear-level ring. Nothing is
  silenced.
"""

from __future__ import annotations

import numpy as np

from ..errors import See2SoundError
from .layouts import Layout, get_layout

PANNING_LAWS = ("vbip", "vbap")
POLE_BLEND_DEG = 10.0


def energy_vector(gains: np.ndarray, vectors: np.ndarray) -> np.ndarray:
    """Gerzon's energy vector ``sum(g_i^2 u_i) / sum(g_i^2)``: gains ``(..., n)``, unit vectors ``(n, 3)``."""
    e = np.asarray(gains, dtype=float) ** 2
    total = e.sum(axis=-1, keepdims=True)
    return (e @ np.asarray(vectors, dtype=float)) / np.where(total > 0, total, 1.0)


def velocity_vector(gains: np.ndarray, vectors: np.ndarray) -> np.ndarray:
    """Gerzon's velocity vector ``sum(g_i u_i) / sum(g_i)`` (what VBAP places exactly)."""
    g = np.asarray(gains, dtype=float)
    total = g.sum(axis=-1, keepdims=True)
    return (g @ np.asarray(vectors, dtype=float)) / np.where(total > 0, total, 1.0)


class Panner:
    """Panning gains for one loudspeaker layout.

    Parameters
    ----------
    layout : Layout or str
        The layout (``"5.1"``) or a :class:`Layout`.
    law : {"vbip", "vbap"}
        ``"vbip"`` places the energy vector on the target (default); ``"vbap"`` places the
        velocity vector there (classic VBAP, power-normalised).

    Examples
    --------
    >>> p = Panner("5.1")
    >>> g = p.gains(np.array([[1.0, 0.0, 0.0]]))   # straight ahead: all energy in C
    >>> np.round(g, 6)
    array([[0., 0., 1., 0., 0.]])
    """

    def __init__(self, layout: Layout | str, law: str = "vbip"):
        if law not in PANNING_LAWS:
            raise See2SoundError(f"unknown panning law {law!r}; choose one of {', '.join(PANNING_LAWS)}")
        self.layout = get_layout(layout) if isinstance(layout, str) else layout
        self.law = law
        self.vectors = self.layout.vectors
        if self.layout.is_3d:
            self._setup_3d()
        else:
            self._setup_2d()

    # -- set-up ------------------------------------------------------------------------------------
    def _setup_2d(self) -> None:
        n = self.layout.n_speakers
        if n < 2:
            raise See2SoundError(f"layout {self.layout.name}: panning needs at least two loudspeakers")
        az = np.radians(self.layout.azimuth_deg)
        order = np.argsort(az)
        cells, inverses = [], []
        for a, b in zip(order, np.roll(order, -1), strict=True):
            arc = (az[b] - az[a]) % (2 * np.pi)
            if arc >= np.pi - 1e-9:  # a gap of 180° or more cannot be spanned by one pair
                continue
            base = np.array([[np.cos(az[a]), np.cos(az[b])], [np.sin(az[a]), np.sin(az[b])]])
            cells.append((a, b))
            inverses.append(np.linalg.inv(base))
        self._cells = np.array(cells, dtype=int)
        self._inverses = np.array(inverses)
        self._n_virtual = 0
        self._ring = np.arange(n)

    def _setup_3d(self) -> None:
        from scipy.spatial import ConvexHull

        vectors = np.vstack([self.vectors, [[0.0, 0.0, -1.0]]])  # virtual loudspeaker below
        hull = ConvexHull(vectors)
        cells, inverses = [], []
        for simplex in hull.simplices:
            base = vectors[simplex].T
            if abs(np.linalg.det(base)) < 1e-9:  # a facet through the centre: degenerate
                continue
            cells.append(simplex)
            inverses.append(np.linalg.inv(base))
        self._cells = np.array(cells, dtype=int)
        self._inverses = np.array(inverses)
        self._n_virtual = 1
        self._ring = np.flatnonzero(np.abs(self.layout.elevation_deg) < 1e-9)

    # -- gains -------------------------------------------------------------------------------------
    @property
    def _stacked_inverses(self) -> np.ndarray:
        n_cells, dim, _ = self._inverses.shape
        return self._inverses.transpose(2, 0, 1).reshape(dim, n_cells * dim)

    def gains(self, directions: np.ndarray) -> np.ndarray:
        """Loudspeaker gains ``(m, n_speakers)`` for unit direction vectors ``(m, 3)`` (power-normalised).

        The columns follow ``layout.speaker_channels`` (the LFE has no column).
        """
        p = np.atleast_2d(np.asarray(directions, dtype=float))
        norm = np.linalg.norm(p, axis=-1, keepdims=True)
        if not np.all(np.isfinite(p)) or np.any(norm < 1e-12):
            raise See2SoundError("panning directions must be finite, non-zero vectors")
        p = p / norm
        out = np.empty((len(p), self.layout.n_speakers))
        n_cells, dim, _ = self._inverses.shape
        # chunks keep the (directions, cells, dim) weights within about 1 MiB, in cache
        step = max(1024, min(1 << 14, (1 << 20) // (8 * n_cells * dim)))
        for start in range(0, len(p), step):
            chunk = p[start : start + step]
            energies = self._energies_3d(chunk) if self.layout.is_3d else self._energies_2d(chunk)
            energies /= energies.sum(axis=-1, keepdims=True)
            out[start : start + step] = np.sqrt(energies)
        return out

    def _cell_energies(self, p: np.ndarray, n_total: int) -> tuple[np.ndarray, np.ndarray]:
        """Energies ``(m, n_total)`` from the best cell per direction, and that cell's smallest weight."""
        n_cells, dim, _ = self._inverses.shape
        # one matrix product for every cell: w[m, c, i] = Σ_j inv[c, i, j] p[m, j]
        w = (p @ self._stacked_inverses).reshape(len(p), n_cells, dim)
        smallest = w[..., 0].copy()
        for k in range(1, w.shape[-1]):  # faster than min() along a short last axis
            np.minimum(smallest, w[..., k], out=smallest)
        best = np.argmax(smallest, axis=-1)
        wb = w[np.arange(len(p)), best]
        worst = wb.min(axis=-1)
        wb = np.clip(wb, 0.0, None)
        e = wb if self.law == "vbip" else wb**2
        out = np.zeros((len(p), n_total))
        np.put_along_axis(out, self._cells[best], e, axis=-1)
        return out, worst

    def _uniform(self, m: int, n: int, members: np.ndarray) -> np.ndarray:
        u = np.zeros((m, n))
        u[:, members] = 1.0 / len(members)
        return u

    def _energies_2d(self, p: np.ndarray) -> np.ndarray:
        n = self.layout.n_speakers
        horizontal = np.hypot(p[:, 0], p[:, 1])
        flat = np.column_stack([p[:, 0], p[:, 1]]) / np.maximum(horizontal, 1e-300)[:, None]
        flat[horizontal < 1e-12] = (1.0, 0.0)
        e, worst = self._cell_energies(flat, n)
        outside = worst < -1e-9
        if np.any(outside):  # a gap wider than 180°: mirror front/back, then snap to the nearest speaker
            mirrored = flat[outside] * np.array([-1.0, 1.0])
            e_m, worst_m = self._cell_energies(mirrored, n)
            still = worst_m < -1e-9
            if np.any(still):
                nearest = np.argmax(mirrored[still] @ self.vectors[:, :2].T, axis=-1)
                e_m[still] = 0.0
                e_m[np.flatnonzero(still), nearest] = 1.0
            e[outside] = e_m
        e /= e.sum(axis=-1, keepdims=True)
        return self._blend_pole(e, horizontal, self._uniform(len(p), n, self._ring))

    def _energies_3d(self, p: np.ndarray) -> np.ndarray:
        n = self.layout.n_speakers
        e, _ = self._cell_energies(p, n + 1)
        below = e[:, n]
        if np.any(below > 0):
            ring = e[:, self._ring]
            ring_total = ring.sum(axis=-1)
            share = np.divide(
                ring, ring_total[:, None], out=np.zeros_like(ring), where=ring_total[:, None] > 0
            )
            # no ear-level partner (exactly below): equal shares on the ring
            share[ring_total <= 0] = 1.0 / len(self._ring)
            e[:, self._ring] += below[:, None] * share
        e = e[:, :n]
        e /= e.sum(axis=-1, keepdims=True)
        horizontal = np.where(p[:, 2] < 0, np.hypot(p[:, 0], p[:, 1]), 1.0)
        return self._blend_pole(e, horizontal, self._uniform(len(p), n, self._ring))

    @staticmethod
    def _blend_pole(e: np.ndarray, horizontal: np.ndarray, uniform: np.ndarray) -> np.ndarray:
        """Blend towards ``uniform`` within POLE_BLEND_DEG of a pole the layout cannot place."""
        alpha = np.clip(horizontal / np.sin(np.radians(POLE_BLEND_DEG)), 0.0, 1.0)[:, None]
        if alpha.min() >= 1.0:  # nowhere near a pole
            return e
        return alpha * e + (1.0 - alpha) * uniform


def isotropic_energies(layout: Layout | str, law: str = "vbip", count: int = 8192) -> np.ndarray:
    """Each loudspeaker's share ``(n_speakers,)`` of an isotropic field panned through the layout.

    The mean of the squared gains over ``count`` nearly uniform directions (a Fibonacci lattice); the
    shares sum to 1. A diffuse sound fed with these energies has the energy vector that an isotropic
    field reproduced through the same panner has (not the one of equal energy in every loudspeaker,
    which points wherever the loudspeakers crowd: the front of 5.1, the top of 7.1.4).
    """
    from .hrtf import fibonacci_directions

    energies = (Panner(layout, law).gains(fibonacci_directions(count)) ** 2).mean(axis=0)
    return energies / energies.sum()


def panning_gains(layout: Layout | str, directions: np.ndarray, law: str = "vbip") -> np.ndarray:
    """Gains ``(m, n_speakers)`` for unit vectors ``(m, 3)``: a one-call form of :class:`Panner`.

    Examples
    --------
    >>> from see2sound.geometry import direction_to_vector
    >>> g = panning_gains("stereo", direction_to_vector([0.0], [0.0]))
    >>> np.round(g ** 2, 3)   # a centred phantom source: equal energy in L and R
    array([[0.5, 0.5]])
    """
    return Panner(layout, law).gains(directions)
