"""From a free label ("barking dog", "Waves, surf", "airplane", "cows") to a procedural sound class.

Labels are read with the one vocabulary (:mod:`see2sound.vocabulary`: lower case, punctuation dropped,
plurals made singular) and searched for the synonym phrases below: AudioSet ontology names and everyday
words, plus the COCO-80 labels our detector emits, whose class comes from the one table of what sounds
(``data/sounding.toml``: "hot dog" and "bowl" are silent, "sports ball" is a ball). The longest
phrase wins; between equally long phrases, the one nearest the end wins (the head noun of an English
noun phrase: "car engine" is an engine). Adjectives such as "heavy", "distant", "big" or "many" set
the recipe's intensity, size and density. A label that matches nothing falls back to a neutral
ambience, and the match says so. Only words that no table knows are checked for typos (free text typed
by a user): a known word such as "bowl" is never bent into another ("owl").
"""

from __future__ import annotations

from dataclasses import dataclass, field

from ..vocabulary import (  # noqa: F401  (singular: part of this module's face)
    closest_word,
    label_sounds,
    load_table,
    singular,
    tokens,
)
from .synth import CLASSES, FALLBACK_CLASS

SILENT = "silent"  # a detector label that never sounds ("bowl"): it matches no class

# class -> synonyms; a synonym may carry recipe parameters: ("truck", {"size": 0.9})
SYNONYMS: dict[str, list] = {
    "wind": [
        "wind",
        "breeze",
        "gust",
        "gale",
        "windy",
        "wind noise",
        "howling wind",
        "blizzard",
        "sky",
        "cloud",
        "flag",
        "mountain",
        "desert",
        "snow",
        "hill",
        "cliff",
    ],
    "rain": [
        "rain",
        "raindrop",
        "rainfall",
        "drizzle",
        "downpour",
        "rainstorm",
        "shower",
        "rain on surface",
        "wet",
        ("heavy rain", {"intensity": 0.9}),
        ("light rain", {"intensity": 0.15}),
    ],
    "thunder": ["thunder", "thunderstorm", "lightning", "storm", "thunderclap"],
    "stream": [
        "stream",
        "brook",
        "creek",
        "river",
        "trickle",
        "running water",
        "water flowing",
        "flowing water",
        "fountain",
        "faucet",
        "tap",
        "water",
        "gurgling",
        "babbling brook",
        "pour",
        "liquid",
    ],
    "waterfall": ["waterfall", "cascade", "rapids", "falls", "torrent", "weir", "dam"],
    "ocean_waves": [
        "ocean",
        "sea",
        "wave",
        "surf",
        "waves surf",
        "beach",
        "coast",
        "seashore",
        "sea shore",
        "seaside",
        "bay",
        "harbour",
        "harbor",
    ],
    "water_drip": ["drip", "dripping", "droplet", "water drop", "cave", "leak", "puddle"],
    "fire": [
        "fire",
        "fireplace",
        "campfire",
        "bonfire",
        "flame",
        "burning",
        "crackle",
        "crackling",
        "blaze",
        "wildfire",
        "torch",
        "fire crackling",
        "stove",
    ],
    "leaves": [
        "leaf",
        "leaves",
        "rustling",
        "rustling leaves",
        "foliage",
        "tree",
        "forest",
        "wood",
        "woods",
        "bush",
        "shrub",
        "plant",
        "jungle",
        "garden",
        "hedge",
        "branch",
        "palm",
    ],
    "birdsong": [
        "bird",
        "birdsong",
        "bird song",
        "bird call",
        "bird vocalization",
        "chirp",
        "tweet",
        "songbird",
        "sparrow",
        "robin",
        "seagull",
        "gull",
        "crow",
        "parrot",
        "finch",
        "blackbird",
        "duck",
        "goose",
        "owl",
        "chirp tweet",
        "park",
        "aviary",
        "nest",
    ],
    "crickets": ["cricket", "grasshopper", "night", "evening", "katydid"],
    "cicadas": ["cicada", "buzzing insect", "summer"],
    "frogs": ["frog", "toad", "croak", "pond", "swamp", "marsh", "wetland"],
    "dog_bark": [
        "dog",
        "bark",
        "barking",
        "puppy",
        "hound",
        "woof",
        "bow wow",
        "canine",
        "yip",
        "dog barking",
    ],
    "cat_meow": ["cat", "kitten", "meow", "kitty", "feline", "purr"],
    "cow": [
        "cow",
        "cattle",
        "bull",
        "calf",
        "moo",
        "ox",
        "bovine",
        "cattle bovinae",
        "farm",
        "pasture",
        "barn",
    ],
    "sheep": ["sheep", "lamb", "goat", "baa", "bleat", "flock", "ewe"],
    "horse": [
        "horse",
        "pony",
        "hoof",
        "hooves",
        "clip clop",
        "gallop",
        "donkey",
        "zebra",
        "neigh",
        "whinny",
        "stable",
        "mule",
        "carriage",
    ],
    "crowd": [
        "crowd",
        "people",
        "chatter",
        "hubbub",
        "babble",
        "speech babble",
        "murmur",
        "audience",
        "restaurant",
        "cafe",
        "bar",
        "party",
        "market",
        "festival",
        "classroom",
        "spectator",
        "stadium",
        ("person", {"density": 0.0, "size": 0.1}),
        ("man", {"density": 0.0, "size": 0.1}),
        ("woman", {"density": 0.0, "size": 0.1}),
        ("child", {"density": 0.0, "size": 0.1}),
        ("boy", {"density": 0.0, "size": 0.1}),
        ("girl", {"density": 0.0, "size": 0.1}),
    ],
    "footsteps": [
        "footstep",
        "step",
        "walk",
        "walking",
        "walk footsteps",
        "walker",
        "pedestrian",
        "running",
        "jogger",
        "shoe",
        "boot",
        "hallway",
        "corridor",
        "stair",
        "stairs",
    ],
    "applause": ["applause", "clapping", "clap", "cheering", "ovation", "concert", "theatre", "theater"],
    "keyboard": [
        "keyboard",
        "typing",
        "computer keyboard",
        "office",
        "computer",
        "laptop",
        "desk",
        "typewriter",
        "workplace",
    ],
    "engine_idle": [
        "engine",
        "idling",
        "idle",
        "engine idling",
        ("truck", {"size": 0.9}),
        ("bus", {"size": 0.9}),
        ("lorry", {"size": 0.9}),
        "tractor",
        "van",
        "parked car",
        "vehicle",
        ("diesel engine", {"size": 0.9}),
    ],
    "motorcycle": ["motorcycle", "motorbike", "scooter", "moped", "dirt bike", "motor bike"],
    "car_pass_by": [
        "car",
        "automobile",
        "taxi",
        "car passing by",
        "passing car",
        "race car",
        "sports car",
        "vehicle passing",
        "jeep",
        "suv",
        "sedan",
    ],
    "traffic": [
        "traffic",
        "road",
        "highway",
        "freeway",
        "motorway",
        "intersection",
        "traffic noise",
        "roadway noise",
        "traffic noise roadway noise",
        "rush hour",
        "crosswalk",
        "parking lot",
    ],
    "train": [
        "train",
        "locomotive",
        "railway",
        "railroad",
        "rail",
        "rail transport",
        "subway",
        "tram",
        "metro",
        "steam train",
        "diesel train",
        "train wheel squealing",
        "railway station",
        "platform",
        "trolley",
    ],
    "aircraft": [
        "airplane",
        "aeroplane",
        "plane",
        "jet",
        "aircraft",
        "airliner",
        "jet engine",
        "fixed wing aircraft",
        "helicopter",
        "airport",
        "propeller",
        "runway",
    ],
    "boat": [
        "boat",
        "ship",
        "ferry",
        "motorboat",
        "speedboat",
        "yacht",
        "boat water vehicle",
        "tugboat",
        "canoe",
        "kayak",
        "sailboat",
        "dock",
        "pier",
        "marina",
        "port",
    ],
    "siren": [
        "siren",
        "ambulance",
        "police car",
        "police",
        "fire truck",
        "fire engine",
        "emergency vehicle",
        "alarm",
        "civil defense siren",
    ],
    "city": [
        "city",
        "street",
        "urban",
        "downtown",
        "town",
        "building",
        "skyscraper",
        "plaza",
        "square",
        "outside urban or manmade",
        "urban or manmade",
        "shop",
        "sidewalk",
        "bike",
        "cyclist",
    ],
    "machinery": [
        "machine",
        "machinery",
        "factory",
        "hum",
        "mains hum",
        "motor",
        "generator",
        "fan",
        "air conditioner",
        "air conditioning",
        "refrigerator",
        "fridge",
        "hair dryer",
        "appliance",
        "industrial",
        "workshop",
        "drill",
        "mechanism",
        "pump",
        "server",
        "hvac",
        "blender",
        "vacuum cleaner",
        "washing machine",
        "power station",
    ],
    "bells": [
        "bell",
        "church bell",
        "church",
        "chime",
        "temple",
        "cathedral",
        "belfry",
        "wind chime",
        "chapel",
        "monastery",
        "bell tower",
    ],
    "clock": ["clock", "ticking", "tick tock", "tick", "watch", "pendulum", "metronome", "grandfather clock"],
    "room_tone": [
        "room",
        "room tone",
        "indoor",
        "interior",
        "inside small room",
        "inside",
        "silence",
        "quiet",
        "bedroom",
        "living room",
        "kitchen",
        "hall",
        "bathroom",
        "sofa",
        "table",
        "library",
        "television",
        "museum",
        "gallery",
    ],
    "ambience": [
        "ambience",
        "ambient",
        "background",
        "outdoor",
        "outside",
        "nature",
        "landscape",
        "field",
        "meadow",
        "outside rural or natural",
        "rural",
        "countryside",
        "valley",
        "scene",
    ],
    # the classes added in turn 2 (a phrase already listed above keeps its first class)
    "voices": [
        "talking",
        "speech",
        "conversation",
        "voice",
        "talk",
        "talker",
        "chat",
        "chatting",
        "speaking",
        "speaker",
        "spoken",
        "people talking",
        "person talking",
        "two people talking",
        "man speaking",
        "woman speaking",
        "male speech man speaking",
        "female speech woman speaking",
        "dialogue",
        "dialog",
        "narration",
    ],
    "ball": [
        "football",
        "soccer",
        "soccer ball",
        "kick",
        "kicking",
        "bounce",
        "bouncing",
        "bouncing ball",
        "dribble",
        "dribbling",
        "ball game",
        "kickabout",
        "volleyball",
        ("basketball", {"size": 1.0}),
        ("tennis ball", {"size": 0.0}),
        ("ping pong", {"size": 0.0}),
    ],
    "lapping": [
        "lake",
        "shore",
        "lake shore",
        "lapping water",
        "water lapping",
        "lapping waves",
        "lake shore",
        "lakeshore",
        "lakeside",
        "shoreline",
        "ripple",
        "wavelet",
        "small waves",
        "lake water",
        "pond water",
        "canal",
        "harbour wall",
        "jetty",
    ],
    "pigeons": [
        "pigeon",
        "dove",
        "coo",
        "cooing",
        "pigeon coo",
        "cooing pigeon",
        "rock dove",
        "feral pigeon",
        "wood pigeon",
        "collared dove",
        "turtle dove",
        "wing flap",
        "wing flapping",
        "flapping wings",
        "flapping",
        "wings",
    ],
    "grass_wind": [
        "grass",
        "wind in grass",
        "wind in the grass",
        "wind through grass",
        "grass rustling",
        "rustling grass",
        "tall grass",
        "long grass",
        "grassland",
        "prairie",
        "steppe",
        "savanna",
        "reed",
        "wheat field",
        "cornfield",
        "hayfield",
        "dune grass",
    ],
    "insects": [
        "insect",
        "bug",
        "bee",
        "honeybee",
        "bumblebee",
        "wasp",
        "hornet",
        "housefly",
        "horsefly",
        "hoverfly",
        "mosquito",
        "gnat",
        "midge",
        "buzz",
        "buzzing",
        "insects buzzing",
        "insect buzz",
        "summer insects",
        "swarm",
        "beehive",
        "hive",
        "apiary",
    ],
}

MODIFIERS: dict[str, dict[str, float]] = {
    **{
        w: {"intensity": 0.85}
        for w in (
            "heavy",
            "strong",
            "loud",
            "intense",
            "violent",
            "fierce",
            "roaring",
            "raging",
            "pouring",
            "angry",
            "fast",
            "rough",
        )
    },
    **{
        w: {"intensity": 0.2}
        for w in (
            "light",
            "gentle",
            "soft",
            "quiet",
            "calm",
            "faint",
            "slow",
            "mild",
            "distant",
            "far",
            "weak",
            "still",
        )
    },
    **{w: {"size": 0.85} for w in ("big", "large", "huge", "giant", "massive", "deep", "wide")},
    **{w: {"size": 0.2} for w in ("small", "little", "tiny", "narrow", "mini")},
    **{
        w: {"density": 0.85}
        for w in (
            "many",
            "crowded",
            "busy",
            "dense",
            "several",
            "lots",
            "flock",
            "herd",
            "chorus",
            "group",
            "pack",
        )
    },
    **{w: {"density": 0.15} for w in ("few", "sparse", "single", "lone", "lonely", "one", "solitary")},
}


def _build_index() -> dict[tuple[str, ...], tuple[str, dict]]:
    # the detector's labels first: the one table of what sounds decides them (silent ones match nothing)
    index: dict[tuple[str, ...], tuple[str, dict]] = {
        tuple(tokens(label)): (sound, {})
        for label, sound in label_sounds().items()
        if sound == SILENT or sound in CLASSES
    }
    for cls, entries in SYNONYMS.items():
        if cls not in CLASSES:
            raise RuntimeError(f"synonym table names unknown class {cls!r}")
        for entry in [cls.replace("_", " "), *entries]:
            phrase, params = (entry, {}) if isinstance(entry, str) else entry
            key = tuple(tokens(phrase))
            if key and key not in index:
                index[key] = (cls, dict(params))
    return index


PHRASES = _build_index()
# every word some table knows: never "corrected" into another one
_VOCAB = frozenset(w for key in PHRASES for w in key) | frozenset(
    w
    for noun, row in load_table("prompt")["noun"].items()
    for text in (noun, *row.get("words", ()))
    for w in tokens(text)
)


@dataclass
class ClassMatch:
    """The class chosen for a label: ``matched`` is false for the fallback ambience."""

    sound_class: str
    matched: bool
    term: str = ""  # the synonym phrase that matched
    source: str = "label"  # "label", "prompt", "fallback" or "silent" (a label that never sounds)
    params: dict = field(default_factory=dict)  # intensity / size / density from the words


def _find(words: list[str]) -> tuple[tuple[str, ...], int] | None:
    best: tuple[int, int, tuple[str, ...]] | None = None
    for length in range(min(len(words), 6), 0, -1):
        for start in range(len(words) - length + 1):
            key = tuple(words[start : start + length])
            if key in PHRASES:
                cand = (length, start, key)
                if best is None or cand[:2] > best[:2]:
                    best = cand
        if best is not None:
            return best[2], best[1]
    return None


def _modifiers(words: list[str]) -> dict[str, float]:
    params: dict[str, float] = {}
    for w in words:
        params.update(MODIFIERS.get(w, {}))
    return params


def match_class(label: str, prompt: str | None = None) -> ClassMatch:
    """The procedural class for ``label`` (then ``prompt``), with parameters read from its adjectives.

    Examples
    --------
    >>> match_class("Barking dogs").sound_class
    'dog_bark'
    >>> m = match_class("heavy rain")
    >>> m.sound_class, m.params["intensity"]
    ('rain', 0.9)
    >>> match_class("quasar").matched
    False
    """
    label_words = tokens(label or "")
    prompt_words = tokens(prompt or "")
    silent = ""  # a label the table says is silent ("hot dog") matches no class
    for source, words in (("label", label_words), ("prompt", prompt_words)):
        found = _find(words)
        if found is not None:
            key, _ = found
            cls, params = PHRASES[key]
            if cls == SILENT:
                silent = silent or " ".join(key)
                continue
            merged = {**_modifiers([w for w in label_words + prompt_words if w not in key]), **params}
            return ClassMatch(cls, True, " ".join(key), source, merged)
    # typos in free text: an unknown word very close to a vocabulary word (a known word such as "bowl"
    # is never "corrected" into another one such as "owl")
    for source, words in (("label", label_words), ("prompt", prompt_words)):
        fixed = [closest_word(w, _VOCAB) or w for w in words]
        found = _find(fixed)
        if found is not None and PHRASES[found[0]][0] != SILENT:
            key, _ = found
            cls, params = PHRASES[key]
            return ClassMatch(cls, True, " ".join(key), source, {**_modifiers(label_words), **params})
    source = "silent" if silent else "fallback"
    words = [w for w in label_words + prompt_words if w not in silent.split()]
    return ClassMatch(FALLBACK_CLASS, False, silent, source, _modifiers(words))


def class_table() -> list[dict]:
    """One row per class: name, family, kind, description and a few synonyms (for docs and listings)."""
    rows = []
    for name, cls in CLASSES.items():
        syn = [e if isinstance(e, str) else e[0] for e in SYNONYMS.get(name, [])]
        rows.append(
            {
                "name": name,
                "family": cls.family,
                "kind": cls.kind,
                "description": cls.description,
                "synonyms": syn[:8],
            }
        )
    return rows


def exact_classes(terms) -> set[str]:
    """Classes of which one of ``terms`` (tags, name words) is exactly a synonym: ``"bark"`` → dog_bark,
    but not ``"car crash"`` (a crash is not a passing car)."""
    found = set()
    for term in terms:
        hit = PHRASES.get(tuple(tokens(term)))
        if hit is not None and hit[0] != SILENT:
            found.add(hit[0])
    return found
