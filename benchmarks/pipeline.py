"""Benchmark the whole pipeline as users meet it: cold `see2sound run` processes (issue 6).

1. A 1024x768 photo (scikit-image's coffee sample, upscaled) -> 5.1 + binaural (goal <= 3 s wall).
2. A 10 s 720p30 H.264 video -> 5.1 MP4 (goal <= 10 s wall).
3. With --long: a 10-minute 1080p30 video -> 5.1 MP4, peak RSS of the process tree (goal <= 1.5 GB).

Each case runs the CLI in a fresh process (cold imports included), median of --runs runs; the input
videos are generated once into a temporary folder. Peak RSS is the child's ru_maxrss.

    python benchmarks/pipeline.py [--runs 3] [--long]
"""

from __future__ import annotations

import argparse
import os
import resource
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import av
import numpy as np
from PIL import Image, ImageDraw


def make_photo(path: Path) -> None:
    from skimage import data

    Image.fromarray(data.coffee()).resize((1024, 768), Image.Resampling.LANCZOS).save(path, quality=92)


def make_video(path: Path, seconds: float, width: int, height: int, fps: int = 30) -> None:
    """A moving red car over sky, grass and road (cheap to encode: ultrafast preset)."""
    background = Image.new("RGB", (width, height), (110, 160, 210))
    d = ImageDraw.Draw(background)
    d.rectangle([0, int(height * 0.55), width, int(height * 0.7)], fill=(70, 130, 60))
    d.rectangle([0, int(height * 0.7), width, height], fill=(60, 60, 65))
    base = np.asarray(background)
    n = int(seconds * fps)
    car_w, car_h = width // 8, height // 12
    y0 = int(height * 0.72)
    with av.open(str(path), "w") as out:
        stream = out.add_stream("libx264", rate=fps, options={"preset": "ultrafast", "crf": "30"})
        stream.width, stream.height, stream.pix_fmt = width, height, "yuv420p"
        for i in range(n):
            frame = base.copy()
            x = int((i / n) * (width - car_w))
            frame[y0 : y0 + car_h, x : x + car_w] = (200, 30, 30)
            for packet in stream.encode(av.VideoFrame.from_ndarray(frame, format="rgb24")):
                out.mux(packet)
        for packet in stream.encode():
            out.mux(packet)


def run_cli(args: list[str], src: str | None = None) -> tuple[float, float, float]:
    """Wall seconds, CPU seconds (user + system) and peak RSS (MB) of one cold CLI process (its output
    folder removed first, so that nothing of an earlier run is reused). ``src``: run the package found
    in that folder instead of the installed one (a baseline copy of ``src/``)."""
    shutil.rmtree(args[args.index("-o") + 1], ignore_errors=True)
    exe = Path(sys.executable).with_name("see2sound")
    env = dict(os.environ, PYTHONPATH=src) if src else None
    usage = resource.getrusage(resource.RUSAGE_CHILDREN)
    start = time.perf_counter()
    result = subprocess.run(
        [str(exe), *args, "--quiet", "--overwrite"], capture_output=True, text=True, env=env
    )
    wall = time.perf_counter() - start
    if result.returncode != 0:
        raise SystemExit(f"see2sound {' '.join(args)} failed: {result.stderr.strip()}")
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    cpu = (after.ru_utime - usage.ru_utime) + (after.ru_stime - usage.ru_stime)
    return wall, cpu, max(after.ru_maxrss, usage.ru_maxrss) / 1024


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--long", action="store_true", help="also the 10-minute 1080p video")
    parser.add_argument(
        "--baseline-src",
        help="a copy of an earlier src/ folder: run it too, alternating with the current code, and "
        "print both (same machine, same load)",
    )
    opts = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        tmp = Path(tmp)
        make_photo(tmp / "photo.jpg")
        make_video(tmp / "clip720.mp4", 10.0, 1280, 720)
        cases = [
            (
                "1024x768 photo -> 5.1 + binaural",
                [
                    "run",
                    str(tmp / "photo.jpg"),
                    "-o",
                    str(tmp / "o1"),
                    "--format",
                    "5.1",
                    "--format",
                    "binaural",
                ],
                3.0,
            ),
            (
                "10 s 720p30 video -> 5.1 MP4",
                ["run", str(tmp / "clip720.mp4"), "-o", str(tmp / "o2"), "--format", "5.1"],
                10.0,
            ),
        ]
        print(
            f"cold CLI processes, median of {opts.runs} runs, {os.cpu_count()} cores, "
            f"load average {os.getloadavg()[0]:.1f} at the start"
        )
        print(
            f"{'case':<40} {'code':<9} {'median s':>9} {'CPU s':>6} {'goal s':>7} {'ratio':>6} "
            f"{'peak RSS MB':>12}"
        )
        for name, args, goal in cases:
            variants = [("current", None)] + ([("baseline", opts.baseline_src)] if opts.baseline_src else [])
            runs: dict[str, list] = {label: [] for label, _ in variants}
            for _ in range(opts.runs):  # alternate, so that both see the same load
                for label, src in variants:
                    runs[label].append(run_cli(args, src))
            for label, _ in variants:
                wall = statistics.median(r[0] for r in runs[label])
                cpu = statistics.median(r[1] for r in runs[label])
                print(
                    f"{name:<40} {label:<9} {wall:9.2f} {cpu:6.2f} {goal:7.1f} {wall / goal:6.2f} "
                    f"{max(r[2] for r in runs[label]):12.0f}"
                )
        if opts.long:
            t0 = time.perf_counter()
            make_video(tmp / "long1080.mp4", 600.0, 1920, 1080)
            print(f"(generated the 10-minute 1080p video in {time.perf_counter() - t0:.0f} s)")
            wall, _, rss = run_cli(
                ["run", str(tmp / "long1080.mp4"), "-o", str(tmp / "o3"), "--format", "5.1"]
            )
            print(
                f"{'10 min 1080p30 video -> 5.1 MP4':<40} {wall:9.2f} {'-':>7} {'-':>6} {rss:12.0f}"
                f"   (RSS goal 1500 MB: {'met' if rss <= 1500 else 'NOT met'}; {600 / wall:.1f}x real time)"
            )


if __name__ == "__main__":
    main()
