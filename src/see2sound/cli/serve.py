"""``see2sound serve``: the web page (Gradio) on this machine; see docs/web.md."""

from __future__ import annotations

import sys

import typer

from ..errors import See2SoundError

LOCAL_HOSTS = ("127.0.0.1", "localhost", "::1")
INSTALL_HINT = "the web page needs Gradio: pip install 'see2sound[web]'"


def check_options(host: str, port: int, max_upload_mb: float, max_video_s: float) -> None:
    if not 0 <= port <= 65535:
        raise See2SoundError(f"--port: must be 0 to 65535, got {port}")
    if not max_upload_mb > 0:
        raise See2SoundError(f"--max-upload-mb: must be greater than 0, got {max_upload_mb:g}")
    if not max_video_s > 0:
        raise See2SoundError(f"--max-video-s: must be greater than 0, got {max_video_s:g}")
    if not host.strip():
        raise See2SoundError("--host: must not be empty")


def serve(
    host: str = typer.Option(
        "127.0.0.1", "--host", help="Address to listen on (default: this machine only)."
    ),
    port: int = typer.Option(7860, "--port", help="Port (default 7860)."),
    max_upload_mb: float = typer.Option(200.0, "--max-upload-mb", help="Largest upload in MB (default 200)."),
    max_video_s: float = typer.Option(
        300.0, "--max-video-s", help="Longest video or animation in seconds (default 300)."
    ),
    concurrency: int = typer.Option(
        1, "--jobs", help="Jobs run at once; others wait in a queue (default 1)."
    ),
) -> None:
    """Start the web page: upload a picture, GIF or video, hear it on headphones, move sources, download."""
    check_options(host, port, max_upload_mb, max_video_s)
    if concurrency < 1:
        raise See2SoundError(f"--jobs: need at least 1, got {concurrency}")
    try:
        import gradio  # noqa: F401
    except ImportError:
        raise See2SoundError(INSTALL_HINT) from None
    from ..web.app import serve as start
    from ..web.jobs import Limits

    if host not in LOCAL_HOSTS:
        print(
            f"WARNING: listening on {host}: anyone who can reach this machine on port {port} can use "
            "the page and its CPU. Use the default --host 127.0.0.1 unless you mean it.",
            file=sys.stderr,
        )
    start(host, port, Limits(max_upload_mb, max_video_s), block=True, concurrency=concurrency)


def register(app: typer.Typer) -> None:
    app.command("serve")(serve)
