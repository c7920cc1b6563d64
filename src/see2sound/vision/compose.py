"""What each found thing sounds like, and the mix of a picture: a bed for the place, spots for things.

:func:`sounding` answers, for one detected object or scene part, whether it makes a sound and which
(:class:`Voice`: sound class, level in dB SPL at 1 m, role, the rule that decided); ``None`` means it is
silent and is not voiced. It reads one table reviewed by hand, ``data/sounding.toml``, which covers the
80 COCO labels, every scene part, the places an ambience bed is made for and the typical level of each
sound class, with the published measurement (or the estimate) behind every level.

:func:`choose_sources` makes the mix of one picture the way a sound designer would: an ambience bed for
the place (what kind of picture it is, its parts), spot sources for the things that sound, the prompt's
nouns on the regions they name (or as bed layers and placed sources when nothing in the picture is
them), at most ``n_sources`` of them.
"""

from __future__ import annotations

import math
from collections import Counter
from dataclasses import dataclass, replace
from functools import cache

import numpy as np

from ..log import get_logger
from ..vocabulary import load_table, tokens
from .prompt import PromptNoun, parse_prompt
from .types import Region

log = get_logger(__name__)

SILENT = "silent"
FULL_BED_EXTENT = (360.0, 90.0)  # the place all around the listener (ADM-style width, height)
PARTIAL_BED_MAX_WIDTH = 120.0  # a part of the place (a sea in front): at most this wide
PARTIAL_BED_MIN_WIDTH = 30.0
PARTIAL_BED_HEIGHT = 30.0
MAX_BED_LAYERS = 3
# a source is turned down by up to this much when its detector score or part confidence is low
CONFIDENT = 0.7
LEAST_CONFIDENT = 0.35
MAX_TURN_DOWN_DB = 10.0
VEHICLES = ("car", "bus", "truck", "motorcycle")
ROAD_SHARE = 0.03  # a road part at least this share of the frame puts vehicles on a road
MIN_PART_SHARE = 0.1  # a part at least this share of the frame makes the place
STADIUM_PEOPLE = 15  # this many people (or six with a ball) make a stadium's crowd bed
# where a prompt noun with no region is heard: (azimuth, elevation, distance m); a noun of
# data/prompt.toml may set its own distance (an airplane 300 m up)
PLACED = {
    "above": (0.0, 25.0, 20.0),
    "below": (0.0, -10.0, 8.0),
    "front": (0.0, 0.0, 5.0),
    "far": (0.0, 3.0, 150.0),
}


@dataclass(frozen=True)
class Voice:
    """How a thing sounds: the sound class heard, its level and role, and the rule that voiced it."""

    sound_class: str
    level_db: float  # dB SPL at 1 m (a bed: at the listener)
    role: str = "spot"  # "spot" or "bed"
    rule: str = ""
    extent: tuple[float, float] | None = None  # (width, height) degrees for spread sources
    cite: str = ""  # where the level comes from
    condition: str = ""  # which condition of the row decided: "", "moving", "many" or a water body


@cache
def _table() -> dict:
    return load_table("sounding")


@cache
def _index(section: str) -> dict[tuple[str, ...], str]:
    """Rows of a section by their words, so that "Hot dogs" finds the row "hot dog"."""
    return {tuple(tokens(name)): name for name in _table()[section]}


def table_row(label: str, *, part: bool = False) -> tuple[str, dict] | None:
    """The row of ``data/sounding.toml`` for a detector label (or scene part): ``(name, row)``."""
    section = "part" if part else "label"
    rows = _table()[section]
    name = label if label in rows else _index(section).get(tuple(tokens(label)))
    return (name, rows[name]) if name is not None else None


def _kind(picture) -> str | None:
    return getattr(picture, "kind", None)


def _voice(name: str, row: dict, condition: str, role: str) -> Voice | None:
    if row.get("sound", SILENT) == SILENT:
        return None
    where = f"{name}, {condition}" if condition else name
    extent = row.get("extent")
    return Voice(
        row["sound"],
        float(row["level"]),
        row.get("role", role),
        f"{where}: {row.get('rule', '')}",
        tuple(extent) if extent else None,
        row.get("cite", ""),
        condition.split(" ")[0] if condition else "",
    )


def sounding(
    label: str,
    *,
    part: bool = False,
    moving: bool | None = None,
    picture=None,
    count: int = 1,
    company=(),
) -> Voice | None:
    """The voice of a detector label (or, with ``part=True``, a scene part), or ``None`` when silent.

    Parameters
    ----------
    label : str
        A COCO label ("dog", "sports ball") or a scene part ("water", "trees"). A label the table does
        not know is not voiced (no neutral filler); labels are never fuzzy-matched.
    moving : bool, optional
        True/False when known (a video track, or a still picture whose context shows it moving);
        ``None`` for a still picture without such context: a car is then parked (silent).
    picture : PictureKind, optional
        What kind of picture it is (:mod:`.scene_kind`); decides conditions such as "many birds in a
        city are pigeons", "a road indoors is no road" and the kind of water body.
    count : int
        How many of this label are in the picture (a group of people murmurs as a crowd).
    company : iterable of str
        The other detector labels in the picture (a laptop is typed on only with a person at it).

    Examples
    --------
    >>> sounding("dog").sound_class
    'dog_bark'
    >>> sounding("bowl") is None and sounding("hot dog") is None
    True
    >>> sounding("car") is None, sounding("car", moving=True).sound_class
    (True, 'car_pass_by')
    """
    found = table_row(label, part=part)
    if found is None:
        return None
    name, row = found
    role = "bed" if part else "spot"
    kind = _kind(picture)
    if kind in row.get("silent_in", ()):
        return None
    if row.get("needs") and not set(row["needs"]) & set(company):
        return None
    body = row.get("body")
    if body:
        water_body = (getattr(picture, "attributes", None) or {}).get("water_body")
        if water_body in body:
            return _voice(name, {**row, **body[water_body]}, water_body, role)
    many = row.get("many")
    if many and count >= many.get("count", 3) and (not many.get("kinds") or kind in many["kinds"]):
        voice = _voice(name, {"role": row.get("role", role), **many}, f"many ({many.get('count', 3)}+)", role)
        return replace(voice, condition="many") if voice else None
    if moving and "moving" in row:
        return _voice(name, row["moving"], "moving", role)
    return _voice(name, row, "", role)


def class_level(sound_class: str) -> tuple[float, str, str]:
    """Typical level (dB SPL at 1 m; a bed: at the listener), role and citation of a sound class."""
    row = _table()["class"].get(sound_class)
    if row is None:
        raise KeyError(f"sounding.toml: no typical level for sound class {sound_class!r}")
    return float(row["level"]), row.get("role", "spot"), row.get("cite", "")


# ---------------------------------------------------------------------------------------------- the mix


def _detector_label(draft) -> str | None:
    return draft.region.extra.get("detector_label")


def _part(draft) -> str | None:
    """The scene part a candidate is (None for objects): vision's "part" kind, or the classical
    "ambience" regions that carry a part name."""
    if _detector_label(draft) is not None:
        return None
    if draft.kind in ("part", "ambience"):
        return draft.region.extra.get("part") or draft.label
    return None


def _confidence(draft) -> float:
    if _part(draft) is not None:
        return float(draft.region.extra.get("part_confidence", draft.confidence))
    score = draft.evidence.get("score")
    return float(draft.confidence if score is None else score)


def _turn_down_db(confidence: float) -> float:
    """Up to :data:`MAX_TURN_DOWN_DB` less for a candidate the vision stage is not sure of."""
    unsure = (CONFIDENT - confidence) / (CONFIDENT - LEAST_CONFIDENT)
    return MAX_TURN_DOWN_DB * float(np.clip(unsure, 0.0, 1.0))


def _share(draft) -> float:
    mask = draft.region.mask
    return float(np.mean(mask)) if mask is not None and np.size(mask) else 0.0


def _parts(candidates, picture) -> dict[str, float]:
    """Share of the frame of each scene part: the picture's when known, else the part candidates'."""
    if picture is not None and getattr(picture, "parts", None) is not None:
        return dict(picture.parts)
    shares: dict[str, float] = {}
    for c in candidates:
        part = _part(c)
        if part is not None:
            shares[part] = shares.get(part, 0.0) + _share(c)
    return shares


def _moving(draft, label: str, parts: dict[str, float], labels: Counter) -> bool | None:
    """Whether a thing in a still picture is seen moving; ``None`` when nothing says so."""
    if "moving" in draft.evidence:  # a video track knows
        return bool(draft.evidence["moving"])
    if label in VEHICLES:
        # a car counts as moving only on a road among other traffic; alone, it is parked
        traffic = sum(labels[v] for v in VEHICLES)
        return parts.get("road", 0.0) >= ROAD_SHARE and traffic >= 2 or None
    if label == "airplane":
        return draft.elevation_deg > 0.0 or None  # above the horizon: in the sky
    return None


def _partial_extent(draft) -> tuple[float, float]:
    """Angular size of a partial bed centred on a part: up to 120° wide by the columns it spans."""
    mask = draft.region.mask
    columns = float(np.mean(np.asarray(mask).any(axis=0))) if mask is not None and np.size(mask) else 0.5
    width = float(np.clip(PARTIAL_BED_MAX_WIDTH * columns, PARTIAL_BED_MIN_WIDTH, PARTIAL_BED_MAX_WIDTH))
    return (round(width, 1), PARTIAL_BED_HEIGHT)


def _new_draft(label: str, kind: str, where: tuple[float, float, float]):
    """A source with no region of its own (a bed all around, a placed prompt noun)."""
    from .analysis import SourceDraft

    region = Region(mask=None, box=(0.0, 0.0, 0.0, 0.0), labels=[(label, 1.0)], backend="compose")
    region.extra["kind"] = kind
    az, el, distance = where
    return SourceDraft(
        label=label,
        sound_class="",
        confidence=1.0,
        kind=kind,
        azimuth_deg=az,
        elevation_deg=el,
        distance_m=distance,
        bbox=(0.0, 0.0, 0.0, 0.0),
        polygon=np.zeros((4, 2)),
        score=0.0,
        region=region,
        appearance=np.zeros(64),
        origin="compose",
    )


def _voiced(draft, voice: Voice, rule: str | None = None, **evidence):
    """``draft`` with the voice's class, role, level and evidence (turned down when unsure)."""
    confidence = _confidence(draft) if draft.origin != "compose" else 1.0
    down = _turn_down_db(confidence)
    draft.sound_class = voice.sound_class
    draft.role = voice.role
    draft.level_db = round(voice.level_db - down, 1)
    draft.extent = voice.extent if voice.role == "spot" else (voice.extent or draft.extent)
    if voice.role == "bed":  # a bed's level is the level at the listener: it is rendered at 1 m
        if draft.origin != "compose":
            draft.evidence.setdefault("measured_distance_m", round(float(draft.distance_m), 3))
        draft.distance_m = 1.0
    draft.evidence = {**draft.evidence, **evidence, "rule": rule or voice.rule}
    if voice.cite:
        draft.evidence["level_source"] = voice.cite
    if down > 0:
        draft.evidence["turned_down_db"] = round(down, 1)
    return draft


def bed_place(picture, parts: dict[str, float], labels: Counter) -> str:
    """The place the ambience bed is made for (a key of the table's ``place`` section)."""
    kind = _kind(picture)
    people = labels["person"]
    if people >= STADIUM_PEOPLE or (people >= 6 and labels["sports ball"]):
        return "stadium"
    if kind == "indoor":
        return "indoor"
    if kind == "aerial":
        return "aerial"
    big = {p: s for p, s in parts.items() if s >= MIN_PART_SHARE}
    vehicles = sum(labels[v] for v in VEHICLES)
    if kind == "waterside" or "water" in big:
        return "waterside"
    if kind == "urban" or "road" in big or "building" in big or vehicles >= 2:
        return "street" if parts.get("road", 0.0) >= MIN_PART_SHARE or vehicles >= 2 else "city"
    if "snow" in big:
        return "snow"
    trees = max(parts.get("trees", 0.0), parts.get("vegetation", 0.0))
    if trees >= MIN_PART_SHARE and trees >= parts.get("grass", 0.0):
        return "forest"
    if parts.get("grass", 0.0) >= MIN_PART_SHARE:
        return "meadow"
    if picture is not None:
        return "outdoor" if getattr(picture, "outdoor", True) else "indoor"
    if any(s > 0 for p, s in parts.items() if p not in ("person", "ambience")):
        return "outdoor"
    return "indoor" if labels else "quiet"


def _bed(candidates, picture, parts, labels) -> tuple[list, set[str]]:
    """The bed's layers (drafts) and the parts they already voice."""
    table = _table()
    place = bed_place(picture, parts, labels)
    kind = _kind(picture)
    quieter = 10.0 if kind in ("artwork", "closeup") else 0.0  # a picture of a place, heard softly
    night = bool(getattr(picture, "night", False))
    by_part = {}
    for c in candidates:
        part = _part(c)
        if part is not None and (part not in by_part or _share(c) > _share(by_part[part])):
            by_part[part] = c
    if "vegetation" in by_part:  # the classical parts call trees and grass "vegetation"
        by_part.setdefault("trees", by_part["vegetation"])
        by_part.setdefault("grass", by_part["vegetation"])
    layers, covered = [], set()
    specs = list(table["place"][place]["layers"])
    if night:
        specs = [s for s in specs if s["sound"] not in table["night"]["replace"]]
        specs.append(table["night"]["layer"])
    for spec in specs:
        part = spec.get("part")
        cite = spec.get("cite", "")
        sound, level = spec["sound"], float(spec["level"])
        rule = f"bed {place}: {table['place'][place]['rule']}"
        if sound == "water":  # the water part's own row: the sea surfs, a lake laps, a river flows
            voice = sounding("water", part=True, picture=picture)
            sound, level, cite = voice.sound_class, voice.level_db, voice.cite
            rule += f" ({voice.rule})"
        if night and sound in table["night"]["quieter"]:
            level -= table["night"]["quieter_db"]
        where = by_part.get(part) if part else None
        voice = Voice(sound, level - quieter, "bed", rule, None, cite)
        if where is not None and all(where is not d for d in layers):
            draft = _voiced(where, voice, part=part, part_confidence=_confidence(where))
            draft.extent = _partial_extent(where)
            covered.add(part)
        else:
            draft = _new_draft(spec.get("label", sound.replace("_", " ")), "bed", (0.0, 0.0, 1.0))
            draft = _voiced(draft, voice, place=place)
            draft.extent = FULL_BED_EXTENT
        draft.evidence.setdefault("place", place)
        layers.append(draft)
    return layers, covered


def _group(drafts, voice: Voice):
    """One source for a group (a crowd of people, a flock of pigeons, traffic): at the group's mean
    direction and median distance, as wide as the group."""
    best = max(drafts, key=_confidence)
    az = np.array([d.azimuth_deg for d in drafts])
    el = np.array([d.elevation_deg for d in drafts])
    best.azimuth_deg = float(np.degrees(np.angle(np.mean(np.exp(1j * np.radians(az))))))
    best.elevation_deg = float(np.mean(el))
    best.distance_m = float(np.median([d.distance_m for d in drafts]))
    width = float(np.clip(np.ptp(az) + 10.0, 10.0, 360.0))
    height = float(np.clip(np.ptp(el) + 10.0, 10.0, 180.0))
    _voiced(best, voice, count=len(drafts))
    best.extent = (round(width, 1), round(height, 1))
    return best


def _class_voice(sound_class: str) -> Voice:
    """The typical voice of a sound class (for what the prompt names)."""
    level, role, cite = class_level(sound_class)
    return Voice(sound_class, level, role, "", None, cite)


def _mark(draft, noun: PromptNoun):
    """Record on ``draft`` the prompt noun that names it (and only that noun, not the whole prompt)."""
    draft.region.extra["prompt_noun"] = noun.word
    draft.evidence["prompt_noun"] = noun.word
    draft.evidence["prompt_phrase"] = noun.phrase
    return draft


def _heard_db(draft) -> float:
    """Level at the listener (1/r from 1 m): what ranks the spots."""
    return float(draft.level_db) - 20.0 * math.log10(max(draft.distance_m, 1.0))


def _route_prompt(nouns: list[PromptNoun], objects, parts_c) -> tuple[dict[int, PromptNoun], list]:
    """Each noun to the regions it names: the detected objects of its classes (all of them), else
    the largest part it names; ``(id(draft) -> noun, unplaced nouns)``."""
    claimed: dict[int, PromptNoun] = {}
    unplaced = []
    for noun in nouns:
        hits = []
        if noun.place != "bed":  # a bed noun (traffic, crowd, rain) is the place, not one thing in it
            # a detected object of its classes, or one an open-vocabulary detector found by its name
            names = (*noun.detector_labels, noun.label)
            hits = [d for d in objects if _detector_label(d) in names and id(d) not in claimed]
        if not hits:
            fits = [d for d in parts_c if _part(d) in noun.parts and id(d) not in claimed]
            hits = sorted(fits, key=lambda d: -_share(d))[:1]
        if not hits:
            unplaced.append(noun)
        for d in hits:
            claimed[id(d)] = noun
    return claimed, unplaced


def choose_sources(candidates, picture, n_sources: int, prompt: str | None = None) -> list:
    """The sources of one picture: an ambience bed for the place, then spots for what sounds.

    Parameters
    ----------
    candidates : list of SourceDraft
        What the vision stage trusts: detected objects (``region.extra["detector_label"]``, a COCO
        label) and confident scene parts (``region.extra["part"]``). Unnamed regions are not voiced.
    picture : PictureKind or None
        What kind of picture it is; ``None``: guessed from the parts (a generic outdoor scene when it
        has outdoor parts, a quiet room when it has only objects).
    n_sources : int
        At most this many sources; the bed (all its layers) counts as one. With ``n_sources == 1`` the
        loudest spot is chosen alone, or the bed when nothing sounds.
    prompt : str, optional
        The user's text: each sound-bearing noun goes to the region it names; a noun with no region
        becomes a bed layer (wind, rain, a crowd) or a source placed where it would be (birds above the
        horizon, water below it, bells far ahead). Sources it does not name keep their own sound.

    Returns
    -------
    list of SourceDraft
        Bed layers first (``role="bed"``, level at the listener, an extent), then spots
        (``role="spot"``, level in dB SPL at 1 m), loudest as heard first. Each carries
        ``evidence["rule"]``: the table row and condition that voiced it.
    """
    objects = [c for c in candidates if _detector_label(c) is not None]
    part_cands = [c for c in candidates if _part(c) is not None]
    labels = Counter(_detector_label(c) for c in objects)
    parts = _parts(candidates, picture)
    company = set(labels)
    nouns = parse_prompt(prompt)
    claimed, unplaced = _route_prompt(nouns, objects, part_cands)
    bed, covered = _bed(candidates, picture, parts, labels)
    spots, silent = [], []
    groups: dict[tuple[str, Voice], list] = {}
    for draft in objects:
        label = _detector_label(draft)
        noun = claimed.get(id(draft))
        voice = sounding(
            label,
            moving=_moving(draft, label, parts, labels),
            picture=picture,
            count=labels[label],
            company=company,
        )
        if voice is not None and voice.condition == "many":  # a group is voiced once (a crowd, traffic)
            groups.setdefault((label, voice), []).append(draft)
            continue
        if noun is not None:  # the prompt names it: it sounds as the prompt says
            if voice is None or voice.sound_class != noun.sound_class:
                voice = replace(_class_voice(noun.sound_class), role="spot")
            spots.append(_mark(_voiced(draft, voice, f"prompt noun {noun.word!r} names this {label}"), noun))
            continue
        if voice is None:
            silent.append(label)
            continue
        spots.append(_voiced(draft, voice))
    for (_, voice), drafts in groups.items():
        group = _group(drafts, voice)
        named = [claimed[id(d)] for d in drafts if id(d) in claimed]
        if named:  # the prompt names the group ("people talking" over a crowd)
            _mark(group, named[0])
        (bed if voice.role == "bed" else spots).append(group)

    bed_sounds = {d.sound_class for d in bed}
    for draft in part_cands:
        part = _part(draft)
        noun = claimed.get(id(draft))
        in_bed = any(draft is d for d in bed)
        own = sounding(part, part=True, picture=picture)
        if noun is None:
            if in_bed or own is None or part in covered or own.sound_class in bed_sounds:
                continue  # already the bed's, silent, or unknown
            voice, rule = own, None
        else:
            voice = own if noun.own and own is not None else _class_voice(noun.sound_class)
            rule = f"prompt noun {noun.word!r} names this {part}"
            if in_bed and voice.role == "bed":  # the noun names a layer of the bed (a road's traffic)
                _mark(_voiced(draft, voice, rule), noun)
                continue
            if in_bed:  # a thing heard from a part of the place (bells from the buildings): a spot there
                where = (
                    draft.azimuth_deg,
                    draft.elevation_deg,
                    draft.evidence.get("measured_distance_m", 20.0),
                )
                spot = _new_draft(noun.label, "placed", where)
                spot.evidence["part"] = part
                spots.append(_mark(_voiced(spot, voice, rule), noun))
                continue
        draft = _voiced(draft, voice, rule, part=part, part_confidence=_confidence(draft))
        if noun is not None:
            _mark(draft, noun)
        if draft.role == "bed":
            draft.extent = _partial_extent(draft)
            bed.append(draft)
        else:
            spots.append(draft)
        bed_sounds.add(draft.sound_class)

    for noun in unplaced:  # a noun with no region: a layer of the bed or a source where it would be
        voice = _class_voice(noun.sound_class)
        if noun.place == "bed" or voice.role == "bed":
            draft = _new_draft(noun.label, "bed", (0.0, 0.0, 1.0))
            draft = _voiced(
                draft, replace(voice, role="bed"), f"prompt noun {noun.word!r}: a layer of the bed"
            )
            draft.extent = FULL_BED_EXTENT
            bed = [d for d in bed if d.sound_class != noun.sound_class] + [draft]
        else:
            az, el, distance = PLACED[noun.place]
            draft = _new_draft(noun.label, "placed", (az, el, noun.distance_m or distance))
            spots.append(_voiced(draft, voice, f"prompt noun {noun.word!r}: placed {noun.place}"))
        _mark(draft, noun)

    bed.sort(key=lambda d: ("prompt_noun" not in d.evidence, -float(d.level_db)))
    bed = bed[: max(MAX_BED_LAYERS, sum("prompt_noun" in d.evidence for d in bed))]
    spots.sort(key=lambda d: ("prompt_noun" not in d.evidence, -_heard_db(d)))
    if n_sources == 1:
        chosen = spots[:1] or bed
    else:
        chosen = bed + spots[: n_sources - 1]
    _explain(chosen, spots, silent, n_sources)
    return chosen


def _explain(chosen, spots, silent, n_sources: int) -> None:
    """Say so when fewer sources are made than asked for, and why."""
    n_spots = sum(d.role == "spot" for d in chosen)
    count = (1 if any(d.role == "bed" for d in chosen) else 0) + n_spots  # the bed counts as one
    if count >= n_sources:
        if len(spots) > n_spots:
            log.info("%d things that sound were left out (--sources %d)", len(spots) - n_spots, n_sources)
        return
    what = (
        "no regions found that make a sound; only the ambience bed"
        if n_spots == 0
        else (
            f"the ambience bed and {n_spots} {'thing that sounds' if n_spots == 1 else 'things that sound'};"
            " nothing else in the picture makes a sound"
        )
    )
    if silent:
        what += f" (silent: {', '.join(sorted(set(silent)))})"
    log.warning(f"{count} of {n_sources} sources: {what}")
