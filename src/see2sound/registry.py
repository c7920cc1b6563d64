"""Named backends per stage, with ``auto`` choosing the best one usable on this machine (DESIGN §1).

Each stage keeps one :class:`Registry`. Backends register a factory plus a cheap ``check`` that says why
they cannot run here (a missing extra, weights not in the local cache) without importing anything heavy.
Third-party packages add backends through the entry-point group ``see2sound.<stage>``.
"""

from __future__ import annotations

import inspect
from collections.abc import Callable
from dataclasses import dataclass, field
from importlib.metadata import entry_points
from typing import Any

from .errors import BackendError

_kept: dict[tuple, Any] | None = None  # see keep_instances


def keep_instances(enabled: bool = True) -> None:
    """From now on, :meth:`Registry.create` returns the same instance for the same backend and options
    (a batch worker keeps its loaded models for every item it takes); ``False`` forgets them."""
    global _kept
    _kept = {} if enabled else None


@dataclass
class Backend:
    name: str
    stage: str
    factory: Callable[..., Any]
    description: str = ""
    priority: int = 0  # ``auto`` picks the usable backend with the highest priority
    check: Callable[[], str | None] = field(default=lambda: None)

    def unavailable_reason(self, **options: Any) -> str | None:
        """``None`` if the backend can run here, else why not (one line).

        ``options`` are the factory's keyword arguments (e.g. ``model=`` a local folder); a check that
        takes keyword arguments judges those, a plain check ignores them.
        """
        try:
            if options and _takes_keywords(self.check):
                return self.check(**options)
            return self.check()
        except Exception as exc:  # a broken check must not break listing
            return f"check failed: {exc}"


def _takes_keywords(func: Callable[..., Any]) -> bool:
    try:
        params = inspect.signature(func).parameters.values()
    except (TypeError, ValueError):
        return False
    return any(p.kind in (p.VAR_KEYWORD, p.KEYWORD_ONLY, p.POSITIONAL_OR_KEYWORD) for p in params)


class Registry:
    """The backends of one stage, by name."""

    def __init__(self, stage: str):
        self.stage = stage
        self._backends: dict[str, Backend] = {}
        self._entry_points_loaded = False

    def register(
        self,
        name: str,
        *,
        description: str = "",
        priority: int = 0,
        check: Callable[[], str | None] | None = None,
    ) -> Callable[[Callable[..., Any]], Callable[..., Any]]:
        """Decorator registering ``factory`` under ``name``."""

        def decorate(factory: Callable[..., Any]) -> Callable[..., Any]:
            self._backends[name] = Backend(
                name, self.stage, factory, description, priority, check or (lambda: None)
            )
            return factory

        return decorate

    def _load_entry_points(self) -> None:
        if self._entry_points_loaded:
            return
        self._entry_points_loaded = True
        for ep in entry_points(group=f"see2sound.{self.stage}"):
            if ep.name in self._backends:
                continue
            try:
                obj = ep.load()
            except Exception as exc:  # report, don't crash
                self._backends[ep.name] = Backend(
                    ep.name,
                    self.stage,
                    lambda **_: None,
                    f"plugin {ep.value}",
                    check=lambda exc=exc: f"plugin failed to load: {exc}",
                )
                continue
            if isinstance(obj, Backend):
                self._backends[ep.name] = obj
            else:
                self._backends[ep.name] = Backend(ep.name, self.stage, obj, f"plugin {ep.value}")

    def backends(self) -> list[Backend]:
        self._load_entry_points()
        return sorted(self._backends.values(), key=lambda b: (-b.priority, b.name))

    def names(self) -> list[str]:
        return [b.name for b in self.backends()]

    def get(self, name: str) -> Backend:
        self._load_entry_points()
        if name == "auto":
            return self.auto()
        try:
            return self._backends[name]
        except KeyError:
            raise BackendError(
                f"unknown {self.stage} backend {name!r}; choose one of auto, {', '.join(self.names())}"
            ) from None

    def auto(self) -> Backend:
        """The highest-priority backend that can run here."""
        reasons = []
        for backend in self.backends():
            reason = backend.unavailable_reason()
            if reason is None:
                return backend
            reasons.append(f"{backend.name}: {reason}")
        raise BackendError(f"no {self.stage} backend can run here ({'; '.join(reasons)})")

    def create(self, name: str = "auto", **kwargs: Any) -> Any:
        """Instantiate backend ``name`` (or ``auto``); refuses one that cannot run here, saying why."""
        backend = self.get(name)
        reason = backend.unavailable_reason(**kwargs)
        if reason is not None:
            raise BackendError(f"{self.stage} backend {backend.name!r} cannot run here: {reason}")
        if _kept is None:
            return backend.factory(**kwargs)
        key = (self.stage, backend.name, repr(sorted(kwargs.items())))
        if key not in _kept:
            _kept[key] = backend.factory(**kwargs)
        return _kept[key]
