"""Reading (and, for tests, writing) C4Group files: the archives of the OpenClonk game's data.

A C4Group (``.ocg``, ``.ocd``) is a gzip stream whose two magic bytes are changed (``1E 8C``), holding a
204-byte header (scrambled: every byte XOR 237, then the bytes of each group of three reversed), a
table of 316-byte entries (name, child-group flag, size, offset) and the files' bytes; a child group
is an uncompressed group of the same form inside its parent. Layout as in OpenClonk's
``src/c4group/C4Group.cpp`` (``C4GroupHeader``, ``C4GroupEntryCore``, ``MemScramble``).
"""

from __future__ import annotations

import gzip
import struct
import zlib

from ..errors import MediaError

HEADER_SIZE = 204
ENTRY_SIZE = 316
MAGIC = b"RedWolf Design Gr"  # "GroupOS" in old groups, "GrpFolder" in new ones
XOR = 237


def _scramble(data: bytes) -> bytes:
    """``MemScramble``: XOR 237, then swap the first and third byte of every group of three."""
    b = bytearray(x ^ XOR for x in data)
    for i in range(0, len(b) - 2, 3):
        b[i], b[i + 2] = b[i + 2], b[i]
    return bytes(b)


def _unscramble(data: bytes) -> bytes:
    b = bytearray(data)
    for i in range(0, len(b) - 2, 3):
        b[i], b[i + 2] = b[i + 2], b[i]
    return bytes(x ^ XOR for x in b)


def _entries(data: bytes, base: int, prefix: str, name: str) -> dict[str, bytes]:
    header = _unscramble(data[base : base + HEADER_SIZE])
    if len(header) < HEADER_SIZE or not header.startswith(MAGIC):
        raise MediaError(f"{name}: not a C4Group (bad header at {prefix or '/'})")
    (count,) = struct.unpack_from("<i", header, 36)
    table = base + HEADER_SIZE
    start = table + count * ENTRY_SIZE
    files: dict[str, bytes] = {}
    for k in range(count):
        entry = data[table + k * ENTRY_SIZE : table + (k + 1) * ENTRY_SIZE]
        if len(entry) < ENTRY_SIZE:
            raise MediaError(f"{name}: truncated entry table at {prefix or '/'}")
        filename = entry[:260].split(b"\0")[0].decode("latin-1")
        _packed, child, size, _unused, offset = struct.unpack_from("<iiiii", entry, 260)
        if child:
            files.update(_entries(data, start + offset, f"{prefix}{filename}/", name))
        else:
            blob = data[start + offset : start + offset + size]
            if len(blob) != size:
                raise MediaError(f"{name}: {prefix}{filename} runs past the end of the group")
            files[prefix + filename] = blob
    return files


def read_group(data: bytes, name: str = "group.ocg") -> dict[str, bytes]:
    """Every file of a C4Group and its child groups, by path (``Animals.ocg/Bat.ocg/Flutter1.wav``)."""
    if len(data) < 2 or data[:2] != b"\x1e\x8c":
        raise MediaError(f"{name}: not a C4Group (no 1E 8C signature)")
    try:
        raw = gzip.decompress(b"\x1f\x8b" + data[2:])
    except (OSError, EOFError, zlib.error) as exc:
        raise MediaError(f"{name}: cannot decompress the group ({exc})") from None
    return _entries(raw, 0, "", name)


def _group_bytes(files: dict[str, bytes | dict]) -> bytes:
    children = [
        (n, _group_bytes(v) if isinstance(v, dict) else v, isinstance(v, dict)) for n, v in files.items()
    ]
    header = bytearray(HEADER_SIZE)
    header[: len(MAGIC) + 6] = MAGIC + b"Folder"
    struct.pack_into("<iii", header, 28, 1, 2, len(children))
    table, body = bytearray(), bytearray()
    for name, blob, child in children:
        entry = bytearray(ENTRY_SIZE)
        entry[: len(name)] = name.encode("latin-1")
        struct.pack_into("<iiiii", entry, 260, 0, int(child), len(blob), 0, len(body))
        table += entry
        body += blob
    return _scramble(bytes(header)) + bytes(table) + bytes(body)


def build_group(files: dict[str, bytes | dict]) -> bytes:
    """A C4Group file of ``files`` (a nested dict is a child group): the inverse of :func:`read_group`."""
    packed = gzip.compress(_group_bytes(files), mtime=0)
    return b"\x1e\x8c" + packed[2:]
