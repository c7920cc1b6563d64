"""Videos end to end through `see2sound run`: when sources are heard, which container, a failed mux."""

from __future__ import annotations

import json

import av
import numpy as np
import soundfile as sf
from PIL import Image, ImageDraw

from tests.media.makers import make_video, video_packets

FPS = 12


def draw(width: int, height: int, x: float | None) -> Image.Image:
    """Sky over ground, with a red disc at ``x`` (none when ``x`` is None)."""
    img = Image.new("RGB", (width, height), (150, 170, 190))
    d = ImageDraw.Draw(img)
    d.rectangle([0, int(height * 0.6), width, height], fill=(110, 120, 100))
    if x is not None:
        r, y = height // 8, int(height * 0.55)
        d.ellipse([x - r, y - r, x + r, y + r], fill=(220, 20, 20))
    return img


def write_clip(path, frames, fps: int = FPS):
    with av.open(str(path), "w") as container:
        stream = container.add_stream("libx264", rate=fps)
        stream.width, stream.height, stream.pix_fmt = frames[0].width, frames[0].height, "yuv420p"
        for image in frames:
            for packet in stream.encode(av.VideoFrame.from_image(image)):
                container.mux(packet)
        for packet in stream.encode():
            container.mux(packet)
    return path


def rms_db(y: np.ndarray) -> float:
    return 10 * np.log10(np.mean(y.astype(np.float64) ** 2) + 1e-30)


def test_object_is_heard_only_while_it_is_seen(tmp_path, cli):
    """A disc enters at 2 s and leaves at 4 s of a 6 s clip: its source is silent outside that span."""
    width, height, seconds = 320, 240, 6.0
    times = np.arange(int(seconds * FPS)) / FPS
    xs = [40 + 120 * (t - 2.0) if 2.0 <= t < 4.0 else None for t in times]
    write_clip(tmp_path / "enter.mp4", [draw(width, height, x) for x in xs])
    code, out, err = cli(
        "run", tmp_path / "enter.mp4", "-o", tmp_path / "out", "--format", "5.1", "--sources", "1", "--quiet"
    )
    assert code == 0, err
    scene = json.loads((tmp_path / "out" / "scene.json").read_text())
    assert len(scene["sources"]) == 1
    start, end = scene["sources"][0]["active"]
    assert abs(start - 2.0) <= 0.26 and abs(end - 4.0) <= 0.26  # one analysis frame (4 fps)
    y, sr = sf.read(tmp_path / "out" / "enter.5.1.wav", always_2d=True)
    assert abs(y.shape[0] / sr - seconds) <= 1024 / sr
    inside = rms_db(y[int((start + 0.3) * sr) : int((end - 0.3) * sr)])
    before = rms_db(y[: int((start - 0.2) * sr)])  # half the 0.3 s fade and a margin
    after = rms_db(y[int((end + 0.5) * sr) :])  # the fade and the room's tail
    assert inside - before >= 30 and inside - after >= 30, (inside, before, after)


def test_cinepak_avi_gives_a_mov_with_the_video_copied(tmp_path, cli):
    clip = make_video(
        tmp_path / "old.avi", n_frames=24, fps=12, size=(96, 64), codec="cinepak", pix_fmt="rgb24"
    )
    code, out, err = cli(
        "run", clip, "-o", tmp_path / "out", "--format", "stereo", "--sources", "1", "--quiet"
    )
    assert code == 0, err
    assert not (tmp_path / "out" / "old.mp4").exists()
    assert video_packets(tmp_path / "out" / "old.mov") == video_packets(clip)


def test_a_failed_mux_keeps_the_audio_and_names_the_command(tmp_path, cli, monkeypatch):
    import shlex

    import see2sound.media as media
    from see2sound.errors import MediaError

    clip = make_video(tmp_path / "clip.mp4", n_frames=24, fps=12, size=(96, 64))
    real_mux = media.mux

    def failing(*args, **kwargs):
        raise MediaError(f"{args[2]}: cannot write (simulated)")

    monkeypatch.setattr(media, "mux", failing)
    out_dir = tmp_path / "out"
    out_dir.mkdir()  # an existing folder: nothing the run made is removed whoever handles the failure
    code, out, err = cli("run", clip, "-o", out_dir, "--format", "stereo", "--sources", "1", "--quiet")
    assert code != 0
    assert "simulated" in err and "see2sound mux" in err
    for name in ("clip.stereo.wav", "scene.json"):
        assert (out_dir / name).exists(), name
    assert list((out_dir / "stems").glob("*"))
    command = shlex.split(err[err.index("see2sound mux") :].splitlines()[0].split(" (run again")[0])
    monkeypatch.setattr(media, "mux", real_mux)
    code, out, err = cli(*command[1:])
    assert code == 0, err
    assert video_packets(out_dir / "clip.mp4") == video_packets(clip)
