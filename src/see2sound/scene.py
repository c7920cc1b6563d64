"""The scene file (DESIGN §3): the contract between the vision, sound and spatial stages.

A scene lists mono sources, each at a fixed ``position`` or moving along a ``trajectory``. Audio paths
are relative to the scene file. Unknown fields are kept, so later stages and users can add their own.
"""

from __future__ import annotations

import json
import math
import os
from pathlib import Path
from typing import Any, Literal

import numpy as np
from pydantic import (
    BaseModel,
    ConfigDict,
    Field,
    PrivateAttr,
    ValidationError,
    field_validator,
    model_validator,
)

from .errors import SceneError
from .fileio import atomic_output, read_text_file
from .geometry import direction_to_vector, slerp, vector_to_direction
from .log import get_logger

SCENE_VERSION = 1
# Bounds checked when a scene is read (DESIGN §3): the renderer streams in blocks, but stems, analysis
# and previews scale with the duration; six hours covers a feature film. Sound from 10 km away is
# 80 dB below its level at 1 m (and 29 s late with propagation delay): farther is a mistake.
MAX_DURATION_S = 6 * 3600.0
MAX_DISTANCE_M = 10_000.0
MAX_GAIN_DB = 100.0


def check_duration(seconds: float, what: str = "--duration") -> float:
    """``seconds`` as a float if it is a duration see2sound makes (0 < d <= 6 h); else one error line
    naming ``what``, the value and the limit."""
    try:
        value = float(seconds)
    except (TypeError, ValueError):
        raise SceneError(f"{what}: expected seconds, got {seconds!r}") from None
    if not math.isfinite(value) or value <= 0:
        raise SceneError(f"{what}: must be greater than 0 seconds, got {seconds}")
    if value > MAX_DURATION_S:
        raise SceneError(f"{what}: {value:g} s is longer than the limit of {MAX_DURATION_S:g} s (6 hours)")
    return value


def _finite(value: float) -> float:
    if value is None or not math.isfinite(value):
        raise ValueError("must be a finite number")
    return value


class Position(BaseModel):
    """A direction and distance in the listener frame: degrees and metres."""

    model_config = ConfigDict(extra="allow")

    azimuth: float
    elevation: float = 0.0
    distance: float = 1.0

    @field_validator("azimuth", "elevation", "distance")
    @classmethod
    def _check_finite(cls, v: float) -> float:
        return _finite(v)

    @field_validator("elevation")
    @classmethod
    def _check_elevation(cls, v: float) -> float:
        if not -90.0 <= v <= 90.0:
            raise ValueError("must be between -90 and 90 degrees")
        return v

    @field_validator("distance")
    @classmethod
    def _check_distance(cls, v: float) -> float:
        if v <= 0:
            raise ValueError("must be greater than 0 metres")
        if v > MAX_DISTANCE_M:
            raise ValueError(f"{v:g} m is beyond the limit of {MAX_DISTANCE_M:g} m")
        return v


class Keyframe(Position):
    """A trajectory key: a position at time ``t`` seconds."""

    t: float

    @field_validator("t")
    @classmethod
    def _check_t(cls, v: float) -> float:
        _finite(v)
        if v < 0:
            raise ValueError("must be 0 or later")
        return v


class Media(BaseModel):
    """What the scene was made from (may be absent for hand-written scenes)."""

    model_config = ConfigDict(extra="allow")

    path: str | None = None
    width: int | None = Field(default=None, gt=0)
    height: int | None = Field(default=None, gt=0)
    projection: Literal["perspective", "equirect"] = "perspective"
    hfov: float | None = Field(default=None, gt=0, le=360)


class Extent(BaseModel):
    """The angular size of a source, as ADM objects have it: ``width`` (azimuth) and ``height``
    (elevation) in degrees. 0 × 0 is a point; width 360 with height 180 surrounds the listener."""

    model_config = ConfigDict(extra="forbid")

    width: float = Field(default=0.0, ge=0.0, le=360.0)
    height: float = Field(default=0.0, ge=0.0, le=180.0)


_ANTIPODAL_COS = math.cos(math.radians(170.0))  # keys further apart than this are "opposite"


def _through_the_front(k0: Keyframe, k1: Keyframe, fraction: np.ndarray) -> np.ndarray:
    """Unit vectors from ``k0`` to ``k1`` with azimuth and elevation linear in ``fraction``; of the two
    ways round, the azimuth takes the one whose middle is nearer the front (the left one on a tie)."""
    turn = (k1.azimuth - k0.azimuth) % 360.0  # anticlockwise (leftward), or turn − 360 clockwise
    ways = [turn, turn - 360.0]
    fronts = [math.cos(math.radians(k0.azimuth + w / 2.0)) for w in ways]
    way = ways[0] if fronts[0] >= fronts[1] - 1e-9 else ways[1]
    f = np.asarray(fraction, dtype=float)
    return direction_to_vector(k0.azimuth + f * way, k0.elevation + f * (k1.elevation - k0.elevation))


class Source(BaseModel):
    """One mono sound at a fixed position or moving along a trajectory."""

    model_config = ConfigDict(extra="allow")

    id: str = Field(min_length=1)
    label: str = ""
    prompt: str | None = None
    audio: str | None = None
    gain_db: float = 0.0
    position: Position | None = None
    trajectory: list[Keyframe] | None = None
    bbox: list[Any] | None = None
    active: list[float] | None = None  # [start, end] seconds when the source is heard (it fades in/out)
    # turn 2 (DESIGN §3): the place's ambience ("bed", surrounds the listener) or a thing that sounds
    role: Literal["bed", "spot"] | None = None
    extent: Extent | None = None  # angular width/height; None = a point
    # dB SPL of the sound at REFERENCE_DISTANCE_M (see spatial.level); None = the stem's own level
    level: float | None = None
    evidence: dict[str, Any] | None = None  # why it was voiced: detector score, scene part, rule
    _warned_antipodal: bool = PrivateAttr(default=False)

    @field_validator("level")
    @classmethod
    def _check_level(cls, v: float | None) -> float | None:
        if v is None:
            return v
        _finite(v)
        if not -20.0 <= v <= 160.0:
            raise ValueError("must be between -20 and 160 dB SPL")
        return v

    @field_validator("active")
    @classmethod
    def _check_active(cls, v: list[float] | None) -> list[float] | None:
        if v is None:
            return v
        if len(v) != 2 or not all(math.isfinite(x) for x in v):
            raise ValueError("must be two finite times [start, end] in seconds")
        if not 0 <= v[0] < v[1]:
            raise ValueError(f"start must be 0 or later and before end, got {v}")
        return v

    @field_validator("gain_db")
    @classmethod
    def _check_gain(cls, v: float) -> float:
        _finite(v)
        if abs(v) > MAX_GAIN_DB:
            raise ValueError(f"{v:g} dB is outside the limit of ±{MAX_GAIN_DB:g} dB")
        return v

    @model_validator(mode="after")
    def _check_placement(self) -> Source:
        if (self.position is None) == (self.trajectory is None):
            raise ValueError("needs exactly one of 'position' or 'trajectory'")
        if self.trajectory is not None:
            if not self.trajectory:
                raise ValueError("trajectory: needs at least one key")
            times = [k.t for k in self.trajectory]
            for i in range(1, len(times)):
                if times[i] <= times[i - 1]:
                    raise ValueError(
                        f"trajectory[{i}].t: times must increase ({times[i]} after {times[i - 1]})"
                    )
        return self

    @property
    def is_moving(self) -> bool:
        return self.trajectory is not None and len(self.trajectory) > 1

    def keyframes(self) -> list[Keyframe]:
        """The source's keys; a fixed position is one key at t = 0."""
        if self.trajectory is not None:
            return list(self.trajectory)
        p = self.position
        return [Keyframe(t=0.0, azimuth=p.azimuth, elevation=p.elevation, distance=p.distance)]

    def positions_at(self, times) -> tuple[np.ndarray, np.ndarray]:
        """Unit direction vectors ``(n, 3)`` and distances ``(n,)`` at ``times`` (seconds).

        Between keys the direction follows the great circle (slerp) and the distance is linear;
        before the first and after the last key the source holds still (DESIGN §3). Two consecutive
        keys within 10° of opposite directions have no meaningful great circle (it could pass over the
        head); between them azimuth and elevation are interpolated linearly, the azimuth along the
        arc whose middle is nearer the front, and a warning is logged once per source.
        """
        t = np.atleast_1d(np.asarray(times, dtype=float))
        keys = self.keyframes()
        kt = np.array([k.t for k in keys])
        kv = direction_to_vector([k.azimuth for k in keys], [k.elevation for k in keys])
        kd = np.array([k.distance for k in keys])
        dirs = np.empty((t.size, 3))
        dist = np.interp(t, kt, kd)
        seg = np.clip(np.searchsorted(kt, t, side="right") - 1, 0, len(keys) - 1)
        before, after = t <= kt[0], t >= kt[-1]
        dirs[before] = kv[0]
        dirs[after] = kv[-1]
        inside = np.flatnonzero(~(before | after))
        inside = inside[np.argsort(seg[inside], kind="stable")]  # grouped by segment
        segments, starts = np.unique(seg[inside], return_index=True)
        bounds = np.append(starts, inside.size)
        for i, a, b in zip(segments, bounds[:-1], bounds[1:], strict=True):
            sel = inside[a:b]
            frac = (t[sel] - kt[i]) / (kt[i + 1] - kt[i])
            if np.dot(kv[i], kv[i + 1]) < _ANTIPODAL_COS:
                dirs[sel] = _through_the_front(keys[i], keys[i + 1], frac)
                if not self._warned_antipodal:
                    self._warned_antipodal = True
                    get_logger(__name__).warning(
                        f"source {self.id!r}: trajectory keys at {keys[i].t:g} s and {keys[i + 1].t:g} s "
                        "point in nearly opposite directions; between them it moves through the front "
                        "(azimuth and elevation interpolated), not over the head"
                    )
            else:
                dirs[sel] = slerp(kv[i], kv[i + 1], frac)
        return dirs, dist

    def direction_at(self, t: float) -> tuple[float, float, float]:
        """(azimuth°, elevation°, distance m) at time ``t``."""
        dirs, dist = self.positions_at([t])
        az, el = vector_to_direction(dirs[0])
        return float(az), float(el), float(dist[0])


class Scene(BaseModel):
    """A scene: media, duration, sample rate and sources (DESIGN §3)."""

    model_config = ConfigDict(extra="allow")

    version: Literal[1] = SCENE_VERSION
    sample_rate: int = Field(default=48000, ge=8000, le=192000)
    duration: float
    media: Media | None = None
    sources: list[Source] = Field(default_factory=list)

    _base_dir: Path = PrivateAttr(default_factory=Path.cwd)

    @field_validator("duration")
    @classmethod
    def _check_duration(cls, v: float) -> float:
        _finite(v)
        if v <= 0:
            raise ValueError("must be greater than 0 seconds")
        if v > MAX_DURATION_S:
            raise ValueError(f"{v:g} s is longer than the limit of {MAX_DURATION_S:g} s (6 hours)")
        return v

    @model_validator(mode="after")
    def _check_ids(self) -> Scene:
        seen = set()
        for i, src in enumerate(self.sources):
            if src.id in seen:
                raise ValueError(f"sources[{i}] (id {src.id!r}): id: duplicate id")
            seen.add(src.id)
        return self

    # -- paths -----------------------------------------------------------------------------------
    @property
    def base_dir(self) -> Path:
        """The folder that relative audio paths are resolved against (the scene file's folder)."""
        return self._base_dir

    @base_dir.setter
    def base_dir(self, folder: str | os.PathLike) -> None:
        self._base_dir = Path(folder).resolve()

    def audio_path(self, source: Source, allow_outside: bool = True) -> Path | None:
        """The absolute path of a source's stem, or ``None`` if it has not been generated yet.

        ``allow_outside=False`` (what ``render`` reads with) raises :class:`SceneError` unless the
        resolved path (links followed) lies inside the scene's folder: a scene handed to a service must
        not read any file the service can read.
        """
        if source.audio is None:
            return None
        path = Path(source.audio)
        path = path if path.is_absolute() else Path(os.path.normpath(self._base_dir / path))
        if not allow_outside:
            try:
                path.resolve().relative_to(self._base_dir.resolve())
            except (ValueError, OSError, RuntimeError):
                raise SceneError(
                    f"source {source.id!r}: audio {source.audio!r} lies outside the scene's folder",
                    hint="use --allow-outside-paths to read it",
                ) from None
        return path

    def source(self, source_id: str) -> Source:
        for src in self.sources:
            if src.id == source_id:
                return src
        raise KeyError(source_id)

    # -- (de)serialisation -----------------------------------------------------------------------
    @classmethod
    def from_dict(cls, data: Any, name: str = "scene", base_dir: str | os.PathLike | None = None) -> Scene:
        """Validate a parsed scene; errors become one :class:`SceneError` line naming the field."""
        try:
            scene = cls.model_validate(data)
        except ValidationError as exc:
            raise SceneError(f"{name}: {_describe(exc, data)}") from None
        if base_dir is not None:
            scene.base_dir = base_dir
        return scene

    def to_dict(self) -> dict:
        return self.model_dump(mode="json", exclude_none=True)

    def with_base_dir(self, folder: str | os.PathLike) -> Scene:
        """A copy whose relative audio paths are rewritten to be relative to ``folder``."""
        folder = Path(folder).resolve()
        clone = self.model_copy(deep=True)
        for src in clone.sources:
            path = self.audio_path(self.source(src.id))
            if path is not None:
                src.audio = _relative(path, folder)
        clone.base_dir = folder
        return clone


def _relative(path: Path, folder: Path) -> str:
    try:
        return Path(os.path.relpath(path, folder)).as_posix()
    except ValueError:  # other drive on Windows
        return str(path)


def _describe(exc: ValidationError, data: Any) -> str:
    """One line for the first validation error: ``sources[1] (id 'car'): trajectory[2].t: ...``."""
    err = exc.errors()[0]
    loc = list(err["loc"])
    msg = err["msg"]
    if msg.startswith("Value error, "):
        msg = msg[len("Value error, ") :]
    if err["type"] == "missing":
        msg = "is missing"
    elif err["type"] == "literal_error" and loc == ["version"]:
        msg = f"unsupported version {err.get('input')!r} (this see2sound reads version {SCENE_VERSION})"
    parts: list[str] = []
    prefix = ""
    if len(loc) >= 2 and loc[0] == "sources" and isinstance(loc[1], int):
        idx = loc[1]
        sid = None
        try:
            sid = data["sources"][idx].get("id")
        except (KeyError, IndexError, TypeError, AttributeError):
            pass
        prefix = f"sources[{idx}]" + (f" (id {sid!r})" if sid else "") + ": "
        loc = loc[2:]
    for item in loc:
        if isinstance(item, int):
            if parts:
                parts[-1] += f"[{item}]"
            else:
                parts.append(f"[{item}]")
        elif item in ("function-after", "function-before"):
            continue
        else:
            parts.append(str(item))
    field = ".".join(p for p in parts if not p.startswith("function-"))
    # model-level checks already name their field
    if field:
        return f"{prefix}{field}: {msg}"
    return f"{prefix}{msg}"


def load_scene(path: str | os.PathLike) -> Scene:
    """Read and validate ``scene.json``; relative audio paths resolve against its folder.

    Raises
    ------
    SceneError
        With one line naming the file, the source and the field that is wrong.
    """
    path = Path(path)
    text = read_text_file(path, "scene.json file", error=SceneError)
    try:
        data = json.loads(text)
    except json.JSONDecodeError as exc:
        raise SceneError(
            f"{path}: not valid JSON (line {exc.lineno}, column {exc.colno}: {exc.msg})"
        ) from None
    except RecursionError:
        raise SceneError(f"{path}: JSON nested too deeply to be a scene") from None
    if not isinstance(data, dict):
        raise SceneError(f"{path}: expected a JSON object at the top level")
    try:
        return Scene.from_dict(data, name=str(path), base_dir=path.parent)
    except RecursionError:
        raise SceneError(f"{path}: JSON nested too deeply to be a scene") from None


def save_scene(scene: Scene, path: str | os.PathLike, overwrite: bool = True) -> Path:
    """Write ``scene`` to ``path`` atomically, with audio paths relative to the new file's folder."""
    path = Path(path)
    out = scene.with_base_dir(path.parent.resolve() if str(path.parent) else Path.cwd())
    with atomic_output(path, overwrite=overwrite) as tmp:
        tmp.write_text(json.dumps(out.to_dict(), indent=2, ensure_ascii=False) + "\n", encoding="utf-8")
    return path
