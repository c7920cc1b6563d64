"""Google's Spatial Audio box (``SA3D``): tells YouTube and 360° players that a track is ambisonic.

Written from the Spatial Audio RFC of google/spatial-media (Apache-2.0). The box sits inside the audio
sample entry (``mp4a``, ``Opus``, ``lpcm``, ``sowt``, …)::

    aligned(8) class SpatialAudioBox extends Box('SA3D') {
        unsigned int(8)  version;                     // 0
        unsigned int(8)  ambisonic_type;              // 0 = periphonic (full sphere)
        unsigned int(32) ambisonic_order;
        unsigned int(8)  ambisonic_channel_ordering;  // 0 = ACN
        unsigned int(8)  ambisonic_normalization;     // 0 = SN3D
        unsigned int(32) num_channels;
        unsigned int(32) channel_map[num_channels];   // identity for AmbiX
    }

No FFmpeg build writes this box; FFmpeg (``mov_read_SA3D``) reads it and then reports the layout as
``ambisonic N``, which the tests use as an independent check.
"""

from __future__ import annotations

import os
import struct
from dataclasses import dataclass
from pathlib import Path

from ..errors import MediaError
from .isobmff import (
    audio_sample_entry,
    find_child,
    grow_boxes,
    iter_boxes,
    read_moov,
    replace_moov,
    sound_tracks,
)

ORDERING_ACN = 0
NORMALIZATION_SN3D = 0


@dataclass(frozen=True)
class SpatialAudio:
    """The content of an ``SA3D`` box (AmbiX = ACN ordering, SN3D normalisation)."""

    ambisonic_order: int
    channel_map: tuple[int, ...]
    version: int = 0
    ambisonic_type: int = 0
    channel_ordering: int = ORDERING_ACN
    normalization: int = NORMALIZATION_SN3D

    @classmethod
    def ambix(cls, order: int) -> SpatialAudio:
        """Periphonic AmbiX of the given order with the identity channel map."""
        if order < 1:
            raise MediaError(f"ambisonic order must be at least 1, got {order}")
        return cls(order, tuple(range((order + 1) ** 2)))

    @property
    def num_channels(self) -> int:
        return len(self.channel_map)


def build_sa3d(spatial: SpatialAudio) -> bytes:
    """The complete ``SA3D`` box (header included)."""
    body = struct.pack(
        ">BBIBBI",
        spatial.version,
        spatial.ambisonic_type,
        spatial.ambisonic_order,
        spatial.channel_ordering,
        spatial.normalization,
        spatial.num_channels,
    ) + struct.pack(f">{spatial.num_channels}I", *spatial.channel_map)
    return struct.pack(">I4s", 8 + len(body), b"SA3D") + body


def parse_sa3d(box: bytes) -> SpatialAudio:
    """Parse a complete ``SA3D`` box (header included); raises :class:`MediaError` if malformed."""
    if len(box) < 20 or box[4:8] != b"SA3D":
        raise MediaError("not an SA3D box")
    (size,) = struct.unpack_from(">I", box)
    version, kind, order, ordering, normalization, n = struct.unpack_from(">BBIBBI", box, 8)
    if size != 20 + 4 * n or len(box) < size:
        raise MediaError(f"SA3D box size {size} does not match its {n} channels")
    channel_map = struct.unpack_from(f">{n}I", box, 20)
    return SpatialAudio(order, tuple(channel_map), version, kind, ordering, normalization)


def inject_sa3d(path: str | os.PathLike, spatial: SpatialAudio, track: int = 0) -> None:
    """Add (or replace) the ``SA3D`` box of the ``track``-th sound track of an MP4/MOV file in place.

    Works on files with ``moov`` before or after ``mdat`` (chunk offsets are shifted when needed).
    """
    path = Path(path)
    boxes, moov_box, moov = read_moov(path)
    tracks = sound_tracks(moov)
    if track >= len(tracks):
        raise MediaError(f"{path}: has {len(tracks)} sound track(s), no track {track}")
    chain = audio_sample_entry(moov, tracks[track])
    entry = chain[-1]
    root = next(iter_boxes(moov))
    old = find_child(moov, entry, b"SA3D")
    if old is not None:  # drop the old box first, then insert afresh
        del moov[old.offset : old.end]
        grow_boxes(moov, [root] + chain, -old.size)
        root = next(iter_boxes(moov))
        chain = audio_sample_entry(moov, sound_tracks(moov)[track])
        entry = chain[-1]
    new_box = build_sa3d(spatial)
    moov[entry.end : entry.end] = new_box
    grow_boxes(moov, [root] + chain, len(new_box))
    replace_moov(path, boxes, moov_box, bytes(moov))


def read_sa3d(path: str | os.PathLike, track: int = 0) -> SpatialAudio | None:
    """The ``SA3D`` content of the ``track``-th sound track, or ``None`` if it has none."""
    path = Path(path)
    _, _, moov = read_moov(path)
    tracks = sound_tracks(moov)
    if track >= len(tracks):
        return None
    entry = audio_sample_entry(moov, tracks[track])[-1]
    box = find_child(moov, entry, b"SA3D")
    return None if box is None else parse_sa3d(bytes(moov[box.offset : box.end]))
