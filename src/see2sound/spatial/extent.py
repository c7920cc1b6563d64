"""Source extent: a source spread over an angular width and height, with decorrelated virtual sources.

A source with an ``extent`` (ADM-style width and height in degrees, BS.2076) is rendered as a set of
virtual point sources covering that extent, in the manner of MDAP (Pulkki 1999, "Uniform spreading of
amplitude panned virtual sources", WASPAA): the extent is cut into cells of at most
:data:`CELL_DEG` on a side (at least two across any non-zero width or height), one virtual source at
the centre of each cell. Each virtual source is fed by
its own decorrelated copy of the source's signal (Kendall 1995, "The decorrelation of audio signals and
its impact on spatial imagery", Computer Music Journal 19(4)): a random-phase all-pass FIR of 20 ms
(flat magnitude at every FFT bin, unit energy), so the copies add in power, not in amplitude, and the
image is wide rather than a phantom source in the middle. Each virtual source carries the solid angle of
its cell as its energy share, and the shares sum to one: the total energy equals that of the point
source, and a 360 x 180 extent is an isotropic field.

The cells are laid out in the source's own frame (the source's direction is the frame's front, its
up is the vertical plane through the source), by rings of elevation from ``-height/2`` to ``height/2``,
each ring cut into ``ceil(width · cos(elevation) / CELL_DEG) + 1`` cells of azimuth from ``-width/2`` to
``width/2``: ``360 x 180`` is the whole sphere, ``360 x 0`` a ring through the source, ``60 x 20`` a patch
around it. The extent turns with a moving source. Decorrelators are seeded from the source's id, so the
same scene renders the same bytes.
"""

from __future__ import annotations

import math
import zlib
from dataclasses import dataclass

import numpy as np

from ..geometry import direction_to_vector

CELL_DEG = 30.0  # cells are at most this wide: 13 virtual sources around a 360° ring, 63 over the sphere
DECORRELATOR_S = 0.02  # length of the random-phase all-pass filters (Kendall 1995: tens of ms)


@dataclass(frozen=True)
class Spread:
    """Virtual sources of one extended source.

    Attributes
    ----------
    directions : ndarray, shape (D, 3)
        Unit vectors in the source's frame (the source straight ahead, +x).
    weights : ndarray, shape (D,)
        Energy share of each virtual source (solid angle of its cell); they sum to 1.
    filters : ndarray, shape (D, taps)
        The decorrelation filters (float32, unit energy each).
    """

    directions: np.ndarray
    weights: np.ndarray
    filters: np.ndarray

    @property
    def amplitudes(self) -> np.ndarray:
        """Amplitude gain of each virtual source, ``sqrt(weights)``."""
        return np.sqrt(self.weights)


def is_point(extent) -> bool:
    """Whether an extent (``None``, an object with ``width``/``height`` or a pair) is a point."""
    if extent is None:
        return True
    width, height = _pair(extent)
    return width <= 0.0 and height <= 0.0


def _pair(extent) -> tuple[float, float]:
    if hasattr(extent, "width"):
        return float(extent.width), float(extent.height)
    width, height = extent
    return float(width), float(height)


def extent_cells(width_deg: float, height_deg: float) -> tuple[np.ndarray, np.ndarray]:
    """Cell centres ``(D, 3)`` (source frame) and solid-angle weights ``(D,)`` summing to 1.

    Examples
    --------
    >>> dirs, w = extent_cells(360.0, 180.0)
    >>> len(w), round(float(w.sum()), 12), bool(np.linalg.norm(w @ dirs) < 1e-9)
    (63, 1.0, True)
    >>> extent_cells(20.0, 0.0)[0].round(3)   # two cells, at ±5°
    array([[ 0.996, -0.087,  0.   ],
           [ 0.996,  0.087,  0.   ]])
    """
    width = float(np.clip(width_deg, 0.0, 360.0))
    height = float(np.clip(height_deg, 0.0, 180.0))
    rings = _count(height)
    edges = np.radians(np.linspace(-height / 2.0, height / 2.0, rings + 1))
    directions, weights = [], []
    for lo, hi in zip(edges[:-1], edges[1:], strict=True):
        el = 0.5 * (lo + hi)
        band = (np.sin(hi) - np.sin(lo)) if hi > lo else np.cos(el)  # a ring of height 0: its length
        count = _count(width * np.cos(el))
        az = -width / 2.0 + (np.arange(count) + 0.5) * width / count
        directions.append(direction_to_vector(az, np.full(count, np.degrees(el))))
        weights.append(np.full(count, np.radians(width / count) * band if width > 0 else band))
    d, w = np.concatenate(directions), np.concatenate(weights)
    return d, w / w.sum()


def _count(span_deg: float) -> int:
    """Cells across a span: none wider than :data:`CELL_DEG`, and at least two for any span > 0 (so even
    a narrow extent is heard as wider than a point)."""
    if span_deg <= 1e-9:
        return 1
    return math.ceil(span_deg / CELL_DEG - 1e-9) + 1


def to_world(local: np.ndarray, directions: np.ndarray) -> np.ndarray:
    """Local cell directions ``(D, 3)`` turned to face source directions ``(..., 3)``: ``(..., D, 3)``.

    The frame's front is the source direction, its left is horizontal (the azimuth's tangent) and its up
    completes it (towards the zenith); a source at the pole takes azimuth 0.
    """
    u = np.asarray(directions, dtype=float)
    az = np.arctan2(u[..., 1], u[..., 0])
    horizontal = np.hypot(u[..., 0], u[..., 1])
    left = np.stack([-np.sin(az), np.cos(az), np.zeros_like(az)], axis=-1)
    up = np.stack([-u[..., 2] * np.cos(az), -u[..., 2] * np.sin(az), horizontal], axis=-1)
    frame = np.stack([u, left, up], axis=-1)  # (..., 3, 3): columns front, left, up
    return np.einsum("...ij,dj->...di", frame, local)


def decorrelation_filters(count: int, sample_rate: int, seed: int) -> np.ndarray:
    """``count`` random-phase all-pass FIRs ``(count, taps)`` of :data:`DECORRELATOR_S` (float32).

    Unit magnitude at every bin of a ``taps``-point FFT with uniformly random phase (DC and Nyquist a
    random sign), so each has unit energy and a flat spectrum, and different filters are uncorrelated
    (Kendall 1995).
    """
    taps = int(2 ** round(math.log2(max(16.0, DECORRELATOR_S * sample_rate))))
    rng = np.random.default_rng([int(seed) & 0xFFFFFFFF, count, taps])
    phase = rng.uniform(-np.pi, np.pi, (count, taps // 2 + 1))
    phase[:, [0, -1]] = np.where(rng.random((count, 2)) < 0.5, 0.0, np.pi)
    return np.fft.irfft(np.exp(1j * phase), taps, axis=-1).astype(np.float32)


def source_seed(source_id: str) -> int:
    """A stable seed for a source's decorrelators from its id (CRC-32)."""
    return zlib.crc32(str(source_id).encode("utf-8"))


def spread_for(extent, sample_rate: int, seed: int) -> Spread | None:
    """The virtual sources of an extent (``None`` for a point)."""
    if is_point(extent):
        return None
    directions, weights = extent_cells(*_pair(extent))
    return Spread(directions, weights, decorrelation_filters(len(weights), sample_rate, seed))


__all__ = [
    "CELL_DEG",
    "DECORRELATOR_S",
    "Spread",
    "decorrelation_filters",
    "extent_cells",
    "is_point",
    "source_seed",
    "spread_for",
    "to_world",
]
