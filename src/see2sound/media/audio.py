"""Audio files: reading stems and writing spatial audio with its channel layout.

WAV output is WAVE_FORMAT_EXTENSIBLE with ``dwChannelMask`` set from the format (DESIGN §2); ambisonic
WAVs carry mask 0 (no loudspeaker layout), as AmbiX files conventionally do. FLAC output stores the mask
in the ``WAVEFORMATEXTENSIBLE_CHANNEL_MASK`` tag, which FFmpeg reads.
"""

from __future__ import annotations

import os
import struct
from math import gcd
from pathlib import Path

import numpy as np
import soundfile as sf
from scipy.signal import resample_poly

from ..errors import MediaError
from ..fileio import atomic_output
from ..formats import Format, get_format

AUDIO_SUFFIXES = {".wav": "WAVEX", ".flac": "FLAC"}


def resample(y: np.ndarray, sr_in: int, sr_out: int) -> np.ndarray:
    """Band-limited polyphase resampling along the last axis (Kaiser window, scipy ``resample_poly``)."""
    if sr_in == sr_out:
        return y
    g = gcd(int(sr_in), int(sr_out))
    up, down = int(sr_out) // g, int(sr_in) // g
    return resample_poly(y, up, down, axis=-1, window=("kaiser", 8.6)).astype(y.dtype, copy=False)


def read_audio_soundfile(path: Path) -> tuple[np.ndarray, int]:
    """Read with libsndfile: ``(channels, samples)`` float32 and the file's rate."""
    data, sr = sf.read(str(path), dtype="float32", always_2d=True)
    return np.ascontiguousarray(data.T), int(sr)


def read_audio(path: str | os.PathLike, sample_rate: int | None = None, mono: bool = False) -> tuple[np.ndarray, int]:
    """Read an audio file as float32 ``(channels, samples)``, optionally resampled and down-mixed.

    Raises :class:`MediaError` with the file name and the problem.
    """
    path = Path(path)
    if not path.exists():
        raise MediaError(f"{path}: no such file")
    if path.is_dir():
        raise MediaError(f"{path}: is a folder, expected an audio file")
    try:
        y, sr = read_audio_soundfile(path)
    except (sf.LibsndfileError, RuntimeError) as exc:
        raise MediaError(f"{path}: cannot read audio ({' '.join(str(exc).split())})") from None
    if y.shape[1] == 0:
        raise MediaError(f"{path}: contains no audio samples")
    if not np.all(np.isfinite(y)):
        raise MediaError(f"{path}: contains NaN or infinite samples")
    if mono and y.shape[0] > 1:
        y = y.mean(axis=0, keepdims=True)
    if sample_rate is not None and sr != sample_rate:
        y = resample(y, sr, sample_rate)
        sr = sample_rate
    return y, sr


def _patch_wav_mask(path: Path, mask: int) -> None:
    """Set ``dwChannelMask`` in a WAVE_FORMAT_EXTENSIBLE file written by libsndfile."""
    with open(path, "r+b") as fh:
        head = fh.read(4096)
        pos = head.find(b"fmt ")
        if pos < 0:
            raise MediaError(f"{path}: no fmt chunk in WAV header")
        (tag,) = struct.unpack_from("<H", head, pos + 8)
        if tag != 0xFFFE:
            raise MediaError(f"{path}: WAV is not WAVE_FORMAT_EXTENSIBLE")
        fh.seek(pos + 8 + 20)
        fh.write(struct.pack("<I", mask))


def write_audio(
    path: str | os.PathLike,
    y: np.ndarray,
    sample_rate: int,
    fmt: str | Format | None = None,
    overwrite: bool = False,
    subtype: str = "PCM_24",
) -> Path:
    """Write ``y`` ``(channels, samples)`` to ``.wav`` (WAVEX with channel mask) or ``.flac`` atomically.

    ``fmt`` names the layout (``"5.1"``, ``"foa"``, …) for the channel mask; ``None`` writes no layout
    (mono files and stems).
    """
    path = Path(path)
    suffix = path.suffix.lower()
    if suffix not in AUDIO_SUFFIXES:
        raise MediaError(f"{path}: unsupported audio extension {suffix or '(none)'}; use .wav or .flac")
    y = np.atleast_2d(np.asarray(y))
    if not np.all(np.isfinite(y)):
        raise MediaError(f"{path}: refusing to write NaN or infinite samples")
    layout = get_format(fmt) if isinstance(fmt, str) else fmt
    if layout is not None and layout.n_channels != y.shape[0]:
        raise MediaError(f"{path}: {layout.name} needs {layout.n_channels} channels, got {y.shape[0]}")
    container = AUDIO_SUFFIXES[suffix]
    if container == "WAVEX" and layout is None and y.shape[0] <= 2:
        container = "WAV"
    with atomic_output(path, overwrite=overwrite) as tmp:
        data = np.ascontiguousarray(y.T, dtype=np.float32)
        if container == "FLAC":
            with sf.SoundFile(str(tmp), "w", int(sample_rate), y.shape[0], subtype=subtype, format="FLAC") as fh:
                fh.write(data)
            if layout is not None:
                _tag_flac_mask(tmp, layout.channel_mask)
        else:
            sf.write(str(tmp), data, int(sample_rate), subtype=subtype, format=container)
            if container == "WAVEX":
                _patch_wav_mask(tmp, layout.channel_mask if layout is not None else 0)
    return path


def _tag_flac_mask(path: Path, mask: int) -> None:
    """Add the ``WAVEFORMATEXTENSIBLE_CHANNEL_MASK`` Vorbis comment (FFmpeg's FLAC layout tag)."""
    import av

    # Re-mux through FFmpeg's FLAC muxer with the tag set; the audio data is copied, not re-encoded.
    src = Path(str(path) + ".src")
    os.replace(path, src)
    try:
        with av.open(str(src)) as inp, av.open(str(path), "w", format="flac") as out:
            stream = out.add_stream_from_template(inp.streams.audio[0])
            out.metadata["WAVEFORMATEXTENSIBLE_CHANNEL_MASK"] = f"0x{mask:X}"
            for packet in inp.demux(inp.streams.audio[0]):
                if packet.dts is None:
                    continue
                packet.stream = stream
                out.mux(packet)
    finally:
        src.unlink(missing_ok=True)
