"""Translation backends by name (`zhen.plugins.Registry`, entry-point group `zhen.translators`).

Which backend and model a product path uses is decided in one place, `zhen.app.factory`.
"""

from __future__ import annotations

from typing import Any

from zhen.mt.base import Translator
from zhen.plugins import Registry

TRANSLATORS: Registry[Translator] = Registry("translation", "zhen.translators", {
    "llamacpp": "zhen.mt.backends.llamacpp",
    "openai": "zhen.mt.backends.openai",
    "ctranslate2": "zhen.mt.backends.ctranslate2",
    "transformers": "zhen.mt.backends.hf_transformers",
})
register = TRANSLATORS.register


def backends() -> list[str]:
    return TRANSLATORS.names()


def create(backend: str, /, **options: Any) -> Translator:  # noqa: ANN401 - backend-specific options
    """Instantiate a backend by name, importing its module on first use (heavy deps load lazily)."""
    return TRANSLATORS.create(backend, **options)
