"""The room's part of a render: early reflections and a diffuse late tail, added to the direct sound.

:func:`render_room` returns *only* what the room adds; the caller adds it to the free-field render of
:func:`see2sound.spatial.render.render_sources` (same signals, directions and distances). Per source:

* **Early reflections** of the image-source model (:func:`see2sound.spatial.room.image_sources`, order
  ≤ 3, absorption from the room's material), each rendered from its own direction through the same path
  as the direct sound: VBIP/VBAP gains for loudspeakers, SN3D spherical harmonics for AmbiX, the HRTF
  for binaural. Each reflection has the 1/r gain of its path and arrives ``(r_image − r_direct)/c``
  after the direct sound (``r_image/c`` after emission when the render applies propagation delays).
  They are gathered into one sparse FIR per output channel (``Σ gain·pan(dir)·δ(t − τ)``, or the sum
  of delayed HRIRs) and applied with one block FFT convolution for all sources
  (:func:`convolve_sum`): one forward FFT per source and block, the sum over sources on the spectra,
  one inverse FFT per output channel and block, at the FFT size of least work (filters of a few
  taps, such as the ground reflection outdoors, go through a time-domain matrix product instead).
* **Moving sources**: the reflections follow the source. Its path is cut into 0.1 s stretches; a new
  FIR is made at the mean position of a stretch once the source has moved 0.1 m since the last one,
  and the input cross-fades from the old FIR to the new one over 50 ms (raised cosine, centred on the
  start of that stretch), so the reflections glide without clicks. A source that strays less than
  0.5 m from its mean position keeps one FIR, at that mean.
* A source beyond the room's walls (a room given by hand that is smaller than the scene) is heard
  through the wall point on its line of sight: its reflections are computed from that point and
  delayed and attenuated by the rest of its path, so they never precede or outweigh the direct sound.
* **The late tail** (indoors only) is one decaying noise per output channel, decorrelated, with the RT60
  of Eyring's formula and the diffuse-field level ``16π/R`` of the room
  (:func:`~see2sound.spatial.room.reverberant_energy`), applied to the dry mix of every source. It
  starts at about two mean free paths, where order-3 reflections thin out. Loudspeakers get one
  independent noise each, with the share of the energy that an isotropic field panned through the
  same layout and law gives them (:func:`~see2sound.spatial.panning.isotropic_energies`), so the tail's
  energy vector is that of an isotropic field (not pulled towards where loudspeakers crowd); AmbiX
  channels one each, at the energy of an isotropic field (``1/(2l+1)`` of W in SN3D); binaural gets the
  sum of independent noises from 32 directions through the HRTF, which gives the ears the coherence
  and colour of a diffuse field. The LFE gets nothing.
* **Outdoors** there is only the ground reflection (the listener's ears 1.6 m above the ground), no
  tail.

The direct-to-reverberant ratio therefore follows the room: a source at the critical distance
``√(R/16π)`` has about as much reverberant as direct energy, a nearer one more direct.

Sample ``t`` of the output depends on the inputs from ``t − response_length_s(room, sr)·sr`` to ``t``
only, and the tail on ``Room.seed`` only: a long scene rendered in segments, each with that much
pre-roll, gives what one render of the whole gives (exactly for fixed sources, up to float rounding;
a moving source's reflection keys restart at each segment's start). The FFTs run on the threads of
``scipy.fft.set_workers`` (one unless the caller asks for more).
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
MAX_REFLECTION_DELAY_S = 0.3  # later reflections are left to the tail (bounds the FIR length)
MAX_TAIL_S = 12.0  # the tail's impulse response is cut here (RT60 up to about 10 s)
MOVING_SPREAD_M = 0.5  # a source that strays less than this from its mean position keeps one FIR
MOVING_KEY_S = 0.1  # otherwise its reflections are recomputed on this grid ...
MOVING_UPDATE_M = 0.1  # ... when it has moved this far
MOVING_FADE_S = 0.05  # and the reflections cross-fade from one set to the next in this time
_MAX_FFT = 1 << 18  # the longest FFT convolve_sum plans for (unless the filters are longer)
_FFT_NS_PER_POINT_LOG2 = 0.17  # cost model of convolve_sum (ns, one core): a float32 FFT per point·log2(size)
_MAC_NS = 0.9  # ... a complex multiply-add of spectra
_COPY_NS = 0.5  # time-domain convolution of sparse filters: a delayed copy per sample and tap ...
_GEMM_NS = 0.1  # ... and its multiply-add per output channel
_SPARSE_BLOCK = 1 << 15  # samples per block of that convolution


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
        the distance it was moved (added to every reflection's path by the caller). ``position_m`` may
        also be ``(P, 3)`` positions: then the image sources are ``(P, r, 3)`` and the lengths ``(P,)``.
        """
        pos = np.asarray(position_m, dtype=float)
        lis = self.listener_xyz_m
        if self.kind == "outdoor":
            src = lis + pos
            src[..., 2] = np.maximum(src[..., 2], WALL_MARGIN_M)  # a source cannot sit below the ground
            return ground_reflection(src, lis, self.material), (0.0 if pos.ndim == 1 else np.zeros(len(pos)))
        size = self.size_xyz_m
        lo, hi = np.full(3, WALL_MARGIN_M), size - WALL_MARGIN_M
        lis_in = np.clip(lis, lo, hi)
        # the largest t ≤ 1 with lis + t·pos inside the room
        with np.errstate(divide="ignore", invalid="ignore"):
            limit = np.where(
                pos > 1e-12, (hi - lis_in) / pos, np.where(pos < -1e-12, (lo - lis_in) / pos, 1.0)
            )
        t = np.clip(np.min(limit, axis=-1, initial=1.0), 0.0, None)
        src = np.clip(lis_in + t[..., None] * pos, 0.0, size)
        extra = np.linalg.norm(pos, axis=-1) * (1.0 - t)
        images = image_sources(src, lis, size, self.material, int(self.max_order))
        return images, (float(extra) if pos.ndim == 1 else extra)

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
    return _reflection_paths(room, np.reshape(np.asarray(position_m, dtype=float), (1, 3)), min_distance_m)[0]


def _reflection_paths(room: Room, positions: np.ndarray, min_distance_m: float) -> list:
    """:func:`reflection_paths` of ``(P, 3)`` positions at once: a list of P triples."""
    direct = np.maximum(np.linalg.norm(positions, axis=-1), 1e-6)
    images, extra = room.reflections(positions)
    path = images.distances_m + extra[:, None]  # (P, R)
    amplitude = images.gains / np.maximum(path, min_distance_m)
    delay = np.maximum(path - direct[:, None], 0.0) / SPEED_OF_SOUND_M_S
    keep = delay <= MAX_REFLECTION_DELAY_S
    directions = images.directions
    return [(directions[p][keep[p]], amplitude[p][keep[p]], delay[p][keep[p]]) for p in range(len(positions))]


def response_length_s(room: Room | None, sr: int, *, hrtf: HRTF | None = None) -> float:
    """The longest time after an input sample during which :func:`render_room` still adds sound for it.

    The later of the last reflection (for any source position: at most ``MAX_REFLECTION_DELAY_S``,
    and never later than the farthest order-``max_order`` image source of this room allows, or twice
    the ears' height over the ground outdoors) and the end of this room's tail (its mixing time plus
    the decay to −70 dB at its RT60), in whole samples at ``sr``, plus the HRIR's length when ``hrtf``
    is given (binaural). A renderer that cuts a long scene into segments gets exact results from a
    pre-roll this long. Propagation delays (``--propagation-delay``) come on top: add the farthest
    source's ``r / c``. ``None`` (free field) gives 0.

    Examples
    --------
    >>> room = Room("indoor", (6.0, 8.0, 3.0), "furnished")
    >>> round(response_length_s(room, 48000), 3) > room.rt60_s
    True
    """
    if room is None:
        return 0.0
    taps = (hrtf.filter_length + 16) if hrtf is not None else 1  # what _reflection_firs adds per path
    lis = room.listener_xyz_m
    if room.kind == "outdoor":
        farthest_m = 2.0 * float(lis[2])  # the ground image is at most 2·h farther than the source
    else:
        orders = np.array(
            [
                (i, j, k)
                for i in range(-room.max_order, room.max_order + 1)
                for j in range(-room.max_order, room.max_order + 1)
                for k in range(-room.max_order, room.max_order + 1)
                if abs(i) + abs(j) + abs(k) <= room.max_order
            ]
        )
        farthest_m = float(np.max(np.linalg.norm((np.abs(orders) + 1) * room.size_xyz_m, axis=1)))
    delay_s = min(MAX_REFLECTION_DELAY_S, farthest_m / SPEED_OF_SOUND_M_S)
    samples = math.ceil(delay_s * sr) + taps + 1 if room.max_order > 0 or room.kind == "outdoor" else 0
    if room.kind == "indoor":
        rt60 = min(room.rt60_s, MAX_TAIL_S * 60.0 / 70.0)
        tail = math.ceil((room.mixing_time_s + rt60 * 70.0 / 60.0) * sr) + taps - 1
        samples = max(samples, tail)
    return samples / float(sr)


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
        t = _tail_filters(room, sr, fmt_, hrtf, panning_law)
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
    paths = _reflection_paths(room, np.reshape(np.asarray(positions, dtype=float), (-1, 3)), min_distance_m)
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
    counts = [len(amp) for _, amp, _ in paths]
    if sum(counts) == 0:
        return rows, firs
    dirs = np.concatenate([d for d, _, _ in paths])
    g = gains(dirs) * np.concatenate([a for _, a, _ in paths])[:, None]  # (all reflections, rows)
    source = np.repeat(np.arange(len(paths)), counts)
    at = ((source * len(rows))[:, None] + np.arange(len(rows))) * length + np.concatenate(shifts)[:, None]
    firs += (
        np.bincount(at.ravel(), weights=g.ravel(), minlength=firs.size).reshape(firs.shape).astype(np.float32)
    )
    return rows, firs


def _tail_filters(room: Room, sr: int, fmt, hrtf, panning_law: str = "vbip") -> np.ndarray:
    """The late tail's impulse responses ``(len(rows), taps)`` for one unit source."""
    rt60, energy, onset = (
        min(room.rt60_s, MAX_TAIL_S * 60.0 / 70.0),
        room.reverberant_energy,
        room.mixing_time_s,
    )
    fade = max(0.005, 0.5 * onset)
    if fmt.binaural:
        from .hrtf import delayed_filters, fibonacci_directions

        dirs = fibonacci_directions(TAIL_DIRECTIONS)
        noise = diffuse_tail(TAIL_DIRECTIONS, sr, rt60, energy, onset, room.seed, fade)
        mp, onset_samples = hrtf.filters_at(dirs)
        h = delayed_filters(mp, onset_samples, hrtf.filter_length + 16)  # (D, 2, taps)
        # Σ_d noise_d * h_d: summed over the directions in the frequency domain, one inverse FFT per ear
        length = noise.shape[-1] + h.shape[-1] - 1
        n_fft = sp_fft.next_fast_len(length, real=True)
        spectrum = np.einsum("df,dcf->cf", sp_fft.rfft(noise, n_fft, axis=-1), sp_fft.rfft(h, n_fft, axis=-1))
        return sp_fft.irfft(spectrum, n_fft, axis=-1)[:, :length].astype(np.float32)
    if fmt.is_ambisonic:
        from .ambisonics import acn_degree_index

        n = fmt.n_channels
        noise = diffuse_tail(n, sr, rt60, energy * n, onset, room.seed, fade)  # each channel: energy
        degree = np.array([acn_degree_index(a)[0] for a in range(n)])
        return (noise / np.sqrt(2 * degree + 1)[:, None]).astype(np.float32)
    from .panning import isotropic_energies

    # each loudspeaker gets the share an isotropic field through the same panner gives it
    shares = isotropic_energies(fmt.name, panning_law)
    noise = diffuse_tail(len(shares), sr, rt60, energy * len(shares), onset, room.seed, fade)  # each: energy
    return (noise * np.sqrt(shares)[:, None]).astype(np.float32)


def convolve_sum(
    signals,
    filters: np.ndarray,
    n: int | None = None,
    schedule: list | None = None,
    fade: int | None = None,
    out: np.ndarray | None = None,
) -> np.ndarray:
    """``y[c] = Σ_k signals[k] ∗ filters[k, c]``, cut to ``n`` samples (default: the signals' length).

    Overlap-add FFT convolution in float32 that shares the work between sources: one forward FFT per
    source and block, the sum over sources done on the spectra, one inverse FFT per output channel and
    block. The FFT size is the one of least work (:func:`convolution_plan`).

    Parameters
    ----------
    signals : ndarray, shape (K, n), or a sequence of K arrays of n samples
    filters : ndarray, shape (K, C, taps) or (q, C, taps) with ``schedule``
    schedule : list of (ndarray, ndarray), optional
        Time-varying filters: per source the filter indices ``(p,)`` and the sample times ``(p,)`` from
        which each applies. Around each switch the input is split between the old and the new filter
        under raised-cosine cross-fades that sum to one (``fade`` samples long, at most half the time
        between switches), so the output glides from one filter to the next without a discontinuity.
    fade : int, optional
        Length of those cross-fades in samples (default: the filters' length, at least 256).
    out : ndarray, shape (C, n), optional
        float32 array to add the result to (and return).

    Returns
    -------
    ndarray, shape (C, n)
    """
    signals = [np.asarray(s, dtype=np.float32).reshape(-1) for s in signals]
    filters = np.asarray(filters, dtype=np.float32)
    k = len(signals)
    n_sig = len(signals[0]) if k else 0
    n = n_sig if n is None else int(n)
    n_ch = filters.shape[1]
    if out is None:
        out = np.zeros((n_ch, n), dtype=np.float32)
    if schedule is None:
        schedule = [(np.array([j]), np.array([0.0])) for j in range(k)]
    keys = [_switches(indices, times) for indices, times in schedule]  # per source: filters, switch times
    used = np.unique(np.concatenate([q for q, _ in keys])) if k else np.zeros(0, dtype=np.int64)
    nonzero = np.flatnonzero(np.any(filters[used] != 0, axis=(0, 1))) if len(used) else []
    if len(nonzero) == 0 or n == 0:
        return out
    lead = int(nonzero[0])  # the filters' common leading zeros only delay the output
    taps = int(nonzero[-1]) + 1 - lead
    length = min(n_sig, n - lead)  # the input samples that reach the output
    if length <= 0:
        return out
    half = 0.5 * (max(256, filters.shape[-1]) if fade is None else max(1, int(fade)))
    halves = [max(0.5, min(half, 0.5 * float(np.min(np.diff(s))))) if len(s) > 1 else half for _, s in keys]
    changes = sum(len(s) for _, s in keys)
    n_fft, fft_work = convolution_plan(taps, length, k, n_ch, changes, len(used))
    support = {int(q): np.flatnonzero(np.any(filters[q] != 0, axis=0)) for q in used}
    rows = sum(max(len(support[int(i)]) for i in q) for q, _ in keys)  # delayed copies at a time
    if rows * length * (_COPY_NS + n_ch * _GEMM_NS) < fft_work:  # a few taps (the ground reflection)
        return _convolve_sparse(signals, filters, n, keys, halves, support, out)
    block = n_fft - taps + 1
    n_blocks = -(-length // block)
    starts = np.arange(n_blocks + 1) * block
    # per source and block: the filter in force at the block's end (the "main" one, applied to the
    # whole block) and the keys whose cross-fade weight is non-zero in the block before it
    main, first = [], []
    for (_, s), h in zip(keys, halves, strict=True):
        main.append(np.searchsorted(s - h, starts[1:], side="left"))  # key index at each block's end
        first.append(np.searchsorted(s + h, starts[:-1], side="right"))  # first key still active
    cache: dict[int, np.ndarray] = {}  # filter spectra in use
    chunk_blocks = int(max(1, min(n_blocks, (16 << 20) // ((k + 2 * n_ch + 2) * n_fft * 4))))
    frames = np.zeros((k, chunk_blocks, n_fft), dtype=np.float32)
    for b0 in range(0, n_blocks, chunk_blocks):
        nb = min(chunk_blocks, n_blocks - b0)
        lo, hi = b0 * block, min((b0 + nb) * block, length)
        full = (hi - lo) // block
        for j, signal in enumerate(signals):
            view = frames[j, :nb, :block]
            view[:full] = signal[lo : lo + full * block].reshape(full, block)
            if full < nb:
                rest = signal[lo + full * block : hi]
                view[full, : len(rest)] = rest
                view[full, len(rest) :] = 0.0
        # the cross-fade pieces: (source, block in chunk, key) of every key active before the main one
        pieces = [
            (j, b, i)
            for j in range(k)
            if len(keys[j][1])
            for b in range(nb)
            for i in range(first[j][b0 + b], main[j][b0 + b])
        ]
        needed = {int(keys[j][0][i]) for j, b, i in pieces}
        needed.update(int(keys[j][0][main[j][b0 + b]]) for j in range(k) for b in range(nb))
        missing = sorted(needed - cache.keys())
        if missing:
            spectra = sp_fft.rfft(filters[missing, :, lead : lead + taps], n_fft, axis=-1)
            cache.update(zip(missing, spectra, strict=True))
        for q in set(cache) - needed:
            del cache[q]
        spec = sp_fft.rfft(frames[:, :nb], axis=-1)  # (K, B, F)
        y_spec = np.empty((n_ch, nb, spec.shape[-1]), dtype=spec.dtype)  # the sum over sources, on spectra
        product = np.empty_like(y_spec) if k > 1 else y_spec
        for j in range(k):
            target = y_spec if j == 0 else product
            used_q = keys[j][0][main[j][b0 : b0 + nb]]
            cuts = [0, *(np.flatnonzero(used_q[1:] != used_q[:-1]) + 1).tolist(), nb]
            for a, b in zip(cuts[:-1], cuts[1:], strict=True):
                np.multiply(cache[int(used_q[a])][:, None, :], spec[j, a:b], out=target[:, a:b])
            if j:
                y_spec += product
        if pieces:
            # x·w_i filtered by H_i instead of H_main: add (H_i − H_main)·FFT(x·w_i)
            weighted = np.empty((len(pieces), n_fft), dtype=np.float32)
            for p, (j, b, i) in enumerate(pieces):
                s, h, t0 = keys[j][1], halves[j], int(starts[b0 + b])
                w = _step(block, t0, s[i - 1], h) if i > 0 else np.ones(block, dtype=np.float32)
                w -= _step(block, t0, s[i], h)  # key i's weight: up at its switch, down at the next
                np.multiply(frames[j, b, :block], w, out=weighted[p, :block])
                weighted[p, block:] = 0.0
            extra = sp_fft.rfft(weighted, axis=-1)
            for p, (j, b, i) in enumerate(pieces):
                q, q_main = int(keys[j][0][i]), int(keys[j][0][main[j][b0 + b]])
                y_spec[:, b] += (cache[q] - cache[q_main]) * extra[p]
        y = sp_fft.irfft(y_spec, n_fft, axis=-1)  # (C, B, n_fft)
        for part in range(0, n_fft, block):  # block b's output starts at lead + b·block
            piece = y[:, :, part : part + block]
            at = lead + b0 * block + part
            if at + nb * block <= n:
                view = out[:, at : at + nb * block].reshape(n_ch, nb, block)
                view[:, :, : piece.shape[-1]] += piece
                continue
            for b in range(nb):  # the end of the output: cut
                a = at + b * block
                if a < n:
                    out[:, a : min(n, a + piece.shape[-1])] += piece[:, b, : n - a]
    return out


def _convolve_sparse(signals, filters, n, keys, halves, support, out) -> np.ndarray:
    """:func:`convolve_sum` for filters of a few taps, in the time domain: per block the delayed copies
    of the inputs (cross-faded where a source's filter switches) times the taps' gains, one matrix
    product ``(C × rows) @ (rows × block)``."""
    n_sig = len(signals[0])
    block = _SPARSE_BLOCK
    reach = max(int(t[-1]) for t in support.values() if len(t))  # the longest delay
    n_blocks = -(-n // block)
    ends = np.minimum(np.arange(1, n_blocks + 1) * block, n)
    main, first = [], []  # per source and block: the keys in force over its inputs
    for (_, s), h in zip(keys, halves, strict=True):
        main.append(np.searchsorted(s - h, ends, side="left"))
        first.append(np.searchsorted(s + h, ends - block - reach, side="right"))
    for b in range(n_blocks):
        t0, t1 = b * block, int(ends[b])
        copies = []  # (source, key, filter, tap): the input delayed by tap, under the key's weight
        for j, (q, _) in enumerate(keys):
            for i in range(first[j][b], main[j][b] + 1):
                copies.extend((j, i, int(q[i]), int(tap)) for tap in support[int(q[i])])
        if not copies:
            continue
        delayed = np.zeros((len(copies), t1 - t0), dtype=np.float32)
        gains = np.empty((filters.shape[1], len(copies)), dtype=np.float32)
        for r, (j, i, q, tap) in enumerate(copies):
            a0, a1 = max(t0 - tap, 0), min(t1 - tap, n_sig)  # the input samples that land in the block
            if a1 > a0:
                delayed[r, a0 - (t0 - tap) : a1 - (t0 - tap)] = signals[j][a0:a1]
            if first[j][b] != main[j][b]:
                # key i's weight at the input times: up at its switch, down at the next
                s, h = keys[j][1], halves[j]
                w = _step(t1 - t0, t0 - tap, s[i - 1], h) if i > 0 else np.ones(t1 - t0, dtype=np.float32)
                if i < len(s):
                    w -= _step(t1 - t0, t0 - tap, s[i], h)
                delayed[r] *= w
            gains[:, r] = filters[q, :, tap]
        out[:, t0:t1] += gains @ delayed
    return out


def _switches(indices, times) -> tuple[np.ndarray, np.ndarray]:
    """A source's filter indices ``(p,)`` and the sample times ``(p − 1,)`` at which each after the
    first takes over (consecutive repeats merged)."""
    q = np.asarray(indices, dtype=np.int64).reshape(-1)
    t = np.asarray(times, dtype=np.float64).reshape(-1)
    keep = np.concatenate([[True], q[1:] != q[:-1]])
    return q[keep], t[keep][1:]


def _step(length: int, t0: int, switch: float, half: float) -> np.ndarray:
    """Samples ``t0 … t0 + length − 1`` of a raised-cosine step from 0 (``t ≤ switch − half``) to 1
    (``t ≥ switch + half``), float32."""
    r = np.zeros(length, dtype=np.float32)
    lo = min(max(math.floor(switch - half - t0) + 1, 0), length)  # first sample above 0
    hi = min(max(math.ceil(switch + half - t0), 0), length)  # first sample at 1
    r[hi:] = 1.0
    if hi > lo:
        x = (np.arange(lo, hi) + (t0 - switch + half)) / (2.0 * half)
        r[lo:hi] = np.sin(0.5 * np.pi * x) ** 2
    return r


def convolution_plan(taps: int, length: int, k: int, c: int, changes: int = 0, n_filters: int | None = None):
    """The FFT size of least work for :func:`convolve_sum` and that work (arbitrary units).

    ``k`` inputs of ``length`` samples through ``taps``-tap filters into ``c`` outputs: per block of
    ``m − taps + 1`` samples, ``k`` forward and ``c`` inverse FFTs (``∝ m·log m``) and ``k·c`` complex
    products per frequency bin; per filter switch one more forward FFT and ``2c`` products; per filter
    ``c`` FFTs of its spectrum.
    """
    n_filters = k if n_filters is None else n_filters
    whole = sp_fft.next_fast_len(length + taps - 1, real=True)
    candidates = {whole} if whole <= _MAX_FFT else set()
    for base in (1, 3, 5):
        m = base * 256
        while m <= min(_MAX_FFT, whole):
            if m >= 2 * taps:
                candidates.add(m)
            m *= 2
    if not candidates:
        candidates = {sp_fft.next_fast_len(2 * taps, real=True)}

    def work(m: int) -> float:
        fft = m * math.log2(m) * _FFT_NS_PER_POINT_LOG2
        mac = (m // 2 + 1) * _MAC_NS
        blocks = -(-length // (m - taps + 1))
        return blocks * ((k + c) * fft + k * c * mac) + changes * (fft + 2 * c * mac) + n_filters * c * fft

    best = min(sorted(candidates), key=work)
    return best, work(best)


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
    keys, times, last = [], [], None
    for t0, p in zip(starts.tolist(), means.tolist(), strict=True):
        if last is None or math.dist(p, last) >= MOVING_UPDATE_M:
            keys.append(np.array(p))
            times.append(float(t0))
            last = p
    return keys, np.array(times)


def _merge_tail(firs, tail, schedule, n, n_ch) -> bool:
    """Whether the tail costs less as one more input of the reflections' convolution than on its own."""
    changes = sum(len(indices) - 1 for indices, _ in schedule)
    k, taps = len(schedule), max(firs.shape[-1], tail.shape[-1])
    _, together = convolution_plan(taps, n, k + 1, n_ch, changes, len(firs) + 1)
    _, apart = convolution_plan(firs.shape[-1], n, k, n_ch, changes, len(firs))
    _, alone = convolution_plan(tail.shape[-1], n, 1, n_ch)
    return together <= apart + alone


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
    signals = [s.astype(np.float32, copy=False).reshape(-1) for s in signals]
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
    fade = int(round(MOVING_FADE_S * sr))
    refl = [(signals, firs, schedule)] if np.any(firs) else []
    if room.kind == "indoor":
        tail = _tail_filters(room, sr, fmt, hrtf, law)
        if delayed:
            lead = int(round(np.mean([np.linalg.norm(p) for p in positions]) / SPEED_OF_SOUND_M_S * sr))
            tail = np.pad(tail, ((0, 0), (lead, 0)))
        mix = signals[0].copy()
        for signal in signals[1:]:
            mix += signal
        tail_job = ([mix], tail[None], None)
        if refl and _merge_tail(firs, tail, schedule, n, len(rows)):
            # one convolution for both: the tail is one more input (the dry mix) with one more filter
            taps = max(firs.shape[-1], tail.shape[-1])
            merged = np.concatenate(
                [
                    np.pad(firs, ((0, 0), (0, 0), (0, taps - firs.shape[-1]))),
                    np.pad(tail, ((0, 0), (0, taps - tail.shape[-1])))[None],
                ]
            )
            refl = [([*signals, mix], merged, [*schedule, (np.array([len(firs)]), np.array([0.0]))])]
        else:
            refl.append(tail_job)
    into = out if rows == list(range(fmt.n_channels)) else np.zeros((len(rows), n), dtype=np.float32)
    for inputs, filters, plan in refl:
        convolve_sum(inputs, filters, n, plan, fade=fade, out=into)
    if into is not out:
        out[rows] = into
    return out


__all__ = [
    "ROOM_KINDS",
    "Room",
    "convolution_plan",
    "convolve_sum",
    "parse_room",
    "reflection_paths",
    "render_room",
    "resolve_room",
    "response_length_s",
    "room_response",
]
