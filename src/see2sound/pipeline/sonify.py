"""Stage 2 on a scene: give every source without audio a mono stem (``see2sound sonify``).

Each source gets a clip from the chosen sound backend (``auto``: a matching recording from the user's
libraries or the starter library, else synthesis), cached by content hash, written to
``stems/<id>.wav`` beside the output scene at the scene's sample rate, and its provenance (backend,
sound class or file, credits, seed) is recorded on the source as ``sound``.
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
from ..sound.stems import generate_cached
from ..sound.types import SoundRequest

log = get_logger(__name__)


def request_label(source) -> str:
    """What the sound stage is asked for: the source's label, or the vision stage's ``sound_class`` hint
    when the label itself names no sound (a region labelled "vegetation" with the hint "leaves
    rustling")."""
    from ..sound.classes import match_class

    label = source.label or source.id
    hint = getattr(source, "sound_class", None)
    if isinstance(hint, str) and hint and hint != label and not match_class(label).matched:
        if match_class(hint).matched:
            return hint
    return label


def source_seed(seed: int, source_id: str) -> int:
    """A per-source seed, stable across runs and platforms: hash of the global seed and the id."""
    digest = hashlib.sha256(f"{int(seed)}:{source_id}".encode()).digest()
    return int.from_bytes(digest[:4], "little") & 0x7FFFFFFF


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
        Global seed; each source's seed derives from it and the source id.
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

    todo = [src for src in scene.sources if regenerate or src.audio is None]
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
    for src in todo:
        request = SoundRequest(
            label=request_label(src),
            duration=scene.duration,
            sample_rate=scene.sample_rate,
            seed=source_seed(seed, src.id),
            prompt=src.prompt,
        )
        result, hit = generate_cached(backend, request, regenerate=regenerate)
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
        src.sound = {**result.provenance, "seed": request.seed}
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
