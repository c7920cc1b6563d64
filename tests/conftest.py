"""Shared fixtures: every test runs with its own cache folder unless it asks for the real one."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

# The offline assets fetched by `make test` (`see2sound models fetch all`) live in the user's cache;
# remember it before tests redirect SEE2SOUND_CACHE.
from see2sound.cache import cache_root
from see2sound.cli import main as cli_main

REAL_CACHE = cache_root()


@pytest.fixture(autouse=True)
def _isolated_cache(tmp_path_factory, monkeypatch):
    if os.environ.get("SEE2SOUND_TEST_REAL_CACHE"):
        return
    monkeypatch.setenv("SEE2SOUND_CACHE", str(tmp_path_factory.mktemp("cache")))
    # model weights a developer has cached must not change what `auto` picks in the tests
    hub = tmp_path_factory.mktemp("hf")
    monkeypatch.setenv("HF_HOME", str(hub))
    monkeypatch.setenv("HF_HUB_CACHE", str(hub / "hub"))


@pytest.fixture
def real_cache(monkeypatch) -> Path:
    """Use the cache that `make test` filled with fetched assets (models, HRTFs, recordings)."""
    monkeypatch.setenv("SEE2SOUND_CACHE", str(REAL_CACHE))
    return REAL_CACHE


@pytest.fixture
def cli(capsys):
    """Run the CLI in-process: returns (exit code, stdout, stderr)."""

    def run(*args: str) -> tuple[int, str, str]:
        code = cli_main([str(a) for a in args])
        out = capsys.readouterr()
        return code, out.out, out.err

    return run
