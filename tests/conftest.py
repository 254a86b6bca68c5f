from __future__ import annotations

import os
from pathlib import Path

import pytest

from zhen import config
from zhen.models import presets

DATA = config.shared_data()
ARTICLES = DATA / "articles"


def article(prefix: str) -> Path:
    return next(ARTICLES.glob(f"{prefix}_*.txt"))


@pytest.fixture(autouse=True)
def _isolated_home(tmp_path, monkeypatch):
    """Every test gets its own ZHEN_HOME; the models directory stays shared so the GGUF is pulled once."""
    models = os.environ.get("ZHEN_MODELS") or str(config.models_dir())
    monkeypatch.setenv("ZHEN_HOME", str(tmp_path / "home"))
    monkeypatch.setenv("ZHEN_MODELS", models)


@pytest.fixture(scope="session")
def translator():
    """The default GGUF translator, loaded once; tests using it are marked `model`."""
    preset = presets.get(presets.DEFAULT_TRANSLATOR)
    if not preset.installed():
        pytest.fail(f"default model not installed at {preset.path()}: run `zhen models pull` (CI does)")
    from mt import registry

    t = registry.load()
    yield t
    t.close()
