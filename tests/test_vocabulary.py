"""The one vocabulary: tokeniser, singular forms, data tables, and no fuzzy matching of known words."""

from __future__ import annotations

import pytest

from see2sound.sound import classes, starter
from see2sound.vision import prompt
from see2sound.vocabulary import closest_word, load_table, singular, tokens


@pytest.mark.parametrize(
    "plural, one",
    [
        ("leaves", "leaf"),
        ("geese", "goose"),
        ("buses", "bus"),
        ("churches", "church"),
        ("boxes", "box"),
        ("ponies", "pony"),
        ("horses", "horse"),
        ("waves", "wave"),
        ("glasses", "glass"),
        ("breezes", "breeze"),
        ("children", "child"),
        ("sheep", "sheep"),
        ("skis", "ski"),
        ("wolves", "wolf"),
        ("shoes", "shoe"),
        ("ties", "tie"),
        ("grass", "grass"),
        ("news", "news"),
        ("bus", "bus"),
        ("cat", "cat"),
    ],
)
def test_singular(plural, one):
    assert singular(plural) == one


def test_every_stage_uses_the_same_singular():
    for word in ("leaves", "geese", "buses", "horses", "churches", "flies", "waves"):
        assert classes.singular(word) == starter._token(word) == singular(word)
        assert classes.tokens(word) == [singular(word)] == list(starter.tokens(word))
    # the prompt reads "leaves" as a leaf ("leave" was one of three answers before)
    assert [n.word for n in prompt.parse_prompt("geese over leaves")] == ["leaf"]
    assert [n.label for n in prompt.parse_prompt("falling leaves")] == ["leaves rustling"]


def test_tokens_split_on_anything_but_letters_and_digits():
    assert tokens("Dogs_barking-loudly!") == ["dog", "barking", "loudly"]
    assert tokens("the dog's bowl") == ["the", "dog", "bowl"]
    assert tokens("") == []


def test_tables_are_package_data():
    words = load_table("words")
    assert words["irregular"]["geese"] == "goose"
    assert "dog" in load_table("prompt")["noun"]


@pytest.mark.parametrize("known_word", ["bowl", "knife", "orange", "skis", "vase"])
def test_known_words_are_never_corrected(known_word):
    # "bowl" is one letter from "owl": a detector label must never be bent into a bird
    m = classes.match_class(known_word)
    assert m.sound_class not in ("birdsong",)
    assert closest_word("bowl", {"owl", "bowl"}) == "bowl"
    assert closest_word("bowl", {"owl"}) is None


def test_free_text_typos_are_forgiven():
    assert closest_word("waterfal", {"waterfall", "water"}) == "waterfall"
    assert classes.match_class("waterfal").sound_class == "waterfall"
    assert closest_word("zzzzzzz", {"waterfall"}) is None
