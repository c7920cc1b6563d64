"""``see2sound batch``: :func:`~see2sound.pipeline.run.run` over folders and manifests of many files.

Every item is written as ``run`` writes it, into ``OUTDIR/<name>/``. The engine is resumable and never
stops on a failure:

- a journal (``OUTDIR/journal.jsonl``, one JSON object per finished item, appended and fsynced) records
  each item's key — a hash of its input's bytes, its output name and every option — with its outputs, so
  an item already done with the same key is skipped on the next run and a changed option redoes it;
- each item is made in a temporary sibling folder (``.<name>.part-<pid>``) renamed into place when
  complete, so a killed batch leaves no half-written item; a redone item starts from a copy of its
  previous folder, so that ``run`` reuses the scene and stems the changed options do not affect;
- workers are processes (:class:`concurrent.futures.ProcessPoolExecutor`, spawned) or Ray actors, each
  loading its assets and backends once and keeping them for every item it takes.
"""

from __future__ import annotations

import contextlib
import csv
import hashlib
import io
import json
import logging
import multiprocessing
import os
import shutil
import signal
import threading
import time
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from ..errors import See2SoundError
from ..fileio import sha256_file
from ..log import get_logger
from ..media.images import IMAGE_SUFFIXES
from ..media.muxer import CONTAINERS

log = get_logger(__name__)

JOURNAL_NAME = "journal.jsonl"
SUMMARY_NAMES = ("summary.jsonl", "summary.csv")
# what PyAV (FFmpeg) reads as video, beyond the containers we also write
VIDEO_SUFFIXES = {
    *CONTAINERS,
    ".webm",
    ".avi",
    ".mpg",
    ".mpeg",
    ".ts",
    ".mts",
    ".m2ts",
    ".wmv",
    ".flv",
    ".ogv",
}
MEDIA_SUFFIXES = IMAGE_SUFFIXES | VIDEO_SUFFIXES
# manifest columns: the input, its output name, and the options a row may set for its item
MANIFEST_OPTIONS = {"prompt": str, "sources": int, "formats": list, "seed": int}
MANIFEST_ALIASES = {"format": "formats", "output": "name", "file": "path", "input": "path"}
EVALUATE_FIGURES = (
    "loudness_lufs",
    "true_peak_dbtp",
    "median_azimuth_error_deg",
    "median_elevation_error_deg",
)
# model backends (vision/models, sound/models) get a GPU per Ray actor when the cluster has GPUs
_STAGES = ("vision", "depth", "labels", "detector", "sound")


class BatchInterrupted(See2SoundError):
    """The batch was stopped by SIGINT/SIGTERM; finished items are kept and journalled."""

    def __init__(self, signum: int):
        super().__init__(
            f"stopped by {signal.Signals(signum).name}; finished items are kept, run again to go on"
        )
        self.signum = signum


@dataclass(frozen=True)
class Item:
    """One input and where it goes: ``OUTDIR/<name>/``, made with :func:`run` and ``options``."""

    path: Path
    name: str
    options: dict[str, Any] = field(hash=False, compare=False)


@dataclass
class BatchReport:
    """What a batch did: the latest journal record of every item, and how many were done now."""

    records: list[dict]
    done: int = 0
    skipped: int = 0
    failed: int = 0
    wall_s: float = 0.0
    first_done_s: float | None = None  # seconds from the start to the first item finished in this run

    @property
    def ok(self) -> bool:
        return all(r.get("status") == "ok" for r in self.records)


# --- inputs ---------------------------------------------------------------------------------------------


def media_files(folder: Path, exclude: Path | None = None) -> list[Path]:
    """Pictures, animations and videos under ``folder`` (recursively, by suffix; hidden files skipped)."""
    found = []
    for root, dirs, files in os.walk(folder):
        here = Path(root)
        dirs[:] = sorted(
            d for d in dirs if not d.startswith(".") and (exclude is None or (here / d).resolve() != exclude)
        )
        found += [
            here / f
            for f in sorted(files)
            if not f.startswith(".") and Path(f).suffix.lower() in MEDIA_SUFFIXES
        ]
    return found


def read_manifest(path: Path) -> list[dict[str, Any]]:
    """Rows of a ``.csv`` (with a header) or ``.jsonl`` manifest: ``path`` plus optional ``name``,
    ``prompt``, ``sources``, ``formats`` (comma-separated in CSV), ``seed``; relative paths are relative
    to the manifest's folder."""
    path = Path(path)
    if not path.is_file():
        raise See2SoundError(f"{path}: manifest not found")
    suffix = path.suffix.lower()
    try:
        text = path.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as exc:
        raise See2SoundError(f"{path}: cannot read manifest ({exc})") from None
    if suffix == ".csv":
        raw = list(csv.DictReader(io.StringIO(text)))
    elif suffix in (".jsonl", ".ndjson"):
        raw = []
        for number, line in enumerate(text.splitlines(), 1):
            if not line.strip():
                continue
            try:
                row = json.loads(line)
            except json.JSONDecodeError as exc:
                raise See2SoundError(f"{path}:{number}: not valid JSON ({exc.msg})") from None
            if not isinstance(row, dict):
                raise See2SoundError(f"{path}:{number}: expected a JSON object per line")
            raw.append(row)
    else:
        raise See2SoundError(f"{path}: manifest must be .csv or .jsonl")
    rows = []
    allowed = {"path", "name", *MANIFEST_OPTIONS}
    for number, row in enumerate(raw, 2 if suffix == ".csv" else 1):
        where = f"{path}:{number}"
        out: dict[str, Any] = {}
        for key, value in row.items():
            key = MANIFEST_ALIASES.get(str(key).strip().lower(), str(key).strip().lower())
            if key not in allowed:
                raise See2SoundError(
                    f"{where}: unknown column {key!r}; allowed: {', '.join(sorted(allowed))}"
                )
            if value is None or value == "":
                continue
            out[key] = _manifest_value(key, value, where)
        if "path" not in out:
            raise See2SoundError(f"{where}: no path")
        item_path = Path(out["path"]).expanduser()
        out["path"] = item_path if item_path.is_absolute() else path.parent / item_path
        rows.append(out)
    return rows


def _manifest_value(key: str, value: Any, where: str) -> Any:
    if key in ("path", "name", "prompt"):
        return str(value)
    if key == "formats":
        from ..cli.run import split_formats

        return split_formats(value if isinstance(value, list) else [str(value)])
    try:
        if isinstance(value, float) and not value.is_integer():
            raise ValueError
        return int(str(value).strip()) if not isinstance(value, int | float) else int(value)
    except ValueError:
        raise See2SoundError(f"{where}: {key} must be a whole number, got {value!r}") from None


def collect_items(
    inputs: Sequence[str | os.PathLike],
    options: dict[str, Any],
    manifest: str | os.PathLike | None = None,
    outdir: str | os.PathLike | None = None,
) -> list[Item]:
    """The items of a batch, in a fixed order with unique output names.

    Files keep their stem (``photo.jpg`` → ``photo``), files found in a folder keep their path below it
    (``trip/day1/beach.jpg`` → ``day1/beach``), a manifest row may name its output. A name already taken
    gets the input's suffix (``beach-png``), then a number (``beach-png-2``), in input order, so the same
    inputs always get the same names.
    """
    exclude = Path(outdir).resolve() if outdir is not None else None
    wanted: list[tuple[Path, str, dict]] = []
    for given in inputs:
        path = Path(given).expanduser()
        if path.is_dir():
            wanted += [
                (f, f.relative_to(path).with_suffix("").as_posix(), {}) for f in media_files(path, exclude)
            ]
        elif path.exists():
            wanted.append((path, path.stem, {}))
        else:
            raise See2SoundError(f"{path}: no such file or folder")
    if manifest is not None:
        for row in read_manifest(Path(manifest)):
            overrides = {k: row[k] for k in MANIFEST_OPTIONS if k in row}
            wanted.append((row["path"], row.get("name") or row["path"].stem, overrides))
    if not wanted:
        raise See2SoundError("no pictures, animations or videos to process")
    items, taken = [], set()
    for path, name, overrides in wanted:
        name = _safe_name(name, path)
        candidates = [name, f"{name}-{path.suffix.lstrip('.').lower()}"] if path.suffix else [name]
        unique = next((c for c in candidates if c not in taken), None)
        number = 2
        while unique is None:
            unique = f"{candidates[-1]}-{number}" if f"{candidates[-1]}-{number}" not in taken else None
            number += 1
        taken.add(unique)
        items.append(Item(path.resolve(), unique, {**options, **overrides}))
    return items


def _safe_name(name: str, path: Path) -> str:
    parts = [p for p in Path(name).as_posix().split("/") if p not in ("", ".")]
    if not parts or any(p == ".." or p.startswith(".") for p in parts):
        raise See2SoundError(
            f"{path}: output name {name!r} must be a relative path without '..' or hidden parts"
        )
    return "/".join(parts)


# --- the journal ----------------------------------------------------------------------------------------


class Journal:
    """``OUTDIR/journal.jsonl``: one JSON record per finished item, appended and fsynced; the latest wins."""

    def __init__(self, path: Path):
        self.path = path
        self.latest: dict[str, dict] = {}
        if path.exists():
            with open(path, encoding="utf-8") as fh:
                for line in fh:
                    try:
                        record = json.loads(line)
                    except json.JSONDecodeError:  # a line cut short by a crash of the machine
                        continue
                    if isinstance(record, dict) and isinstance(record.get("name"), str):
                        self.latest[record["name"]] = record

    def append(self, record: dict) -> None:
        line = json.dumps(record, sort_keys=True, allow_nan=False, default=str) + "\n"
        with open(self.path, "a", encoding="utf-8") as fh:
            fh.write(line)
            fh.flush()
            os.fsync(fh.fileno())
        self.latest[record["name"]] = record


def item_key(item: Item, input_hash: str) -> str:
    """What an item's outputs depend on: its input's bytes, its output name and every option."""
    text = json.dumps(
        {"input": input_hash, "name": item.name, "options": item.options}, sort_keys=True, default=str
    )
    return hashlib.sha256(text.encode()).hexdigest()[:24]


def _input_hash(path: Path, earlier: dict | None) -> tuple[str, list[int]]:
    """SHA-256 of the input, reused from the journal when its size and modification time are unchanged."""
    st = path.stat()
    stamp = [st.st_size, st.st_mtime_ns]
    if earlier and earlier.get("input_stat") == stamp and isinstance(earlier.get("input_sha256"), str):
        return earlier["input_sha256"], stamp
    return sha256_file(path), stamp


def _is_complete(record: dict | None, key: str, folder: Path) -> bool:
    return (
        record is not None
        and record.get("status") == "ok"
        and record.get("key") == key
        and folder.is_dir()
        and all((folder / name).is_file() for name in record.get("outputs", []))
    )


class _Warnings(logging.Handler):
    """The warnings an item's run logs, kept for its record instead of printed across the progress bar."""

    def __init__(self):
        super().__init__(logging.WARNING)
        self.lines: list[str] = []

    def emit(self, record: logging.LogRecord) -> None:
        self.lines.append(" ".join(record.getMessage().split()))

    def install(self) -> None:
        logger = logging.getLogger("see2sound")
        logger.handlers[:] = [self]
        logger.propagate = False
        logger.setLevel(logging.WARNING)

    def take(self) -> list[str]:
        lines, self.lines = self.lines, []
        return lines


_WARNINGS = _Warnings()


# --- one item, in a worker ------------------------------------------------------------------------------


def init_worker(formats: Iterable[str] = (), hrtf: str | None = None, sample_rate: int = 48000) -> None:
    """Load once per worker what every item needs: the pipeline's modules, the HRTF, and the backends,
    which the registries then keep for every item the worker takes."""
    with contextlib.suppress(ValueError):  # the parent handles Ctrl-C and stops the workers
        signal.signal(signal.SIGINT, signal.SIG_IGN)
    import importlib

    from ..registry import keep_instances

    for module in ("analyze", "sonify", "render", "run", "hrtf"):
        importlib.import_module(f"{__package__}.{module}")
    importlib.import_module("see2sound.evaluation.evaluate")

    keep_instances(True)
    _WARNINGS.install()
    if "binaural" in formats:
        from .hrtf import load_hrtf

        with contextlib.suppress(See2SoundError):  # a bad --hrtf is the item's error, reported per item
            load_hrtf(hrtf, sample_rate)


def process_item(item: Item, outdir: str | os.PathLike, key: str | None, evaluate: bool = True) -> dict:
    """Make one item into a temporary sibling folder, rename it into place; return its journal record.

    ``key`` None: hash the input here (an item the journal has never seen).

    Never raises for a failure of the item: the record says ``"status": "failed"`` with a one-line error.
    """
    from .run import run

    final = Path(outdir) / item.name
    tmp = final.with_name(f".{final.name}.part-{os.getpid()}")
    record: dict[str, Any] = {"name": item.name, "input": str(item.path), "key": key}
    started = time.perf_counter()
    marks: list[tuple[float, str]] = []
    _WARNINGS.take()
    try:
        if key is None:
            digest, stamp = _input_hash(item.path, None)
            record.update(key=item_key(item, digest), input_sha256=digest, input_stat=stamp)
        shutil.rmtree(tmp, ignore_errors=True)
        if final.is_dir():  # a redone item: `run` reuses what the changed options do not affect
            shutil.copytree(final, tmp, symlinks=True)
        result = run(
            item.path,
            tmp,
            overwrite=True,
            step=lambda text: marks.append((time.perf_counter(), text)),
            **item.options,
        )
        marks.append((time.perf_counter(), ""))
        outputs = [p.relative_to(tmp).as_posix() for p in result.paths()]
        _prune(tmp, outputs)
        record["timings_s"] = _stage_times(started, marks)
        scene = _scene_facts(result.scene)
        record.update(scene)
        if evaluate:
            t0 = time.perf_counter()
            record["evaluate"] = _evaluate_outputs(result)
            record["timings_s"]["evaluate"] = round(time.perf_counter() - t0, 3)
        record.update(status="ok", outputs=outputs, reused_scene=result.reused_scene)
        _replace(tmp, final)
    except Exception as exc:
        shutil.rmtree(tmp, ignore_errors=True)
        text = " ".join(str(exc).split()) or type(exc).__name__
        record.update(
            status="failed",
            error=text if isinstance(exc, See2SoundError) else f"{type(exc).__name__}: {text}",
        )
    record["warnings"] = _WARNINGS.take()
    record["wall_s"] = round(time.perf_counter() - started, 3)
    record["finished"] = time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime())
    return record


def _stage_times(started: float, marks: list[tuple[float, str]]) -> dict[str, float]:
    """Seconds per stage from the steps :func:`run` announces (analyse, sonify, render.<format>, mux)."""
    times: dict[str, float] = {}
    previous, name = started, "prepare"
    for when, text in marks:
        times[name] = round(times.get(name, 0.0) + when - previous, 3)
        previous, name = when, _stage_name(text)
    return times


def _stage_name(text: str) -> str:
    words = text.split()
    if not words:
        return "finish"
    if words[0] == "analysing":
        return "analyse"
    if words[0] == "making":
        return "sonify"
    if words[0] == "rendering" and len(words) > 1:
        return f"render.{words[1]}"
    if words[0] == "writing":
        return "mux"
    return words[0]


def _prune(folder: Path, outputs: list[str]) -> None:
    """Remove the audio/video files a previous run of a redone item left that this run did not write."""
    keep = set(outputs)
    for path in folder.iterdir():
        if (
            path.is_file()
            and path.name not in keep
            and path.suffix.lower() in {".wav", ".flac", *VIDEO_SUFFIXES}
        ):
            path.unlink()


def _replace(tmp: Path, final: Path) -> None:
    """Rename the finished folder into place (the previous one, if any, is moved aside and removed)."""
    old = final.with_name(f".{final.name}.old-{os.getpid()}")
    if final.exists():
        os.replace(final, old)
    os.replace(tmp, final)
    shutil.rmtree(old, ignore_errors=True)


def _scene_facts(scene_path: Path) -> dict:
    from ..scene import load_scene

    scene = load_scene(scene_path)
    return {
        "projection": scene.media.projection if scene.media is not None else None,
        "duration_s": scene.duration,
        "sources": [src.label or src.id for src in scene.sources],
    }


def _evaluate_outputs(result) -> dict[str, dict]:
    """The ``evaluate`` figures of every audio output: loudness, true peak, direction error."""
    from ..evaluation.evaluate import evaluate_render
    from ..formats import get_format
    from ..media.audio import read_audio
    from ..scene import load_scene

    scene = load_scene(result.scene)
    stems, figures = {}, {}
    for fmt, path in result.audio.items():
        y, sr = read_audio(path)
        for src in scene.sources:
            stem = scene.audio_path(src)
            if stem is not None and src.id not in stems:
                stems[src.id] = read_audio(stem, sample_rate=sr, mono=True)[0][0]
        report = evaluate_render(y, sr, get_format(fmt), scene, stems=stems or None)
        figures[fmt] = {k: report.get(k) for k in EVALUATE_FIGURES}
    return figures


# --- the batch ------------------------------------------------------------------------------------------


def run_batch(
    items: Sequence[Item],
    outdir: str | os.PathLike,
    *,
    workers: int | None = None,
    ray: bool = False,
    ray_address: str | None = None,
    retry_failed: bool = False,
    evaluate: bool = True,
    on_start: Callable[[int, int], object] | None = None,
    on_item: Callable[[dict], object] | None = None,
) -> BatchReport:
    """Process ``items`` into ``outdir`` with ``workers`` processes (default: the cores) or Ray actors.

    Parameters
    ----------
    items : sequence of Item
        From :func:`collect_items`.
    ray, ray_address : bool, str
        Run on Ray: a local one (``ray.init()``; an already initialised one is used) or the cluster at
        ``ray_address``. Inputs and ``outdir`` must then be paths every node can read and write.
    retry_failed : bool
        Take only the items whose latest record is a failure.
    on_start, on_item : callable, optional
        Called with (items to do, items skipped) before the work, and with each finished item's record.

    Returns
    -------
    BatchReport
        The latest record of every item; ``summary.jsonl`` and ``summary.csv`` are written into ``outdir``.

    Raises
    ------
    BatchInterrupted
        On SIGINT/SIGTERM, after stopping the workers, journalling what finished and writing the summary.
    """
    outdir = Path(outdir)
    try:
        outdir.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        raise See2SoundError(f"{outdir}: cannot create output folder ({exc.strerror or exc})") from None
    journal = Journal(outdir / JOURNAL_NAME)
    report = BatchReport(records=[])
    started = time.perf_counter()
    todo: list[tuple[Item, str]] = []
    keys: dict[str, dict] = {}
    for item in items:
        _clean_leftovers(outdir / item.name)
        earlier = journal.latest.get(item.name)
        if earlier is None and not retry_failed:  # nothing to compare with: the worker hashes the input
            todo.append((item, None))
            continue
        try:
            digest, stamp = _input_hash(item.path, earlier)
        except OSError as exc:
            digest, stamp = f"unreadable: {exc.strerror or exc}", None
        key = item_key(item, digest)
        keys[item.name] = {"input_sha256": digest, "input_stat": stamp}
        if _is_complete(earlier, key, outdir / item.name):
            report.skipped += 1
        elif retry_failed and (earlier is None or earlier.get("status") != "failed"):
            report.skipped += 1
        else:
            todo.append((item, key))
    if on_start is not None:
        on_start(len(todo), report.skipped)

    def finished(record: dict) -> None:
        record.update(keys.get(record["name"], {}))
        journal.append(record)
        report.done += 1
        report.failed += record["status"] != "ok"
        if report.first_done_s is None:
            report.first_done_s = time.perf_counter() - started
        if on_item is not None:
            on_item(record)

    stop = _StopSignals()
    try:
        with stop:
            if todo and ray:
                _run_on_ray(todo, outdir, workers, ray_address, evaluate, finished, stop)
            elif todo:
                _run_local(todo, outdir, workers, evaluate, finished, stop)
    finally:
        for item, _ in todo:
            _clean_leftovers(outdir / item.name)
        report.records = [journal.latest[i.name] for i in items if i.name in journal.latest]
        report.wall_s = time.perf_counter() - started
        write_summary(report.records, outdir)
    return report


def _clean_leftovers(final: Path) -> None:
    """Remove the temporary folders a killed batch left beside an item's folder."""
    if final.parent.is_dir():
        for path in final.parent.glob(f".{final.name}.part-*"):
            shutil.rmtree(path, ignore_errors=True)
        for path in final.parent.glob(f".{final.name}.old-*"):
            if not final.exists():  # killed between the two renames: the old folder is still whole
                os.replace(path, final)
            else:
                shutil.rmtree(path, ignore_errors=True)


class _StopSignals:
    """While active, SIGINT and SIGTERM set :attr:`signum` instead of stopping the process (main thread)."""

    def __init__(self):
        self.signum: int | None = None
        self._saved: dict[int, Any] = {}

    def __enter__(self):
        if threading.current_thread() is threading.main_thread():
            for sig in (signal.SIGINT, signal.SIGTERM):
                self._saved[sig] = signal.signal(sig, self._handle)
        return self

    def _handle(self, signum, _frame) -> None:
        self.signum = signum

    def __exit__(self, *exc) -> None:
        for sig, handler in self._saved.items():
            signal.signal(sig, handler)

    def check(self) -> None:
        if self.signum is not None:
            raise BatchInterrupted(self.signum)


def _init_args(items: Iterable[Item]) -> tuple[list[str], str | None, int]:
    items = list(items)
    first = items[0]
    formats = sorted({f for item in items for f in item.options.get("formats", ())})
    return formats, first.options.get("hrtf"), int(first.options.get("sample_rate", 48000))


def _run_local(todo, outdir, workers, evaluate, finished, stop) -> None:
    """Items on worker processes, two per worker in flight. A worker that dies (killed, out of memory)
    breaks the pool: it is started again, and an item in flight at two breaks is recorded as failed."""
    from concurrent.futures import FIRST_COMPLETED, ProcessPoolExecutor, wait
    from concurrent.futures.process import BrokenProcessPool

    workers = max(1, min(workers or os.cpu_count() or 1, len(todo)))
    method = "forkserver" if "forkserver" in multiprocessing.get_all_start_methods() else "spawn"
    queue = list(reversed(todo))
    strikes: dict[str, int] = {}
    while queue:
        pool = ProcessPoolExecutor(
            workers,
            mp_context=multiprocessing.get_context(method),
            initializer=init_worker,
            initargs=_init_args(item for item, _ in todo),
        )
        pending: dict = {}
        try:
            while queue or pending:
                stop.check()
                while queue and len(pending) < 2 * workers:
                    item, key = queue.pop()
                    pending[pool.submit(process_item, item, str(outdir), key, evaluate)] = (item, key)
                done, _ = wait(pending, timeout=0.25, return_when=FIRST_COMPLETED)
                for future in done:
                    item, key = pending.pop(future)
                    record = None
                    try:
                        record = future.result()
                    except BrokenProcessPool:
                        strikes[item.name] = strikes.get(item.name, 0) + 1
                        if strikes[item.name] < 2:
                            queue.append((item, key))
                        else:
                            record = _died(item, key)
                    except Exception as exc:  # the record could not come back (e.g. not picklable)
                        record = _died(item, key, f"{type(exc).__name__}: {' '.join(str(exc).split())}")
                    if record is not None:
                        finished(record)
                if any(isinstance(f.exception(), BrokenProcessPool) for f in done if not f.cancelled()):
                    queue += list(pending.values())  # in flight too: a strike each when they come back
                    raise BrokenProcessPool
        except BrokenProcessPool:
            _stop_workers(pool)
            continue
        except BaseException:
            _stop_workers(pool)
            raise
        pool.shutdown(wait=True)


def _died(item: Item, key: str, error: str = "") -> dict:
    error = error or "a worker died (killed or out of memory) twice while making this item"
    return {"name": item.name, "input": str(item.path), "key": key, "status": "failed", "error": error}


def _stop_workers(pool) -> None:
    pool.shutdown(wait=False, cancel_futures=True)
    for child in multiprocessing.active_children():
        child.terminate()
    for child in multiprocessing.active_children():
        child.join(5)


def model_backends(options: dict[str, Any]) -> list[str]:
    """The chosen backends that run a model (those in ``vision/models`` or ``sound/models``); ``auto``
    counts as the backend it picks here."""
    from ..sound.backends import SOUNDS
    from ..vision.backends import DEPTH, DETECTORS, LABELS, REGIONS

    registries = {"vision": REGIONS, "depth": DEPTH, "labels": LABELS, "detector": DETECTORS, "sound": SOUNDS}
    found = []
    for stage in _STAGES:
        name = options.get(stage) or "auto"
        try:
            backend = registries[stage].get(name)
        except See2SoundError:
            continue
        factory = backend.factory
        if ".models." in getattr(factory, "__module__", ""):
            found.append(f"{stage}={backend.name}")
    return found


def ray_install_hint() -> str:
    return 'Ray is not installed; install it with: pip install "see2sound[ray]"'


def ray_env() -> dict[str, str]:
    """The environment Ray workers need from the driver's: see2sound's and Hugging Face's settings and
    ``PYTHONPATH`` (made absolute, as workers start in another folder)."""
    env = {k: v for k, v in os.environ.items() if k.startswith(("SEE2SOUND_", "HF_"))}
    if os.environ.get("PYTHONPATH"):
        parts = os.environ["PYTHONPATH"].split(os.pathsep)
        env["PYTHONPATH"] = os.pathsep.join(str(Path(p).resolve()) for p in parts if p)
    return env


def _run_on_ray(todo, outdir, workers, address, evaluate, finished, stop) -> None:
    try:
        import ray
    except ImportError:
        raise See2SoundError(ray_install_hint()) from None

    started_here = not ray.is_initialized()
    if started_here:
        ray.init(address=address or None, runtime_env={"env_vars": ray_env()}, log_to_driver=False)
    actors: list = []
    try:
        cpus = int(ray.cluster_resources().get("CPU", 1))
        gpus = ray.cluster_resources().get("GPU", 0)
        count = max(1, min(workers or cpus, len(todo)))
        uses_model = any(model_backends(item.options) for item, _ in todo)
        num_gpus = min(1.0, gpus / count) if uses_model and gpus else 0
        worker = ray.remote(num_cpus=1, num_gpus=num_gpus)(_RayWorker)
        args = _init_args(item for item, _ in todo)
        actors = [worker.remote(*args) for _ in range(count)]
        queue = list(reversed(todo))
        running: dict = {}
        strikes: dict[str, int] = {}

        def feed(actor) -> None:
            if queue:
                item, key = queue.pop()
                running[actor.process.remote(item, str(outdir), key, evaluate)] = (actor, item, key)

        for actor in actors:
            feed(actor)
        while running:
            stop.check()
            ready, _ = ray.wait(list(running), num_returns=1, timeout=0.25)
            for ref in ready:
                actor, item, key = running.pop(ref)
                record = None
                try:
                    record = ray.get(ref)
                except ray.exceptions.RayActorError:  # replaced; its item goes again, or fails at two deaths
                    actor = worker.remote(*args)
                    actors.append(actor)
                    strikes[item.name] = strikes.get(item.name, 0) + 1
                    if strikes[item.name] < 2:
                        queue.append((item, key))
                    else:
                        record = _died(item, key)
                except Exception as exc:  # the record could not come back
                    record = _died(item, key, f"{type(exc).__name__}: {' '.join(str(exc).split())}")
                if record is not None:
                    finished(record)
                feed(actor)
    finally:
        for actor in actors:
            with contextlib.suppress(Exception):
                ray.kill(actor)
        if started_here:
            ray.shutdown()


class _RayWorker:
    """A Ray actor: loads what items need once (:func:`init_worker`), then takes items."""

    def __init__(self, *init_args):
        init_worker(*init_args)

    def process(self, item: Item, outdir: str, key: str, evaluate: bool) -> dict:
        return process_item(item, outdir, key, evaluate)


# --- the summary ----------------------------------------------------------------------------------------


def write_summary(records: list[dict], outdir: Path) -> None:
    """``summary.jsonl`` (the records) and ``summary.csv`` (one flat row per item), written atomically."""
    rows = [_flat(r) for r in records]
    columns = ["name", "input", "status", "error", "wall_s", "sources", "outputs", "warnings"]
    for row in rows:
        columns += [c for c in row if c not in columns]
    jsonl = "".join(json.dumps(r, sort_keys=True, default=str) + "\n" for r in records)
    text = io.StringIO()
    writer = csv.DictWriter(text, columns, lineterminator="\n")
    writer.writeheader()
    writer.writerows(rows)
    for name, content in zip(SUMMARY_NAMES, (jsonl, text.getvalue()), strict=True):
        tmp = outdir / f".{name}.part"
        tmp.write_text(content, encoding="utf-8")
        os.replace(tmp, outdir / name)


def _flat(record: dict) -> dict:
    row = {k: record.get(k, "") for k in ("name", "input", "status", "error", "wall_s")}
    row["sources"] = ";".join(record.get("sources", []))
    row["outputs"] = ";".join(record.get("outputs", []))
    row["warnings"] = " | ".join(record.get("warnings", []))
    for stage, seconds in record.get("timings_s", {}).items():
        row[f"time.{stage}"] = seconds
    for fmt, figures in record.get("evaluate", {}).items():
        for figure, value in figures.items():
            row[f"{fmt}.{figure}"] = "" if value is None else value
    return row
