"""The ``procedural`` sound backend: a label is mapped to a synthesis class and generated offline."""

from __future__ import annotations

from ..log import get_logger
from .classes import match_class
from .synth import SYNTH_VERSION, synthesize
from .types import SoundRequest, SoundResult

log = get_logger(__name__)


class ProceduralSound:
    """Procedural synthesis of ~36 sound classes (:mod:`see2sound.sound.synth`); always available."""

    name = "procedural"

    def __init__(self, **_: object):
        pass

    def cache_key(self, request: SoundRequest) -> dict:
        match = match_class(request.label, request.prompt)
        return {"synth": SYNTH_VERSION, "class": match.sound_class, "params": match.params}

    def generate(self, request: SoundRequest) -> SoundResult:
        match = match_class(request.label, request.prompt)
        params = {"intensity": 0.5, "size": 0.5, "density": 0.5, **match.params}
        audio = synthesize(match.sound_class, request.duration, request.sample_rate, request.seed, **params)
        prov = {
            "backend": self.name,
            "sound_class": match.sound_class,
            "params": params,
            "synth_version": SYNTH_VERSION,
        }
        if match.matched:
            prov["matched"] = f"{match.source}: {match.term}"
        else:
            note = f"label {request.label!r} matches no sound class; using the neutral ambience"
            log.warning(note)
            prov["fallback"] = True
            prov["note"] = note
        return SoundResult(audio, prov)
