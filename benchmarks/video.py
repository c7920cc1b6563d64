"""Benchmark videos end to end: `see2sound run` on a 10 s and a 3-minute 720p30 clip (issue 16).

Goals (2-core machine): at least 2x faster than real time for both clips; peak RSS <= 1 GB for the
3-minute clip. Each case runs the CLI in a fresh process (cold imports included) with the defaults
(5.1 + binaural, 4 sources, the video muxed), once with this checkout's package and once with a
reference copy (``--reference``: a folder holding another checkout's ``src``, e.g. the main branch), and
prints the ratio. Where the time goes: the CLI's own per-step timings (analysis, sounds, each render,
the mux). Peak RSS is the child's own ``ru_maxrss`` (``os.wait4``).

The clips: a moving red car and a walking figure over sky, grass and road (libx264 ultrafast), generated
once into a temporary folder.

    python benchmarks/video.py [--reference ../main/src] [--skip-long | --skip-short]
"""

from __future__ import annotations

import argparse
import os
import re
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import av
import numpy as np
from PIL import Image, ImageDraw

HERE = Path(__file__).resolve().parents[1]


def make_clip(path: Path, seconds: float, width: int = 1280, height: int = 720, fps: int = 30) -> None:
    """A car driving left to right and a figure walking right to left over sky, grass and road."""
    background = Image.new("RGB", (width, height), (110, 160, 210))
    d = ImageDraw.Draw(background)
    d.rectangle([0, int(height * 0.55), width, int(height * 0.7)], fill=(70, 130, 60))
    d.rectangle([0, int(height * 0.7), width, height], fill=(60, 60, 65))
    base = np.asarray(background)
    n = int(seconds * fps)
    car_w, car_h, y_car = width // 8, height // 12, int(height * 0.72)
    fig_w, fig_h, y_fig = width // 30, height // 5, int(height * 0.45)
    with av.open(str(path), "w") as out:
        stream = out.add_stream("libx264", rate=fps, options={"preset": "ultrafast", "crf": "30"})
        stream.width, stream.height, stream.pix_fmt = width, height, "yuv420p"
        for i in range(n):
            frame = base.copy()
            phase = (i % (10 * fps)) / (10 * fps)  # both cross the picture every 10 s
            x = int(phase * (width - car_w))
            frame[y_car : y_car + car_h, x : x + car_w] = (200, 30, 30)
            xf = int((1 - phase) * (width - fig_w))
            frame[y_fig : y_fig + fig_h, xf : xf + fig_w] = (40, 40, 120)
            for packet in stream.encode(av.VideoFrame.from_ndarray(frame, format="rgb24")):
                out.mux(packet)
        for packet in stream.encode():
            out.mux(packet)


def run_cli(clip: Path, out_dir: Path, src: Path) -> dict:
    """Wall and CPU seconds, peak RSS (MB) and the per-step seconds of one cold `see2sound run`."""
    env = dict(os.environ, PYTHONPATH=str(src))
    args = [sys.executable, "-m", "see2sound", "run", str(clip), "-o", str(out_dir), "--overwrite"]
    start = time.perf_counter()
    with subprocess.Popen(args, env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True) as proc:
        stderr_lines: list[str] = []
        _, _, usage = os.wait4(proc.pid, 0)
        wall = time.perf_counter() - start
        stdout, stderr = proc.stdout.read(), proc.stderr.read()
        stderr_lines = (stdout + stderr).splitlines()
        proc.returncode = 0
    steps = {}
    for line in stderr_lines:
        m = re.match(r"\s*✓ (\w+).* \((\d+(?:\.\d+)?) s\)", line)
        if m:
            steps[m.group(1)] = steps.get(m.group(1), 0.0) + float(m.group(2))
    if not any(p.suffix in (".mp4", ".mov", ".mkv") for p in out_dir.glob("*")):
        raise SystemExit(f"run failed: {stderr.strip()[-400:]}")
    return {
        "wall": wall,
        "cpu": usage.ru_utime + usage.ru_stime,
        "rss_mb": usage.ru_maxrss / 1024,
        "steps": steps,
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--reference", type=Path, help="src folder of the reference checkout")
    parser.add_argument("--skip-long", action="store_true", help="only the 10 s clip")
    parser.add_argument("--skip-short", action="store_true", help="only the 3-minute clip")
    args = parser.parse_args()
    cases = ([] if args.skip_short else [("10 s 720p30", 10.0)]) + (
        [] if args.skip_long else [("3 min 720p30", 180.0)]
    )
    with tempfile.TemporaryDirectory(prefix="see2sound-video-bench-") as tmp:
        tmp = Path(tmp)
        for name, seconds in cases:
            clip = tmp / f"clip{int(seconds)}.mp4"
            make_clip(clip, seconds)
            rows = [("this", HERE / "src")] + ([("reference", args.reference)] if args.reference else [])
            results = {}
            for label, src in rows:
                results[label] = r = run_cli(clip, tmp / f"out-{label}", src)
                steps = ", ".join(f"{k} {v:.1f} s" for k, v in r["steps"].items())
                print(
                    f"{name} [{label}]: {r['wall']:.1f} s wall ({seconds / r['wall']:.2f}x real time), "
                    f"{r['cpu']:.1f} CPU-s, peak RSS {r['rss_mb']:.0f} MB; {steps}",
                    flush=True,
                )
            if "reference" in results:
                ratio = results["reference"]["wall"] / results["this"]["wall"]
                print(f"{name}: this is {ratio:.2f}x the reference's speed", flush=True)


if __name__ == "__main__":
    main()
