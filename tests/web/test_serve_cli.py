"""``see2sound serve`` through the CLI: options checked; without Gradio it says how to install it."""

from __future__ import annotations

import sys

import pytest


def test_serve_help(cli):
    code, out, _ = cli("serve", "--help")
    assert code == 0 and "--max-upload-mb" in out and "--max-video-s" in out and "127.0.0.1" in out


@pytest.mark.parametrize(
    "args, message",
    [
        (["--port", "70000"], "--port: must be 0 to 65535"),
        (["--max-upload-mb", "0"], "--max-upload-mb: must be greater than 0"),
        (["--max-video-s", "-1"], "--max-video-s: must be greater than 0"),
        (["--jobs", "0"], "--jobs: need at least 1"),
    ],
)
def test_bad_options_are_one_line(cli, args, message):
    code, _, err = cli("serve", *args)
    assert code == 1 and message in err and len(err.strip().splitlines()) == 1


def test_without_gradio_says_how_to_install(cli, monkeypatch):
    monkeypatch.setitem(sys.modules, "gradio", None)  # import gradio → ImportError
    code, _, err = cli("serve")
    assert code == 1
    assert err.strip() == "error: the web page needs Gradio: pip install 'see2sound[web]'"


def test_options_reach_the_server_and_other_hosts_are_warned_about(cli, monkeypatch):
    import see2sound.web.app as app

    calls = []
    monkeypatch.setattr(app, "serve", lambda *args, **kwargs: calls.append((args, kwargs)))
    code, _, err = cli("serve", "--port", "8123", "--max-upload-mb", "5", "--max-video-s", "30")
    assert code == 0 and err == ""
    (host, port, limits), kwargs = calls[0]
    assert (host, port, limits.max_upload_mb, limits.max_video_s) == ("127.0.0.1", 8123, 5, 30)
    assert kwargs == {"block": True, "concurrency": 1}
    code, _, err = cli("serve", "--host", "0.0.0.0")
    assert code == 0 and err.startswith("WARNING: listening on 0.0.0.0")
