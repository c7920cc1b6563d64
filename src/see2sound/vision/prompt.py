"""The user's prompt, parsed into sound-bearing nouns that can label regions.

``"a dog barking by a busy road"`` -> ``["dog", "road"]``. Each noun knows which detector classes and
scene parts it fits, so it can be assigned to the region that matches it best.
"""

from __future__ import annotations

import re
from dataclasses import dataclass


@dataclass(frozen=True)
class PromptNoun:
    """A sound-bearing noun of the prompt and what kind of region it fits."""

    word: str  # as written (singular)
    label: str  # label given to the region
    detector_labels: tuple[str, ...] = ()  # COCO classes it matches
    parts: tuple[str, ...] = ()  # scene parts it matches


# noun -> (label, COCO classes, scene parts)
_VOCABULARY: dict[str, tuple[str, tuple[str, ...], tuple[str, ...]]] = {
    "dog": ("dog", ("dog",), ()),
    "puppy": ("dog", ("dog",), ()),
    "cat": ("cat", ("cat",), ()),
    "kitten": ("cat", ("cat",), ()),
    "bird": ("bird", ("bird",), ("sky", "vegetation")),
    "seagull": ("seagull", ("bird",), ("sky",)),
    "gull": ("seagull", ("bird",), ("sky",)),
    "horse": ("horse", ("horse",), ()),
    "cow": ("cow", ("cow",), ()),
    "sheep": ("sheep", ("sheep",), ()),
    "elephant": ("elephant", ("elephant",), ()),
    "person": ("person", ("person",), ("person",)),
    "man": ("person", ("person",), ("person",)),
    "woman": ("person", ("person",), ("person",)),
    "child": ("child", ("person",), ("person",)),
    "people": ("people", ("person",), ("person",)),
    "crowd": ("crowd", ("person",), ("person",)),
    "car": ("car", ("car",), ("road",)),
    "truck": ("truck", ("truck",), ("road",)),
    "bus": ("bus", ("bus",), ("road",)),
    "motorcycle": ("motorcycle", ("motorcycle",), ("road",)),
    "motorbike": ("motorcycle", ("motorcycle",), ("road",)),
    "bicycle": ("bicycle", ("bicycle",), ("road",)),
    "bike": ("bicycle", ("bicycle", "motorcycle"), ("road",)),
    "train": ("train", ("train",), ()),
    "airplane": ("airplane", ("airplane",), ("sky",)),
    "plane": ("airplane", ("airplane",), ("sky",)),
    "boat": ("boat", ("boat",), ("water",)),
    "ship": ("boat", ("boat",), ("water",)),
    "traffic": ("traffic", ("car", "truck", "bus"), ("road",)),
    "road": ("traffic", ("car", "truck", "bus"), ("road",)),
    "street": ("traffic", ("car", "truck", "bus"), ("road",)),
    "highway": ("traffic", ("car", "truck", "bus"), ("road",)),
    "engine": ("engine", ("car", "truck", "motorcycle", "bus"), ("road",)),
    "ocean": ("ocean waves", (), ("water",)),
    "sea": ("ocean waves", (), ("water",)),
    "wave": ("ocean waves", (), ("water",)),
    "surf": ("ocean waves", (), ("water",)),
    "beach": ("ocean waves", (), ("water", "sand")),
    "lake": ("water", (), ("water",)),
    "river": ("river", (), ("water",)),
    "stream": ("stream", (), ("water",)),
    "creek": ("stream", (), ("water",)),
    "waterfall": ("waterfall", (), ("water", "snow")),
    "fountain": ("fountain", (), ("water",)),
    "water": ("water", (), ("water",)),
    "rain": ("rain", (), ("sky", "road")),
    "wind": ("wind", (), ("sky", "vegetation")),
    "storm": ("storm", (), ("sky",)),
    "thunder": ("thunder", (), ("sky",)),
    "sky": ("wind", (), ("sky",)),
    "tree": ("leaves rustling", ("potted plant",), ("vegetation",)),
    "forest": ("forest", (), ("vegetation",)),
    "leaf": ("leaves rustling", (), ("vegetation",)),
    "grass": ("grass", (), ("vegetation",)),
    "jungle": ("jungle", (), ("vegetation",)),
    "fire": ("fire crackling", (), ("fire",)),
    "campfire": ("fire crackling", (), ("fire",)),
    "fireplace": ("fire crackling", (), ("fire",)),
    "flame": ("fire crackling", (), ("fire",)),
    "snow": ("wind", (), ("snow", "sky")),
    "city": ("city ambience", (), ("building", "road")),
    "building": ("city ambience", (), ("building",)),
    "construction": ("construction", (), ("building",)),
    "clock": ("clock ticking", ("clock",), ()),
    "tv": ("television", ("tv",), ()),
    "television": ("television", ("tv",), ()),
    "phone": ("phone ringing", ("cell phone",), ()),
    "keyboard": ("typing", ("keyboard", "laptop"), ()),
    "music": ("music", (), ()),
    "guitar": ("guitar", (), ()),
    "piano": ("piano", (), ()),
    "bell": ("bell", (), ("building",)),
}

_IRREGULAR_PLURALS = {
    "people": "people",
    "children": "child",
    "men": "man",
    "women": "woman",
    "leaves": "leaf",
    "geese": "bird",
    "mice": "mouse",
    "sheep": "sheep",
}


def _singular(word: str) -> str:
    if word in _IRREGULAR_PLURALS:
        return _IRREGULAR_PLURALS[word]
    for suffix, repl in (("ies", "y"), ("ves", "f"), ("ses", "s"), ("es", ""), ("s", "")):
        if word.endswith(suffix) and len(word) > len(suffix) + 2:
            candidate = word[: -len(suffix)] + repl
            if candidate in _VOCABULARY:
                return candidate
    return word


def parse_prompt(prompt: str | None) -> list[PromptNoun]:
    """Sound-bearing nouns of ``prompt`` in order of appearance, without repeats of the same label.

    Examples
    --------
    >>> [n.label for n in parse_prompt("A dog barking by a busy road")]
    ['dog', 'traffic']
    """
    if not prompt:
        return []
    nouns: list[PromptNoun] = []
    seen: set[str] = set()
    for raw in re.findall(r"[a-z]+", prompt.lower()):
        word = _singular(raw)
        entry = _VOCABULARY.get(word)
        if entry is None or entry[0] in seen:
            continue
        seen.add(entry[0])
        nouns.append(PromptNoun(word, *entry))
    return nouns
