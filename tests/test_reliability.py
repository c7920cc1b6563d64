"""Reliability of the building blocks: bounded file reads, output modes, full disks, damaged stems,
RF64 for WAVs over 4 GiB, confined stem paths and the bounded stem cache."""

from __future__ import annotations

import errno
import json
import os
import struct
from pathlib import Path

import av
import numpy as np
import pytest
import soundfile as sf

from see2sound.cache import cache_root, prune_stems
from see2sound.config import load_config
from see2sound.errors import MediaError, SceneError, See2SoundError
from see2sound.fileio import atomic_output, read_text_file
from see2sound.media import audio as audio_module
from see2sound.media.audio import open_mono, read_audio, read_channel_mask, write_audio
from see2sound.scene import MAX_DURATION_S, check_duration, load_scene

SR = 16000


def _scene(folder: Path, sources: list[dict], duration: float = 1.0) -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / "scene.json"
    path.write_text(json.dumps({"version": 1, "sample_rate": SR, "duration": duration, "sources": sources}))
    return path


# -- bounded reads of text inputs ------------------------------------------------------------------
def test_a_link_to_dev_zero_is_refused_without_reading_it(tmp_path):
    link = tmp_path / "scene.json"
    link.symlink_to("/dev/zero")
    with pytest.raises(SceneError, match="not a regular file"):
        load_scene(link)
    with pytest.raises(See2SoundError, match="not a regular file"):
        load_config(link, {"sources"})


def test_a_fifo_is_refused_without_blocking(tmp_path):
    fifo = tmp_path / "scene.json"
    os.mkfifo(fifo)  # nobody writes: a blocking open or read would hang here
    with pytest.raises(SceneError, match="not a regular file"):
        load_scene(fifo)


def test_an_oversized_text_file_is_refused(tmp_path):
    big = tmp_path / "scene.json"
    big.write_bytes(b" " * 2048)
    with pytest.raises(See2SoundError, match="too large"):
        read_text_file(big, "scene", limit=1024)


def test_json_nested_100000_deep_is_one_scene_error(tmp_path):
    path = tmp_path / "scene.json"
    path.write_text("[" * 100_000 + "]" * 100_000)
    with pytest.raises(SceneError, match="nested too deeply"):
        load_scene(path)
    path.write_text('{"duration": 1, "x": ' + "[" * 100_000 + "]" * 100_000 + "}")
    with pytest.raises(SceneError, match="nested too deeply"):
        load_scene(path)
    config = tmp_path / "cfg.toml"
    config.write_text("format = " + "[" * 100_000 + "]" * 100_000 + "\n")
    with pytest.raises(See2SoundError, match="nested too deeply"):
        load_config(config, {"format"})


@pytest.mark.parametrize(
    ("field", "value", "message"),
    [
        ("duration", 36000.0, "limit of 21600 s"),
        ("distance", 1e300, "limit of 10000 m"),
        ("distance", 1e6, "limit of 10000 m"),
        ("gain_db", -1000.0, "limit of ±100 dB"),
    ],
)
def test_scene_values_beyond_the_limits_are_refused_naming_value_and_limit(tmp_path, field, value, message):
    source = {"id": "a", "audio": "a.wav", "position": {"azimuth": 0.0}}
    duration = 1.0
    if field == "duration":
        duration = value
    elif field == "distance":
        source["position"]["distance"] = value
    else:
        source[field] = value
    with pytest.raises(SceneError, match=message) as info:
        load_scene(_scene(tmp_path, [source], duration))
    assert f"{value:g}" in str(info.value)


def test_check_duration_bounds():
    assert check_duration(MAX_DURATION_S) == MAX_DURATION_S
    for bad in (0, -1, float("nan"), float("inf"), 1e9):
        with pytest.raises(See2SoundError, match="--duration"):
            check_duration(bad)


# -- outputs: modes, full disks -------------------------------------------------------------------
def test_outputs_follow_the_umask(tmp_path):
    old = os.umask(0o022)
    try:
        with atomic_output(tmp_path / "a.txt") as tmp:
            tmp.write_text("x")
        write_audio(tmp_path / "b.wav", np.zeros((2, 100), np.float32), SR, "stereo")
        os.umask(0o077)
        with atomic_output(tmp_path / "c.txt") as tmp:
            tmp.write_text("x")
    finally:
        os.umask(old)
    assert (tmp_path / "a.txt").stat().st_mode & 0o777 == 0o644
    assert (tmp_path / "b.wav").stat().st_mode & 0o777 == 0o644
    assert (tmp_path / "c.txt").stat().st_mode & 0o777 == 0o600


def test_enospc_while_writing_text_names_the_file(tmp_path):
    target = tmp_path / "scene.json"
    with pytest.raises(MediaError) as info:
        with atomic_output(target) as tmp:
            tmp.write_text("{")
            raise OSError(errno.ENOSPC, os.strerror(errno.ENOSPC), str(tmp))
    assert str(info.value) == f"{target}: no space left on device"
    assert list(tmp_path.iterdir()) == []


def test_libsndfile_system_error_on_a_full_disk_says_so(tmp_path, monkeypatch):
    import shutil

    def full(self, data):
        raise sf.LibsndfileError(2)  # what libsndfile reports when write() fails: "System error."

    monkeypatch.setattr(sf.SoundFile, "write", full)
    monkeypatch.setattr(shutil, "disk_usage", lambda _p: shutil._ntuple_diskusage(10**9, 10**9, 0))
    target = tmp_path / "out.wav"
    with pytest.raises(MediaError, match="no space left on device") as info:
        write_audio(target, np.zeros((6, 1000), np.float32), SR, "5.1")
    assert str(target) in str(info.value)
    assert list(tmp_path.iterdir()) == []


# -- RF64 -------------------------------------------------------------------------------------------
def test_wav_beyond_the_riff_limit_is_rf64_and_reads_back_whole(tmp_path, monkeypatch):
    # the threshold lowered to 64 kB: the same code path as a 4 GiB render, in a few milliseconds
    monkeypatch.setattr(audio_module, "RF64_BYTES", 65536)
    rng = np.random.default_rng(1)
    y = (rng.standard_normal((6, 20000)) * 0.1).astype(np.float32)
    path = write_audio(tmp_path / "big.wav", y, 48000, "5.1")
    head = path.read_bytes()[:16]
    assert head[:4] == b"RF64" and head[8:12] == b"WAVE"
    assert struct.unpack_from("<I", head, 4)[0] == 0xFFFFFFFF  # sizes live in the ds64 chunk
    back, sr = sf.read(path, dtype="float32", always_2d=True)
    assert sr == 48000 and back.shape == (20000, 6)
    assert np.max(np.abs(back.T - y)) < 2**-22
    assert read_channel_mask(path) == 0x60F or read_channel_mask(path) == 0x3F
    with av.open(str(path)) as container:  # FFmpeg's reader
        stream = container.streams.audio[0]
        n = sum(frame.samples for frame in container.decode(stream))
        assert stream.codec_context.channels == 6
    assert n == 20000
    small = write_audio(tmp_path / "small.wav", y[:, :100], 48000, "5.1")
    assert small.read_bytes()[:4] == b"RIFF"


# -- stems that escape as other exceptions ---------------------------------------------------------
def _flac(path: Path, seconds: float = 2.0) -> Path:
    rng = np.random.default_rng(0)
    sf.write(path, (rng.standard_normal(int(SR * seconds)) * 0.1).astype(np.float32), SR, format="FLAC")
    return path


def test_damaged_flac_stem_raises_media_error_when_read_in_blocks(tmp_path):
    path = _flac(tmp_path / "a.flac")
    data = bytearray(path.read_bytes())
    rng = np.random.default_rng(3)
    for i in rng.integers(len(data) // 3, len(data), 400):
        data[i] ^= 0xFF
    path.write_bytes(bytes(data))
    reader, _ = open_mono(path, SR)
    with pytest.raises(MediaError, match=str(path)):
        for a in range(0, len(reader), 4096):
            reader[a : a + 4096]


def test_truncated_flac_stem_raises_media_error(tmp_path):
    path = _flac(tmp_path / "a.flac")
    path.write_bytes(path.read_bytes()[: path.stat().st_size // 2])
    reader, _ = open_mono(path, SR)
    with pytest.raises(MediaError, match="damaged or truncated|damaged or unreadable"):
        reader[0 : len(reader)]


def test_flac_header_claiming_billions_of_frames_is_refused(tmp_path):
    path = _flac(tmp_path / "a.flac")
    data = bytearray(path.read_bytes())
    # STREAMINFO: the low 36 bits of the 64 bits at byte 8 + 10 of the block are the total samples
    field = int.from_bytes(data[8 + 10 : 8 + 18], "big")
    field |= (1 << 36) - 1
    data[8 + 10 : 8 + 18] = field.to_bytes(8, "big")
    path.write_bytes(bytes(data))
    with pytest.raises(MediaError, match="damaged header"):
        open_mono(path, SR)
    y, sr = read_audio(path)  # reads what is there; never allocates the 68 billion frames claimed
    assert sr == SR and y.shape == (1, 2 * SR)


@pytest.mark.parametrize(
    ("name", "content"),
    [("list.m3u8", b"#EXTM3U\n#EXTINF:1,\n/etc/hostname\n"), ("a.wav", b"ffconcat version 1.0\nfile x\n")],
)
def test_playlists_and_concat_lists_are_never_read_as_stems(tmp_path, name, content):
    path = tmp_path / name
    path.write_bytes(content)
    for read in (lambda: open_mono(path, SR), lambda: read_audio(path)):
        with pytest.raises(MediaError, match="playlist or list of other files"):
            read()


# -- confinement -------------------------------------------------------------------------------------
def test_stem_paths_are_confined_to_the_scene_folder(tmp_path):
    outside = tmp_path / "secret.wav"
    sf.write(outside, np.zeros(100, np.float32), SR)
    (tmp_path / "s").mkdir()
    (tmp_path / "s" / "link.wav").symlink_to(outside)
    for audio in ("../secret.wav", str(outside), "link.wav"):
        scene = load_scene(_scene(tmp_path / "s", [{"id": "a", "audio": audio, "position": {"azimuth": 0}}]))
        with pytest.raises(SceneError, match="outside the scene's folder"):
            scene.audio_path(scene.sources[0], allow_outside=False)
        assert scene.audio_path(scene.sources[0]) is not None  # the default reads it (library callers)


# -- the stem cache ----------------------------------------------------------------------------------
def _entry(folder: Path, key: str, size: int, used: float) -> None:
    (folder / f"{key}.npy").write_bytes(b"\0" * size)
    (folder / f"{key}.json").write_text("{}")
    for p in (folder / f"{key}.npy", folder / f"{key}.json"):
        os.utime(p, (used, used))


def test_stem_cache_keeps_to_its_size_and_age_least_recently_used_first():
    folder = cache_root() / "stems"
    folder.mkdir(parents=True)
    now = 1_000_000_000.0
    _entry(folder, "old", 1000, now - 200 * 86400)  # past the age limit
    for i, key in enumerate(["a", "b", "c", "d"]):
        _entry(folder, key, 1000, now - 100 + i)  # "a" used longest ago
    (folder / "x.123.tmp.npy").write_bytes(b"0")  # a writer that died
    os.utime(folder / "x.123.tmp.npy", (now - 7200, now - 7200))
    removed, _, kept, size = prune_stems(max_bytes=2500, now=now)
    assert removed == 3 and kept == 2 and size <= 2500
    assert sorted(p.name for p in folder.iterdir()) == ["c.json", "c.npy", "d.json", "d.npy"]


def test_generating_stems_keeps_the_cache_under_the_limit(monkeypatch):
    from see2sound.sound.stems import generate_cached
    from see2sound.sound.types import SoundRequest, SoundResult

    class Tone:
        name = "tone"

        def generate(self, request):
            return SoundResult(np.zeros(int(request.duration * request.sample_rate), np.float32), {})

    monkeypatch.setenv("SEE2SOUND_STEM_CACHE_MB", "0.1")  # 104,857 bytes: about 3 one-second clips
    for seed in range(8):
        generate_cached(Tone(), SoundRequest(label="x", duration=0.5, sample_rate=SR * 2, seed=seed))
    sizes = [p.stat().st_size for p in (cache_root() / "stems").iterdir()]
    assert 0 < sum(sizes) <= 0.1 * (1 << 20)


def bogus_mp3(path: Path, frames: int = 0x7FFFFFFF) -> Path:
    """Two seconds of MP3 whose Xing/Info header claims ``frames`` MPEG frames (about 56 million s)."""
    with av.open(str(path), "w") as out:
        stream = out.add_stream("libmp3lame", rate=44100, layout="mono")
        frame = av.AudioFrame.from_ndarray(np.full((1, 88200), 0.1, np.float32), format="flt", layout="mono")
        frame.sample_rate = 44100
        for packet in [*stream.encode(frame), *stream.encode(None)]:
            out.mux(packet)
    data = bytearray(path.read_bytes())
    tag = max(data.find(b"Xing"), data.find(b"Info"))
    assert tag > 0 and int.from_bytes(data[tag + 4 : tag + 8], "big") & 1  # the frame count is present
    data[tag + 8 : tag + 12] = frames.to_bytes(4, "big")
    path.write_bytes(bytes(data))
    return path


def test_mp3_with_a_bogus_frame_count_is_a_media_error_not_a_memory_error(tmp_path):
    from see2sound.media.probe import open_media

    path = bogus_mp3(tmp_path / "a.mp3")
    with pytest.raises(MediaError, match="damaged header"):
        open_mono(path, 44100)
    with pytest.raises(MediaError, match="damaged header"):
        open_media(path)
    y, sr = read_audio(path)  # what is really there, without allocating what the header claims
    assert sr == 44100 and y.shape[1] < 3 * 44100
