"""Reading OpenTTD's OpenSFX sound container (``opensfx.cat``) and the credits in its entry names.

The container is a table of little-endian ``uint32`` (offset, size) pairs, one per entry, then the
entries. The first offset equals the table's length (8 bytes per entry); OpenSFX sets its top bit to mark
the "new format" (OpenTTD ``soundloader.cpp``), so offsets are read with that bit cleared. Each entry is
one length byte, a NUL-terminated name of that length, then ``size`` bytes of a RIFF WAVE file.

OpenSFX names carry the credits, e.g. ``"Cow". Original "Cow - Moan 2 - 96kHz.wav" by "Jarred Gib".
Edited by "Wuzzy". License: Creative Commons Zero 1.0.``; :func:`parse_credit` splits them.
"""

from __future__ import annotations

import re
import struct
from dataclasses import dataclass

from ..errors import MediaError

NEW_FORMAT_BIT = 0x80000000

# Licence phrases in OpenSFX names -> SPDX-like short names. Order matters: ShareAlike before Attribution.
_LICENSES = (
    ("attribution-sharealike 3.0", "CC-BY-SA-3.0"),
    ("attribution 3.0", "CC-BY-3.0"),
    ("zero 1.0", "CC0-1.0"),
)


@dataclass(frozen=True)
class CatEntry:
    """One sound in the container: its name (the credit line) and the bytes of its RIFF WAVE file."""

    index: int
    name: str
    wav: bytes


def parse_cat(data: bytes, name: str = "opensfx.cat") -> list[CatEntry]:
    """Split an OpenSFX/OpenTTD sound container into its entries.

    Parameters
    ----------
    data : bytes
        The whole container file.
    name : str
        Used in error messages.

    Returns
    -------
    list of CatEntry
        In container order; ``wav`` holds a complete RIFF file (readable with ``soundfile``).

    Raises
    ------
    MediaError
        If the table or an entry is truncated, out of range or not a RIFF WAVE.

    Examples
    --------
    >>> entries = parse_cat(open("opensfx.cat", "rb").read())  # doctest: +SKIP
    >>> entries[37].name[:5]  # doctest: +SKIP
    '"Cow"'
    """
    if len(data) < 8:
        raise MediaError(f"{name}: too short for a sound container ({len(data)} bytes)")
    first = struct.unpack_from("<I", data, 0)[0] & ~NEW_FORMAT_BIT
    if first == 0 or first % 8 or first > len(data):
        raise MediaError(f"{name}: bad table length {first} (expected a multiple of 8 within the file)")
    entries = []
    for i in range(first // 8):
        offset, size = struct.unpack_from("<II", data, 8 * i)
        offset &= ~NEW_FORMAT_BIT
        if offset >= len(data):
            raise MediaError(
                f"{name}: entry {i} starts at {offset}, past the end of the file ({len(data)} bytes)"
            )
        name_len = data[offset]
        start = offset + 1 + name_len
        end = start + size
        if end > len(data):
            raise MediaError(f"{name}: entry {i} runs past the end of the file ({end} > {len(data)} bytes)")
        text = data[offset + 1 : start].split(b"\0", 1)[0].decode("utf-8", errors="replace")
        wav = data[start:end]
        if wav[:4] != b"RIFF" or wav[8:12] != b"WAVE":
            raise MediaError(f"{name}: entry {i} ({text[:40]!r}) is not a RIFF WAVE file")
        entries.append(CatEntry(index=i, name=text, wav=bytes(wav)))
    return entries


def build_cat(entries: list[tuple[str, bytes]], new_format: bool = True) -> bytes:
    """Pack (name, RIFF bytes) pairs into a container: the inverse of :func:`parse_cat`.

    Used by tests and to document the format.
    """
    table_len = 8 * len(entries)
    table, body = bytearray(), bytearray()
    for name, wav in entries:
        raw = name.encode("utf-8") + b"\0"
        if len(raw) > 255:
            raise ValueError(f"entry name too long for one length byte: {name[:40]!r}")
        offset = table_len + len(body)
        table += struct.pack("<II", offset | (NEW_FORMAT_BIT if new_format else 0), len(wav))
        body += bytes([len(raw)]) + raw + wav
    return bytes(table + body)


@dataclass(frozen=True)
class Credit:
    title: str
    author: str
    license: str
    attribution: str  # the credit sentence as written by OpenSFX, without the title and licence


_BY = re.compile(
    r'(?P<verb>\b(?:[Ee]dited|[Mm]ixed|[Cc]ut)\b[^"]*?)?\b[Bb]y\s+(?P<who>"[^"]+"|[^".,]+?)(?=\s+aka\b|\s+and\b|[.,]|$)'
)


def parse_credit(name: str) -> Credit:
    """Title, author(s), licence and attribution from an OpenSFX entry name.

    The author lists the makers of the original recordings, then the editors
    (``Jarred Gib; edited by Wuzzy``). Unknown licences are returned as ``"unknown"``.

    Examples
    --------
    >>> c = parse_credit('"Cow". Original "Cow - Moan 2 - 96kHz.wav" by "Jarred Gib". '
    ...                  'Edited by "Wuzzy". License: Creative Commons Zero 1.0.')
    >>> c.title, c.author, c.license
    ('Cow', 'Jarred Gib; edited by Wuzzy', 'CC0-1.0')
    """
    text = " ".join(name.split())
    title_match = re.match(r'\s*"([^"]*)"\.?\s*', text)
    title = title_match.group(1).split("|")[0].strip() if title_match else text.split(".")[0].strip()
    rest = text[title_match.end() :] if title_match else text
    head, _, lic_text = rest.partition("License:")
    lic_lower = lic_text.lower()
    license_ = next((short for phrase, short in _LICENSES if phrase in lic_lower), "unknown")
    originals: list[str] = []
    editors: list[str] = []
    for m in _BY.finditer(head):
        who = m.group("who").strip().strip('"').strip()
        if not who:
            continue
        target = editors if m.group("verb") else originals
        if who not in target:
            target.append(who)
    author = ", ".join(originals) if originals else ", ".join(editors)
    extra_editors = [e for e in editors if e not in originals]
    if originals and extra_editors:
        author += "; edited by " + ", ".join(extra_editors)
    return Credit(title=title, author=author or "unknown", license=license_, attribution=head.strip())
