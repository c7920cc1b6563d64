"""The ``see2sound`` command line: every sub-command lives in a module of this package with ``register(app)``.

Errors the user can fix are printed as one line (``error: ...``) with a non-zero exit; ``--debug``
anywhere on the command line shows the traceback instead.
"""

from __future__ import annotations

import contextlib
import errno
import importlib
import pkgutil
import signal
import sys
import threading
from collections.abc import Iterator

import typer

from .. import __version__
from ..errors import Interrupted, See2SoundError
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


def _raise_interrupted(signum: int, _frame) -> None:
    raise Interrupted(signum)


@contextlib.contextmanager
def _signals_interrupt() -> Iterator[None]:
    """SIGINT and SIGTERM raise :class:`Interrupted` in the main thread while the command runs, so that
    batch workers and services that stop us with SIGTERM get the same clean-up as Ctrl-C."""
    if threading.current_thread() is not threading.main_thread():
        yield
        return
    previous = {sig: signal.signal(sig, _raise_interrupted) for sig in (signal.SIGINT, signal.SIGTERM)}
    try:
        yield
    finally:
        for sig, handler in previous.items():
            signal.signal(sig, handler)


def _os_error_line(exc: OSError) -> str:
    """``<file>: no space left on device`` for a full disk, a read-only folder, a denied permission."""
    where = f"{exc.filename}: " if exc.filename else ""
    reason = {errno.ENOSPC: "no space left on device", errno.EDQUOT: "disk quota exceeded"}.get(
        exc.errno, (exc.strerror or str(exc)).lower()
    )
    return f"{where}{reason}"


def main(argv: list[str] | None = None) -> int:
    """Entry point of the console script; returns the exit status."""
    args = list(sys.argv[1:] if argv is None else argv)
    debug = "--debug" in args
    args = [a for a in args if a != "--debug"]
    configure_cli_logging(quiet="--quiet" in args or "-q" in args, debug=debug)
    command = typer.main.get_command(app)
    try:
        with _signals_interrupt():
            result = command.main(args=args, prog_name="see2sound", standalone_mode=False)
        code = result if isinstance(result, int) else 0
    except Interrupted as exc:
        print("error: interrupted" if exc.signum == signal.SIGINT else "error: terminated", file=sys.stderr)
        code = exc.exit_code
    except See2SoundError as exc:
        if debug:
            raise
        print(f"error: {exc}", file=sys.stderr)
        code = 1
    except typer.Exit as exc:
        code = exc.exit_code
    except typer.Abort:
        print("error: interrupted", file=sys.stderr)
        code = 130
    except typer.TyperException as exc:  # Click's exceptions (Typer vendors Click)
        if debug:
            raise
        code = int(getattr(exc, "exit_code", 1))
        if code == 2 and hasattr(exc, "show"):  # a usage error: the usage line and the message, as Click
            exc.show()
        else:
            print(f"error: {' '.join(exc.format_message().split())}", file=sys.stderr)
    except OSError as exc:  # a full disk, a read-only folder: name the file and the cause
        if debug:
            raise
        print(f"error: {_os_error_line(exc)}", file=sys.stderr)
        code = 1
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
