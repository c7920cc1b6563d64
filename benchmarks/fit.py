"""Does the soundtrack fit the picture? The corpus of real photos and clips, judged as a person would.

For every item of ``corpus.toml`` (fetched by ``corpus.py``) this runs ``see2sound run ITEM
--format 5.1`` with defaults, as a user would, through the CLI in a subprocess. It then renders
each source of the resulting scene ALONE (a copy of scene.json with that one source, through
``see2sound render``) and measures its level as heard: the integrated loudness (ITU-R BS.1770,
pyloudnorm, LFE dropped) of that 5.1 render. Relative to the loudest source, a source within 20 dB
is *voiced* and within 6 dB *prominent*. The rubric of the scene-understanding and mix issues:

- nothing voiced is wrong for the picture (its label, sound class, recording titles and prompt
  are matched word by word against the item's ``wrong`` list; a spot that is the neutral
  "ambience" filler is always wrong: a region whose sound is unknown is not voiced);
- something prominent is what a person expects (when ``expect`` is not empty);
- indoor/outdoor (the scene's ``room.kind``) is right (when ``outdoor`` is given);
- clips also: audio and picture of the output last equally long (50 ms); every source is at least
  30 dB quieter outside the time it is seen (its ``active`` span, or its trajectory's first to
  last key when that starts after 1 s); and where ``movers`` are named (people walking), a
  prominent source is theirs and moves.

Per item it prints pass/fail and why, every source (label, sound class, role, level as heard,
voiced/prominent), the surround share of the 5.1 output (energy in Ls+Rs over all channels but
the LFE) and its integrated loudness; then the fit rate. New scene fields (``role``, ``level``,
``extent``, ``evidence``, ``active``) are read when present.

Solo renders keep the CLI's default ``--loudness`` when that default keeps the scene's natural
level; when the default normalises every render to a target (so that each solo would come out
equally loud), they use ``--loudness off`` so that levels stay comparable.

Usage: python benchmarks/fit.py [--only ID ...] [--jobs N] [--keep DIR] [--json FILE]
"""

from __future__ import annotations

import argparse
import contextlib
import io
import json
import math
import os
import platform
import re
import subprocess
import sys
import tempfile
import time
from concurrent.futures import ProcessPoolExecutor
from dataclasses import asdict, dataclass, field
from pathlib import Path

import numpy as np
import pyloudnorm
import soundfile as sf
from corpus import CorpusError, Item, fetch, load_corpus, matches, select

VOICED_DB = 20.0
PROMINENT_DB = 6.0
QUIET_OUTSIDE_DB = 30.0
SYNC_TOLERANCE_S = 0.05
EDGE_GUARD_S = 0.5  # fades and reverb tails at a span's edges are not judged
MOVES_DEG = 5.0
NON_LFE = (0, 1, 2, 4, 5)  # L R C Ls Rs of a 5.1 file (L R C LFE Ls Rs)
SURROUND = (4, 5)
VIDEO_SUFFIXES = (".mp4", ".mov", ".mkv", ".webm")
# keys of a source's `sound` record that say what is heard (not who made it or where it lies)
HEARD_KEYS = {"sound_class", "title", "file", "prompt", "class", "layers", "files"}


# ---------------------------------------------------------------- what is heard


def heard_phrases(source: dict) -> list[str]:
    """What a source sounds like: from its `sound` record (class, prompt, recording titles and files,
    layers) when it has one, with the scene's class a recording was chosen for; else from its label,
    scene sound class and prompt."""
    out: list[str] = []

    def walk(value, key=None):
        if isinstance(value, dict):
            for k, v in value.items():
                if k in HEARD_KEYS:
                    walk(v, k)
        elif isinstance(value, list):
            for v in value:
                walk(v, key)
        elif isinstance(value, str) and key is not None:
            out.append(Path(value).stem if key == "file" else value)

    sound = source.get("sound") or {}
    walk(sound)
    if not out:
        out = [source.get(k) for k in ("label", "sound_class", "prompt")]
    elif not sound.get("sound_class") and source.get("sound_class"):
        out.append(source["sound_class"])  # a recording: the class it was chosen for
    return [s for s in out if isinstance(s, str) and s.strip()]


def heard_class(source: dict) -> str:
    sound = source.get("sound") or {}
    return str(sound.get("sound_class") or source.get("sound_class") or "")


def heard_name(source: dict) -> str:
    """A short 'what is heard' for the report: the class, or the recording's title."""
    sound = source.get("sound") or {}
    titles = [f.get("title") for f in sound.get("files") or [] if isinstance(f, dict) and f.get("title")]
    return "/".join(titles) if titles else heard_class(source)


# ---------------------------------------------------------------- audio measures


def read_51(path: Path) -> tuple[np.ndarray, int]:
    y, sr = sf.read(path, dtype="float64", always_2d=True)
    if y.shape[1] != 6:
        raise ValueError(f"{path.name}: {y.shape[1]} channels, expected 5.1")
    return y, sr


def loudness_lufs(y: np.ndarray, sr: int) -> float:
    """BS.1770 integrated loudness of a 5.1 signal, LFE dropped (pyloudnorm weights Ls/Rs by 1.41)."""
    x = y[:, NON_LFE]
    if x.shape[0] < int(0.4 * sr) or not np.any(x):
        return -math.inf
    with np.errstate(divide="ignore"):
        value = pyloudnorm.Meter(sr).integrated_loudness(x)
    return float(value) if np.isfinite(value) else -math.inf


def rms_db(y: np.ndarray) -> float:
    e = float(np.mean(y[:, NON_LFE] ** 2)) if y.size else 0.0
    return 10 * math.log10(e) if e > 0 else -math.inf


def level_as_heard(y: np.ndarray, sr: int) -> float:
    """Integrated loudness; where gating leaves nothing (a very quiet or short render), RMS in dBFS."""
    value = loudness_lufs(y, sr)
    return value if math.isfinite(value) else rms_db(y)


def surround_share(y: np.ndarray) -> float:
    e = np.sum(y[:, NON_LFE] ** 2, axis=0)
    total = float(e.sum())
    return float(e[[NON_LFE.index(c) for c in SURROUND]].sum()) / total if total > 0 else 0.0


def active_spans(source: dict) -> list[tuple[float, float]] | None:
    """The times a source is seen: its `active` span(s), else its trajectory's first to last key
    when that starts after 1 s; None when it is meant to sound all the time."""
    active = source.get("active")
    if active:
        if isinstance(active[0], (int, float)):
            return [(float(active[0]), float(active[1]))]
        return [(float(a), float(b)) for a, b in active]
    traj = source.get("trajectory") or []
    if len(traj) >= 1 and float(traj[0]["t"]) > 1.0:
        return [(float(traj[0]["t"]), float(traj[-1]["t"]))]
    return None


def quiet_outside(y: np.ndarray, sr: int, spans: list[tuple[float, float]]) -> float | None:
    """dB by which the source is quieter outside its spans than inside (edges guarded); None when
    there is no outside (or no inside) left to compare."""
    e = np.sum(y[:, NON_LFE] ** 2, axis=1)
    t = np.arange(e.size) / sr
    inside = np.zeros(e.size, bool)
    near = np.zeros(e.size, bool)
    for a, b in spans:
        inside |= (t >= a + EDGE_GUARD_S) & (t <= b - EDGE_GUARD_S)
        near |= (t >= a - EDGE_GUARD_S) & (t <= b + EDGE_GUARD_S)
    outside = ~near
    if not inside.any() or not outside.any():
        return None
    e_in, e_out = float(e[inside].mean()), float(e[outside].mean())
    if e_in <= 0:
        return None
    return math.inf if e_out <= 0 else 10 * math.log10(e_in / e_out)


def stream_span_s(path: Path, kind: str) -> float | None:
    """Seconds from the first to the end of the last packet of the file's first `kind` stream."""
    import av

    with av.open(str(path)) as container:
        streams = getattr(container.streams, kind)
        if not streams:
            return None
        stream = streams[0]
        first, end = None, None
        for packet in container.demux(stream):
            if packet.pts is None:
                continue
            pts = float(packet.pts * stream.time_base)
            dur = float((packet.duration or 0) * stream.time_base)
            first = pts if first is None else min(first, pts)
            end = pts + dur if end is None else max(end, pts + dur)
        if first is None:
            return float(stream.duration * stream.time_base) if stream.duration else None
        return end - first


def moves_deg(source: dict) -> float:
    traj = source.get("trajectory") or []
    if len(traj) < 2:
        return 0.0
    az = np.unwrap(np.radians([k["azimuth"] for k in traj]))
    el = [k.get("elevation", 0.0) for k in traj]
    return float(max(np.degrees(az.max() - az.min()), max(el) - min(el)))


# ---------------------------------------------------------------- the CLI


def cli_command() -> list[str]:
    return [sys.executable, "-m", "see2sound"]


def solo_loudness_args() -> list[str]:
    """Keep `render`'s default loudness unless that default normalises to a fixed target."""
    from see2sound.cli import main as cli_main

    buf = io.StringIO()
    with contextlib.redirect_stdout(buf), contextlib.redirect_stderr(buf):
        try:
            cli_main(["render", "--help"])
        except SystemExit:
            pass
    help_text = " ".join(buf.getvalue().split())
    block = help_text.split("--loudness", 1)[-1].split(" --", 1)[0]
    default = re.search(r"\[default:\s*([^\]]+)\]", block)
    if default and re.fullmatch(r"[-+]?\d+(\.\d+)?", default.group(1).strip()):
        return ["--loudness", "off"]
    return []


def render_solo(scene_path: Path, out_wav: Path, loudness_args: list[str]) -> None:
    """`see2sound render` in this process (the same entry point as the console script)."""
    from see2sound.cli import main as cli_main

    args = ["render", str(scene_path), "-o", str(out_wav), "--format", "5.1", "--overwrite", "-q"]
    buf = io.StringIO()
    with contextlib.redirect_stdout(buf), contextlib.redirect_stderr(buf):
        code = cli_main(args + loudness_args)
    if code != 0 or not out_wav.is_file():
        raise RuntimeError(f"see2sound render failed: {buf.getvalue().strip()[-300:]}")


# ---------------------------------------------------------------- judging one item


@dataclass
class SourceResult:
    id: str
    label: str
    sound_class: str
    heard: str
    role: str | None
    level_db: float | None  # scene `level` (dB SPL), when the scene has it
    extent: dict | None
    evidence: dict | None
    active: list | None
    loudness: float  # as heard alone, LUFS (or dBFS RMS where gating leaves nothing)
    rel_db: float = -math.inf
    voiced: bool = False
    prominent: bool = False
    wrong_terms: list[str] = field(default_factory=list)
    expect_terms: list[str] = field(default_factory=list)
    filler: bool = False
    quiet_outside_db: float | None = None
    moves_deg: float = 0.0
    heard_as: list[str] = field(default_factory=list)  # the words matched against expect/wrong
    scene_class: str = ""  # the scene's own `sound_class` (may disagree with what is heard)


@dataclass
class ItemResult:
    id: str
    media: str
    kind: str
    passed: bool
    reasons: list[str]
    seconds: float
    room_kind: str | None = None
    picture_kind: str | None = None
    output_lufs: float | None = None
    surround_share: float | None = None
    audio_s: float | None = None
    picture_s: float | None = None
    sources: list[SourceResult] = field(default_factory=list)
    error: str | None = None  # the run's one-line error when it failed
    problems: list[str] = field(default_factory=list)  # outputs missing (judged as failures)


def _scene_picture_kind(scene: dict) -> str | None:
    for where in (scene.get("vision") or {}, scene.get("media") or {}, scene):
        pk = where.get("picture") if isinstance(where, dict) else None
        if isinstance(pk, dict) and pk.get("kind"):
            return str(pk["kind"])
    return None


def judge(item: Item, media: Path, work: Path, loudness_args: list[str]) -> ItemResult:
    """Run the item through the CLI, measure every source alone, then apply the rubric."""
    t0 = time.perf_counter()
    result = measure(item, media, work, loudness_args)
    result.seconds = time.perf_counter() - t0
    return apply_rubric(item, result)


def measure(item: Item, media: Path, work: Path, loudness_args: list[str]) -> ItemResult:
    out = work / item.id
    cmd = [*cli_command(), "run", str(media), "--format", "5.1", "-o", str(out), "--overwrite", "-q"]
    done = subprocess.run(cmd, capture_output=True, text=True, check=False)
    result = ItemResult(item.id, item.media, item.kind, False, [], 0.0)
    if done.returncode != 0:
        tail = (done.stderr or done.stdout).strip().splitlines()
        result.error = tail[-1] if tail else f"exit {done.returncode}"
        return result
    scene = json.loads((out / "scene.json").read_text(encoding="utf-8"))
    result.room_kind = (scene.get("room") or {}).get("kind")
    result.picture_kind = _scene_picture_kind(scene)
    wavs = sorted(out.glob("*.5.1.wav"))
    if wavs:
        y, sr = read_51(wavs[0])
        result.output_lufs = loudness_lufs(y, sr)
        result.surround_share = surround_share(y)
    else:
        result.problems.append("no 5.1 WAV written")

    # each source alone, as heard
    for src in scene.get("sources") or []:
        solo_scene = out / f".solo_{src['id']}.json"
        solo_wav = out / f".solo_{src['id']}.wav"
        solo_scene.write_text(json.dumps(dict(scene, sources=[src])), encoding="utf-8")
        render_solo(solo_scene, solo_wav, loudness_args)
        y, sr = read_51(solo_wav)
        measured = SourceResult(
            id=src["id"],
            label=str(src.get("label", "")),
            sound_class=heard_class(src),
            heard=heard_name(src),
            role=src.get("role"),
            level_db=src.get("level"),
            extent=src.get("extent"),
            evidence=src.get("evidence"),
            active=src.get("active"),
            loudness=level_as_heard(y, sr),
            filler=heard_class(src) == "ambience" and src.get("role") != "bed",
            moves_deg=moves_deg(src),
            heard_as=heard_phrases(src),
            scene_class=str(src.get("sound_class") or ""),
        )
        if item.media == "clip":
            spans = active_spans(src)
            if spans is not None:
                measured.quiet_outside_db = quiet_outside(y, sr, spans)
        result.sources.append(measured)
        if not os.environ.get("FIT_KEEP_SOLOS"):
            solo_wav.unlink(missing_ok=True)
            solo_scene.unlink(missing_ok=True)

    if item.media == "clip":
        video = [p for p in out.iterdir() if p.is_file() and p.suffix.lower() in VIDEO_SUFFIXES]
        if video:
            result.audio_s = stream_span_s(video[0], "audio")
            result.picture_s = stream_span_s(video[0], "video")
        else:
            result.problems.append("no video written")
            result.audio_s = float(scene.get("duration") or 0.0)
            result.picture_s = stream_span_s(media, "video")
    return result


def apply_rubric(item: Item, result: ItemResult) -> ItemResult:
    """Judge measured levels and words against the item's labels (no rendering: --rescore uses it)."""
    loudest = max((s.loudness for s in result.sources), default=-math.inf)
    for s in result.sources:
        s.wrong_terms = [w for w in item.wrong if matches(w, s.heard_as)]
        s.expect_terms = [w for w in item.expect if matches(w, s.heard_as)]
        s.rel_db, s.voiced, s.prominent = -math.inf, False, False
        if math.isfinite(s.loudness) and math.isfinite(loudest):
            s.rel_db = s.loudness - loudest
            s.voiced = s.rel_db >= -VOICED_DB
            s.prominent = s.rel_db >= -PROMINENT_DB

    if result.error:
        result.reasons = [f"run failed: {result.error}"]
        result.passed = False
        return result
    reasons = list(result.problems)
    for s in result.sources:
        if s.voiced and s.wrong_terms:
            reasons.append(
                f"wrong voiced: {s.id} {s.label!r} → {s.heard} ({', '.join(s.wrong_terms)})"
                f" at {s.rel_db:+.1f} dB"
            )
        elif s.voiced and s.filler:
            reasons.append(f"filler voiced: {s.id} {s.label!r} → neutral ambience at {s.rel_db:+.1f} dB")
    if item.expect and not any(s.prominent and s.expect_terms for s in result.sources):
        reasons.append(f"nothing expected is prominent (expect {', '.join(item.expect)})")
    if item.outdoor is not None:
        want = "outdoor" if item.outdoor else "indoor"
        if result.room_kind != want:
            reasons.append(f"room is {result.room_kind or 'missing'}, expected {want}")
    if item.media == "clip":
        if result.audio_s is None or result.picture_s is None:
            reasons.append("audio or picture duration unreadable")
        elif abs(result.audio_s - result.picture_s) > SYNC_TOLERANCE_S:
            reasons.append(f"audio {result.audio_s:.3f} s vs picture {result.picture_s:.3f} s")
        for s in result.sources:
            if s.quiet_outside_db is not None and s.quiet_outside_db < QUIET_OUTSIDE_DB:
                quieter = f"{s.quiet_outside_db:.1f} dB"
                reasons.append(f"{s.id} {s.label!r} only {quieter} quieter outside its span")
        if item.movers:
            follows = [
                s
                for s in result.sources
                if s.prominent and matches_any(item.movers, s) and s.moves_deg >= MOVES_DEG
            ]
            if not follows:
                reasons.append(f"no prominent moving source for {', '.join(item.movers)}")
    result.reasons = reasons
    result.passed = not reasons
    return result


def load_results(path: Path) -> list[ItemResult]:
    """Results saved by --json, to judge again against the current labels."""
    payload = json.loads(path.read_text(encoding="utf-8"))

    def number(v):
        return -math.inf if v is None else v

    results = []
    for raw in payload["items"]:
        sources = [
            SourceResult(**dict(s, loudness=number(s["loudness"]), rel_db=number(s["rel_db"])))
            for s in raw.pop("sources")
        ]
        results.append(ItemResult(**raw, sources=sources))
    return results


def matches_any(terms: tuple[str, ...], s: SourceResult) -> bool:
    return any(matches(t, [s.label]) for t in terms)


def _judge_safely(item: Item, media: Path, work: Path, loudness_args: list[str]) -> ItemResult:
    try:
        return judge(item, media, work, loudness_args)
    except Exception as exc:  # one broken item must not stop the benchmark; it fails with the reason
        error = f"{type(exc).__name__}: {exc}"
        result = ItemResult(item.id, item.media, item.kind, False, [], 0.0, error=error)
        return apply_rubric(item, result)


# ---------------------------------------------------------------- report


def _db(v: float | None, unit: str = "") -> str:
    if v is None:
        return "n/a"
    return "-inf" if not math.isfinite(v) else f"{v:.1f}{unit}"


def print_item(item: Item, r: ItemResult) -> None:
    where = "" if item.outdoor is None else ("outdoor" if item.outdoor else "indoor")
    head = f"{'PASS' if r.passed else 'FAIL'}  {r.id:20} {item.kind:9} {where:7}"
    tail = f"room {r.room_kind or '-'}"
    if r.picture_kind:
        tail += f", seen as {r.picture_kind}"
    if r.output_lufs is not None:
        tail += f", output {_db(r.output_lufs, ' LUFS')}, surround {100 * (r.surround_share or 0):.1f} %"
    if r.media == "clip" and r.audio_s is not None and r.picture_s is not None:
        tail += f", audio {r.audio_s:.3f} s / picture {r.picture_s:.3f} s"
    print(f"{head} {tail}  ({r.seconds:.1f} s)")
    for reason in r.reasons:
        print(f"      why: {reason}")
    for s in sorted(r.sources, key=lambda s: -s.loudness if math.isfinite(s.loudness) else math.inf):
        flag = "prominent" if s.prominent else "voiced" if s.voiced else "under"
        marks = []
        if s.wrong_terms:
            marks.append("WRONG " + ",".join(s.wrong_terms))
        if s.filler:
            marks.append("FILLER")
        if s.expect_terms:
            marks.append("expected " + ",".join(s.expect_terms))
        if s.scene_class and s.scene_class not in (s.sound_class, s.label):
            marks.append(f"scene says {s.scene_class!r}")
        if s.level_db is not None:
            marks.append(f"level {s.level_db:.0f} dB SPL")
        if s.extent:
            marks.append(f"extent {s.extent.get('width', 0):.0f}x{s.extent.get('height', 0):.0f}")
        if s.quiet_outside_db is not None:
            marks.append(f"outside {_db(s.quiet_outside_db, ' dB')} quieter")
        if s.moves_deg:
            marks.append(f"moves {s.moves_deg:.0f} deg")
        print(
            f"      {s.id:4} {str(s.role or '-'):4} {s.label[:18]:18} {s.heard[:30]:30} "
            f"{_db(s.loudness):>6} {_db(s.rel_db):>6} dB {flag:9} {' | '.join(marks)}"
        )


def summary(items: list[Item], results: list[ItemResult], seconds: float, jobs: int) -> dict:
    by_id = {i.id: i for i in items}
    out = {}
    for media in ("photo", "clip"):
        rs = [r for r in results if r.media == media]
        if rs:
            out[media] = (sum(r.passed for r in rs), len(rs))
    kinds = {}
    for r in results:
        if r.media == "photo":
            p, n = kinds.get(by_id[r.id].kind, (0, 0))
            kinds[by_id[r.id].kind] = (p + r.passed, n + 1)
    print()
    for media, (p, n) in out.items():
        print(f"fit rate, {media}s: {p}/{n} = {100 * p / n:.0f} %")
    print("photos by kind: " + ", ".join(f"{k} {p}/{n}" for k, (p, n) in sorted(kinds.items())))
    ok = sum(r.passed for r in results)
    print(f"all: {ok}/{len(results)} = {100 * ok / max(1, len(results)):.0f} %")
    print(f"{len(results)} items in {seconds:.0f} s with --jobs {jobs} on {machine()}")
    return {"fit": {m: {"passed": p, "total": n} for m, (p, n) in out.items()}, "by_kind": kinds}


def machine() -> str:
    return f"{os.cpu_count()} CPUs, {platform.machine()}, Python {platform.python_version()}"


def _jsonable(obj):
    if isinstance(obj, float) and not math.isfinite(obj):
        return None
    if isinstance(obj, dict):
        return {k: _jsonable(v) for k, v in obj.items()}
    if isinstance(obj, list):
        return [_jsonable(v) for v in obj]
    return obj


def rescore(items: list[Item], path: Path, kept: Path | None) -> None:
    """Judge saved results again; with the kept outputs, re-read what each source is heard as."""
    by_id = {r.id: r for r in load_results(path)}
    for r in by_id.values():
        scene_path = kept / r.id / "scene.json" if kept else None
        if scene_path and scene_path.is_file():
            scene = {s["id"]: s for s in json.loads(scene_path.read_text(encoding="utf-8"))["sources"]}
            for s in r.sources:
                s.heard_as = heard_phrases(scene[s.id])
                s.scene_class = str(scene[s.id].get("sound_class") or "")
    missing = [i.id for i in items if i.id not in by_id]
    if missing:
        print(f"not in {path.name} (not judged): {', '.join(missing)}")
    items = [i for i in items if i.id in by_id]
    for item in items:
        print_item(item, apply_rubric(item, by_id[item.id]))
    summary(items, [by_id[i.id] for i in items], sum(by_id[i.id].seconds for i in items), 1)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--only", nargs="+", metavar="ID", help="judge only these corpus items")
    parser.add_argument("--jobs", type=int, default=1, help="items judged in parallel (default 1)")
    parser.add_argument("--keep", type=Path, metavar="OUT_DIR", help="keep every run's output here")
    parser.add_argument("--json", type=Path, metavar="FILE", help="save the results as JSON")
    parser.add_argument(
        "--rescore",
        type=Path,
        metavar="FILE",
        help="judge results saved by --json again (labels changed); with --keep, re-read the kept scenes",
    )
    args = parser.parse_args()
    if args.jobs < 1:
        sys.exit("error: --jobs must be at least 1")
    try:
        _, items = load_corpus()
        items = select(items, args.only)
        if args.rescore:
            return rescore(items, args.rescore, args.keep)
        paths = fetch(items)
    except CorpusError as exc:
        sys.exit(f"error: {exc}")
    loudness_args = solo_loudness_args()
    print(f"solo renders: {' '.join(loudness_args) or 'default loudness'}")
    t0 = time.perf_counter()
    with contextlib.ExitStack() as stack:
        if args.keep:
            work = args.keep
            work.mkdir(parents=True, exist_ok=True)
        else:
            work = Path(stack.enter_context(tempfile.TemporaryDirectory(prefix="see2sound-fit-")))
        results = []
        if args.jobs == 1:
            for item in items:
                r = _judge_safely(item, paths[item.id], work, loudness_args)
                print_item(item, r)
                results.append(r)
        else:
            with ProcessPoolExecutor(args.jobs) as pool:
                futures = [pool.submit(_judge_safely, i, paths[i.id], work, loudness_args) for i in items]
                for item, fut in zip(items, futures, strict=True):
                    r = fut.result()
                    print_item(item, r)
                    results.append(r)
    totals = summary(items, results, time.perf_counter() - t0, args.jobs)
    if args.json:
        payload = {
            "date": time.strftime("%Y-%m-%d %H:%M UTC", time.gmtime()),
            "machine": machine(),
            "solo_loudness": loudness_args or "default",
            "totals": totals,
            "items": [asdict(r) for r in results],
        }
        args.json.write_text(json.dumps(_jsonable(payload), indent=1), encoding="utf-8")


if __name__ == "__main__":
    main()
