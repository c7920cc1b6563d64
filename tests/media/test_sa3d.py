"""The SA3D box: byte layout from the Spatial Audio RFC, injection into MP4/MOV, read back by FFmpeg."""

from __future__ import annotations

import shutil

import av
import numpy as np
import pytest

from see2sound.errors import MediaError
from see2sound.media.isobmff import top_level_boxes
from see2sound.media.sa3d import SpatialAudio, build_sa3d, inject_sa3d, parse_sa3d, read_sa3d

from .makers import audio_stream_facts, encode_audio, make_video, video_packets

SR = 48000


def test_foa_box_bytes_follow_the_rfc():
    box = build_sa3d(SpatialAudio.ambix(1))
    assert box == (
        bytes.fromhex("00000024")
        + b"SA3D"  # size 36, type
        + bytes([0, 0])  # version 0, ambisonic_type 0 (periphonic)
        + (1).to_bytes(4, "big")  # order
        + bytes([0, 0])  # ACN, SN3D
        + (4).to_bytes(4, "big")  # channels
        + b"".join(i.to_bytes(4, "big") for i in range(4))  # identity map
    )


@pytest.mark.parametrize("order", [1, 2, 3])
def test_round_trip(order):
    spatial = SpatialAudio.ambix(order)
    back = parse_sa3d(build_sa3d(spatial))
    assert back == spatial and back.num_channels == (order + 1) ** 2


def test_malformed_boxes_are_refused():
    box = build_sa3d(SpatialAudio.ambix(1))
    with pytest.raises(MediaError):
        parse_sa3d(box[:-4])
    with pytest.raises(MediaError):
        parse_sa3d(b"XXXX" + box[4:])
    with pytest.raises(MediaError):
        SpatialAudio.ambix(0)


def pcm_foa_mov(path, faststart: bool):
    """A MOV with video and 4-channel PCM (each channel its own tone)."""
    make_video(path, n_frames=20, options={"movflags": "+faststart"} if faststart else None)
    tmp = path.with_name("tmp_" + path.name)
    y = np.stack([np.sin(2 * np.pi * f * np.arange(SR) / SR) * 0.3 for f in (300, 500, 700, 900)])
    y = y.astype(np.float32)
    with (
        av.open(str(path)) as inp,
        av.open(str(tmp), "w", options=dict({"movflags": "+faststart"} if faststart else {})) as out,
    ):
        v = out.add_stream_from_template(inp.streams.video[0])
        a = out.add_stream("pcm_s24le", rate=SR, layout="ambisonic 1")
        for packet in inp.demux(inp.streams.video[0]):
            if packet.dts is None:
                continue
            packet.stream = v
            out.mux(packet)
        encode_audio(out, a, y, "ambisonic 1", SR)
    shutil.move(tmp, path)
    return path


def decoded(path):
    with av.open(str(path)) as c:
        s = c.streams.audio[0]
        r = av.AudioResampler(format="flt", layout=s.layout, rate=s.sample_rate)
        blocks = [o.to_ndarray().reshape(-1, s.channels) for f in c.decode(s) for o in r.resample(f)]
    return np.concatenate(blocks)


@pytest.mark.parametrize("faststart", [False, True])
def test_inject_into_mov_pcm_is_read_by_ffmpeg(tmp_path, faststart):
    path = pcm_foa_mov(tmp_path / "foa.mov", faststart)
    boxes = [b.type for b in top_level_boxes(path)]
    assert (boxes.index(b"moov") < boxes.index(b"mdat")) == faststart
    before_video, before_audio = video_packets(path), decoded(path)
    assert audio_stream_facts(path)["layout"] == "4 channels"
    assert read_sa3d(path) is None

    inject_sa3d(path, SpatialAudio.ambix(1))

    assert read_sa3d(path) == SpatialAudio.ambix(1)
    assert audio_stream_facts(path)["layout"] == "ambisonic 1"  # FFmpeg's own SA3D parser agrees
    assert video_packets(path) == before_video  # chunk offsets still right
    np.testing.assert_array_equal(decoded(path), before_audio)


def test_injecting_twice_keeps_one_box(tmp_path):
    path = pcm_foa_mov(tmp_path / "twice.mov", faststart=True)
    inject_sa3d(path, SpatialAudio.ambix(1))
    size = path.stat().st_size
    inject_sa3d(path, SpatialAudio.ambix(1))
    assert path.stat().st_size == size
    assert path.read_bytes().count(b"SA3D") == 1
    assert audio_stream_facts(path)["layout"] == "ambisonic 1"


def test_no_sound_track(tmp_path):
    path = make_video(tmp_path / "mute.mp4", n_frames=3)
    with pytest.raises(MediaError, match="no track 0"):
        inject_sa3d(path, SpatialAudio.ambix(1))


def test_not_an_mp4(tmp_path):
    path = tmp_path / "x.mp4"
    path.write_bytes(b"\x00\x00\x00\x08free")
    with pytest.raises(MediaError, match="no moov box"):
        read_sa3d(path)
