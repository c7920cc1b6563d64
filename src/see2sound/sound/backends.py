"""The sound stage's registry: each backend turns a :class:`SoundRequest` into a mono :class:`SoundResult`."""

from __future__ import annotations

from ..registry import Registry

SOUNDS = Registry("sound")  # procedural, library, audioldm2, stable-audio, ...


def _create_procedural(**kwargs):
    from .procedural import ProceduralSound

    return ProceduralSound(**kwargs)


def _create_library(**kwargs):
    from .library import LibrarySound

    return LibrarySound(**kwargs)


SOUNDS.register(
    "procedural", description="procedural synthesis of ~36 sound classes (offline, default)", priority=0
)(_create_procedural)
SOUNDS.register(
    "library",
    description="your --sound-library folders, then the starter library; `auto` tries it first per label",
    priority=-10,
)(_create_library)

from . import models  # noqa: E402,F401  (audioldm2, stable-audio: torch loads only when created)
