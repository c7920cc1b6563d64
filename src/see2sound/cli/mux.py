"""``see2sound mux VIDEO AUDIO -o OUT``: put a spatial audio file into a video (or a picture/GIF into one)."""

from __future__ import annotations

from pathlib import Path

import typer

from ..errors import See2SoundError
from ..log import get_logger

log = get_logger(__name__)


def mux_command(
    video: Path = typer.Argument(..., help="A video (its stream is copied), or a still image / GIF."),
    audio: Path = typer.Argument(..., help="The spatial audio (WAV/FLAC with channel mask, or any audio)."),
    output: Path = typer.Option(..., "-o", "--output", help="Output .mp4, .mov or .mkv."),
    keep_original_audio: bool = typer.Option(
        False, "--keep-original-audio", help="Keep the video's own audio as a second track."
    ),
    mix_original_audio: bool = typer.Option(
        False, "--mix-original-audio", help="Mix the video's own audio into the new track."
    ),
    original_audio_db: float = typer.Option(
        None,
        "--original-audio-db",
        help="With --mix-original-audio: the original's loudness relative to the new audio in dB "
        "(BS.1770; default 0, equally loud).",
    ),
    projection: str = typer.Option(
        None,
        "--projection",
        help="equirect marks the video 360° (Spherical Video V1, MP4/MOV), perspective never; "
        "default: as detected in VIDEO.",
    ),
    overwrite: bool = typer.Option(False, "--overwrite", help="Replace OUTPUT if it exists."),
    quiet: bool = typer.Option(False, "--quiet", "-q", help="Only print warnings and errors."),
) -> None:
    """Mux AUDIO into VIDEO without re-encoding the video; codec and layout follow the audio's channels."""
    from ..media.muxer import ORIGINAL_AUDIO_DB, mux

    if keep_original_audio and mix_original_audio:
        raise See2SoundError("choose one of --keep-original-audio and --mix-original-audio")
    mode = "keep" if keep_original_audio else "mix" if mix_original_audio else "replace"
    if original_audio_db is not None and mode != "mix":
        log.warning("--original-audio-db is only used with --mix-original-audio; ignored")
    level = ORIGINAL_AUDIO_DB if original_audio_db is None else original_audio_db
    if projection not in (None, "equirect", "perspective"):
        raise See2SoundError(f"--projection: expected equirect or perspective, got {projection!r}")
    if projection == "equirect" and output.suffix.lower() == ".mkv":
        log.warning("--projection equirect: the 360° mark is written in MP4/MOV only, not in MKV")
    spherical = None if projection is None else projection == "equirect"
    path = mux(video, audio, output, mode=mode, overwrite=overwrite, original_db=level, spherical=spherical)
    if not quiet:
        print(path)


def register(app: typer.Typer) -> None:
    app.command("mux")(mux_command)
