"""Google's Spherical Video V1 metadata: marks an MP4/MOV video track as a 360° equirectangular picture.

FFmpeg does not write it for a video it encodes (and drops it when copying a stream), so 360° players and
YouTube would show our output as a flat video. Spherical Video V1 (Google's spatial-media RFC) is an XMP
document in a ``uuid`` box at the end of the video ``trak``; players that read V2 (``sv3d``) also read V1.
"""

from __future__ import annotations

import os
import struct
from pathlib import Path

from ..errors import MediaError
from .isobmff import children, find_path, grow_boxes, iter_boxes, read_moov, replace_moov

SPHERICAL_UUID = bytes.fromhex("ffcc8263f8554a938814587a02521fdd")
SPHERICAL_XML = (
    '<?xml version="1.0"?>'
    '<rdf:SphericalVideo xmlns:rdf="http://www.w3.org/1999/02/22-rdf-syntax-ns#" '
    'xmlns:GSpherical="http://ns.google.com/videos/1.0/spherical/">'
    "<GSpherical:Spherical>true</GSpherical:Spherical>"
    "<GSpherical:Stitched>true</GSpherical:Stitched>"
    "<GSpherical:StitchingSoftware>see2sound</GSpherical:StitchingSoftware>"
    "<GSpherical:ProjectionType>equirectangular</GSpherical:ProjectionType>"
    "</rdf:SphericalVideo>"
)


def build_spherical_box() -> bytes:
    payload = SPHERICAL_UUID + SPHERICAL_XML.encode("utf-8")
    return struct.pack(">I4s", 8 + len(payload), b"uuid") + payload


def _video_trak(moov: bytearray):
    root = next(iter_boxes(moov))
    for trak in children(moov, root):
        if trak.type != b"trak":
            continue
        hdlr = find_path(moov, trak, [b"mdia", b"hdlr"])
        if hdlr is not None and bytes(moov[hdlr.payload + 8 : hdlr.payload + 12]) == b"vide":
            return root, trak
    return root, None


def is_marked_spherical(path: str | os.PathLike) -> bool:
    """True when the first video track carries the V1 ``uuid`` box."""
    _, _, moov = read_moov(Path(path))
    _, trak = _video_trak(moov)
    if trak is None:
        return False
    for box in children(moov, trak):
        if box.type == b"uuid" and bytes(moov[box.payload : box.payload + 16]) == SPHERICAL_UUID:
            return True
    return False


def inject_spherical(path: str | os.PathLike) -> None:
    """Mark the first video track of an MP4/MOV file as equirectangular 360° video, in place."""
    path = Path(path)
    if is_marked_spherical(path):
        return
    boxes, moov_box, moov = read_moov(path)
    root, trak = _video_trak(moov)
    if trak is None:
        raise MediaError(f"{path}: has no video track to mark as 360°")
    box = build_spherical_box()
    moov[trak.end : trak.end] = box
    grow_boxes(moov, [root, trak], len(box))
    replace_moov(path, boxes, moov_box, bytes(moov))
