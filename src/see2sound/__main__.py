"""``python -m see2sound``: the command line."""

from .cli import run

run()
