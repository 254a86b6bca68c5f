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

ROOT = Path(__file__).resolve().parent.parent
BIN = Path(sys.executable).parent


@pytest.fixture(scope="module")
def installed(tmp_path_factory) -> Path:
    """`pip install .` (no dependencies) into a fresh target directory: what a wheel puts in site-packages."""
    target = tmp_path_factory.mktemp("site")
    res = subprocess.run([sys.executable, "-m", "pip", "install", "-q", "--no-deps", "--no-build-isolation",
                          "--target", str(target), str(ROOT)], capture_output=True, text=True, timeout=600)
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
            "from zhen.mt.glossary import base; from zhen.mt.qe import default_weights;"
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
    from zhen.mt.qe import default_weights

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
    assert "1 kept, 0 broken" in res.stdout
    checks = installed / "zhen" / "mt" / "checks.py"
    original = checks.read_text()
    checks.write_text(original + "\n\ndef _upward():\n    from zhen.app import factory  # noqa: F401\n")
    try:
        res = subprocess.run(lint, capture_output=True, text=True, cwd=tmp_path, env=env, timeout=300)
    finally:
        checks.write_text(original)
    assert res.returncode != 0 and "zhen.mt is not allowed to import zhen.app" in res.stdout


def test_settings_one_table_behind_environment_and_flags(monkeypatch, tmp_path):
    from zhen import config

    monkeypatch.setenv("ZHEN_HOME", str(tmp_path))
    monkeypatch.setenv("ZHEN_THREADS", "0")
    monkeypatch.setenv("ZHEN_PORT", "9001")
    s = config.settings()
    assert s.db_path() == tmp_path / "zhen.sqlite"
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

    db = tmp_path / "old.sqlite"
    con = sqlite3.connect(db)
    con.executescript(MIGRATIONS[0] + ";" + MIGRATIONS[1])  # a store of version 2, as older servers left it
    con.execute("CREATE TABLE tm (key TEXT PRIMARY KEY, signature TEXT, source TEXT, target TEXT, created REAL)")
    con.execute("INSERT INTO tm VALUES ('k1', 'sig', '你好', 'Hello', 0)")
    con.execute("PRAGMA user_version = 2")
    con.commit()
    con.close()
    store = Store(db)
    assert store.query("PRAGMA user_version")[0][0] == len(MIGRATIONS)
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
