"""Messages for people: library code logs to ``see2sound.*`` loggers; the CLI prints them as one-liners."""

from __future__ import annotations

import logging
import sys

logger = logging.getLogger("see2sound")


def get_logger(name: str) -> logging.Logger:
    """A child of the package logger, e.g. ``get_logger(__name__)``."""
    return logging.getLogger(name if name.startswith("see2sound") else f"see2sound.{name}")


class _OneLine(logging.Formatter):
    def format(self, record: logging.LogRecord) -> str:
        msg = " ".join(record.getMessage().split())
        if record.levelno >= logging.WARNING:
            return f"{record.levelname.lower()}: {msg}"
        return msg


def configure_cli_logging(quiet: bool = False, debug: bool = False) -> None:
    """Print warnings (and info unless ``quiet``) to stderr, one line each."""
    handler = logging.StreamHandler(sys.stderr)
    handler.setFormatter(_OneLine())
    logger.handlers[:] = [handler]
    logger.propagate = False
    logger.setLevel(logging.DEBUG if debug else logging.WARNING if quiet else logging.INFO)
