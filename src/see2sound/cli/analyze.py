"""``see2sound analyze INPUT -o scene.json``: find what should sound and where (stage 1)."""

from __future__ import annotations

from pathlib import Path

import typer


def analyze_command(
    input: Path = typer.Argument(..., help="A picture, animated GIF/APNG/WebP or video."),
    output: Path = typer.Option(..., "-o", "--output", help="The scene file to write (scene.json)."),
    sources: int = typer.Option(4, "--sources", help="Number of sound sources to find."),
    prompt: str = typer.Option(None, "--prompt", help="Text whose sound-bearing nouns label the regions."),
    vision: str = typer.Option("auto", "--vision", help="Region backend (auto, classical, ...)."),
    depth: str = typer.Option("auto", "--depth", help="Depth backend (auto, classical, ...)."),
    labels: str = typer.Option("auto", "--labels", help="Label backend (auto, classical, ...)."),
    detector: str = typer.Option("auto", "--detector", help="Object detector (auto, none, nanodet, ...)."),
    fov: float = typer.Option(
        None, "--fov", help="Horizontal field of view in degrees (default EXIF, else 65)."
    ),
    projection: str = typer.Option(None, "--projection", help="perspective or equirect (default: detected)."),
    depth_range: tuple[float, float] = typer.Option(
        None, "--depth-range", help="Nearest and farthest distance in metres, e.g. 1 50."
    ),
    min_area: float = typer.Option(
        0.005, "--min-area", help="Smallest region, as a fraction of the picture."
    ),
    seed: int = typer.Option(0, "--seed", help="Seed recorded in the scene."),
    overwrite: bool = typer.Option(False, "--overwrite", help="Replace existing outputs."),
    no_preview: bool = typer.Option(False, "--no-preview", help="Do not write preview.png."),
    quiet: bool = typer.Option(False, "--quiet", "-q", help="Only print warnings and errors."),
) -> None:
    """Analyse a picture or video and write scene.json (audio not generated yet) and preview.png beside it."""
    from ..pipeline.analyze import analyze

    analyze(
        input,
        output,
        sources=sources,
        prompt=prompt,
        vision=vision,
        depth=depth,
        labels=labels,
        detector=detector,
        fov=fov,
        projection=projection,
        depth_range=None if depth_range is None or depth_range[0] is None else depth_range,
        min_area=min_area,
        overwrite=overwrite,
        seed=seed,
        preview=not no_preview,
    )
    if not quiet:
        print(output)
        if not no_preview:
            print(output.with_name("preview.png"))


def register(app: typer.Typer) -> None:
    app.command("analyze")(analyze_command)
