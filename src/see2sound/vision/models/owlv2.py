"""``owlv2``: open-vocabulary boxes for text queries (OWLv2, Minderer et al. 2023).

The queries are the sound-bearing nouns of the user's prompt ("a dog barking by a road" -> dog,
traffic) followed by the COCO classes that make a sound. A detection is labelled with the COCO class
its query stands for when there is one, so that the vision stage's size priors and sound classes
apply to it as they do to NanoDet's detections; otherwise with the prompt noun's label.
"""

from __future__ import annotations

import numpy as np

from ..backends import DETECTORS
from ..prompt import parse_prompt
from ..sound_classes import COCO_SOUNDS
from ..types import Detection
from .common import ModelChoice, load_model, load_processor, to_pil

OWLV2 = ModelChoice("SEE2SOUND_OWLV2_MODEL", "google/owlv2-base-patch16-ensemble")

# COCO classes whose sound is their own (not a generic ambience)
DEFAULT_QUERIES: tuple[str, ...] = tuple(
    label for label, sound in COCO_SOUNDS.items() if sound not in ("ambience", "animal ambience")
)


def prompt_queries(prompt: str | None, defaults=DEFAULT_QUERIES) -> list[tuple[str, str]]:
    """``(query text, detection label)`` pairs: the prompt's nouns first, then ``defaults``.

    Examples
    --------
    >>> prompt_queries("a dog by a waterfall", defaults=("car",))
    [('a photo of a dog', 'dog'), ('a photo of a waterfall', 'waterfall'), ('a photo of a car', 'car')]
    """
    pairs: list[tuple[str, str]] = []
    seen: set[str] = set()
    for noun in parse_prompt(prompt):
        label = noun.detector_labels[0] if noun.detector_labels else noun.label
        if noun.word not in seen:
            seen.add(noun.word)
            pairs.append((f"a photo of a {noun.word}", label))
    for label in defaults:
        if label not in seen:
            seen.add(label)
            pairs.append((f"a photo of a {label}", label))
    return pairs


class Owlv2Detector:
    """OWLv2 boxes for the prompt's nouns and the sounding COCO classes.

    Parameters
    ----------
    model : str, optional
        Hugging Face id or local folder (default ``$SEE2SOUND_OWLV2_MODEL``, else
        ``google/owlv2-base-patch16-ensemble``).
    device : str, optional
        ``cuda``, ``mps`` or ``cpu`` (default: the best available; half precision on a GPU).
    queries : sequence of str, optional
        Default object names (default: the COCO classes that make a sound).
    threshold : float
        Lowest score returned. OWLv2's calibrated scores are low: 0.1-0.3 is a confident box.
    prompt : str, optional
        The user's prompt; its nouns are queried first (can also be set later: ``detector.prompt``).
    """

    name = "owlv2"

    def __init__(
        self, model=None, device: str | None = None, queries=None, threshold: float = 0.1, prompt=None
    ):
        from transformers import AutoProcessor, Owlv2ForObjectDetection

        self.model_ref = OWLV2.ref(model)
        self.processor = load_processor(AutoProcessor, self.model_ref)
        self.model, self.device, self.dtype = load_model(Owlv2ForObjectDetection, self.model_ref, device)
        self.queries = tuple(queries) if queries else DEFAULT_QUERIES
        self.threshold = float(threshold)
        self.min_score = self.threshold  # for the vision stage: OWLv2 scores are not NanoDet's
        self.prompt = prompt

    def detect(self, image: np.ndarray, prompt: str | None = None) -> list[Detection]:
        import torch

        h, w = image.shape[:2]
        pairs = prompt_queries(prompt if prompt is not None else self.prompt, self.queries)
        texts = [q for q, _ in pairs]
        inputs = self.processor(
            text=[texts], images=to_pil(image), return_tensors="pt", padding="max_length", truncation=True
        )
        inputs = {k: v.to(self.device) for k, v in inputs.items()}
        inputs["pixel_values"] = inputs["pixel_values"].to(self.dtype)
        with torch.inference_mode():
            outputs = self.model(**inputs)
        result = self.processor.post_process_grounded_object_detection(
            outputs, threshold=self.threshold, target_sizes=[(h, w)]
        )[0]
        detections = []
        boxes = result["boxes"].float().cpu().numpy()
        for box, score, index in zip(
            boxes, result["scores"].tolist(), result["labels"].tolist(), strict=True
        ):
            # the picture is padded to a square: boxes may reach beyond it
            x0, x1 = np.clip(box[[0, 2]], 0, w)
            y0, y1 = np.clip(box[[1, 3]], 0, h)
            if x1 - x0 < 1 or y1 - y0 < 1:
                continue
            label = pairs[int(index)][1]
            detections.append(
                Detection((float(x0), float(y0), float(x1), float(y1)), label, float(score), self.name)
            )
        detections.sort(key=lambda d: -d.score)
        return detections


@DETECTORS.register(
    "owlv2",
    description="OWLv2 open-vocabulary boxes for the prompt's nouns (extra see2sound[models])",
    priority=20,
    check=OWLV2.unavailable_reason,
)
def create_owlv2(model=None, device=None, **options):
    """An :class:`Owlv2Detector` on ``model`` (id or folder)."""
    options.pop("depth_range_m", None)
    return Owlv2Detector(model=model, device=device, **options)
