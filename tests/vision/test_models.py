"""The neural vision backends (SAM, Depth Anything, CLIP, OWLv2) on tiny random models built here.

Each model is built from a config with tiny sizes, saved to a temporary folder and loaded through our
backend by path, as diffusers' and transformers' own tests do: this checks the wiring (loading,
pre/post-processing, shapes, units, registry, ``check``) end to end, not the quality of real weights.
Nothing downloads (HF_HUB_OFFLINE=1).
"""

from __future__ import annotations

import json
import os

import numpy as np
import pytest

os.environ.setdefault("HF_HUB_OFFLINE", "1")
os.environ.setdefault("TRANSFORMERS_OFFLINE", "1")

import torch  # noqa: E402  (the models extra is part of this project's test environment)

# tiny models on a shared 2-core machine: one thread avoids OpenMP contention (20x faster here)
torch.set_num_threads(1)

from see2sound.errors import BackendError  # noqa: E402
from see2sound.vision.backends import DEPTH, LABELS, REGIONS  # noqa: E402
from see2sound.vision.models.clip import SOUND_VOCABULARY, ClipLabels, create_clip  # noqa: E402
from see2sound.vision.models.depth_anything import (  # noqa: E402
    DepthAnythingDepth,
    create_depth_anything,
    disparity_to_depth,
)
from see2sound.vision.models.owlv2 import Owlv2Detector, create_owlv2, prompt_queries  # noqa: E402
from see2sound.vision.models.sam import SamRegions, create_sam, greedy_box_nms, rle_to_mask  # noqa: E402
from see2sound.vision.types import Detection, Region  # noqa: E402


def byte_vocab(specials: list[str], eos_last: str | None = None) -> dict[str, int]:
    """A byte-level BPE vocabulary: specials, the 256 byte characters, and each with ``</w>``."""
    from tokenizers.pre_tokenizers import ByteLevel

    alphabet = sorted(ByteLevel.alphabet())
    tokens = specials + alphabet + [c + "</w>" for c in alphabet]
    if eos_last:
        tokens.append(eos_last)
    return {t: i for i, t in enumerate(dict.fromkeys(tokens))}  # "!" is also a byte character


def build_sam(folder) -> str:
    from transformers import SamConfig, SamImageProcessor, SamModel, SamProcessor

    torch.manual_seed(0)
    config = SamConfig(
        vision_config=dict(
            hidden_size=32,
            output_channels=32,
            num_hidden_layers=2,
            num_attention_heads=4,
            image_size=64,
            patch_size=4,
            window_size=4,
            global_attn_indexes=[1],
            num_pos_feats=16,
            mlp_dim=64,
        ),
        prompt_encoder_config=dict(hidden_size=32, image_size=64, patch_size=4, mask_input_channels=4),
        mask_decoder_config=dict(
            hidden_size=32, mlp_dim=64, num_hidden_layers=2, num_attention_heads=4, iou_head_hidden_dim=32
        ),
    )
    SamModel(config).save_pretrained(folder)
    SamProcessor(
        image_processor=SamImageProcessor(
            size={"longest_edge": 64},
            pad_size={"height": 64, "width": 64},
            mask_size={"longest_edge": 16},
            mask_pad_size={"height": 16, "width": 16},
        )
    ).save_pretrained(folder)
    return str(folder)


def build_depth_anything(folder, metric: bool = False) -> str:
    from PIL import Image
    from transformers import (
        DepthAnythingConfig,
        DepthAnythingForDepthEstimation,
        Dinov2Config,
        DPTImageProcessor,
    )

    torch.manual_seed(0)
    backbone = Dinov2Config(
        hidden_size=32,
        num_hidden_layers=4,
        num_attention_heads=2,
        mlp_ratio=2,
        image_size=56,
        patch_size=14,
        out_features=["stage1", "stage2", "stage3", "stage4"],
        reshape_hidden_states=False,
    )
    config = DepthAnythingConfig(
        backbone_config=backbone,
        patch_size=14,
        reassemble_hidden_size=32,
        neck_hidden_sizes=[8, 16, 16, 32],
        fusion_hidden_size=16,
        head_hidden_size=8,
        depth_estimation_type="metric" if metric else "relative",
        max_depth=20,
    )
    DepthAnythingForDepthEstimation(config).save_pretrained(folder)
    DPTImageProcessor(
        size={"height": 56, "width": 56},
        keep_aspect_ratio=True,
        ensure_multiple_of=14,
        do_pad=False,
        resample=Image.Resampling.BICUBIC,
        image_mean=[0.485, 0.456, 0.406],
        image_std=[0.229, 0.224, 0.225],
    ).save_pretrained(folder)
    return str(folder)


def build_clip(folder) -> str:
    from transformers import CLIPConfig, CLIPImageProcessor, CLIPModel, CLIPProcessor, CLIPTokenizer

    torch.manual_seed(0)
    vocab = byte_vocab(["<|startoftext|>", "<|endoftext|>"])
    tok = CLIPTokenizer(
        vocab=vocab,
        merges=[],
        bos_token="<|startoftext|>",
        eos_token="<|endoftext|>",
        pad_token="<|endoftext|>",
        unk_token="<|endoftext|>",
        model_max_length=32,
    )
    config = CLIPConfig(
        text_config=dict(
            vocab_size=len(vocab),
            hidden_size=32,
            intermediate_size=64,
            num_hidden_layers=2,
            num_attention_heads=4,
            max_position_embeddings=32,
            bos_token_id=0,
            eos_token_id=1,
            pad_token_id=1,
        ),
        vision_config=dict(
            hidden_size=32,
            intermediate_size=64,
            num_hidden_layers=2,
            num_attention_heads=4,
            image_size=32,
            patch_size=8,
        ),
        projection_dim=16,
    )
    CLIPModel(config).save_pretrained(folder)
    CLIPProcessor(
        image_processor=CLIPImageProcessor(size={"shortest_edge": 32}, crop_size={"height": 32, "width": 32}),
        tokenizer=tok,
    ).save_pretrained(folder)
    return str(folder)


def build_owlv2(folder) -> str:
    from transformers import (
        CLIPTokenizer,
        Owlv2Config,
        Owlv2ForObjectDetection,
        Owlv2ImageProcessor,
        Owlv2Processor,
    )

    torch.manual_seed(0)
    # text pooling is argmax(input_ids): the end token must have the highest id, as in CLIP's vocabulary
    vocab = byte_vocab(["!", "<|startoftext|>"], eos_last="<|endoftext|>")
    tok = CLIPTokenizer(
        vocab=vocab,
        merges=[],
        bos_token="<|startoftext|>",
        eos_token="<|endoftext|>",
        pad_token="!",
        unk_token="<|endoftext|>",
        model_max_length=16,
    )
    config = Owlv2Config(
        text_config=dict(
            vocab_size=len(vocab),
            hidden_size=32,
            intermediate_size=64,
            num_hidden_layers=2,
            num_attention_heads=4,
            max_position_embeddings=16,
            eos_token_id=len(vocab) - 1,
            pad_token_id=0,
            bos_token_id=1,
        ),
        vision_config=dict(
            hidden_size=32,
            intermediate_size=64,
            num_hidden_layers=2,
            num_attention_heads=4,
            image_size=32,
            patch_size=8,
        ),
        projection_dim=32,
    )
    Owlv2ForObjectDetection(config).save_pretrained(folder)
    Owlv2Processor(
        image_processor=Owlv2ImageProcessor(size={"height": 32, "width": 32}), tokenizer=tok
    ).save_pretrained(folder)
    return str(folder)


@pytest.fixture(scope="module")
def tiny(tmp_path_factory) -> dict[str, str]:
    root = tmp_path_factory.mktemp("tiny-vision")
    return {
        "sam": build_sam(root / "sam"),
        "depth": build_depth_anything(root / "depth"),
        "depth-metric": build_depth_anything(root / "depth-metric", metric=True),
        "clip": build_clip(root / "clip"),
        "owlv2": build_owlv2(root / "owlv2"),
    }


@pytest.fixture(scope="module")
def picture() -> np.ndarray:
    """A blue sky over green ground with a red square: 48 x 80 RGB."""
    img = np.zeros((48, 80, 3), dtype=np.uint8)
    img[:20] = (110, 160, 230)
    img[20:] = (60, 140, 50)
    img[24:40, 30:46] = (200, 30, 30)
    return img


@pytest.fixture(scope="module")
def sam(tiny) -> SamRegions:
    # a random model scores its masks low: accept them all to check the wiring
    return create_sam(
        model=tiny["sam"], device="cpu", points_per_side=4, pred_iou_thresh=0.0, stability_score_thresh=0.0
    )


# ---------------------------------------------------------------- SAM


def test_greedy_nms_matches_the_definition():
    boxes = torch.tensor([[0, 0, 10, 10], [1, 1, 10, 10], [20, 20, 30, 30], [0, 0, 10, 9.0]])
    scores = torch.tensor([0.5, 0.9, 0.3, 0.8])
    # box 1 (best) suppresses 0 (IoU 0.81) and 3 (IoU 0.72); box 2 is apart
    assert greedy_box_nms(boxes, scores, 0.7).tolist() == [1, 2]
    assert greedy_box_nms(boxes, scores, 0.95).tolist() == [1, 3, 0, 2]
    assert greedy_box_nms(torch.zeros((0, 4)), torch.zeros(0), 0.5).tolist() == []


def test_rle_round_trip_of_the_pipeline_encoding():
    from transformers.models.sam.image_processing_pil_sam import _mask_to_rle

    mask = np.random.default_rng(1).random((1, 7, 5)) > 0.5
    rle = _mask_to_rle(torch.from_numpy(mask))[0]
    np.testing.assert_array_equal(rle_to_mask(rle), mask[0])


def test_sam_gives_regions_with_masks_and_boxes(sam, picture):
    regions = sam.propose(picture, max_regions=5, min_area=0.0, context={})
    assert 1 <= len(regions) <= 5
    for r in regions:
        assert isinstance(r, Region) and r.backend == "sam"
        assert r.mask.shape == picture.shape[:2] and r.mask.dtype == bool and r.mask.any()
        ys, xs = np.nonzero(r.mask)
        assert r.box == (xs.min(), ys.min(), xs.max() + 1, ys.max() + 1)
        assert r.polygon.shape == (4, 2)
        assert r.extra["kind"] in ("object", "ambience") and 0.0 <= r.extra["predicted_iou"] <= 1.0
    assert [r.score for r in regions] == sorted((r.score for r in regions), reverse=True)


def test_sam_drops_regions_below_min_area(sam, picture):
    assert sam.propose(picture, max_regions=5, min_area=0.99, context={}) == []


# ---------------------------------------------------------------- Depth Anything


def test_disparity_maps_onto_inverse_depth_between_near_and_far():
    disparity = np.linspace(0.0, 1.0, 101)
    depth = disparity_to_depth(disparity, 1.0, 100.0, percentiles=(0, 100))
    assert depth[0] == pytest.approx(100.0) and depth[-1] == pytest.approx(1.0)
    assert np.all(np.diff(depth) < 0)  # nearer where the disparity is larger
    np.testing.assert_allclose(1 / depth, 0.01 + disparity * 0.99)
    flat = disparity_to_depth(np.ones((4, 4)), 1.0, 100.0)
    np.testing.assert_allclose(flat, 1 / (0.5 * (1 + 0.01)))


def test_depth_anything_relative_gives_metres_within_the_range(tiny, picture):
    backend = create_depth_anything(model=tiny["depth"], device="cpu", depth_range_m=(2.0, 40.0))
    assert isinstance(backend, DepthAnythingDepth) and not backend.metric
    depth = backend.estimate(picture, 65.0, "perspective", {})
    assert depth.depth_m.shape == picture.shape[:2]
    assert depth.along_ray is False and depth.backend == "depth-anything"
    assert depth.depth_m.min() >= 2.0 - 1e-9 and depth.depth_m.max() <= 40.0 + 1e-9
    # the raw output, resized, is the disparity that was mapped: order is reversed
    raw = backend.predict(picture)
    np.testing.assert_allclose(depth.depth_m, disparity_to_depth(raw, 2.0, 40.0))


def test_depth_anything_relative_uses_the_classical_range_by_default(tiny, picture):
    backend = create_depth_anything(model=tiny["depth"], device="cpu")
    depth = backend.estimate(picture, 65.0, "perspective", {})
    # the picture shows sky: the outdoor range of the classical backend
    from see2sound.vision.depth_cues import OUTDOOR_RANGE_M

    assert (
        OUTDOOR_RANGE_M[0] - 1e-9 <= depth.depth_m.min() and depth.depth_m.max() <= OUTDOOR_RANGE_M[1] + 1e-9
    )


def test_depth_anything_metric_passes_metres_through(tiny, picture):
    backend = create_depth_anything(model=tiny["depth-metric"], device="cpu")
    assert backend.metric
    depth = backend.estimate(picture, 65.0, "perspective", {})
    assert depth.depth_m.shape == picture.shape[:2] and np.all(depth.depth_m >= 0.05)
    np.testing.assert_allclose(depth.depth_m, np.clip(backend.predict(picture), 0.05, None))


# ---------------------------------------------------------------- CLIP


def test_clip_labels_regions_from_the_vocabulary(tiny, picture):
    backend = create_clip(model=tiny["clip"], device="cpu")
    assert isinstance(backend, ClipLabels)
    mask = np.zeros(picture.shape[:2], dtype=bool)
    mask[24:40, 30:46] = True
    named = Region(mask=mask, box=(30, 24, 46, 40), labels=[("dog", 0.9)], sound_class="dog barking")
    regions = [Region(mask=mask, box=(30, 24, 46, 40)), Region(mask=~mask, box=(0, 0, 80, 48)), named]
    backend.label(picture, regions, {})
    vocabulary = {label for _, _, label in SOUND_VOCABULARY}
    for r in regions[:2]:
        assert 1 <= len(r.labels) <= 5
        assert all(label in vocabulary and 0.0 <= s <= 1.0 for label, s in r.labels)
        assert [s for _, s in r.labels] == sorted((s for _, s in r.labels), reverse=True)
        assert r.sound_class == r.labels[0][0] and r.extra["audioset_class"]
    assert named.labels == [("dog", 0.9)]  # a detector's label is kept
    # probabilities over the whole vocabulary add up to one
    probs = backend.scores([picture, picture[:20]])
    assert probs.shape == (2, len(SOUND_VOCABULARY))
    np.testing.assert_allclose(probs.sum(axis=1), 1.0, rtol=1e-5)
    # different texts give different embeddings (the tokenizer's end token is the pooled one)
    text = backend.text_embeddings()
    assert not torch.allclose(text[0], text[1])


# ---------------------------------------------------------------- OWLv2


def test_prompt_nouns_come_first_with_coco_labels():
    pairs = prompt_queries("Two dogs barking near a busy road and a waterfall", defaults=("dog", "cat"))
    assert pairs == [
        ("a photo of a dog", "dog"),
        ("a photo of a road", "car"),
        ("a photo of a waterfall", "waterfall"),
        ("a photo of a cat", "cat"),
    ]


def test_owlv2_gives_detections_inside_the_picture(tiny, picture):
    backend = create_owlv2(model=tiny["owlv2"], device="cpu", threshold=0.0)
    assert isinstance(backend, Owlv2Detector) and backend.min_score == 0.0
    found = backend.detect(picture, prompt="a fox by a waterfall")
    assert found and all(isinstance(d, Detection) and d.backend == "owlv2" for d in found)
    labels = {label for _, label in prompt_queries("a fox by a waterfall")}
    h, w = picture.shape[:2]
    for d in found:
        x0, y0, x1, y1 = d.box
        assert 0 <= x0 < x1 <= w and 0 <= y0 < y1 <= h
        assert d.label in labels and 0.0 <= d.score <= 1.0
    assert [d.score for d in found] == sorted((d.score for d in found), reverse=True)


# ---------------------------------------------------------------- registry, check, end to end


def test_check_needs_local_weights(monkeypatch, tmp_path, tiny):
    monkeypatch.setenv("HF_HUB_CACHE", str(tmp_path / "hub"))
    monkeypatch.setenv("HF_HOME", str(tmp_path / "hf"))
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "xdg"))
    for env in (
        "SEE2SOUND_SAM_MODEL",
        "SEE2SOUND_DEPTH_MODEL",
        "SEE2SOUND_CLIP_MODEL",
        "SEE2SOUND_OWLV2_MODEL",
    ):
        monkeypatch.delenv(env, raising=False)
    reason = REGIONS.get("sam").unavailable_reason()
    assert "facebook/sam-vit-base" in reason and "SEE2SOUND_SAM_MODEL" in reason
    assert REGIONS.auto().name != "sam" and DEPTH.auto().name != "depth-anything"
    with pytest.raises(BackendError, match="cannot run here"):
        REGIONS.create("sam")
    # the id in the hub cache layout counts as present
    snap = tmp_path / "hub" / "models--facebook--sam-vit-base" / "snapshots" / "abc"
    snap.mkdir(parents=True)
    (snap / "config.json").write_text("{}")
    assert REGIONS.get("sam").unavailable_reason() is None and REGIONS.auto().name == "sam"
    # a local folder through the environment
    monkeypatch.setenv("SEE2SOUND_DEPTH_MODEL", tiny["depth"])
    assert DEPTH.auto().name == "depth-anything"
    monkeypatch.setenv("SEE2SOUND_CLIP_MODEL", str(tmp_path / "nowhere"))
    assert "no saved model" in LABELS.get("clip").unavailable_reason()


def test_a_broken_model_folder_is_one_line_error(tmp_path):
    (tmp_path / "config.json").write_text('{"model_type": "depth_anything", "backbone_config": 3}')
    with pytest.raises(BackendError, match="cannot be loaded") as info:
        create_depth_anything(model=str(tmp_path), device="cpu")
    assert "\n" not in str(info.value)


def test_analysis_end_to_end_with_every_model_backend(tiny, sam, picture):
    from see2sound.vision.analysis import VisionBackends, analyze_image

    backends = VisionBackends(
        regions=sam,
        depth=create_depth_anything(model=tiny["depth"], device="cpu"),
        labels=create_clip(model=tiny["clip"], device="cpu"),
        detector=create_owlv2(model=tiny["owlv2"], device="cpu", threshold=0.0),
        names={"vision": "sam", "depth": "depth-anything", "labels": "clip", "detector": "owlv2"},
    )
    big = np.kron(picture, np.ones((4, 4, 1), dtype=np.uint8))  # 192 x 320
    result = analyze_image(big, n_sources=3, backends=backends)
    assert result.sources and result.backends["vision"] == "sam"
    vocabulary = {label for _, _, label in SOUND_VOCABULARY}
    for s in result.candidates:
        assert -90 <= s.azimuth_deg <= 90 and s.distance_m > 0 and s.label
        assert s.origin in ("sam", "owlv2")  # every candidate came from a model backend
        if s.origin == "sam":
            assert s.label in vocabulary  # named by CLIP


def test_analyze_command_with_model_backends(cli, tmp_path, monkeypatch, tiny, picture):
    from PIL import Image

    monkeypatch.setenv("SEE2SOUND_SAM_MODEL", tiny["sam"])
    monkeypatch.setenv("SEE2SOUND_DEPTH_MODEL", tiny["depth"])
    monkeypatch.setenv("SEE2SOUND_CLIP_MODEL", tiny["clip"])
    monkeypatch.setenv("SEE2SOUND_DEVICE", "cpu")
    monkeypatch.setenv("SEE2SOUND_SAM_POINTS", "3")
    image = tmp_path / "scene.png"
    Image.fromarray(np.kron(picture, np.ones((4, 4, 1), dtype=np.uint8))).save(image)
    out = tmp_path / "scene.json"
    code, stdout, err = cli(
        "analyze",
        image,
        "-o",
        out,
        "--vision",
        "sam",
        "--depth",
        "depth-anything",
        "--labels",
        "clip",
        "--sources",
        "2",
    )
    assert code == 0, err
    from see2sound.scene import load_scene

    scene = load_scene(out)
    assert 1 <= len(scene.sources) <= 2
    vision = json.loads(out.read_text())["vision"]
    assert (vision["vision"], vision["depth"], vision["labels"]) == ("sam", "depth-anything", "clip")
