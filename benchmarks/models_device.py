"""Model backends on a GPU: the half-precision path end to end, and time per call at real model sizes.

Part 1 builds the tiny random models of the tests (``tests/*/test_models.py``) and runs every backend
on the chosen device (default: the best available; half precision on a GPU), checking shapes, dtypes,
finite values and seeding. Part 2 builds randomly initialised models with the *real* architectures
(SAM ViT-B, Depth Anything V2 Small), which cost the same time as the released weights
without downloading them, and prints the median time per picture on the device and on the CPU.

    python benchmarks/models_device.py [--device cuda] [--skip-real]
"""

from __future__ import annotations

import argparse
import importlib.util
import statistics
import sys
import tempfile
import time
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "src"))


def _load(name: str, path: Path):
    spec = importlib.util.spec_from_file_location(name, path)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def median_time(fn, repeat: int = 5) -> float:
    import torch

    fn()  # warm-up
    times = []
    for _ in range(repeat):
        if torch.cuda.is_available():
            torch.cuda.synchronize()
        t = time.perf_counter()
        fn()
        if torch.cuda.is_available():
            torch.cuda.synchronize()
        times.append(time.perf_counter() - t)
    return statistics.median(times)


def tiny_checks(device: str | None, root: Path) -> None:
    import torch

    from see2sound.hub import select_device
    from see2sound.sound.models.audioldm2 import AudioLDM2Sound
    from see2sound.sound.models.stable_audio import StableAudioSound
    from see2sound.sound.types import SoundRequest
    from see2sound.vision.models.clip import ClipLabels
    from see2sound.vision.models.depth_anything import DepthAnythingDepth
    from see2sound.vision.models.owlv2 import Owlv2Detector
    from see2sound.vision.models.sam import SamRegions
    from see2sound.vision.types import Region

    vt = _load("vision_models_test", ROOT / "tests" / "vision" / "test_models.py")
    st = _load("sound_models_test", ROOT / "tests" / "sound" / "test_models.py")
    dev, dtype = select_device(device)
    print(f"device {dev} dtype {dtype} torch {torch.__version__}")
    img = np.zeros((192, 320, 3), dtype=np.uint8)
    img[:80] = (110, 160, 230)
    img[80:] = (60, 140, 50)
    img[96:160, 120:184] = (200, 30, 30)

    sam = SamRegions(
        vt.build_sam(root / "sam"), device, points_per_side=8, pred_iou_thresh=0.0, stability_score_thresh=0.0
    )
    regions = sam.propose(img, 5, 0.0, {})
    print(
        f"sam: {len(regions)} regions, model dtype {sam.pipe.model.dtype}, "
        f"masks {[int(r.mask.sum()) for r in regions]}"
    )
    assert regions and all(r.mask.shape == img.shape[:2] for r in regions)

    depth = DepthAnythingDepth(vt.build_depth_anything(root / "depth"), device, depth_range_m=(1.0, 50.0))
    d = depth.estimate(img, 65.0, "perspective", {}).depth_m
    print(
        f"depth-anything: {d.shape} {d.dtype} min {d.min():.2f} max {d.max():.2f}, model {depth.model.dtype}"
    )
    assert d.shape == img.shape[:2] and np.all(np.isfinite(d)) and d.min() >= 1.0 - 1e-6

    clip = ClipLabels(vt.build_clip(root / "clip"), device)
    mask = np.zeros(img.shape[:2], bool)
    mask[96:160, 120:184] = True
    region = Region(mask=mask, box=(120, 96, 184, 160))
    clip.label(img, [region], {})
    print(f"clip: {region.labels[:2]}, model {clip.model.dtype}")
    assert region.labels and np.isfinite(region.labels[0][1])

    owl = Owlv2Detector(vt.build_owlv2(root / "owlv2"), device, threshold=0.0)
    found = owl.detect(img, prompt="a dog by a waterfall")
    print(f"owlv2: {len(found)} boxes, first {found[0] if found else None}, model {owl.model.dtype}")
    assert found and all(np.isfinite(b.score) for b in found)

    aldm = AudioLDM2Sound(st.build_audioldm2(root / "aldm"), device, steps=2, window_s=1.0, overlap_s=0.25)
    a = aldm.generate(SoundRequest("rain", 2.2, 48000, seed=1)).audio
    b = aldm.generate(SoundRequest("rain", 2.2, 48000, seed=1)).audio
    print(
        f"audioldm2: {a.shape} {a.dtype} rms {np.sqrt(np.mean(a**2)):.4g} finite {np.isfinite(a).all()} "
        f"same seed identical {np.array_equal(a, b)} max diff {np.max(np.abs(a - b)):.3g}"
    )
    assert a.shape == (105600,) and np.isfinite(a).all()

    sa = StableAudioSound(st.build_stable_audio(root / "sa"), device, steps=2)
    a = sa.generate(SoundRequest("rain", 3.0, 48000, seed=1)).audio
    b = sa.generate(SoundRequest("rain", 3.0, 48000, seed=1)).audio
    print(
        f"stable-audio: {a.shape} {a.dtype} rms {np.sqrt(np.mean(a**2)):.4g} finite {np.isfinite(a).all()} "
        f"same seed identical {np.array_equal(a, b)} max diff {np.max(np.abs(a - b)):.3g}"
    )
    assert a.shape == (144000,) and np.isfinite(a).all()


def real_size_timings(device: str | None, root: Path) -> None:
    """Random weights, real architectures: SAM ViT-B and Depth Anything V2 Small."""
    import torch
    from PIL import Image
    from transformers import (
        DepthAnythingConfig,
        DepthAnythingForDepthEstimation,
        DPTImageProcessor,
        SamConfig,
        SamImageProcessor,
        SamModel,
        SamProcessor,
    )

    from see2sound.vision.models.depth_anything import DepthAnythingDepth
    from see2sound.vision.models.sam import SamRegions

    rng = np.random.default_rng(0)
    img = rng.integers(0, 255, (240, 320, 3), dtype=np.uint8)  # the vision stage's working size

    torch.manual_seed(0)
    sam_dir = root / "sam-b"
    SamModel(SamConfig()).save_pretrained(sam_dir)  # the defaults are SAM ViT-B
    SamProcessor(image_processor=SamImageProcessor()).save_pretrained(sam_dir)
    da_dir = root / "da-small"
    DepthAnythingForDepthEstimation(
        DepthAnythingConfig(
            backbone_config=dict(
                model_type="dinov2",
                hidden_size=384,
                num_attention_heads=6,
                image_size=518,
                out_indices=[3, 6, 9, 12],
                reshape_hidden_states=False,
            ),
            neck_hidden_sizes=[48, 96, 192, 384],
            fusion_hidden_size=64,
            reassemble_hidden_size=384,
        )
    ).save_pretrained(da_dir)
    DPTImageProcessor(
        size={"height": 518, "width": 518},
        keep_aspect_ratio=True,
        ensure_multiple_of=14,
        do_pad=False,
        resample=Image.Resampling.BICUBIC,
        image_mean=[0.485, 0.456, 0.406],
        image_std=[0.229, 0.224, 0.225],
    ).save_pretrained(da_dir)

    rows = []
    for dev in [device or "cuda", "cpu"] if torch.cuda.is_available() else ["cpu"]:
        # default filters: random weights keep no mask, so this times the model, not 768 RLE encodings
        sam = SamRegions(str(sam_dir), dev, points_per_side=16)
        t_sam = median_time(lambda sam=sam: sam.propose(img, 8, 0.0, {}), repeat=3)
        da = DepthAnythingDepth(str(da_dir), dev, depth_range_m=(1.0, 50.0))
        t_da = median_time(lambda da=da: da.estimate(img, 65.0, "perspective", {}))
        rows.append((dev, t_sam, t_da))
        print(
            f"{dev}: sam-vit-b 16x16 points {t_sam * 1e3:.0f} ms/picture, "
            f"depth-anything-v2-small {t_da * 1e3:.0f} ms/picture"
        )
    if len(rows) == 2:
        print(
            f"speed-up on the GPU: sam {rows[1][1] / rows[0][1]:.1f}x, depth {rows[1][2] / rows[0][2]:.1f}x"
        )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--device", default=None)
    parser.add_argument("--skip-real", action="store_true")
    parser.add_argument("--skip-tiny", action="store_true")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        if not args.skip_tiny:
            tiny_checks(args.device, Path(tmp))
            print("tiny checks passed")
        if not args.skip_real:
            real_size_timings(args.device, Path(tmp))


if __name__ == "__main__":
    main()
