"""Stage 2 on a scene: give every source without audio a mono stem (``see2sound sonify``).

Each source gets a clip from the chosen sound backend (``auto``: a matching recording from the user's
libraries or the starter library, else synthesis; ``library``: recordings, synthesis only for the labels
no recording matches), cached by content hash, written to ``stems/<id>.wav`` beside the output scene at
the scene's sample rate, and its provenance (backend, sound class or file, credits, seed) is recorded
on the source as ``sound``; a starter recording by its portable name (package and file), not by its
path in this machine's cache. A stem this stage made that has gone missing (a scene moved to another
machine) is made again: from the very recording, kind and seed its provenance names, else anew.
"""

from __future__ import annotations

import hashlib
import math
import os
import re
from pathlib import Path

import numpy as np

from ..errors import See2SoundError
from ..fileio import check_output
from ..log import get_logger
from ..media.audio import write_audio
from ..scene import Scene, load_scene, save_scene
from ..sound.backends import SOUNDS
from ..sound.library import portable_provenance, recording_audio, recording_path
from ..sound.stems import generate_cached
from ..sound.types import SoundRequest, SoundResult

log = get_logger(__name__)


def request_label(source) -> str:
    """What the sound stage is asked for: the source's recorded ``sound_class`` when it has one (the
    vision stage decided what is heard: a "boat" on a shore is ``lapping``, and scene.json says so),
    else its label (a scene written by hand)."""
    hint = getattr(source, "sound_class", None)
    if isinstance(hint, str) and hint.strip():
        return hint.strip()
    return source.label or source.id


MEDIA_CHUNK = 1 << 20  # a picture's key reads at most its first and last MiB (~1 ms; a video stays cheap)
REGION_GRID = 0.05  # regions are rounded to 5 % of the frame (or 10° of direction) before hashing


def media_key(scene: Scene) -> str:
    """What identifies the picture or video a scene was made from, for seeding: a digest of the file's
    size and of its first and last MiB when it can be read (the same picture gives the same key under
    any name or folder), else its file name and size in pixels; ``""`` for a scene written by hand."""
    media = scene.media
    if media is None or not media.path:
        return ""
    path = Path(media.path)
    path = path if path.is_absolute() else scene.base_dir / path
    try:
        with open(path, "rb") as fh:
            size = os.fstat(fh.fileno()).st_size
            digest = hashlib.sha256(f"{size}:".encode())
            digest.update(fh.read(MEDIA_CHUNK))
            if size > MEDIA_CHUNK:
                fh.seek(max(MEDIA_CHUNK, size - MEDIA_CHUNK))
                digest.update(fh.read(MEDIA_CHUNK))
        return digest.hexdigest()[:24]
    except OSError:
        return f"{Path(media.path).name}:{media.width}x{media.height}"


def _numbers(value) -> list[float]:
    """The numbers of a (possibly nested) box or keyframe list, in order."""
    if isinstance(value, int | float) and not isinstance(value, bool):
        return [float(value)]
    if isinstance(value, dict):
        value = list(value.values())
    if isinstance(value, list | tuple):
        return [x for item in value for x in _numbers(item)]
    return []


def region_key(source, width: int | None = None, height: int | None = None) -> str:
    """Where a source is, coarsely: its box on a 5 % grid of the frame (a 16-pixel grid when the frame
    size is unknown), else its direction on a 10° grid; ``""`` when it has neither."""
    box = _numbers(source.bbox)[:4] if source.bbox else []
    if len(box) == 4:
        scale = [width or 0, height or 0, width or 0, height or 0]
        cells = [
            round(v / (s * REGION_GRID)) if s else round(v / 16) for v, s in zip(box, scale, strict=True)
        ]
        return "box:" + ",".join(map(str, cells))
    pos = source.position
    if pos is None and source.trajectory:
        pos = source.trajectory[0]  # a keyframe is a position at a time
    if pos is not None:
        return f"dir:{round(pos.azimuth / 10) % 36},{round(pos.elevation / 10)}"
    return ""


def source_seed(seed: int, content: str) -> int:
    """A per-source seed, stable across runs and platforms: hash of the global seed and ``content``
    (:func:`content_keys`: the picture, what the source is and where), so the same photo gives the same
    sound and another photo another variation, whatever the source's index or id."""
    digest = hashlib.sha256(f"{int(seed)}:{content}".encode()).digest()
    return int.from_bytes(digest[:4], "little") & 0x7FFFFFFF


def content_keys(scene: Scene, sources) -> dict[str, str]:
    """Each source's content key (by id): media key, requested label and region; sources that would
    share one (two dogs in the same place) are told apart by their order among themselves."""
    media = media_key(scene)
    width = scene.media.width if scene.media else None
    height = scene.media.height if scene.media else None
    keys: dict[str, str] = {}
    seen: dict[str, int] = {}
    for src in sources:
        key = f"{media}|{request_label(src).strip().lower()}|{region_key(src, width, height)}"
        seen[key] = seen.get(key, 0) + 1
        keys[src.id] = key if seen[key] == 1 else f"{key}|{seen[key]}"
    return keys


def stem_filename(source_id: str) -> str:
    """``stems/<id>.wav`` with characters that are unsafe in file names replaced."""
    safe = re.sub(r"[^A-Za-z0-9._-]", "_", source_id).strip(".") or "source"
    return f"stems/{safe}.wav"


def create_backend(sound: str = "auto", sound_library=(), allow_share_alike: bool = False):
    """The backend object for ``sound`` (``auto`` is the library-then-synthesis chain)."""
    libraries = [Path(p) for p in sound_library]
    if sound == "auto":
        from ..sound.auto import AutoSound

        return AutoSound(libraries, allow_share_alike=allow_share_alike)
    if sound == "library":
        return SOUNDS.create(sound, libraries=libraries, allow_share_alike=allow_share_alike)
    if libraries:
        log.warning(f"--sound-library is ignored by the {sound!r} backend")
    return SOUNDS.create(sound)


def _lost_stem(scene: Scene, src) -> bool:
    """True when a stem this stage made (the source has its provenance) is no longer there."""
    path = scene.audio_path(src)
    return path is not None and isinstance(getattr(src, "sound", None), dict) and not path.exists()


def _from_recording(src, request: SoundRequest) -> SoundResult | None:
    """The lost stem of a source made from a recording, made again from that recording with the recorded
    kind and seed (``request.seed``: the same samples); ``None`` when it was not made from one. A
    starter recording's portable name is resolved in this machine's cache."""
    prov = src.sound
    if prov.get("backend") != "library":
        return None
    files = prov.get("files")
    if not isinstance(files, list) or not files or not isinstance(files[0], dict):
        return None
    path = recording_path(files[0])  # a starter recording not fetched here: one line naming the fix
    if not path.is_file():
        return None
    audio, _ = recording_audio(path, prov.get("kind"), request, prov.get("rhythm"))
    return SoundResult(audio, {k: v for k, v in prov.items() if k != "seed"})


def _library_or_synthesis(library, sources, requests: dict) -> dict:
    """``--sound library``: the sources no recording matches are synthesised instead, with one warning
    naming them; only when no source matches at all is it an error."""
    unmatched = [src for src in sources if library.find(requests[src.id]) is None]
    if not unmatched:
        return {}
    names = ", ".join(f"{requests[src.id].label!r} ({src.id})" for src in unmatched)
    if len(unmatched) == len(sources):
        where = ", ".join(str(lib.root) for lib in library.libraries) or "no library"
        raise See2SoundError(
            f"no recording matches any label ({names}) in {where}",
            hint="add files or tags to the library, or use --sound auto to synthesise unmatched labels",
        )
    log.warning(f"no recording matches {names}: synthesised instead (procedural)")
    synthesis = SOUNDS.create("procedural")
    return {src.id: synthesis for src in unmatched}


def sonify(
    scene_or_path: Scene | str | os.PathLike,
    output: str | os.PathLike | None = None,
    sound: str = "auto",
    sound_library=(),
    duration: float | None = None,
    seed: int = 0,
    regenerate: bool = False,
    overwrite: bool = False,
    allow_share_alike: bool = False,
) -> Scene:
    """Fill in the audio of a scene's sources and save the scene.

    Parameters
    ----------
    scene_or_path : Scene or path
        The scene (a loaded :class:`~see2sound.scene.Scene` or a ``scene.json`` path).
    output : path, optional
        Where to save the updated scene (default: update the input file in place). Stems go to
        ``stems/`` beside it.
    sound : str
        ``auto``, ``procedural``, ``library`` or any registered sound backend.
    sound_library : sequence of paths
        The user's sound folders, searched in order before the starter library.
    duration : float, optional
        New scene duration in seconds (default: the scene's).
    seed : int
        Global seed; each source's seed derives from it and the source's content (the picture, what
        the source is and where it is: :func:`content_keys`), not from its index or id.
    regenerate : bool
        Regenerate every source, also those that already have audio.
    overwrite : bool
        Replace an existing output scene or stem file.
    allow_share_alike : bool
        Allow CC-BY-SA recordings.

    Returns
    -------
    Scene
        The updated scene (also saved).
    """
    if duration is not None and (not math.isfinite(float(duration)) or float(duration) <= 0):
        raise See2SoundError(f"--duration: must be greater than 0 seconds, got {duration}")
    if isinstance(scene_or_path, Scene):
        scene = scene_or_path.model_copy(deep=True)
        scene.base_dir = scene_or_path.base_dir
        if output is None:
            raise See2SoundError("sonify: an output path is needed when the scene is not read from a file")
        in_place = False
    else:
        scene = load_scene(scene_or_path)
        in_place = output is None or Path(output).resolve() == Path(scene_or_path).resolve()
        output = Path(scene_or_path) if output is None else Path(output)
    output = Path(output)
    if not in_place:
        check_output(output, overwrite)
    if duration is not None:
        scene.duration = float(duration)
    out_dir = output.parent.resolve() if str(output.parent) else Path.cwd()

    todo = [src for src in scene.sources if regenerate or src.audio is None or _lost_stem(scene, src)]
    targets = {src.id: out_dir / stem_filename(src.id) for src in todo}
    for src in todo:  # refuse before any work, so a refusal writes nothing
        target = targets[src.id]
        own = scene.audio_path(src)
        if target.exists() and not (overwrite or (own is not None and own == target)):
            raise See2SoundError(f"{target}: already exists", hint="use --overwrite to replace it")
    if len(set(targets.values())) != len(targets):
        raise See2SoundError(
            "source ids map to the same stem file name; make the ids differ in letters or digits"
        )
    if not todo:
        log.info("every source already has audio (use --regenerate to make new stems)")
    backend = create_backend(sound, sound_library, allow_share_alike) if todo else None
    lost = {src.id: not regenerate and src.audio is not None for src in todo}
    contents = content_keys(scene, scene.sources)
    requests = {
        src.id: SoundRequest(
            label=request_label(src),
            duration=scene.duration,
            sample_rate=scene.sample_rate,
            seed=int(src.sound.get("seed", source_seed(seed, contents[src.id])))  # a lost stem: as it was
            if lost[src.id]
            else source_seed(seed, contents[src.id]),
            prompt=src.prompt,
        )
        for src in todo
    }
    restored = {src.id: _from_recording(src, requests[src.id]) for src in todo if lost[src.id]}
    fresh = [src for src in todo if restored.get(src.id) is None]
    backends = _library_or_synthesis(backend, fresh, requests) if sound == "library" and fresh else {}
    for src in todo:
        request = requests[src.id]
        if restored.get(src.id) is not None:
            result, hit = restored[src.id], False
            log.info(f"{src.id}: its stem was missing; made again from the recording it names")
        else:
            result, hit = generate_cached(backends.get(src.id, backend), request, regenerate=regenerate)
        if hit and result.provenance.get("note"):
            log.warning(result.provenance["note"])
        n = int(round(scene.duration * scene.sample_rate))
        audio = np.asarray(result.audio, dtype=np.float32).reshape(-1)
        if audio.shape != (n,) or not np.all(np.isfinite(audio)):
            raise See2SoundError(
                f"source {src.id!r}: backend {backend.name!r} returned {audio.shape[0]} samples,"
                f" expected {n} finite samples"
            )
        write_audio(targets[src.id], audio[None, :], scene.sample_rate, overwrite=True)
        src.audio = str(targets[src.id])
        src.sound = {**portable_provenance(result.provenance), "seed": request.seed}
        what = (
            result.provenance.get("sound_class")
            or result.provenance.get("model")
            or ", ".join(f.get("title", "") for f in result.provenance.get("files", []))
        )
        log.info(
            f"{src.id} ({src.label}): {result.provenance.get('backend')} {what}{' (cached)' if hit else ''}"
        )
    save_scene(scene, output, overwrite=True)
    scene = load_scene(output)
    return scene
