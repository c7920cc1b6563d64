"""The vision stage's registries: region proposal, object detection, depth and labels.

Backends register here by name; ``auto`` picks the best one usable on this machine. Modules that define
backends are imported at the bottom so that registering never imports anything heavy.
"""

from __future__ import annotations

from ..registry import Registry

REGIONS = Registry("vision")  # image -> list[Region]   (classical, sam, ...)
DETECTORS = Registry("detector")  # image -> list[Detection]  (nanodet, owlv2, ...)
DEPTH = Registry("depth")  # image -> depth map in metres (classical, depth-anything, ...)
LABELS = Registry("labels")  # image + regions -> labels   (classical, clip, ...)

# registering: the built-in classical backends and the NanoDet-g detector
from . import classical, nanodet  # noqa: E402,F401,I001
from . import models  # noqa: E402,F401  (sam, depth-anything, clip, owlv2: torch loads only when created)
