"""The ``auto`` sound choice: a recording when one matches, else the best generator on this machine.

Order per label (DESIGN §1): the user's libraries, then the starter library, then the best usable
generating backend of the registry (a model whose weights are already here, else procedural synthesis).
"""

from __future__ import annotations

from .backends import SOUNDS
from .library import LibrarySound
from .types import SoundRequest, SoundResult


class AutoSound:
    name = "auto"

    def __init__(self, libraries=(), allow_share_alike: bool = False, **kwargs: object):
        self.library = LibrarySound(libraries, allow_share_alike=allow_share_alike)
        fallback = None
        for backend in SOUNDS.backends():
            if backend.name in ("library", "auto") or backend.unavailable_reason() is not None:
                continue
            fallback = backend
            break
        self.generator = fallback.factory(**kwargs) if fallback is not None else SOUNDS.create("procedural")

    def choose(self, request: SoundRequest):
        return self.library if self.library.libraries and self.library.find(request) else self.generator

    def cache_key(self, request: SoundRequest) -> dict:
        backend = self.choose(request)
        key = getattr(backend, "cache_key", None)
        return {"chosen": backend.name, **(key(request) if key else {})}

    def generate(self, request: SoundRequest) -> SoundResult:
        return self.choose(request).generate(request)
