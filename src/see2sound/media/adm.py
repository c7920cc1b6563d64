"""ADM (ITU-R BS.2076) metadata for an object-based BW64 file: the ``axml`` XML and the ``chna`` entries.

Each object is one mono file track with its own audioObject, audioPackFormat and audioChannelFormat of
type Objects (typeLabel 0003), an audioStreamFormat/audioTrackFormat pair (PCM) and an audioTrackUID, all
under one audioProgramme and audioContent — the structure EBU's ``ear`` writes and Dolby's and
Blackmagic's ADM importers read. Built with ``xml.etree``; no ADM writer on PyPI installs beside NumPy 2
(EBU's ``ear`` pins ``numpy<2``, ``wave-bwf-rf64`` writes no ADM and is GPL-3.0).
"""

from __future__ import annotations

import xml.etree.ElementTree as ET
from collections.abc import Sequence
from dataclasses import dataclass

from .bw64 import ChnaEntry

EBU_CORE_NS = "urn:ebu:metadata-schema:ebuCore_2017"
FIRST_ID = 0x1001  # BS.2076 §9: IDs below 0x1000 are the common definitions


@dataclass(frozen=True)
class Block:
    """One audioBlockFormat of an Objects channel: from ``rtime`` for ``duration`` seconds.

    The position (ADM polar: azimuth counter-clockwise from the front, elevation, normalised distance) and
    the linear ``gain`` are reached ``interpolation_s`` after ``rtime`` (``None``: at the block's end, ADM's
    default) and held to its end.
    """

    rtime: float
    duration: float
    azimuth: float
    elevation: float
    distance: float
    gain: float
    width: float = 0.0
    height: float = 0.0
    interpolation_s: float | None = None


@dataclass(frozen=True)
class AdmObject:
    """An audioObject: a name, its blocks, and optionally the metres that distance 1.0 stands for."""

    name: str
    blocks: Sequence[Block]
    absolute_distance_m: float | None = None


def adm_time(seconds: float) -> str:
    """BS.2076 time ``hh:mm:ss.fffff`` (times are kept on a millisecond grid, so this is exact)."""
    total = round(seconds * 100000)
    hours, rest = divmod(total, 3600 * 100000)
    minutes, rest = divmod(rest, 60 * 100000)
    secs, frac = divmod(rest, 100000)
    return f"{hours:02d}:{minutes:02d}:{secs:02d}.{frac:05d}"


def _num(value: float) -> str:
    return f"{value:.5f}"


def _ids(i: int) -> dict[str, str]:
    n = FIRST_ID + i
    return {
        "object": f"AO_{n:04X}",
        "pack": f"AP_0003{n:04X}",
        "channel": f"AC_0003{n:04X}",
        "stream": f"AS_0001{n:04X}",
        "track": f"AT_0001{n:04X}_01",
        "uid": f"ATU_{i + 1:08X}",
    }


def chna_entries(n_objects: int) -> list[ChnaEntry]:
    """One ``chna`` entry per object: track ``i + 1`` carries object ``i``."""
    return [ChnaEntry(i + 1, _ids(i)["uid"], _ids(i)["track"], _ids(i)["pack"]) for i in range(n_objects)]


def adm_xml(
    objects: Sequence[AdmObject],
    duration_s: float,
    programme_name: str = "see2sound",
    integrated_loudness_lufs: float | None = None,
    sample_rate: int = 48000,
) -> bytes:
    """The ``axml`` chunk body: an ebuCoreMain document holding the ADM of ``objects`` (track ``i + 1``
    carries object ``i``), with the programme's BS.1770 integrated loudness when given."""
    ET.register_namespace("", EBU_CORE_NS)
    q = f"{{{EBU_CORE_NS}}}"

    def sub(parent: ET.Element, tag: str, text: str | None = None, **attrs: str) -> ET.Element:
        el = ET.SubElement(parent, q + tag, attrs)
        if text is not None:
            el.text = text
        return el

    root = ET.Element(q + "ebuCoreMain")
    afe = sub(sub(sub(root, "coreMetadata"), "format"), "audioFormatExtended")
    programme = sub(
        afe,
        "audioProgramme",
        audioProgrammeID="APR_1001",
        audioProgrammeName=programme_name,
        start=adm_time(0.0),
        end=adm_time(duration_s),
    )
    sub(programme, "audioContentIDRef", "ACO_1001")
    if integrated_loudness_lufs is not None:
        loudness = sub(programme, "loudnessMetadata", loudnessMethod="ITU-R BS.1770")
        sub(loudness, "integratedLoudness", f"{integrated_loudness_lufs:.2f}")
    content = sub(afe, "audioContent", audioContentID="ACO_1001", audioContentName=programme_name)
    ids = [_ids(i) for i in range(len(objects))]
    for i in ids:
        sub(content, "audioObjectIDRef", i["object"])
    for obj, i in zip(objects, ids, strict=True):
        ao = sub(
            afe,
            "audioObject",
            audioObjectID=i["object"],
            audioObjectName=obj.name,
            start=adm_time(0.0),
            duration=adm_time(duration_s),
        )
        sub(ao, "audioPackFormatIDRef", i["pack"])
        sub(ao, "audioTrackUIDRef", i["uid"])
    for obj, i in zip(objects, ids, strict=True):
        channel = sub(
            afe,
            "audioChannelFormat",
            audioChannelFormatID=i["channel"],
            audioChannelFormatName=obj.name,
            typeLabel="0003",
            typeDefinition="Objects",
        )
        for n, b in enumerate(obj.blocks, start=1):
            block = sub(
                channel,
                "audioBlockFormat",
                audioBlockFormatID=f"AB_{i['channel'][3:]}_{n:08X}",
                rtime=adm_time(b.rtime),
                duration=adm_time(b.duration),
            )
            if b.interpolation_s is not None:
                sub(block, "jumpPosition", "1", interpolationLength=_num(b.interpolation_s))
            sub(block, "position", _num(b.azimuth), coordinate="azimuth")
            sub(block, "position", _num(b.elevation), coordinate="elevation")
            sub(block, "position", _num(b.distance), coordinate="distance")
            sub(block, "gain", f"{b.gain:.6g}")
            if b.width:
                sub(block, "width", _num(b.width))
            if b.height:
                sub(block, "height", _num(b.height))
    for obj, i in zip(objects, ids, strict=True):
        attrs = {}
        if obj.absolute_distance_m is not None:
            attrs["absoluteDistance"] = _num(obj.absolute_distance_m)
        pack = sub(
            afe,
            "audioPackFormat",
            audioPackFormatID=i["pack"],
            audioPackFormatName=obj.name,
            typeLabel="0003",
            typeDefinition="Objects",
            **attrs,
        )
        sub(pack, "audioChannelFormatIDRef", i["channel"])
    for obj, i in zip(objects, ids, strict=True):
        stream = sub(
            afe,
            "audioStreamFormat",
            audioStreamFormatID=i["stream"],
            audioStreamFormatName=obj.name,
            formatLabel="0001",
            formatDefinition="PCM",
        )
        sub(stream, "audioChannelFormatIDRef", i["channel"])
        sub(stream, "audioTrackFormatIDRef", i["track"])
        track = sub(
            afe,
            "audioTrackFormat",
            audioTrackFormatID=i["track"],
            audioTrackFormatName=obj.name,
            formatLabel="0001",
            formatDefinition="PCM",
        )
        sub(track, "audioStreamFormatIDRef", i["stream"])
    for i in ids:
        uid = sub(afe, "audioTrackUID", UID=i["uid"], sampleRate=str(sample_rate), bitDepth="24")
        sub(uid, "audioTrackFormatIDRef", i["track"])
        sub(uid, "audioPackFormatIDRef", i["pack"])
    ET.indent(root)
    return ET.tostring(root, encoding="utf-8", xml_declaration=True)
