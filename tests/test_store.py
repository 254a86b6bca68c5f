"""The store package: named migrations, an existing store upgraded in place, one module per resource."""

from __future__ import annotations

import shutil
import sqlite3
from pathlib import Path

from zhen.store import MIGRATIONS, Store

OLD = Path(__file__).parent / "data" / "store-0.1.0-v6.sqlite"  # made by release 0.1.0's zhen/store.py


def test_a_store_from_the_previous_release_upgrades_in_place_and_keeps_everything(tmp_path):
    db = tmp_path / "zhen.sqlite"
    shutil.copy(OLD, db)
    before = {t: sqlite3.connect(db).execute(f"SELECT COUNT(*) FROM {t}").fetchone()[0]
              for t in ("documents", "segments", "edits", "jobs", "api_keys", "usage", "tm", "files", "batch_items")}
    store = Store(db)
    names = [m.name for m in MIGRATIONS]
    assert store.migrations() == names  # the six it had are recorded by name, the new one applied after them
    con = sqlite3.connect(db)
    after = {t: con.execute(f"SELECT COUNT(*) FROM {t}").fetchone()[0] for t in before}
    assert after == before and all(before.values())
    assert con.execute("PRAGMA user_version").fetchone()[0] == len(MIGRATIONS)
    (doc_id,) = con.execute("SELECT id FROM documents").fetchone()
    doc = store.document(doc_id)
    assert doc is not None and doc["title"] == "浙江医院"
    seg = doc["segments"][1]
    assert seg["flags"] == [] and seg["alternatives"] == ["Founded 1954."] and seg["edits"][0]["author"] == "translator"
    assert store.tm_get_many(["tmkey"]) == {"tmkey": ("Zhejiang Hospital", -0.2, {})}
    assert store.key_row("k1")["name"] == "old"
    assert store.batch_items()["bk"]["outputs"] == ["a.json"]
    store.close()
    assert Store(db).migrations() == names  # opening again applies nothing


def test_migrations_have_unique_names_and_each_runs_once(tmp_path):
    names = [m.name for m in MIGRATIONS]
    assert len(set(names)) == len(names) and names == sorted(names)
    store = Store(tmp_path / "new.sqlite")
    assert store.migrations() == names
    assert store.migrate() == []


def test_keys_and_usage_live_in_the_store(tmp_path):
    store = Store(tmp_path / "s.sqlite")
    store.add_key("k", "name", "hash", 2, 100, False)
    assert store.count_request("k", 2) is None and store.count_request("k", 2) is None
    assert 0 < store.count_request("k", 2) <= 60  # the third in a minute waits for the first to leave
    assert store.charge_chars("k", 60, 100) is None and store.charge_chars("k", 60, 100) == 60
    store.refund_chars("k", 50)
    assert store.chars_today("k") == 10
    assert store.revoke_key("k") and not store.revoke_key("k")
    assert [k["id"] for k in store.list_keys()] == ["k"]
