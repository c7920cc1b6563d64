"""``clip``: zero-shot labels for regions over a sound-oriented vocabulary (Radford et al. 2021).

Each unlabelled region is cropped (its box, a little margin, pixels outside the mask dimmed towards
grey) and compared with the text "a photo of <thing>" for every entry of :data:`SOUND_VOCABULARY`:
the AudioSet ontology's classes (Gemmeke et al. 2017) that a camera can see making the sound. The
label given to the region is a plain phrase the sound stage understands ("dog barking", "waterfall").
"""

from __future__ import annotations

import numpy as np

from ..backends import LABELS
from ..types import Region
from .common import ModelChoice, load_model, load_processor, to_pil

CLIP = ModelChoice("SEE2SOUND_CLIP_MODEL", "openai/clip-vit-base-patch32")

# (what the picture shows, the AudioSet class, the label handed to the sound stage)
SOUND_VOCABULARY: tuple[tuple[str, str, str], ...] = (
    ("a dog", "Dog", "dog barking"),
    ("a cat", "Cat", "cat meowing"),
    ("a horse", "Horse", "horse neighing"),
    ("cows", "Cattle, bovinae", "cow mooing"),
    ("a pig", "Pig", "pig oinking"),
    ("a goat", "Goat", "goat bleating"),
    ("sheep", "Sheep", "sheep bleating"),
    ("a rooster", "Chicken, rooster", "rooster crowing"),
    ("ducks", "Duck", "duck quacking"),
    ("geese", "Goose", "goose honking"),
    ("a bird", "Bird", "birdsong"),
    ("pigeons", "Pigeon, dove", "pigeon cooing"),
    ("a crow", "Crow", "crow cawing"),
    ("an owl", "Owl", "owl hooting"),
    ("seagulls", "Gull, seagull", "seagull"),
    ("a frog", "Frog", "frog croaking"),
    ("insects", "Insect", "insects buzzing"),
    ("a bee", "Bee, wasp, etc.", "bee buzzing"),
    ("a lion", "Roaring cats (lions, tigers)", "lion roaring"),
    ("a whale", "Whale vocalization", "whale song"),
    ("a person speaking", "Speech", "people talking"),
    ("a crowd of people", "Crowd", "crowd"),
    ("children playing", "Children playing", "children playing"),
    ("a baby", "Baby cry, infant cry", "baby crying"),
    ("people walking", "Walk, footsteps", "footsteps"),
    ("people clapping", "Applause", "applause"),
    ("a car", "Car", "car engine"),
    ("traffic on a road", "Traffic noise, roadway noise", "traffic"),
    ("a truck", "Truck", "truck engine"),
    ("a bus", "Bus", "bus engine"),
    ("a motorcycle", "Motorcycle", "motorcycle engine"),
    ("a bicycle", "Bicycle", "bicycle bell and wheels"),
    ("a train", "Train", "train"),
    ("a subway train", "Subway, metro, underground", "subway train"),
    ("an airplane", "Fixed-wing aircraft, airplane", "airplane"),
    ("a helicopter", "Helicopter", "helicopter"),
    ("a boat", "Boat, Water vehicle", "boat motor"),
    ("a sailboat", "Sailboat, sailing ship", "sailboat"),
    ("a police car", "Police car (siren)", "siren"),
    ("a fire engine", "Fire engine, fire truck (siren)", "siren"),
    ("ocean waves", "Waves, surf", "ocean waves"),
    ("a river", "Stream", "river"),
    ("a waterfall", "Waterfall", "waterfall"),
    ("a fountain", "Water", "fountain"),
    ("rain", "Rain", "rain"),
    ("a thunderstorm", "Thunderstorm", "thunderstorm"),
    ("the sky", "Wind", "wind"),
    ("trees", "Rustling leaves", "leaves rustling"),
    ("a forest", "Rustling leaves", "forest"),
    ("grass", "Wind", "wind in grass"),
    ("a fire", "Fire", "fire crackling"),
    ("a fireplace", "Crackle", "fire crackling"),
    ("fireworks", "Fireworks", "fireworks"),
    ("a city street", "Outside, urban or manmade", "city ambience"),
    ("a building", "Outside, urban or manmade", "city ambience"),
    ("a construction site", "Jackhammer", "construction"),
    ("a kitchen", "Dishes, pots, and pans", "kitchen sounds"),
    ("a restaurant", "Chatter", "restaurant chatter"),
    ("a clock", "Clock", "clock ticking"),
    ("a bell", "Church bell", "bell"),
    ("a telephone", "Telephone", "phone ringing"),
    ("a computer keyboard", "Typing", "typing"),
    ("a television", "Television", "television"),
    ("a piano", "Piano", "piano"),
    ("a guitar", "Guitar", "guitar"),
    ("drums", "Drum kit", "drums"),
    ("a violin", "Violin, fiddle", "violin"),
    ("a fan", "Mechanical fan", "fan humming"),
    ("an air conditioner", "Air conditioning", "air conditioner"),
    ("a washing machine", "Washing machine", "washing machine"),
    ("a vacuum cleaner", "Vacuum cleaner", "vacuum cleaner"),
    ("a lawn mower", "Lawn mower", "lawn mower"),
    ("a chainsaw", "Chainsaw", "chainsaw"),
    ("a door", "Door", "door"),
    ("a snowy landscape", "Wind", "wind"),
    ("a sandy beach", "Waves, surf", "ocean waves"),
    ("a wall", "Silence", "ambience"),
    ("the floor", "Silence", "ambience"),
)


def _crop(image: np.ndarray, region: Region, margin: float = 0.1) -> np.ndarray:
    """The region's box with a margin, pixels outside the mask blended halfway to grey."""
    h, w = image.shape[:2]
    x0, y0, x1, y1 = region.box
    mx, my = margin * (x1 - x0), margin * (y1 - y0)
    c0, c1 = int(max(0, np.floor(x0 - mx))), int(min(w, np.ceil(x1 + mx)))
    r0, r1 = int(max(0, np.floor(y0 - my))), int(min(h, np.ceil(y1 + my)))
    if c1 - c0 < 2 or r1 - r0 < 2:
        c0, r0, c1, r1 = 0, 0, w, h
    crop = image[r0:r1, c0:c1].astype(np.float32)
    inside = region.mask[r0:r1, c0:c1, None]
    crop = np.where(inside, crop, 0.5 * crop + 0.5 * 128.0)
    return crop.astype(np.uint8)


class ClipLabels:
    """CLIP zero-shot classification of each unlabelled region over a sound vocabulary.

    Parameters
    ----------
    model : str, optional
        Hugging Face id or local folder (default ``$SEE2SOUND_CLIP_MODEL``, else
        ``openai/clip-vit-base-patch32``).
    device : str, optional
        ``cuda``, ``mps`` or ``cpu`` (default: the best available; half precision on a GPU).
    vocabulary : sequence of (text, audioset_class, label), optional
        Default :data:`SOUND_VOCABULARY`.
    top_k : int
        How many labels to keep per region (best first, softmax scores over the vocabulary).
    """

    name = "clip"

    def __init__(self, model=None, device: str | None = None, vocabulary=None, top_k: int = 5):
        from transformers import AutoModel, AutoProcessor

        self.model_ref = CLIP.ref(model)
        self.processor = load_processor(AutoProcessor, self.model_ref)
        self.model, self.device, self.dtype = load_model(AutoModel, self.model_ref, device)
        self.vocabulary = tuple(vocabulary or SOUND_VOCABULARY)
        self.top_k = int(top_k)
        self._text = None

    @staticmethod
    def _features(out):
        # transformers 5 returns an output object; older versions a tensor
        return out if not hasattr(out, "pooler_output") else out.pooler_output

    def text_embeddings(self):
        """Normalised text embeddings of the vocabulary, computed once."""
        import torch

        if self._text is None:
            texts = [f"a photo of {thing}." for thing, _, _ in self.vocabulary]
            tokens = self.processor.tokenizer(texts, padding=True, truncation=True, return_tensors="pt")
            with torch.inference_mode():
                emb = self._features(self.model.get_text_features(**tokens.to(self.device))).float()
            self._text = emb / emb.norm(dim=-1, keepdim=True).clamp(min=1e-12)
        return self._text

    def scores(self, crops: list[np.ndarray]) -> np.ndarray:
        """``(len(crops), len(vocabulary))`` probabilities (softmax over the vocabulary)."""
        import torch

        text = self.text_embeddings()
        inputs = self.processor.image_processor(images=[to_pil(c) for c in crops], return_tensors="pt")
        pixels = inputs["pixel_values"].to(self.device, self.dtype)
        with torch.inference_mode():
            emb = self._features(self.model.get_image_features(pixel_values=pixels)).float()
            emb = emb / emb.norm(dim=-1, keepdim=True).clamp(min=1e-12)
            logits = self.model.logit_scale.float().exp() * emb @ text.T
            return logits.softmax(dim=-1).cpu().numpy().astype(np.float64)

    def label(self, image: np.ndarray, regions: list[Region], context: dict) -> None:
        todo = [r for r in regions if not r.labels]
        if not todo:
            return
        audioset_of: dict[str, str] = {}
        for _, audioset, label in self.vocabulary:
            audioset_of.setdefault(label, audioset)
        probs = self.scores([_crop(image, r) for r in todo])
        for region, p in zip(todo, probs, strict=True):
            merged: dict[str, float] = {}  # several texts may give one label: add their probabilities
            for (_, _, label), value in zip(self.vocabulary, p, strict=True):
                merged[label] = merged.get(label, 0.0) + float(value)
            ranked = sorted(merged.items(), key=lambda x: -x[1])[: self.top_k]
            region.labels = [(label, round(min(1.0, s), 3)) for label, s in ranked]
            region.sound_class = ranked[0][0]
            region.extra["audioset_class"] = audioset_of[ranked[0][0]]


@LABELS.register(
    "clip",
    description="CLIP zero-shot labels over AudioSet sound sources (extra see2sound[models])",
    priority=20,
    check=CLIP.unavailable_reason,
)
def create_clip(model=None, device=None, **options):
    """A :class:`ClipLabels` on ``model`` (id or folder)."""
    options.pop("depth_range_m", None)
    return ClipLabels(model=model, device=device, **options)
