"""``see2sound credits SCENE.json``: the credits of every recording (and HRTF) a scene uses."""

from __future__ import annotations

import json
from pathlib import Path

import typer

from ..errors import SceneError


def credits(
    scene: Path = typer.Argument(..., help="The scene.json whose sources' recordings to credit."),
    output: Path = typer.Option(
        None, "-o", "--output", help="Write the credits to this file (e.g. CREDITS.txt)."
    ),
    overwrite: bool = typer.Option(False, "--overwrite", help="Replace OUTPUT if it exists."),
    quiet: bool = typer.Option(False, "--quiet", "-q", help="With -o: only print warnings and errors."),
) -> None:
    """Print the CREDITS text (title, author, licence, source) of every recording the scene uses."""
    from ..fileio import atomic_output, check_output
    from ..scene import load_scene
    from ..sound.credits import credits_text, scene_credit_entries

    if output is not None:
        check_output(output, overwrite)
    load_scene(scene)  # validates the scene and names the bad field
    try:
        data = json.loads(scene.read_text(encoding="utf-8"))
    except (OSError, ValueError) as exc:  # pragma: no cover - load_scene has read it already
        raise SceneError(f"{scene}: cannot read ({exc})") from None
    text = credits_text(scene_credit_entries(data), title=scene.name)
    if output is None:
        print(text, end="")
        return
    with atomic_output(output, overwrite=overwrite) as tmp:
        tmp.write_text(text, encoding="utf-8")
    if not quiet:
        print(output)


def register(app: typer.Typer) -> None:
    app.command("credits")(credits)
