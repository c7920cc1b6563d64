"""NanoDet-g on real photographs: scikit-image's samples and the test pictures of Debian's ``darknet``.

Uses the model that `make test` fetched (``see2sound models fetch nanodet``) through the ``real_cache``
fixture. The darknet pictures are fetched once per session with ``apt-get download darknet``. The object
boxes below were read off the pictures by eye; a detection counts when its label is right, its score
is at least the default threshold (0.35) and it overlaps the object's box with IoU >= 0.5.
"""

from __future__ import annotations

import os
import subprocess
from pathlib import Path

import numpy as np
import pytest

from see2sound.vision.backends import DETECTORS
from see2sound.vision.nanodet.detector import box_iou


@pytest.fixture(scope="session")
def darknet_pictures(tmp_path_factory) -> Path:
    """Folder holding dog.jpg, giraffe.jpg, eagle.jpg ... from the Debian package ``darknet``."""
    folder = tmp_path_factory.mktemp("darknet")
    command = ["apt-get", "download", "darknet"]
    result = subprocess.run(command, cwd=folder, capture_output=True, text=True)
    if result.returncode != 0 and hasattr(os, "geteuid") and os.geteuid() == 0:  # stale package lists
        subprocess.run(["apt-get", "update", "-qq"], capture_output=True, text=True)
        result = subprocess.run(command, cwd=folder, capture_output=True, text=True)
    debs = sorted(folder.glob("darknet_*.deb"))
    assert result.returncode == 0 and debs, f"apt-get download darknet failed: {result.stderr.strip()}"
    subprocess.run(["dpkg-deb", "-x", str(debs[0]), str(folder / "root")], check=True)
    pictures = folder / "root" / "usr" / "share" / "darknet" / "data"
    assert (pictures / "dog.jpg").is_file()
    return pictures


def read_rgb(path: Path) -> np.ndarray:
    from PIL import Image

    with Image.open(path) as im:
        return np.asarray(im.convert("RGB"))


def skimage_picture(name: str) -> np.ndarray:
    import skimage.data

    if name == "motorcycle":
        return skimage.data.stereo_motorcycle()[0]
    return getattr(skimage.data, name)()


# label, object box (x0, y0, x1, y1) read off the picture by eye
SKIMAGE_EXPECTED = {
    "astronaut": [("person", (10, 20, 360, 512))],
    "chelsea": [("cat", (0, 0, 451, 300))],
    "motorcycle": [("motorcycle", (100, 80, 690, 450))],
}
DARKNET_EXPECTED = {
    "dog.jpg": [
        ("dog", (131, 215, 326, 538)),
        ("bicycle", (125, 134, 566, 423)),
        ("car", (467, 86, 695, 169)),
    ],
    "giraffe.jpg": [("giraffe", (165, 30, 450, 440))],
    "eagle.jpg": [("bird", (130, 85, 600, 440))],
}


def assert_found(detections, expected, picture):
    for label, truth in expected:
        matches = [d for d in detections if d.label == label]
        assert matches, f"{picture}: no {label} in {[(d.label, round(d.score, 2)) for d in detections]}"
        best = max(box_iou(np.asarray(truth, float), np.asarray([d.box for d in matches], float)))
        assert best >= 0.5, f"{picture}: {label} boxes miss the object (IoU {best:.2f})"
        assert all(d.score >= 0.35 and d.backend == "nanodet" for d in matches)


@pytest.fixture
def nanodet(real_cache):
    return DETECTORS.create("nanodet")


@pytest.mark.parametrize("name", sorted(SKIMAGE_EXPECTED))
def test_skimage_samples(nanodet, name):
    image = skimage_picture(name)
    detections = nanodet.detect(image)
    assert_found(detections, SKIMAGE_EXPECTED[name], name)
    height, width = image.shape[:2]
    for d in detections:
        x0, y0, x1, y1 = d.box
        assert 0 <= x0 < x1 <= width and 0 <= y0 < y1 <= height


@pytest.mark.parametrize("name", sorted(DARKNET_EXPECTED))
def test_darknet_pictures(nanodet, darknet_pictures, name):
    assert_found(nanodet.detect(read_rgb(darknet_pictures / name)), DARKNET_EXPECTED[name], name)


def test_detections_are_deterministic_and_sorted(nanodet, darknet_pictures):
    image = read_rgb(darknet_pictures / "dog.jpg")
    first, second = nanodet.detect(image), nanodet.detect(image)
    assert first == second
    scores = [d.score for d in first]
    assert scores == sorted(scores, reverse=True)


def test_threshold_filters_and_a_plain_picture_has_no_objects(nanodet, darknet_pictures):
    image = read_rgb(darknet_pictures / "dog.jpg")
    strict = nanodet.detect(image, score_threshold=0.6)
    assert [d.label for d in strict] == ["dog"]
    assert nanodet.detect(np.full((300, 400, 3), 128, np.uint8)) == []


def test_auto_chooses_nanodet_when_cached(real_cache):
    assert DETECTORS.auto().name == "nanodet"


def test_models_list_credits_nanodet(cli, real_cache):
    code, out, _ = cli("models", "list")
    assert code == 0
    assert "nanodet-g-416" in out and "Apache-2.0" in out and "MIT" in out and "not shipped" in out


def test_analyze_labels_the_dog(real_cache, darknet_pictures, tmp_path):
    from see2sound.pipeline.analyze import analyze

    scene = analyze(darknet_pictures / "dog.jpg", tmp_path / "scene.json", preview=False)
    labels = [source.label for source in scene.sources]
    assert "dog" in labels
    dog = scene.sources[labels.index("dog")]
    assert dog.position.azimuth > 0  # the dog sits left of the picture's centre: positive azimuth (DESIGN §2)
