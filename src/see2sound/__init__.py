"""see2sound: spatial soundtracks for images, animated GIFs and videos.

Follows SEE-2-SOUND (Dagli et al., 2024): find the regions of interest, place each in 3D, make a mono
sound for each, and render them together as 5.1/7.1/7.1.4, binaural or ambisonic audio.

The functions of the pipeline are imported on first use, so ``import see2sound`` stays light::

    see2sound.run(input, output_dir, formats=[...])    # the whole pipeline
    see2sound.analyze(input, scene_json)                # vision → scene
    see2sound.sonify(scene_json)                        # sound → stems
    see2sound.render(scene_json, output, format="5.1")  # spatial → audio file
"""

from __future__ import annotations

__version__ = "0.1.0"

from .errors import See2SoundError  # noqa: E402
from .scene import Scene, Source, load_scene, save_scene  # noqa: E402

_LAZY = {
    "run": ("see2sound.pipeline.run", "run"),
    "analyze": ("see2sound.pipeline.analyze", "analyze"),
    "sonify": ("see2sound.pipeline.sonify", "sonify"),
    "render": ("see2sound.pipeline.render", "render"),
}


def __getattr__(name: str):
    if name in _LAZY:
        import importlib

        module, attr = _LAZY[name]
        return getattr(importlib.import_module(module), attr)
    raise AttributeError(f"module 'see2sound' has no attribute {name!r}")


__all__ = [
    "Scene",
    "Source",
    "See2SoundError",
    "analyze",
    "load_scene",
    "render",
    "run",
    "save_scene",
    "sonify",
    "__version__",
]
