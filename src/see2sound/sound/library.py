"""Sound libraries: folders of recordings, indexed by name and tags, searched per label.

A library is any folder of audio files (WAV, FLAC, OGG, MP3, AIFF). What a file is about comes from
its name, its folders and optional metadata, first found wins per file:

- ``manifest.json`` at the library root: a list of ``{"file", "tags", "title", "author", "license",
  "source", "kind"}`` entries (or ``{"files": [...]}``), the format of the starter library;
- ``<name>.json`` beside a file: the same fields for that file;
- ``tags.csv`` at the root: ``file,tags`` columns (tags separated by ``;``, ``,`` or ``|``).

The index is cached in ``cache_dir("library-index")`` and rebuilt when any file's size or time
changes; unreadable audio files are skipped with a warning. Matching counts label words covered by a
file's tags and words (the starter library's :func:`~see2sound.sound.starter.match_score`), plus a
smaller score for a synonym match through the sound classes ("puppy" finds ``dog_bark.wav``).
"""

from __future__ import annotations

import csv
import hashlib
import json
import os
import re
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from ..cache import cache_dir
from ..errors import See2SoundError
from ..log import get_logger
from .classes import exact_classes, match_class
from .types import SoundRequest, SoundResult

log = get_logger(__name__)

AUDIO_EXTENSIONS = {".wav", ".flac", ".ogg", ".oga", ".mp3", ".aif", ".aiff", ".w64", ".caf"}
INDEX_VERSION = 3
SYNONYM_SCORE = 0.5  # a class-level match only, below any direct word match (>= 1)
CREDIT_FIELDS = ("title", "author", "license", "source", "attribution", "url")
_warned: set[str] = set()


@dataclass
class Library:
    """An indexed folder: entries are dicts (``file``, ``path``, ``tags``, ``words``, credits, ``kind``)."""

    root: Path
    entries: list[dict]
    version: str  # changes whenever a file in the folder changes
    skipped: list[str] = field(default_factory=list)
    starter: bool = False


def _signature(root: Path) -> tuple[str, list[Path]]:
    h = hashlib.sha1(f"index-v{INDEX_VERSION}".encode())
    files = []
    for folder, dirs, names in os.walk(root):
        dirs[:] = sorted(d for d in dirs if not d.startswith("."))
        for name in sorted(names):
            if name.startswith("."):
                continue
            path = Path(folder) / name
            try:
                st = path.stat()
            except OSError:
                continue
            rel = path.relative_to(root).as_posix()
            h.update(f"{rel}\0{st.st_size}\0{st.st_mtime_ns}\n".encode())
            files.append(path)
    return h.hexdigest(), files


def _split_tags(value) -> list[str]:
    if isinstance(value, str):
        return [t.strip() for t in re.split(r"[;,|]", value) if t.strip()]
    if isinstance(value, list | tuple):
        return [str(t).strip() for t in value if str(t).strip()]
    return []


def _read_metadata(root: Path, files: list[Path]) -> dict[str, dict]:
    """Per-file metadata from manifest.json, sidecar .json files and tags.csv, keyed by relative path."""
    meta: dict[str, dict] = {}
    manifest = root / "manifest.json"
    if manifest.is_file():
        try:
            data = json.loads(manifest.read_text(encoding="utf-8"))
            items = (
                data.get("files") or data.get("sounds") or data.get("entries")
                if isinstance(data, dict)
                else data
            )
            for item in items or []:
                if isinstance(item, dict) and isinstance(item.get("file"), str):
                    meta.setdefault(Path(item["file"]).as_posix(), dict(item))
        except (OSError, ValueError, AttributeError) as exc:
            _warn(f"{manifest}: ignored, not a valid manifest ({exc})")
    for path in files:
        if path.suffix.lower() != ".json" or path.name == "manifest.json":
            continue
        for ext in AUDIO_EXTENSIONS:
            audio = path.with_suffix(ext)
            if audio.exists():
                rel = audio.relative_to(root).as_posix()
                try:
                    item = json.loads(path.read_text(encoding="utf-8"))
                    if isinstance(item, dict):
                        meta.setdefault(rel, item)
                except (OSError, ValueError) as exc:
                    _warn(f"{path}: ignored, not valid JSON ({exc})")
    table = root / "tags.csv"
    if table.is_file():
        try:
            with open(table, newline="", encoding="utf-8") as fh:
                for row in csv.DictReader(fh):
                    name = (row.get("file") or "").strip()
                    if name:
                        meta.setdefault(Path(name).as_posix(), {}).setdefault(
                            "tags", _split_tags(row.get("tags"))
                        )
        except (OSError, csv.Error, UnicodeDecodeError) as exc:
            _warn(f"{table}: ignored ({exc})")
    return meta


def _warn(message: str) -> None:
    if message not in _warned:
        _warned.add(message)
        log.warning(message)


def _probe(path: Path) -> float | None:
    """Duration in seconds, or ``None`` if libsndfile cannot read the file."""
    import soundfile as sf

    try:
        info = sf.info(str(path))
    except Exception:  # libsndfile raises several types for broken files
        return None
    if info.frames <= 0 or info.samplerate <= 0:
        return None
    return info.frames / info.samplerate


def _words(rel: str) -> list[str]:
    """Words of a file's name and folders: ``animals/dog_bark-02.wav`` → animals, dog, bark."""
    parts = Path(rel).with_suffix("").parts
    return [w for w in re.split(r"[^a-z]+", " ".join(parts).lower()) if len(w) > 1]


def _build(root: Path, files: list[Path]) -> tuple[list[dict], list[str]]:
    meta = _read_metadata(root, files)
    entries, skipped = [], []
    for path in files:
        if path.suffix.lower() not in AUDIO_EXTENSIONS:
            continue
        rel = path.relative_to(root).as_posix()
        duration = _probe(path)
        if duration is None:
            skipped.append(rel)
            continue
        m = meta.get(rel, {})
        tags = _split_tags(m.get("tags"))
        words = _words(rel)
        entry = {
            "file": rel,
            "tags": tags,
            "words": words,
            "duration_s": round(duration, 3),
            "title": str(m.get("title") or Path(rel).stem.replace("_", " ")),
            "kind": m.get("kind"),
        }
        for key in CREDIT_FIELDS[1:]:
            if m.get(key):
                entry[key] = str(m[key])
        if m.get("share_alike"):
            entry["share_alike"] = True
        if m.get("habitat"):  # where the recording belongs (see starter.habitat_fits)
            entry["habitat"] = str(m["habitat"])
        entry["classes"] = sorted(exact_classes([*tags, *words]))
        entries.append(entry)
    return entries, skipped


def load_library(folder: str | os.PathLike, starter: bool = False) -> Library:
    """Index ``folder`` (from the cache when nothing changed).

    Raises
    ------
    See2SoundError
        If the folder does not exist or holds no readable audio file.
    """
    root = Path(folder).expanduser()
    if not root.exists():
        raise See2SoundError(f"{root}: sound library folder does not exist")
    if not root.is_dir():
        raise See2SoundError(f"{root}: sound library must be a folder")
    root = root.resolve()
    signature, files = _signature(root)
    cache_file = cache_dir("library-index") / (hashlib.sha1(str(root).encode()).hexdigest()[:20] + ".json")
    entries = skipped = None
    try:
        cached = json.loads(cache_file.read_text(encoding="utf-8"))
        if cached.get("signature") == signature and cached.get("root") == str(root):
            entries, skipped = cached["entries"], cached.get("skipped", [])
    except (OSError, ValueError, KeyError, AttributeError):
        pass
    if entries is None:
        entries, skipped = _build(root, files)
        tmp = cache_file.with_suffix(f".{os.getpid()}.tmp")
        tmp.write_text(
            json.dumps({"root": str(root), "signature": signature, "entries": entries, "skipped": skipped}),
            encoding="utf-8",
        )
        os.replace(tmp, cache_file)
    for rel in skipped:
        _warn(f"{root / rel}: skipped, not a readable audio file")
    if not entries:
        raise See2SoundError(
            f"{root}: no readable audio files in this sound library", hint="add WAV, FLAC, OGG or MP3 files"
        )
    for e in entries:
        e["path"] = str(root / e["file"])
    return Library(root, entries, signature, list(skipped), starter)


def entry_score(entry: dict, label: str, prompt: str | None = None, use_words: bool = True) -> float:
    """How well a library entry fits a label (0 = not at all); see the module docstring.

    ``use_words`` also matches the file's name and folder words and, failing that, synonyms through
    the sound classes (user libraries); a curated library (the starter library) is matched on its tags.
    """
    from .starter import match_score

    terms = list(entry.get("tags", []))
    if use_words:
        terms += list(entry.get("words", []))
        if entry.get("title") and not entry.get("tags"):
            terms.append(entry["title"])
    score = match_score(label, terms)
    if prompt:
        score += 0.25 * match_score(prompt, terms)
    if score == 0 and use_words:  # a curated library lists its own synonyms in its tags
        match = match_class(label, prompt)
        if match.matched and match.sound_class in entry.get("classes", []):
            score = SYNONYM_SCORE
    return float(score)


def entry_text(entry: dict) -> str:
    """What a file is about, as one phrase (for the optional embedding matcher)."""
    return " ".join(dict.fromkeys([entry.get("title", ""), *entry.get("tags", []), *entry.get("words", [])]))


def best_entry(
    libraries: list[Library],
    label: str,
    prompt: str | None,
    seed: int,
    allow_share_alike: bool = False,
    embedder=None,
    embedding_cache: dict | None = None,
) -> tuple[dict, Library] | None:
    """The best-matching recording: libraries are searched in order, the first with any match wins;
    ties inside it are broken by ``seed``. With an ``embedder`` (:mod:`see2sound.sound.embedding`), a
    library without any word match is also searched by meaning."""
    from .starter import habitat_fits, is_allowed

    for lib in libraries:
        scored = []
        allowed = []
        for entry in lib.entries:
            if lib.starter and not is_allowed(entry, allow_share_alike):
                continue
            if not habitat_fits(entry, label, prompt):  # a tropical bird never voices a European forest
                continue
            if not lib.starter and entry.get("share_alike") and not allow_share_alike:
                continue
            allowed.append(entry)
            s = entry_score(entry, label, prompt, use_words=not lib.starter)
            if s > 0:
                scored.append((s, entry))
        if scored:
            top = max(s for s, _ in scored)
            best = [e for s, e in scored if s >= top - 1e-9]
            # between equals, prefer the kind the label's class has: a truck is an engine, not its horn
            wanted = _wanted_kind(label, prompt)
            agree = [e for e in best if e.get("kind") == wanted]
            best = agree or best
            pick = best[int(np.random.default_rng([seed & 0xFFFFFFFF, 7]).integers(len(best)))]
            return pick, lib
        if embedder is not None and allowed:
            from .embedding import best_by_embedding

            query = f"{label}. {prompt}" if prompt else label
            key = f"{lib.root}:{lib.version}:{allow_share_alike}"
            hit = best_by_embedding(embedder, query, [entry_text(e) for e in allowed], embedding_cache, key)
            if hit is not None:
                entry = dict(allowed[hit[0]], similarity=round(hit[1], 3))
                return entry, lib
    return None


def _wanted_kind(label: str, prompt: str | None) -> str | None:
    from .synth import CLASSES

    match = match_class(label, prompt)
    if not match.matched:
        return None
    return "texture" if CLASSES[match.sound_class].kind == "texture" else "one_shot"


def guess_kind(y: np.ndarray, sr: int) -> str:
    """``"one_shot"`` if under a third of it is within 20 dB of its loudest 50 ms, else ``"texture"``."""
    frame = max(1, int(0.05 * sr))
    count = y.size // frame
    if count < 4:
        return "one_shot"
    rms = np.sqrt(np.mean(y[: count * frame].reshape(count, frame) ** 2, axis=1) + 1e-20)
    active = np.mean(20 * np.log10(rms / rms.max()) > -20.0)
    return "one_shot" if active < 0.35 else "texture"


def read_mono(path: str | os.PathLike, sample_rate: int) -> np.ndarray:
    """A library file as mono float64 at ``sample_rate`` (channels averaged, polyphase resampling)."""
    from math import gcd

    import soundfile as sf
    from scipy.signal import resample_poly

    try:
        data, sr = sf.read(str(path), dtype="float64", always_2d=True)
    except Exception as exc:
        raise See2SoundError(f"{path}: cannot read audio ({' '.join(str(exc).split())})") from None
    y = data.mean(axis=1)
    if y.size == 0 or not np.all(np.isfinite(y)):
        raise See2SoundError(f"{path}: contains no usable audio samples")
    if sr != sample_rate:
        g = gcd(int(sr), int(sample_rate))
        y = resample_poly(y, sample_rate // g, sr // g, window=("kaiser", 8.6))
    return y


def fit_recording(
    y: np.ndarray, sample_rate: int, duration: float, kind: str | None, seed: int, rhythm=None
) -> np.ndarray:
    """Extend or trim a recording to ``duration`` s: seeded repetitions spaced by ``rhythm`` for
    one-shots, matched loops for textures (:mod:`see2sound.sound.oneshot`)."""
    from .oneshot import extend_one_shot, extend_texture

    kind = kind if kind in ("one_shot", "texture") else guess_kind(y, sample_rate)
    if kind == "one_shot":
        return extend_one_shot(y, sample_rate, duration, seed=seed, rhythm=rhythm)
    return extend_texture(y, sample_rate, duration, seed=seed)


def credit_of(entry: dict, starter: bool = False) -> dict:
    """The provenance/credits record of a library entry (``files`` item on the scene source).

    A starter recording is recorded by its portable name, ``package`` (:data:`.starter.PACKAGE`, what
    ``see2sound models fetch`` takes) and ``file`` within it, never by its path in this machine's cache
    (:func:`.starter.starter_path` finds it again); a recording of the user's own library by its path.
    """
    from .starter import PACKAGE

    where = {"package": PACKAGE} if starter else {"path": entry["path"]}
    record = {**where, "file": entry["file"], "title": entry.get("title", entry["file"])}
    for key in CREDIT_FIELDS[1:]:
        if entry.get(key):
            record[key] = entry[key]
    return record


def portable_provenance(provenance: dict) -> dict:
    """``provenance`` with every starter recording named portably (package and file), also those of
    stems cached before the portable names (which recorded the path in the cache)."""
    from .starter import PACKAGE, starter_library_dir

    folder = starter_library_dir()
    files = provenance.get("files")
    if folder is None or not isinstance(files, list):
        return provenance
    root = folder.resolve()
    out = []
    for record in files:
        path = Path(str(record.get("path", ""))) if isinstance(record, dict) else None
        if path is not None and path.is_absolute() and root in path.resolve().parents:
            record = {"package": PACKAGE, **{k: v for k, v in record.items() if k != "path"}}
            record["file"] = path.resolve().relative_to(root).as_posix()
        out.append(record)
    return {**provenance, "files": out}


def recording_path(record: dict) -> Path:
    """Where the recording of a provenance ``files`` record is on this machine (portable starter names
    are resolved in this machine's cache)."""
    from .starter import PACKAGE, starter_path

    if record.get("package") == PACKAGE:
        return starter_path(str(record.get("file", "")))
    return Path(str(record.get("path", "")))


def recording_audio(
    path, kind: str | None, request: SoundRequest, rhythm: str | None = None
) -> tuple[np.ndarray, str]:
    """A recording made into a stem for ``request``: mono at its rate, fitted to its duration with its
    seed and its events spaced by ``rhythm`` (a key of :data:`~.oneshot.RHYTHMS`), peak-limited; returns
    the stem and the kind used (``one_shot`` or ``texture``)."""
    from .oneshot import RHYTHMS

    y = read_mono(path, request.sample_rate)
    kind = kind or guess_kind(y, request.sample_rate)
    audio = fit_recording(
        y, request.sample_rate, request.duration, kind, request.seed, RHYTHMS.get(rhythm or "default")
    )
    return _level(audio).astype(np.float32), kind


def starter_library() -> Library | None:
    """The cached starter library (``see2sound models fetch sounds``), or ``None`` when absent."""
    try:
        from .starter import starter_library_dir
    except ImportError:
        return None
    folder = starter_library_dir()
    if folder is None:
        return None
    try:
        return load_library(folder, starter=True)
    except See2SoundError as exc:
        _warn(f"starter library ignored: {exc}")
        return None


class LibrarySound:
    """The ``library`` backend: the user's folders (in order), then the starter library; no synthesis.

    :meth:`find` returns the chosen entry or ``None``; :meth:`generate` raises when nothing matches.
    """

    name = "library"

    def __init__(self, libraries=(), allow_share_alike: bool = False, starter: bool = True, **_: object):
        self.libraries = [load_library(folder) for folder in libraries]
        if starter:
            lib = starter_library()
            if lib is not None:
                self.libraries.append(lib)
        self.allow_share_alike = allow_share_alike
        from .embedding import embedder_from_env

        self.embedder = embedder_from_env() if self.libraries else None
        self._embedding_cache: dict = {}
        model = str(self.embedder.folder) if self.embedder is not None else ""
        self.version = hashlib.sha1(
            ("|".join(f"{lib.root}:{lib.version}" for lib in self.libraries) + f"|{model}").encode()
        ).hexdigest()

    def find(self, request: SoundRequest) -> tuple[dict, Library] | None:
        return best_entry(
            self.libraries,
            request.label,
            request.prompt,
            request.seed,
            self.allow_share_alike,
            self.embedder,
            self._embedding_cache,
        )

    def cache_key(self, request: SoundRequest) -> dict:
        found = self.find(request)
        return {"index": self.version, "file": found[0]["path"] if found else None}

    def generate(self, request: SoundRequest) -> SoundResult:
        found = self.find(request)
        if found is None:
            where = ", ".join(str(lib.root) for lib in self.libraries) or "no library"
            raise See2SoundError(
                f"label {request.label!r}: no recording matches in {where}",
                hint="add tags or use --sound auto to synthesise unmatched labels",
            )
        entry, lib = found
        from .oneshot import rhythm_name

        rhythm = rhythm_name(*entry.get("tags", []), *entry.get("words", []), request.label)
        audio, kind = recording_audio(entry["path"], entry.get("kind"), request, rhythm)
        prov = {
            "backend": self.name,
            "library": "starter" if lib.starter else str(lib.root),
            "kind": kind,
            "rhythm": rhythm,
            "files": [credit_of(entry, lib.starter)],
        }
        if "similarity" in entry:
            prov["matched_by"] = f"embedding (cosine {entry['similarity']})"
        return SoundResult(audio, prov)


def _level(y: np.ndarray) -> np.ndarray:
    """Peak-limit to -1 dBFS (recordings keep their own level otherwise)."""
    peak = float(np.abs(y).max()) if y.size else 0.0
    return y * (0.891 / peak) if peak > 0.891 else y
