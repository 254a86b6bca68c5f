from __future__ import annotations

import os
import zipfile
from pathlib import Path

import pytest

from zhen import cache, config
from zhen.models import presets

DATA = config.shared_data()
ARTICLES = DATA / "articles"
PLUGINS = Path(__file__).resolve().parent / "plugins"
OMEGAT = Path("/usr/share/omegat/OmegaT.jar")  # Debian's omegat (CI installs it)


def article(prefix: str) -> Path:
    return next(ARTICLES.glob(f"{prefix}_*.txt"))


@pytest.fixture(autouse=True)
def _isolated_home(tmp_path, monkeypatch):
    """Every test gets its own ZHEN_HOME; the models directory stays shared so the GGUF is pulled once."""
    models = os.environ.get("ZHEN_MODELS") or str(config.models_dir())
    monkeypatch.setenv("ZHEN_HOME", str(tmp_path / "home"))
    monkeypatch.setenv("ZHEN_MODELS", models)
    monkeypatch.setattr(cache, "_folder", tmp_path / "home" / "cache")  # as the factory sets it for that home


@pytest.fixture(scope="session")
def translator():
    """The default GGUF translator, loaded once; tests using it are marked `model`."""
    preset = presets.get(presets.DEFAULT_TRANSLATOR)
    if not preset.installed(config.models_dir()):
        pytest.fail(f"default model not installed at {preset.path(config.models_dir())}: run `zhen models pull` "
                    "(CI does)")
    from zhen.app import factory

    t = factory.translator()
    yield t
    t.close()


def require(module: str, extra: str):
    """Import an optional dependency, or skip with the extra that provides it; CI (ZHEN_REQUIRE_EXTRAS=1)
    installs every extra and fails instead of skipping, so no test silently passes by not running."""
    import importlib

    try:
        return importlib.import_module(module)
    except ImportError:
        if os.environ.get("ZHEN_REQUIRE_EXTRAS") == "1":
            pytest.fail(f"{module} is required in CI (pip install -e '.[{extra}]')")
        pytest.skip(f"needs the '{extra}' extra: pip install -e '.[{extra}]'")


@pytest.fixture()
def api(tmp_path, monkeypatch):
    """The API in-process (FastAPI's TestClient, lifespan run) over the test-double translator, without keys."""
    from fastapi.testclient import TestClient

    from zhen.service.app import create_app

    monkeypatch.syspath_prepend(str(PLUGINS))
    settings = config.settings(home=tmp_path / "api-home", auth=False, backend="fake", plugins="fake_mt",
                               sync_chars=8000)
    with TestClient(create_app(settings), base_url="http://localhost") as client:
        yield client


@pytest.fixture()
def keyed(tmp_path, monkeypatch, request):
    """The API with keys over the fake translator: (client, {name: key}). A test marked
    `@pytest.mark.backend("fake-recording")` gets that test double instead."""
    from fastapi.testclient import TestClient

    from zhen.service.app import create_app
    from zhen.service.auth import create_key
    from zhen.store import Store

    monkeypatch.syspath_prepend(str(PLUGINS))
    marker = request.node.get_closest_marker("backend")
    settings = config.settings(home=tmp_path / "api-home", backend=marker.args[0] if marker else "fake",
                               plugins="fake_mt", sync_chars=8000)
    store = Store(settings.db_path())
    keys = {name: create_key(store, name, rpm=10_000, admin=name == "admin") for name in ("a", "b", "admin")}
    store.close()
    with TestClient(create_app(settings), base_url="http://localhost") as client:
        yield client, keys


def tagger():
    """The product's entity tagger (LAC, loaded on first use), as the factory gives it to every runtime."""
    from zhen.app import factory

    return factory.tagger()


def runtime_for(translator, memory=False):
    """A runtime over an already loaded translator, as the factory builds one for every interface."""
    from zhen.app import factory

    return factory.runtime(translator_=translator, memory=memory)


def omegat_dtd(tmp_path: Path) -> Path:
    """The TMX 1.4 DTD OmegaT ships, out of its jar (skips without omegat; CI fails instead)."""
    if not OMEGAT.exists():
        if os.environ.get("ZHEN_REQUIRE_EXTRAS") == "1":
            pytest.fail("Debian's omegat is required in CI (apt-get install omegat)")
        pytest.skip("needs Debian's omegat (apt-get install omegat)")
    with zipfile.ZipFile(OMEGAT) as jar:
        path = tmp_path / "tmx14.dtd"
        path.write_bytes(jar.read("schemas/tmx14.dtd"))
    return path
