"""``see2sound mux --projection``: a 360° picture or video marked spherical on request (issue 17, edge 4)."""

from __future__ import annotations

import numpy as np
from PIL import Image

from see2sound.media import open_media
from see2sound.media.audio import write_audio
from see2sound.media.sa3d import read_sa3d
from see2sound.media.spherical import is_marked_spherical

SR = 48000


def foa_wav(path):
    t = np.arange(SR) / SR
    y = np.stack([0.2 * np.sin(2 * np.pi * f * t) for f in (300, 500, 700, 900)]).astype(np.float32)
    return write_audio(path, y, SR, "foa")


def test_mux_marks_a_panorama_spherical_on_request(cli, tmp_path):
    pano = tmp_path / "pano.png"
    Image.new("RGB", (256, 128), (40, 90, 160)).save(pano)
    audio = foa_wav(tmp_path / "foa.wav")
    code, _, err = cli("mux", pano, audio, "-o", tmp_path / "plain.mp4")
    assert code == 0, err
    assert not is_marked_spherical(tmp_path / "plain.mp4")  # 2:1 alone is not a 360° picture
    code, _, err = cli("mux", pano, audio, "-o", tmp_path / "x.mp4", "--projection", "equirect")
    assert code == 0, err
    out = tmp_path / "x.mp4"
    assert is_marked_spherical(out) and open_media(out).projection == "equirect"
    assert read_sa3d(out).ambisonic_order == 1
    # and a marked video can be muxed flat again
    code, _, err = cli("mux", out, audio, "-o", tmp_path / "flat.mp4", "--projection", "perspective")
    assert code == 0, err
    assert not is_marked_spherical(tmp_path / "flat.mp4")


def test_mux_projection_bad_value_is_one_line(cli, tmp_path):
    pano = tmp_path / "pano.png"
    Image.new("RGB", (256, 128)).save(pano)
    code, _, err = cli(
        "mux", pano, foa_wav(tmp_path / "a.wav"), "-o", tmp_path / "x.mp4", "--projection", "fisheye"
    )
    assert code == 1 and "--projection: expected equirect or perspective" in err and err.count("\n") == 1
    assert not (tmp_path / "x.mp4").exists()
