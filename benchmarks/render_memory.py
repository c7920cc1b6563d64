"""Benchmark: peak memory of ``render`` (scene file in, WAV out) against the scene's duration.

8 moving sources (a key per second: azimuth, elevation and distance all change), stems read from 16-bit
WAV files, rendered to 5.1 at 48 kHz for 5, 15 and 30 minutes, and to 7.1.4 for 15 minutes (and, with
``--loudness``, 5.1 normalised to -23 LUFS: a measuring pass, then the writing pass). Each render runs in
a fresh process whose peak resident memory (``ru_maxrss``) is reported with its wall time and the load
average. The named reference is the render held in memory (:func:`see2sound.spatial.render.render_scene`
then :func:`see2sound.media.audio.write_audio`, what ``render`` did before it streamed), run on the same
scenes up to ``--reference-minutes``. Goal (issue 23): peak RSS independent of the duration, at most
1 GB for 30 minutes of 8 sources in 5.1.

    python benchmarks/render_memory.py [--minutes 5 15 30] [--reference-minutes 15] [--loudness]
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tempfile
from pathlib import Path

import numpy as np
import soundfile as sf

SR = 48000
N_SOURCES = 8

CHILD = r"""
import json, resource, sys, time
mode, scene, out, fmt, loudness = sys.argv[1:6]
loudness = None if loudness == "natural" else float(loudness)
start = time.perf_counter()
if mode == "streamed":
    from see2sound.pipeline.render import render
    render(scene, out, format=fmt, loudness_lufs=loudness, overwrite=True)
else:  # the reference: the whole render in memory, then written
    from see2sound.media.audio import write_audio
    from see2sound.pipeline.render import load_stems
    from see2sound.scene import load_scene
    from see2sound.spatial.render import RenderOptions, render_scene
    s = load_scene(scene)
    options = RenderOptions(format=fmt, loudness_lufs=loudness)
    y = render_scene(s, load_stems(s, s.sample_rate), options)
    write_audio(out, y, s.sample_rate, fmt, overwrite=True)
rss = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * 1024
print(json.dumps({"rss": rss, "wall": time.perf_counter() - start}))
"""


def write_stems(folder: Path, seconds: float) -> list[Path]:
    """Noise stems with a slow level change, written a minute at a time (16-bit WAV)."""
    paths = []
    rng = np.random.default_rng(0)
    n = int(seconds * SR)
    for i in range(N_SOURCES):
        path = folder / f"s{i}.wav"
        paths.append(path)
        if path.exists() and sf.info(str(path)).frames >= n:
            continue
        with sf.SoundFile(str(path), "w", SR, 1, subtype="PCM_16") as fh:
            for s0 in range(0, n, 60 * SR):
                k = min(60 * SR, n - s0)
                t = (s0 + np.arange(k)) / SR
                level = 0.05 * (1.2 + np.sin(2 * np.pi * t / (17 + 3 * i)))
                fh.write((rng.standard_normal(k) * level).astype(np.float32))
    return paths


def write_scene(folder: Path, seconds: float) -> Path:
    rng = np.random.default_rng(1)
    sources = []
    for i in range(N_SOURCES):
        az0, speed = rng.uniform(-180, 180), rng.uniform(-30, 30)
        keys = [
            {
                "t": float(t),
                "azimuth": float((az0 + speed * t + 180) % 360 - 180),
                "elevation": float(30 * np.sin(0.05 * t + i)),
                "distance": float(3 + 2 * np.sin(0.02 * t + 2 * i)),
            }
            for t in range(int(np.ceil(seconds)) + 1)
        ]
        sources.append({"id": f"s{i}", "audio": f"s{i}.wav", "trajectory": keys})
    path = folder / f"scene_{seconds:g}.json"
    data = {"version": 1, "sample_rate": SR, "duration": seconds, "sources": sources}
    path.write_text(json.dumps(data))
    return path


def measure(mode: str, scene: Path, fmt: str, loudness: str, out: Path) -> dict:
    env = dict(os.environ)
    env["PYTHONPATH"] = os.pathsep.join(
        [str(Path(__file__).resolve().parents[1] / "src"), env.get("PYTHONPATH", "")]
    )
    done = subprocess.run(
        [sys.executable, "-c", CHILD, mode, str(scene), str(out), fmt, loudness],
        env=env, capture_output=True, text=True, check=False,
    )  # fmt: skip
    if done.returncode != 0:
        raise SystemExit(f"{mode} {scene.name} {fmt}: failed\n{done.stderr[-2000:]}")
    return json.loads(done.stdout.strip().splitlines()[-1])


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--minutes", type=float, nargs="+", default=[5, 15, 30])
    parser.add_argument(
        "--reference-minutes", type=float, default=15.0, help="in-memory reference up to this"
    )
    parser.add_argument("--loudness", action="store_true", help="also 5.1 at -23 LUFS (two passes)")
    parser.add_argument("--workdir", type=Path, default=None, help="where stems and outputs go")
    args = parser.parse_args()
    work = args.workdir or Path(tempfile.mkdtemp(prefix="render_memory_"))
    work.mkdir(parents=True, exist_ok=True)
    longest = max(args.minutes) * 60
    print(f"stems: {N_SOURCES} x {longest / 60:g} min, 16-bit WAV, in {work}")
    write_stems(work, longest)
    cases = [(m, "5.1", "natural") for m in args.minutes]
    cases.append((min(15.0, max(args.minutes)), "7.1.4", "natural"))
    if args.loudness:
        cases.append((max(args.minutes), "5.1", "-23"))
    print(f"{'minutes':>7} {'format':>6} {'loudness':>8} {'mode':>9} {'peak RSS':>9} {'wall s':>7} "
          f"{'MB per min':>10} {'load avg':>15}")  # fmt: skip
    rows = {}
    for minutes, fmt, loudness in cases:
        scene = write_scene(work, minutes * 60)
        modes = ["streamed"] + (["in memory"] if minutes <= args.reference_minutes else [])
        for mode in modes:
            result = measure(mode.replace(" ", "_"), scene, fmt, loudness, work / "out.wav")
            load = "/".join(f"{x:.1f}" for x in os.getloadavg())
            rows[(minutes, fmt, loudness, mode)] = result["rss"]
            print(
                f"{minutes:>7g} {fmt:>6} {loudness:>8} {mode:>9} {result['rss'] / 2**20:>7.0f} MB "
                f"{result['wall']:>7.1f} {result['rss'] / 2**20 / minutes:>10.1f} {load:>15}",
                flush=True,
            )
        (work / "out.wav").unlink(missing_ok=True)
    streamed = [rows[(m, "5.1", "natural", "streamed")] for m in args.minutes]
    print(f"streamed 5.1, longest / shortest peak RSS: {streamed[-1] / streamed[0]:.2f}x "
          f"({max(args.minutes):g} vs {min(args.minutes):g} min)")  # fmt: skip
    for (m, fmt, loud, mode), rss in rows.items():
        if mode == "in memory":
            ratio = rows[(m, fmt, loud, "streamed")] / rss
            print(f"{m:g} min {fmt} {loud}: streamed / in memory peak RSS = {ratio:.2f}")
    print(
        f"goal: 30 min 5.1 <= 1024 MB: {'met' if streamed[-1] <= 2**30 else 'NOT met'} "
        if 30 in args.minutes
        else ""
    )


if __name__ == "__main__":
    main()
