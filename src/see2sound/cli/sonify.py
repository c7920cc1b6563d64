"""``see2sound sonify SCENE.json``: a mono stem for every source (and ``see2sound sound-classes``)."""

from __future__ import annotations

from pathlib import Path

import typer


def sonify_command(
    scene: Path = typer.Argument(..., help="The scene file (scene.json)."),
    output: Path = typer.Option(
        None, "-o", "--output", help="Write the updated scene here (default: in place)."
    ),
    sound: str = typer.Option(
        "auto", "--sound", help="Sound backend: auto, procedural, library, or a model."
    ),
    sound_library: list[Path] = typer.Option(
        None, "--sound-library", help="A folder of your own recordings (repeatable; searched in order)."
    ),
    duration: float = typer.Option(None, "--duration", help="Clip length in seconds (default: the scene's)."),
    seed: int = typer.Option(0, "--seed", help="Seed of every random choice."),
    regenerate: bool = typer.Option(
        False, "--regenerate", help="Make new stems also for sources with audio."
    ),
    overwrite: bool = typer.Option(False, "--overwrite", help="Replace an existing output scene or stem."),
    allow_share_alike: bool = typer.Option(
        False, "--allow-share-alike", help="Also use CC-BY-SA recordings (their licence binds your output)."
    ),
    quiet: bool = typer.Option(False, "--quiet", "-q", help="Only print warnings and errors."),
) -> None:
    """Give every source without audio a mono sound (recording or synthesis) and update the scene."""
    from ..pipeline.sonify import sonify
    from ..scene import check_duration

    if duration is not None:
        check_duration(duration, "--duration")
    out = Path(output) if output is not None else Path(scene)
    sonify(
        scene,
        output,
        sound=sound,
        sound_library=sound_library or (),
        duration=duration,
        seed=seed,
        regenerate=regenerate,
        overwrite=overwrite,
        allow_share_alike=allow_share_alike,
    )
    if not quiet:
        print(out)


def sound_classes_command() -> None:
    """List the procedural sound classes with a few of the labels that choose them."""
    from ..sound.classes import class_table

    for row in class_table():
        print(f"{row['name']:<12} {row['family']:<9} {row['description']}")
        print(f"{'':<12} labels: {', '.join(row['synonyms'])}")


def register(app: typer.Typer) -> None:
    app.command("sonify")(sonify_command)
    app.command("sound-classes")(sound_classes_command)
