"""The one exception type users see: its message is printed as a single line by the CLI."""


class See2SoundError(Exception):
    """A problem with the user's input or environment, explained in one line.

    The CLI prints ``error: <message>`` and exits with status 1; no traceback unless ``--debug``.
    """

    def __init__(self, message: str, hint: str | None = None):
        super().__init__(message)
        self.hint = hint

    def __str__(self) -> str:  # keep it on one line whatever was passed in
        text = " ".join(str(self.args[0]).split()) if self.args else ""
        return f"{text} ({self.hint})" if self.hint else text


class SceneError(See2SoundError):
    """The scene file is malformed; the message names the field (and source) that is wrong."""


class MediaError(See2SoundError):
    """An input file cannot be read, or an output cannot be written."""


class BackendError(See2SoundError):
    """A backend is unknown or cannot run on this machine."""


class Interrupted(BaseException):
    """SIGINT or SIGTERM arrived: unwind (cleaning up as for Ctrl-C) and exit with ``128 + signal``.

    A ``BaseException`` like :class:`KeyboardInterrupt`, so ``except Exception`` does not swallow it, but
    not a subclass of it: Typer turns a ``KeyboardInterrupt`` into a silent exit before the CLI can say
    what happened.
    """

    def __init__(self, signum: int):
        super().__init__(signum)
        self.signum = int(signum)

    @property
    def exit_code(self) -> int:
        return 128 + self.signum
