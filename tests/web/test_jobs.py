"""The web page's work without a browser: uploads, edits, re-renders, the map, the zip, path safety."""

from __future__ import annotations

import json
import os
import zipfile

import numpy as np
import pytest
import soundfile as sf
from PIL import Image

from see2sound.errors import MediaError, SceneError
from see2sound.media.audio import write_audio
from see2sound.scene import Extent, Scene, load_scene, save_scene
from see2sound.web import jobs
from see2sound.web.jobs import Limits, Workspace

SR = 16000


def ild_db(path) -> float:
    """Interaural level difference of a binaural file in dB: left over right (+ = left louder)."""
    y, _ = sf.read(path, always_2d=True)
    return float(10 * np.log10(np.sum(y[:, 0] ** 2) / np.sum(y[:, 1] ** 2)))


@pytest.fixture
def workspace(tmp_path):
    ws = Workspace(tmp_path)
    yield ws
    ws.close()


@pytest.fixture
def job(workspace):
    """A finished job without the pipeline: two noise stems, a fixed source at +60° and a moving one."""
    job = workspace.new_job()
    rng = np.random.default_rng(1)
    (job.out_dir / "stems").mkdir(parents=True)
    for name in ("a", "b"):
        write_audio(job.out_dir / "stems" / f"{name}.wav", 0.1 * rng.standard_normal((1, SR)), SR)
    scene = Scene.from_dict(
        {
            "sample_rate": SR,
            "duration": 1.0,
            "sources": [
                {"id": "a", "label": "bird", "audio": "stems/a.wav", "position": {"azimuth": 60.0}},
                {
                    "id": "b",
                    "label": "car",
                    "audio": "stems/b.wav",
                    "trajectory": [
                        {"t": 0.0, "azimuth": -30.0, "distance": 4.0},
                        {"t": 1.0, "azimuth": 30.0, "distance": 8.0},
                    ],
                },
            ],
        },
        base_dir=job.out_dir,
    )
    save_scene(scene, job.scene_path)
    job.stem, job.formats, job.room, job.hrtf = "pic", ["binaural", "stereo"], "none", "analytic"
    return job


def rows_with(job, **edits):
    rows = jobs.table_rows(jobs.load_job_scene(job))
    for row in rows:
        row[2:] = edits.get(row[0], row[2:])
    return rows


def test_rerender_moves_a_source_from_left_to_right(job):
    jobs.rerender(job, rows_with(job, a=[60, 0, 2, 0, True], b=[-30, 0, 4, 0, False]))
    left = ild_db(job.audio("binaural"))
    scene = jobs.rerender(job, rows_with(job, a=[-60, 0, 2, 0, True], b=[-30, 0, 4, 0, False]))
    right = ild_db(job.audio("binaural"))
    assert left > 3 and right < -3
    assert scene.source("a").position.azimuth == -60
    saved = load_scene(job.scene_path)  # the edit is kept in the job's scene.json (downloadable)
    assert saved.source("a").position.azimuth == -60 and saved.source("b").model_extra["enabled"] is False
    assert sf.info(job.audio("stereo")).channels == 2


def test_rerender_keeps_the_stems(job):
    before = (job.out_dir / "stems" / "a.wav").read_bytes()
    jobs.rerender(job, rows_with(job, a=[10, 5, 3, -6, True]))
    assert (job.out_dir / "stems" / "a.wav").read_bytes() == before


def test_moving_source_is_turned_and_scaled(job):
    scene = jobs.apply_rows(jobs.load_job_scene(job), rows_with(job, b=[0, 10, 8, 0, True]))
    keys = scene.source("b").trajectory
    assert [k.azimuth for k in keys] == pytest.approx([0, 60])
    assert [k.elevation for k in keys] == pytest.approx([10, 10])
    assert [k.distance for k in keys] == pytest.approx([8, 16])


def test_every_source_off_is_refused(job):
    with pytest.raises(SceneError, match="every source is off"):
        jobs.rerender(job, rows_with(job, a=[60, 0, 2, 0, False], b=[-30, 0, 4, 0, "false"]))


@pytest.mark.parametrize(
    "edit, message",
    [
        ({"a": [60, 100, 2, 0, True]}, "source 'a': elevation must be between -90 and 90"),
        ({"a": [60, 0, 0, 0, True]}, "source 'a': distance must be greater than 0"),
        ({"a": ["left", 0, 2, 0, True]}, "source 'a': azimuth: expected a number"),
        ({"a": [60, 0, 2, float("nan"), True]}, "gain_db: expected a finite number"),
        ({"a": [60, 0, 2, 40, True]}, "gain_db must be between -60 and 24"),
    ],
)
def test_bad_table_values_are_named(job, edit, message):
    with pytest.raises(SceneError, match=message):
        jobs.apply_rows(jobs.load_job_scene(job), rows_with(job, **edit))


def test_unknown_source_id_is_refused(job):
    rows = rows_with(job)
    rows[0][0] = "../../etc/passwd"
    with pytest.raises(SceneError, match="no source with id"):
        jobs.apply_rows(jobs.load_job_scene(job), rows)


def test_azimuth_wraps(job):
    scene = jobs.apply_rows(jobs.load_job_scene(job), rows_with(job, a=[270, 0, 2, 0, True]))
    assert scene.source("a").position.azimuth == pytest.approx(-90)


def test_scene_upload_edits_but_never_names_files(job, tmp_path):
    data = json.loads(job.scene_path.read_text())
    data["sources"][0]["position"] = {"azimuth": -45.0, "distance": 3.0}
    data["sources"][0]["audio"] = "/etc/passwd"
    upload = tmp_path / "scene.json"
    upload.write_text(json.dumps(data))
    scene = jobs.merge_scene_upload(job, upload)
    assert scene.source("a").position.azimuth == -45
    assert scene.audio_path(scene.source("a")) == job.out_dir / "stems" / "a.wav"
    data["sources"][0]["id"] = "intruder"
    upload.write_text(json.dumps(data))
    with pytest.raises(SceneError, match="'intruder' is not in this job's scene"):
        jobs.merge_scene_upload(job, upload)
    upload.write_bytes(b"\xff\xfe not json")
    with pytest.raises(SceneError, match="not valid JSON"):
        jobs.merge_scene_upload(job, upload)


@pytest.mark.parametrize(
    "name, expected",
    [
        ("../../etc/passwd", ("passwd", "")),
        ("C:\\Users\\me\\My Photo.JPG", ("My_Photo", ".jpg")),
        ("..", ("input", "")),
        ("clip.mp4;rm -rf", ("clip", "")),
        ("", ("input", "")),
    ],
)
def test_safe_name(name, expected):
    assert jobs.safe_name(name) == expected


def test_upload_is_copied_under_a_safe_name_and_checked(workspace, tmp_path):
    picture = tmp_path / "in.png"
    Image.new("RGB", (64, 48), (90, 140, 200)).save(picture)
    job = jobs.accept_upload(workspace.new_job(), picture, "../../x/holiday photo.png", Limits())
    assert job.input == job.folder / "holiday_photo.png" and job.kind == "image"
    assert job.input.resolve().parent == job.folder.resolve()


def test_random_bytes_are_refused_in_one_line_without_server_paths(workspace, tmp_path):
    junk = tmp_path / "junk.png"
    junk.write_bytes(os.urandom(5000))
    job = workspace.new_job()
    with pytest.raises(MediaError) as info:
        jobs.accept_upload(job, junk, "junk.png", Limits())
    assert "junk.png" in str(info.value) and str(workspace.root) not in str(info.value)
    assert "\n" not in str(info.value)


def test_oversize_empty_and_audio_uploads_are_refused(workspace, tmp_path):
    big = tmp_path / "big.png"
    big.write_bytes(b"\0" * 1_100_000)
    with pytest.raises(MediaError, match="over this server's upload limit of 1 MB"):
        jobs.accept_upload(workspace.new_job(), big, "big.png", Limits(max_upload_mb=1))
    empty = tmp_path / "empty.png"
    empty.write_bytes(b"")
    with pytest.raises(MediaError, match="empty"):
        jobs.accept_upload(workspace.new_job(), empty, "empty.png", Limits())
    sound = tmp_path / "tone.wav"
    write_audio(sound, 0.1 * np.ones((1, SR)), SR)
    with pytest.raises(MediaError, match="is an audio file"):
        jobs.accept_upload(workspace.new_job(), sound, "tone.wav", Limits())


def test_long_animation_is_refused(workspace, tmp_path):
    gif = tmp_path / "long.gif"
    frames = [Image.new("RGB", (32, 32), (i * 20, 0, 0)) for i in range(4)]
    frames[0].save(gif, save_all=True, append_images=frames[1:], duration=1000, loop=0)
    with pytest.raises(MediaError, match="longer than this server's limit of 2 s"):
        jobs.accept_upload(workspace.new_job(), gif, "long.gif", Limits(max_video_s=2))


def colour_centre(png, colour) -> tuple[float, float]:
    pixels = np.asarray(Image.open(png).convert("RGB")).astype(int)
    ys, xs = np.nonzero(np.all(np.abs(pixels - np.array(colour)) < 8, axis=-1))
    assert xs.size > 20
    return float(xs.mean()), float(ys.mean())


def test_map_puts_left_sources_left_and_front_sources_up(tmp_path):
    scene = Scene.from_dict(
        {
            "duration": 1.0,
            "sources": [
                {"id": "l", "label": "", "position": {"azimuth": 90.0, "distance": 3.0}},
                {"id": "f", "label": "", "position": {"azimuth": 0.0, "distance": 3.0}},
                {"id": "r", "label": "", "position": {"azimuth": -120.0, "distance": 30.0}},
            ],
        }
    )
    png = jobs.draw_map(scene, tmp_path / "map.png", size=400)
    assert Image.open(png).size == (400, 400)
    lx, ly = colour_centre(png, jobs.PALETTE[0])
    fx, fy = colour_centre(png, jobs.PALETTE[1])
    rx, ry = colour_centre(png, jobs.PALETTE[2])
    assert lx < 180 and abs(ly - 200) < 15  # left of the listener
    assert fy < 180 and abs(fx - 200) < 25  # in front: up
    assert rx > 260 and ry > 230  # right and behind, and far: near the rim
    assert np.hypot(rx - 200, ry - 200) > np.hypot(lx - 200, ly - 200)


def test_map_draws_moving_sources_and_beds(job, tmp_path):
    scene = jobs.load_job_scene(job)
    scene.sources[0].role, scene.sources[0].extent = "bed", Extent(width=360, height=90)
    scene = Scene.from_dict(scene.to_dict())
    png = jobs.draw_map(scene, tmp_path / "map.png")
    colour_centre(png, jobs.PALETTE[0])  # the bed's ring
    colour_centre(png, jobs.PALETTE[1])  # the car's path


def test_zip_holds_everything(job):
    jobs.rerender(job)
    archive = jobs.zip_all(job)
    names = set(zipfile.ZipFile(archive).namelist())
    assert {
        "pic-see2sound/scene.json",
        "pic-see2sound/pic.binaural.wav",
        "pic-see2sound/pic.stereo.wav",
        "pic-see2sound/stems/a.wav",
    } <= names


def test_job_folders_are_removed(workspace):
    job = workspace.new_job()
    (job.folder / "x").write_text("x")
    job.remove()
    assert not job.folder.exists()
    workspace.close()
    assert not workspace.root.exists()


def test_public_messages_hide_server_folders(job):
    text = job.public(f"{job.out_dir}/pic.binaural.wav: cannot write\n(disk full)")
    assert text == "pic.binaural.wav: cannot write (disk full)"


def test_the_page_offers_only_backends_usable_here(real_cache):
    from see2sound.sound.backends import SOUNDS
    from see2sound.vision.backends import DETECTORS

    offered = jobs.usable_backends()
    for stage, registry in (("sound", SOUNDS), ("detector", DETECTORS)):
        assert offered[stage][0] == "auto"
        for backend in registry.backends():
            assert (backend.name in offered[stage]) == (backend.unavailable_reason() is None)
    assert offered["hrtf"][0] == "auto" and offered["hrtf"][-1] == "analytic"
    assert "procedural" in offered["sound"]
