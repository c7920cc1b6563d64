"""``see2sound probe`` and ``see2sound mux`` from the command line: results on stdout, one-line errors."""

from __future__ import annotations

import json

import av
import numpy as np
from PIL import Image

from see2sound.media import write_audio

from ..media.makers import make_video, tone

SR = 48000


def foa_wav(path):
    return write_audio(path, np.stack([tone(300 + 200 * c, SR) for c in range(4)]), SR, "foa")


def test_probe_text_and_json(cli, tmp_path):
    video = make_video(tmp_path / "clip.mp4", n_frames=25, audio=np.zeros((2, SR), np.float32))
    code, out, err = cli("probe", video)
    assert code == 0, err
    assert "kind: video" in out and "size: 64x48" in out and "fps: 25.000" in out
    assert "audio #1: aac, stereo (2 ch), 48000 Hz" in out
    code, out, _ = cli("probe", video, "--json")
    data = json.loads(out)
    assert code == 0 and data["kind"] == "video" and data["n_frames"] == 25
    assert data["audio_streams"][0]["layout"] == "stereo"


def test_probe_gif_and_image(cli, tmp_path):
    gif = tmp_path / "a.gif"
    frames = [Image.new("RGB", (8, 8), (v, v, v)) for v in (0, 100)]
    frames[0].save(gif, save_all=True, append_images=frames[1:], duration=[50, 0], loop=0)
    code, out, _ = cli("probe", gif)
    assert code == 0 and "kind: animation" in out and "frame delays: 50 100 ms" in out
    assert "loop: forever" in out
    png = tmp_path / "p.png"
    Image.new("RGB", (20, 10)).save(png)
    code, out, _ = cli("probe", png, "--json")
    assert code == 0 and json.loads(out)["kind"] == "image"


def test_probe_bad_inputs_are_one_line(cli, tmp_path):
    text = tmp_path / "fake.mp4"
    text.write_text("hello")
    empty = tmp_path / "empty.png"
    empty.write_bytes(b"")
    for path, message in (
        (text, "fake.mp4: not a readable"),
        (empty, "empty.png: file is empty"),
        (tmp_path / "missing.mov", "missing.mov: no such file"),
    ):
        code, out, err = cli("probe", path)
        assert code == 1 and out == ""
        assert err.startswith("error: ") and message in err and err.count("\n") == 1


def test_mux_command(cli, tmp_path):
    video = make_video(tmp_path / "clip.mp4", n_frames=25, audio=np.zeros((2, SR), np.float32))
    audio = foa_wav(tmp_path / "foa.wav")
    out = tmp_path / "out.mp4"
    code, stdout, err = cli("mux", video, audio, "-o", out)
    assert code == 0, err
    assert stdout.strip() == str(out)
    with av.open(str(out)) as c:
        assert [s.layout.name for s in c.streams.audio] == ["ambisonic 1"]
    code, _, err = cli("mux", video, audio, "-o", out)
    assert code == 1 and "already exists" in err
    code, _, err = cli("mux", video, audio, "-o", out, "--overwrite", "--keep-original-audio")
    assert code == 0, err
    with av.open(str(out)) as c:
        assert [s.layout.name for s in c.streams.audio] == ["ambisonic 1", "stereo"]
    code, _, err = cli("mux", video, audio, "-o", tmp_path / "mix.mp4", "--mix-original-audio")
    assert code == 0, err


def test_mux_command_refuses_both_flags(cli, tmp_path):
    video = make_video(tmp_path / "clip.mp4", n_frames=5)
    audio = foa_wav(tmp_path / "foa.wav")
    code, _, err = cli(
        "mux", video, audio, "-o", tmp_path / "o.mp4", "--keep-original-audio", "--mix-original-audio"
    )
    assert code == 1 and "choose one of" in err
    assert not (tmp_path / "o.mp4").exists()


def test_mux_image_from_cli(cli, tmp_path):
    png = tmp_path / "photo.png"
    Image.new("RGB", (33, 21), (10, 200, 30)).save(png)
    audio = write_audio(tmp_path / "st.wav", np.stack([tone(440, SR)] * 2), SR, "stereo")
    code, stdout, err = cli("mux", png, audio, "-o", tmp_path / "photo.mp4")
    assert code == 0, err
    with av.open(stdout.strip()) as c:
        assert (c.streams.video[0].width, c.streams.video[0].height) == (32, 20)
