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
    from ..pipeline.hrtf import describe_hrtf_choice

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
            print(f"  {mark} {backend.name:<16} {state}" + (f" - {backend.description}" if backend.description else ""))
    print(f"hrtf: auto -> {describe_hrtf_choice()}")


def register(app: typer.Typer) -> None:
    app.command("backends")(backends)
