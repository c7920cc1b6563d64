"""What a media file is: the small records ``open_media`` and ``iter_frames`` return."""

from __future__ import annotations

from dataclasses import asdict, dataclass
from math import atan, degrees
from pathlib import Path

import numpy as np

KINDS = ("image", "animation", "video", "audio")

# Browsers (Chrome, Firefox, Safari) play GIF/APNG/WebP frames whose delay is 10 ms or less at 100 ms.
MIN_FRAME_DELAY_S = 0.010
DEFAULT_FRAME_DELAY_S = 0.100

# The long side of a 35 mm film frame: the EXIF "35 mm equivalent" focal length refers to it.
FILM_LONG_SIDE_MM = 36.0


@dataclass(frozen=True)
class AudioStreamInfo:
    """One audio stream of a video or audio file."""

    index: int
    codec: str
    channels: int
    layout: str
    sample_rate: int
    duration: float | None


@dataclass(frozen=True)
class MediaInfo:
    """What :func:`see2sound.media.open_media` learns about a file without decoding it all.

    ``width``/``height`` are the *displayed* size (rotation applied); ``duration`` in seconds (one
    loop for animations, ``None`` for still images); ``loop_count`` is the number of plays of an
    animation (0 = forever); ``frame_delays`` are the per-frame delays of an animation in seconds after
    the browser rule (≤ 10 ms → 100 ms); ``hfov`` is the horizontal field of view in degrees from the EXIF
    35 mm-equivalent focal length, ``None`` when the file does not say.
    """

    path: Path
    kind: str
    width: int = 0
    height: int = 0
    n_frames: int = 0
    fps: float | None = None
    duration: float | None = None
    projection: str = "perspective"
    hfov: float | None = None
    rotation: int = 0
    codec: str | None = None
    audio_streams: tuple[AudioStreamInfo, ...] = ()
    loop_count: int | None = None
    frame_delays: tuple[float, ...] | None = None
    focal_length_35mm: float | None = None
    n_frames_exact: bool = True

    def to_dict(self) -> dict:
        """A JSON-ready dictionary (paths as strings)."""
        data = asdict(self)
        data["path"] = str(self.path)
        data["audio_streams"] = [asdict(s) for s in self.audio_streams]
        data["frame_delays"] = list(self.frame_delays) if self.frame_delays is not None else None
        return data


@dataclass(frozen=True)
class Frame:
    """A frame sampled for analysis: the analysis time in seconds and an RGB ``uint8`` image ``(H, W, 3)``.

    ``source_time_s`` is the presentation time of the decoded frame shown at ``time_s``.
    """

    time_s: float
    image: np.ndarray
    source_time_s: float = 0.0
    index: int = 0


def hfov_from_focal_35mm(focal_length_35mm: float, width: int, height: int) -> float:
    """Horizontal field of view (degrees) from a 35 mm-equivalent focal length.

    hfov = 2·atan(36 mm / (2·f35)) for a landscape picture, the 36 mm long side of the film frame lying
    along the picture's long side; for a portrait picture the horizontal side is the short one,
    36 mm·(width/height). This assumes the picture's long side matches the film's (exact for 3:2
    sensors, within ~4 % for 4:3 phone cameras whose "equivalent" is defined on the diagonal).
    """
    side_mm = FILM_LONG_SIDE_MM if width >= height else FILM_LONG_SIDE_MM * width / height
    return degrees(2.0 * atan(side_mm / (2.0 * float(focal_length_35mm))))


def browser_frame_delay(delay_s: float) -> float:
    """The delay a browser uses for an animation frame: ≤ 10 ms (including 0) plays as 100 ms."""
    return DEFAULT_FRAME_DELAY_S if delay_s <= MIN_FRAME_DELAY_S + 1e-9 else float(delay_s)


def is_equirect_shape(width: int, height: int) -> bool:
    """True for a 2:1 frame (within one pixel), the shape of an equirectangular panorama."""
    return height > 0 and abs(width - 2 * height) <= 2
