"""Audio files: reading stems and writing spatial audio with its channel layout.

Reading tries libsndfile first (WAV, FLAC, OGG/Vorbis, AIFF…) and falls back to PyAV (FFmpeg) for
anything else it decodes (MP3, M4A/AAC, Opus, the audio of a video). Decoders pad the last frame (AAC by
up to 1024 samples, Opus by the pre-skip), so decoded audio is trimmed to the duration the container
states.

WAV output is WAVE_FORMAT_EXTENSIBLE with ``dwChannelMask`` set from the format (DESIGN §2); ambisonic
WAVs carry mask 0 (no loudspeaker layout), as AmbiX files conventionally do. FLAC output stores the mask
in the ``WAVEFORMATEXTENSIBLE_CHANNEL_MASK`` tag, which FFmpeg reads.
"""

from __future__ import annotations

import contextlib
import os
import struct
from collections.abc import Iterator
from math import gcd
from pathlib import Path

import numpy as np
import soundfile as sf

from ..errors import MediaError
from ..fileio import atomic_output
from ..formats import Format, get_format

AUDIO_SUFFIXES = {".wav": "WAVEX", ".flac": "FLAC"}
# A RIFF WAV counts its bytes in 32 bits: a WAV whose data would pass this is written as RF64 (EBU
# Tech 3306 / ITU-R BS.2088, what FFmpeg writes with -rf64 auto), which libsndfile and FFmpeg read whole.
RF64_BYTES = 0xFFFFFFFF - (1 << 16)
# Files that only point at other files (playlists, FFmpeg's concat lists): never read as a stem, so a
# scene cannot make see2sound open files it does not name.
INDIRECT_SUFFIXES = {".m3u", ".m3u8", ".pls", ".xspf", ".asx", ".ffconcat", ".sdp", ".cue", ".txt"}
_INDIRECT_MAGIC = (b"#EXTM3U", b"#EXT-X", b"ffconcat", b"[playlist]", b"<asx", b"v=0")
# A stem whose header states more than a day of audio is damaged (scenes last at most six hours).
MAX_STEM_SECONDS = 24 * 3600


def resample(y: np.ndarray, sr_in: int, sr_out: int) -> np.ndarray:
    """Band-limited polyphase resampling along the last axis (Kaiser window, scipy ``resample_poly``)."""
    if sr_in == sr_out:
        return y
    from scipy.signal import resample_poly  # lazy: scipy.signal costs about a second to import

    g = gcd(int(sr_in), int(sr_out))
    up, down = int(sr_out) // g, int(sr_in) // g
    return resample_poly(y, up, down, axis=-1, window=("kaiser", 8.6)).astype(y.dtype, copy=False)


# Frames per libsndfile read: the interleaved block stays in cache while it is de-interleaved.
READ_BLOCK = 65536
WRITE_BLOCK = 1 << 18  # frames per write


def read_audio_soundfile(path: Path) -> tuple[np.ndarray, int]:
    """Read with libsndfile: ``(channels, samples)`` float32 and the file's rate.

    Read block by block straight into the channel-major result: one pass over memory instead of an
    interleaved copy of the whole file and a cache-unfriendly transpose (the same samples).
    """
    with sf.SoundFile(str(path)) as fh:
        channels, sr = fh.channels, fh.samplerate
        # the header's frame count can lie (damaged files): allocate at most ~6 min up front and grow
        out = np.empty((channels, min(max(int(fh.frames), 0), 1 << 24)), np.float32)
        block = np.empty((READ_BLOCK, channels), np.float32)
        n = 0
        while True:
            got = fh.read(READ_BLOCK, dtype="float32", always_2d=True, out=block).shape[0]
            if got == 0:
                break
            if n + got > out.shape[1]:  # more frames than the header said
                grown = np.empty((channels, max(2 * out.shape[1], n + got)), np.float32)
                grown[:, :n] = out[:, :n]
                out = grown
            out[:, n : n + got] = block[:got].T
            n += got
    return (out if n == out.shape[1] else np.ascontiguousarray(out[:, :n])), int(sr)


def decode_audio_stream(container, stream) -> tuple[np.ndarray, int]:
    """Decode one PyAV audio stream to float32 ``(channels, samples)`` at its own rate (not trimmed)."""
    import av

    resampler = None
    blocks = []
    channels = int(stream.channels or 0)
    for frame in container.decode(stream):
        if resampler is None:
            # Convert to packed float: PyAV's planar to_ndarray is unsafe beyond 8 channels.
            resampler = av.AudioResampler(format="flt", layout=frame.layout, rate=frame.sample_rate)
            channels = frame.layout.nb_channels
        for out in resampler.resample(frame):
            blocks.append(out.to_ndarray().reshape(-1, channels))
    if resampler is not None:
        for out in resampler.resample(None):
            blocks.append(out.to_ndarray().reshape(-1, channels))
    sr = int(stream.sample_rate or stream.codec_context.sample_rate or 0)
    if not blocks:
        return np.zeros((max(channels, 1), 0), np.float32), sr
    return np.ascontiguousarray(np.concatenate(blocks).T, dtype=np.float32), sr


def stream_duration_s(container, stream) -> float | None:
    """The duration the container states for ``stream`` (or for the whole file), in seconds."""
    if stream.duration and stream.time_base:
        return float(stream.duration * stream.time_base)
    if container.duration:
        return container.duration / 1e6
    return None


def read_audio_pyav(path: Path) -> tuple[np.ndarray, int]:
    """Read the first audio stream of any FFmpeg-decodable file, trimmed to the stated duration."""
    from .containers import check_decodable, open_container

    with open_container(path) as container:
        if not container.streams.audio:
            raise MediaError(f"{path}: has no audio stream")
        stream = container.streams.audio[0]
        check_decodable(path, stream)
        y, sr = decode_audio_stream(container, stream)
        duration = stream_duration_s(container, stream)
    if duration is not None and sr:
        y = y[:, : int(round(duration * sr))]
    return y, sr


def read_audio_track(
    video_path: str | os.PathLike, sample_rate: int | None = 48000, stream_index: int = 0
) -> np.ndarray | None:
    """The audio track of a video as float32 ``(channels, samples)``, or ``None`` when it has none.

    Aligned to the container's start (leading silence added when the audio starts later) and trimmed
    (or padded) to the container's duration, then resampled to ``sample_rate`` (``None``: keep the
    track's own rate).
    """
    from .containers import check_decodable, open_container

    path = Path(video_path)
    with open_container(path) as container:
        if len(container.streams.audio) <= stream_index:
            return None
        stream = container.streams.audio[stream_index]
        check_decodable(path, stream)
        y, sr = decode_audio_stream(container, stream)
        origin = container.start_time / 1e6 if container.start_time is not None else 0.0
        start = float(stream.start_time * stream.time_base) if stream.start_time is not None else origin
        total = container.duration / 1e6 if container.duration else stream_duration_s(container, stream)
    if not sr:
        raise MediaError(f"{path}: audio stream has no sample rate")
    lead = max(0, int(round((start - origin) * sr)))
    if lead:
        y = np.concatenate([np.zeros((y.shape[0], lead), np.float32), y], axis=1)
    if total is not None:
        n = int(round(total * sr))
        y = y[:, :n] if y.shape[1] >= n else np.pad(y, ((0, 0), (0, n - y.shape[1])))
    if sample_rate is not None and sr != sample_rate:
        y = resample(y, sr, sample_rate)
    return y


def read_audio(
    path: str | os.PathLike, sample_rate: int | None = None, mono: bool = False
) -> tuple[np.ndarray, int]:
    """Read an audio file as float32 ``(channels, samples)``, optionally resampled and down-mixed.

    Raises :class:`MediaError` with the file name and the problem.
    """
    path = Path(path)
    if not path.exists():
        raise MediaError(f"{path}: no such file")
    if path.is_dir():
        raise MediaError(f"{path}: is a folder, expected an audio file")
    if path.stat().st_size == 0:
        raise MediaError(f"{path}: file is empty")
    check_direct(path)
    try:
        try:
            y, sr = read_audio_soundfile(path)
        except (sf.LibsndfileError, RuntimeError) as exc:
            del exc  # libsndfile does not know the format: let FFmpeg try, and report FFmpeg's reason
            y, sr = read_audio_pyav(path)
    except MemoryError:
        raise MediaError(f"{path}: too long to read into memory (damaged header?)") from None
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


def check_direct(path: Path) -> None:
    """Refuse playlists and other files that name other files (HLS ``.m3u8``, FFmpeg concat lists)."""
    try:
        with open(path, "rb") as fh:
            head = fh.read(64).lstrip(b"\xef\xbb\xbf \t\r\n")
    except OSError as exc:
        raise MediaError(f"{path}: cannot read ({exc.strerror or exc})") from None
    if path.suffix.lower() in INDIRECT_SUFFIXES or head.lower().startswith(
        tuple(m.lower() for m in _INDIRECT_MAGIC)
    ):
        raise MediaError(f"{path}: a playlist or list of other files, not audio; give the audio file itself")


def _damaged(path: Path, exc: BaseException) -> MediaError:
    text = " ".join(str(exc).split()) or type(exc).__name__
    return MediaError(f"{path}: damaged or unreadable audio ({text})")


class MonoReader:
    """A mono view of an audio file that reads only the samples asked for: ``reader[a:b]`` is float32.

    For long stems: a renderer working in time blocks then holds one block of each stem, not the whole
    stem. Multichannel files are down-mixed (the mean of the channels), as :func:`read_audio` does.
    Use :func:`open_mono`, which checks the file first.
    """

    dtype = np.dtype(np.float32)

    def __init__(self, path: str | os.PathLike):
        self.path = Path(path)
        info = sf.info(str(self.path))
        self.channels, self.sample_rate, self.frames = (
            int(info.channels),
            int(info.samplerate),
            int(info.frames),
        )
        if self.sample_rate <= 0 or self.frames > MAX_STEM_SECONDS * self.sample_rate:
            raise MediaError(
                f"{self.path}: damaged header (states {self.frames} frames at {self.sample_rate} Hz)"
            )

    def __len__(self) -> int:
        return self.frames

    @property
    def shape(self) -> tuple[int]:
        return (self.frames,)

    def __getitem__(self, key: slice) -> np.ndarray:
        if not isinstance(key, slice) or key.step not in (None, 1):
            raise TypeError("a MonoReader is read by contiguous slices, e.g. reader[1000:2000]")
        start, stop, _ = key.indices(self.frames)
        count = max(0, stop - start)
        try:
            with sf.SoundFile(str(self.path)) as fh:
                fh.seek(start)
                y = fh.read(count, dtype="float32", always_2d=True)
        except (sf.LibsndfileError, RuntimeError, ValueError, MemoryError) as exc:
            raise _damaged(self.path, exc) from None
        if y.shape[0] < count:
            raise MediaError(
                f"{self.path}: damaged or truncated (ends after {start + y.shape[0]} of the"
                f" {self.frames} frames its header states)"
            )
        y = y[:, 0].copy() if y.shape[1] == 1 else y.mean(axis=1, dtype=np.float32)
        if not np.all(np.isfinite(y)):
            raise MediaError(f"{self.path}: contains NaN or infinite samples")
        return y

    def __array__(self, dtype=None, copy=None) -> np.ndarray:
        y = self[:]
        return y if dtype is None else y.astype(dtype, copy=False)


def open_mono(path: str | os.PathLike, sample_rate: int) -> tuple[np.ndarray | MonoReader, int]:
    """A mono stem at ``sample_rate`` and the number of channels it had.

    A file that libsndfile reads at that rate comes back as a :class:`MonoReader` (read on demand);
    anything else is read, down-mixed and resampled now (:func:`read_audio`). Raises :class:`MediaError`
    for a missing, empty or unreadable file.
    """
    path = Path(path)
    if path.is_file() and path.stat().st_size > 0:
        check_direct(path)
        try:
            reader = MonoReader(path)
        except (sf.LibsndfileError, RuntimeError):
            reader = None  # not for libsndfile: read_audio tries FFmpeg and explains what is wrong
        if reader is not None and reader.sample_rate == int(sample_rate) and reader.frames > 0:
            return reader, reader.channels
    y, _ = read_audio(path, sample_rate=sample_rate)
    return (y.mean(axis=0) if y.shape[0] > 1 else y[0]), y.shape[0]


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
    y = np.atleast_2d(np.asarray(y))
    with open_audio_writer(path, sample_rate, y.shape[0], y.shape[-1], fmt, overwrite, subtype) as writer:
        # block by block: a long render is not copied whole into the interleaved layout
        for s0 in range(0, y.shape[-1], WRITE_BLOCK):
            writer.write(y[:, s0 : s0 + WRITE_BLOCK])
    return Path(path)


class AudioWriter:
    """An audio file being written a block at a time (made by :func:`open_audio_writer`)."""

    def __init__(self, path: Path, tmp: Path, sample_rate: int, channels: int, frames: int, container: str,
                 subtype: str):  # fmt: skip
        self.path, self.tmp = path, tmp
        self.sample_rate, self.channels, self.frames = int(sample_rate), int(channels), int(frames)
        self.container, self.subtype = container, subtype
        self.written = 0
        self._fh = None
        self.rewind()

    def write(self, block: np.ndarray) -> None:
        """Append ``block`` ``(channels, k)``; refuses NaN or infinite samples and more than ``frames``."""
        block = np.atleast_2d(np.asarray(block))
        if block.shape[0] != self.channels:
            raise MediaError(
                f"{self.path}: a block of {block.shape[0]} channels for a {self.channels}-channel file"
            )
        if self.written + block.shape[-1] > self.frames:
            raise MediaError(f"{self.path}: more than the {self.frames} frames announced")
        for s0 in range(0, block.shape[-1], WRITE_BLOCK):
            part = block[:, s0 : s0 + WRITE_BLOCK]
            if not np.all(np.isfinite(part)):
                raise MediaError(f"{self.path}: refusing to write NaN or infinite samples")
            self._fh.write(np.ascontiguousarray(part.T, dtype=np.float32))
        self.written += block.shape[-1]

    def rewind(self) -> None:
        """Start the file again from its first sample (what was written is discarded)."""
        self.close()
        self._fh = sf.SoundFile(
            str(self.tmp), "w", self.sample_rate, self.channels, subtype=self.subtype, format=self.container
        )
        self.written = 0

    def close(self) -> None:
        if self._fh is not None:
            self._fh.close()
            self._fh = None


@contextlib.contextmanager
def open_audio_writer(
    path: str | os.PathLike,
    sample_rate: int,
    channels: int,
    frames: int,
    fmt: str | Format | None = None,
    overwrite: bool = False,
    subtype: str = "PCM_24",
) -> Iterator[AudioWriter]:
    """Write ``frames`` frames of ``channels`` channels to ``.wav`` (WAVEX with channel mask) or
    ``.flac`` a block at a time, atomically: the blocks go to a hidden temporary file in the target's
    folder, renamed onto ``path`` when the ``with`` block ends with every frame written (removed on any
    error). The total decides the container before the first block: RF64 for a WAV over 4 GiB.

    ``fmt`` names the layout (``"5.1"``, ``"foa"``, …) for the channel mask; ``None`` writes no layout
    (mono files and stems).

    Examples
    --------
    >>> with open_audio_writer("out.wav", 48000, 6, 96000, "5.1") as writer:  # doctest: +SKIP
    ...     for block in blocks:
    ...         writer.write(block)
    """
    path = Path(path)
    suffix = path.suffix.lower()
    if suffix not in AUDIO_SUFFIXES:
        raise MediaError(f"{path}: unsupported audio extension {suffix or '(none)'}; use .wav or .flac")
    layout = get_format(fmt) if isinstance(fmt, str) else fmt
    if layout is not None and layout.n_channels != channels:
        raise MediaError(f"{path}: {layout.name} needs {layout.n_channels} channels, got {channels}")
    container = AUDIO_SUFFIXES[suffix]
    if container == "WAVEX" and layout is None and channels <= 2:
        container = "WAV"
    bytes_per_sample = {"PCM_16": 2, "PCM_24": 3, "PCM_32": 4, "FLOAT": 4, "DOUBLE": 8}.get(subtype, 4)
    if container in ("WAV", "WAVEX") and channels * frames * bytes_per_sample > RF64_BYTES:
        container = "RF64"  # WAVE_FORMAT_EXTENSIBLE like WAVEX, with 64-bit sizes
    with atomic_output(path, overwrite=overwrite) as tmp:
        writer = AudioWriter(path, tmp, sample_rate, channels, frames, container, subtype)
        try:
            yield writer
        finally:
            writer.close()
        if writer.written != frames:
            raise MediaError(f"{path}: {writer.written} of the {frames} frames announced were written")
        if container == "FLAC" and layout is not None:
            _tag_flac_mask(tmp, layout.channel_mask)
        elif container in ("WAVEX", "RF64") and (layout is not None or channels > 2):
            _patch_wav_mask(tmp, layout.channel_mask if layout is not None else 0)


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


def read_channel_mask(path: str | os.PathLike) -> int | None:
    """The channel mask a WAV (``dwChannelMask``) or FLAC (its layout as FFmpeg reads it) states.

    ``None`` when the file states none (plain WAV, other formats); 0 means "no loudspeaker layout".
    """
    path = Path(path)
    with open(path, "rb") as fh:
        head = fh.read(4096)
    if head[:4] in (b"RIFF", b"RF64") and head[8:12] == b"WAVE":
        pos = 12
        while pos + 8 <= len(head):
            kind, size = struct.unpack_from("<4sI", head, pos)
            if kind == b"fmt ":
                if size >= 40 and struct.unpack_from("<H", head, pos + 8)[0] == 0xFFFE:
                    return struct.unpack_from("<I", head, pos + 8 + 20)[0]
                return None
            pos += 8 + size + (size & 1)
        return None
    if head[:4] == b"fLaC":
        value = flac_vorbis_comments(path).get("WAVEFORMATEXTENSIBLE_CHANNEL_MASK")
        try:
            return int(value, 0) if value is not None else None
        except ValueError:
            return None
    return None


def flac_vorbis_comments(path: Path) -> dict[str, str]:
    """The Vorbis comments of a FLAC file (keys upper-cased), read from its metadata blocks."""
    comments: dict[str, str] = {}
    with open(path, "rb") as fh:
        if fh.read(4) != b"fLaC":
            return comments
        last = False
        while not last:
            header = fh.read(4)
            if len(header) < 4:
                break
            last, kind = bool(header[0] & 0x80), header[0] & 0x7F
            size = int.from_bytes(header[1:4], "big")
            if kind != 4:  # VORBIS_COMMENT
                fh.seek(size, os.SEEK_CUR)
                continue
            block = fh.read(size)
            try:
                pos = 4 + struct.unpack_from("<I", block)[0]
                (count,) = struct.unpack_from("<I", block, pos)
                pos += 4
                for _ in range(count):
                    (length,) = struct.unpack_from("<I", block, pos)
                    text = block[pos + 4 : pos + 4 + length].decode("utf-8", "replace")
                    key, _, value = text.partition("=")
                    comments[key.upper()] = value
                    pos += 4 + length
            except struct.error:
                pass
            break
    return comments


def guess_format(n_channels: int, channel_mask: int | None = None) -> Format | None:
    """The output format that a channel count and mask describe, or ``None`` (mono or unknown).

    A mask picks the speaker layout with exactly that mask (0x60F, side surrounds, counts as 5.1);
    mask 0 or no mask with 4, 9 or 16 channels means AmbiX of order 1, 2 or 3; without a mask the count
    decides: 2 stereo, 6 5.1, 8 7.1, 12 7.1.4. Binaural files are stereo files.
    """
    from ..formats import FORMATS

    if channel_mask:
        if channel_mask == 0x60F and n_channels == 6:
            return FORMATS["5.1"]
        for layout in FORMATS.values():
            same = layout.channel_mask == channel_mask and layout.n_channels == n_channels
            if same and not layout.binaural:
                return layout
    by_count = {2: "stereo", 4: "foa", 6: "5.1", 8: "7.1", 9: "hoa2", 12: "7.1.4", 16: "hoa3"}
    name = by_count.get(n_channels)
    if name is None:
        return None
    layout = FORMATS[name]
    if channel_mask and not layout.is_ambisonic:
        return layout
    if channel_mask and layout.is_ambisonic:  # a speaker mask that matches nothing we know
        return None
    return layout
