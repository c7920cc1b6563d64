"""Rooms: early reflections from the image-source model and a diffuse late tail (issue 10).

A shoebox room spans ``[0, W] × [0, D] × [0, H]`` metres with its axes along the listener frame (x
forward, y left, z up). Image sources follow Allen & Berkley (1979): each reflection is a virtual source
at the mirrored position, with amplitude factor ``√(1 − α)`` per wall it hits (``α`` = energy absorption).
The caller renders each reflection like a direct source (its direction, 1/r gain, r/c delay) through
the same panning, ambisonic or binaural path. The late tail is exponentially decaying noise,
decorrelated per output channel, with the RT60 of Eyring's formula and the level of the diffuse field
(room constant R = S·ᾱ/(1 − ᾱ)). The direct-to-reverberant ratio therefore falls with distance as it
does in a real room.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import lru_cache

import numpy as np

from ..errors import See2SoundError

SPEED_OF_SOUND_M_S = 343.0

# Energy absorption coefficients (broadband, about 500 Hz–1 kHz) for a material guess.
MATERIAL_ABSORPTION = {
    "concrete": 0.02,
    "tile": 0.03,
    "glass": 0.04,
    "plaster": 0.06,
    "wood": 0.10,
    "mixed": 0.15,
    "furnished": 0.25,
    "carpet": 0.35,
    "curtains": 0.45,
    "grass": 0.6,
    "snow": 0.8,
    # outdoor grounds
    "water": 0.01,
    "asphalt": 0.03,
    "sand": 0.4,
}

# wall order for per-wall absorption: x=0 (back), x=W (front), y=0 (right), y=D (left), floor, ceiling
WALLS = ("back", "front", "right", "left", "floor", "ceiling")


@dataclass(frozen=True)
class ImageSources:
    """Early reflections of one source: positions relative to the listener and their amplitude factors."""

    relative_positions: np.ndarray  # (..., r, 3) metres, listener frame (image minus listener)
    gains: np.ndarray  # (r,) product of √(1 − α) over the walls hit
    orders: np.ndarray  # (r,) number of reflections

    @property
    def distances_m(self) -> np.ndarray:
        return np.linalg.norm(self.relative_positions, axis=-1)

    @property
    def directions(self) -> np.ndarray:
        return self.relative_positions / np.maximum(self.distances_m[..., None], 1e-9)

    def delays_s(self, speed_of_sound: float = SPEED_OF_SOUND_M_S) -> np.ndarray:
        return self.distances_m / speed_of_sound


def _absorption(absorption) -> np.ndarray:
    if isinstance(absorption, str):
        if absorption not in MATERIAL_ABSORPTION:
            raise See2SoundError(
                f"unknown room material {absorption!r}; choose one of {', '.join(MATERIAL_ABSORPTION)}"
            )
        absorption = MATERIAL_ABSORPTION[absorption]
    a = np.broadcast_to(np.asarray(absorption, dtype=float), (6,)).copy()
    if not np.all((a >= 0) & (a < 1)):
        raise See2SoundError(f"room absorption must be in [0, 1), got {a.tolist()}")
    return a


def _check_room(room_dims_m) -> np.ndarray:
    dims = np.asarray(room_dims_m, dtype=float)
    if dims.shape != (3,) or not np.all(np.isfinite(dims)) or np.any(dims <= 0):
        raise See2SoundError(f"room size must be three positive lengths W×D×H in metres, got {room_dims_m}")
    return dims


def image_sources(source_xyz, listener_xyz, room_dims_m, absorption=0.15, max_order: int = 3) -> ImageSources:
    """Image sources of order 1 … ``max_order`` for a shoebox room.

    Parameters
    ----------
    source_xyz : array_like, shape (..., 3)
        Source positions in room coordinates (metres); a trajectory gives each reflection a trajectory,
        in the same order.
    listener_xyz : array_like, shape (3,)
        Listener (head centre) in room coordinates.
    room_dims_m : array_like, shape (3,)
        Width (x), depth (y), height (z).
    absorption : float, sequence of 6 floats, or str
        Energy absorption per wall (order of ``WALLS``) or one value for all, or a material name
        from ``MATERIAL_ABSORPTION``.
    max_order : int
        Highest reflection order (0–3 is typical; the count grows as order³).

    Returns
    -------
    ImageSources
    """
    dims = _check_room(room_dims_m)
    alpha = _absorption(absorption)
    src = np.asarray(source_xyz, dtype=float)
    lis = np.asarray(listener_xyz, dtype=float)
    if src.shape[-1] != 3 or lis.shape != (3,):
        raise See2SoundError("source and listener positions must be 3-D points")
    if not (np.all((src >= 0) & (src <= dims)) and np.all((lis >= 0) & (lis <= dims))):
        raise See2SoundError("source and listener must be inside the room")
    if not 0 <= int(max_order) <= 10:
        raise See2SoundError(f"reflection order must be 0-10, got {max_order}")
    beta = np.sqrt(1.0 - alpha)
    idx = _image_indices(int(max_order))
    if len(idx) == 0:
        return ImageSources(np.zeros(src.shape[:-1] + (0, 3)), np.zeros(0), np.zeros(0, dtype=int))
    odd = (idx % 2) != 0
    # image coordinate along each axis: i·L + x (i even) or i·L + (L − x) (i odd)
    positions = idx * dims + np.where(odd, dims - src[..., None, :], src[..., None, :])
    # wall hits: for i > 0, ceil(i/2) on the far wall and floor(i/2) on the near one; mirrored for i < 0
    n = np.abs(idx)
    far = np.where(idx > 0, (n + 1) // 2, n // 2)
    near = n - far
    gains = np.prod(beta[0::2] ** near * beta[1::2] ** far, axis=1)
    return ImageSources(positions - lis, gains, n.sum(axis=1))


@lru_cache(maxsize=16)
def _image_indices(max_order: int) -> np.ndarray:
    """The reflection indices ``(i, j, k)`` with ``0 < |i| + |j| + |k| ≤ max_order`` (read-only)."""
    r = range(-max_order, max_order + 1)
    idx = np.array([(i, j, k) for i in r for j in r for k in r if 0 < abs(i) + abs(j) + abs(k) <= max_order])
    idx.flags.writeable = False
    return idx


def ground_reflection(source_xyz, listener_xyz, absorption=0.3) -> ImageSources:
    """The one reflection outdoors: the ground plane z = 0 (positions as in :func:`image_sources`)."""
    a = float(_absorption(absorption)[0])
    src = np.asarray(source_xyz, dtype=float)
    image = src * np.array([1.0, 1.0, -1.0])
    rel = (image - np.asarray(listener_xyz, dtype=float))[..., None, :]
    return ImageSources(rel, np.array([np.sqrt(1.0 - a)]), np.array([1]))


def rt60_s(room_dims_m, absorption=0.15) -> float:
    """Reverberation time by Eyring's formula, T = 0.161·V / (−S·ln(1 − ᾱ)), ᾱ area-weighted."""
    w, d, h = _check_room(room_dims_m)
    alpha = _absorption(absorption)
    areas = np.array([d * h, d * h, w * h, w * h, w * d, w * d])
    mean_alpha = float(np.sum(areas * alpha) / areas.sum())
    return float(0.161 * w * d * h / (-areas.sum() * np.log(1.0 - max(mean_alpha, 1e-4))))


def reverberant_energy(room_dims_m, absorption=0.15) -> float:
    """Diffuse-field energy relative to the direct sound at 1 m: 16π / R, R = S·ᾱ/(1 − ᾱ)."""
    w, d, h = _check_room(room_dims_m)
    alpha = _absorption(absorption)
    areas = np.array([d * h, d * h, w * h, w * h, w * d, w * d])
    mean_alpha = float(np.sum(areas * alpha) / areas.sum())
    room_constant = areas.sum() * max(mean_alpha, 1e-4) / (1.0 - mean_alpha)
    return float(16.0 * np.pi / room_constant)


def diffuse_tail(
    n_channels: int,
    sample_rate: int,
    rt60: float,
    energy: float,
    onset_s: float = 0.0,
    seed: int = 0,
    fade_s: float = 0.01,
) -> np.ndarray:
    """Late-reverberation impulse responses ``(n_channels, taps)``: decorrelated decaying noise.

    Each channel is independent Gaussian noise under the envelope exp(−6.91·t/RT60) (−60 dB at RT60),
    starting at ``onset_s`` (the mixing time) with a ``fade_s`` raised-cosine fade-in, and lasting
    until −70 dB. The channels together carry the part of ``energy`` that decays after ``onset_s``,
    so the tail joins the early reflections at the level a diffuse field would have.
    """
    if n_channels < 1 or not np.isfinite(rt60) or rt60 <= 0 or energy < 0 or onset_s < 0:
        raise See2SoundError("diffuse tail needs channels ≥ 1, RT60 > 0, energy ≥ 0 and onset ≥ 0")
    rng = np.random.default_rng(seed)
    length = int(np.ceil((onset_s + rt60 * 70.0 / 60.0) * sample_rate))
    t = np.arange(length) / sample_rate
    envelope = np.exp(-6.9078 * t / rt60)
    ramp = np.clip((t - onset_s) / max(fade_s, 1e-6), 0.0, 1.0)
    envelope *= np.where(t < onset_s, 0.0, np.sin(0.5 * np.pi * ramp) ** 2)
    tail = rng.standard_normal((n_channels, length)) * envelope
    target = energy * np.exp(-13.8155 * onset_s / rt60)  # energy left after the onset
    current = np.sum(tail**2)
    if current > 0:
        tail *= np.sqrt(target / current)
    return tail


def schroeder_rt60_s(ir: np.ndarray, sample_rate: int, fit_db=(-5.0, -35.0)) -> float:
    """RT60 from Schroeder's backward integration of ``ir`` (last axis), fitted over ``fit_db`` (T30)."""
    energy = np.sum(np.atleast_2d(ir) ** 2, axis=0)
    edc = np.cumsum(energy[::-1])[::-1]
    edc_db = 10 * np.log10(np.maximum(edc / edc[0], 1e-30))
    hi, lo = fit_db
    sel = (edc_db <= hi) & (edc_db >= lo)
    if sel.sum() < 2:
        raise See2SoundError("impulse response too short to measure RT60")
    t = np.arange(len(edc_db))[sel] / sample_rate
    slope = np.polyfit(t, edc_db[sel], 1)[0]
    return float(-60.0 / slope)
