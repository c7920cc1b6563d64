"""Neural vision backends (extra ``see2sound[models]``): SAM, Depth Anything V2, CLIP and OWLv2.

Importing this package only registers the backends; torch and transformers load when one is created.
"""

from __future__ import annotations

from . import clip, depth_anything, owlv2, sam  # noqa: F401
