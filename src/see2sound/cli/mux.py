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
    overwrite: bool = typer.Option(False, "--overwrite", help="Replace OUTPUT if it exists."),
) -> None:
    """Mux AUDIO into VIDEO without re-encoding the video; codec and layout follow the audio's channels."""
    from ..media.muxer import mux

    if keep_original_audio and mix_original_audio:
        raise See2SoundError("choose one of --keep-original-audio and --mix-original-audio")
    mode = "keep" if keep_original_audio else "mix" if mix_original_audio else "replace"
    print(mux(video, audio, output, mode=mode, overwrite=overwrite))


def register(app: typer.Typer) -> None:
    app.command("mux")(mux_command)
