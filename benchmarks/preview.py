"""Benchmark drawing ``preview.png`` (issue 6 cold-start goal): CPU and wall time of a cold process's
``write_preview`` call, lazy imports included, and of a cold ``see2sound run`` on a 1024x768 photo.

The sources to draw come from one analysis of the photo (scikit-image's coffee sample, upscaled, as in
``pipeline.py``) and of scikit-image's astronaut (3 sources), pickled once; each measured process loads
them (importing numpy, Pillow and the scene/vision modules as a real run has by then) and times only the
``write_preview`` call. Compare with an earlier ``src/`` copy (the matplotlib preview) with
``--baseline-src``: both run alternately, so they see the same load. BLAS/OpenMP threads pinned to one.

    python benchmarks/preview.py [--runs 5] [--baseline-src DIR] [--run]
"""

from __future__ import annotations

import argparse
import os
import pickle
import resource
import statistics
import subprocess
import sys
import tempfile
from pathlib import Path

sys.path.insert(0, str(Path(__file__).parent))
from pipeline import make_photo, run_cli  # noqa: E402

THREADS = {name: "1" for name in ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS")}

CHILD = """
import pickle, sys, time
with open(sys.argv[1], "rb") as fh:
    data = pickle.load(fh)
cpu, wall = time.process_time(), time.perf_counter()
from see2sound.pipeline.analyze import write_preview
write_preview(sys.argv[2], data["image"], data["drafts"], data["scene"])
print(time.process_time() - cpu, time.perf_counter() - wall, "matplotlib" in sys.modules)
"""


def capture(picture: Path, folder: Path, sources: int) -> Path:
    """Analyse ``picture`` and pickle what ``write_preview`` receives (taken from the deferred job)."""
    from see2sound.pipeline.analyze import analyze

    jobs: list = []
    analyze(picture, folder / f"{picture.stem}.json", sources=sources, overwrite=True, defer_preview=jobs)
    job = jobs[0]
    cells = dict(zip(job.__code__.co_freevars, (c.cell_contents for c in job.__closure__), strict=True))
    data = {"image": cells["preview_frame"], "drafts": cells["drafts_for_preview"], "scene": cells["scene"]}
    path = folder / f"{picture.stem}.pkl"
    path.write_bytes(pickle.dumps(data))
    return path


def draw_cold(data: Path, out: Path, src: str | None) -> tuple[float, float, float, bool]:
    """(CPU s of the call, wall s of the call, CPU s of the whole process, matplotlib imported)."""
    env = dict(os.environ, **THREADS, **({"PYTHONPATH": src} if src else {}))
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    result = subprocess.run(
        [sys.executable, "-c", CHILD, str(data), str(out)], capture_output=True, text=True, env=env
    )
    if result.returncode != 0:
        raise SystemExit(f"write_preview failed: {result.stderr.strip()}")
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    process = (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)
    cpu, wall, mpl = result.stdout.split()
    return float(cpu), float(wall), process, mpl == "True"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=5)
    parser.add_argument("--baseline-src", help="a copy of an earlier src/ folder to compare with")
    parser.add_argument("--run", action="store_true", help="also a cold `see2sound run` of the photo")
    opts = parser.parse_args()
    variants = [("current", None)] + ([("baseline", opts.baseline_src)] if opts.baseline_src else [])
    with tempfile.TemporaryDirectory() as tmp:
        tmp = Path(tmp)
        make_photo(tmp / "photo.jpg")
        from PIL import Image
        from skimage import data

        Image.fromarray(data.astronaut()).save(tmp / "astronaut.png")
        cases = [("1024x768 photo", capture(tmp / "photo.jpg", tmp, 4))]
        cases.append(("astronaut, 3 sources", capture(tmp / "astronaut.png", tmp, 3)))
        print(
            f"cold processes, median of {opts.runs} runs, {os.cpu_count()} cores, "
            f"load average {os.getloadavg()[0]:.1f} at the start"
        )
        print(
            f"{'write_preview':<24} {'code':<9} {'call CPU s':>10} {'call wall s':>11} {'process CPU s':>13}"
        )
        for name, pkl in cases:
            runs: dict[str, list] = {label: [] for label, _ in variants}
            for _ in range(opts.runs):  # alternate, so that both see the same load
                for label, src in variants:
                    runs[label].append(draw_cold(pkl, tmp / f"{label}.png", src))
            for label, _ in variants:
                cpu, wall, process = (statistics.median(r[i] for r in runs[label]) for i in range(3))
                note = "  (imports matplotlib)" if any(r[3] for r in runs[label]) else ""
                print(f"{name:<24} {label:<9} {cpu:10.3f} {wall:11.3f} {process:13.2f}{note}")
        if opts.run:
            args = [
                "run",
                str(tmp / "photo.jpg"),
                "-o",
                str(tmp / "o"),
                "--format",
                "5.1",
                "--format",
                "binaural",
            ]
            runs = {label: [] for label, _ in variants}
            for _ in range(opts.runs):
                for label, src in variants:
                    runs[label].append(run_cli(args, src))
            print(
                f"\n{'cold see2sound run':<24} {'code':<9} {'wall s':>10} {'CPU s':>11} {'peak RSS MB':>13}"
            )
            for label, _ in variants:
                wall, cpu = (statistics.median(r[i] for r in runs[label]) for i in range(2))
                rss = max(r[2] for r in runs[label])
                print(f"{'photo -> 5.1 + binaural':<24} {label:<9} {wall:10.2f} {cpu:11.2f} {rss:13.0f}")


if __name__ == "__main__":
    main()
