"""Defaults from a TOML config file (``--config FILE.toml`` or the user's ``config.toml``).

Keys are the long option names of ``see2sound run`` with dashes or underscores, e.g.::

    format = ["5.1", "binaural"]
    sources = 6
    sound-library = ["~/Sounds"]
    hrtf = "ku100"

Command-line options always win over the file.
"""

from __future__ import annotations

import os
import tomllib
from pathlib import Path
from typing import Any

from .errors import See2SoundError


def user_config_path() -> Path:
    env = os.environ.get("SEE2SOUND_CONFIG")
    if env:
        return Path(env).expanduser()
    from platformdirs import user_config_dir

    return Path(user_config_dir("see2sound", appauthor=False)) / "config.toml"


def load_config(path: str | os.PathLike | None, allowed: set[str]) -> dict[str, Any]:
    """Read a config file into ``{option_name: value}`` (underscored names); unknown keys are an error.

    ``path`` None reads the user's config file if it exists, else returns ``{}``.
    """
    explicit = path is not None
    path = Path(path).expanduser() if explicit else user_config_path()
    if not path.exists():
        if explicit:
            raise See2SoundError(f"{path}: config file not found")
        return {}
    try:
        data = tomllib.loads(path.read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError) as exc:
        raise See2SoundError(f"{path}: cannot read config ({exc})") from None
    except tomllib.TOMLDecodeError as exc:
        raise See2SoundError(f"{path}: not valid TOML ({exc})") from None
    table = data.get("run", data) if isinstance(data.get("run"), dict) else data
    out = {}
    for key, value in table.items():
        name = key.replace("-", "_")
        if name not in allowed:
            raise See2SoundError(f"{path}: unknown setting {key!r}; allowed: {', '.join(sorted(allowed))}")
        out[name] = value
    return out
