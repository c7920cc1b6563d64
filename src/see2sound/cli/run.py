"""``see2sound run INPUT``: the whole pipeline for a picture, GIF or video."""

from __future__ import annotations

import math
import time
from pathlib import Path

import typer

from ..config import load_config
from ..errors import See2SoundError
from ..formats import OUTPUT_FORMAT_NAMES
from ..log import get_logger

DEFAULTS = {
    "format": ["5.1", "binaural"],
    "prompt": None,
    "sources": 4,
    "duration": None,
    "vision": "auto",
    "depth": "auto",
    "labels": "auto",
    "detector": "auto",
    "sound": "auto",
    "sound_library": [],
    "allow_share_alike": False,
    "fov": None,
    "projection": None,
    "method": "panning",
    "hrtf": None,
    "room": "auto",
    "seed": 0,
    "sample_rate": 48000,
    "loudness": "natural",
    "keep_original_audio": False,
    "mix_original_audio": False,
    "original_audio_db": 0.0,
    "video": None,
    "output": None,
}


def split_formats(values: list[str]) -> list[str]:
    """``--format 5.1 --format binaural`` or ``--format 5.1,binaural``."""
    out = []
    for value in values:
        out += [v.strip() for v in str(value).split(",") if v.strip()]
    if not out:
        raise See2SoundError(f"--format: no format given; choose from {', '.join(OUTPUT_FORMAT_NAMES)}")
    for name in out:
        if name not in OUTPUT_FORMAT_NAMES:
            raise See2SoundError(f"unknown format {name!r}; choose from {', '.join(OUTPUT_FORMAT_NAMES)}")
    return out


def parse_loudness(value: str | float | None) -> float | None:
    """``--loudness``: ``natural`` (the default) and ``off`` keep the scene's calibrated level (``None``);
    a number is an integrated-loudness target in LUFS."""
    if value is None or str(value).strip().lower() in ("natural", "off", "none"):
        return None
    try:
        number = float(value)
    except (TypeError, ValueError):
        number = math.nan
    if isinstance(value, bool) or not math.isfinite(number):
        raise See2SoundError(
            f"--loudness: expected natural, off or a target in LUFS (e.g. -23), got {value!r}"
        )
    return number


def run_command(
    input_path: Path = typer.Argument(
        ..., metavar="INPUT", help="A picture, animated GIF/WebP/APNG or video."
    ),
    output: Path = typer.Option(None, "-o", "--output", help="Output folder (default: next to the input)."),
    format: list[str] = typer.Option(
        None,
        "--format",
        "-f",
        help=f"One or several of {', '.join(OUTPUT_FORMAT_NAMES)} (default: 5.1 and binaural).",
    ),
    prompt: str = typer.Option(
        None, "--prompt", help="What should be heard, e.g. 'a dog barking by a road'."
    ),
    sources: int = typer.Option(None, "--sources", help="Number of sources (default 4)."),
    duration: float = typer.Option(
        None, "--duration", help="Seconds of audio for pictures (default 10) and GIFs."
    ),
    vision: str = typer.Option(None, "--vision", help="Region backend (auto, classical, ...)."),
    depth: str = typer.Option(None, "--depth", help="Depth backend (auto, classical, ...)."),
    labels: str = typer.Option(None, "--labels", help="Label backend (auto, classical, ...)."),
    detector: str = typer.Option(None, "--detector", help="Object detector (auto, nanodet, none, ...)."),
    sound: str = typer.Option(None, "--sound", help="Sound backend (auto, procedural, library, ...)."),
    sound_library: list[Path] = typer.Option(
        None, "--sound-library", help="Your own sound folder (repeatable)."
    ),
    allow_share_alike: bool = typer.Option(None, "--allow-share-alike", help="Allow CC-BY-SA recordings."),
    fov: float = typer.Option(
        None, "--fov", help="Horizontal field of view in degrees (default: EXIF, else 65)."
    ),
    projection: str = typer.Option(None, "--projection", help="perspective or equirect (default: detected)."),
    method: str = typer.Option(None, "--method", help="panning (default) or paper."),
    hrtf: str = typer.Option(None, "--hrtf", help="auto, analytic, ku100, kemar or a .sofa file."),
    room: str = typer.Option(
        None, "--room", help="auto (from the picture), none (free field), indoor, outdoor, WxDxH[:material]."
    ),
    seed: int = typer.Option(None, "--seed", help="Seed for every random choice (default 0)."),
    sample_rate: int = typer.Option(None, "--sample-rate", help="Output rate in Hz (default 48000)."),
    loudness: str = typer.Option(
        None,
        "--loudness",
        help="natural (default: the scene's calibrated level), off, or a target in LUFS (e.g. -23).",
    ),
    keep_original_audio: bool = typer.Option(
        None, "--keep-original-audio", help="Keep a video's own audio as a second track."
    ),
    mix_original_audio: bool = typer.Option(None, "--mix-original-audio", help="Mix a video's own audio in."),
    original_audio_db: float = typer.Option(
        None,
        "--original-audio-db",
        help="With --mix-original-audio: the original's loudness relative to the new audio in dB "
        "(BS.1770; default 0, equally loud).",
    ),
    video: bool = typer.Option(
        None, "--video/--no-video", help="Also write a video (default for GIFs/videos)."
    ),
    config: Path = typer.Option(None, "--config", help="TOML file with defaults for these options."),
    overwrite: bool = typer.Option(False, "--overwrite", help="Replace existing outputs."),
    quiet: bool = typer.Option(False, "--quiet", "-q", help="Only print warnings and errors."),
) -> None:
    """Analyse INPUT, make a sound per source and render spatial audio (plus a video for GIFs and videos)."""
    from ..pipeline.run import run

    given = {k: v for k, v in locals().items() if k in DEFAULTS and v not in (None, [])}
    settings = {**DEFAULTS, **load_config(config, set(DEFAULTS)), **given}
    if settings["keep_original_audio"] and settings["mix_original_audio"]:
        raise See2SoundError("choose one of --keep-original-audio and --mix-original-audio")
    mode = (
        "keep" if settings["keep_original_audio"] else "mix" if settings["mix_original_audio"] else "replace"
    )
    if "original_audio_db" in given and mode != "mix":
        get_logger(__name__).warning("--original-audio-db is only used with --mix-original-audio; ignored")
    formats = split_formats(
        settings["format"] if isinstance(settings["format"], list) else [settings["format"]]
    )
    started = time.perf_counter()
    progress = _Progress(quiet)
    try:
        result = run(
            input_path,
            settings["output"],
            formats=formats,
            prompt=settings["prompt"],
            sources=settings["sources"],
            duration=settings["duration"],
            vision=settings["vision"],
            depth=settings["depth"],
            labels=settings["labels"],
            detector=settings["detector"],
            sound=settings["sound"],
            sound_library=[Path(p).expanduser() for p in settings["sound_library"]],
            allow_share_alike=bool(settings["allow_share_alike"]),
            fov=settings["fov"],
            projection=settings["projection"],
            method=settings["method"],
            hrtf=settings["hrtf"],
            room=settings["room"],
            seed=int(settings["seed"]),
            sample_rate=int(settings["sample_rate"]),
            loudness_lufs=parse_loudness(settings["loudness"]),
            original_audio=mode,
            original_audio_db=float(settings["original_audio_db"]),
            video=settings["video"],
            overwrite=overwrite,
            step=progress.step,
        )
    except BaseException:
        progress.stop(finished=False)
        raise
    progress.stop()
    if not quiet:
        typer.echo(
            f"done in {time.perf_counter() - started:.1f} s; wrote into {result.output_dir}:", err=True
        )
        for path in result.paths():
            typer.echo(str(path))


class _Progress:
    """A rich spinner naming the current step, with the time each finished step took."""

    def __init__(self, quiet: bool):
        self.quiet = quiet
        self.status = None
        self.current = None
        self.t0 = 0.0

    def step(self, text: str) -> None:
        if self.quiet:
            return
        from rich.console import Console

        self._finish()
        if self.status is None:
            self.console = Console(stderr=True)
            self.status = self.console.status(text)
            self.status.start()
        else:
            self.status.update(text)
        self.current, self.t0 = text, time.perf_counter()

    def _finish(self, finished: bool = True) -> None:
        if self.current is not None:
            mark = "[green]✓[/green]" if finished else "[red]✗[/red]"
            self.console.print(f"{mark} {self.current} ({time.perf_counter() - self.t0:.1f} s)")
            self.current = None

    def stop(self, finished: bool = True) -> None:
        """End the display; ``finished=False`` marks the current step as not done (failed, interrupted)."""
        if self.status is not None:
            self._finish(finished)
            self.status.stop()
            self.status = None


def register(app: typer.Typer) -> None:
    app.command("run")(run_command)
