"""The user's prompt, parsed into sound-bearing nouns that can label regions.

``"a dog barking by a busy road"`` -> dog, traffic. Each noun (``data/prompt.toml``, read with the one
vocabulary of :mod:`see2sound.vocabulary`) knows the sound class it stands for, the detector classes and
scene parts it fits, and where it is heard when nothing in the picture is it (:mod:`.compose` routes it).
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from functools import cache

from ..vocabulary import load_table, singular, words

PLACES = ("bed", "above", "below", "front", "far")
# clause boundaries: a noun's phrase is the clause of the prompt it sits in
_CLAUSES = re.compile(r"[,;.!?]|\b(?:and|with|by|near|under|over|beside|behind|in|on|at|from)\b")


@dataclass(frozen=True)
class PromptNoun:
    """A sound-bearing noun of the prompt, what it sounds like and what kind of region it fits."""

    word: str  # as written (singular)
    label: str  # label given to what it voices
    sound_class: str  # the sound class heard
    detector_labels: tuple[str, ...] = ()  # COCO classes it matches
    parts: tuple[str, ...] = ()  # scene parts it matches
    place: str = "front"  # where an unmatched noun is heard (one of PLACES)
    own: bool = False  # a part it names keeps its own sound ("water": the sea surfs, a lake laps)
    distance_m: float | None = None  # how far it is placed when nothing in the picture is it
    phrase: str = ""  # the clause of the prompt it was read from ("a dog barking")


@cache
def noun_table() -> dict[str, PromptNoun]:
    """Every word of ``data/prompt.toml`` (nouns and their other words) -> its :class:`PromptNoun`."""
    table: dict[str, PromptNoun] = {}
    for word, row in load_table("prompt")["noun"].items():
        if row.get("place", "front") not in PLACES:
            raise RuntimeError(f"prompt.toml: noun {word!r} has unknown place {row.get('place')!r}")
        noun = PromptNoun(
            word=word,  # replaced by the word as written when read from a prompt
            label=row["label"],
            sound_class=row["sound"],
            detector_labels=tuple(row.get("objects", ())),
            parts=tuple(row.get("parts", ())),
            place=row.get("place", "front"),
            own=bool(row.get("own", False)),
            distance_m=float(row["distance"]) if "distance" in row else None,
        )
        for w in (word, *row.get("words", ())):
            if w in table:
                raise RuntimeError(f"prompt.toml: {w!r} is listed twice")
            table[w] = noun
    return table


def parse_prompt(prompt: str | None) -> list[PromptNoun]:
    """Sound-bearing nouns of ``prompt`` in order of appearance, without repeats of the same label.

    Examples
    --------
    >>> [n.label for n in parse_prompt("A dog barking by a busy road")]
    ['dog', 'traffic']
    >>> [n.phrase for n in parse_prompt("A dog barking by a busy road")]
    ['a dog barking', 'a busy road']
    """
    if not prompt:
        return []
    table = noun_table()
    nouns: list[PromptNoun] = []
    seen: set[str] = set()
    for clause in _CLAUSES.split(prompt.lower()):
        phrase = " ".join(words(clause))
        for raw in words(clause):
            noun = table.get(singular(raw))
            if noun is None or noun.label in seen:
                continue
            seen.add(noun.label)
            nouns.append(PromptNoun(**{**noun.__dict__, "word": singular(raw), "phrase": phrase}))
    return nouns
