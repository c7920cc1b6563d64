"""Vision benchmark: classical depth vs Middlebury ground truth, time per frame, video speed.

Run: ``python benchmarks/vision.py``. Prints medians and ratios; the reference for depth quality is the
ground-truth disparity of the Middlebury 2014 "motorcycle" pair that scikit-image ships
(``skimage.data.stereo_motorcycle``), compared by Spearman rank correlation (disparity grows as depth
shrinks, so a perfect depth map scores -1; we report the correlation of 1/depth, +1 = perfect). The
baseline for depth is the reference implementation's implicit prior "lower in the picture = nearer"
(depth linear in the row), and a constant map (no information).
"""

from __future__ import annotations

import statistics
import time

import numpy as np
from PIL import Image
from scipy.stats import spearmanr


def depth_quality() -> dict:
    from skimage import data

    from see2sound.vision.analysis import WORKING_SIZE, _resize
    from see2sound.vision.classical import ClassicalDepth

    left, _, disparity = data.stereo_motorcycle()
    small, scale = _resize(left, WORKING_SIZE)
    gt = np.asarray(
        Image.fromarray(disparity.astype(np.float32)).resize(small.shape[1::-1], Image.Resampling.NEAREST)
    )
    valid = np.isfinite(gt) & (gt > 0)
    depth = ClassicalDepth().estimate(small, 65.0, "perspective", {}).depth_m
    ours = spearmanr(1.0 / depth[valid], gt[valid]).statistic
    rows = np.mgrid[0 : small.shape[0], 0 : small.shape[1]][0].astype(float)
    row_prior = spearmanr(rows[valid], gt[valid]).statistic
    return {"classical": float(ours), "row prior": float(row_prior)}


def frame_time(detector: str = "none", repeats: int = 7) -> dict:
    """Median wall and CPU time of one 1024x768 frame (CPU time is robust on a shared machine)."""
    from skimage import data

    from see2sound.vision.analysis import analyze_image, load_backends

    image = np.asarray(Image.fromarray(data.astronaut()).resize((1024, 768)))
    backends = load_backends(detector=detector)
    analyze_image(image, backends=backends)
    wall, cpu = [], []
    for _ in range(repeats):
        t, c = time.perf_counter(), time.process_time()
        analyze_image(image, backends=backends)
        wall.append(time.perf_counter() - t)
        cpu.append(time.process_time() - c)
    return {
        "median_s": statistics.median(wall),
        "cpu_s": statistics.median(cpu),
        "goal_s": 0.300,
        "detector": backends.names.get("detector", "none"),
    }


def video_speed(seconds: float = 5.0) -> dict:
    """720p video analysed at 4 fps: wall time vs the clip's duration."""
    import tempfile
    from pathlib import Path

    import av

    from see2sound.pipeline.analyze import analyze

    rng = np.random.default_rng(0)
    width, height, fps = 1280, 720, 24
    with tempfile.TemporaryDirectory() as folder:
        video = Path(folder) / "clip.mp4"
        background = np.zeros((height, width, 3), np.uint8)
        background[: height // 2] = (110, 160, 230)
        background[height // 2 :] = np.clip(
            np.array((70, 140, 60)) + rng.integers(-12, 13, (height - height // 2, width, 3)), 0, 255
        )
        with av.open(str(video), "w") as container:
            stream = container.add_stream("mpeg4", rate=fps)
            stream.width, stream.height, stream.pix_fmt = width, height, "yuv420p"
            for k in range(int(seconds * fps)):
                frame = background.copy()
                x = int(100 + (width - 300) * k / (seconds * fps))
                frame[400:520, x : x + 120] = (220, 40, 40)
                for packet in stream.encode(av.VideoFrame.from_ndarray(frame, format="rgb24")):
                    container.mux(packet)
            for packet in stream.encode():
                container.mux(packet)
        t, c = time.perf_counter(), time.process_time()
        analyze(video, Path(folder) / "scene.json", detector="none", preview=False)
        wall, cpu = time.perf_counter() - t, time.process_time() - c
    return {"clip_s": seconds, "wall_s": wall, "cpu_s": cpu, "real_time_factor": wall / seconds}


def main() -> None:
    quality = depth_quality()
    print(
        "depth, Spearman rho of 1/depth vs Middlebury motorcycle disparity: "
        f"classical {quality['classical']:.3f}, row prior {quality['row prior']:.3f}"
    )
    for detector in ("none", "auto"):
        timing = frame_time(detector)
        print(
            f"1024x768 frame, detector {timing['detector']}: median wall {timing['median_s'] * 1000:.0f} ms, "
            f"CPU {timing['cpu_s'] * 1000:.0f} ms (goal {timing['goal_s'] * 1000:.0f} ms, "
            f"CPU ratio {timing['cpu_s'] / timing['goal_s']:.2f})"
        )
    video = video_speed()
    print(
        f"720p video at 4 fps: {video['wall_s']:.2f} s wall, {video['cpu_s']:.2f} s CPU "
        f"for a {video['clip_s']:.0f} s clip "
        f"(real-time factor {video['real_time_factor']:.2f}; < 1 is faster than real time)"
    )


if __name__ == "__main__":
    main()
