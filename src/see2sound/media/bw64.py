"""BW64 (ITU-R BS.2088) writer: PCM tracks plus the ``chna`` and ``axml`` chunks of an ADM BWF file.

libsndfile (soundfile) writes RIFF/RF64 WAV but no ``chna`` or ``axml`` chunk, and PyAV's WAV muxer writes
neither either; the one PyPI package that writes them beside EBU's ``ear`` (``wave-bwf-rf64``) is GPL-3.0
and works on raw bytes. So this is a small writer of our own (checked against ``ear``'s BW64 reader,
libsndfile and FFmpeg in tests/media/test_adm.py).

A file up to 4 GiB is a plain ``RIFF``/``WAVE`` with a 28-byte ``JUNK`` chunk first, so that it can be
turned into RF64 in place; a larger one is ``RF64`` with that chunk as ``ds64`` holding the 64-bit sizes
(BS.2088 §3, EBU Tech 3306). The sizes are known before the samples are written, so the header is written
once, and the samples are streamed track block by track block.
"""

from __future__ import annotations

import os
import struct
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from ..errors import MediaError
from ..fileio import atomic_output

MAX_RIFF_SIZE = 0xFFFFFFFF  # a 32-bit size field; beyond it the file is RF64
DS64_SIZE = 28  # riffSize, dataSize, sampleCount (8 bytes each) and an empty table (4 bytes)
WRITE_FRAMES = 1 << 16  # frames per block written
BITS = 24  # ADM BWF's usual sample format (Dolby Atmos and Resolve read 24-bit PCM)


@dataclass(frozen=True)
class ChnaEntry:
    """A ``chna`` audio ID: file track (1-based), audioTrackUID, audioTrackFormat and audioPackFormat IDs."""

    track_index: int
    track_uid: str
    track_format_ref: str
    pack_format_ref: str


def chna_chunk(entries: Sequence[ChnaEntry]) -> bytes:
    """The ``chna`` chunk body (BS.2088 §8): track and UID counts, then 40 bytes per audio ID."""
    body = struct.pack("<HH", len({e.track_index for e in entries}), len(entries))
    for e in entries:
        body += struct.pack(
            "<H12s14s11sx",
            e.track_index,
            e.track_uid.encode("ascii"),
            e.track_format_ref.encode("ascii"),
            e.pack_format_ref.encode("ascii"),
        )
    return body


def _chunk(kind: bytes, body: bytes) -> bytes:
    return kind + struct.pack("<I", len(body)) + body + (b"\0" if len(body) & 1 else b"")


def pcm24(block: np.ndarray) -> bytes:
    """Float samples ``(frames, channels)`` in [-1, 1] as interleaved little-endian 24-bit PCM."""
    q = np.clip(np.rint(np.asarray(block, dtype=np.float64) * 8388608.0), -8388608, 8388607).astype("<i4")
    return q.view(np.uint8).reshape(-1, 4)[:, :3].tobytes()


def write_bw64(
    path: str | os.PathLike,
    tracks: Sequence,
    n_frames: int,
    sample_rate: int,
    chna: bytes,
    axml: bytes,
    overwrite: bool = False,
    max_riff_size: int = MAX_RIFF_SIZE,
) -> Path:
    """Write mono ``tracks`` as one 24-bit PCM BW64 file with ``chna`` and ``axml`` chunks, atomically.

    Parameters
    ----------
    tracks : sequence
        One mono signal per file track: arrays, or anything whose ``[a:b]`` slices are float arrays (a
        :class:`see2sound.media.audio.MonoReader`); shorter ones are padded with silence.
    n_frames : int
        Samples per track.
    chna, axml : bytes
        Chunk bodies (:func:`chna_chunk`, :func:`see2sound.media.adm.adm_xml`).
    max_riff_size : int
        Largest RIFF size before the file becomes RF64 (a parameter so that tests need not write 4 GiB).

    Returns
    -------
    Path
    """
    path = Path(path)
    n_ch = len(tracks)
    if n_ch < 1 or n_ch > 0xFFFF:
        raise MediaError(f"{path}: a BW64 file holds 1 to 65535 tracks, got {n_ch}")
    block_align = n_ch * BITS // 8
    data_size = int(n_frames) * block_align
    if len(axml) & 1:  # even, so no pad byte: libsndfile's RF64 reader loses its way over one
        axml += b"\n"
    fmt = struct.pack("<HHIIHH", 1, n_ch, sample_rate, sample_rate * block_align, block_align, BITS)
    middle = _chunk(b"fmt ", fmt) + _chunk(b"chna", chna) + _chunk(b"axml", axml)
    riff_size = 4 + 8 + DS64_SIZE + len(middle) + 8 + data_size + (data_size & 1)
    if riff_size > max_riff_size:
        ds64 = struct.pack("<QQQI", riff_size, data_size, int(n_frames), 0)
        head = b"RF64" + struct.pack("<I", 0xFFFFFFFF) + b"WAVE" + _chunk(b"ds64", ds64)
        data_header = b"data" + struct.pack("<I", 0xFFFFFFFF)
    else:
        head = b"RIFF" + struct.pack("<I", riff_size) + b"WAVE" + _chunk(b"JUNK", bytes(DS64_SIZE))
        data_header = b"data" + struct.pack("<I", data_size)
    with atomic_output(path, overwrite=overwrite) as tmp, open(tmp, "wb") as fh:
        fh.write(head + middle + data_header)
        block = np.empty((WRITE_FRAMES, n_ch), dtype=np.float32)
        for s0 in range(0, int(n_frames), WRITE_FRAMES):
            frames = min(WRITE_FRAMES, int(n_frames) - s0)
            for c, track in enumerate(tracks):
                part = np.asarray(track[s0 : min(s0 + frames, len(track))], dtype=np.float32)
                block[: part.size, c] = part
                block[part.size : frames, c] = 0.0
            if not np.all(np.isfinite(block[:frames])):
                raise MediaError(f"{path}: refusing to write NaN or infinite samples")
            fh.write(pcm24(block[:frames]))
        if data_size & 1:
            fh.write(b"\0")
    return path


def read_chunks(path: str | os.PathLike) -> dict[bytes, bytes]:
    """The chunks of a RIFF/RF64/BW64 file other than ``data`` (for checks: ``chna``, ``axml``, ``ds64``)."""
    chunks: dict[bytes, bytes] = {}
    with open(path, "rb") as fh:
        head = fh.read(12)
        if head[:4] not in (b"RIFF", b"RF64", b"BW64") or head[8:12] != b"WAVE":
            raise MediaError(f"{path}: not a RIFF/RF64/BW64 WAVE file")
        while len(header := fh.read(8)) == 8:
            kind, size = struct.unpack("<4sI", header)
            if kind == b"data":
                if size == 0xFFFFFFFF and b"ds64" in chunks:
                    size = struct.unpack_from("<Q", chunks[b"ds64"], 8)[0]
                fh.seek(size + (size & 1), os.SEEK_CUR)
                continue
            chunks[kind] = fh.read(size)
            fh.seek(size & 1, os.SEEK_CUR)
    return chunks
