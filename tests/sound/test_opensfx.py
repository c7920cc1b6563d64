"""The OpenSFX container parser and the credits in its entry names."""

from __future__ import annotations

import io
import struct

import numpy as np
import pytest
import soundfile as sf

from see2sound.errors import MediaError
from see2sound.sound.opensfx import build_cat, parse_cat, parse_credit


def wav_bytes(freq_hz: float, seconds: float = 0.2, sr: int = 44100) -> bytes:
    t = np.arange(int(seconds * sr)) / sr
    buf = io.BytesIO()
    sf.write(buf, 0.5 * np.sin(2 * np.pi * freq_hz * t), sr, format="WAV", subtype="PCM_16")
    return buf.getvalue()


NAMES = [
    '"Cow". Original "Cow - Moan 2 - 96kHz.wav" by "Jarred Gib". Edited by "Wuzzy". '
    "License: Creative Commons Zero 1.0.",
    '"Wind". Original "wind1.wav" by "Anton". Edited by Janis Lukss. '
    "License: Creative Commons Attribution 3.0 Unported.",
    '"Helicopter". Original "helicopterRaw_16sec.wav" by "lorenzosu". Edited by "Wuzzy". '
    "License: Creative Commons Attribution-ShareAlike 3.0 Unported.",
]


@pytest.mark.parametrize("new_format", [True, False])
def test_round_trip_of_a_container_built_here(new_format):
    wavs = [wav_bytes(f) for f in (220.0, 440.0, 880.0)]
    data = build_cat(list(zip(NAMES, wavs, strict=True)), new_format=new_format)
    # the first table entry points just past the table (3 entries x 8 bytes), top bit = new format
    first = struct.unpack_from("<I", data, 0)[0]
    assert first & 0x7FFFFFFF == 24
    assert bool(first & 0x80000000) == new_format
    entries = parse_cat(data)
    assert [e.index for e in entries] == [0, 1, 2]
    assert [e.name for e in entries] == NAMES
    for entry, wav, freq in zip(entries, wavs, (220.0, 440.0, 880.0), strict=True):
        assert entry.wav == wav
        y, sr = sf.read(io.BytesIO(entry.wav))
        spectrum = np.abs(np.fft.rfft(y))
        assert np.fft.rfftfreq(y.size, 1 / sr)[np.argmax(spectrum)] == pytest.approx(freq, abs=6)


def test_padding_between_entries_is_tolerated():
    # the real opensfx.cat leaves a few bytes between entries: offsets, not order, locate them
    wavs = [wav_bytes(300.0), wav_bytes(600.0)]
    packed = build_cat(list(zip(NAMES[:2], wavs, strict=True)))
    off0, size0 = struct.unpack_from("<II", packed, 0)
    off1, size1 = struct.unpack_from("<II", packed, 8)
    gap = b"\0" * 22
    start1 = off1 & 0x7FFFFFFF
    data = bytearray(packed[:start1] + gap + packed[start1:])
    struct.pack_into("<II", data, 8, off1 + len(gap), size1)
    entries = parse_cat(bytes(data))
    assert [e.wav for e in entries] == wavs


@pytest.mark.parametrize(
    ("mangle", "message"),
    [
        (lambda d: d[:5], "too short"),
        (lambda d: struct.pack("<I", 0x80000007) + d[4:], "bad table length"),
        (lambda d: d[:-10], "runs past the end"),
        (lambda d: d[:8] + struct.pack("<II", 0x8FFFFFF0, 10) + d[16:], "past the end of the file"),
        (lambda d: d.replace(b"RIFF", b"JUNK", 1), "not a RIFF WAVE"),
    ],
)
def test_corrupt_containers_raise_one_line_errors(mangle, message):
    data = build_cat([(NAMES[0], wav_bytes(200.0)), (NAMES[1], wav_bytes(400.0))])
    with pytest.raises(MediaError, match=message) as info:
        parse_cat(mangle(data), name="x.cat")
    assert str(info.value).startswith("x.cat: ") and "\n" not in str(info.value)


def test_names_longer_than_one_length_byte_are_refused_when_building():
    with pytest.raises(ValueError, match="too long"):
        build_cat([("x" * 300, wav_bytes(100.0))])


@pytest.mark.parametrize(
    ("name", "title", "author", "license_"),
    [
        (NAMES[0], "Cow", "Jarred Gib; edited by Wuzzy", "CC0-1.0"),
        (NAMES[1], "Wind", "Anton; edited by Janis Lukss", "CC-BY-3.0"),
        (NAMES[2], "Helicopter", "lorenzosu; edited by Wuzzy", "CC-BY-SA-3.0"),
        (
            '"Explosion". By Janis Lukss. License: Creative Commons Attribution 3.0 Unported.',
            "Explosion",
            "Janis Lukss",
            "CC-BY-3.0",
        ),
        (
            '"Ship horn". Original "ship2_bergen.aif" by Leon Milo. Edited by Wuzzy. '
            "License: Creative Commons Attribution 3.0 Unported.",
            "Ship horn",
            "Leon Milo; edited by Wuzzy",
            "CC-BY-3.0",
        ),
        (
            '"Truck/old bus start, pull away with horn". Original "file0375.mp3" by "saphix" and '
            '"Industrial Air Horn.wav" by "mcpable". Edited by "Wuzzy". License: Creative Commons Zero 1.0.',
            "Truck/old bus start, pull away with horn",
            "saphix, mcpable; edited by Wuzzy",
            "CC0-1.0",
        ),
        (
            '"Toyland: Toy factory (1)". Original "ae_51_m.wav" by "Sedi", "vial.wav" by Jan Schupke aka '
            '"Vehicle" and "whoosh06.wav" by Richard Frohlich aka "FreqMan". Edited by "Wuzzy". '
            "License: Creative Commons Attribution 3.0.",
            "Toyland: Toy factory (1)",
            "Sedi, Jan Schupke, Richard Frohlich; edited by Wuzzy",
            "CC-BY-3.0",
        ),
        (
            '"Unused/Nothing | OpenSFX 1.0.3". Trivial empty sound file. License: Creative Commons Zero 1.0.',
            "Unused/Nothing",
            "unknown",
            "CC0-1.0",
        ),
        ('"Mystery". By Someone. License: All rights reserved.', "Mystery", "Someone", "unknown"),
    ],
)
def test_credit_fields_from_entry_names(name, title, author, license_):
    credit = parse_credit(name)
    assert (credit.title, credit.author, credit.license) == (title, author, license_)


def test_attribution_keeps_the_original_credit_sentence():
    credit = parse_credit(NAMES[0])
    assert credit.attribution == 'Original "Cow - Moan 2 - 96kHz.wav" by "Jarred Gib". Edited by "Wuzzy".'
