"""The sound stage's registry: each backend turns a :class:`SoundRequest` into a mono :class:`SoundResult`."""

from __future__ import annotations

from ..registry import Registry

SOUNDS = Registry("sound")  # procedural, library, audioldm2, stable-audio, ...
