"""Videos end to end through `see2sound run`: when sources are heard, which container, a failed mux."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import av
import numpy as np
import pytest
import soundfile as sf
from PIL import Image

from tests.media.makers import make_video, video_packets
from tests.pipeline.test_run import draw_scene as draw

FPS = 12
EXAMPLES = Path(__file__).resolve().parents[2] / "examples"


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


def test_object_is_heard_only_while_it_is_seen(tmp_path, cli, real_cache):
    """A cat (the bundled photo, which NanoDet names: the real cache) walks in at 2 s and is gone at 4 s of a
    6 s clip: its source is silent outside that span."""
    width, height, seconds = 480, 270, 6.0
    cat = Image.open(EXAMPLES / "cat.png").convert("RGB")
    cat = cat.resize((round(cat.width * 150 / cat.height), 150))
    frames = []
    rng = np.random.default_rng(0)  # a photographic (textured) backdrop: a flat one reads as clip art
    backdrop = np.clip(rng.normal((120, 130, 110), 25, (height, width, 3)), 0, 255).astype(np.uint8)
    for t in np.arange(int(seconds * FPS)) / FPS:
        image = Image.fromarray(backdrop)
        if 2.0 <= t < 4.0:
            image.paste(cat, (int(20 + (t - 2.0) * 100), 100))
        frames.append(image)
    write_clip(tmp_path / "enter.mp4", frames)
    code, out, err = cli(
        "run", tmp_path / "enter.mp4", "-o", tmp_path / "out", "--format", "5.1", "--sources", "3", "--quiet",
        "--room", "none",
    )  # fmt: skip
    assert code == 0, err
    scene = json.loads((tmp_path / "out" / "scene.json").read_text())
    cats = [src for src in scene["sources"] if src["label"] == "cat"]
    assert len(cats) == 1, scene["sources"]
    for src in scene["sources"]:  # the cat alone is rendered: the bed is not what is measured here
        src["gain_db"] = 0.0 if src is cats[0] else -100.0
    (tmp_path / "out" / "scene.json").write_text(json.dumps(scene))
    code, out, err = cli(
        "render", tmp_path / "out" / "scene.json", "-o", tmp_path / "out" / "enter.5.1.wav", "--overwrite"
    )
    assert code == 0, err
    start, end = cats[0]["active"]
    assert abs(start - 2.0) <= 0.51 and abs(end - 4.0) <= 0.51  # one analysis frame (2 fps)
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


def test_gif_played_twice_gets_audio_for_two_plays(tmp_path, cli):
    """NETSCAPE loop 1 = two plays (as browsers): 2 × 1.5 s of picture, so 3 s of audio, not 10 s."""
    frames = [draw(160, 120, x) for x in (30, 60, 90)]
    frames[0].save(tmp_path / "twice.gif", save_all=True, append_images=frames[1:], duration=500, loop=1)
    code, out, err = cli(
        "run",
        tmp_path / "twice.gif",
        "-o",
        tmp_path / "out",
        "--format",
        "stereo",
        "--sources",
        "1",
        "--quiet",
    )
    assert code == 0, err
    info = sf.info(str(tmp_path / "out" / "twice.stereo.wav"))
    assert info.frames == 3 * info.samplerate
    with av.open(str(tmp_path / "out" / "twice.mp4")) as container:
        assert abs(container.duration / 1e6 - 3.0) < 0.05


def test_black_first_frame_neither_warns_nor_is_the_preview(tmp_path, cli):
    """The clip opens on black, then a disc: no 'no regions found' warning; the preview shows the disc."""
    frames = [Image.new("RGB", (320, 240))] * 6 + [draw(320, 240, 60 + 10 * k) for k in range(30)]
    write_clip(tmp_path / "dark.mp4", frames)
    code, out, err = cli(
        "run", tmp_path / "dark.mp4", "-o", tmp_path / "out", "--format", "stereo", "--sources", "1"
    )
    assert code == 0, err
    assert "no regions found" not in err
    preview = np.asarray(Image.open(tmp_path / "out" / "preview.png").convert("RGB"), dtype=float)
    assert preview.mean() > 60  # drawn on a lit frame, not on the black one


HANG_GUARD_S = 240  # a liveness guard, not a speed measure: these inputs ran for 300 s and more before


def run_cli_subprocess(*args) -> subprocess.CompletedProcess:
    env = {**os.environ, "PYTHONPATH": os.pathsep.join(sys.path)}
    return subprocess.run(
        [sys.executable, "-m", "see2sound", *map(str, args)],
        capture_output=True,
        text=True,
        timeout=HANG_GUARD_S,
        env=env,
        check=False,
    )


def test_gif_with_a_huge_delay_finishes(tmp_path):
    """A frame held for 655 s (the largest GIF delay) is analysed once, not 2,600 times."""
    frames = [draw(64, 48, x) for x in (10, 30, 50)]
    frames[0].save(
        tmp_path / "huge.gif", save_all=True, append_images=frames[1:], duration=[100, 655350, 100]
    )
    done = run_cli_subprocess(
        "run", tmp_path / "huge.gif", "-o", tmp_path / "out", "--duration", "4", "--format", "stereo", "-q"
    )
    assert done.returncode == 0, done.stderr
    assert sf.info(str(tmp_path / "out" / "huge.stereo.wav")).duration == 4.0


def test_mkv_with_a_huge_timestamp_gap_is_refused_at_once_with_one_line(tmp_path):
    """Timestamps jump by 10^7 s: the clip claims a length no scene may have (6 hours at most), so it is
    refused before any analysis, in one line naming the limit (it used to run for minutes)."""
    times = [0, 40, 80, 120, 160, 10**10, 10**10 + 40]
    clip = make_video(tmp_path / "gap.mkv", frame_times_ms=times, fps=25, size=(64, 48))
    for command in (("analyze", clip, "-o", tmp_path / "scene.json"), ("run", clip, "-o", tmp_path / "out")):
        done = run_cli_subprocess(*command)
        lines = done.stderr.strip().splitlines()
        assert done.returncode == 1 and lines[-1].startswith("error: ") and "6 hours" in lines[-1], lines
        assert not (tmp_path / "scene.json").exists() and not (tmp_path / "out").exists()


def test_analysis_rate_bounds_the_work():
    from see2sound.pipeline.analyze import MAX_ANALYSIS_FRAMES, analysis_fps

    assert analysis_fps(4.0) == 4.0 and analysis_fps(10.0) == 2.4 and analysis_fps(60.0) == 2.0
    for seconds in (180.0, 3600.0, 1e7):
        assert analysis_fps(seconds) * seconds == pytest.approx(MAX_ANALYSIS_FRAMES)
    assert analysis_fps(None) == 4.0


def test_tracks_are_voiced_with_their_motion(monkeypatch):
    """A detected car that moves is asked for as moving, a parked one as not; an unnamed blob is heard
    only while it moves; what sounding() leaves silent is not voiced."""
    from see2sound.pipeline.analyze import _track_voice
    from see2sound.vision import compose
    from see2sound.vision.analysis import SourceDraft
    from see2sound.vision.tracking import Track
    from see2sound.vision.types import Region

    asked = []

    def sounding(label, *, part=False, moving=None, picture=None):
        asked.append((label, part, moving))
        return None if (label == "car" and not moving) else compose.Voice("car_pass_by", 75.0, "spot", "test")

    monkeypatch.setattr(compose, "sounding", sounding)

    def track(moving, detector_label=None):
        region = Region(mask=None, box=(0, 0, 1, 1))
        if detector_label:
            region.extra["detector_label"] = detector_label
        d = SourceDraft(
            "x", "engine", 0.5, "object", 0.0, 0.0, 5.0, (0, 0, 10, 10), np.zeros((4, 2)), 0.8, region, None
        )
        return Track(id=0, times=[0.0], drafts=[d], sound_class="engine", moving=moving)

    assert _track_voice(track(True, "car"), None).sound_class == "car_pass_by"
    assert _track_voice(track(False, "car"), None) is None
    assert asked == [("car", False, True), ("car", False, False)]
    assert _track_voice(track(True), None).sound_class == "engine"  # unnamed, moving: its own sound
    assert _track_voice(track(False), None) is None  # unnamed, still: silent
