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


def run_cli(args: list[str]) -> tuple[float, float]:
    """Wall seconds and peak RSS (MB) of one cold CLI process (its output folder removed first, so
    that nothing of an earlier run is reused)."""
    shutil.rmtree(args[args.index("-o") + 1], ignore_errors=True)
    exe = Path(sys.executable).with_name("see2sound")
    start = time.perf_counter()
    before = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss
    result = subprocess.run([str(exe), *args, "--quiet", "--overwrite"], capture_output=True, text=True)
    wall = time.perf_counter() - start
    if result.returncode != 0:
        raise SystemExit(f"see2sound {' '.join(args)} failed: {result.stderr.strip()}")
    peak = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss
    return wall, max(peak, before) / 1024


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--long", action="store_true", help="also the 10-minute 1080p video")
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
        print(f"cold CLI processes, median of {opts.runs} runs, {os.cpu_count()} cores")
        print(f"{'case':<40} {'median s':>9} {'goal s':>7} {'ratio':>6} {'peak RSS MB':>12}")
        for name, args, goal in cases:
            runs = [run_cli(args) for _ in range(opts.runs)]
            wall = statistics.median(w for w, _ in runs)
            print(f"{name:<40} {wall:9.2f} {goal:7.1f} {wall / goal:6.2f} {max(r for _, r in runs):12.0f}")
        if opts.long:
            t0 = time.perf_counter()
            make_video(tmp / "long1080.mp4", 600.0, 1920, 1080)
            print(f"(generated the 10-minute 1080p video in {time.perf_counter() - t0:.0f} s)")
            wall, rss = run_cli(["run", str(tmp / "long1080.mp4"), "-o", str(tmp / "o3"), "--format", "5.1"])
            print(
                f"{'10 min 1080p30 video -> 5.1 MP4':<40} {wall:9.2f} {'-':>7} {'-':>6} {rss:12.0f}"
                f"   (RSS goal 1500 MB: {'met' if rss <= 1500 else 'NOT met'}; {600 / wall:.1f}x real time)"
            )


if __name__ == "__main__":
    main()
