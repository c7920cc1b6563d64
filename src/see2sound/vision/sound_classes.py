"""What a detected COCO object sounds like: a view of the one table of :mod:`.compose`.

``coco_sound("dog")`` is ``"dog_bark"``, the class that is heard when it is voiced; a label that never
sounds ("bowl", "hot dog") gives ``"silent"``. Conditions (a car only when it moves, a laptop only with
someone typing) are decided by :func:`.compose.sounding` when the mix is made.
"""

from __future__ import annotations

from ..vocabulary import load_table
from .compose import SILENT, sounding, table_row


def coco_sound(label: str) -> str:
    """The sound class of a COCO object when it sounds (still, else moving; with someone beside it),
    else ``"silent"``."""
    if table_row(label) is None:
        return SILENT
    voice = sounding(label, company=("person",)) or sounding(label, moving=True, company=("person",))
    return voice.sound_class if voice is not None else SILENT


# COCO label -> sound class, for the labels that can make a sound (the open-vocabulary detector's queries)
COCO_SOUNDS: dict[str, str] = {
    label: sound for label in load_table("sounding")["label"] if (sound := coco_sound(label)) != SILENT
}
