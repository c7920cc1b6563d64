"""``render``: a finished scene (positions + stems) in, a spatial audio file out. Needs no model.

Everything is validated before any audio is rendered: options, the scene, every stem, the HRTF and the
output path. Nothing is written unless the whole render succeeds. The render is written a block at a
time as it is finished (:class:`see2sound.spatial.render.SceneStream`): the memory does not grow with the
scene's duration.
"""

from __future__ import annotations

import os
from pathlib import Path

import numpy as np

from ..errors import MediaError, SceneError
from ..fileio import check_output
from ..formats import OBJECT_FORMATS
from ..log import get_logger
from ..media.audio import AUDIO_SUFFIXES, MonoReader, open_audio_writer, open_mono
from ..scene import Scene, load_scene
from ..spatial.render import RenderOptions, SceneStream

log = get_logger(__name__)

# --method paper places omni microphones this far from the listener at most: a room-sized array.
MAX_MIC_RADIUS_M = 100.0


def load_stems(
    scene: Scene, sample_rate: int, allow_outside_paths: bool = False
) -> dict[str, np.ndarray | MonoReader]:
    """Every source's stem as mono float32 at ``sample_rate``: an array, or a :class:`MonoReader` that
    reads the file block by block as the renderer needs it (:func:`see2sound.media.audio.open_mono`).

    Multichannel stems are down-mixed (with a warning); sources whose ``audio`` is ``null`` are skipped
    with a warning. Raises :class:`SceneError` when no source has audio and :class:`MediaError` naming
    the source and file when a stem is missing or unreadable. A stem outside the scene's folder is
    refused (:class:`SceneError`) unless ``allow_outside_paths``.
    """
    if all(src.audio is None for src in scene.sources):
        raise SceneError(
            "the scene has no source with audio (generate the sounds first, or set 'audio' paths)"
        )
    stems: dict[str, np.ndarray | MonoReader] = {}
    for i, src in enumerate(scene.sources):
        where = f"sources[{i}] (id {src.id!r}): audio"
        path = scene.audio_path(src, allow_outside=allow_outside_paths)
        if path is None:
            log.warning(f"{where}: not generated yet (null); this source is left out")
            continue
        try:
            stems[src.id], channels = open_mono(path, sample_rate)
        except MediaError as exc:
            raise MediaError(f"{where}: {exc}") from None
        if channels > 1:
            log.warning(f"{where}: {path.name} has {channels} channels; down-mixed to mono")
    return stems


# A source this far below the loudest one (or below full scale with --loudness off) is under the 24-bit
# noise floor of the stem it is mixed with: it renders as silence.
INAUDIBLE_DB = -120.0
SPEED_OF_SOUND = 343.0


def warn_inaudible(scene: Scene, stems: dict, options: RenderOptions) -> list[str]:
    """Warn (and return the ids of) sources that will not be heard: a silent stem, an ``active`` span
    after the end, a propagation delay longer than the scene, or a gain and distance that put the
    source below the output's resolution."""
    levels = {}
    for src in scene.sources:
        if src.id not in stems:
            continue
        distance = min(k.distance for k in src.keyframes())
        levels[src.id] = src.gain_db - 20 * np.log10(max(distance, options.min_distance_m))
    loudest = max(levels.values(), default=0.0)
    silent = []
    for src in scene.sources:
        if src.id not in stems:
            continue
        why = None
        if src.active is not None and src.active[0] >= scene.duration:
            why = (
                f"its active span starts at {src.active[0]:g} s, after the scene ends ({scene.duration:g} s)"
            )
        elif options.propagation_delay and options.method != "paper":
            nearest = min(k.distance for k in src.keyframes())
            if nearest / SPEED_OF_SOUND >= scene.duration:
                why = (
                    f"at {nearest:g} m its sound arrives after {nearest / SPEED_OF_SOUND:.1f} s,"
                    f" after the scene ends ({scene.duration:g} s)"
                )
        if why is None:
            reference = loudest if options.loudness_lufs is not None else 0.0
            if levels[src.id] - reference < INAUDIBLE_DB:
                why = (
                    f"its gain and distance put it {reference - levels[src.id]:.0f} dB below"
                    f" {'the loudest source' if options.loudness_lufs is not None else 'full scale'}"
                )
            elif _is_silent(
                stems[src.id], int(round(scene.duration * (options.sample_rate or scene.sample_rate)))
            ):
                why = "its stem is silent"
        if why is not None:
            log.warning(f"source {src.id!r} will not be heard: {why}")
            silent.append(src.id)
    return silent


def _is_silent(stem, n: int, block: int = 1 << 20) -> bool:
    """Whether the first ``n`` samples of a stem (array or :class:`MonoReader`) are all zero."""
    for a in range(0, min(n, len(stem)), block):
        if np.any(np.asarray(stem[a : min(a + block, n, len(stem))])):
            return False
    return True


def load_hrtf_for(options: RenderOptions, sample_rate: int):
    """The HRTF for a binaural render (``None`` for other formats)."""
    if options.format != "binaural":
        return None
    from .hrtf import load_hrtf

    return load_hrtf(options.hrtf, sample_rate)


def render(
    scene_or_path: Scene | str | os.PathLike,
    output: str | os.PathLike,
    format: str = "5.1",
    method: str = "panning",
    sample_rate: int | None = None,
    hrtf: str | None = None,
    loudness_lufs: float | None = None,
    true_peak_dbtp: float | None = -1.0,
    lfe_db: float | None = -10.0,
    propagation_delay: bool = False,
    air_absorption: bool = False,
    mic_radius_m: float = 2.0,
    room: str | None = "auto",
    overwrite: bool = False,
    options: RenderOptions | None = None,
    allow_outside_paths: bool = False,
) -> Path:
    """Render a scene file (or :class:`Scene`) to ``output`` (``.wav`` with channel mask, or ``.flac``;
    ``format="adm"``: an ADM BWF ``.wav``, :func:`see2sound.pipeline.adm.export_adm`).

    Keyword arguments mirror :class:`see2sound.spatial.render.RenderOptions` (``options`` replaces them
    all when given). ``allow_outside_paths`` lets stems lie outside the scene's folder. Returns the
    output path.

    Examples
    --------
    >>> render("examples/scene/scene.json", "out/scene.wav", overwrite=True)  # doctest: +SKIP
    PosixPath('out/scene.wav')
    """
    if options is None:
        options = RenderOptions(
            format=format,
            method=method,
            sample_rate=sample_rate,
            hrtf=hrtf,
            loudness_lufs=loudness_lufs,
            true_peak_dbtp=true_peak_dbtp,
            lfe_db=lfe_db,
            propagation_delay=propagation_delay,
            air_absorption=air_absorption,
            mic_radius_m=mic_radius_m,
            room=room,
        )
    if options.format in OBJECT_FORMATS:  # ADM BWF: objects and their metadata, no channel render
        from .adm import export_adm

        return export_adm(scene_or_path, output, options, overwrite=overwrite)
    options.validate()
    if options.hrtf is not None and options.format != "binaural":
        log.warning(f"--hrtf is only used for binaural output; ignored for {options.format}")
    output = Path(output)
    if output.suffix.lower() not in AUDIO_SUFFIXES:
        raise MediaError(
            f"{output}: unsupported audio extension {output.suffix or '(none)'}; use .wav or .flac"
        )
    scene = scene_or_path if isinstance(scene_or_path, Scene) else load_scene(scene_or_path)
    check_output(output, overwrite)
    sr = int(options.sample_rate or scene.sample_rate)
    if round(scene.duration * sr) < 1:
        raise SceneError(f"duration: {scene.duration} s is shorter than one sample at {sr} Hz")
    hrtf_data = load_hrtf_for(options, sr)
    stems = load_stems(scene, sr, allow_outside_paths)
    warn_inaudible(scene, stems, options)
    stream = SceneStream(scene, stems, options, hrtf=hrtf_data)
    gain = stream.loudness_gain()  # a first pass that renders and measures, with --loudness only
    with open_audio_writer(output, sr, stream.channels, stream.n, options.format, overwrite) as writer:
        for block in stream.blocks(gain):
            writer.write(block)
        if stream.rescale is not None:  # the limiter's last check: everything a little quieter (rare)
            writer.rewind()
            for block in stream.blocks(gain, stream.rescale):
                writer.write(block)
    log.info(f"rendered {len(stems)} source(s), {scene.duration:g} s, to {options.format} at {sr} Hz")
    return output
