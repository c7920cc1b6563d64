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
from .fileio import read_text_file


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
    if not explicit and not path.exists():
        return {}
    text = read_text_file(path, "config file (TOML)", limit=MAX_CONFIG_BYTES)
    try:
        data = tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        raise See2SoundError(f"{path}: not valid TOML ({exc})") from None
    except RecursionError:
        raise See2SoundError(f"{path}: not valid TOML (nested too deeply)") from None
    table = data.get("run", data) if isinstance(data.get("run"), dict) else data
    out = {}
    for key, value in table.items():
        name = key.replace("-", "_")
        if name == "output":
            raise See2SoundError(
                f"{path}: setting {key!r} is not allowed in a config file (it applies to every run); "
                "give the output folder with -o"
            )
        if name not in allowed:
            raise See2SoundError(f"{path}: unknown setting {key!r}; allowed: {', '.join(sorted(allowed))}")
        _check_kind(path, key, value)
        out[name] = value
    return out


MAX_CONFIG_BYTES = 1 << 20
_NUMBER = "a number"
# what each setting's value must be; settings not listed take a string
_KINDS = {
    "sources": "an integer",
    "seed": "an integer",
    "sample_rate": "an integer",
    "duration": _NUMBER,
    "fov": _NUMBER,
    "loudness": "a number or a string",
    "format": "a string or a list of strings",
    "sound_library": "a string or a list of strings",
    "allow_share_alike": "true or false",
    "keep_original_audio": "true or false",
    "mix_original_audio": "true or false",
    "video": "true or false",
}


def _check_kind(path: Path, key: str, value: Any) -> None:
    """Refuse a value of the wrong type, naming the key: ``seed = 1.5`` is not a seed."""
    want = _KINDS.get(key.replace("-", "_"), "a string")
    if want == "an integer":
        ok = isinstance(value, int) and not isinstance(value, bool)
    elif want == _NUMBER:
        ok = isinstance(value, (int, float)) and not isinstance(value, bool)
    elif want == "a number or a string":
        ok = isinstance(value, (int, float, str)) and not isinstance(value, bool)
    elif want == "a string or a list of strings":
        ok = isinstance(value, str) or (isinstance(value, list) and all(isinstance(v, str) for v in value))
    elif want == "true or false":
        ok = isinstance(value, bool)
    else:
        ok = isinstance(value, str)
    if not ok:
        raise See2SoundError(f"{path}: setting {key!r} must be {want}, got {value!r}")
