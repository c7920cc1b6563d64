"""Benchmark `see2sound batch` (issue 20): items per minute with 1 and 2 workers, locally and on local Ray.

Two batches with the defaults of `run` (5.1 + binaural; 10 s for photos):

1. photos: distinct pictures made from scikit-image's bundled photos and the examples (crops, flips);
2. clips: short H.264 clips (2 s, 320x180, 24 fps) of a car crossing a road.

For each batch and engine (local processes; Ray actors on a local `ray.init`), with 1 and 2 workers:
the cold rate (items / wall time, worker start-up included), the warm rate (items finished after every
worker's first item, over the time they took: what a long batch settles at), the scaling efficiency
(warm rate with 2 workers / twice the rate with 1) and Ray's warm rate relative to local. Goals on the
2-core machine: >= 60 photos/min with 2 warm workers, Ray within 15 % of local. The load average is
printed with the figures, as other work on the machine slows every rate.

    python benchmarks/batch.py [--photos 100] [--clips 20] [--workers 1 2] [--no-ray] [--evaluate]
"""

from __future__ import annotations

import argparse
import os
import shutil
import tempfile
import time
from pathlib import Path

import av
from PIL import Image, ImageDraw, ImageOps

from see2sound.cli.batch import run_options
from see2sound.cli.run import DEFAULTS
from see2sound.pipeline.batch import collect_items, run_batch

EXAMPLES = Path(__file__).resolve().parents[1] / "examples"


def make_photos(folder: Path, count: int) -> None:
    from skimage import data

    bases = [Image.fromarray(f()) for f in (data.coffee, data.astronaut, data.chelsea)]
    bases += [Image.open(EXAMPLES / name).convert("RGB") for name in ("cat.png", "rocket.jpg")]
    for i in range(count):
        img = bases[i % len(bases)]
        w, h = img.size
        k = i // len(bases)
        crop = 0.04 * (k % 5)
        img = img.crop((int(w * crop), int(h * crop / 2), w - int(w * crop / 2), h - int(h * crop)))
        if k % 2:
            img = ImageOps.mirror(img)
        img.save(folder / f"photo{i:03d}.jpg", quality=90)


def make_clips(folder: Path, count: int, seconds: float = 2.0, width: int = 320, height: int = 180) -> None:
    fps = 24
    for i in range(count):
        with av.open(str(folder / f"clip{i:02d}.mp4"), "w") as container:
            stream = container.add_stream("libx264", rate=fps, options={"preset": "ultrafast"})
            stream.width, stream.height, stream.pix_fmt = width, height, "yuv420p"
            for n in range(int(seconds * fps)):
                img = Image.new("RGB", (width, height), (110, 160, 210))
                d = ImageDraw.Draw(img)
                d.rectangle([0, int(height * 0.6), width, height], fill=(70, 70, 75))
                x = (20 + 7 * i + n * (3 + i % 4)) % width
                d.rectangle([x, int(height * 0.55), x + 50, int(height * 0.7)], fill=(200 - 5 * i, 30, 30))
                for packet in stream.encode(av.VideoFrame.from_image(img)):
                    container.mux(packet)
            for packet in stream.encode():
                container.mux(packet)


def measure(folder: Path, outdir: Path, workers: int, ray: bool, evaluate: bool) -> dict:
    shutil.rmtree(outdir, ignore_errors=True)
    items = collect_items([folder], run_options(dict(DEFAULTS)))
    finished: list[float] = []
    t0 = time.perf_counter()
    report = run_batch(
        items,
        outdir,
        workers=workers,
        ray=ray,
        evaluate=evaluate,
        on_item=lambda _record: finished.append(time.perf_counter() - t0),
    )
    wall = time.perf_counter() - t0
    assert report.ok, [r.get("error") for r in report.records if r.get("status") != "ok"]
    warm = len(finished) - workers
    span = finished[-1] - finished[workers - 1] if warm > 0 else float("nan")
    return {
        "n": len(items),
        "wall_s": wall,
        "cold_per_min": 60 * len(items) / wall,
        "warm_per_min": 60 * warm / span if warm > 0 else float("nan"),
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--photos", type=int, default=100)
    parser.add_argument("--clips", type=int, default=20)
    parser.add_argument("--workers", type=int, nargs="+", default=[1, 2])
    parser.add_argument("--no-ray", action="store_true", help="Only the local engine.")
    parser.add_argument("--evaluate", action="store_true", help="Also measure every output (slower).")
    args = parser.parse_args()

    engines = [("local", False)] + ([] if args.no_ray else [("ray", True)])
    results: dict[tuple[str, str, int], dict] = {}
    with tempfile.TemporaryDirectory(prefix="see2sound-batch-bench-") as tmp:
        root = Path(tmp)
        batches = []
        for name, count, make in (("photos", args.photos, make_photos), ("clips", args.clips, make_clips)):
            if count > 0:
                (root / name).mkdir()
                make(root / name, count)
                batches.append(name)
        if not args.no_ray:
            import ray

            from see2sound.pipeline.batch import ray_env

            ray.init(num_cpus=max(args.workers), include_dashboard=False, runtime_env={"env_vars": ray_env()})
        try:
            for batch in batches:
                for engine, on_ray in engines:
                    for workers in args.workers:
                        load = os.getloadavg()[0]
                        r = measure(root / batch, root / "out", workers, on_ray, args.evaluate)
                        r["load"] = (load + os.getloadavg()[0]) / 2
                        results[(batch, engine, workers)] = r
                        print(
                            f"{batch:7s} {engine:5s} {workers} worker(s): {r['n']} items "
                            f"in {r['wall_s']:6.1f} s, "
                            f"cold {r['cold_per_min']:6.1f}/min, warm {r['warm_per_min']:6.1f}/min "
                            f"(load average {r['load']:.1f})",
                            flush=True,
                        )
        finally:
            if not args.no_ray:
                ray.shutdown()

    print(f"\n{os.cpu_count()} cores; load average now {os.getloadavg()[0]:.1f}")
    for batch in batches:
        for engine, _ in engines:
            if 1 in args.workers and 2 in args.workers:
                one, two = results[(batch, engine, 1)], results[(batch, engine, 2)]
                efficiency = two["warm_per_min"] / (2 * one["warm_per_min"])
                print(f"{batch} {engine}: scaling efficiency 1 -> 2 workers {efficiency:.0%} (warm rates)")
        if not args.no_ray:
            for workers in args.workers:
                ratio = (
                    results[(batch, "ray", workers)]["warm_per_min"]
                    / results[(batch, "local", workers)]["warm_per_min"]
                )
                print(f"{batch} {workers} worker(s): Ray / local warm rate {ratio:.2f} (goal >= 0.85)")
    if "photos" in batches and 2 in args.workers:
        rate = results[("photos", "local", 2)]["warm_per_min"]
        print(f"photos, 2 warm local workers: {rate:.1f}/min (goal >= 60/min)")


if __name__ == "__main__":
    main()
