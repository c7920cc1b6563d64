"""The work behind the web page: one temporary folder per job, uploads checked by content, the run,
re-renders from an edited scene, the top-down map of the sources, and the zip of everything.

No Gradio here: the page (:mod:`see2sound.web.app`) calls these functions, and so can tests. Nothing the
client sends is used as a path: an upload is copied to a name made here, a source is found by its id in
the job's own scene, and an uploaded ``scene.json`` only edits the sources the job already has.
"""

from __future__ import annotations

import json
import math
import os
import re
import shutil
import tempfile
import zipfile
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path

from ..errors import MediaError, SceneError, See2SoundError
from ..scene import Keyframe, Position, Scene, load_scene, save_scene

CHANNEL_FORMATS = ("stereo", "5.1", "7.1", "7.1.4", "foa", "hoa2", "hoa3")
TABLE_HEADERS = ["id", "label", "azimuth", "elevation", "distance", "gain_db", "on"]
MAX_SCENE_UPLOAD_BYTES = 5_000_000
MAX_LABEL_CHARS = 80
GAIN_RANGE_DB = (-60.0, 24.0)
SCENE_NAME = "scene.json"
PALETTE = [(214, 39, 40), (31, 119, 180), (44, 160, 44), (148, 103, 189), (255, 127, 14), (23, 190, 207)]
PALETTE += [(227, 119, 194), (140, 86, 75), (188, 189, 34), (127, 127, 127)]


@dataclass(frozen=True)
class Limits:
    """What an upload may be: its size in MB and, for a video or animation, its length in seconds."""

    max_upload_mb: float = 200.0
    max_video_s: float = 300.0

    @property
    def max_upload_bytes(self) -> int:
        return int(self.max_upload_mb * 1_000_000)


@dataclass
class Options:
    """The page's options for one run."""

    prompt: str | None = None
    sources: int = 4
    formats: Sequence[str] = ("5.1",)
    seed: int = 0
    room: str = "auto"
    hrtf: str = "auto"
    duration: float | None = None
    sound: str = "auto"
    detector: str = "auto"


def usable_backends() -> dict[str, list[str]]:
    """What the page offers, as ``see2sound backends`` says: ``auto`` and every sound backend and object
    detector usable here, and the HRTFs (``auto``, the measured sets that are cached, ``analytic``)."""
    from ..assets.hrtf import cached_sets
    from ..pipeline.hrtf import AUTO_PREFERENCE
    from ..sound.backends import SOUNDS
    from ..vision.backends import DETECTORS

    def usable(registry) -> list[str]:
        return ["auto"] + [b.name for b in registry.backends() if b.unavailable_reason() is None]

    sets = cached_sets()
    hrtfs = ["auto"] + [name for name in AUTO_PREFERENCE if name in sets] + ["analytic"]
    return {"sound": usable(SOUNDS), "detector": usable(DETECTORS), "hrtf": hrtfs}


@dataclass
class Job:
    """One upload and everything made from it, in a folder of its own (removed by :meth:`remove`)."""

    folder: Path
    stem: str = "input"
    input: Path | None = None
    kind: str = ""
    formats: list[str] = field(default_factory=list)
    room: str = "auto"
    hrtf: str | None = None
    video: Path | None = None
    renders: int = 0  # re-renders so far

    @property
    def out_dir(self) -> Path:
        return self.folder / "out"

    @property
    def scene_path(self) -> Path:
        return self.out_dir / SCENE_NAME

    def audio(self, fmt: str) -> Path:
        return self.out_dir / f"{self.stem}.{fmt}.wav"

    def public(self, message: str) -> str:
        """``message`` without this server's folder names: the client only ever sees file names."""
        text = " ".join(str(message).split())
        for folder in (self.out_dir, self.folder):
            text = text.replace(f"{folder}{os.sep}", "").replace(str(folder), "")
        return text

    def remove(self) -> None:
        shutil.rmtree(self.folder, ignore_errors=True)


class Workspace:
    """The server's temporary folder: one sub-folder per job; :meth:`close` removes them all."""

    def __init__(self, parent: str | os.PathLike | None = None):
        self.root = Path(tempfile.mkdtemp(prefix="see2sound-web-", dir=parent))

    def new_job(self) -> Job:
        return Job(Path(tempfile.mkdtemp(prefix="job-", dir=self.root)))

    def close(self) -> None:
        shutil.rmtree(self.root, ignore_errors=True)


def safe_name(name: str | None) -> tuple[str, str]:
    """A stem and suffix made from a client's file name: letters, digits, ``-`` and ``_`` only.

    Examples
    --------
    >>> safe_name("../../etc/My Photo.JPG")
    ('My_Photo', '.jpg')
    """
    base = re.split(r"[\\/]", name or "")[-1]
    stem, suffix = os.path.splitext(base)
    stem = re.sub(r"[^A-Za-z0-9_-]+", "_", stem).strip("_-")[:40] or "input"
    suffix = suffix.lower() if re.fullmatch(r"\.[a-z0-9]{1,5}", suffix.lower()) else ""
    return stem, suffix


def accept_upload(job: Job, upload: str | os.PathLike, name: str | None, limits: Limits) -> Job:
    """Copy an uploaded file into the job's folder under a safe name and check it by its content.

    Raises :class:`MediaError` for an empty or oversize file, a file that is no picture, animation or
    video, and a video or animation longer than ``limits.max_video_s``.
    """
    upload = Path(upload)
    stem, suffix = safe_name(name or upload.name)
    size = upload.stat().st_size
    if size == 0:
        raise MediaError(f"{stem}{suffix}: the file is empty")
    if size > limits.max_upload_bytes:
        raise MediaError(
            f"{stem}{suffix}: {size / 1e6:.1f} MB is over this server's upload limit of "
            f"{limits.max_upload_mb:g} MB"
        )
    from ..media.probe import open_media

    dest = job.folder / f"{stem}{suffix}"
    shutil.copyfile(upload, dest)
    try:
        info = open_media(dest)
    except See2SoundError as exc:
        raise MediaError(job.public(str(exc))) from None
    if info.kind == "audio":
        raise MediaError(f"{dest.name}: is an audio file; give a picture, GIF or video")
    if info.kind in ("video", "animation") and (info.duration or 0) > limits.max_video_s:
        raise MediaError(
            f"{dest.name}: {info.duration:.0f} s is longer than this server's limit of "
            f"{limits.max_video_s:g} s"
        )
    job.stem, job.input, job.kind = stem, dest, info.kind
    return job


def run_job(job: Job, options: Options, step: Callable[[str], object] | None = None) -> Job:
    """Analyse, sonify and render the job's input (binaural always, plus ``options.formats``)."""
    from ..pipeline.run import run

    if job.input is None:
        raise See2SoundError("no picture or video given")
    formats = [f for f in CHANNEL_FORMATS if f in options.formats] + ["binaural"]
    hrtf = None if options.hrtf in (None, "", "auto") else options.hrtf
    room = options.room or "auto"
    result = run(
        job.input,
        job.out_dir,
        formats=formats,
        prompt=(options.prompt or "").strip() or None,
        sources=int(options.sources),
        duration=options.duration if job.kind == "image" else None,
        seed=int(options.seed),
        sound=options.sound or "auto",
        detector=options.detector or "auto",
        room=room,
        hrtf=hrtf,
        overwrite=True,
        step=step,
    )
    job.formats, job.room, job.hrtf, job.video = formats, room, hrtf, result.video
    return job


# -- the table of sources ------------------------------------------------------------------------------


def _enabled(src) -> bool:
    return (src.model_extra or {}).get("enabled", True) is not False


def table_rows(scene: Scene) -> list[list]:
    """One row per source: id, label, azimuth, elevation, distance (at the start), gain_db, on."""
    rows = []
    for src in scene.sources:
        k = src.keyframes()[0]
        rows.append(
            [
                src.id,
                src.label,
                round(k.azimuth, 1),
                round(k.elevation, 1),
                round(k.distance, 2),
                round(src.gain_db, 1),
                _enabled(src),
            ]
        )
    return rows


def _number(value, what: str) -> float:
    try:
        x = float(value)
    except (TypeError, ValueError):
        raise SceneError(f"{what}: expected a number, got {value!r}") from None
    if not math.isfinite(x):
        raise SceneError(f"{what}: expected a finite number, got {value!r}")
    return x


def _on(value) -> bool:
    if isinstance(value, str):
        return value.strip().lower() not in ("false", "0", "off", "no", "")
    return bool(value)


def _wrap(azimuth: float) -> float:
    """Degrees in (-180, 180]."""
    a = (azimuth + 180.0) % 360.0 - 180.0
    return 180.0 if a == -180.0 else a


def apply_rows(scene: Scene, rows: Sequence[Sequence]) -> Scene:
    """The scene with the table's edits: label, direction, distance, gain and on/off per source id.

    A moving source keeps its path: it is turned by the change of azimuth and elevation and scaled by the
    change of distance. Raises :class:`SceneError` naming the row and column of a bad value.
    """
    base_dir = scene.base_dir
    scene = scene.model_copy(deep=True)
    for i, row in enumerate(rows):
        if len(row) < len(TABLE_HEADERS):
            raise SceneError(f"row {i + 1}: expected {len(TABLE_HEADERS)} columns, got {len(row)}")
        sid = str(row[0])
        try:
            src = scene.source(sid)
        except KeyError:
            raise SceneError(f"row {i + 1}: no source with id {sid!r} in this scene") from None
        where = f"source {sid!r}"
        az = _wrap(_number(row[2], f"{where}: azimuth"))
        el = _number(row[3], f"{where}: elevation")
        dist = _number(row[4], f"{where}: distance")
        gain = _number(row[5], f"{where}: gain_db")
        if not -90.0 <= el <= 90.0:
            raise SceneError(f"{where}: elevation must be between -90 and 90 degrees, got {el:g}")
        if dist <= 0:
            raise SceneError(f"{where}: distance must be greater than 0 metres, got {dist:g}")
        if not GAIN_RANGE_DB[0] <= gain <= GAIN_RANGE_DB[1]:
            raise SceneError(
                f"{where}: gain_db must be between {GAIN_RANGE_DB[0]:g} and {GAIN_RANGE_DB[1]:g}, "
                f"got {gain:g}"
            )
        src.label = " ".join(str(row[1] or "").split())[:MAX_LABEL_CHARS]
        src.gain_db = gain
        src.enabled = _on(row[6])
        first = src.keyframes()[0]
        if src.trajectory is None:
            src.position = Position(azimuth=az, elevation=el, distance=dist)
        elif (az, el, dist) != (round(first.azimuth, 1), round(first.elevation, 1), round(first.distance, 2)):
            d_az, d_el, ratio = az - first.azimuth, el - first.elevation, dist / first.distance
            src.trajectory = [
                Keyframe(
                    t=k.t,
                    azimuth=_wrap(k.azimuth + d_az),
                    elevation=min(90.0, max(-90.0, k.elevation + d_el)),
                    distance=k.distance * ratio,
                )
                for k in src.trajectory
            ]
    return Scene.from_dict(scene.to_dict(), name="edited scene", base_dir=base_dir)


def merge_scene_upload(job: Job, upload: str | os.PathLike) -> Scene:
    """Take an uploaded ``scene.json``'s edits (placement, label, gain, extent, on/off) into the job's scene.

    Its sources must be the job's (matched by id); their ``audio`` paths are ignored, so the job keeps its
    own stems. Saves and returns the merged scene.
    """
    upload = Path(upload)
    if upload.stat().st_size > MAX_SCENE_UPLOAD_BYTES:
        raise SceneError(f"scene file: over {MAX_SCENE_UPLOAD_BYTES // 1_000_000} MB")
    try:
        data = json.loads(upload.read_bytes().decode("utf-8"))
    except (UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise SceneError(f"scene file: not valid JSON ({exc.__class__.__name__})") from None
    if isinstance(data, dict):
        for src in data.get("sources") or []:
            if isinstance(src, dict):
                src.pop("audio", None)
    new = Scene.from_dict(data, name="scene file")
    scene = load_job_scene(job)
    ids = {src.id for src in scene.sources}
    for src in new.sources:
        if src.id not in ids:
            raise SceneError(f"scene file: source {src.id!r} is not in this job's scene (ids: {sorted(ids)})")
        mine = scene.source(src.id)
        mine.position, mine.trajectory = src.position, src.trajectory
        mine.label, mine.gain_db, mine.extent = src.label, src.gain_db, src.extent
        mine.enabled = _enabled(src)
    scene = Scene.from_dict(scene.to_dict(), name="scene file", base_dir=scene.base_dir)
    save_scene(scene, job.scene_path)
    return scene


def load_job_scene(job: Job) -> Scene:
    if not job.scene_path.exists():
        raise See2SoundError("nothing made yet: upload a picture or video first")
    return load_scene(job.scene_path)


def rerender(job: Job, rows: Sequence[Sequence] | None = None) -> Scene:
    """Render every format of the job again from its scene with the table's edits (no analysis, no
    new sounds), and mux the video again when there is one. Saves and returns the edited scene."""
    from ..media import mux
    from ..pipeline.render import render
    from ..pipeline.run import _video_format

    scene = load_job_scene(job)
    if rows is not None:
        scene = apply_rows(scene, rows)
        save_scene(scene, job.scene_path)
    heard = scene.model_copy(update={"sources": [s for s in scene.sources if _enabled(s)]})
    heard.base_dir = scene.base_dir
    if not heard.sources:
        raise SceneError("every source is off: turn at least one on")
    for fmt in job.formats:
        render(heard, job.audio(fmt), format=fmt, hrtf=job.hrtf, room=job.room, overwrite=True)
    if job.video is not None:
        fmt = _video_format(job.formats, scene)
        spherical = scene.media is not None and scene.media.projection == "equirect"
        mux(job.input, job.audio(fmt), job.video, overwrite=True, fmt=fmt, spherical=spherical)
    job.renders += 1
    return scene


# -- what the page shows -------------------------------------------------------------------------------


def stems(job: Job, scene: Scene) -> list[tuple[str, Path]]:
    """``(caption, path)`` of every source's stem."""
    out = []
    for src in scene.sources:
        path = scene.audio_path(src)
        if path is not None and path.is_file():
            out.append((f"{src.id}: {src.label or '(no label)'}", path))
    return out


def outputs(job: Job) -> list[Path]:
    """Every file the job made, for download: scene, audio, video, preview, credits and the stems."""
    out = job.out_dir
    if not out.is_dir():
        return []
    return sorted(p for p in out.rglob("*") if p.is_file() and p.suffix != ".tmp")


def zip_all(job: Job) -> Path:
    """Everything the job made as one zip next to the output folder (made again each call)."""
    path = job.folder / f"{job.stem}-see2sound.zip"
    # stored, not deflated: WAV barely compresses and deflating 15 MB took 2.2 s of a 1 s re-render
    with zipfile.ZipFile(path, "w", zipfile.ZIP_STORED) as archive:
        for file in outputs(job):
            archive.write(file, f"{job.stem}-see2sound/{file.relative_to(job.out_dir).as_posix()}")
    return path


def credits(job: Job) -> str:
    path = job.out_dir / "CREDITS.txt"
    return path.read_text(encoding="utf-8") if path.is_file() else ""


def _font(size: int):
    from PIL import ImageFont

    try:
        return ImageFont.load_default(size=size)
    except TypeError:  # Pillow < 10.1: a fixed-size bitmap font
        return ImageFont.load_default()


def map_xy(azimuth: float, elevation: float, distance: float, centre: float, radius) -> tuple[float, float]:
    """Where a direction lands on the map: front up, +azimuth (left) to the left, the ground distance
    ``distance·cos(elevation)`` through ``radius``."""
    r = radius(distance * math.cos(math.radians(elevation)))
    a = math.radians(azimuth)
    return centre - r * math.sin(a), centre - r * math.cos(a)


def draw_map(scene: Scene, path: str | os.PathLike, size: int = 560) -> Path:
    """A top-down map (PNG) of the sources around the listener: the listener in the middle facing up,
    every source at its azimuth and distance (log scale) with its id and label, a moving source's path,
    a bed or wide source as an arc over its width; sources that are off in grey."""
    from PIL import Image, ImageDraw

    img = Image.new("RGB", (size, size), (250, 250, 247))
    draw = ImageDraw.Draw(img)
    font, small = _font(14), _font(11)
    c = size / 2
    rim = size / 2 - 36
    far = max([10.0] + [k.distance for s in scene.sources for k in s.keyframes()])

    def radius(d: float) -> float:
        return rim * math.log1p(max(d, 0.0)) / math.log1p(far)

    for metres in (1, 2, 5, 10, 20, 50, 100, 200, 500, 1000):
        if metres > far * 1.01:
            break
        r = radius(metres)
        draw.ellipse([c - r, c - r, c + r, c + r], outline=(214, 214, 208))
        draw.text((c + 3, c - r + 1), f"{metres} m", fill=(150, 150, 145), font=small)
    draw.line([c, c - rim, c, c + rim], fill=(228, 228, 222))
    draw.line([c - rim, c, c + rim, c], fill=(228, 228, 222))
    for text, (x, y) in {
        "front": (c, 14),
        "back": (c, size - 14),
        "left": (18, c),
        "right": (size - 20, c),
    }.items():
        draw.text((x, y), text, fill=(120, 120, 115), font=small, anchor="mm")
    draw.ellipse([c - 9, c - 9, c + 9, c + 9], fill=(60, 60, 60))  # the listener, nose to the front
    draw.polygon([(c - 4, c - 8), (c + 4, c - 8), (c, c - 15)], fill=(60, 60, 60))

    for i, src in enumerate(scene.sources):
        colour = PALETTE[i % len(PALETTE)] if _enabled(src) else (175, 175, 175)
        keys = src.keyframes()
        text = f"{src.id} {src.label}".strip()
        width = src.extent.width if src.extent is not None else 0.0
        k = keys[0]
        if width >= 20.0 or src.role == "bed":
            r = radius(k.distance * math.cos(math.radians(k.elevation)))
            r = max(r, 16.0 + 4 * i)
            box = [c - r, c - r, c + r, c + r]
            if width >= 359.0:
                draw.ellipse(box, outline=colour, width=4)
                anchor = (c, c + r)
            else:
                start, end = -90.0 - (k.azimuth + width / 2), -90.0 - (k.azimuth - width / 2)
                draw.arc(box, start, end, fill=colour, width=5)
                anchor = map_xy(k.azimuth, k.elevation, k.distance, c, lambda _d, r=r: r)
            draw.text((anchor[0], anchor[1] + 10), text, fill=colour, font=font, anchor="mm")
            continue
        points = [map_xy(k.azimuth, k.elevation, k.distance, c, radius) for k in keys]
        if len(points) > 1:
            draw.line(points, fill=colour, width=2)
            ex, ey = points[-1]
            draw.ellipse([ex - 3, ey - 3, ex + 3, ey + 3], outline=colour, width=2)
        x, y = points[0]
        draw.ellipse([x - 7, y - 7, x + 7, y + 7], fill=colour)
        right = x < size * 0.7
        draw.text(
            (x + 10 if right else x - 10, y), text, fill=colour, font=font, anchor="lm" if right else "rm"
        )
    path = Path(path)
    img.save(path)
    return path
