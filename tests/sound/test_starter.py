"""Label → starter-recording matching and the curated tag data (no cache needed)."""

from __future__ import annotations

import pytest

from see2sound.sound.starter import (
    OPENSFX_TAGS,
    OVOS_TAGS,
    habitat_fits,
    habitat_of,
    is_allowed,
    load_manifest,
    match_score,
    match_starter,
    pick_starter,
    starter_library_dir,
    tokens,
)


def entries() -> list[dict]:
    """A manifest made from the tag tables, licences as in the real packages."""
    out = [
        {
            "file": f"ovos/{stem}.flac",
            "title": title,
            "tags": list(tags),
            "kind": kind,
            "license": "CC0-1.0",
            "share_alike": False,
        }
        for stem, (title, tags, kind) in OVOS_TAGS.items()
    ]
    for title, (tags, kind) in OPENSFX_TAGS.items():
        sa = title == "Helicopter"
        out.append(
            {
                "file": f"opensfx/{title}.flac",
                "title": title,
                "tags": list(tags),
                "kind": kind,
                "license": "CC-BY-SA-3.0" if sa else "CC-BY-3.0",
                "share_alike": sa,
            }
        )
    return out


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("Dogs", ("dog",)),
        ("buses", ("bus",)),
        ("horses", ("horse",)),
        ("glass", ("glass",)),
        ("the sound of a steam-train", ("steam", "train")),
        ("2 dogs barking", ("dog", "barking")),
        ("", ()),
    ],
)
def test_tokens(text, expected):
    assert tokens(text) == expected


def test_whole_tag_phrases_must_be_in_the_label():
    assert match_score("train", ["steam train"]) == 0  # a steam train is not every train
    assert match_score("old steam train", ["steam train"]) == 2
    assert match_score("steam train", ["steam train"]) == 3  # exact phrase bonus
    assert match_score("steam train", ["train"]) == 1
    assert match_score("car", ["car horn", "car crash"]) == 0
    assert match_score("", ["dog"]) == 0


@pytest.mark.parametrize(
    ("label", "title"),
    [
        ("dog", "2 dogs barking"),
        ("dogs", "2 dogs barking"),
        ("cattle", "Cow moos"),
        ("moo", "Cow moos"),
        ("locomotive", "Steam train station departure"),
        ("diesel train", "Diesel/electric train station departure"),
        ("aeroplane", "Propeller plane start"),
        ("propeller plane", "Propeller plane start"),
        ("strong wind", "Heavy wind"),
        ("ship horn", "Ship horn"),
        ("clapping", "Applause"),
        ("rooster", "Rooster song"),
        ("jackhammer", "Jackhammer"),
    ],
)
def test_everyday_labels_reach_the_recordings(label, title):
    assert title in [e["title"] for _, e in match_starter(label, entries())]


@pytest.mark.parametrize("label", ["jet", "plane", "train", "bus", "dog", "cow", "wind"])
def test_game_sounds_never_match_everyday_labels(label):
    titles = [e["title"] for _, e in match_starter(label, entries())]
    assert titles and not [t for t in titles if t.startswith("Toyland")]


def test_tag_tables_are_well_formed():
    for title, (tags, kind) in OPENSFX_TAGS.items():
        assert kind in {"one_shot", "texture"}, title
        assert tags and len(set(tags)) == len(tags), title
        assert all(t == t.lower().strip() and tokens(t) for t in tags), title
    for stem, (title, tags, kind) in OVOS_TAGS.items():
        assert kind in {"one_shot", "texture"} and stem in tags and title


def test_share_alike_and_unknown_licences_need_permission():
    assert is_allowed({"license": "CC0-1.0"}) and is_allowed({"license": "CC-BY-3.0"})
    assert not is_allowed({"license": "CC-BY-SA-3.0", "share_alike": True})
    assert is_allowed({"license": "CC-BY-SA-3.0", "share_alike": True}, allow_share_alike=True)
    assert not is_allowed({"license": "unknown"})
    assert [e["title"] for _, e in match_starter("helicopter", entries())] == []
    assert [e["title"] for _, e in match_starter("helicopter", entries(), allow_share_alike=True)] == [
        "Helicopter"
    ]


def test_pick_is_seeded_and_none_without_a_match():
    lib = entries()
    assert pick_starter("person", entries=lib) is None
    assert pick_starter("cow", seed=3, entries=lib) == pick_starter("cow", seed=3, entries=lib)
    assert {pick_starter("cow", seed=s, entries=lib)["title"] for s in range(16)} == {"Cow moos", "Cow"}


def test_no_library_without_a_fetch():
    # every test has an empty cache of its own
    assert starter_library_dir() is None
    assert load_manifest() == []
    assert match_starter("dog") == []


# --- habitats: a recording is chosen only where it belongs ---


@pytest.mark.parametrize("label", ["bird", "birds", "birdsong", "bird song"])
def test_a_tropical_bird_never_voices_a_european_forest_or_a_meadow(label):
    assert [e["title"] for _, e in match_starter(label, entries()) if "Tropical" in e["title"]] == []


@pytest.mark.parametrize(
    "label", ["birds in the jungle", "tropical bird", "parrot birdsong", "rainforest birds"]
)
def test_a_tropical_bird_where_the_label_names_the_tropics(label):
    titles = {e["title"] for _, e in match_starter(label, entries())}
    assert {"Tropical: Bird (1)", "Tropical: Bird (2)"} <= titles


def test_habitats_of_old_manifests_come_from_their_tags():
    by_title = {e["title"]: e for e in entries()}
    assert habitat_of(by_title["Tropical: Bird (1)"]) == "tropical"
    assert habitat_of(by_title["Tropical: Lion roar"]) == "tropical"
    assert habitat_of(by_title["Cow"]) == ""
    assert habitat_fits(by_title["Tropical: Lion roar"], "lion")  # the label itself places it
    assert habitat_fits(by_title["Tropical: Monkeys"], "animal", prompt="a zoo")


def test_footsteps_on_snow_only_in_the_snow():
    snow = {
        "file": "snow.flac",
        "tags": ["footsteps on snow", "footsteps"],
        "habitat": "snow",
        "license": "CC0-1.0",
    }
    hard = {"file": "hard.flac", "tags": ["footsteps"], "habitat": "", "license": "CC-BY-3.0"}
    assert [e["file"] for _, e in match_starter("footsteps", [snow, hard])] == ["hard.flac"]
    assert match_starter("footsteps on snow", [snow, hard])[0][1]["file"] == "snow.flac"
    assert [e["file"] for _, e in match_starter("winter footsteps", [snow, hard])] == [
        "snow.flac",
        "hard.flac",
    ]
