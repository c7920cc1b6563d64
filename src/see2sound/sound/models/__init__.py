"""Text-to-audio diffusion backends (extra ``see2sound[models]``): AudioLDM 2 and Stable Audio Open.

Importing this package only registers the backends; torch and diffusers load when one is created.
"""

from __future__ import annotations

from . import audioldm2, stable_audio

# The licence of each model backend's weights, by backend name (``see2sound backends``, CREDITS.txt).
WEIGHTS_LICENCES = {"audioldm2": audioldm2.LICENCE, "stable-audio": stable_audio.LICENCE}
