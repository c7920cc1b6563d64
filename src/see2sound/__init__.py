"""see2sound: spatial soundtracks for images, animated GIFs and videos.

Follows SEE-2-SOUND (Dagli et al., 2024): find the regions of interest, place each in 3D, make a mono
sound for each, and render them together as 5.1/7.1/7.1.4, binaural or ambisonic audio.
"""

from __future__ import annotations

__version__ = "0.1.0"

from .errors import See2SoundError  # noqa: E402
from .scene import Scene, Source, load_scene, save_scene  # noqa: E402

__all__ = ["Scene", "Source", "See2SoundError", "load_scene", "save_scene", "__version__"]
