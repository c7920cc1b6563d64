"""``render --format adm``: a scene as an ADM BWF file (ITU-R BS.2076 metadata in BW64, BS.2088).

Every source with audio becomes one audioObject of type Objects on its own file track: the mono stem as it
is (at 48 kHz, no gain, fade or distance applied to the samples) and audioBlockFormats that carry the rest:

- **position**: ADM polar coordinates are ours (azimuth counter-clockwise from the front, +90° = left,
  elevation up; DESIGN §2). ADM distance is normalised: ``distance = r / R`` with ``R`` the farthest
  distance of any source in the scene, written as the audioPackFormat's ``absoluteDistance`` (metres), so
  the file keeps metres and every object lies on or inside the unit sphere.
- **gain** (linear): ``gain_db`` + level calibration (``level − 76`` dB, :func:`object_gain_db`) + the 1/r
  distance gain re 1 m that our renderers apply (``spatial.distance.distance_gain``). ADM renderers do not
  attenuate by distance (EBU's ``ear`` renders an object at distance 0.1 and 1.0 alike; measured in
  tests/media/test_adm.py), so the distance gain is in the block gain, not in the samples.
- **time**: blocks at the trajectory's keys and every :data:`MOTION_STEP_S` while it moves (the renderer
  interpolates linearly between blocks, so a moving object glides along our great-circle path); an
  ``active`` span is a gain of 0 outside it, with ``jumpPosition`` blocks whose ``interpolationLength`` is
  the fade (:data:`~see2sound.spatial.envelope.DEFAULT_FADE_S`, a linear ramp centred on each edge, where
  our own renders use a raised cosine).
- **extent**: a source's extent as the block ``width``/``height`` (degrees). A bed (role ``bed``) is an
  Object with its extent: our beds are mono stems, and BS.2076's DirectSpeakers would need one track per
  loudspeaker.

No LFE object: a scene has no LFE source (our channel renders derive the LFE from the mix), and an ADM
renderer or the Dolby Atmos Renderer bass-manages objects itself. The audioProgramme carries the BS.1770
integrated loudness of a free-field 5.1 render of the same objects; with a loudness target every object
gain is scaled so that this render meets it.
"""

from __future__ import annotations

import os
from pathlib import Path

import numpy as np

from ..errors import MediaError, See2SoundError
from ..fileio import check_output
from ..geometry import vector_to_direction
from ..log import get_logger
from ..media.adm import AdmObject, Block, adm_xml, chna_entries
from ..media.bw64 import chna_chunk, write_bw64
from ..scene import Scene, Source, load_scene
from ..spatial.distance import distance_gain
from ..spatial.envelope import DEFAULT_FADE_S
from ..spatial.level import source_gain_db
from ..spatial.loudness import loudness_of
from ..spatial.render import RenderOptions, render_scene

log = get_logger(__name__)

ADM_SAMPLE_RATE = 48000  # Dolby Atmos and broadcast ADM BWF run at 48 kHz
MOTION_STEP_S = 0.1  # block length along a trajectory (EAR renders 0.1 s blocks within 1° of the path)
GRID_MS = 1  # block times are whole milliseconds: exact in ADM's decimal times and in samples
ATMOS_MAX_OBJECTS = 118  # Dolby Atmos: 128 inputs less a 7.1.2 bed


def object_gain_db(src: Source) -> float:
    """A source's gain before distance: ``gain_db``, the calibrated ``level`` and, for a bed, its 1/r undone
    (:func:`see2sound.spatial.level.source_gain_db`, the same rule as our channel renders)."""
    return source_gain_db(src)


def _envelope(t: np.ndarray, src: Source, duration: float, fade_s: float) -> np.ndarray:
    """The active span as linear ramps of ``fade_s`` centred on its edges (1 everywhere without one)."""
    env = np.ones_like(t)
    if src.active is None:
        return env
    start, end = src.active
    if start > 0:
        env *= np.clip((t - (start - fade_s / 2)) / fade_s, 0.0, 1.0)
    if end < duration:
        env *= np.clip(((end + fade_s / 2) - t) / fade_s, 0.0, 1.0)
    return env


def _knot_times_ms(src: Source, duration: float, fade_s: float) -> np.ndarray:
    """Where the block values must be exact: 0, the end, trajectory keys and steps, the fade edges."""
    end_ms = round(duration * 1000)
    times = {0, end_ms}
    if src.is_moving:
        keys = [k.t for k in src.trajectory]
        times.update(round(k * 1000) for k in keys)
        step = round(MOTION_STEP_S * 1000)
        times.update(range(round(keys[0] * 1000), round(keys[-1] * 1000), step))
    if src.active is not None:
        for edge in src.active:
            times.update(round((edge + d) * 1000) for d in (-fade_s / 2, fade_s / 2))
    # nothing inside the first millisecond: a first block that must move at once holds that long
    return np.array(sorted(t for t in times if t == 0 or GRID_MS < t <= end_ms))


def source_blocks(
    src: Source, duration: float, gain: float, distance_scale_m: float, fade_s: float = DEFAULT_FADE_S
) -> list[Block]:
    """The audioBlockFormats of one source: values exact at the knots, linear between them.

    A block starts where the previous one's value was reached, moves to the next knot's value over
    ``interpolation_s`` and holds it while the following knots keep that value. The first block holds its
    value from 0 (ADM renderers do not interpolate into a first block).
    """
    ms = _knot_times_ms(src, duration, fade_s)
    t = ms / 1000.0
    dirs, r = src.positions_at(t)
    az, el = vector_to_direction(dirs)
    g = gain * distance_gain(r) * _envelope(t, src, duration, fade_s)
    values = np.stack([az, el, r / distance_scale_m, g], axis=1)
    extent = src.extent
    width, height = (extent.width, extent.height) if extent is not None else (0.0, 0.0)

    def block(a: int, b: int, k: int, interp_ms: int | None) -> Block:
        """From knot ``a`` to knot ``b`` with knot ``k``'s value, reached ``interp_ms`` after the start."""
        return Block(
            ms[a] / 1000.0,
            (ms[b] - ms[a]) / 1000.0,
            *_polar(values[k]),
            width,
            height,
            None if interp_ms is None else interp_ms / 1000.0,
        )

    def held_until(k: int) -> int:  # the last knot from k on that keeps knot k's value
        while k + 1 < len(ms) and np.allclose(values[k + 1], values[k], rtol=1e-9, atol=1e-12):
            k += 1
        return k

    last = len(ms) - 1
    blocks: list[Block] = []
    cur = held_until(0)
    if cur > 0:
        blocks.append(block(0, cur, 0, None))
    else:  # it changes at once: hold the first value for a millisecond, then move on from there
        blocks.append(Block(0.0, GRID_MS / 1000.0, *_polar(values[0]), width, height))
        ms[0] = GRID_MS
    while cur < last:
        nxt = cur + 1
        end = held_until(nxt)
        interp = int(ms[nxt] - ms[cur])
        blocks.append(block(cur, end, nxt, None if end == nxt else interp))
        cur = end
    return blocks


def _polar(v: np.ndarray) -> tuple[float, float, float, float]:
    return float(v[0]), float(v[1]), float(min(v[2], 1.0)), float(v[3])


class _Scaled:
    """A stem multiplied by a constant, read by slices like the stem."""

    def __init__(self, stem, factor: float):
        self.stem, self.factor = stem, np.float32(factor)

    def __len__(self) -> int:
        return len(self.stem)

    def __getitem__(self, key: slice) -> np.ndarray:
        return np.asarray(self.stem[key], dtype=np.float32) * self.factor


def _peak(stem, n: int) -> float:
    peak = 0.0
    for s0 in range(0, min(n, len(stem)), 1 << 20):
        part = np.asarray(stem[s0 : min(n, s0 + (1 << 20), len(stem))])
        peak = max(peak, float(np.max(np.abs(part), initial=0.0)))
    return peak


def export_adm(
    scene_or_path: Scene | str | os.PathLike,
    output: str | os.PathLike,
    options: RenderOptions,
    overwrite: bool = False,
) -> Path:
    """Write a scene as an ADM BWF file (see the module docstring for what goes where).

    ``options``: ``sample_rate`` (default 48 kHz) and ``loudness_lufs`` (``None``: the scene's natural
    level) are used; options of channel renders (method, HRTF, room, delay, absorption) are ignored with
    a warning when set.
    """
    from .render import load_stems

    output = Path(output)
    if output.suffix.lower() != ".wav":
        raise MediaError(
            f"{output}: an ADM BWF file is a .wav (BW64); got {output.suffix or '(no extension)'}"
        )
    check_output(output, overwrite)
    sr = int(options.sample_rate or ADM_SAMPLE_RATE)
    # the rate and the loudness target, checked as a channel render checks them
    RenderOptions(format="5.1", sample_rate=sr, loudness_lufs=options.loudness_lufs, room=None).validate()
    ignored = {
        "--method": options.method != "panning",
        "--hrtf": options.hrtf is not None,
        "--propagation-delay": options.propagation_delay,
        "--air-absorption": options.air_absorption,
        "--room": options.room not in (None, "auto", "none"),
    }
    for name in (k for k, v in ignored.items() if v):
        log.warning(f"{name} does not apply to ADM (the renderer reading the file decides); ignored")
    scene = scene_or_path if isinstance(scene_or_path, Scene) else load_scene(scene_or_path)
    n = int(round(scene.duration * sr))
    if n < 1:
        raise See2SoundError(f"duration: {scene.duration} s is shorter than one sample at {sr} Hz")
    stems = load_stems(scene, sr)
    sources = [src for src in scene.sources if src.id in stems]
    if len(sources) > ATMOS_MAX_OBJECTS:
        log.warning(
            f"{len(sources)} objects: the Dolby Atmos Renderer takes at most {ATMOS_MAX_OBJECTS} objects "
            "beside a 7.1.2 bed; it cannot take the ones beyond"
        )

    # the loudness of a free-field 5.1 render of exactly these objects (gains in, envelope, 1/r)
    reference = scene.model_copy(deep=True)
    for src in reference.sources:
        src.gain_db, src.level = object_gain_db(src), None
    y = render_scene(
        reference,
        stems,
        RenderOptions(format="5.1", sample_rate=sr, loudness_lufs=None, lfe_db=None, room=None),
    )
    loudness = loudness_of(y, sr, "5.1")
    del y
    scale = 1.0
    if options.loudness_lufs is not None and np.isfinite(loudness):
        scale = 10.0 ** ((options.loudness_lufs - loudness) / 20.0)
        loudness = float(options.loudness_lufs)

    scale_m = max(k.distance for src in sources for k in src.keyframes())
    objects, tracks = [], []
    for src in sources:
        stem = stems[src.id]
        peak = _peak(stem, n)
        headroom = peak if peak > 1.0 else 1.0  # 24-bit PCM holds [-1, 1]: move the rest into the gain
        tracks.append(_Scaled(stem, 1.0 / headroom) if headroom != 1.0 else stem)
        gain = scale * headroom * 10.0 ** (object_gain_db(src) / 20.0)
        name = f"{src.id} {src.label}".strip()
        objects.append(AdmObject(name, source_blocks(src, scene.duration, gain, scale_m), scale_m))
    axml = adm_xml(
        objects,
        n / sr,
        programme_name=Path(scene.media.path).name if scene.media and scene.media.path else "see2sound",
        integrated_loudness_lufs=loudness if np.isfinite(loudness) else None,
        sample_rate=sr,
    )
    write_bw64(output, tracks, n, sr, chna_chunk(chna_entries(len(objects))), axml, overwrite=overwrite)
    log.info(f"wrote {len(objects)} ADM object(s), {scene.duration:g} s at {sr} Hz, {loudness:.1f} LUFS")
    return output
