"""Label → sound class: synonyms, plurals, AudioSet and COCO names, adjectives, fallback."""

from __future__ import annotations

import pytest

from see2sound.sound.classes import SYNONYMS, class_table, match_class, singular, tokens
from see2sound.sound.synth import CLASSES
from see2sound.vision.nanodet.coco import COCO_LABELS
from see2sound.vocabulary import label_sounds


@pytest.mark.parametrize("label", COCO_LABELS)
def test_coco_labels_follow_the_one_table(label):
    # the sound stage hears a detector label as the table of what sounds says, or not at all
    expected = label_sounds()[label]
    m = match_class(label)
    if expected == "silent":
        assert not m.matched and m.source == "silent" and m.sound_class == "ambience"
    else:
        assert m.matched and m.sound_class == expected


@pytest.mark.parametrize(
    "label, expected",
    [
        ("bowl", None),  # never "owl" by a spelling match
        ("hot dogs", None),  # food
        ("skis", "footsteps"),  # on snow when moving, never wind
        ("dogs", "dog_bark"),
        ("sports ball", "ball"),
        ("a red umbrella", None),  # not rain
        ("kite", None),  # not wind
        ("traffic light", None),
    ],
)
def test_coco_regressions(label, expected):
    m = match_class(label)
    assert (m.sound_class if m.matched else None) == expected


def test_a_silent_label_leaves_the_prompt_its_say():
    assert match_class("bowl", prompt="rain on a window").sound_class == "rain"


@pytest.mark.parametrize(
    "label, expected",
    [
        ("Bird vocalization, bird call, bird song", "birdsong"),
        ("Waves, surf", "ocean_waves"),
        ("Traffic noise, roadway noise", "traffic"),
        ("Cattle, bovinae", "cow"),
        ("Walk, footsteps", "footsteps"),
        ("Rain on surface", "rain"),
        ("Mains hum", "machinery"),
        ("Church bell", "bells"),
        ("Motorboat, speedboat", "boat"),
        ("Police car (siren)", "siren"),
        ("Inside, small room", "room_tone"),
    ],
)
def test_audioset_names(label, expected):
    assert match_class(label).sound_class == expected


@pytest.mark.parametrize(
    "label, expected",
    [
        ("dogs", "dog_bark"),
        ("cows", "cow"),
        ("ponies", "horse"),
        ("geese", "birdsong"),
        ("churches", "bells"),
        ("buses", "engine_idle"),
        ("Leaves", "leaves"),
        ("waterfalls", "waterfall"),
        ("BIRDS", "birdsong"),
        ("crickets chirping", "crickets"),
        ("steam_locomotive", "train"),
        ("sea-shore", "ocean_waves"),
    ],
)
def test_plurals_and_spelling(label, expected):
    assert match_class(label).sound_class == expected


@pytest.mark.parametrize(
    "label, expected",
    [
        ("barking dog", "dog_bark"),
        ("car engine", "engine_idle"),
        ("police car", "siren"),
        ("rain forest", "leaves"),
        ("crackling campfire", "fire"),
        ("babbling brook", "stream"),
    ],
)
def test_longest_phrase_and_head_noun_win(label, expected):
    assert match_class(label).sound_class == expected


def test_prompt_is_used_when_label_is_unknown():
    m = match_class("region 3", prompt="gentle waves on a beach")
    assert m.sound_class == "ocean_waves" and m.source == "prompt" and m.params["intensity"] == 0.2


def test_adjectives_set_parameters():
    assert match_class("heavy rain").params["intensity"] == 0.9
    assert match_class("distant thunder").params["intensity"] == 0.2
    assert match_class("big dog").params["size"] == 0.85
    assert match_class("many birds").params["density"] == 0.85
    assert match_class("traffic light").params == {}  # words of the matched phrase are not adjectives


def test_typo_is_forgiven():
    assert match_class("waterfal").sound_class == "waterfall"


@pytest.mark.parametrize("label", ["quasar", "", "xyzzy 42", "the of and"])
def test_unmatched_falls_back_to_ambience(label):
    m = match_class(label)
    assert not m.matched and m.sound_class == "ambience" and m.source == "fallback"


def test_singular():
    assert [singular(w) for w in ("cows", "grass", "bus", "boxes", "flies", "glass", "sheep")] == [
        "cow",
        "grass",
        "bus",
        "box",
        "fly",
        "glass",
        "sheep",
    ]
    assert tokens("Dogs_barking-loudly!") == ["dog", "barking", "loudly"]


def test_every_class_has_synonyms_and_a_row():
    assert set(SYNONYMS) == set(CLASSES)
    assert {row["name"] for row in class_table()} == set(CLASSES)


def test_the_sound_stage_is_asked_for_the_recorded_class():
    from see2sound.pipeline.sonify import request_label
    from see2sound.scene import Source

    here = {"position": {"azimuth": 0.0, "elevation": 0.0, "distance": 2.0}}
    boat = Source.model_validate({"id": "s0", "label": "boat", "sound_class": "lapping", **here})
    assert request_label(boat) == "lapping"  # the class scene.json says is heard, not a boat's horn
    by_hand = Source.model_validate({"id": "s1", "label": "heavy rain", **here})
    assert request_label(by_hand) == "heavy rain"
    assert request_label(Source.model_validate({"id": "s2", **here})) == "s2"
