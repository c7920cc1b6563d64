"""``analyze``: a picture, GIF or video in, ``scene.json`` (audio not generated yet) and ``preview.png`` out.

Reads the media (media stage), runs the vision stage on its frames, and writes the scene (DESIGN §3):
one source per chosen region, with a fixed ``position`` for still pictures and a ``trajectory`` with a
``bbox`` per key for tracked regions of animations and videos.
"""

from __future__ import annotations

import logging
import os
import re
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from ..errors import See2SoundError
from ..fileio import atomic_output, check_output
from ..log import get_logger
from ..scene import Scene, check_duration, save_scene
from .preview import write_preview

log = get_logger(__name__)

DEFAULT_IMAGE_DURATION_S = 10.0
ANALYSIS_FPS = 4.0  # the highest analysis rate (short clips); see analysis_fps
MIN_ANALYSIS_FPS = 2.0  # clips longer than 12 s: tracks still keep up with walkers and cars
MIN_ANALYSIS_FRAMES = 24  # a short clip gets at least this many (tracking needs observations)
# A long clip is analysed at a lower rate so that the work is bounded: at most this many analysed frames
# (2 minutes at 2 fps; a 3-minute clip is analysed at 1.33 fps). A picture held for long (a GIF delay,
# a timestamp gap) is analysed once and its result reused.
MAX_ANALYSIS_FRAMES = 240
# Sources over a whole clip, per --sources slot: every source is a stem as long as the clip, held whole by
# the sound and render stages (a 3-minute clip with 36 passers-by took 1.1 GB; 12 stems take 0.4 GB).
MAX_SOURCES_PER_SLOT = 3
ANALYSIS_MAX_SIZE = 1024
STATIC_SPREAD_DEG = 1.0  # a track that moves less than this becomes a fixed position


def _round(x: float, digits: int = 3) -> float:
    return float(round(float(x), digits))


def _jsonable(value):
    """Evidence as plain JSON: numbers rounded, NumPy scalars and tuples made Python values."""
    if isinstance(value, dict):
        return {str(k): _jsonable(v) for k, v in value.items() if v is not None}
    if isinstance(value, (list, tuple)):
        return [_jsonable(v) for v in value]
    if isinstance(value, (bool, np.bool_)):
        return bool(value)
    if isinstance(value, (int, np.integer)):
        return int(value)
    if isinstance(value, (float, np.floating)):
        return _round(value)
    return value if isinstance(value, str) else str(value)


def _source_fields(draft, prompt: str | None) -> dict:
    """What the scene records of a chosen source: label, the sound class that will be heard, its role,
    extent, level and evidence, and the prompt noun that named it (not the whole prompt: a source the
    prompt does not name keeps its own sound)."""
    region = draft.region
    fields = {
        "label": draft.label,
        "sound_class": draft.sound_class,
        "confidence": _round(draft.confidence),
        "kind": draft.kind,
        "origin": draft.origin,
    }
    role = getattr(draft, "role", None)
    if role:
        fields["role"] = role
    extent = getattr(draft, "extent", None)
    if extent:
        fields["extent"] = {"width": _round(extent[0], 1), "height": _round(extent[1], 1)}
    level = getattr(draft, "level_db", None)
    if level is not None:
        fields["level"] = _round(level, 1)
    noun = region.extra.get("prompt_noun")
    if noun:
        fields["prompt_noun"] = noun
        phrase = (getattr(draft, "evidence", None) or {}).get("prompt_phrase")
        fields["prompt"] = phrase or noun
    if "measured_distance_m" in region.extra:
        fields["measured_distance"] = _round(region.extra["measured_distance_m"])
    if len(region.labels) > 1:
        fields["labels"] = [[name, _round(score)] for name, score in region.labels[:3]]
    evidence = getattr(draft, "evidence", None)
    if evidence:
        fields["evidence"] = _jsonable(evidence)
    return fields


def _bbox(box, factor: float) -> list[float]:
    return [_round(b * factor, 1) for b in box]


def _image_sources(analysis, prompt: str | None, factor: float) -> list[dict]:
    sources = []
    for i, draft in enumerate(analysis.sources):
        src = {"id": f"s{i}", **_source_fields(draft, prompt), "audio": None}
        src["position"] = {
            "azimuth": _round(draft.azimuth_deg),
            "elevation": _round(draft.elevation_deg),
            "distance": _round(draft.distance_m),
        }
        x0, y0, x1, y1 = draft.bbox
        if x1 > x0 and y1 > y0:  # a bed all around or a placed prompt noun has no region
            src["bbox"] = _bbox(draft.bbox, factor)
            src["polygon"] = [[_round(x * factor, 1), _round(y * factor, 1)] for x, y in draft.polygon]
        sources.append(src)
    return sources


def _track_sources(tracks, prompt: str | None, factor: float, voices: dict | None = None) -> list[dict]:
    """Scene sources of tracks; ``voices`` (track id → :class:`~see2sound.vision.compose.Voice`) sets the
    sound class, role, level and extent heard, and the rule that voiced it."""
    from ..geometry import angle_between_deg, direction_to_vector

    sources = []
    for i, track in enumerate(tracks):
        best = max(track.drafts, key=lambda d: d.score)
        src = {"id": f"s{i}", **_source_fields(best, prompt), "audio": None}
        src.update(
            label=track.label,
            sound_class=track.sound_class,
            kind=track.kind,
            confidence=_round(track.confidence),
        )
        voice = (voices or {}).get(track.id)
        if voice is not None:
            src.update(sound_class=voice.sound_class, role=voice.role)
            if voice.level_db is not None:
                src["level"] = _round(voice.level_db, 1)
            if voice.extent:
                src["extent"] = {"width": _round(voice.extent[0], 1), "height": _round(voice.extent[1], 1)}
            src["evidence"] = {
                **(src.get("evidence") or {}),
                "rule": voice.rule,
                "moving": bool(track.moving),
                "score": _round(np.mean([d.score for d in track.drafts])),
            }
        vectors = direction_to_vector(track.azimuth_deg, track.elevation_deg)
        mean = vectors.mean(axis=0)
        spread = float(np.max(angle_between_deg(vectors, mean))) if len(vectors) else 0.0
        distance_ratio = float(track.distance_m.max() / track.distance_m.min())
        if len(track.times) == 1 or (spread < STATIC_SPREAD_DEG and distance_ratio < 1.1):
            from ..geometry import vector_to_direction

            az, el = vector_to_direction(mean)
            src["position"] = {
                "azimuth": _round(az),
                "elevation": _round(el),
                "distance": _round(np.median(track.distance_m)),
            }
            src["bbox"] = _bbox(best.bbox, factor)
        else:
            src["trajectory"] = [
                {
                    "t": _round(t),
                    "azimuth": _round(az),
                    "elevation": _round(el),
                    "distance": _round(d),
                    "bbox": _bbox(draft.bbox, factor),
                }
                for t, az, el, d, draft in zip(
                    track.times,
                    track.azimuth_deg,
                    track.elevation_deg,
                    track.distance_m,
                    track.drafts,
                    strict=True,
                )
            ]
            src["bbox"] = _bbox(best.bbox, factor)
        src["track"] = {
            "frames": len(track.times),
            "start": _round(track.times[0]),
            "end": _round(track.times[-1]),
            "moving": bool(track.moving),
        }
        sources.append(src)
    return sources


def _mark_activity(sources: list[dict], duration: float, frame_interval: float) -> None:
    """Give tracks that start after the first analysed frame or end before the last one an ``active``
    span, so that the renderer fades them in where they appear and out where they leave."""
    for src in sources:
        track = src.get("track")
        if not track:
            continue
        start = float(track["start"]) if track["start"] > 1.5 * frame_interval else 0.0
        end = float(track["end"]) + frame_interval
        end = duration if end >= duration - 0.5 * frame_interval else end
        if start > 0.0 or end < duration:
            src["active"] = [_round(start), _round(min(end, duration))]


class _FallbackCounter(logging.Filter):
    """Holds back the vision stage's per-frame "no regions found" warning: a black first frame is no news
    when later frames find things; :func:`analyze_video` warns once when no frame found anything."""

    def __init__(self) -> None:
        super().__init__()
        self.count = 0
        self.message = ""

    def filter(self, record: logging.LogRecord) -> bool:
        message = record.getMessage()
        if "no regions found" in message:
            self.count += 1
            self.message = message
            return False
        # a frame's "2 of 4 sources: ..." says nothing of the clip, whose sources are chosen over time
        return re.match(r"\d+ of \d+ sources: ", message) is None


def _voice_key(track) -> tuple[str, bool] | None:
    """The label :func:`~see2sound.vision.compose.sounding` is asked about and whether it is a scene part;
    ``None`` for a region neither the detector nor the scene parts name."""
    best = max(track.drafts, key=lambda d: d.score)
    extra = best.region.extra
    if extra.get("detector_label"):
        return str(extra["detector_label"]), False
    if extra.get("part"):
        return str(extra["part"]), True
    if track.kind != "object":
        return track.label, True
    return None


def _track_voice(track, picture):
    """How a track sounds (:class:`~see2sound.vision.compose.Voice`), or ``None``: silent.

    A named thing is asked of :func:`~see2sound.vision.compose.sounding` with ``moving`` from the track (a
    parked car is silent, a driving one passes by, a walking person's steps are heard). A region nobody
    names is voiced only while it moves (something moving through the picture is heard with the sound its
    region was given); standing still it is silent (a sheet of paper on a lawn).
    """
    from ..vision import compose

    key = _voice_key(track)
    if key is not None:
        return compose.sounding(key[0], part=key[1], moving=bool(track.moving), picture=picture)
    if not track.moving or not track.sound_class:
        return None
    try:
        level = compose.class_level(track.sound_class)[0]
    except KeyError:
        level = None
    return compose.Voice(track.sound_class, level, "spot", "an unnamed region that moves keeps its own sound")


def _video_bed(analysis, n_sources: int, prompt: str | None) -> list:
    """The bed (role ``bed``) that :func:`~see2sound.vision.compose.choose_sources` gives the representative
    frame: the place, heard under the movers (none with a single source: it goes to the movers)."""
    from ..vision.compose import choose_sources

    if analysis is None or n_sources < 2:
        return []
    drafts = choose_sources(list(analysis.candidates), analysis.picture, n_sources, prompt)
    return [d for d in drafts if d.role == "bed"]


@dataclass
class VideoAnalysis:
    """What :func:`analyze_video` found: chosen tracks with their voices, the bed, a representative frame."""

    tracks: list
    voices: dict
    bed: list
    frame: np.ndarray  # the representative frame (the one where most is found), for the preview
    analysis: object  # its ImageAnalysis
    room: dict | None
    duration: float
    frame_interval: float
    cuts: list = field(default_factory=list)

    @property
    def preview_drafts(self) -> list:
        return [t.drafts[len(t.drafts) // 2] for t in self.tracks] or list(self.analysis.sources)

    def scene_sources(self, prompt: str | None, factor: float) -> list[dict]:
        """Scene sources: the bed first (fixed), then the tracks, ``active`` where they are seen."""
        from types import SimpleNamespace

        beds = _image_sources(SimpleNamespace(sources=self.bed), prompt, factor) if self.bed else []
        if self.tracks:
            spots = _track_sources(self.tracks, prompt, factor, self.voices)
            _mark_activity(spots, self.duration, self.frame_interval)
        elif not beds:
            log.warning("no sounding region lasted long enough to track; using the representative frame's")
            spots = _image_sources(self.analysis, prompt, factor)
        else:
            spots = []
        out = beds + spots
        for i, src in enumerate(out):
            src["id"] = f"s{i}"
        return out


def analysis_fps(duration: float | None) -> float:
    """The analysis frame rate of a clip ``duration`` seconds long.

    ``MIN_ANALYSIS_FRAMES`` frames, at ``MIN_ANALYSIS_FPS`` to ``ANALYSIS_FPS``, and at most
    ``MAX_ANALYSIS_FRAMES`` (a 4 s clip: 4 fps; 10 s: 2.4 fps; 60 s: 2 fps; 3 minutes: 1.33 fps).
    Each analysed frame costs about 0.25 CPU-s (the classical regions and the detector), most of a run.
    """
    if not duration or duration <= 0:
        return ANALYSIS_FPS
    fps = min(ANALYSIS_FPS, max(MIN_ANALYSIS_FPS, MIN_ANALYSIS_FRAMES / duration))
    return min(fps, MAX_ANALYSIS_FRAMES / float(duration))


def analyze_video(
    frames,
    n_sources: int,
    hfov: float,
    projection: str,
    prompt,
    backends,
    min_area: float,
    duration,
    fps: float = ANALYSIS_FPS,
) -> VideoAnalysis:
    """Analyse every frame, find shot cuts, track, voice each track and choose what is heard when.

    A track is voiced by :func:`~see2sound.vision.compose.sounding` with ``moving`` from the track (a parked
    car or a still lamp post stays silent); at most ``n_sources`` voiced tracks are heard at any moment,
    movers first (:func:`~see2sound.vision.tracking.select_over_time`); the bed of the representative frame
    carries the place under them (counted as one source).
    """
    from ..vision import analysis as vision_analysis
    from ..vision.room import combine_rooms
    from ..vision.tracking import CUT_DISTANCE, frame_change, select_over_time, track_sources

    frame_interval = 1.0 / fps
    per_frame, rooms, cuts = [], [], []
    previous = None
    held = None  # (source time, candidates) of the last picture analysed: a held picture is not redone
    best = None  # (richness, image, analysis): the representative frame keeps its masks
    fallbacks = _FallbackCounter()
    # the vision stage warns from analyze_image, the vocabulary from the mix it chooses for each frame
    vision_logs = [
        logging.getLogger(f"{vision_analysis.__package__}.{name}") for name in ("analysis", "compose")
    ]
    for vision_log in vision_logs:
        vision_log.addFilter(fallbacks)
    try:
        for frame in frames:
            image = frame.image
            if held is not None and frame.source_time_s == held[0]:
                per_frame.append((frame.time_s, held[1]))
                continue
            if previous is not None and frame_change(previous, image) > CUT_DISTANCE:
                cuts.append(frame.time_s)
            previous = image
            result = vision_analysis.analyze_image(
                image,
                n_sources=n_sources,
                hfov_deg=hfov,
                projection=projection,
                prompt=prompt,
                backends=backends,
                min_area=min_area,
                max_candidates=2 * n_sources + 4,
            )
            drafts = result.candidates or ([] if result.fallback else result.sources)
            per_frame.append((frame.time_s, drafts))
            held = (frame.source_time_s, drafts)
            rooms.append(result.room)
            richness = -1.0 if result.fallback else sum(d.score for d in result.candidates)
            if best is None or richness > best[0]:
                if best is not None:
                    vision_analysis.drop_pixels(best[2])
                best = (richness, image, result)
            else:
                vision_analysis.drop_pixels(result)  # a long video does not hold every frame's pixels
    finally:
        for vision_log in vision_logs:
            vision_log.removeFilter(fallbacks)
    if not per_frame:
        raise See2SoundError("video: no frames could be decoded")
    if fallbacks.count and fallbacks.count == len(rooms):
        log.warning("%s (in every analysed frame)", fallbacks.message)
    _, frame_image, representative = best
    tracks = track_sources(per_frame, cuts=cuts)
    voices = {}
    for track in tracks:
        voice = _track_voice(track, representative.picture)
        if voice is not None:
            voices[track.id] = voice
            track.sound_class = voice.sound_class
    bed = _video_bed(representative, n_sources, prompt)
    voiced = [t for t in tracks if t.id in voices and not (bed and t.kind != "object")]
    chosen = (
        select_over_time(
            voiced, n_sources - (1 if bed else 0), frame_interval, MAX_SOURCES_PER_SLOT * n_sources
        )
        if voiced
        else []
    )
    last_time = per_frame[-1][0]
    total = _round(duration or last_time + frame_interval)
    return VideoAnalysis(
        chosen, voices, bed, frame_image, representative, combine_rooms(rooms), total, frame_interval, cuts
    )


def _prefetched(items):
    """Iterate ``items`` with the next one produced on a helper thread while the caller works on the
    current one (video decoding releases the GIL, so it overlaps the analysis of the previous frame)."""
    from concurrent.futures import ThreadPoolExecutor

    iterator, done = iter(items), object()
    with ThreadPoolExecutor(max_workers=1, thread_name_prefix="see2sound-decode") as pool:
        pending = pool.submit(next, iterator, done)
        while (item := pending.result()) is not done:
            pending = pool.submit(next, iterator, done)
            yield item


def analyze(
    input_path: str | os.PathLike,
    output_scene_path: str | os.PathLike,
    sources: int = 4,
    prompt: str | None = None,
    vision: str = "auto",
    depth: str = "auto",
    labels: str = "auto",
    detector: str = "auto",
    fov: float | None = None,
    projection: str | None = None,
    depth_range: tuple[float, float] | None = None,
    min_area: float = 0.005,
    overwrite: bool = False,
    seed: int = 0,
    preview: bool = True,
    defer_preview: list | None = None,
) -> Scene:
    """Analyse ``input_path`` and write ``output_scene_path`` (plus ``preview.png`` beside it).

    Parameters
    ----------
    input_path : path
        A picture, animated GIF/APNG/WebP or video.
    output_scene_path : path
        Where to write ``scene.json``; refused if it exists unless ``overwrite``.
    sources : int
        Number of sources (>= 1).
    prompt : str, optional
        Text whose sound-bearing nouns label the regions; attached to every source.
    vision, depth, labels, detector : str
        Backend names (``auto`` = best usable here; ``detector="none"`` skips detection).
    fov : float, optional
        Horizontal field of view in degrees (default: EXIF, else 65).
    projection : {"perspective", "equirect"}, optional
        Default: what the media says (2:1 with spherical metadata = equirect).
    depth_range : (near, far), optional
        Metres; overrides the classical depth range.
    min_area : float
        Smallest region as a fraction of the picture.
    overwrite : bool
        Replace existing outputs.
    seed : int
        Recorded in the scene; the classical analysis is deterministic.
    preview : bool
        Also write ``preview.png`` beside the scene.
    defer_preview : list, optional
        Instead of drawing the preview here, append to this list a function without arguments that
        draws it (:func:`~see2sound.pipeline.run.run` draws it on a helper thread while it renders).

    Returns
    -------
    Scene
        The scene written.
    """
    from ..media.probe import iter_frames, open_media
    from ..vision.analysis import analyze_image, load_backends
    from ..vision.projection import DEFAULT_HFOV_DEG, check_projection

    if int(sources) != sources or sources < 1:
        raise See2SoundError(f"sources: need at least 1, got {sources}")
    out_path = check_output(output_scene_path, overwrite)
    preview_path = out_path.with_name("preview.png")
    if preview:
        check_output(preview_path, overwrite)
    info = open_media(input_path)
    if info.kind == "audio":
        raise See2SoundError(f"{input_path}: is an audio file, it has no pictures to analyse")
    if info.kind == "video" and info.duration:  # a length no scene may have is refused before any work
        check_duration(info.duration, f"{input_path}: video length")
    proj = projection or info.projection or "perspective"
    hfov = float(fov) if fov is not None else (info.hfov or DEFAULT_HFOV_DEG)
    if proj == "equirect":
        hfov = 360.0
    check_projection(proj, hfov if proj == "perspective" else None)
    backends = load_backends(
        vision,
        depth,
        labels,
        detector,
        tuple(float(x) for x in depth_range) if depth_range is not None else None,
    )

    fps = analysis_fps(info.duration) if info.kind != "image" else ANALYSIS_FPS
    frames = iter_frames(input_path, fps=fps, max_size=ANALYSIS_MAX_SIZE)
    if info.kind == "image":
        frame = next(iter(frames))
        factor = info.width / frame.image.shape[1]
        analysis = analyze_image(
            frame.image,
            n_sources=sources,
            hfov_deg=hfov,
            projection=proj,
            prompt=prompt,
            backends=backends,
            min_area=min_area,
        )
        scene_sources = _image_sources(analysis, prompt, factor)
        duration = DEFAULT_IMAGE_DURATION_S
        preview_frame, preview_analysis = frame.image, analysis
        drafts_for_preview = analysis.sources
        room = analysis.room
    else:
        video = analyze_video(
            _prefetched(frames), sources, hfov, proj, prompt, backends, min_area, info.duration, fps
        )
        factor = info.width / video.frame.shape[1]
        scene_sources = video.scene_sources(prompt, factor)
        duration = video.duration
        preview_frame, preview_analysis = video.frame, video.analysis
        room = video.room
        drafts_for_preview = video.preview_drafts

    picture = getattr(preview_analysis, "picture", None)  # what kind of picture it is (vision.scene_kind)
    media_path = Path(input_path)
    try:
        rel = os.path.relpath(media_path.resolve(), out_path.parent.resolve())
    except ValueError:
        rel = str(media_path.resolve())
    scene = Scene.from_dict(
        {
            "version": 1,
            "sample_rate": 48000,
            "duration": duration,
            "media": {
                "path": Path(rel).as_posix(),
                "width": info.width,
                "height": info.height,
                "projection": proj,
                "hfov": _round(hfov),
                "kind": info.kind,
            },
            "sources": scene_sources,
            "vision": {
                **backends.names,
                "seed": seed,
                "analysis_fps": _round(fps, 4) if info.kind != "image" else None,
                "fallback": bool(getattr(preview_analysis, "fallback", False)),
                **({"picture": picture.to_dict()} if picture is not None else {}),
            },
            **({"room": room} if room else {}),
        },
        name=str(out_path),
        base_dir=out_path.parent,
    )

    def draw_preview() -> None:
        with atomic_output(preview_path, overwrite=overwrite) as tmp:
            write_preview(
                tmp,
                preview_frame,
                drafts_for_preview,
                scene,
                picture,
                getattr(preview_analysis, "dropped", None),
            )

    if preview and defer_preview is not None:
        defer_preview.append(draw_preview)
    elif preview:
        draw_preview()
    save_scene(scene, out_path, overwrite=True)
    return scene
