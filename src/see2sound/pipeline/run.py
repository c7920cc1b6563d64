"""``see2sound run``: from a picture, GIF or video to spatial audio files (and a video) in one call.

The steps are the stages of DESIGN §1 — analyse (vision), sonify (sound), render (spatial), mux (media) —
with the scene and stems kept in the output folder, so that running again with other render options reuses
them instead of recomputing them.
"""

from __future__ import annotations

import contextlib
import hashlib
import json
import math
import os
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path

from ..errors import See2SoundError
from ..fileio import LOCK_NAME, check_output, sha256_file, write_failure
from ..formats import OBJECT_FORMATS, get_format
from ..log import get_logger
from ..scene import Scene, check_duration, load_scene, save_scene
from .analyze import DEFAULT_IMAGE_DURATION_S

log = get_logger(__name__)

DEFAULT_FORMATS = ("5.1", "binaural")
MAX_SOURCES = 64
SCENE_NAME = "scene.json"


@dataclass
class RunResult:
    """What :func:`run` wrote."""

    output_dir: Path
    scene: Path
    audio: dict[str, Path] = field(default_factory=dict)
    video: Path | None = None
    preview: Path | None = None
    credits: Path | None = None
    reused_scene: bool = False

    def paths(self) -> list[Path]:
        out = [self.scene, *self.audio.values()]
        out += [p for p in (self.video, self.preview, self.credits) if p is not None]
        return out


def default_output_dir(input_path: Path) -> Path:
    """Next to the input, named after it: ``photo.jpg`` → ``photo-see2sound/``."""
    return input_path.with_name(f"{input_path.stem}-see2sound")


def _key(**parts) -> str:
    return hashlib.sha256(json.dumps(parts, sort_keys=True, default=str).encode()).hexdigest()[:16]


def _loop_trajectories(scene: Scene, loop_s: float, duration: float) -> None:
    """Repeat every trajectory once per loop of an animation that plays ``duration / loop_s`` times."""
    loops = math.ceil(duration / loop_s - 1e-9)
    for src in scene.sources:
        if not src.is_moving or loops <= 1:
            continue
        keys = []
        for i in range(loops):
            for k in src.trajectory:
                t = k.t + i * loop_s
                if keys and t <= keys[-1].t:
                    continue
                keys.append(k.model_copy(update={"t": t}))
        src.trajectory = keys
        if src.bbox is not None and len(src.bbox) == len(keys) // loops:
            src.bbox = [b for _ in range(loops) for b in src.bbox][: len(keys)]


def run(
    input_path: str | os.PathLike,
    output_dir: str | os.PathLike | None = None,
    formats: Sequence[str] = DEFAULT_FORMATS,
    prompt: str | None = None,
    sources: int = 4,
    duration: float | None = None,
    vision: str = "auto",
    depth: str = "auto",
    labels: str = "auto",
    detector: str = "auto",
    sound: str = "auto",
    sound_library: Sequence[str | os.PathLike] = (),
    allow_share_alike: bool = False,
    fov: float | None = None,
    projection: str | None = None,
    method: str = "panning",
    hrtf: str | None = None,
    room: str | None = "auto",
    seed: int = 0,
    sample_rate: int = 48000,
    loudness_lufs: float | None = None,
    original_audio: str = "replace",
    original_audio_db: float = 0.0,
    video: bool | None = None,
    overwrite: bool = False,
    step: Callable[[str], object] | None = None,
) -> RunResult:
    """Give ``input_path`` a spatial soundtrack: analyse, sonify, render every format, mux a video.

    Parameters
    ----------
    input_path : path
        A still image, an animated GIF/WebP/APNG, or a video.
    output_dir : path, optional
        Default: ``<input stem>-see2sound`` next to the input.
    formats : sequence of str
        Any of stereo, 5.1, 7.1, 7.1.4, binaural, foa, hoa2, hoa3, adm (one audio file each).
    duration : float, optional
        Seconds of audio for stills (default 10) and animations (default: whole loops nearest 10 s;
        the animation loops). Videos always use their own length.
    original_audio : {"replace", "keep", "mix"}
        What happens to a video's own audio in the muxed video.
    original_audio_db : float
        With ``"mix"``: the original's loudness relative to the new audio in dB (0: equally loud).
    video : bool, optional
        Also write a video (default: for animations and videos, not for stills).
    step : callable, optional
        Called with a short description as each step starts (the CLI shows progress with it).

    Returns
    -------
    RunResult
        Paths of everything written.

    Examples
    --------
    >>> result = run("examples/cat.png", "out/cat", formats=["5.1"], overwrite=True)  # doctest: +SKIP
    >>> result.audio["5.1"]  # doctest: +SKIP
    PosixPath('out/cat/cat.5.1.wav')
    """
    from ..media import mux, open_media
    from .analyze import analyze
    from .render import render
    from .sonify import sonify

    announce = step or (lambda _text: None)
    input_path = Path(input_path)
    formats = list(dict.fromkeys(formats or DEFAULT_FORMATS))
    for name in formats:
        if name not in OBJECT_FORMATS:
            get_format(name)
    from ..spatial.reverb import resolve_room

    resolve_room(room)  # a bad --room spec fails before any work
    if original_audio not in ("replace", "keep", "mix"):
        raise See2SoundError(f"original audio mode must be replace, keep or mix, got {original_audio!r}")
    if duration is not None:
        check_duration(duration, "--duration")
    if isinstance(sources, bool) or int(sources) != sources or not 1 <= sources <= MAX_SOURCES:
        raise See2SoundError(f"--sources: must be 1 to {MAX_SOURCES}, got {sources}")
    for folder in sound_library:
        if not Path(folder).expanduser().is_dir():
            raise See2SoundError(f"{folder}: sound library folder not found")

    info = open_media(input_path)  # one-line error for unreadable media, before anything is written
    if info.kind == "audio":
        raise See2SoundError(f"{input_path}: is an audio file; give a picture, GIF or video")
    make_video = info.kind in ("animation", "video") if video is None else bool(video)
    if make_video and all(name in OBJECT_FORMATS for name in formats):
        log.warning("ADM is not muxed into a video; no video written (add a channel format, e.g. 5.1)")
        make_video = False

    out_dir = Path(output_dir) if output_dir is not None else default_output_dir(input_path)
    stem = input_path.stem
    scene_path = out_dir / SCENE_NAME
    audio_paths = {name: out_dir / f"{stem}.{name}.wav" for name in formats}
    video_path = None
    if make_video:  # MP4 when the input's codecs allow it, else MOV, else MKV
        from ..media.muxer import choose_container

        audio_format = get_format(_video_format(formats, (projection or info.projection) == "equirect"))
        suffix = choose_container(input_path, audio_format, audio_format.n_channels, original_audio)
        video_path = out_dir / f"{stem}{suffix}"

    # what the scene depends on: the input's bytes and the analysis options
    if info.kind == "video":
        total = check_duration(info.duration, f"{input_path}: video length")
    elif info.kind == "animation":
        loop_s = float(info.duration)
        if duration is not None:
            total = float(duration)
        elif info.loop_count:  # a finite loop count: as long as the picture plays
            total = loop_s * info.loop_count
        else:
            total = loop_s * max(1, round(DEFAULT_IMAGE_DURATION_S / loop_s))
    else:
        total = float(duration) if duration is not None else DEFAULT_IMAGE_DURATION_S
    analysis_options = {
        "sources": sources,
        "prompt": prompt,
        "vision": vision,
        "depth": depth,
        "labels": labels,
        "detector": detector,
        "fov": fov,
        "projection": projection,
    }
    analysis_key = _key(input=sha256_file(input_path), **analysis_options)
    sound_key = _key(
        sound=sound,
        library=[str(Path(p).expanduser().resolve()) for p in sound_library],
        share_alike=allow_share_alike,
        seed=seed,
        duration=total,
        sample_rate=sample_rate,
    )

    started = time.perf_counter()
    preview_thread = None
    with OutputFolder(out_dir) as folder:
        scene, reused = _previous_scene(scene_path, analysis_key)
        same_sounds = reused and _run_info(scene).get("sound_key") == sound_key
        # every output this run writes is checked before any work: nothing of another run is replaced
        mine = [*audio_paths.values(), *([video_path] if video_path else [])]
        if not reused:
            mine += [scene_path, out_dir / "preview.png", out_dir / "CREDITS.txt"]
        for target in mine:
            check_output(target, overwrite)
        if not (overwrite or same_sounds):
            stems = _files(out_dir / "stems")
            if stems:
                raise See2SoundError(f"{stems[0]}: already exists", hint="use --overwrite to replace it")
        try:
            preview_jobs: list = []
            if scene is None:
                announce(f"analysing {input_path.name}")
                scene = analyze(
                    input_path,
                    scene_path,
                    overwrite=True,
                    seed=seed,
                    defer_preview=preview_jobs,
                    **analysis_options,
                )
                scene = load_scene(scene_path)
            # the preview is drawn on a helper thread while the sounds and renders are made
            preview_thread = _Background(preview_jobs[0]) if preview_jobs else None
            if _run_info(scene).get("sound_key") != sound_key:
                for src in scene.sources:
                    src.audio = None
            scene.sample_rate = int(sample_rate)
            if info.kind == "animation" and not reused:
                _loop_trajectories(scene, float(info.duration), total)
            scene.duration = total
            earlier = _run_info(scene).get("outputs")
            outputs = {**(earlier if isinstance(earlier, dict) else {})}
            outputs.update({path.name: name for name, path in audio_paths.items()})  # read by `evaluate`
            scene.run = {
                "analysis_key": analysis_key,
                "sound_key": sound_key,
                "input": input_path.name,
                "outputs": outputs,
            }
            save_scene(scene, scene_path)

            announce(f"making sounds for {len(scene.sources)} source(s)")
            sonify(
                scene_path,
                sound=sound,
                sound_library=[str(p) for p in sound_library],
                seed=seed,
                overwrite=True,
                allow_share_alike=allow_share_alike,
            )

            result = RunResult(out_dir, scene_path, reused_scene=reused)
            for name in formats:
                announce(f"rendering {name}")
                result.audio[name] = render(
                    scene_path,
                    audio_paths[name],
                    format=name,
                    method=method,
                    hrtf=hrtf,
                    room=room,
                    sample_rate=sample_rate,
                    loudness_lufs=loudness_lufs,
                    overwrite=overwrite,
                )
            if video_path is not None:
                equirect = scene.media is not None and scene.media.projection == "equirect"
                name = _video_format(formats, equirect)
                announce(f"writing {video_path.name} with {name} audio")
                try:
                    result.video = mux(
                        input_path,
                        result.audio[name],
                        video_path,
                        mode=original_audio,
                        overwrite=overwrite,
                        fmt=name,
                        spherical=equirect,
                        original_db=original_audio_db,
                    )
                except See2SoundError as exc:  # audio, stems and scene are finished: say how to end the job
                    raise See2SoundError(
                        f"{exc}; the audio, stems and scene are kept in {out_dir}; to write the video: "
                        + _mux_command(
                            input_path, result.audio[name], video_path, original_audio, original_audio_db
                        )
                    ) from None
            result.credits = _write_credits(out_dir, scene_path, hrtf, formats, sample_rate)
            if preview_thread is not None:
                preview_thread.join()
            preview = out_dir / "preview.png"
            result.preview = preview if preview.exists() else None
        except BaseException:
            if preview_thread is not None:
                preview_thread.join(reraise=False)
            folder.report_kept()
            raise
    log.debug("run finished in %.1f s", time.perf_counter() - started)
    return result


class OutputFolder:
    """One run owns its output folder while it writes: a lock file holding the owner's PID.

    Entering creates the folder (one clear line when it cannot) and takes the lock; a second run into
    the same folder is refused while the owner lives, and the lock of a dead owner is taken over.
    Leaving removes the lock, the sub-folders left empty and the folder itself when this run created it
    and nothing finished is in it. Files are only ever renamed into place when complete
    (:func:`~see2sound.fileio.atomic_output`), so whatever is left is finished work.
    """

    def __init__(self, path: Path):
        self.path = Path(path)
        self.lock = self.path / LOCK_NAME
        self.created: list[Path] = []
        self.existing: set[Path] = set()

    def __enter__(self) -> OutputFolder:
        missing = [p for p in (self.path, *self.path.parents) if not p.exists()]
        try:
            self.path.mkdir(parents=True, exist_ok=True)
        except OSError as exc:
            reason = write_failure(exc, self.path.parent) or (exc.strerror or str(exc)).lower()
            raise See2SoundError(f"{self.path}: cannot create output folder ({reason})") from None
        if not self.path.is_dir():
            raise See2SoundError(f"{self.path}: exists and is not a folder")
        self.created = missing
        try:
            self._take_lock()
        except BaseException:
            self._remove_empty()
            raise
        self.existing = set(_files(self.path))
        return self

    def _take_lock(self) -> None:
        mine = f"{os.getpid()}\n".encode()
        for _ in range(3):
            try:
                fd = os.open(self.lock, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o644)
            except FileExistsError:
                owner = _lock_owner(self.lock)
                if owner is not None and _alive(owner):
                    raise See2SoundError(
                        f"{self.path}: another see2sound run (PID {owner}) is writing into this folder",
                        hint=f"wait for it to finish, or remove {self.lock} if it is not running",
                    ) from None
                log.info("taking over the lock of a run that is no longer running (PID %s)", owner)
                with contextlib.suppress(FileNotFoundError):
                    self.lock.unlink()
                continue
            except OSError as exc:
                reason = write_failure(exc, self.path) or (exc.strerror or str(exc)).lower()
                raise See2SoundError(f"{self.path}: output folder is not writable ({reason})") from None
            with os.fdopen(fd, "wb") as fh:
                fh.write(mine)
            return
        raise See2SoundError(f"{self.path}: cannot take the folder's lock ({self.lock.name})")

    def report_kept(self) -> None:
        """Log what finished work is kept after a failure or an interrupt."""
        kept = [p for p in _files(self.path) if p not in self.existing]
        if kept:
            names = ", ".join(p.relative_to(self.path).as_posix() for p in kept)
            log.warning(f"kept the finished outputs in {self.path}: {names}")

    def _remove_empty(self) -> None:
        # the stems folder and the folders this run made, if left empty (rmdir removes only empty ones)
        for folder in (self.path / "stems", *self.created):
            with contextlib.suppress(OSError):
                folder.rmdir()

    def __exit__(self, *exc) -> None:
        if _lock_owner(self.lock) == os.getpid():
            with contextlib.suppress(OSError):
                self.lock.unlink()
        self._remove_empty()


def _files(folder: Path) -> list[Path]:
    """The files under ``folder`` (sorted; the lock and unfinished ``.part`` files not counted)."""
    if not folder.is_dir():
        return []
    return sorted(
        p for p in folder.rglob("*") if p.is_file() and p.name != LOCK_NAME and ".part" not in p.name
    )


def _lock_owner(lock: Path) -> int | None:
    try:
        return int(lock.read_text(encoding="ascii").strip())
    except (OSError, ValueError):
        return None


def _alive(pid: int) -> bool:
    """Whether process ``pid`` runs (on this machine)."""
    if pid == os.getpid():
        return True
    if os.name == "nt":  # os.kill(pid, 0) would terminate it there: assume it runs
        return True
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:  # someone else's process
        return True
    except OSError:
        return False
    return True


class _Background:
    """``func()`` on a helper thread; :meth:`join` waits for it and raises what it raised."""

    def __init__(self, func: Callable[[], object]):
        import threading

        self.error: BaseException | None = None

        def target() -> None:
            try:
                func()
            except BaseException as exc:  # handed to the caller by join()
                self.error = exc

        self.thread = threading.Thread(target=target, name="see2sound-preview", daemon=True)
        self.thread.start()

    def join(self, reraise: bool = True) -> None:
        self.thread.join()
        if reraise and self.error is not None:
            error, self.error = self.error, None
            raise error


def _run_info(scene: Scene) -> dict:
    info = getattr(scene, "run", None)
    return info if isinstance(info, dict) else {}


def _previous_scene(scene_path: Path, analysis_key: str) -> tuple[Scene | None, bool]:
    """The scene of an earlier run with the same input and analysis options, if there is one."""
    if not scene_path.exists():
        return None, False
    try:
        scene = load_scene(scene_path)
    except See2SoundError:
        return None, False
    if _run_info(scene).get("analysis_key") == analysis_key:
        log.info("reusing the scene of the previous run (%s)", scene_path)
        return scene, True
    return None, False


def _mux_command(input_path: Path, audio: Path, video: Path, mode: str, original_db: float = 0.0) -> str:
    """The ``see2sound mux`` command line that writes ``video`` from the finished ``audio``."""
    import shlex

    flags = {"keep": ["--keep-original-audio"], "mix": ["--mix-original-audio"]}.get(mode, [])
    if mode == "mix" and original_db:
        flags += ["--original-audio-db", f"{original_db:g}"]
    return shlex.join(["see2sound", "mux", str(input_path), str(audio), "-o", str(video), *flags])


def _video_format(formats: list[str], equirect: bool) -> str:
    """The audio that goes into the video: ambisonics for 360° media when asked for, else the first format."""
    formats = [name for name in formats if name not in OBJECT_FORMATS]
    if equirect:
        for name in formats:
            if get_format(name).is_ambisonic:
                return name
    return formats[0]


def _write_credits(out_dir: Path, scene_path: Path, hrtf: str | None, formats: list[str], sample_rate: int):
    from ..fileio import atomic_output
    from ..sound.credits import credits_text, merge_entries, scene_credit_entries

    data = json.loads(scene_path.read_text(encoding="utf-8"))
    entries = scene_credit_entries(data)
    if "binaural" in formats:
        from .hrtf import load_hrtf

        chosen = load_hrtf(hrtf, sample_rate)
        if getattr(chosen, "credit", ""):
            entries.append({"category": "hrtf", "title": chosen.name, "credit": chosen.credit})
    entries = merge_entries(entries)
    path = out_dir / "CREDITS.txt"
    with atomic_output(path, overwrite=True) as tmp:
        tmp.write_text(credits_text(entries), encoding="utf-8")
    return path
