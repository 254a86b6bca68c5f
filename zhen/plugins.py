"""One plugin mechanism for every kind of backend (translators, embedders), as the `llm` CLI does it.

A registry maps a backend name to a factory. Built-in backends register with the `register`
decorator when their module is imported (modules named in `builtins` are imported on first use,
so heavy dependencies load lazily). Other packages add backends through an entry-point group
(`zhen.translators`, `zhen.embedders`: `name = "package.module:Factory"`); modules named in
`ZHEN_PLUGINS` are imported too, by the factory (test doubles, local experiments).
"""

from __future__ import annotations

import importlib
from collections.abc import Callable, Sequence
from importlib.metadata import entry_points
from typing import Any, Generic, TypeVar

from zhen.errors import UnknownModel

T = TypeVar("T")


class Registry(Generic[T]):
    """Backends of one kind, by name."""

    def __init__(self, kind: str, group: str, builtins: dict[str, str] | None = None) -> None:
        self.kind, self.group = kind, group
        self._builtins = dict(builtins or {})  # name → module that registers it
        self._factories: dict[str, Callable[..., T]] = {}
        self._plugins_loaded = False

    def register(self, name: str) -> Callable[[Callable[..., T]], Callable[..., T]]:
        """Decorator: make a factory (usually a class) available under `name`."""

        def deco(factory: Callable[..., T]) -> Callable[..., T]:
            self._factories[name] = factory
            return factory

        return deco

    def load_plugins(self, modules: Sequence[str] | None = None) -> None:
        """Load this registry's entry points (once), and import plugin `modules` (the factory passes the
        settings' `ZHEN_PLUGINS`)."""
        if not self._plugins_loaded:
            self._plugins_loaded = True
            for ep in entry_points(group=self.group):
                factory = ep.load()
                if ep.name not in self._factories and callable(factory):
                    self._factories[ep.name] = factory
        for module in modules or ():
            importlib.import_module(module)

    def names(self) -> list[str]:
        self.load_plugins()
        return sorted(set(self._factories) | set(self._builtins))

    def factory(self, name: str) -> Callable[..., T]:
        if name not in self._factories and name in self._builtins:
            importlib.import_module(self._builtins[name])
        if name not in self._factories:
            self.load_plugins()
        try:
            return self._factories[name]
        except KeyError:
            raise UnknownModel(f"unknown {self.kind} backend {name!r}; available: {', '.join(self.names())}") from None

    def create(self, backend: str, /, **options: Any) -> T:  # noqa: ANN401 - backend-specific options
        """An instance of `backend` built with `options` (which may include a `name` of their own)."""
        return self.factory(backend)(**options)
