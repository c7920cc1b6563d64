"""Text-to-audio diffusion backends (extra ``see2sound[models]``): AudioLDM 2 and Stable Audio Open.

Importing this package only registers the backends; torch and diffusers load when one is created.
"""

from __future__ import annotations

from . import audioldm2, stable_audio  # noqa: F401
