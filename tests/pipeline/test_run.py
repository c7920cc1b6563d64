"""End-to-end: pictures, GIFs and videos through `see2sound run`, checked by physics, not by the renderer."""

from __future__ import annotations

import json
from pathlib import Path

import av
import numpy as np
import pytest
import soundfile as sf
from PIL import Image, ImageDraw

from see2sound.vision.backends import DETECTORS
from tests.vision.synthetic import RedThings

# ITU-R BS.775 loudspeaker azimuths of the 5.1 file order L R C LFE Ls Rs (LFE has no direction).
AZ_51 = {0: 30.0, 1: -30.0, 2: 0.0, 4: 110.0, 5: -110.0}


def energy_vector_azimuth(y: np.ndarray) -> float:
    """Gerzon energy vector of loudspeaker feeds (channels, samples), written here from the definition."""
    energy = {ch: float(np.sum(y[ch].astype(float) ** 2)) for ch in AZ_51}
    vx = sum(e * np.cos(np.radians(AZ_51[ch])) for ch, e in energy.items())
    vy = sum(e * np.sin(np.radians(AZ_51[ch])) for ch, e in energy.items())
    return float(np.degrees(np.arctan2(vy, vx)))


def pinhole_azimuth(u: float, width: int, hfov_deg: float = 65.0) -> float:
    f = (width / 2) / np.tan(np.radians(hfov_deg) / 2)
    return float(np.degrees(np.arctan2(-(u - width / 2), f)))


def draw_scene(width: int, height: int, x_centre: float | None) -> Image.Image:
    """Sky over ground with one bright red disc at ``x_centre`` (no disc when it is None)."""
    img = Image.new("RGB", (width, height), (150, 170, 190))
    d = ImageDraw.Draw(img)
    d.rectangle([0, int(height * 0.6), width, height], fill=(110, 120, 100))
    if x_centre is not None:
        r = height // 8
        y = int(height * 0.55)
        d.ellipse([x_centre - r, y - r, x_centre + r, y + r], fill=(220, 20, 20))
    return img


@pytest.fixture
def red_detectors(monkeypatch):
    """Stand-in detectors "reddog" and "redcar" reporting the red disc (unnamed blobs are not voiced)."""
    monkeypatch.setattr(DETECTORS, "_backends", dict(DETECTORS._backends))
    DETECTORS.register("reddog", priority=-1)(lambda **_: RedThings("dog"))
    DETECTORS.register("redcar", priority=-1)(lambda **_: RedThings("car"))


def test_object_left_of_centre_is_heard_left_in_5_1(tmp_path, cli, red_detectors):
    width, height = 640, 480
    u = 170.0  # well left of centre
    draw_scene(width, height, u).save(tmp_path / "ball.png")
    code, out, err = cli(
        "run",
        tmp_path / "ball.png",
        "-o",
        tmp_path / "out",
        "--format",
        "5.1",
        "--sources",
        "1",
        "--duration",
        "4",
        "--detector",
        "reddog",
    )
    assert code == 0, err
    y, sr = sf.read(tmp_path / "out" / "ball.5.1.wav", always_2d=True)
    assert sr == 48000 and y.shape == (4 * 48000, 6)
    truth = pinhole_azimuth(u, width)
    assert truth > 15
    assert abs(energy_vector_azimuth(y.T) - truth) < 10.0
    scene = json.loads((tmp_path / "out" / "scene.json").read_text())
    assert len(scene["sources"]) == 1
    for name in ("scene.json", "preview.png", "CREDITS.txt", "ball.5.1.wav"):
        assert name in out


def make_moving_video(path: Path, seconds: float = 4.0, fps: int = 12, width: int = 320, height: int = 240):
    xs = np.linspace(30, width - 30, int(seconds * fps))
    with av.open(str(path), "w") as container:
        stream = container.add_stream("libx264", rate=fps)
        stream.width, stream.height, stream.pix_fmt = width, height, "yuv420p"
        for x in xs:
            for packet in stream.encode(av.VideoFrame.from_image(draw_scene(width, height, x))):
                container.mux(packet)
        for packet in stream.encode():
            container.mux(packet)
    times = np.arange(len(xs)) / fps
    return times, np.array([pinhole_azimuth(x, width) for x in xs])


def video_packets(path: Path) -> list[bytes]:
    with av.open(str(path)) as container:
        return [bytes(p) for p in container.demux(container.streams.video[0]) if p.size]


def test_object_moving_left_to_right_is_heard_moving(tmp_path, cli, red_detectors):
    times, truth = make_moving_video(tmp_path / "move.mp4")
    args = ("--format", "5.1", "--sources", "1", "--detector", "redcar", "--quiet")
    code, out, err = cli("run", tmp_path / "move.mp4", "-o", tmp_path / "out", *args)
    assert code == 0, err
    y, sr = sf.read(tmp_path / "out" / "move.5.1.wav", always_2d=True)
    assert abs(y.shape[0] / sr - 4.0) <= 1024 / sr  # as long as the video, within one audio frame
    hop = sr // 2
    centres, measured = [], []
    for start in range(0, y.shape[0] - hop + 1, hop):
        measured.append(energy_vector_azimuth(y[start : start + hop].T))
        centres.append((start + hop / 2) / sr)
    expected = np.interp(centres, times, truth)
    assert measured[0] > 10 and measured[-1] < -10  # starts left, ends right
    assert np.corrcoef(measured, expected)[0, 1] > 0.9
    muxed = tmp_path / "out" / "move.mp4"
    assert video_packets(muxed) == video_packets(tmp_path / "move.mp4")
    with av.open(str(muxed)) as container:
        assert container.streams.audio[0].codec_context.layout.name == "5.1"


def test_gif_with_uneven_delays_loops_to_whole_loops(tmp_path, cli):
    delays_ms = [100, 300, 50, 200, 250]  # one loop = 0.9 s
    frames = [draw_scene(160, 120, x) for x in (30, 60, 90, 120, 140)]
    frames[0].save(tmp_path / "anim.gif", save_all=True, append_images=frames[1:], duration=delays_ms, loop=0)
    code, out, err = cli(
        "run",
        tmp_path / "anim.gif",
        "-o",
        tmp_path / "out",
        "--format",
        "stereo",
        "--sources",
        "1",
        "--quiet",
    )
    assert code == 0, err
    loop_s = sum(delays_ms) / 1000
    expected = loop_s * round(10.0 / loop_s)  # whole loops nearest the 10 s default
    info = sf.info(str(tmp_path / "out" / "anim.stereo.wav"))
    assert abs(info.frames / info.samplerate - expected) < 1e-3
    with av.open(str(tmp_path / "out" / "anim.mp4")) as container:
        assert abs(container.duration / 1e6 - expected) < 0.1
    code, out, err = cli(
        "run",
        tmp_path / "anim.gif",
        "-o",
        tmp_path / "out2",
        "--format",
        "stereo",
        "--sources",
        "1",
        "--duration",
        "2.5",
        "--quiet",
    )
    assert code == 0, err
    info = sf.info(str(tmp_path / "out2" / "anim.stereo.wav"))
    assert info.frames == int(2.5 * info.samplerate)


def test_rerun_with_other_render_options_reuses_scene_and_stems(tmp_path, cli, monkeypatch):
    draw_scene(320, 240, 100).save(tmp_path / "pic.png")
    code, _, err = cli(
        "run",
        tmp_path / "pic.png",
        "-o",
        tmp_path / "out",
        "--format",
        "5.1",
        "--quiet",
        "--sources",
        "2",
        "--duration",
        "2",
    )
    assert code == 0, err
    stems = sorted((tmp_path / "out" / "stems").glob("*.wav"))
    before = {p: p.stat().st_mtime_ns for p in stems}

    import see2sound.pipeline.analyze as analyze_module

    def refuse(*args, **kwargs):
        raise AssertionError("the scene should have been reused")

    monkeypatch.setattr(analyze_module, "analyze", refuse)
    code, out, err = cli(
        "run",
        tmp_path / "pic.png",
        "-o",
        tmp_path / "out",
        "--format",
        "foa",
        "--quiet",
        "--sources",
        "2",
        "--duration",
        "2",
    )
    assert code == 0, err
    assert (tmp_path / "out" / "pic.foa.wav").exists()
    assert {p: p.stat().st_mtime_ns for p in stems} == before


def test_output_exists_needs_overwrite(tmp_path, cli):
    draw_scene(320, 240, 100).save(tmp_path / "pic.png")
    args = (
        "run",
        tmp_path / "pic.png",
        "-o",
        tmp_path / "out",
        "--format",
        "stereo",
        "--quiet",
        "--sources",
        "1",
        "--duration",
        "1",
    )
    assert cli(*args)[0] == 0
    code, out, err = cli(*args)
    assert code != 0 and "already exists" in err and "--overwrite" in err
    assert len(err.strip().splitlines()) == 1
    assert cli(*args, "--overwrite")[0] == 0


@pytest.mark.parametrize(
    ("content", "name", "extra", "message"),
    [
        (b"", "empty.png", (), "empty.png"),
        (b"this is not a video", "fake.mp4", (), "fake.mp4"),
        (None, "missing.jpg", (), "missing.jpg"),
        ("picture", "pic.png", ("--format", "9.1"), "unknown format"),
        ("picture", "pic.png", ("--sources", "0"), "--sources"),
        ("picture", "pic.png", ("--duration", "-1"), "--duration"),
        ("picture", "pic.png", ("--loudness", "loud"), "--loudness"),
    ],
)
def test_bad_input_one_line_error_and_no_output_folder(tmp_path, cli, content, name, extra, message):
    path = tmp_path / name
    if content == "picture":
        draw_scene(64, 48, 20).save(path)
    elif content is not None:
        path.write_bytes(content)
    out_dir = tmp_path / "out"
    code, out, err = cli("run", path, "-o", out_dir, *extra)
    assert code != 0
    lines = err.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("error: ") and message in lines[0]
    assert "Traceback" not in err
    assert not out_dir.exists()


def test_config_file_sets_defaults_and_the_command_line_wins(tmp_path, cli):
    draw_scene(320, 240, 100).save(tmp_path / "pic.png")
    (tmp_path / "cfg.toml").write_text('format = ["stereo", "foa"]\nsources = 1\nduration = 1.5\n')
    code, out, err = cli(
        "run",
        tmp_path / "pic.png",
        "-o",
        tmp_path / "out",
        "--config",
        tmp_path / "cfg.toml",
        "--duration",
        "1",
        "--quiet",
    )
    assert code == 0, err
    assert sf.info(str(tmp_path / "out" / "pic.foa.wav")).channels == 4
    assert sf.info(str(tmp_path / "out" / "pic.stereo.wav")).duration == pytest.approx(1.0)
    (tmp_path / "bad.toml").write_text("colour = 'red'\n")
    code, out, err = cli(
        "run", tmp_path / "pic.png", "-o", tmp_path / "o2", "--config", tmp_path / "bad.toml"
    )
    assert code != 0 and "unknown setting 'colour'" in err


def test_python_api_matches_cli(tmp_path):
    import see2sound

    draw_scene(320, 240, 250).save(tmp_path / "pic.png")
    result = see2sound.run(
        tmp_path / "pic.png", tmp_path / "out", formats=["binaural"], sources=1, duration=1.0
    )
    assert set(result.audio) == {"binaural"}
    y, sr = sf.read(result.audio["binaural"])
    assert y.shape == (48000, 2)
    scene = see2sound.load_scene(result.scene)
    assert all(scene.audio_path(s).exists() for s in scene.sources)
