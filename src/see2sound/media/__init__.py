"""Media in and out: images, animations, videos and audio files (stage-independent I/O).

Reading: :func:`open_media` (what a file is), :func:`iter_frames` (frames streamed at an analysis rate),
:func:`read_image`, :func:`read_audio`, :func:`read_audio_track`. Writing: :func:`write_audio` (WAV/FLAC
with channel mask) and :func:`mux` (a video with the new audio; Opus + ``SA3D`` for ambisonics).
"""

from .audio import read_audio, read_audio_track, resample, write_audio
from .images import read_image
from .info import AudioStreamInfo, Frame, MediaInfo
from .muxer import mux
from .probe import iter_frames, open_media

__all__ = [
    "AudioStreamInfo",
    "Frame",
    "MediaInfo",
    "iter_frames",
    "mux",
    "open_media",
    "read_audio",
    "read_audio_track",
    "read_image",
    "resample",
    "write_audio",
]
