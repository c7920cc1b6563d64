"""`see2sound batch` end to end: the same bytes as `see2sound run`, exit codes, a killed batch resumed."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import see2sound
from tests.pipeline.test_batch import folder_bytes, make_media, picture

RUN_OPTIONS = ["--format", "stereo", "--duration", "1", "--sources", "2", "--room", "none"]


def test_batch_writes_what_run_writes_with_the_rows_overrides(tmp_path, cli):
    files = make_media(tmp_path / "in")
    manifest = tmp_path / "items.jsonl"
    row = {"path": str(files["left"]), "prompt": "a dog barking", "seed": 5, "name": "dog", "formats": "foa"}
    manifest.write_text(json.dumps(row) + "\n")
    code, _, err = cli(
        "batch", files["gif"], files["right"], "--manifest", manifest, "-o", tmp_path / "out",
        *RUN_OPTIONS, "--seed", "2", "--workers", "2", "--no-evaluate",
    )  # fmt: skip
    assert code == 0, err
    assert "3 done now (0 failed), 0 skipped" in err
    common = ["--duration", "1", "--sources", "2", "--room", "none"]
    expected = {
        "left": [files["gif"], *common, "--format", "stereo", "--seed", "2"],
        "right": [files["right"], *common, "--format", "stereo", "--seed", "2"],
        "dog": [files["left"], *common, "--format", "foa", "--seed", "5", "--prompt", "a dog barking"],
    }
    for name, args in expected.items():
        code, _, err = cli("run", *args, "-o", tmp_path / "plain" / name)
        assert code == 0, err
        assert folder_bytes(tmp_path / "out" / name) == folder_bytes(tmp_path / "plain" / name), name
    rows = (tmp_path / "out" / "summary.csv").read_text().splitlines()
    assert len(rows) == 4 and rows[0].startswith("name,input,status")

    code, _, err = cli("batch", files["gif"], files["right"], "--manifest", manifest, "-o", tmp_path / "out",
                       *RUN_OPTIONS, "--seed", "2", "--no-evaluate")  # fmt: skip
    assert code == 0 and "0 done now (0 failed), 3 skipped" in err


def test_a_corrupt_file_fails_the_exit_code_and_retry_failed_takes_it_alone(tmp_path, cli):
    folder = tmp_path / "in"
    folder.mkdir()
    picture(128, 96, 40).save(folder / "good.png")
    (folder / "bad.png").write_bytes(b"\x89PNG\r\n\x1a\n truncated")
    code, _, err = cli("batch", folder, "-o", tmp_path / "out", *RUN_OPTIONS, "-j", "1", "--no-evaluate")
    assert code == 1
    failed = [line for line in err.splitlines() if line.startswith("failed:")]
    assert len(failed) == 1 and failed[0].startswith("failed: bad: ") and "bad.png" in failed[0]
    assert (tmp_path / "out" / "good" / "good.stereo.wav").is_file()

    picture(128, 96, 90).save(folder / "bad.png")
    code, _, err = cli(
        "batch", folder, "-o", tmp_path / "out", *RUN_OPTIONS, "--retry-failed", "--no-evaluate"
    )
    assert code == 0, err
    assert "1 done now (0 failed), 1 skipped" in err
    assert (tmp_path / "out" / "bad" / "bad.stereo.wav").is_file()


def test_a_batch_killed_midway_resumes_with_nothing_half_written(tmp_path, cli):
    folder = tmp_path / "in"
    folder.mkdir()
    for i in range(6):
        picture(160, 120, 20 + 24 * i).save(folder / f"p{i}.png")
    out = tmp_path / "out"
    env = {**os.environ, "PYTHONPATH": str(Path(see2sound.__file__).parents[1])}
    args = [
        sys.executable,
        "-m",
        "see2sound",
        "batch",
        str(folder),
        "-o",
        str(out),
        *RUN_OPTIONS,
        "-j",
        "1",
        "-q",
    ]
    process = subprocess.Popen([*args, "--no-evaluate"], env=env, stderr=subprocess.PIPE, text=True)
    journal = out / "journal.jsonl"
    deadline = time.monotonic() + 240
    while not (journal.exists() and journal.read_text().strip()) and time.monotonic() < deadline:
        time.sleep(0.05)
    process.send_signal(signal.SIGTERM)
    _, err = process.communicate(timeout=60)
    assert process.returncode == 128 + signal.SIGTERM, err
    assert "stopped by SIGTERM" in err
    finished = [json.loads(line)["name"] for line in journal.read_text().splitlines()]
    assert 1 <= len(finished) < 6
    assert not [p for p in out.rglob("*") if ".part" in p.name or ".old-" in p.name]
    made = sorted(p.name for p in out.iterdir() if p.is_dir())
    assert made == sorted(finished)  # every folder is a finished item, complete
    for name in made:
        assert (out / name / f"{name}.stereo.wav").is_file() and (out / name / "scene.json").is_file()
    stamps = {name: (out / name / f"{name}.stereo.wav").stat().st_mtime_ns for name in made}

    code, _, err = cli("batch", folder, "-o", out, *RUN_OPTIONS, "-j", "2", "--no-evaluate")
    assert code == 0, err
    assert f"{6 - len(finished)} done now (0 failed), {len(finished)} skipped" in err
    names = [json.loads(line)["name"] for line in journal.read_text().splitlines()]
    assert sorted(names) == [f"p{i}" for i in range(6)]  # each item journalled once
    assert all((out / name / f"{name}.stereo.wav").stat().st_mtime_ns == t for name, t in stamps.items())


def test_the_same_batch_on_a_local_ray_gives_the_same_bytes(tmp_path, cli):
    import ray

    files = make_media(tmp_path / "in")
    inputs = [files["left"], files["gif"], files["clip"]]
    code, _, err = cli("batch", *inputs, "-o", tmp_path / "local", *RUN_OPTIONS, "-j", "1", "--no-evaluate")
    assert code == 0, err
    code, _, err = cli(
        "batch", *inputs, "-o", tmp_path / "ray", *RUN_OPTIONS, "--no-evaluate", "--ray", "-j", "2"
    )
    assert code == 0, err
    assert "3 done now (0 failed), 0 skipped" in err
    assert not ray.is_initialized()  # the Ray it started is shut down
    for name in ("left", "left-gif", "clip"):
        assert folder_bytes(tmp_path / "ray" / name) == folder_bytes(tmp_path / "local" / name), name
    records = [json.loads(line) for line in (tmp_path / "ray" / "journal.jsonl").read_text().splitlines()]
    assert sorted(r["name"] for r in records) == ["clip", "left", "left-gif"]


def test_ray_without_ray_installed_says_how_to_install_it(tmp_path, cli, monkeypatch):
    picture(64, 48, 20).save(tmp_path / "a.png")
    monkeypatch.setitem(sys.modules, "ray", None)
    code, _, err = cli("batch", tmp_path / "a.png", "-o", tmp_path / "out", "--ray", "--no-evaluate")
    assert code == 1
    assert (
        err.strip().splitlines()[-1]
        == 'error: Ray is not installed; install it with: pip install "see2sound[ray]"'
    )


def test_bad_batch_arguments_are_one_line_errors(tmp_path, cli):
    picture(64, 48, 20).save(tmp_path / "a.png")
    cases = [
        (["batch", "-o", tmp_path / "out"], "give pictures, videos or folders, or a --manifest"),
        (["batch", tmp_path / "missing.png", "-o", tmp_path / "out"], "missing.png: no such file or folder"),
        (["batch", tmp_path / "a.png", "-o", tmp_path / "out", "-j", "0"], "--workers: need at least 1"),
        (["batch", tmp_path / "a.png", "-o", tmp_path / "out", "--format", "octo"], "unknown format 'octo'"),
        (
            ["batch", tmp_path / "a.png", "-o", tmp_path / "out", "--manifest", tmp_path / "m.txt"],
            "not found",
        ),
    ]
    for args, message in cases:
        code, _, err = cli(*args)
        assert code != 0 and len(err.strip().splitlines()) == 1 and message in err, (args, err)
