"""The room's part of a render: early reflections and a diffuse late tail, added to the direct sound.

:func:`render_room` returns *only* what the room adds; the caller adds it to the free-field render of
:func:`see2sound.spatial.render.render_sources` (same signals, directions and distances). Per source:

* **Early reflections** of the image-source model (:func:`see2sound.spatial.room.image_sources`, order
  ≤ 3, absorption from the room's material), each rendered from its own direction through the same path
  as the direct sound: VBIP/VBAP gains for loudspeakers, SN3D spherical harmonics for AmbiX, the HRTF
  for binaural. Each reflection has the 1/r gain of its path and arrives ``(r_image − r_direct)/c``
  after the direct sound (``r_image/c`` after emission when the render applies propagation delays).
  They are gathered into one sparse FIR per output channel (``Σ gain·pan(dir)·δ(t − τ)``, or the sum
  of delayed HRIRs) and applied with one block FFT convolution that shares each source's forward FFT
  and each channel's inverse FFT.
* **Moving sources**: the reflections follow the source. Its path is cut into 0.1 s stretches; a new
  FIR is made at the mean position of a stretch once the source has moved 0.1 m since the last one,
  and each input segment of the FFT convolution (0.1–0.3 s) is filtered by the FIR in force at its
  centre; the segments overlap under raised-cosine cross-fades, so each output sample blends
  neighbouring FIRs (no clicks). A source that strays less than 0.5 m from its mean position keeps one
  FIR, at that mean.
* A source beyond the room's walls (a room given by hand that is smaller than the scene) is heard
  through the wall point on its line of sight: its reflections are computed from that point and
  delayed and attenuated by the rest of its path, so they never precede or outweigh the direct sound.
* **The late tail** (indoors only) is one decaying noise per output channel, decorrelated, with the RT60
  of Eyring's formula and the diffuse-field level ``16π/R`` of the room
  (:func:`~see2sound.spatial.room.reverberant_energy`), applied to the dry mix of every source. It
  starts at about two mean free paths, where order-3 reflections thin out. Loudspeakers get one
  independent noise each; AmbiX channels one each, at the energy of an isotropic field (``1/(2l+1)``
  of W in SN3D); binaural gets the sum of independent noises from 32 directions through the HRTF, which
  gives the ears the coherence and colour of a diffuse field. The LFE gets nothing.
* **Outdoors** there is only the ground reflection (the listener's ears 1.6 m above the ground), no
  tail.

The direct-to-reverberant ratio therefore follows the room: a source at the critical distance
``√(R/16π)`` has about as much reverberant as direct energy, a nearer one more direct.
"""

from __future__ import annotations

import math
import re
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

import numpy as np
from scipy import fft as sp_fft

from ..errors import See2SoundError
from ..formats import get_format
from .room import (
    MATERIAL_ABSORPTION,
    SPEED_OF_SOUND_M_S,
    ImageSources,
    diffuse_tail,
    ground_reflection,
    image_sources,
    reverberant_energy,
    rt60_s,
)

if TYPE_CHECKING:
    from .hrtf import HRTF

ROOM_KINDS = ("indoor", "outdoor")
ROOM_SPECS = "auto, none, indoor, outdoor or WxDxH[:material] in metres (e.g. 5x4x2.8:carpet)"
INDOOR_LISTENER_HEIGHT_M = 1.2  # the vision stage's indoor camera height
OUTDOOR_LISTENER_HEIGHT_M = 1.6
DEFAULT_INDOOR_DIMENSIONS_M = (5.0, 6.0, 2.8)  # width × depth × height: a living room
DEFAULT_INDOOR_MATERIAL = "furnished"
DEFAULT_OUTDOOR_MATERIAL = "grass"
MAX_ORDER = 3
WALL_MARGIN_M = 0.05
TAIL_DIRECTIONS = 32  # binaural tail: independent noises from this many directions
_CHUNK_BLOCKS = 32
MAX_REFLECTION_DELAY_S = 0.3  # later reflections are left to the tail (bounds the FIR length)
MAX_TAIL_S = 12.0  # the tail's impulse response is cut here (RT60 up to about 10 s)
MOVING_SPREAD_M = 0.5  # a source that strays less than this from its mean position keeps one FIR
MOVING_KEY_S = 0.1  # otherwise its reflections are recomputed on this grid ...
MOVING_UPDATE_M = 0.1  # ... when it has moved this far
_WORKERS = -1  # FFTs on every core


@dataclass(frozen=True)
class Room:
    """The acoustic environment of a render.

    Attributes
    ----------
    kind : {"indoor", "outdoor"}
    dimensions_m : (float, float, float) or None
        Width (left–right, the listener's y axis), depth (front–back, x) and height (z) of a shoebox
        room; ``None`` outdoors.
    material : str or float
        A name from :data:`~see2sound.spatial.room.MATERIAL_ABSORPTION` or an energy absorption in
        [0, 1): the walls' indoors, the ground's outdoors.
    listener_m : (float, float, float) or None
        The listener's head in room coordinates: ``x`` forward from the back wall, ``y`` leftward from
        the right wall, ``z`` up from the floor (the listener faces +x). ``None``: 30 % of the depth
        from the back wall, centred, 1.2 m high indoors; 1.6 m above the ground outdoors.
    max_order : int
        Highest reflection order indoors (0–3).
    seed : int
        Seed of the tail's noise.
    confidence : float or None
        How sure the vision stage was of ``kind`` (kept for the scene file; not used to render).
    """

    kind: str = "indoor"
    dimensions_m: tuple[float, float, float] | None = DEFAULT_INDOOR_DIMENSIONS_M
    material: str | float = DEFAULT_INDOOR_MATERIAL
    listener_m: tuple[float, float, float] | None = None
    max_order: int = MAX_ORDER
    seed: int = 0
    confidence: float | None = field(default=None, compare=False)

    def __post_init__(self) -> None:
        if self.kind not in ROOM_KINDS:
            raise See2SoundError(f"room kind must be indoor or outdoor, got {self.kind!r}")
        if isinstance(self.material, str):
            if self.material not in MATERIAL_ABSORPTION:
                raise See2SoundError(
                    f"unknown room material {self.material!r}; choose one of {', '.join(MATERIAL_ABSORPTION)}"
                )
        elif not (isinstance(self.material, int | float) and 0.0 <= float(self.material) < 1.0):
            raise See2SoundError(f"room material: absorption must be in [0, 1), got {self.material!r}")
        if not 0 <= int(self.max_order) <= MAX_ORDER:
            raise See2SoundError(f"room reflection order must be 0-{MAX_ORDER}, got {self.max_order}")
        if self.kind == "indoor":
            dims = _three(self.dimensions_m, "room dimensions_m")
            if np.any(dims <= 0) or np.any(dims > 1000):
                raise See2SoundError(
                    f"room dimensions_m must be three lengths in (0, 1000] m, got {list(dims)}"
                )
            object.__setattr__(self, "dimensions_m", tuple(float(x) for x in dims))
        else:
            object.__setattr__(self, "dimensions_m", None)
        if self.listener_m is not None:
            lis = _three(self.listener_m, "room listener_m")
            if self.kind == "indoor" and not np.all((lis >= 0) & (lis <= self.size_xyz_m)):
                raise See2SoundError(
                    f"room listener_m {list(lis)} is outside the room (x ≤ depth, y ≤ width, z ≤ height)"
                )
            if self.kind == "outdoor" and lis[2] <= 0:
                raise See2SoundError(f"room listener_m: the ears must be above the ground, got z = {lis[2]}")
            object.__setattr__(self, "listener_m", tuple(float(x) for x in lis))

    # -- geometry ------------------------------------------------------------------------------------
    @property
    def size_xyz_m(self) -> np.ndarray:
        """The room's extent along the listener's x (depth), y (width) and z (height) axes."""
        w, d, h = self.dimensions_m
        return np.array([d, w, h])

    @property
    def listener_xyz_m(self) -> np.ndarray:
        if self.listener_m is not None:
            return np.array(self.listener_m)
        if self.kind == "outdoor":
            return np.array([0.0, 0.0, OUTDOOR_LISTENER_HEIGHT_M])
        size = self.size_xyz_m
        return np.array([0.3 * size[0], 0.5 * size[1], min(INDOOR_LISTENER_HEIGHT_M, 0.5 * size[2])])

    @property
    def rt60_s(self) -> float:
        """Eyring reverberation time (0 outdoors)."""
        return rt60_s(self.size_xyz_m, self.material) if self.kind == "indoor" else 0.0

    @property
    def reverberant_energy(self) -> float:
        """Diffuse-field energy relative to the direct sound at 1 m (0 outdoors)."""
        return reverberant_energy(self.size_xyz_m, self.material) if self.kind == "indoor" else 0.0

    @property
    def critical_distance_m(self) -> float:
        """Where direct and reverberant energy are equal (``inf`` outdoors)."""
        e = self.reverberant_energy
        return 1.0 / math.sqrt(e) if e > 0 else math.inf

    @property
    def mixing_time_s(self) -> float:
        """Onset of the late tail: two mean free paths ``4V/S`` (0 outdoors)."""
        if self.kind != "indoor":
            return 0.0
        d, w, h = self.size_xyz_m
        mean_free_path = 4.0 * d * w * h / (2.0 * (d * w + d * h + w * h))
        return 2.0 * mean_free_path / SPEED_OF_SOUND_M_S

    def reflections(self, position_m: np.ndarray) -> tuple[ImageSources, float]:
        """Image sources of a source at ``position_m`` (listener frame) and the path length they lack.

        A source beyond the walls is moved along its line of sight to the wall; the second value is
        the distance it was moved (added to every reflection's path by the caller).
        """
        pos = np.asarray(position_m, dtype=float)
        lis = self.listener_xyz_m
        if self.kind == "outdoor":
            src = lis + pos
            src[2] = max(src[2], WALL_MARGIN_M)  # a source cannot sit below the ground
            return ground_reflection(src, lis, self.material), 0.0
        size = self.size_xyz_m
        lo, hi = np.full(3, WALL_MARGIN_M), size - WALL_MARGIN_M
        lis_in = np.clip(lis, lo, hi)
        t = 1.0
        for axis in range(3):  # the largest t ≤ 1 with lis + t·pos inside the room
            if pos[axis] > 1e-12:
                t = min(t, (hi[axis] - lis_in[axis]) / pos[axis])
            elif pos[axis] < -1e-12:
                t = min(t, (lo[axis] - lis_in[axis]) / pos[axis])
        t = max(t, 0.0)
        src = np.clip(lis_in + t * pos, 0.0, size)
        extra = float(np.linalg.norm(pos) * (1.0 - t))
        return image_sources(src, lis, size, self.material, int(self.max_order)), extra

    # -- scene file ----------------------------------------------------------------------------------
    def to_dict(self) -> dict:
        """The scene's ``room`` object (DESIGN §3 extension, see docs/rooms.md)."""
        out: dict[str, Any] = {"kind": self.kind}
        if self.dimensions_m is not None:
            out["dimensions_m"] = [round(x, 3) for x in self.dimensions_m]
        out["material"] = self.material
        out["listener_m"] = [round(float(x), 3) for x in self.listener_xyz_m]
        if self.confidence is not None:
            out["confidence"] = round(float(self.confidence), 3)
        return out

    @classmethod
    def from_dict(cls, data: Any, name: str = "scene room", seed: int = 0) -> Room:
        """A room from the scene's ``room`` object; a bad field is one :class:`See2SoundError` line."""
        if not isinstance(data, dict):
            raise See2SoundError(f"{name}: must be an object, got {type(data).__name__}")
        kind = data.get("kind", "indoor")
        try:
            return cls(
                kind=kind,
                dimensions_m=(
                    tuple(data.get("dimensions_m") or DEFAULT_INDOOR_DIMENSIONS_M)
                    if kind == "indoor"
                    else None
                ),
                material=data.get(
                    "material", DEFAULT_INDOOR_MATERIAL if kind == "indoor" else DEFAULT_OUTDOOR_MATERIAL
                ),
                listener_m=tuple(data["listener_m"]) if data.get("listener_m") is not None else None,
                seed=seed,
                confidence=data.get("confidence"),
            )
        except (TypeError, ValueError) as exc:
            raise See2SoundError(f"{name}: {exc}") from None
        except See2SoundError as exc:
            raise See2SoundError(f"{name}: {exc}") from None


def _three(values, what: str) -> np.ndarray:
    try:
        arr = np.asarray(values, dtype=float)
    except (TypeError, ValueError):
        raise See2SoundError(f"{what} must be three numbers, got {values!r}") from None
    if arr.shape != (3,) or not np.all(np.isfinite(arr)):
        raise See2SoundError(f"{what} must be three finite numbers, got {values!r}")
    return arr


_SIZE = re.compile(r"^\s*([0-9.]+)\s*[x×*]\s*([0-9.]+)\s*[x×*]\s*([0-9.]+)\s*(?::\s*([A-Za-z_]+))?\s*$")


def parse_room(spec: str | None, scene_room: dict | None = None, seed: int = 0) -> Room | None:
    """The room for ``--room``: ``auto``, ``none``, ``indoor``, ``outdoor`` or ``WxDxH[:material]``.

    Parameters
    ----------
    spec : str or None
        ``auto`` (default, also for ``None``): the scene's ``room``, or no room when the scene has
        none. ``none``: free field (exactly the render without rooms). ``indoor`` / ``outdoor``: the
        scene's room if it is of that kind, else a default one (a 5 × 6 × 2.8 m furnished room; grass).
        ``WxDxH``: a shoebox of that width, depth and height in metres, with an optional material
        (``5x4x2.8:carpet``), keeping the scene's material and listener height where they fit.
    scene_room : dict, optional
        The scene's ``room`` object.
    seed : int
        Seed of the late tail.

    Returns
    -------
    Room or None

    Examples
    --------
    >>> parse_room("6x4x3").dimensions_m
    (6.0, 4.0, 3.0)
    >>> parse_room("none", {"kind": "indoor"}) is None
    True
    """
    text = "auto" if spec is None else str(spec).strip().lower()
    scene = Room.from_dict(scene_room, seed=seed) if scene_room is not None else None
    if text == "none":
        return None
    if text == "auto":
        return scene
    if text in ROOM_KINDS:
        if scene is not None and scene.kind == text:
            return scene
        if text == "indoor":
            return Room("indoor", seed=seed)
        return Room("outdoor", None, DEFAULT_OUTDOOR_MATERIAL, seed=seed)
    match = _SIZE.match(text)
    if not match:
        raise See2SoundError(f"--room: expected {ROOM_SPECS}, got {spec!r}")
    try:
        dims = tuple(float(match.group(i)) for i in (1, 2, 3))
    except ValueError:
        raise See2SoundError(f"--room: expected {ROOM_SPECS}, got {spec!r}") from None
    if not all(0.5 <= x <= 1000 for x in dims):
        raise See2SoundError(f"--room: room sizes must be 0.5 to 1000 m, got {spec!r}")
    material = match.group(4)
    if material is None:
        material = scene.material if scene is not None and scene.kind == "indoor" else DEFAULT_INDOOR_MATERIAL
    elif material not in MATERIAL_ABSORPTION:
        raise See2SoundError(
            f"--room: unknown material {material!r}; choose one of {', '.join(MATERIAL_ABSORPTION)}"
        )
    return Room("indoor", dims, material, seed=seed)


def resolve_room(room: Room | str | None, scene_room: dict | None = None, seed: int = 0) -> Room | None:
    """``RenderOptions.room`` made concrete: a :class:`Room` stays, ``None`` is the free field, a string
    is a ``--room`` spec resolved against the scene's ``room`` object (:func:`parse_room`)."""
    if room is None or isinstance(room, Room):
        return room
    if isinstance(room, str):
        return parse_room(room, scene_room, seed)
    raise See2SoundError(f"room must be a --room spec ({ROOM_SPECS}) or a Room, got {type(room).__name__}")


# -- rendering ---------------------------------------------------------------------------------------
def reflection_paths(room: Room, position_m, min_distance_m: float = 0.25):
    """Directions ``(R, 3)``, amplitudes ``(R,)`` (1/r and wall absorption) and delays after the direct
    sound ``(R,)`` in seconds, for a source at ``position_m`` in the listener frame."""
    pos = np.asarray(position_m, dtype=float)
    direct = max(float(np.linalg.norm(pos)), 1e-6)
    images, extra = room.reflections(pos)
    path = images.distances_m.reshape(-1) + extra
    amplitude = images.gains / np.maximum(path, min_distance_m)
    delay = np.maximum(path - direct, 0.0) / SPEED_OF_SOUND_M_S
    keep = delay <= MAX_REFLECTION_DELAY_S
    return images.directions.reshape(-1, 3)[keep], amplitude[keep], delay[keep]


def room_response(
    position_m,
    room: Room,
    sr: int,
    fmt: str = "5.1",
    *,
    panning_law: str = "vbip",
    hrtf: HRTF | None = None,
    min_distance_m: float = 0.25,
    direct_delay_s: float = 0.0,
    tail: bool = True,
) -> np.ndarray:
    """What the room adds to a unit impulse from ``position_m``: ``(channels, taps)`` in the format's
    channel order (the direct sound, at ``direct_delay_s``, is not included; the LFE row is zero).

    Examples
    --------
    >>> h = room_response([3.0, 0.0, 0.0], Room("indoor", (5.0, 6.0, 2.8)), 48000, "foa")
    >>> h.shape[0], bool(np.abs(h).max() > 0)
    (4, True)
    """
    fmt_ = get_format(fmt)
    rows, filters = _reflection_firs(
        [np.asarray(position_m, dtype=float)],
        room,
        sr,
        fmt_,
        panning_law,
        hrtf,
        min_distance_m,
        direct_delay_s,
    )
    out = np.zeros((fmt_.n_channels, filters.shape[-1]), dtype=np.float32)
    out[rows] = filters[0]
    if tail and room.kind == "indoor":
        t = _tail_filters(room, sr, fmt_, hrtf)
        if t.shape[-1] > out.shape[-1]:
            out = np.pad(out, ((0, 0), (0, t.shape[-1] - out.shape[-1])))
        out[rows, : t.shape[-1]] += t
    return out


def _output_rows(fmt) -> list[int]:
    if fmt.binaural or fmt.is_ambisonic:
        return list(range(fmt.n_channels))
    from .layouts import get_layout

    return list(get_layout(fmt.name).speaker_channels)


def _reflection_firs(positions, room, sr, fmt, panning_law, hrtf, min_distance_m, direct_delay_s):
    """Per source one FIR per output row: ``rows`` and filters ``(K, len(rows), taps)`` (float32)."""
    rows = _output_rows(fmt)
    paths = [reflection_paths(room, p, min_distance_m) for p in positions]
    if fmt.binaural:
        if hrtf is None:
            raise See2SoundError(
                "binaural rendering with a room needs an HRTF (see2sound.pipeline.hrtf.load_hrtf)"
            )
        shifts = [(np.asarray(d) + direct_delay_s) * sr for _, _, d in paths]
        taps = hrtf.filter_length + 16
    else:
        shifts = [np.rint((np.asarray(d) + direct_delay_s) * sr).astype(np.int64) for _, _, d in paths]
        taps = 1
    longest = max((float(np.max(s)) for s in shifts if len(s)), default=0.0)
    length = int(np.ceil(longest)) + taps + 1
    firs = np.zeros((len(positions), len(rows), length), dtype=np.float32)
    if fmt.binaural:
        from .hrtf import delayed_filters

        for k, ((dirs, amp, _), shift) in enumerate(zip(paths, shifts, strict=True)):
            if len(amp) == 0:
                continue
            mp, onset = hrtf.filters_at(dirs)
            placed = delayed_filters(
                (mp * amp[:, None, None]).astype(np.float32), onset + shift[:, None], length
            )
            firs[k] = placed.sum(axis=0)
        return rows, firs
    if fmt.is_ambisonic:
        from .ambisonics import sh_sn3d

        def gains(dirs):
            return sh_sn3d(fmt.ambisonic_order, dirs)
    else:
        from .panning import Panner

        panner = Panner(fmt.name, panning_law)
        gains = panner.gains
    for k, ((dirs, amp, _), shift) in enumerate(zip(paths, shifts, strict=True)):
        if len(amp) == 0:
            continue
        g = gains(dirs) * amp[:, None]  # (R, rows)
        for c in range(len(rows)):
            np.add.at(firs[k, c], shift, g[:, c].astype(np.float32))
    return rows, firs


def _tail_filters(room: Room, sr: int, fmt, hrtf) -> np.ndarray:
    """The late tail's impulse responses ``(len(rows), taps)`` for one unit source."""
    rt60, energy, onset = (
        min(room.rt60_s, MAX_TAIL_S * 60.0 / 70.0),
        room.reverberant_energy,
        room.mixing_time_s,
    )
    fade = max(0.005, 0.5 * onset)
    if fmt.binaural:
        from scipy.signal import fftconvolve

        from .hrtf import delayed_filters, fibonacci_directions

        dirs = fibonacci_directions(TAIL_DIRECTIONS)
        noise = diffuse_tail(TAIL_DIRECTIONS, sr, rt60, energy, onset, room.seed, fade)
        mp, onset_samples = hrtf.filters_at(dirs)
        h = delayed_filters(mp, onset_samples, hrtf.filter_length + 16)  # (D, 2, taps)
        return fftconvolve(noise[:, None, :], h, axes=-1).sum(axis=0).astype(np.float32)
    if fmt.is_ambisonic:
        from .ambisonics import acn_degree_index

        n = fmt.n_channels
        noise = diffuse_tail(n, sr, rt60, energy * n, onset, room.seed, fade)  # each channel: energy
        degree = np.array([acn_degree_index(a)[0] for a in range(n)])
        return (noise / np.sqrt(2 * degree + 1)[:, None]).astype(np.float32)
    return diffuse_tail(len(_output_rows(fmt)), sr, rt60, energy, onset, room.seed, fade).astype(np.float32)


def convolve_sum(
    signals: np.ndarray, filters: np.ndarray, n: int | None = None, schedule: list | None = None
) -> np.ndarray:
    """``y[c] = Σ_k signals[k] ∗ filters[k, c]``, cut to ``n`` samples (default: the signals' length).

    Overlap-add with FFTs of about four times the filter length: one forward FFT per source and block, one
    inverse FFT per output channel and block, the sum over sources done on the spectra (float32).

    Parameters
    ----------
    signals : ndarray, shape (K, n)
    filters : ndarray, shape (K, C, taps) or (q, C, taps) with ``schedule``
    schedule : list of (ndarray, ndarray), optional
        Time-varying filters: per source the filter indices ``(p,)`` and the sample times ``(p,)`` from
        which each applies; each block of input is filtered by the filter in force at its centre (the
        filter switches between input blocks, so the output has no discontinuity of its own).

    Returns
    -------
    ndarray, shape (C, n)
    """
    signals = np.asarray(signals, dtype=np.float32)
    k, n_sig = signals.shape
    n = n_sig if n is None else int(n)
    _, n_ch, taps = filters.shape
    n_fft = int(max(1024, 2 ** math.ceil(math.log2(4 * taps))))
    usable_len = n_fft - taps + 1  # the longest input segment one FFT convolves without wrapping
    varying = schedule is not None and any(len(indices) > 1 for indices, _ in schedule)
    # time-varying filters: input segments overlap by `fade` under raised-cosine windows that sum to
    # one, so each output sample blends the two neighbouring filters (as in binaural._render_moving)
    fade = usable_len // 5 if varying else 0
    block = usable_len - fade
    seg_len = block + fade
    window = np.ones(seg_len, dtype=np.float32)
    if fade:
        rise = np.sin(0.5 * np.pi * (np.arange(fade) + 0.5) / fade) ** 2
        window[:fade], window[-fade:] = rise, rise[::-1]
    n_blocks = max(1, -(-(n + fade) // block))
    h_spec = sp_fft.rfft(np.asarray(filters, dtype=np.float32), n_fft, axis=-1)  # (q, C, F)
    if schedule is None:
        which = np.repeat(np.arange(k)[:, None], n_blocks, axis=1)
    else:
        centres = np.arange(n_blocks) * block - fade + seg_len / 2
        which = np.empty((k, n_blocks), dtype=np.int64)
        for j, (indices, times) in enumerate(schedule):
            at = np.clip(np.searchsorted(np.asarray(times), centres, side="right") - 1, 0, None)
            which[j] = np.asarray(indices)[at]
    out = np.zeros((n_ch, (n_blocks + 2) * block + n_fft), dtype=np.float32)
    usable = min(n, n_sig)
    # blocks per chunk: the sources' spectra of one chunk (K × blocks × n_fft/2 complex) within ~8 MiB,
    # so the multiply-add over sources works in cache (32 blocks of 16 sources at n_fft 16 384 were 33 MiB)
    chunk_blocks = max(2, min(_CHUNK_BLOCKS, (8 << 20) // (k * n_fft * 4)))
    frames = np.zeros((k, min(chunk_blocks, n_blocks), n_fft), dtype=np.float32)  # zero-padded segments
    for b0 in range(0, n_blocks, chunk_blocks):
        b1 = min(n_blocks, b0 + chunk_blocks)
        nb = b1 - b0
        # segment b covers signal samples [b·block − fade, b·block + block)
        lo, hi = b0 * block - fade, b1 * block
        if lo >= 0 and hi <= usable:  # inside the signal: window it where it lies
            chunk = signals[:, lo:hi]
        else:
            chunk = np.zeros((k, hi - lo), dtype=np.float32)
            s0, s1 = max(lo, 0), min(hi, usable)
            if s1 > s0:
                chunk[:, s0 - lo : s1 - lo] = signals[:, s0:s1]
        segments = np.lib.stride_tricks.sliding_window_view(chunk, seg_len, axis=-1)[:, ::block][:, :nb]
        if fade:
            np.multiply(segments, window, out=frames[:, :nb, :seg_len])
        else:
            frames[:, :nb, :seg_len] = segments
        spec = sp_fft.rfft(frames[:, :nb], axis=-1, workers=_WORKERS)  # (K, B, F)
        y_spec = np.zeros((n_ch, nb, spec.shape[-1]), dtype=spec.dtype)  # the sum over sources, on spectra
        product = np.empty_like(y_spec)
        for j in range(k):
            used = which[j, b0:b1]
            # runs of segments that share a filter (a moving source switches filters now and then)
            cuts = [0, *(np.flatnonzero(used[1:] != used[:-1]) + 1).tolist(), nb]
            for a, b in zip(cuts[:-1], cuts[1:], strict=True):
                np.multiply(h_spec[used[a]][:, None, :], spec[j, a:b], out=product[:, a:b])
            y_spec += product
        y = sp_fft.irfft(y_spec, n_fft, axis=-1, workers=_WORKERS)  # (C, B, n_fft)
        # segment b's output starts at b·block (in signal samples shifted by `fade`)
        for part in range(0, n_fft, block):
            piece = y[:, :, part : part + block]
            view = out[:, b0 * block + part : b1 * block + part].reshape(n_ch, nb, block)
            view[:, :, : piece.shape[-1]] += piece
    return out[:, fade : fade + n]


def _positions(direction, distance) -> np.ndarray:
    """Source positions ``(m, 3)`` (listener frame) at the control points, or ``(1, 3)`` for a fixed one."""
    d = np.asarray(direction, dtype=float).reshape(-1, 3)
    d = d / np.linalg.norm(d, axis=-1, keepdims=True)
    r = np.asarray(distance, dtype=float).reshape(-1)
    m = max(len(d), len(r))
    return np.broadcast_to(d, (m, 3)) * np.broadcast_to(r, (m,))[:, None]


def _shift_firs(firs: np.ndarray, shifts_samples) -> np.ndarray:
    """Delay each FIR ``(K, C, taps)`` by a whole number of samples (lengthened to fit)."""
    shifts = [int(round(s)) for s in shifts_samples]
    out = np.zeros(firs.shape[:2] + (firs.shape[-1] + max(shifts),), dtype=firs.dtype)
    for k, s in enumerate(shifts):
        out[k, :, s : s + firs.shape[-1]] = firs[k]
    return out


def _reflection_keys(path, mean, hop, n, sr):
    """Positions at which a source's reflections are computed, and the sample time each applies from.

    A source that strays less than ``MOVING_SPREAD_M`` from its mean position has one, the mean. A
    moving one has a key every ``MOVING_KEY_S`` at the mean of that stretch of its path, kept only when
    it has moved ``MOVING_UPDATE_M`` since the last kept key.
    """
    if len(path) < 2 or np.max(np.linalg.norm(path - mean, axis=1)) <= MOVING_SPREAD_M:
        return [mean], np.array([0.0])
    step = max(hop, int(round(MOVING_KEY_S * sr)))
    starts = np.arange(0, n, step)
    group = np.minimum(np.arange(len(path)) * hop // step, len(starts) - 1)  # control points per stretch
    sums = np.zeros((len(starts), 3))
    np.add.at(sums, group, path)
    counts = np.bincount(group, minlength=len(starts))[:, None]
    nearest = path[np.minimum(starts // hop, len(path) - 1)]
    means = np.where(counts > 0, sums / np.maximum(counts, 1), nearest)
    keys, times = [], []
    for t0, p in zip(starts, means, strict=True):
        if not keys or np.linalg.norm(p - keys[-1]) >= MOVING_UPDATE_M:
            keys.append(p)
            times.append(float(t0))
    return keys, np.array(times)


def render_room(
    signals,
    directions,
    distances_m,
    sr: int,
    options: Any,
    room: Room | None,
    hrtf: HRTF | None = None,
) -> np.ndarray:
    """What ``room`` adds to the free-field render of the same sources: reflections and tail.

    Parameters
    ----------
    signals, directions, distances_m, sr
        As for :func:`see2sound.spatial.render.render_sources`: mono ``(n,)`` signals (gain applied,
        *before* air absorption and propagation delay), per source a unit vector ``(3,)`` or ``(m, 3)``
        at control points, and a distance or ``(m,)`` distances.
    options : RenderOptions
        Uses ``format``, ``panning_law``, ``min_distance_m`` and ``propagation_delay``.
    room : Room or None
        ``None`` returns zeros (free field).
    hrtf : HRTF, optional
        Needed for ``binaural``: the one the direct sound uses.

    Returns
    -------
    ndarray, shape (channels, n)
        float32, channels in the format's file order, the LFE row zero. Add it to the direct render.
    """
    fmt = get_format(options.format)
    signals = [np.asarray(s) for s in signals]
    if not signals:
        raise See2SoundError("nothing to render: the scene has no source with audio")
    n = int(signals[0].shape[-1])
    out = np.zeros((fmt.n_channels, n), dtype=np.float32)
    if room is None:
        return out
    if not isinstance(room, Room):
        raise See2SoundError(f"room must be a Room (see parse_room), got {type(room).__name__}")
    stacked = np.stack([s.astype(np.float32, copy=False).reshape(-1) for s in signals])
    paths = [_positions(d, r) for d, r in zip(directions, distances_m, strict=True)]
    positions = [p.mean(axis=0) for p in paths]
    min_distance = float(getattr(options, "min_distance_m", 0.25))
    law = getattr(options, "panning_law", "vbip")
    delayed = bool(getattr(options, "propagation_delay", False))
    hop = int(getattr(options, "hop", 128))
    all_positions: list[np.ndarray] = []
    schedule = []
    for k, path in enumerate(paths):
        keys, times = _reflection_keys(path, positions[k], hop, n, sr)
        schedule.append((np.arange(len(keys)) + len(all_positions), times))
        all_positions.extend(keys)
    rows, firs = _reflection_firs(all_positions, room, sr, fmt, law, hrtf, min_distance, 0.0)
    if delayed:  # reflections follow the delayed direct sound
        firs = _shift_firs(firs, [np.linalg.norm(p) / SPEED_OF_SOUND_M_S * sr for p in all_positions])
    if np.any(firs):
        out[rows] += convolve_sum(stacked, firs, n, schedule)
    if room.kind == "indoor":
        tail = _tail_filters(room, sr, fmt, hrtf)
        if delayed:
            lead = int(round(np.mean([np.linalg.norm(p) for p in positions]) / SPEED_OF_SOUND_M_S * sr))
            tail = np.pad(tail, ((0, 0), (lead, 0)))
        out[rows] += convolve_sum(stacked.sum(axis=0, keepdims=True), tail[None], n)
    return out


__all__ = [
    "ROOM_KINDS",
    "Room",
    "convolve_sum",
    "parse_room",
    "reflection_paths",
    "render_room",
    "resolve_room",
    "room_response",
]
