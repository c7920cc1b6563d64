"""Matroska durations corrected for codec delay (AAC priming, Opus pre-skip), patched in place.

FFmpeg's Matroska muxer writes an audio track's priming as ``CodecDelay`` and shifts the track's block
timestamps by it, but then counts the shift into the track's ``DURATION`` tag and the Segment's
``Duration``; its demuxer subtracts ``CodecDelay`` from the timestamps only. An MKV with AAC thus states
a duration about 21 ms (1024 samples at 48 kHz) longer than its audio, and a reader that trims or pads to
the stated duration reads the audio back that much too long. :func:`fix_codec_delay_durations` rewrites
those values in place (same sizes, nothing moves): each track ends at its ``DURATION`` minus its
``CodecDelay`` (to the sample when the caller knows the track's length: it then ends that long after its
first block), and the Segment lasts until the latest track end.

EBML as in RFC 8794 / the Matroska specification (RFC 9559): element IDs and sizes are variable-length
integers; the IDs used here are from RFC 9559.
"""

from __future__ import annotations

import os
import struct
from collections.abc import Iterator
from dataclasses import dataclass
from typing import BinaryIO

SEGMENT = 0x18538067
INFO = 0x1549A966
TIMESTAMP_SCALE = 0x2AD7B1
DURATION = 0x4489
TRACKS = 0x1654AE6B
TRACK_ENTRY = 0xAE
TRACK_NUMBER = 0xD7
TRACK_UID = 0x73C5
CODEC_DELAY = 0x56AA
TAGS = 0x1254C367
TAG = 0x7373
TARGETS = 0x63C0
TAG_TRACK_UID = 0x63C5
SIMPLE_TAG = 0x67C8
TAG_NAME = 0x45A3
TAG_STRING = 0x4487
CLUSTER = 0x1F43B675
CLUSTER_TIMESTAMP = 0xE7
SIMPLE_BLOCK = 0xA3
BLOCK_GROUP = 0xA0
BLOCK = 0xA1
# Clusters searched for a track's first block (FFmpeg starts one every 5 s or 5 MiB at most).
MAX_CLUSTERS_SEARCHED = 8


@dataclass
class Element:
    """One EBML element: its ID, where its payload starts in the file and how long it is."""

    id: int
    start: int
    size: int


def read_vint(data: bytes, pos: int, keep_marker: bool) -> tuple[int, int]:
    """An EBML variable-length integer at ``pos``: ``(value, length)``; ``(-1, length)`` for "unknown"."""
    first = data[pos]
    length = 9 - first.bit_length() if first else 9
    if length > 8 or pos + length > len(data):
        raise ValueError("bad EBML length")
    value = int.from_bytes(data[pos : pos + length], "big")
    if keep_marker:
        return value, length
    value &= (1 << (7 * length)) - 1
    return (-1 if value == (1 << (7 * length)) - 1 else value), length


def iter_elements(data: bytes, start: int, end: int) -> Iterator[Element]:
    """The elements between ``start`` and ``end`` (one level, in file order)."""
    pos = start
    while pos < end:
        element_id, id_length = read_vint(data, pos, keep_marker=True)
        size, size_length = read_vint(data, pos + id_length, keep_marker=False)
        payload = pos + id_length + size_length
        if size < 0 or payload + size > end:
            raise ValueError("unknown or overlong element size")
        yield Element(element_id, payload, size)
        pos = payload + size


def children(data: bytes, parent: Element) -> Iterator[Element]:
    return iter_elements(data, parent.start, parent.start + parent.size)


def read_uint(data: bytes, element: Element) -> int:
    return int.from_bytes(data[element.start : element.start + element.size], "big")


def parse_duration_tag(text: str) -> float:
    """``HH:MM:SS.nnnnnnnnn`` (FFmpeg's ``DURATION`` tag) in seconds."""
    hours, minutes, seconds = text.split(":")
    return int(hours) * 3600 + int(minutes) * 60 + float(seconds)


def format_duration_tag(seconds: float, size: int) -> bytes:
    """``seconds`` as FFmpeg writes ``DURATION`` (``HH:MM:SS.nnnnnnnnn``), NUL-padded to ``size`` bytes."""
    total_ns = max(0, round(seconds * 1e9))
    hours, rest = divmod(total_ns, 3_600_000_000_000)
    minutes, rest = divmod(rest, 60_000_000_000)
    text = f"{hours:02d}:{minutes:02d}:{rest // 1_000_000_000:02d}.{rest % 1_000_000_000:09d}".encode()
    if len(text) > size:
        raise ValueError("duration tag does not fit")
    return text.ljust(size, b"\0")


def fix_codec_delay_durations(path: str | os.PathLike, lengths_s: dict[int, float] | None = None) -> bool:
    """Correct the ``DURATION`` tags and the Segment ``Duration`` of an MKV written by FFmpeg, in place.

    Parameters
    ----------
    path : str or PathLike
        A Matroska file with known element sizes (what FFmpeg writes to a seekable file).
    lengths_s : dict, optional
        ``{track number: length in seconds}`` for audio tracks whose exact length the caller knows (the
        samples it encoded) and whose first block starts it (with a ``CodecDelay``: the priming frame,
        encoded at ``-CodecDelay``): its decoded audio starts at that block's timestamp in the file (0,
        unless FFmpeg shifted the whole file for a copied track with negative timestamps) and ends exactly
        its length later. Other tracks end at ``DURATION`` minus ``CodecDelay``, to the millisecond.

    Call it once, on the file as FFmpeg wrote it (a second call would subtract the delays again).

    Returns
    -------
    bool
        Whether anything was rewritten (``False`` when no track has a codec delay or a known length, or the
        file does not have the expected structure: then it is left as it is).
    """
    with open(path, "r+b") as fh:
        try:
            patches = duration_patches(fh, dict(lengths_s or {}))
        except (ValueError, IndexError, UnicodeDecodeError, struct.error):
            return False
        for offset, payload in patches:
            fh.seek(offset)
            fh.write(payload)
    return bool(patches)


def top_level(fh: BinaryIO) -> Iterator[Element]:
    """The Segment's children, in file order (read one at a time: clusters are not loaded)."""
    size = fh.seek(0, os.SEEK_END)

    def element_at(pos: int) -> Element:
        fh.seek(pos)
        head = fh.read(12)
        element_id, id_length = read_vint(head, 0, keep_marker=True)
        length, size_length = read_vint(head, id_length, keep_marker=False)
        if length < 0 or pos + id_length + size_length + length > size:
            raise ValueError("unknown or overlong element size")
        return Element(element_id, pos + id_length + size_length, length)

    header = element_at(0)
    segment = element_at(header.start + header.size)
    if segment.id != SEGMENT:
        raise ValueError("no Segment")
    pos = segment.start
    while pos < segment.start + segment.size:
        element = element_at(pos)
        yield element
        pos = element.start + element.size


def read_payload(fh: BinaryIO, element: Element) -> bytes:
    fh.seek(element.start)
    return fh.read(element.size)


def first_blocks(data: bytes) -> Iterator[tuple[int, int]]:
    """``(track number, timestamp in ticks)`` of the blocks of one Cluster's payload, in file order."""
    cluster_ticks = 0
    for element in iter_elements(data, 0, len(data)):
        if element.id == CLUSTER_TIMESTAMP:
            cluster_ticks = read_uint(data, element)
            continue
        if element.id == BLOCK_GROUP:
            element = next((e for e in children(data, element) if e.id == BLOCK), None)
            if element is None:
                continue
        elif element.id != SIMPLE_BLOCK:
            continue
        track, length = read_vint(data, element.start, keep_marker=False)
        (relative,) = struct.unpack_from(">h", data, element.start + length)
        yield track, cluster_ticks + relative


def duration_patches(fh: BinaryIO, lengths_s: dict[int, float]) -> list[tuple[int, bytes]]:
    """The ``(file offset, new bytes)`` that correct the durations (see :func:`fix_codec_delay_durations`)."""
    scale_ns = 1_000_000
    duration_at = None  # (file offset, size) of the Segment Duration
    delays_s: dict[int, float] = {}  # track number → CodecDelay
    numbers: dict[int, int] = {}  # track UID → track number
    tag_strings: dict[int, tuple[int, bytes]] = {}  # track UID → (file offset, raw DURATION TagString)
    first_ticks: dict[int, int] = {}  # track number → timestamp of its first block (for lengths_s)
    clusters = 0
    for top in top_level(fh):
        if top.id == CLUSTER and clusters < MAX_CLUSTERS_SEARCHED and set(lengths_s) - set(first_ticks):
            clusters += 1
            for track, ticks in first_blocks(read_payload(fh, top)):
                first_ticks.setdefault(track, ticks)
        if top.id not in (INFO, TRACKS, TAGS):
            continue
        data = read_payload(fh, top)
        base = top.start
        if top.id == INFO:
            for element in iter_elements(data, 0, len(data)):
                if element.id == TIMESTAMP_SCALE:
                    scale_ns = read_uint(data, element)
                elif element.id == DURATION:
                    duration_at = (base + element.start, element.size)
        elif top.id == TRACKS:
            for entry in iter_elements(data, 0, len(data)):
                if entry.id != TRACK_ENTRY:
                    continue
                fields = {element.id: read_uint(data, element) for element in children(data, entry)}
                if TRACK_NUMBER in fields:
                    number = fields[TRACK_NUMBER]
                    numbers[fields.get(TRACK_UID, -1)] = number
                    if fields.get(CODEC_DELAY):
                        delays_s[number] = fields[CODEC_DELAY] / 1e9
        elif top.id == TAGS:
            for tag in iter_elements(data, 0, len(data)):
                if tag.id != TAG:
                    continue
                uid, string = None, None
                for element in children(data, tag):
                    if element.id == TARGETS:
                        uids = [read_uint(data, e) for e in children(data, element) if e.id == TAG_TRACK_UID]
                        uid = uids[0] if len(uids) == 1 else None
                    elif element.id == SIMPLE_TAG:
                        simple = {e.id: e for e in children(data, element)}
                        name = simple.get(TAG_NAME)
                        if name is not None and data[name.start : name.start + name.size] == b"DURATION":
                            string = simple.get(TAG_STRING)
                if uid is not None and string is not None:
                    tag_strings[uid] = (base + string.start, data[string.start : string.start + string.size])
    if duration_at is None or not (delays_s or lengths_s):
        return []
    by_number = {numbers[uid]: tag for uid, tag in tag_strings.items() if uid in numbers}
    if set(by_number) != set(numbers.values()) or set(lengths_s) - set(first_ticks):
        return []  # a track without a DURATION tag or without blocks: its end is unknown
    patches = []
    ends = []
    for number, (offset, raw) in by_number.items():
        stated = parse_duration_tag(raw.rstrip(b"\0").decode("ascii"))
        if number in lengths_s:
            end = first_ticks[number] * scale_ns / 1e9 + lengths_s[number]
        else:
            end = stated - delays_s.get(number, 0.0)
        ends.append(end)
        patches.append((offset, format_duration_tag(end, len(raw))))
    offset, size = duration_at
    if size not in (4, 8):
        return []
    patches.append((offset, struct.pack(">d" if size == 8 else ">f", max(ends) * 1e9 / scale_ns)))
    unchanged = []
    for offset, payload in patches:
        fh.seek(offset)
        unchanged.append(fh.read(len(payload)) == payload)
    return [patch for patch, same in zip(patches, unchanged, strict=True) if not same]
