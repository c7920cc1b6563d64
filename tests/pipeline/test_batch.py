"""The batch engine: every item equals a plain `run`, failures are recorded, changed options redo only
what they affect, and Ray gives the same bytes as local workers."""

from __future__ import annotations

import json
import multiprocessing
import os
import signal
import threading
import time
from pathlib import Path

import av
import pytest
import soundfile as sf
from PIL import Image, ImageDraw

from see2sound.errors import See2SoundError
from see2sound.pipeline.batch import collect_items, model_backends, read_manifest, run_batch
from see2sound.pipeline.run import run

OPTIONS = {"formats": ["stereo"], "duration": 1.0, "sources": 2, "seed": 0, "room": "none"}


def picture(width: int, height: int, x: float, colour=(220, 20, 20)) -> Image.Image:
    """Sky over ground with one bright disc at column ``x``."""
    img = Image.new("RGB", (width, height), (150, 170, 190))
    d = ImageDraw.Draw(img)
    d.rectangle([0, int(height * 0.6), width, height], fill=(110, 120, 100))
    r, y = height // 8, int(height * 0.55)
    d.ellipse([x - r, y - r, x + r, y + r], fill=colour)
    return img


def make_media(folder: Path) -> dict[str, Path]:
    """Two photos (one in a sub-folder, same stem as a GIF), an animated GIF and a short clip."""
    (folder / "sub").mkdir(parents=True)
    files = {"left": folder / "left.png", "right": folder / "sub" / "right.jpg", "gif": folder / "left.gif"}
    picture(192, 144, 50).save(files["left"])
    picture(192, 144, 150, (30, 30, 220)).save(files["right"], quality=90)
    frames = [picture(96, 72, x) for x in (20, 48, 76)]
    frames[0].save(files["gif"], save_all=True, append_images=frames[1:], duration=200, loop=0)
    files["clip"] = folder / "clip.mp4"
    with av.open(str(files["clip"]), "w") as container:
        stream = container.add_stream("libx264", rate=8)
        stream.width, stream.height, stream.pix_fmt = 96, 72, "yuv420p"
        for x in range(10, 90, 10):
            for packet in stream.encode(av.VideoFrame.from_image(picture(96, 72, x))):
                container.mux(packet)
        for packet in stream.encode():
            container.mux(packet)
    return files


def folder_bytes(folder: Path) -> dict[str, bytes]:
    return {
        p.relative_to(folder).as_posix(): p.read_bytes() for p in sorted(folder.rglob("*")) if p.is_file()
    }


def journal(outdir: Path) -> list[dict]:
    return [json.loads(line) for line in (outdir / "journal.jsonl").read_text().splitlines()]


def test_every_item_equals_a_plain_run_with_its_options(tmp_path):
    files = make_media(tmp_path / "in")
    manifest = tmp_path / "list.csv"
    manifest.write_text(
        "path,prompt,sources,formats,seed,output\n"
        f'{files["left"]},birds singing,1,"5.1,stereo",7,left-birds\n'
        "in/sub/right.jpg,,,,3,\n"
    )
    items = collect_items([tmp_path / "in"], OPTIONS, manifest, tmp_path / "out")
    names = [item.name for item in items]
    # the photo shares the GIF's stem: it is told apart by its suffix
    assert names == ["clip", "left", "left-png", "sub/right", "left-birds", "right"]
    report = run_batch(items, tmp_path / "out", workers=2, evaluate=True)
    assert report.ok and report.done == 6 and report.failed == 0
    for item in items:
        plain = tmp_path / "plain" / item.name
        run(item.path, plain, **item.options)
        assert folder_bytes(tmp_path / "out" / item.name) == folder_bytes(plain), item.name
    by_name = {r["name"]: r for r in report.records}
    assert set(by_name["left-birds"]["outputs"]) >= {"left.5.1.wav", "left.stereo.wav", "scene.json"}
    assert by_name["clip"]["timings_s"]["mux"] > 0 and "clip.mp4" in by_name["clip"]["outputs"]
    figures = by_name["left-png"]["evaluate"]["stereo"]
    import pyloudnorm

    y, sr = sf.read(tmp_path / "out" / "left-png" / "left.stereo.wav")  # the natural level, measured apart
    assert figures["loudness_lufs"] == pytest.approx(pyloudnorm.Meter(sr).integrated_loudness(y), abs=0.1)
    assert figures["true_peak_dbtp"] <= -1.0
    summary = (tmp_path / "out" / "summary.csv").read_text().splitlines()
    assert len(summary) == 7 and "stereo.loudness_lufs" in summary[0] and "time.analyse" in summary[0]
    assert [
        json.loads(line)["name"] for line in (tmp_path / "out" / "summary.jsonl").read_text().splitlines()
    ] == names
    assert not list((tmp_path / "out").rglob(".*part*"))


def test_a_corrupt_file_is_recorded_and_the_rest_finish_then_retried_alone(tmp_path):
    folder = tmp_path / "in"
    folder.mkdir()
    picture(128, 96, 40).save(folder / "good.png")
    (folder / "broken.jpg").write_bytes(b"\xff\xd8 not really a jpeg")
    items = collect_items([folder], OPTIONS)
    report = run_batch(items, tmp_path / "out", workers=1, evaluate=False)
    records = {r["name"]: r for r in report.records}
    assert not report.ok and report.failed == 1
    assert records["good"]["status"] == "ok" and (tmp_path / "out" / "good" / "good.stereo.wav").is_file()
    assert records["broken"]["status"] == "failed" and "broken.jpg" in records["broken"]["error"]
    assert "\n" not in records["broken"]["error"] and not (tmp_path / "out" / "broken").exists()
    assert "failed" in (tmp_path / "out" / "summary.csv").read_text()

    picture(128, 96, 90).save(folder / "broken.jpg", format="JPEG")
    again = run_batch(items, tmp_path / "out", workers=1, evaluate=False, retry_failed=True)
    assert again.ok and again.done == 1 and again.skipped == 1
    assert [r["name"] for r in journal(tmp_path / "out")][2:] == ["broken"]


def test_a_changed_option_redoes_only_the_items_it_affects(tmp_path):
    folder = tmp_path / "in"
    folder.mkdir()
    for i, x in enumerate((30, 100)):
        picture(128, 96, x).save(folder / f"p{i}.png")
    manifest = tmp_path / "m.jsonl"
    manifest.write_text('{"path": "in/p0.png", "seed": 1}\n{"path": "in/p1.png", "seed": 1}\n')
    out = tmp_path / "out"
    first = run_batch(collect_items([], OPTIONS, manifest), out, workers=1, evaluate=False)
    assert first.done == 2
    stamp = (out / "p1" / "p1.stereo.wav").stat().st_mtime_ns

    same = run_batch(collect_items([], OPTIONS, manifest), out, workers=1, evaluate=False)
    assert same.done == 0 and same.skipped == 2

    manifest.write_text('{"path": "in/p0.png", "seed": 2}\n{"path": "in/p1.png", "seed": 1}\n')
    one = run_batch(collect_items([], OPTIONS, manifest), out, workers=1, evaluate=False)
    assert one.done == 1 and journal(out)[-1]["name"] == "p0"
    assert (out / "p1" / "p1.stereo.wav").stat().st_mtime_ns == stamp
    # as `run` again into its own folder: the scene is reused (the seed is not an analysis option)
    run(folder / "p0.png", tmp_path / "plain" / "p0", **{**OPTIONS, "seed": 1})
    run(folder / "p0.png", tmp_path / "plain" / "p0", **{**OPTIONS, "seed": 2}, overwrite=True)
    assert folder_bytes(out / "p0") == folder_bytes(tmp_path / "plain" / "p0")

    # a render option redoes every item, reusing each one's scene; the old format's file goes
    foa = run_batch(
        collect_items([], {**OPTIONS, "formats": ["foa"]}, manifest), out, workers=1, evaluate=False
    )
    assert foa.done == 2 and all(r["reused_scene"] for r in journal(out)[-2:])
    assert sorted(p.name for p in (out / "p1").glob("*.wav")) == ["p1.foa.wav"]


def test_an_edited_input_is_redone(tmp_path):
    folder = tmp_path / "in"
    folder.mkdir()
    picture(128, 96, 30).save(folder / "a.png")
    out = tmp_path / "out"
    assert run_batch(collect_items([folder], OPTIONS), out, workers=1, evaluate=False).done == 1
    picture(128, 96, 100).save(folder / "a.png")
    assert run_batch(collect_items([folder], OPTIONS), out, workers=1, evaluate=False).done == 1


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("path,colour\na.png,red\n", "unknown column 'colour'"),
        ("path,seed\na.png,many\n", "seed must be a whole number"),
        ("seed\n3\n", "no path"),
        ("path,formats\na.png,quadraphonic\n", "unknown format"),
        ("path,output\na.png,../escape\n", "without '..'"),
    ],
)
def test_bad_manifests_are_one_line_errors(tmp_path, text, message):
    (tmp_path / "a.png").write_bytes(b"")
    manifest = tmp_path / "m.csv"
    manifest.write_text(text)
    with pytest.raises(See2SoundError, match=message):
        collect_items([], OPTIONS, manifest)


def test_folders_are_searched_by_media_type_and_skip_the_output_folder(tmp_path):
    files = make_media(tmp_path / "in")
    (tmp_path / "in" / "notes.txt").write_text("not media")
    (tmp_path / "in" / "sound.wav").write_bytes(b"RIFF")
    (tmp_path / "in" / "out" / "x").mkdir(parents=True)
    picture(64, 48, 10).save(tmp_path / "in" / "out" / "x" / "inside.png")
    items = collect_items([tmp_path / "in"], OPTIONS, outdir=tmp_path / "in" / "out")
    assert sorted(i.path for i in items) == sorted(p.resolve() for p in files.values())
    assert read_manifest(_jsonl(tmp_path, {"path": "in/left.png", "formats": ["foa", "stereo"]}))[0][
        "formats"
    ] == ["foa", "stereo"]


def _jsonl(folder: Path, row: dict) -> Path:
    path = folder / "m.jsonl"
    path.write_text(json.dumps(row) + "\n")
    return path


def test_a_worker_killed_midway_is_replaced_and_its_item_done_again(tmp_path):
    folder = tmp_path / "in"
    folder.mkdir()
    for i in range(3):
        picture(128, 96, 20 + 40 * i).save(folder / f"p{i}.png")
    items = collect_items([folder], OPTIONS)
    result: dict = {}
    thread = threading.Thread(
        target=lambda: result.update(report=run_batch(items, tmp_path / "out", workers=1))
    )
    thread.start()
    deadline = time.monotonic() + 120
    while not multiprocessing.active_children() and time.monotonic() < deadline:
        time.sleep(0.05)
    time.sleep(0.5)
    os.kill(multiprocessing.active_children()[0].pid, signal.SIGKILL)
    thread.join(300)
    report = result["report"]
    assert report.ok and report.done == 3
    for item in items:
        run(item.path, tmp_path / "plain" / item.name, **item.options)
        assert folder_bytes(tmp_path / "out" / item.name) == folder_bytes(tmp_path / "plain" / item.name)


def test_model_backends_ask_for_a_gpu_on_ray():
    assert model_backends({"depth": "classical", "sound": "procedural", "detector": "nanodet"}) == []
    chosen = {"depth": "depth-anything", "sound": "stable-audio", "detector": "owlv2", "vision": "classical"}
    assert model_backends(chosen) == ["depth=depth-anything", "detector=owlv2", "sound=stable-audio"]


def test_workers_keep_the_backends_they_made():
    from see2sound.registry import keep_instances
    from see2sound.vision.backends import DEPTH

    assert DEPTH.create("classical") is not DEPTH.create("classical")
    keep_instances(True)
    try:
        assert DEPTH.create("classical") is DEPTH.create("classical")
        assert DEPTH.create("classical", depth_range_m=50.0) is not DEPTH.create("classical")
    finally:
        keep_instances(False)
