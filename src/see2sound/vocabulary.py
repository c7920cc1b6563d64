"""One vocabulary for every stage: the tokeniser, the singular form and the word tables shipped as data.

The vision labels, the user's prompt, the sound-class synonyms and the recording tags are all read with
:func:`tokens`, so "leaves", "geese" or "buses" mean the same word everywhere. The tables live in
``see2sound/data/*.toml`` (package data) and are read with :func:`load_table`.

Examples
--------
>>> tokens("Two geese_and LEAVES, buses!")
['two', 'goose', 'and', 'leaf', 'bus']
"""

from __future__ import annotations

import difflib
import re
import tomllib
from functools import cache
from importlib.resources import files

_WORD = re.compile(r"[a-z0-9]+")


@cache
def load_table(name: str) -> dict:
    """The TOML table ``see2sound/data/<name>.toml`` (read once, then shared: do not modify it)."""
    with files("see2sound").joinpath("data", f"{name}.toml").open("rb") as f:
        return tomllib.load(f)


@cache
def _forms() -> tuple[dict[str, str], frozenset[str]]:
    table = load_table("words")
    return dict(table["irregular"]), frozenset(table["not_plural"]["words"])


def singular(word: str) -> str:
    """The singular of a lower-case English word: ``cows`` → ``cow``, ``ponies`` → ``pony``,
    ``churches`` → ``church``, ``leaves`` → ``leaf``, ``geese`` → ``goose``; other words unchanged.

    Irregular plurals and words that only look plural ("grass", "news") come from ``data/words.toml``.
    """
    irregular, not_plural = _forms()
    if word in irregular:
        return irregular[word]
    if len(word) <= 3 or word in not_plural or word.endswith(("ss", "us", "is")):
        return word
    if word.endswith("ies") and len(word) > 4:
        return word[:-3] + "y"
    if word.endswith(("sses", "ches", "shes", "xes", "zzes")):
        return word[:-2]
    if word.endswith("s"):
        return word[:-1]
    return word


def words(text: str) -> list[str]:
    """Lower-case words of ``text`` as written: letters and digits; anything else separates them
    (an apostrophe is dropped: "dog's" is one word)."""
    return _WORD.findall(str(text).lower().replace("'", "").replace("\u2019", ""))


def tokens(text: str) -> list[str]:
    """Lower-case singular words of ``text``; punctuation, hyphens and underscores separate them."""
    return [singular(w) for w in words(text)]


@cache
def label_sounds() -> dict[str, str]:
    """Every detector label of ``data/sounding.toml`` -> the sound class it is heard as when it sounds
    (still, else moving), or ``"silent"``: the one label -> class map of every stage."""
    found = {}
    for label, row in load_table("sounding")["label"].items():
        sound = row.get("sound", "silent")
        if sound == "silent":
            sound = row.get("moving", {}).get("sound", "silent")
        found[label] = sound
    return found


def closest_word(word: str, known, cutoff: float = 0.85) -> str | None:
    """For free text typed by a user only: the known word ``word`` is a likely typo of, else ``None``.

    A word that is itself known is returned as it is, and words of four letters or fewer are never
    corrected (too many real words lie one letter apart: "bowl" is not a misspelt "owl"). Labels from a
    detector or a table never go through this.
    """
    known = known if isinstance(known, (set, frozenset, dict)) else set(known)
    if word in known:
        return word
    if len(word) <= 4:
        return None
    found = difflib.get_close_matches(word, sorted(known), n=1, cutoff=cutoff)
    return found[0] if found else None
