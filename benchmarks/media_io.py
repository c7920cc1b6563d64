"""Media I/O speed: sample a 60 s 1080p30 H.264 video at 4 fps, and mux 60 s of 5.1 audio into it.

Decoding is compared in the same run against the plain PyAV reference (decode every frame and convert
each to RGB, what a naive reader or imageio's PyAV plugin does), and against our own exact mode (no
skipped non-reference frames). Each measurement runs in a fresh process so that its peak RSS is its own.

    .venv/bin/python benchmarks/media_io.py [--repeats 3]

The test video (60 s, 1920x1080, 30 fps, x264 veryfast CRF 23, B-frames) is generated once and cached in
the system temporary folder.

Wall times depend on what else runs on the machine; CPU seconds (all threads of the measuring process)
are printed beside them and move much less.

Goals (issue 3): sampling ≥ 10× faster than real time with peak RSS ≤ 400 MB; muxing 60 s of 5.1 in ≤ 2 s.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import resource
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import numpy as np

SECONDS, WIDTH, HEIGHT, FPS = 60, 1920, 1080, 30
SR = 48000
CACHE = Path(tempfile.gettempdir()) / "see2sound-bench"
VIDEO = CACHE / "h264_1080p30_60s.mp4"
AUDIO = CACHE / "noise_5.1_60s.wav"


def make_inputs() -> None:
    import av

    from see2sound.media import write_audio

    CACHE.mkdir(parents=True, exist_ok=True)
    if not VIDEO.exists():
        print(f"generating {VIDEO.name} (once; a few minutes on 2 cores)…", file=sys.stderr)
        yy, xx = np.mgrid[0:HEIGHT, 0:WIDTH]
        tmp = VIDEO.with_suffix(".part.mp4")
        with av.open(str(tmp), "w") as container:
            stream = container.add_stream("libx264", rate=FPS, options={"preset": "veryfast", "crf": "23"})
            stream.width, stream.height, stream.pix_fmt = WIDTH, HEIGHT, "yuv420p"
            for i in range(SECONDS * FPS):  # moving gradients: realistic motion, cheap to make
                image = np.empty((HEIGHT, WIDTH, 3), np.uint8)
                image[..., 0] = (xx + i * 8) % 256
                image[..., 1] = (yy + i * 3) % 256
                image[..., 2] = ((xx + yy) // 4 + i) % 256
                for packet in stream.encode(av.VideoFrame.from_ndarray(image, format="rgb24")):
                    container.mux(packet)
            for packet in stream.encode(None):
                container.mux(packet)
        tmp.rename(VIDEO)
    if not AUDIO.exists():  # ambience-like: independent low-passed noise per channel, seeded
        from scipy.signal import lfilter

        white = np.random.default_rng(0).standard_normal((6, SECONDS * SR))
        y = 0.02 * lfilter([1.0], [1.0, -0.98], white, axis=1)
        write_audio(AUDIO, y.astype(np.float32), SR, "5.1")


def child(task: str) -> dict:
    """One measurement in this process: wall time, CPU time and peak RSS (imports not timed)."""
    import av  # noqa: F401

    import see2sound.media  # noqa: F401

    start = time.perf_counter()
    cpu_start = time.process_time()
    n = 0
    if task in ("sample", "sample_exact"):
        from see2sound.media import iter_frames

        for _ in iter_frames(VIDEO, fps=4.0, max_size=1024, exact=task == "sample_exact"):
            n += 1
    elif task == "reference_decode_all":
        import av

        with av.open(str(VIDEO)) as container:
            stream = container.streams.video[0]
            stream.thread_type = "AUTO"
            for frame in container.decode(stream):
                frame.to_ndarray(format="rgb24")
                n += 1
    elif task == "aac_encode_only":  # the floor: FFmpeg's AAC encoder alone, samples already in memory
        from fractions import Fraction

        import av

        from see2sound.media import read_audio

        y, sr = read_audio(AUDIO)
        start = time.perf_counter()
        cpu_start = time.process_time()
        codec = av.CodecContext.create("aac", "w")
        codec.sample_rate, codec.layout, codec.format = sr, "5.1", "fltp"
        codec.bit_rate, codec.options = 448_000, {"aac_coder": "fast"}
        for s in range(0, y.shape[1], 4096):
            frame = av.AudioFrame.from_ndarray(np.ascontiguousarray(y[:, s : s + 4096]), "fltp", "5.1")
            frame.sample_rate, frame.pts, frame.time_base = sr, s, Fraction(1, sr)
            n += len(codec.encode(frame))
        n += len(codec.encode(None))
    elif task in ("mux", "mux_mkv"):
        from see2sound.media import mux

        out = CACHE / ("muxed_5.1.mkv" if task == "mux_mkv" else "muxed_5.1.mp4")
        mux(VIDEO, AUDIO, out, overwrite=True)
        n = 1
    else:
        raise SystemExit(f"unknown task {task}")
    seconds = time.perf_counter() - start
    cpu_seconds = time.process_time() - cpu_start
    # VmHWM, not ru_maxrss: Linux carries ru_maxrss over from the parent across exec.
    status = Path("/proc/self/status").read_text() if Path("/proc/self/status").exists() else ""
    hwm = [line.split()[1] for line in status.splitlines() if line.startswith("VmHWM:")]
    peak_mb = int(hwm[0]) / 1024 if hwm else resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    return {"task": task, "seconds": seconds, "cpu_seconds": cpu_seconds, "items": n, "peak_rss_mb": peak_mb}


def measure(task: str, repeats: int) -> dict:
    runs = []
    for _ in range(repeats):
        command = [sys.executable, __file__, "--child", task]
        out = subprocess.run(command, capture_output=True, text=True, check=True)
        runs.append(json.loads(out.stdout.strip().splitlines()[-1]))
    return {
        "task": task,
        "median_s": statistics.median(r["seconds"] for r in runs),
        "runs_s": [round(r["seconds"], 2) for r in runs],
        "median_cpu_s": statistics.median(r["cpu_seconds"] for r in runs),
        "peak_rss_mb": max(r["peak_rss_mb"] for r in runs),
        "items": runs[0]["items"],
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeats", type=int, default=3)
    parser.add_argument("--child", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child:
        print(json.dumps(child(args.child)))
        return
    make_inputs()
    load = os.getloadavg()[0] if hasattr(os, "getloadavg") else float("nan")
    print(
        f"machine: {platform.machine()}, {os.cpu_count()} CPUs, load average {load:.1f}, "
        f"python {platform.python_version()}"
    )
    print(f"input: {VIDEO.name} ({VIDEO.stat().st_size / 1e6:.1f} MB), {AUDIO.name}")
    results = {
        task: measure(task, args.repeats)
        for task in ("sample", "sample_exact", "reference_decode_all", "mux", "mux_mkv", "aac_encode_only")
    }
    reference = results["reference_decode_all"]["median_s"]
    for task, r in results.items():
        realtime = SECONDS / r["median_s"]
        print(
            f"{task:22s} median {r['median_s']:6.2f} s  runs {r['runs_s']}  {realtime:5.1f}× real time  "
            f"CPU {r['median_cpu_s']:6.2f} s  peak RSS {r['peak_rss_mb']:5.0f} MB  items {r['items']}  "
            f"speed-up vs reference {reference / r['median_s']:4.2f}×"
        )
    sample = results["sample"]
    print(
        f"goal sampling ≥ 10× real time: {SECONDS / sample['median_s']:.1f}× "
        f"({'met' if SECONDS / sample['median_s'] >= 10 else 'NOT met'}); "
        f"peak RSS ≤ 400 MB: {sample['peak_rss_mb']:.0f} MB "
        f"({'met' if sample['peak_rss_mb'] <= 400 else 'NOT met'})"
    )
    load_after = os.getloadavg()[0] if hasattr(os, "getloadavg") else float("nan")
    print(f"load average at the end: {load_after:.1f}")
    mux_s = results["mux"]["median_s"]
    print(
        f"goal mux 60 s of 5.1 ≤ 2 s: {mux_s:.2f} s ({'met' if mux_s <= 2 else 'NOT met'}); "
        f"FFmpeg's AAC encoder alone: {results['aac_encode_only']['median_s']:.2f} s, "
        f"{results['aac_encode_only']['median_cpu_s']:.2f} CPU-s"
    )


if __name__ == "__main__":
    main()
