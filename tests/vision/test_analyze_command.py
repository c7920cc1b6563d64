"""``see2sound analyze`` end to end: pictures and a generated video to scene.json + preview.png."""

from __future__ import annotations

import json
import math

import av
import numpy as np
import pytest
from PIL import Image

from see2sound.scene import load_scene
from see2sound.vision.backends import DETECTORS
from tests.vision.synthetic import RedThings, draw_disc, outdoor_scene


@pytest.fixture(autouse=True)
def red_detectors(monkeypatch):
    """Detectors named "reddog" and "redball" that find the red discs drawn in these tests."""
    monkeypatch.setattr(DETECTORS, "_backends", dict(DETECTORS._backends))
    DETECTORS.register("reddog", priority=-1)(lambda **_: RedThings("dog"))
    DETECTORS.register("redball", priority=-1)(lambda **_: RedThings("sports ball"))


def write_video(path, frames, fps=12):
    with av.open(str(path), "w") as container:
        stream = container.add_stream("mpeg4", rate=fps)
        stream.width, stream.height = frames[0].shape[1], frames[0].shape[0]
        stream.pix_fmt = "yuv420p"
        stream.bit_rate = 4_000_000
        for image in frames:
            for packet in stream.encode(av.VideoFrame.from_ndarray(image, format="rgb24")):
                container.mux(packet)
        for packet in stream.encode():
            container.mux(packet)


@pytest.fixture
def picture(tmp_path):
    image = outdoor_scene()
    draw_disc(image, 450, 320, 35, (220, 40, 40))
    path = tmp_path / "scene.png"
    Image.fromarray(image).save(path)
    return path


def test_picture_to_scene_and_preview(cli, picture, tmp_path):
    out = tmp_path / "out" / "scene.json"
    code, stdout, stderr = cli(
        "analyze", picture, "-o", out, "--sources", "3", "--prompt", "a dog in a park", "--detector", "reddog"
    )
    assert code == 0, stderr
    assert str(out) in stdout
    preview = out.with_name("preview.png")
    assert preview.exists() and Image.open(preview).size[0] > 500
    scene = load_scene(out)
    assert scene.duration == 10.0 and scene.media.width == 640 and scene.media.projection == "perspective"
    assert scene.sources and all(s.audio is None and s.position is not None for s in scene.sources)
    dog = next(s for s in scene.sources if s.label == "dog")
    assert dog.prompt == "a dog in a park" or dog.model_extra.get("prompt_noun") == "dog"
    assert dog.position.azimuth < 0  # the disc is right of centre
    data = json.loads(out.read_text())
    assert data["vision"]["vision"] == "classical"
    kinds = {"nature", "urban", "waterside", "indoor", "closeup", "aerial", "artwork"}
    assert data["vision"]["picture"]["kind"] in kinds  # what kind of picture, recorded for the user
    assert data["vision"]["picture"]["outdoor"] == (data["room"]["kind"] == "outdoor")
    # the same input gives the same bytes
    out2 = tmp_path / "again" / "scene.json"
    assert (
        cli(
            "analyze",
            picture,
            "-o",
            out2,
            "--sources",
            "3",
            "--prompt",
            "a dog in a park",
            "--detector",
            "reddog",
        )[0]
        == 0
    )
    assert json.loads(out2.read_text())["sources"] == data["sources"]


def test_moving_object_in_a_video_is_tracked(cli, tmp_path):
    width, height, fps, seconds = 480, 360, 12, 4.0
    background = outdoor_scene(width, height, seed=1)
    frames, truth = [], []
    n = int(fps * seconds)
    for k in range(n):
        t = k / fps
        cx = 60 + (width - 120) * t / seconds  # left to right
        cy = 240 + 20 * math.sin(2 * math.pi * t / seconds)
        image = background.copy()
        draw_disc(image, cx, cy, 28, (225, 40, 40))
        frames.append(image)
        truth.append((t, cx, cy))
    video = tmp_path / "clip.mp4"
    write_video(video, frames, fps)
    out = tmp_path / "scene.json"
    code, _, stderr = cli(
        "analyze", video, "-o", out, "--sources", "2", "--detector", "redball", "--fov", "70"
    )
    assert code == 0, stderr
    scene = load_scene(out)
    assert scene.duration == pytest.approx(seconds, abs=0.2)
    moving = [s for s in scene.sources if s.trajectory is not None]
    assert moving, [s.label for s in scene.sources]
    track = max(moving, key=lambda s: len(s.trajectory))
    times = np.array([k.t for k in track.trajectory])
    assert len(times) >= 10 and times[-1] - times[0] > 2.5
    f = (width / 2) / math.tan(math.radians(35))
    cx_true = np.interp(times, [t for t, _, _ in truth], [c for _, c, _ in truth])
    az_true = np.degrees(np.arctan2(-(cx_true - (width - 1) / 2), f))
    az = np.array([k.azimuth for k in track.trajectory])
    assert np.corrcoef(az, az_true)[0, 1] > 0.95
    assert np.max(np.abs(az - az_true)) < 3.0
    assert all(len(k.model_extra["bbox"]) == 4 for k in track.trajectory)


def test_animated_gif_gets_a_trajectory_at_its_real_frame_times(cli, tmp_path):
    frames = []
    for k in range(20):  # 20 frames of 100 ms: 2 s, a disc moving from left to right
        image = outdoor_scene(320, 240)
        draw_disc(image, 40 + 240 * k / 19, 160, 20, (220, 40, 40))
        frames.append(Image.fromarray(image))
    gif = tmp_path / "anim.gif"
    frames[0].save(gif, save_all=True, append_images=frames[1:], duration=100, loop=0)
    out = tmp_path / "scene.json"
    code, _, stderr = cli("analyze", gif, "-o", out, "--sources", "2", "--detector", "redball")
    assert code == 0, stderr
    scene = load_scene(out)
    assert scene.duration == pytest.approx(2.0) and scene.media.kind == "animation"
    moving = [s for s in scene.sources if s.is_moving]
    assert len(moving) == 1
    az = [k.azimuth for k in moving[0].trajectory]
    assert az[0] > 20 and az[-1] < -20 and np.all(np.diff(az) < 0)


def test_equirect_picture(cli, tmp_path):
    image = outdoor_scene(1024, 512)
    draw_disc(image, 256, 300, 40, (220, 40, 40))  # a quarter across = azimuth +90 (left)
    path = tmp_path / "pano.png"
    Image.fromarray(image).save(path)
    out = tmp_path / "scene.json"
    code, _, stderr = cli("analyze", path, "-o", out, "--projection", "equirect", "--detector", "redball")
    assert code == 0, stderr
    scene = load_scene(out)
    assert scene.media.projection == "equirect"
    obj = [s for s in scene.sources if s.model_extra.get("kind") == "object"][0]
    assert obj.position.azimuth == pytest.approx(90.0, abs=1.0)
    assert obj.position.elevation == pytest.approx(90 - 180 * 300.5 / 512, abs=1.0)


@pytest.mark.parametrize(
    "args, message",
    [
        (["--sources", "0"], "sources"),
        (["--projection", "fisheye"], "projection"),
        (["--fov", "200"], "fov"),
        (["--depth-range", "10", "2"], "depth-range"),
        (["--vision", "nope"], "unknown vision backend"),
    ],
)
def test_bad_options_are_one_line_errors(cli, picture, tmp_path, args, message):
    out = tmp_path / "scene.json"
    code, _, stderr = cli("analyze", picture, "-o", out, "--detector", "none", *args)
    assert code != 0
    assert message in stderr and stderr.count("\n") == 1 and "Traceback" not in stderr
    assert not out.exists()


def test_unreadable_media(cli, tmp_path):
    bad = tmp_path / "broken.jpg"
    bad.write_bytes(b"not a picture at all")
    code, _, stderr = cli("analyze", bad, "-o", tmp_path / "s.json")
    assert code == 1 and "broken.jpg" in stderr and "Traceback" not in stderr
    code, _, stderr = cli("analyze", tmp_path / "missing.png", "-o", tmp_path / "s.json")
    assert code == 1 and "missing.png" in stderr
    assert not (tmp_path / "s.json").exists()


def test_refuses_to_overwrite(cli, picture, tmp_path):
    out = tmp_path / "scene.json"
    out.write_text("{}")
    code, _, stderr = cli("analyze", picture, "-o", out, "--detector", "none")
    assert code == 1 and "already exists" in stderr and out.read_text() == "{}"
    code, _, stderr = cli("analyze", picture, "-o", out, "--detector", "none", "--overwrite")
    assert code == 0, stderr


def test_featureless_picture_gives_one_ambience_source(cli, tmp_path):
    path = tmp_path / "grey.png"
    Image.fromarray(np.full((240, 320, 3), 90, np.uint8)).save(path)
    out = tmp_path / "scene.json"
    code, _, stderr = cli("analyze", path, "-o", out, "--detector", "none")
    assert code == 0, stderr
    assert "no regions found" in stderr
    (src,) = load_scene(out).sources
    assert (src.position.azimuth, src.position.elevation) == (0.0, 0.0) and src.label
    assert json.loads(out.read_text())["vision"]["fallback"] is True
