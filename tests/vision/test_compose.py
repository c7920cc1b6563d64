"""What sounds and the mix of a picture: the table, bed + spots, levels, prompt routing, scene.json."""

from __future__ import annotations

import json
import math
from types import SimpleNamespace

import numpy as np
import pytest
from PIL import Image

from see2sound.sound.synth import CLASSES
from see2sound.vision.analysis import SourceDraft
from see2sound.vision.backends import DETECTORS
from see2sound.vision.compose import (
    FULL_BED_EXTENT,
    bed_place,
    choose_sources,
    class_level,
    sounding,
    table_row,
)
from see2sound.vision.nanodet.coco import COCO_LABELS
from see2sound.vision.sound_classes import COCO_SOUNDS, coco_sound
from see2sound.vision.types import Detection, Region
from see2sound.vocabulary import load_table
from tests.vision.synthetic import draw_box, outdoor_scene

PARTS = ("sky", "water", "grass", "trees", "snow", "sand", "road", "building", "fire")
# the turn-2 level calibration (spatial.level): a -20 dBFS RMS stem plays at 76 dB SPL at 1 m, and a
# source's level L adds L - 76 dB; then 1/r from 1 m (a bed is rendered at 1 m)
CALIBRATION_DB_SPL = 76.0


def heard_db(draft) -> float:
    """Level at the listener in dB SPL: the level gain of the calibration, then 1/r."""
    gain = draft.level_db - CALIBRATION_DB_SPL
    return CALIBRATION_DB_SPL + gain - 20 * math.log10(max(draft.distance_m, 1.0))


def picture(kind="nature", parts=None, outdoor=True, night=False, **attributes):
    """A picture's kind with the fields of the contract's vision.scene_kind.PictureKind."""
    return SimpleNamespace(
        kind=kind,
        confidence=0.9,
        outdoor=outdoor,
        horizon_row=None,
        parts=dict(parts or {}),
        night=night,
        attributes=attributes,
        scores={},
    )


def mask(x0, x1, y0=0, y1=10, shape=(10, 10)):
    m = np.zeros(shape, bool)
    m[y0:y1, x0:x1] = True
    return m


def detected(label, score=0.9, az=0.0, el=0.0, distance=5.0):
    """A trusted detection as vision hands it over: kind "object", the COCO label in region.extra."""
    region = Region(
        mask=mask(4, 6, 4, 6),
        box=(4, 4, 6, 6),
        labels=[(label, score)],
        extra={"kind": "object", "detector_label": label},
    )
    return SourceDraft(
        label=label,
        sound_class="",
        confidence=score,
        kind="object",
        azimuth_deg=az,
        elevation_deg=el,
        distance_m=distance,
        bbox=(40, 40, 60, 60),
        polygon=np.zeros((4, 2)),
        score=1 + score,
        region=region,
        appearance=np.zeros(64),
        evidence={"detector": "test", "score": score},
    )


def part(name, share=0.5, confidence=0.9, el=-10.0, columns=(0, 10)):
    """A confident scene part: kind "part", its name and confidence in region.extra."""
    rows = max(1, round(share * 10))
    region = Region(
        mask=mask(columns[0], columns[1], 10 - rows, 10),
        box=(0, 0, 10, 10),
        labels=[(name, confidence)],
        extra={"kind": "part", "part": name, "part_confidence": confidence},
    )
    return SourceDraft(
        label=name,
        sound_class="",
        confidence=confidence,
        kind="part",
        azimuth_deg=0.0,
        elevation_deg=el,
        distance_m=20.0,
        bbox=(0, 50, 100, 100),
        polygon=np.zeros((4, 2)),
        score=confidence,
        region=region,
        appearance=np.zeros(64),
        evidence={"part": name, "part_confidence": confidence},
    )


def spots(sources):
    return [s for s in sources if s.role == "spot"]


def beds(sources):
    return [s for s in sources if s.role == "bed"]


# ------------------------------------------------------------------------------------------ the table


def test_the_table_covers_every_coco_label_and_scene_part():
    table = load_table("sounding")
    assert set(table["label"]) == set(COCO_LABELS) and len(COCO_LABELS) == 80
    assert set(PARTS) <= set(table["part"])


def test_every_sound_the_table_names_exists_and_has_a_cited_level():
    table = load_table("sounding")
    named = set()
    rows = [*table["label"].values(), *table["part"].values()]
    for row in list(rows):
        rows += [row[c] for c in ("moving", "many") if c in row] + list(row.get("body", {}).values())
    for row in rows:
        if row.get("sound", "silent") != "silent":
            named.add(row["sound"])
            assert -20 <= row["level"] <= 160 and row["cite"] and row["rule"], row
        else:
            assert row["rule"], row  # a silent row says why
    for place in table["place"].values():
        for layer in place["layers"]:
            assert layer["cite"]
            if layer["sound"] != "water":  # the water part's row decides
                named.add(layer["sound"])
    named |= set(table["class"]) | {table["night"]["layer"]["sound"]}
    named |= {row["sound"] for row in load_table("prompt")["noun"].values()}
    assert named - set(CLASSES) == set()  # the sound stage can make every one of them
    for name in named:
        assert class_level(name)[0] > 0


@pytest.mark.parametrize(
    "label, expected",
    [
        ("bowl", None),  # never "owl" by a spelling match
        ("skis", None),  # not wind
        ("hot dog", None),  # food, not a dog
        ("Hot dogs", None),
        ("sports ball", "ball"),  # not a crowd
        ("boat", "lapping"),  # on a shore: water at its hull, no horn
        ("bench", None),  # not room tone outdoors
        ("person", "voices"),  # a still person talks, not a crowd
        ("umbrella", None),
        ("kite", None),
        ("bird", "birdsong"),
        ("dog", "dog_bark"),
        ("cup", None),
        ("orange", None),
        ("tie", None),
        ("book", None),
        ("vase", None),
        ("banana", None),
        ("pizza", None),
        ("car", None),  # parked
        ("quasar", None),  # unknown: not voiced
    ],
)
def test_what_a_label_sounds_like(label, expected):
    voice = sounding(label, picture=picture("nature"))
    assert (voice.sound_class if voice else None) == expected


def test_conditions_of_the_table():
    assert sounding("person", moving=True).sound_class == "footsteps"
    assert sounding("person", count=8).sound_class == "crowd"
    assert sounding("car", moving=True).sound_class == "car_pass_by"
    assert sounding("boat", moving=True).sound_class == "boat"
    assert sounding("skis", moving=True).sound_class == "footsteps"  # steps on snow, not wind
    assert sounding("bird", count=5, picture=picture("urban")).sound_class == "pigeons"
    assert sounding("bird", count=5, picture=picture("nature")).sound_class == "birdsong"
    assert sounding("laptop") is None and sounding("laptop", company={"person"}).sound_class == "keyboard"
    assert sounding("road", part=True, picture=picture("indoor")) is None  # an office floor
    assert sounding("road", part=True, picture=picture("urban")).sound_class == "traffic"
    assert sounding("sand", part=True) is None
    water = {
        b: sounding("water", part=True, picture=picture("waterside", water_body=b))
        for b in ("sea", "lake", "river")
    }
    assert {b: v.sound_class for b, v in water.items()} == {
        "sea": "ocean_waves",
        "lake": "lapping",
        "river": "stream",
    }
    assert water["sea"].level_db > water["river"].level_db > water["lake"].level_db
    assert table_row("ambience", part=True) and sounding("ambience", part=True) is None  # no neutral filler


def test_scene_json_hints_are_the_classes_heard():
    # the hint is a sound class the sound stage makes, never another thing (sink -> footsteps, ...)
    assert coco_sound("bicycle") == "silent" and coco_sound("sink") == "silent"
    assert coco_sound("dog") == "dog_bark" and coco_sound("person") == "voices"
    assert set(COCO_SOUNDS.values()) <= set(CLASSES) and "bowl" not in COCO_SOUNDS


# ------------------------------------------------------------------------------------ bed and spots


def test_a_barking_dog_at_10_m_is_louder_than_a_meadow_breeze():
    scene = picture("nature", {"grass": 0.6, "sky": 0.3})
    sources = choose_sources([detected("dog", distance=10.0), part("grass", 0.6)], scene, 4, None)
    dog = next(s for s in sources if s.sound_class == "dog_bark")
    breeze = next(s for s in sources if s.sound_class == "grass_wind")
    assert dog.role == "spot" and breeze.role == "bed" and breeze.distance_m == 1.0
    assert heard_db(dog) - heard_db(breeze) > 20  # 85 - 20 = 65 dB against 36 dB


def test_every_scene_gets_a_bed_that_sits_under_its_spots():
    scene = picture("nature", {"trees": 0.7, "sky": 0.2})
    sources = choose_sources([detected("bird", distance=8.0), part("trees", 0.7)], scene, 4, None)
    assert sources[0].role == "bed"  # beds first
    assert {s.sound_class for s in beds(sources)} == {"leaves", "birdsong"}  # a forest
    assert max(heard_db(b) for b in beds(sources)) < min(heard_db(s) for s in spots(sources))
    full = [b for b in beds(sources) if b.extent == FULL_BED_EXTENT]
    partial = [b for b in beds(sources) if b.extent != FULL_BED_EXTENT]
    assert full and partial  # birdsong all around; the leaves centred on the trees
    assert all(b.extent[0] <= 120 for b in partial)
    for s in sources:
        assert s.evidence["rule"] and s.level_db is not None


@pytest.mark.parametrize(
    "scene, parts_, labels, place",
    [
        (picture("indoor", outdoor=False), {}, {}, "indoor"),
        (picture("nature", {"trees": 0.5}), {"trees": 0.5}, {}, "forest"),
        (picture("nature", {"grass": 0.5}), {"grass": 0.5}, {}, "meadow"),
        (picture("waterside", {"water": 0.4}), {"water": 0.4}, {}, "waterside"),
        (picture("urban", {"road": 0.3}), {"road": 0.3}, {"car": 3}, "street"),
        (picture("urban", {"building": 0.5}), {"building": 0.5}, {}, "city"),
        (picture("urban", {}), {}, {"person": 20}, "stadium"),
        (picture("nature", {"snow": 0.6}), {"snow": 0.6}, {}, "snow"),
        (picture("aerial", {"building": 0.4}), {"building": 0.4}, {}, "aerial"),
        (None, {}, {}, "quiet"),
        (None, {}, {"cup": 1}, "indoor"),
        (None, {"sky": 0.4}, {}, "outdoor"),
    ],
)
def test_the_bed_follows_the_kind_of_picture(scene, parts_, labels, place):
    from collections import Counter

    assert bed_place(scene, parts_, Counter(labels)) == place


def test_a_still_life_stays_quiet():
    scene = picture("indoor", outdoor=False)
    things = [detected(x) for x in ("bowl", "orange", "cup", "vase", "book", "banana")]
    sources = choose_sources(things, scene, 4, None)
    assert spots(sources) == []  # silent things are not voiced
    (bed,) = sources
    assert bed.sound_class == "room_tone" and bed.level_db <= 35 and bed.extent == FULL_BED_EXTENT


def test_a_still_life_is_much_quieter_than_a_street():
    still = choose_sources([detected("bowl")], picture("indoor", outdoor=False), 4, None)
    road = part("road", 0.4)
    cars = [detected("car", az=a, distance=8.0) for a in (-20, 0, 20)]
    street = choose_sources([*cars, road, detected("person")], picture("urban", {"road": 0.4}), 4, None)
    power = lambda sources: 10 * math.log10(sum(10 ** (heard_db(s) / 10) for s in sources))  # noqa: E731
    assert power(street) - power(still) > 30


def test_nothing_found_gives_an_honest_quiet_bed(caplog):
    sources = choose_sources([], None, 4, None)
    assert len(sources) == 1 and sources[0].role == "bed" and sources[0].label == "ambience"
    assert sources[0].level_db <= 30 and (sources[0].azimuth_deg, sources[0].elevation_deg) == (0, 0)
    assert "1 of 4 sources: no regions found that make a sound" in caplog.text


def test_a_car_moves_only_on_a_road_with_other_traffic():
    alone = choose_sources([detected("car")], picture("urban", {"building": 0.5}), 4, None)
    assert spots(alone) == []  # parked
    road = {"road": 0.3}
    two = choose_sources([detected("car"), detected("bus", az=30)], picture("urban", road), 4, None)
    assert {s.sound_class for s in spots(two)} == {"car_pass_by", "engine_idle"}
    many = [detected("car", az=a, distance=6.0) for a in (-30, -10, 10, 30)]
    sources = choose_sources(many, picture("urban", road), 4, None)
    traffic = [s for s in beds(sources) if s.sound_class == "traffic" and "many" in s.evidence["rule"]]
    assert len(traffic) == 1 and traffic[0].extent[0] >= 60  # several cars: one traffic bed across them
    assert not [s for s in spots(sources) if s.sound_class == "car_pass_by"]


def test_people_talk_alone_and_murmur_in_a_crowd():
    one = choose_sources([detected("person")], picture("urban", {"building": 0.5}), 4, None)
    assert [s.sound_class for s in spots(one)] == ["voices"]
    group = [detected("person", az=a) for a in range(-40, 40, 10)]
    crowd = spots(choose_sources(group, picture("urban", {"building": 0.5}), 4, None))
    assert [s.sound_class for s in crowd] == ["crowd"] and crowd[0].extent[0] >= 70


def test_a_boat_on_a_shore_laps_and_a_sea_surfs():
    scene = picture("waterside", {"water": 0.4, "sand": 0.2, "sky": 0.3}, water_body="sea")
    sources = choose_sources([detected("boat"), part("water", 0.4), part("sand", 0.2)], scene, 4, None)
    assert "boat" not in {s.sound_class for s in sources}  # no engine, no horn
    assert [s.sound_class for s in spots(sources)] == ["lapping"]
    waves = next(s for s in beds(sources) if s.sound_class == "ocean_waves")
    assert waves.extent == (120.0, 30.0) and waves.elevation_deg < 0  # a sea in front, centred on it
    assert all(s.evidence.get("part") != "sand" for s in sources)


def test_a_bench_outdoors_and_skis_are_silent():
    scene = picture("nature", {"snow": 0.6})
    sources = choose_sources([detected("bench"), detected("skis"), part("snow", 0.6)], scene, 4, None)
    assert spots(sources) == [] and {s.sound_class for s in sources} == {"wind"}


def test_night_brings_crickets_instead_of_birds():
    scene = picture("nature", {"trees": 0.6}, night=True)
    classes = {s.sound_class for s in choose_sources([part("trees", 0.6)], scene, 4, None)}
    assert "crickets" in classes and "birdsong" not in classes


def test_a_low_confidence_thing_is_turned_down():
    sure, unsure = detected("dog", score=0.9), detected("dog", score=0.4, az=40)
    sources = choose_sources([sure, unsure], picture("nature", {"grass": 0.5}), 4, None)
    assert sure.level_db == 85.0 and unsure.level_db == pytest.approx(85 - 10 * 0.3 / 0.35, abs=0.1)
    assert unsure.evidence["turned_down_db"] > 8 and "turned_down_db" not in sure.evidence
    assert sources.index(sure) < sources.index(unsure)


def test_at_most_n_sources_with_the_bed_counting_as_one(caplog):
    things = [detected("dog", az=a, distance=d) for a, d in ((-30, 3), (0, 30), (30, 10), (60, 50))]
    sources = choose_sources(things, picture("nature", {"grass": 0.5}), 3, None)
    assert [s.role for s in sources].count("spot") == 2
    assert [s.distance_m for s in spots(sources)] == [3, 10]  # the loudest as heard
    (only,) = choose_sources(things, picture("nature", {"grass": 0.5}), 1, None)
    assert only.role == "spot" and only.distance_m == 3


def test_fewer_sources_than_asked_says_how_many_and_why(caplog):
    things = [detected("dog"), detected("cup"), detected("chair")]
    choose_sources(things, picture("indoor", outdoor=False), 6, None)
    assert "2 of 6 sources" in caplog.text and "cup" in caplog.text


# ------------------------------------------------------------------------------------ prompt routing


def test_the_prompt_noun_reaches_only_its_region():
    dog, person, road = detected("dog"), detected("person", az=30), part("road", 0.3)
    scene = picture("urban", {"road": 0.3, "building": 0.4})
    sources = choose_sources([dog, person, road], scene, 5, "a dog barking by a busy road")
    assert dog.evidence["prompt_noun"] == "dog" and dog.sound_class == "dog_bark"
    assert dog.evidence["prompt_phrase"] == "a dog barking"
    assert road.evidence["prompt_noun"] == "road" and road.sound_class == "traffic"
    # the person is not named: it keeps its own sound and gets no prompt text
    assert person in sources and person.sound_class == "voices" and "prompt_noun" not in person.evidence
    assert "prompt_noun" not in person.region.extra


def test_a_prompt_does_not_make_everything_the_same_sound():
    ball, fans = detected("sports ball"), [detected("person", az=a) for a in (-20, 0, 20)]
    sources = choose_sources([ball, *fans], picture("urban", {}), 6, "a football stadium crowd cheering")
    assert ball.sound_class == "ball"
    crowd = [s for s in sources if s.sound_class == "crowd"]
    assert len(crowd) == 1 and crowd[0].role == "bed"  # the crowd is the bed, not the ball
    assert crowd[0].evidence["prompt_noun"] == "stadium"  # the word as written
    assert {s.sound_class for s in fans} == {"voices"}


def test_unplaced_nouns_become_bed_layers_or_placed_sources():
    scene = picture("urban", {"building": 0.5})
    sources = choose_sources([part("building", 0.5, el=5.0)], scene, 6, "rain, pigeons and church bells")
    by_class = {s.sound_class: s for s in sources}
    assert by_class["rain"].role == "bed" and by_class["rain"].extent == FULL_BED_EXTENT
    assert by_class["pigeons"].role == "spot" and by_class["pigeons"].elevation_deg > 10  # above
    # "church bells" name the buildings: they ring from there, a spot, and the city bed stays
    bells = by_class["bells"]
    assert bells.role == "spot" and bells.evidence["part"] == "building" and bells.elevation_deg == 5.0
    assert by_class["city"].role == "bed"
    lake = choose_sources([], picture("nature", {}), 4, "water lapping on a lake shore, birds")
    placed = {s.evidence["prompt_noun"]: s for s in lake if "prompt_noun" in s.evidence}
    assert placed["water"].elevation_deg < 0 and placed["water"].sound_class == "lapping"
    assert placed["bird"].elevation_deg > 0 and placed["bird"].sound_class == "birdsong"


def test_a_water_noun_keeps_the_sound_of_the_water_it_names():
    scene = picture("waterside", {"water": 0.5}, water_body="sea")
    water = part("water", 0.5)
    choose_sources([water], scene, 4, "water")
    assert water.sound_class == "ocean_waves" and water.evidence["prompt_noun"] == "water"


# ------------------------------------------------------------------------------------ end to end


class OneDog:
    def __init__(self, box):
        self.box = box

    def detect(self, image):
        return [Detection(self.box, "dog", 0.9, "fake")]


def test_analyze_writes_role_level_extent_evidence_and_sound_class(cli, tmp_path, monkeypatch):
    image = outdoor_scene(640, 480)
    box = (380.0, 300.0, 460.0, 350.0)
    draw_box(image, 380, 300, 460, 350, (120, 80, 50))
    monkeypatch.setattr(DETECTORS, "_backends", dict(DETECTORS._backends))
    DETECTORS.register("fake", priority=1000)(lambda **_: OneDog(box))
    path = tmp_path / "meadow.png"
    Image.fromarray(image).save(path)
    out = tmp_path / "out" / "scene.json"
    code, _, stderr = cli("analyze", str(path), "-o", str(out), "--prompt", "a dog barking, church bells")
    assert code == 0, stderr
    sources = json.loads(out.read_text())["sources"]
    dog = next(s for s in sources if s["label"] == "dog")
    assert dog["role"] == "spot" and dog["sound_class"] == "dog_bark" and dog["level"] == 85.0
    assert dog["prompt_noun"] == "dog" and dog["prompt"] == "a dog barking"
    assert dog["evidence"]["rule"].startswith("prompt noun 'dog'") and "bbox" in dog
    bed = [s for s in sources if s["role"] == "bed"]
    assert bed and all(s["level"] < 60 and s["extent"]["width"] >= 30 for s in bed)
    assert any(s["extent"] == {"width": 360.0, "height": 90.0} for s in bed)
    bells = next(s for s in sources if s["sound_class"] == "bells")
    assert bells["sound_class"] == "bells" and bells["position"]["distance"] > 50
    for s in sources:
        assert s["sound_class"] in CLASSES and s["evidence"]["rule"]
        if "prompt_noun" not in s:
            assert "prompt" not in s  # the prompt is not pasted on every source


def test_the_docs_list_every_row_of_the_table():
    from pathlib import Path

    doc = (Path(__file__).parents[2] / "docs" / "sounds-table.md").read_text()
    table = load_table("sounding")
    for label, row in table["label"].items():
        sound = "silent" if row["sound"] == "silent" else f"`{row['sound']}`"
        assert f"| {label} | {sound} |" in doc, label
    for name, row in table["part"].items():
        sound = "silent" if row["sound"] == "silent" else f"`{row['sound']}`"
        assert f"| {name} | {sound} |" in doc, name
    for place in table["place"]:
        assert f"| {place} |" in doc


@pytest.mark.parametrize(
    "prompt", ["an airplane", "a train", "a dog", "church bells", "a waterfall", "birds"]
)
def test_a_placed_noun_is_heard_at_a_plausible_level(prompt):
    (placed,) = spots(choose_sources([], picture("nature", {}), 4, prompt))
    assert 45 <= heard_db(placed) <= 75, (placed.sound_class, heard_db(placed))


def test_a_prompt_naming_a_group_names_the_group():
    group = [detected("person", az=a) for a in range(-40, 40, 10)]
    sources = choose_sources(group, picture("urban", {"building": 0.5}), 4, "people chatting")
    (crowd,) = spots(sources)
    assert crowd.sound_class == "crowd" and crowd.evidence["prompt_noun"] == "people"


class Detections:
    def __init__(self, *found):
        self.found = found

    def detect(self, image):
        return [Detection(box, label, score, "fake") for box, label, score in self.found]


def test_silent_detections_are_never_voiced(monkeypatch):
    from see2sound.vision.analysis import analyze_image, load_backends

    image = np.full((480, 640, 3), 200, np.uint8)  # a plain table top
    draw_box(image, 100, 200, 220, 300, (230, 230, 240))
    draw_box(image, 400, 200, 520, 300, (200, 120, 60))
    found = (((100, 200, 220, 300), "bowl", 0.8), ((400, 200, 520, 300), "hot dog", 0.8))
    monkeypatch.setattr(DETECTORS, "_backends", dict(DETECTORS._backends))
    DETECTORS.register("fake", priority=1000)(lambda **_: Detections(*found))
    analysis = analyze_image(image, n_sources=4, backends=load_backends())
    assert spots(analysis.sources) == [] and analysis.fallback
    heard = {s.sound_class for s in analysis.sources}
    assert not heard & {"birdsong", "dog_bark", "ambience"}  # no owl in the bowl, no dog in the bun


def test_an_open_vocabulary_detection_of_a_prompt_noun_is_voiced():
    # OWLv2 labels a detection of the prompt's "waterfall" with the noun's label: not a COCO row
    fall = detected("waterfall", distance=15.0)
    sources = choose_sources([fall], picture("nature", {"trees": 0.4}), 4, "a waterfall in the forest")
    assert fall in sources and fall.sound_class == "waterfall" and fall.role == "spot"
    assert spots(choose_sources([detected("waterfall")], None, 4, None)) == []  # unnamed: not voiced
