"""``see2sound probe INPUT [--json]``: what a media file is (kind, size, frames, timing, projection…)."""

from __future__ import annotations

import json
from pathlib import Path

import typer


def describe(info) -> list[str]:
    """Human-readable lines for a :class:`~see2sound.media.MediaInfo`."""
    lines = [f"file: {info.path}", f"kind: {info.kind}"]
    if info.kind == "audio":
        lines.append("pictures: none (an audio-only file; see2sound run needs a picture, GIF or video)")
    if info.kind != "audio":
        lines.append(f"size: {info.width}x{info.height}")
        lines.append(f"frames: {info.n_frames}{'' if info.n_frames_exact else ' (estimated)'}")
    if info.fps:
        lines.append(f"fps: {info.fps:.3f}")
    if info.duration is not None:
        lines.append(f"duration: {info.duration:.3f} s")
    if info.kind != "audio":
        lines.append(f"projection: {info.projection}")
        if info.hfov is not None:
            lines.append(f"hfov: {info.hfov:.1f} deg (EXIF 35 mm focal length {info.focal_length_35mm:g} mm)")
    if info.rotation:
        lines.append(f"rotation: {info.rotation} deg")
    if info.loop_count is not None:
        lines.append(f"loop: {'forever' if info.loop_count == 0 else f'{info.loop_count} play(s)'}")
    if info.frame_delays is not None:
        lines.append("frame delays: " + " ".join(f"{d * 1000:.0f}" for d in info.frame_delays) + " ms")
    if info.codec:
        lines.append(f"codec: {info.codec}")
    for stream in info.audio_streams:
        duration = f", {stream.duration:.3f} s" if stream.duration is not None else ""
        lines.append(
            f"audio #{stream.index}: {stream.codec}, {stream.layout} ({stream.channels} ch), "
            f"{stream.sample_rate} Hz{duration}"
        )
    return lines


def probe(
    input: Path = typer.Argument(..., help="An image, animation (GIF/APNG/WebP), video or audio file."),
    as_json: bool = typer.Option(False, "--json", help="Print one JSON object instead of text."),
) -> None:
    """Show what a media file is: kind, size, frames, fps, duration, projection, audio streams.

    Pictures are decoded whole, so a truncated or damaged file exits non-zero."""
    from ..media.probe import check_pictures, open_media

    info = open_media(input)
    check_pictures(info)
    if as_json:
        print(json.dumps({**info.to_dict(), "has_pictures": info.kind != "audio"}, ensure_ascii=False))
    else:
        print("\n".join(describe(info)))


def register(app: typer.Typer) -> None:
    app.command("probe")(probe)
