"""The store package: named migrations, an existing store upgraded in place, one module per resource."""

from __future__ import annotations

import shutil
import sqlite3
from pathlib import Path

from zhen.store import MIGRATIONS, TABLES, Store, Unit

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


def test_migrations_have_unique_names_and_each_runs_once(db_url):
    names = [m.name for m in MIGRATIONS]
    assert len(set(names)) == len(names) and names == sorted(names)
    store = Store(db_url)
    assert store.migrations() == names
    assert store.migrate() == []


def test_keys_and_usage_live_in_the_store(db_url):
    store = Store(db_url)
    store.add_key("k", "name", "hash", 2, 100, False)
    assert store.count_request("k", 2) is None and store.count_request("k", 2) is None
    assert 0 < store.count_request("k", 2) <= 60  # the third in a minute waits for the first to leave
    assert store.charge_chars("k", 60, 100) is None and store.charge_chars("k", 60, 100) == 60
    store.refund_chars("k", 50)
    assert store.chars_today("k") == 10
    assert store.revoke_key("k") and not store.revoke_key("k")
    assert [k["id"] for k in store.list_keys()] == ["k"]


def _fill_every_table(store: Store) -> str:
    """A row or more in every table of TABLES, each through the store's own API; returns a document id."""
    store.add_key("k1", "alice", "hash", 10, 1000, False)
    store.count_request("k1", 10)
    store.charge_chars("k1", 12, 1000)
    job = store.create_job("translate", {"sentences": ["浙江医院。"]}, "k1")
    assert store.claim_job(job, "me:1:x")
    doc = store.save_document("translation", title="浙江医院", model="m", options={"qe": "fast"}, text="浙江医院成立于1954年。",
                              segments=[{"n": 0, "source": "浙江医院成立于1954年。", "draft": "Zhejiang Hospital was founded in 1954.",
                                         "qe": 0.8, "flags": [{"kind": "number"}], "terms": [["浙江医院", "Zhejiang Hospital"]]},
                                        {"n": 1, "source": "共有120张床位。", "draft": "It has 120 beds.", "tags": [{"id": 1}]}],
                              alignments=[{"k": 0, "zh": [0], "en": [0], "zh_text": "浙江医院", "en_text": "Zhejiang", "score": 0.9}],
                              job_id=job, owner="me:1:x", key_id="k1")
    store.save_edit(doc, 0, "Zhejiang Hospital opened in 1954.", "translator")
    store.tm_add("k1", "news", [Unit("患者应当按时服药。", "Patients should take their medicine on time.", "tmx")])
    store.tm_share("k1", "news", "k2")
    store.put_term("k1", "浙江医院", "Zhejiang Hospital", origin="edit", doc_id=doc, n=0)
    store.create_glossary("k1", "hospitals", "zh", "en", [("浙江医院", "Zhejiang Hospital")])
    store.tm_put_many([("cachekey", "sig", "你好。", "Hello.", -0.1, {"agreement": 1.0})])
    store.save_file("a.docx", "application/octet-stream", b"\x00\x01binary", doc, "k1")
    store.batch_failed("bk", "a.txt", "unreadable")
    store.batch_done("bk2", "b.txt", ["b.json"], 1.5, title=None, model="m", options={}, text="你好。",
                     segments=[{"n": 0, "source": "你好。", "draft": "Hello."}])
    return doc


def test_a_store_moves_to_postgresql_and_back_with_every_row(tmp_path, postgres):
    """`zhen db copy`: SQLite → PostgreSQL → a new SQLite file, every table counted on both sides of
    each copy, the documents read back the same, and the target in use afterwards."""
    import json
    import subprocess

    from server import ZHEN

    from zhen.mt.tm.match import Matcher

    sqlite_db = tmp_path / "one-machine.sqlite"
    source = Store(sqlite_db)
    doc = _fill_every_table(source)
    counts = source.table_counts()
    assert set(counts) == set(TABLES) and all(counts.values()), counts
    pg = postgres.new_database()
    r = subprocess.run([ZHEN, "db", "copy", "--from", str(sqlite_db), "--to", pg], capture_output=True, text=True)
    assert r.returncode == 0, r.stderr
    assert json.loads(r.stdout)["rows"] == counts
    target = Store(pg)
    assert target.table_counts() == counts
    assert target.document(doc) == source.document(doc)
    assert target.file(next(iter(target.table_rows("files")))[0]["id"])["data"] == b"\x00\x01binary"
    assert Matcher(target, "k2").matches(["患者应当按时服用药物。"])[0][0].target.startswith("Patients")  # shared, fuzzy
    target.save_edit(doc, 1, "It has 120 beds in all.", "translator")  # new ids follow the copied ones
    assert [e["text"] for e in target.document(doc)["segments"][1]["edits"]] == ["It has 120 beds in all."]
    again = subprocess.run([ZHEN, "db", "copy", "--from", str(sqlite_db), "--to", pg], capture_output=True, text=True)
    assert again.returncode == 2 and "not empty" in again.stderr and "Traceback" not in again.stderr
    back = tmp_path / "back.sqlite"
    r = subprocess.run([ZHEN, "db", "copy", "--from", pg, "--to", f"sqlite:///{back}"], capture_output=True, text=True)
    assert r.returncode == 0, r.stderr
    assert Store(back).table_counts() == target.table_counts() and Store(back).document(doc) == target.document(doc)
    names = [m.name for m in MIGRATIONS]
    fresh = postgres.new_database()
    for applied in (names, []):  # a new database gets every migration, then none
        migrated = subprocess.run([ZHEN, "db", "migrate", "--db", fresh], capture_output=True, text=True)
        assert migrated.returncode == 0, migrated.stderr
        assert json.loads(migrated.stdout) == {"store": fresh, "applied": applied, "migrations": names}


def test_a_nul_in_an_imported_unit_is_dropped_on_both_databases(db_url):
    store = Store(db_url)
    assert store.tm_add("", "tsv", [Unit("浙江\x00医院。", "Zhejiang\x00 Hospital.", "tsv")]) == 1
    assert [(u["source"], u["target"]) for u in store.tm_units("")] == [("浙江医院。", "Zhejiang Hospital.")]
