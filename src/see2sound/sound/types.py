"""The sound stage's interface: a request for one mono clip and the clip with its provenance."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Protocol

import numpy as np


@dataclass
class SoundRequest:
    label: str
    duration: float  # seconds, > 0
    sample_rate: int
    seed: int = 0
    prompt: str | None = None
    image_crop: np.ndarray | None = None  # (H, W, 3) uint8, optional conditioning


@dataclass
class SoundResult:
    audio: np.ndarray  # (n,) float32, n == round(duration * sample_rate)
    provenance: dict = field(default_factory=dict)
    # provenance keys: backend, sound_class or model, params, files: [{path, title, author, license, source}]


class SoundBackend(Protocol):
    name: str

    def generate(self, request: SoundRequest) -> SoundResult: ...
