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


@pytest.fixture(scope="session")
def postgres():
    """A real PostgreSQL server for the session (tests/postgres.py); skips without Debian's postgresql
    package, and fails instead in CI, which installs it."""
    import shutil
    import tempfile

    from postgres import Cluster, binaries

    require("psycopg", "test")
    if binaries() is None:
        if os.environ.get("ZHEN_REQUIRE_EXTRAS") == "1":
            pytest.fail("PostgreSQL is required in CI (apt-get install postgresql)")
        pytest.skip("needs PostgreSQL (apt-get install postgresql)")
    root = Path(tempfile.mkdtemp(prefix="zhen-pg-"))
    cluster = Cluster(root).start()
    yield cluster
    cluster.stop()
    shutil.rmtree(root, ignore_errors=True)


@pytest.fixture(params=["sqlite", "postgresql"])
def db_url(request, tmp_path):
    """The store's URL, once for each database: a SQLite file, and a fresh PostgreSQL database."""
    if request.param == "sqlite":
        return str(tmp_path / "store.sqlite")
    return request.getfixturevalue("postgres").new_database()


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
def keyed(tmp_path, monkeypatch, request, db_url):
    """The API with keys over the fake translator, once on each database: (client, {name: key}). A test
    marked `@pytest.mark.backend("fake-recording")` gets that test double instead."""
    from fastapi.testclient import TestClient

    from zhen.service.app import create_app
    from zhen.service.auth import create_key
    from zhen.store import Store

    monkeypatch.syspath_prepend(str(PLUGINS))
    marker = request.node.get_closest_marker("backend")
    settings = config.settings(home=tmp_path / "api-home", backend=marker.args[0] if marker else "fake",
                               plugins="fake_mt", sync_chars=8000, db=db_url)
    store = Store(settings.db_url())
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
