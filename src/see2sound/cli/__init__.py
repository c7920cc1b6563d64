"""The ``see2sound`` command line: every sub-command lives in a module of this package with ``register(app)``.

Errors the user can fix are printed as one line (``error: ...``) with a non-zero exit; ``--debug``
anywhere on the command line shows the traceback instead.
"""

from __future__ import annotations

import importlib
import pkgutil
import sys

import click
import typer

from .. import __version__
from ..errors import See2SoundError
from ..log import configure_cli_logging

app = typer.Typer(
    name="see2sound",
    help="Give images, animated GIFs and videos a spatial soundtrack (5.1/7.1/7.1.4, binaural, ambisonics).",
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_enable=False,
    rich_markup_mode=None,
)


def _version(value: bool) -> None:
    if value:
        print(f"see2sound {__version__}")
        raise typer.Exit()


@app.callback()
def _root(
    version: bool = typer.Option(
        False, "--version", callback=_version, is_eager=True, help="Show the version."
    ),
) -> None:
    """see2sound: spatial audio for pictures and videos. Add --debug anywhere for tracebacks."""


def _register_commands() -> None:
    for info in sorted(pkgutil.iter_modules(__path__), key=lambda m: m.name):
        if info.name.startswith("_"):
            continue
        module = importlib.import_module(f"{__name__}.{info.name}")
        register = getattr(module, "register", None)
        if register is not None:
            register(app)


_register_commands()


def main(argv: list[str] | None = None) -> int:
    """Entry point of the console script; returns the exit status."""
    args = list(sys.argv[1:] if argv is None else argv)
    debug = "--debug" in args
    args = [a for a in args if a != "--debug"]
    configure_cli_logging(quiet="--quiet" in args or "-q" in args, debug=debug)
    command = typer.main.get_command(app)
    try:
        result = command.main(args=args, prog_name="see2sound", standalone_mode=False)
        code = result if isinstance(result, int) else 0
    except See2SoundError as exc:
        if debug:
            raise
        print(f"error: {exc}", file=sys.stderr)
        code = 1
    except click.exceptions.NoArgsIsHelpError as exc:
        print(exc.ctx.get_help() if exc.ctx else "", file=sys.stderr)
        code = 2
    except click.UsageError as exc:
        if debug:
            raise
        where = (
            f"see2sound {exc.ctx.command_path.split(' ', 1)[1]} --help"
            if exc.ctx and " " in exc.ctx.command_path
            else "see2sound --help"
        )
        print(f"error: {' '.join(exc.format_message().split())} (see {where})", file=sys.stderr)
        code = exc.exit_code
    except click.exceptions.Exit as exc:
        code = exc.exit_code
    except click.ClickException as exc:
        if debug:
            raise
        print(f"error: {' '.join(exc.format_message().split())}", file=sys.stderr)
        code = exc.exit_code
    except (KeyboardInterrupt, click.exceptions.Abort):
        print("error: interrupted", file=sys.stderr)
        code = 130
    except Exception as exc:  # an unforeseen failure: still one line unless --debug
        if debug:
            raise
        text = " ".join(str(exc).split()) or type(exc).__name__
        print(
            f"error: {type(exc).__name__}: {text} (run again with --debug for the traceback)", file=sys.stderr
        )
        code = 1
    return code


def run() -> None:  # pragma: no cover - console-script shim
    sys.exit(main())
