"""``see2sound cache clean``: keep the stem cache within a size and an age, or empty it."""

from __future__ import annotations

import typer

from ..errors import See2SoundError

cache_app = typer.Typer(help="Manage the cache of generated sounds (stems).", no_args_is_help=True)


@cache_app.command("clean")
def clean(
    max_mb: float = typer.Option(
        None, "--max-mb", help="Keep at most this many MB (default: SEE2SOUND_STEM_CACHE_MB or 2048)."
    ),
    max_days: float = typer.Option(90.0, "--max-days", help="Remove entries not used for this many days."),
    all_: bool = typer.Option(False, "--all", help="Remove every cached stem."),
) -> None:
    """Remove cached stems not used for --max-days, then the least recently used beyond --max-mb."""
    from ..cache import cache_root, prune_stems

    for name, value in (("--max-mb", max_mb), ("--max-days", max_days)):
        if value is not None and not 0 <= value < float("inf"):
            raise See2SoundError(f"{name}: must be 0 or more, got {value:g}")
    max_bytes = 0 if all_ else None if max_mb is None else int(max_mb * (1 << 20))
    removed, freed, kept, size = prune_stems(max_bytes, None if all_ else max_days)
    print(
        f"removed {removed} cached stem(s), {freed / 1e6:.1f} MB; "
        f"{kept} left, {size / 1e6:.1f} MB in {cache_root() / 'stems'}"
    )


def register(app: typer.Typer) -> None:
    app.add_typer(cache_app, name="cache")
