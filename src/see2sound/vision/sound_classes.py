"""What a detected COCO object sounds like: a view of the one table (``data/sounding.toml``).

``coco_sound("dog")`` is ``"dog_bark"``, the class that is heard when it is voiced; a label that never
sounds ("bowl", "hot dog") gives ``"silent"``. Conditions (a car only when it moves, a laptop only with
someone typing) are decided by :func:`.compose.sounding` when the mix is made.
"""

from __future__ import annotations

from ..vocabulary import label_sounds, tokens

SILENT = "silent"


def coco_sound(label: str) -> str:
    """The sound class of a COCO object when it sounds (still, else moving), else ``"silent"``."""
    sounds = label_sounds()
    if label in sounds:
        return sounds[label]
    by_words = {tuple(tokens(name)): sound for name, sound in sounds.items()}
    return by_words.get(tuple(tokens(label)), SILENT)


# COCO label -> sound class, for the labels that can make a sound (the open-vocabulary detector's queries)
COCO_SOUNDS: dict[str, str] = {label: sound for label, sound in label_sounds().items() if sound != SILENT}
