"""NanoDet-g detector: time per image end to end, cold start, and what it finds on the test photos.

Compares in the same run against the literal conversion (the TF.js graph mapped op by op, float32
weights, no transpose cancelling or fusing), which stands in for a generic converter's output.
Needs the cached model (`see2sound models fetch nanodet`); the darknet photos are fetched with
`apt-get download darknet`. With ``--model-json DIR/nanodet.json`` (the extracted package files) it also
times the conversion and builds the literal model from them.

Usage: python benchmarks/detector.py [--runs 20] [--model-json PATH]
"""

from __future__ import annotations

import argparse
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import numpy as np

# Cold start: a fresh process that has imported see2sound's registries (their cost belongs to the
# package, not the detector) creates the detector (import onnxruntime, verify the model's hash, load it).
COLD_START = """
import time
t0 = time.perf_counter()
import numpy as np
from see2sound.vision.backends import DETECTORS
t1 = time.perf_counter()
detector = DETECTORS.create("nanodet")
t2 = time.perf_counter()
detector.detect(np.zeros((480, 640, 3), np.uint8))
t3 = time.perf_counter()
print(f"{t1 - t0:.4f} {t2 - t1:.4f} {t3 - t2:.4f}")
"""

EXPECTED = {
    "astronaut": ["person"],
    "chelsea": ["cat"],
    "motorcycle": ["motorcycle"],
    "dog.jpg": ["dog", "bicycle", "car"],
    "giraffe.jpg": ["giraffe"],
    "eagle.jpg": ["bird"],
}


def pictures() -> dict[str, np.ndarray]:
    import skimage.data
    from PIL import Image

    found = {
        "astronaut": skimage.data.astronaut(),
        "chelsea": skimage.data.chelsea(),
        "motorcycle": skimage.data.stereo_motorcycle()[0],
    }
    folder = Path(tempfile.mkdtemp(prefix="darknet-"))
    subprocess.run(["apt-get", "download", "darknet"], cwd=folder, capture_output=True, check=True)
    deb = next(folder.glob("darknet_*.deb"))
    subprocess.run(["dpkg-deb", "-x", str(deb), str(folder / "root")], check=True)
    data = folder / "root/usr/share/darknet/data"
    for name in ("dog.jpg", "giraffe.jpg", "eagle.jpg", "kite.jpg"):
        with Image.open(data / name) as im:
            found[name] = np.asarray(im.convert("RGB"))
    return found


def median_ms(fn, runs: int, clock=time.perf_counter) -> float:
    fn()  # warm-up
    times = []
    for _ in range(runs):
        t = clock()
        fn()
        times.append(clock() - t)
    return 1000 * statistics.median(times)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=20)
    parser.add_argument("--model-json", type=Path, default=None)
    args = parser.parse_args()

    from see2sound.assets import nanodet as asset
    from see2sound.vision.nanodet.detector import NanoDetDetector, letterbox, to_input_tensor

    model = asset.model_path()
    print(f"model: {model} ({model.stat().st_size / 1e6:.1f} MB)")

    cold = []
    for _ in range(5):
        out = subprocess.run([sys.executable, "-c", COLD_START], capture_output=True, text=True, check=True)
        cold.append([float(v) for v in out.stdout.split()])
    med = [1000 * statistics.median(c[k] for c in cold) for k in range(3)]
    print(
        f"cold start, median of 5 processes: detector created in {med[1]:.0f} ms (import onnxruntime, verify,"
        f" load); first detection {med[2]:.0f} ms; importing see2sound's vision registries first:"
        f" {med[0]:.0f} ms"
    )

    literal_path = None
    if args.model_json is not None:
        from see2sound.vision.nanodet.convert import convert_tfjs_graph

        t = time.perf_counter()
        convert_tfjs_graph(args.model_json)
        print(f"conversion: {time.perf_counter() - t:.2f} s")
        literal_path = Path(tempfile.mkdtemp()) / "literal.onnx"
        literal_path.write_bytes(convert_tfjs_graph(args.model_json, simplify=False, float16_weights=False))

    images = pictures()
    for threads in (None, 1):
        detector = NanoDetDetector(model, threads=threads)
        literal = NanoDetDetector(literal_path, threads=threads) if literal_path else None
        tag = "default threads" if threads is None else f"{threads} thread"
        print(f"\n## per image, {tag} (median of {args.runs}, ms)")
        print(
            "| picture | size | end to end | inference only | CPU time end to end |"
            " literal conversion, CPU time end to end | ratio |"
        )
        print("|---|---|---|---|---|---|---|")
        for name, image in images.items():
            tensor = to_input_tensor(letterbox(image)[0])
            feed = {detector.input_name: tensor}
            e2e = median_ms(lambda image=image, det=detector: det.detect(image), args.runs)
            infer = median_ms(lambda feed=feed, det=detector: det.session.run(None, feed), args.runs)
            # CPU time of this process: with one thread it is what an idle core would take, even on a
            # shared machine where wall-clock time includes waiting for a core
            cpu = median_ms(lambda image=image, det=detector: det.detect(image), args.runs, time.process_time)
            ref_text, ratio = "-", "-"
            if literal is not None:
                run_literal = lambda image=image, det=literal: det.detect(image)  # noqa: E731
                ref = median_ms(run_literal, args.runs, time.process_time)
                ref_text, ratio = f"{ref:.1f}", f"{ref / cpu:.2f}x"
            h, w = image.shape[:2]
            print(f"| {name} | {w}x{h} | {e2e:.1f} | {infer:.1f} | {cpu:.1f} | {ref_text} | {ratio} |")

    print("\n## detections (score >= 0.35)")
    print("| picture | expected | found (label score) |")
    print("|---|---|---|")
    detector = NanoDetDetector(model)
    for name, image in images.items():
        dets = detector.detect(image)
        found = ", ".join(f"{d.label} {d.score:.2f}" for d in dets)
        expected = EXPECTED.get(name, [])
        ok = all(any(d.label == e for d in dets) for e in expected)
        print(
            f"| {name} | {', '.join(expected) or '-'}{' (all found)' if expected and ok else ''} | {found} |"
        )


if __name__ == "__main__":
    main()
