"""``see2sound backends``: every backend of every stage, whether it can run here, and what ``auto`` picks."""

from __future__ import annotations

import typer

from ..errors import BackendError


def registries():
    """All stage registries, with their backend modules imported (registration is import-time and cheap)."""
    from ..sound.backends import SOUNDS
    from ..vision.backends import DEPTH, DETECTORS, LABELS, REGIONS

    return [REGIONS, DETECTORS, DEPTH, LABELS, SOUNDS]


def backends() -> None:
    """List backends per stage: usable here or why not, and which one `auto` chooses."""
    from ..assets.hrtf import cached_sets
    from ..pipeline.hrtf import AUTO_PREFERENCE
    from ..sound.models import WEIGHTS_LICENCES

    for registry in registries():
        try:
            chosen = registry.auto().name
        except BackendError:
            chosen = None
        print(f"{registry.stage}: auto -> {chosen or 'nothing usable'}")
        for backend in registry.backends():
            reason = backend.unavailable_reason()
            state = "usable" if reason is None else f"not usable: {reason}"
            mark = "*" if backend.name == chosen else " "
            print(
                f"  {mark} {backend.name:<16} {state}"
                + (f" - {backend.description}" if backend.description else "")
            )
            lic = WEIGHTS_LICENCES.get(backend.name) if registry.stage == "sound" else None
            if lic is not None:
                print(f"{'':<21}weights licence: {lic.license} ({lic.url}): {lic.terms}")
    sets = cached_sets()
    measured = [name for name in AUTO_PREFERENCE if name in sets]
    chosen = measured[0] if measured else "analytic"
    print(f"hrtf: auto -> {chosen}")
    for name in AUTO_PREFERENCE:
        state = "usable" if name in sets else "not usable: not cached (run `see2sound models fetch hrtf`)"
        print(f"  {'*' if name == chosen else ' '} {name:<16} {state} - measured HRTF set")
    mark = "*" if chosen == "analytic" else " "
    print(f"  {mark} analytic         usable - rigid-sphere head model (built in)")


def register(app: typer.Typer) -> None:
    app.command("backends")(backends)
