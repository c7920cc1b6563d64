"""Just enough ISO base media file format (MP4/MOV) to find and grow boxes inside ``moov``.

FFmpeg writes every box we need except Google's ``SA3D``; this module walks the box tree of the ``moov``
box held in memory, inserts a child box into an audio sample entry (growing every ancestor's size) and
shifts the chunk offsets (``stco``/``co64``) when ``moov`` sits before ``mdat`` (a "faststart" file).
References: ISO/IEC 14496-12 (boxes, sample entries); Apple QuickTime File Format (sound sample
description versions 1 and 2).
"""

from __future__ import annotations

import os
import struct
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

from ..errors import MediaError

# Boxes whose payload is a list of boxes.
CONTAINER_BOXES = {b"moov", b"trak", b"mdia", b"minf", b"stbl", b"edts", b"dinf", b"udta", b"mvex"}
# Audio sample entries (ISO and QuickTime) whose children may hold SA3D.
AUDIO_SAMPLE_ENTRIES = {
    b"mp4a",
    b"Opus",
    b"lpcm",
    b"sowt",
    b"twos",
    b"in24",
    b"in32",
    b"fl32",
    b"fl64",
    b"ipcm",
    b"fpcm",
    b"fLaC",
    b"ac-3",
    b"ec-3",
    b"raw ",
}


@dataclass(frozen=True)
class Box:
    """One box: its type, where it starts, its header length and total size (bytes)."""

    type: bytes
    offset: int
    header: int
    size: int

    @property
    def payload(self) -> int:
        return self.offset + self.header

    @property
    def end(self) -> int:
        return self.offset + self.size


def iter_boxes(data: bytes | memoryview, start: int = 0, end: int | None = None) -> Iterator[Box]:
    """The boxes laid one after another in ``data[start:end]``."""
    end = len(data) if end is None else end
    pos = start
    while pos + 8 <= end:
        size, kind = struct.unpack_from(">I4s", data, pos)
        header = 8
        if size == 1:
            if pos + 16 > end:
                raise MediaError("MP4 box header is truncated")
            (size,) = struct.unpack_from(">Q", data, pos + 8)
            header = 16
        elif size == 0:
            size = end - pos
        if size < header or pos + size > end:
            raise MediaError(f"MP4 box {kind!r} at byte {pos} has an impossible size {size}")
        yield Box(kind, pos, header, size)
        pos += size


def children(data: bytes | memoryview, box: Box) -> Iterator[Box]:
    """Child boxes of a container box, an ``stsd`` box or an audio sample entry."""
    if box.type == b"stsd":  # full box header (4) + entry_count (4)
        yield from iter_boxes(data, box.payload + 8, box.end)
    elif box.type in AUDIO_SAMPLE_ENTRIES:
        yield from iter_boxes(data, audio_entry_children_offset(data, box), box.end)
    else:
        yield from iter_boxes(data, box.payload, box.end)


def audio_entry_children_offset(data: bytes | memoryview, entry: Box) -> int:
    """Where the child boxes of an audio sample entry start.

    The fixed part is 28 bytes (ISO AudioSampleEntry, QuickTime version 0); QuickTime sound sample
    descriptions version 1 add 16 bytes and version 2 add 36 bytes.
    """
    (version,) = struct.unpack_from(">H", data, entry.payload + 8)
    return entry.payload + 28 + {0: 0, 1: 16, 2: 36}.get(version, 0)


def find_child(data: bytes | memoryview, box: Box, kind: bytes) -> Box | None:
    return next((c for c in children(data, box) if c.type == kind), None)


def find_path(data: bytes | memoryview, box: Box, path: list[bytes]) -> Box | None:
    """Follow ``path`` (box types) down from ``box``; ``None`` if any step is missing."""
    for kind in path:
        found = find_child(data, box, kind)
        if found is None:
            return None
        box = found
    return box


def top_level_boxes(path: Path) -> list[Box]:
    """The top-level boxes of a file, read from their headers only (no payload is loaded)."""
    boxes = []
    file_size = path.stat().st_size
    with open(path, "rb") as fh:
        pos = 0
        while pos + 8 <= file_size:
            fh.seek(pos)
            head = fh.read(16)
            size, kind = struct.unpack_from(">I4s", head)
            header = 8
            if size == 1:
                (size,) = struct.unpack_from(">Q", head, 8)
                header = 16
            elif size == 0:
                size = file_size - pos
            if size < header or pos + size > file_size:
                raise MediaError(f"{path}: MP4 box {kind!r} at byte {pos} runs past the end of the file")
            boxes.append(Box(kind, pos, header, size))
            pos += size
    return boxes


def sound_tracks(moov: bytes | memoryview) -> list[Box]:
    """The ``trak`` boxes whose handler is ``soun``, in file order (offsets relative to ``moov``)."""
    root = next(iter_boxes(moov))
    tracks = []
    for trak in children(moov, root):
        if trak.type != b"trak":
            continue
        hdlr = find_path(moov, trak, [b"mdia", b"hdlr"])
        if hdlr is not None and bytes(moov[hdlr.payload + 8 : hdlr.payload + 12]) == b"soun":
            tracks.append(trak)
    return tracks


def audio_sample_entry(moov: bytes | memoryview, trak: Box) -> list[Box]:
    """Ancestors (``trak`` … ``stsd``) and the first sample entry of a sound track."""
    chain = [trak]
    box = trak
    for kind in (b"mdia", b"minf", b"stbl", b"stsd"):
        box = find_child(moov, box, kind)
        if box is None:
            raise MediaError(f"sound track has no {kind.decode()} box")
        chain.append(box)
    entry = next(children(moov, box), None)
    if entry is None or entry.type not in AUDIO_SAMPLE_ENTRIES:
        raise MediaError(f"unsupported audio sample entry {entry.type if entry else None!r}")
    chain.append(entry)
    return chain


def grow_boxes(moov: bytearray, boxes: list[Box], delta: int) -> None:
    """Add ``delta`` to the size field of each box (32- or 64-bit, as written)."""
    for box in boxes:
        if box.header == 16:
            struct.pack_into(">Q", moov, box.offset + 8, box.size + delta)
        else:
            if box.size + delta >= 2**32:
                raise MediaError(f"box {box.type!r} would exceed 4 GiB")
            struct.pack_into(">I", moov, box.offset, box.size + delta)


def shift_chunk_offsets(moov: bytearray, delta: int) -> None:
    """Add ``delta`` to every chunk offset in ``stco``/``co64`` (all tracks)."""
    root = next(iter_boxes(moov))
    for trak in children(moov, root):
        if trak.type != b"trak":
            continue
        stbl = find_path(moov, trak, [b"mdia", b"minf", b"stbl"])
        if stbl is None:
            continue
        for table in children(moov, stbl):
            if table.type not in (b"stco", b"co64"):
                continue
            (count,) = struct.unpack_from(">I", moov, table.payload + 4)
            fmt, width = (">I", 4) if table.type == b"stco" else (">Q", 8)
            for i in range(count):
                pos = table.payload + 8 + i * width
                (value,) = struct.unpack_from(fmt, moov, pos)
                if table.type == b"stco" and value + delta >= 2**32:
                    raise MediaError("chunk offset would exceed 4 GiB in an stco table")
                struct.pack_into(fmt, moov, pos, value + delta)


def read_moov(path: Path) -> tuple[list[Box], Box, bytearray]:
    """The top-level boxes, the ``moov`` box and its bytes."""
    boxes = top_level_boxes(path)
    moov_box = next((b for b in boxes if b.type == b"moov"), None)
    if moov_box is None:
        raise MediaError(f"{path}: no moov box (not an MP4/MOV file, or truncated)")
    with open(path, "rb") as fh:
        fh.seek(moov_box.offset)
        moov = bytearray(fh.read(moov_box.size))
    return boxes, moov_box, moov


def replace_moov(path: Path, boxes: list[Box], moov_box: Box, new_moov: bytes) -> None:
    """Rewrite ``path`` with ``new_moov`` in place of the old one, fixing offsets if moov precedes media."""
    delta = len(new_moov) - moov_box.size
    if delta and any(b.type == b"mdat" and b.offset > moov_box.offset for b in boxes):
        new_moov = bytearray(new_moov)
        shift_chunk_offsets(new_moov, delta)
    tmp = path.with_name(path.name + ".moov")
    try:
        with open(path, "rb") as src, open(tmp, "wb") as dst:
            _copy_range(src, dst, 0, moov_box.offset)
            dst.write(new_moov)
            _copy_range(src, dst, moov_box.end, path.stat().st_size)
        os.replace(tmp, path)
    finally:
        tmp.unlink(missing_ok=True)


def _copy_range(src, dst, start: int, stop: int, chunk: int = 1 << 22) -> None:
    src.seek(start)
    remaining = stop - start
    while remaining > 0:
        block = src.read(min(chunk, remaining))
        if not block:
            break
        dst.write(block)
        remaining -= len(block)
