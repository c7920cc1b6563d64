"""``see2sound render SCENE.json -o OUT``: a finished scene to 5.1/7.1/7.1.4/stereo, binaural or AmbiX."""

from __future__ import annotations

import math
from pathlib import Path

import typer

from ..errors import See2SoundError
from ..formats import OUTPUT_FORMAT_NAMES


def _level_or_off(value: str | None, option: str, unit: str) -> float | None:
    """Parse ``-23``/``off`` style options."""
    if value is None:
        return None
    text = value.strip().lower()
    if text in ("off", "none"):
        return None
    try:
        number = float(text)
    except ValueError:
        raise See2SoundError(f"{option}: expected a number in {unit} or 'off', got {value!r}") from None
    if not math.isfinite(number):
        raise See2SoundError(f"{option}: expected a finite number in {unit} or 'off', got {value!r}")
    return number


def render_command(
    scene: Path = typer.Argument(..., help="The scene file (scene.json) with positions and audio stems."),
    output: Path = typer.Option(
        ..., "-o", "--output", help="Output file: .wav (with channel mask) or .flac."
    ),
    format: str = typer.Option(
        "5.1", "--format", help=f"Output format: {', '.join(OUTPUT_FORMAT_NAMES)} (adm: ADM BWF objects)."
    ),
    method: str = typer.Option(
        "panning", "--method", help="panning (VBIP / ambisonics / HRTF) or paper (omni mics at the speakers)."
    ),
    hrtf: str = typer.Option(
        None, "--hrtf", help="HRTF for binaural: a SimpleFreeFieldHRIR .sofa file, 'analytic' or 'auto'."
    ),
    sample_rate: int = typer.Option(None, "--sample-rate", help="Output rate in Hz (default: the scene's)."),
    loudness: str = typer.Option(
        "natural",
        "--loudness",
        help="natural (default: the scene's calibrated level), off, or a target in LUFS (e.g. -23).",
    ),
    lfe_db: str = typer.Option(
        "-10", "--lfe-db", help="LFE level in dB relative to the source mix, or 'off'."
    ),
    true_peak: str = typer.Option(
        "-1", "--true-peak", help="True-peak ceiling in dBTP, or 'off' (0 dBTP: never clipped)."
    ),
    propagation_delay: bool = typer.Option(
        False, "--propagation-delay", help="Delay each source by distance / 343 m/s (Doppler when moving)."
    ),
    air_absorption: bool = typer.Option(
        False, "--air-absorption", help="High-frequency air absorption over distance (ISO 9613-1)."
    ),
    mic_radius: float = typer.Option(
        2.0, "--mic-radius", help="Microphone radius in metres (--method paper)."
    ),
    room: str = typer.Option(
        "auto",
        "--room",
        help="Room: auto (the scene's), none (free field), indoor, outdoor or WxDxH[:material] in metres.",
    ),
    allow_outside_paths: bool = typer.Option(
        False, "--allow-outside-paths", help="Read stems that lie outside the scene file's folder."
    ),
    overwrite: bool = typer.Option(False, "--overwrite", help="Replace the output file if it exists."),
    quiet: bool = typer.Option(False, "--quiet", "-q", help="Only print warnings and errors."),
) -> None:
    """Render a scene's sources to spatial audio (needs no model)."""
    from ..pipeline.render import MAX_MIC_RADIUS_M, render
    from .run import parse_loudness

    if math.isfinite(mic_radius) and mic_radius > MAX_MIC_RADIUS_M:
        raise See2SoundError(
            f"--mic-radius: microphone radius {mic_radius:g} m is beyond the limit of {MAX_MIC_RADIUS_M:g} m"
        )
    path = render(
        scene,
        output,
        format=format,
        method=method,
        sample_rate=sample_rate,
        hrtf=hrtf,
        loudness_lufs=parse_loudness(loudness),
        true_peak_dbtp=_level_or_off(true_peak, "--true-peak", "dBTP"),
        lfe_db=_level_or_off(lfe_db, "--lfe-db", "dB"),
        propagation_delay=propagation_delay,
        air_absorption=air_absorption,
        mic_radius_m=mic_radius,
        room=room,
        overwrite=overwrite,
        allow_outside_paths=allow_outside_paths,
    )
    if not quiet:
        print(path)


def register(app: typer.Typer) -> None:
    app.command("render")(render_command)
