"""The translation memory that learns from translators (issue 34): edits and imports reused as exact and
fuzzy matches, renderings learned from edits, repetitions, TMX in and out, and keys that never mix.

The test-double translator (tests/plugins/fake_mt.py) stands in for the model: what a draft owes to the
memory is then plain to see, since the fake only romanises.
"""

from __future__ import annotations

import json
import time

from conftest import PLUGINS, omegat_dtd

from zhen.store import Store, Unit
from zhen.text.matchkey import match_key, substitute_numbers

# -- matching ------------------------------------------------------------------------------------------

def test_match_keys_fold_what_does_not_change_a_translation():
    base = match_key("浙江医院成立于1954年，共有120张床位。")
    assert match_key("浙江醫院成立於1954年,共有120張床位").text == base.text  # Traditional, ASCII comma, no stop
    assert match_key("浙江医院成立于１９５４年， 共有１２０张床位。").text == base.text  # full width, a space
    assert match_key("浙江医院成立于1960年，共有80张床位。").text == base.text  # other numbers: one key
    assert match_key("浙江医院成立于1960年，共有80张床位。").numbers == ("1960", "80")
    assert match_key("浙江医院成立了吗？").text != match_key("浙江医院成立了吗。").text  # a question stays one


def test_numbers_are_substituted_only_where_that_is_certain():
    en = "Zhejiang Hospital, founded in 1954, has 1,200 beds."
    assert substitute_numbers(en, ("1954", "1200"), ("1960", "800")) == "Zhejiang Hospital, founded in 1960, has 800 beds."
    assert substitute_numbers(en, ("1954", "1200"), ("1954", "2500")) == "Zhejiang Hospital, founded in 1954, has 2,500 beds."
    assert substitute_numbers("It opened on 3 March.", ("3", "3"), ("4", "4")) is None  # the month is a word
    assert substitute_numbers("Two wards had 5 and 5 beds.", ("5", "5"), ("5", "6")) is None  # one value, two new


def test_fuzzy_matches_score_like_a_cat_tool(db_url):
    from zhen.mt.tm.match import Matcher

    store = Store(db_url)
    store.tm_add("", "news", [Unit("浙江医院召开2024年度工作会议。", "Zhejiang Hospital held its 2024 work conference.", "tmx"),
                              Unit("患者应当按时服药。", "Patients should take their medicine on time.", "tmx")])
    m = Matcher(store, "").matches(["浙江医院召开2025年度总结会议。", "天气晴朗。"])
    assert m[0] and m[0][0].kind == "fuzzy" and 70 <= m[0][0].percent < 100
    assert m[0][0].target == "Zhejiang Hospital held its 2024 work conference."
    assert m[1] == []
    exact = Matcher(store, "").matches(["浙江医院召开2025年度工作会议"])[0][0]
    assert (exact.kind, exact.percent, exact.target) == ("exact", 100, "Zhejiang Hospital held its 2025 work conference.")
    assert Matcher(store, "someone-else").matches(["患者应当按时服药。"]) == [[]]  # another owner's memory


def test_a_near_match_differing_in_one_known_term_is_repaired_without_the_model():
    from zhen.mt.base import Term
    from zhen.mt.tm.match import Match
    from zhen.mt.tm.repair import repair_match

    terms = {"宁波市": Term("宁波市", "Ningbo", "place"), "杭州市": Term("杭州市", "Hangzhou", "place")}

    def terms_of(text):
        return [t for s, t in terms.items() if s in text]

    m = Match("宁波市第一医院开展义诊活动。", "Ningbo First Hospital held a free clinic.", 85, "tmx", "news")
    fixed = repair_match("杭州市第一医院开展义诊活动。", m, terms_of)
    assert fixed is not None and fixed.kind == "repaired" and fixed.target == "Hangzhou First Hospital held a free clinic."
    assert repair_match("杭州市第二医院开展义诊活动。", m, terms_of) is None  # two differences: the model's work


def test_renderings_changed_by_an_edit_are_learned():
    from zhen.mt.base import Term
    from zhen.mt.tm.learn import learn

    terms = [Term("樊嘉", "Fan Jia", "person"), Term("浙江医院", "Zhejiang Hospital", "org")]
    got = learn("President Fan Jia of Zhejiang Hospital attended.", "President Fan Chia of Zhejiang Hospital attended.",
                terms)
    assert [(x.term.source, x.target) for x in got] == [("樊嘉", "Fan Chia")]
    # a change reaching beyond the rendering teaches nothing
    assert learn("President Fan Jia attended.", "Fan Chia, the president, attended the event.", terms[:1]) == []


def test_a_draft_that_writes_a_replaced_rendering_gets_the_translators():
    """The model may ignore a learned rendering written into its input (it "knows" Johns Hopkins University);
    the draft's old rendering, or an accepted form of it, becomes the translator's."""
    from zhen.mt.base import Term
    from zhen.mt.faithful.enforce import repair

    terms = [Term("武汉市", "WC", "place", True, ("Wuhan City",)),
             Term("霍普金斯大学", "JHU", "org", True, ("Johns Hopkins University",))]
    assert repair("武汉市封城。", "Wuhan was sealed off.", terms) == "WC was sealed off."
    assert repair("霍普金斯大学的数据", "Data from Johns Hopkins University.", terms) == "Data from JHU."
    assert repair("武汉市封城。", "WC was sealed off.", terms) == "WC was sealed off."


# -- through the API -----------------------------------------------------------------------------------

def _h(key: str) -> dict[str, str]:
    return {"X-API-Key": key}


def _translate(c, key, sentences=None, text=None, **extra):
    body = {"sentences": sentences} if sentences is not None else {"text": text}
    r = c.post("/v1/translate", json={**body, **extra}, headers=_h(key))
    assert r.status_code == 200, r.text
    return r.json()


SENT = "浙江医院成立于1954年，现有职工1200人。"
EDIT = "Founded in 1954, Zhejiang Hospital now has a staff of 1,200."


def test_an_edit_is_returned_for_every_exact_repeat(keyed):
    c, keys = keyed
    doc = _translate(c, keys["a"], [SENT])
    assert doc["segments"][0]["match"] is None
    r = c.put(f"/v1/documents/{doc['id']}/segments/0", json={"text": EDIT}, headers=_h(keys["a"]))
    assert r.status_code == 200, r.text
    variants = [SENT, "浙江醫院成立於1954年,現有職工1200人", "浙江医院成立于１９５４年， 现有职工１２００人。",
                "浙江医院成立于1960年，现有职工900人。"]
    again = _translate(c, keys["a"], variants)
    drafts = [s["draft"] for s in again["segments"]]
    assert drafts[:3] == [EDIT] * 3
    assert drafts[3] == "Founded in 1960, Zhejiang Hospital now has a staff of 900."
    for s in again["segments"]:
        assert s["match"]["percent"] == 100 and s["match"]["origin"] == "edit" and s["match"]["kind"] == "exact"
        assert s["qe"] == 1.0 and "tm_exact" in s["reasons"]
    # in an article, under another title, too
    art = _translate(c, keys["a"], text=f"医院新闻\n\n{SENT}")
    assert EDIT in [s["draft"] for s in art["segments"]]
    # the memory can be switched off (an evaluator's run)
    off = _translate(c, keys["a"], [SENT], memory=False)
    assert off["segments"][0]["draft"] != EDIT and off["segments"][0]["match"] is None


def test_the_latest_edit_of_a_segment_wins_and_repetitions_follow(keyed):
    c, keys = keyed
    other = "患者应当按时服药。"
    doc = _translate(c, keys["a"], [SENT, other, SENT])
    assert [s["repetitions"] for s in c.get(f"/v1/documents/{doc['id']}", headers=_h(keys["a"])).json()["segments"]] == [1, 0, 1]
    c.put(f"/v1/documents/{doc['id']}/segments/0", json={"text": "first try"}, headers=_h(keys["a"]))
    r = c.put(f"/v1/documents/{doc['id']}/segments/0", json={"text": EDIT, "repetitions": True}, headers=_h(keys["a"]))
    assert r.json()["edited"] == [0, 2] and r.json()["segment"]["text"] == EDIT  # the segment, not the document
    after = c.get(f"/v1/documents/{doc['id']}", headers=_h(keys["a"])).json()["segments"]
    assert [s["text"] for s in after] == [EDIT, doc["segments"][1]["draft"], EDIT]
    assert [s["status"] for s in after] == ["edited", "draft", "edited"]
    assert _translate(c, keys["a"], [SENT])["segments"][0]["draft"] == EDIT  # not "first try"
    units = c.get("/v1/tm?format=tsv", headers=_h(keys["a"])).text
    assert "first try" not in units and EDIT in units


def test_an_edited_rendering_is_used_in_every_later_article(keyed):
    c, keys = keyed
    doc = _translate(c, keys["a"], text="医院新闻\n\n院长樊嘉出席了会议。")
    seg = next(s for s in doc["segments"] if "樊嘉" in s["source"])
    assert any(t["source"] == "樊嘉" for t in seg["terms"]), seg
    rendered = next(t["target"] for t in seg["terms"] if t["source"] == "樊嘉")
    assert rendered in seg["draft"]
    edit = seg["draft"].replace(rendered, "Fan Chia")
    r = c.put(f"/v1/documents/{doc['id']}/segments/{seg['n']}", json={"text": edit}, headers=_h(keys["a"]))
    assert r.json()["learned"] == [{"source": "樊嘉", "target": "Fan Chia", "was": rendered, "kind": "person"}]
    glossary = c.get("/v1/glossary", headers=_h(keys["a"])).json()
    assert [(t["source"], t["target"], t["origin"], t["doc_id"]) for t in glossary] == [("樊嘉", "Fan Chia", "edit", doc["id"])]
    later = ["樊嘉院长在大会上讲话。", "会上，樊嘉介绍了医院的发展情况。", "樊嘉表示，医院将继续努力。"]
    drafts = [s["draft"] for s in _translate(c, keys["a"], later)["segments"]]
    assert all("Fan Chia" in d and rendered not in d for d in drafts), drafts
    # the glossary is the key's to edit
    assert c.put("/v1/glossary/樊嘉", json={"target": "Jia Fan", "kind": "person"}, headers=_h(keys["a"])).status_code == 200
    assert "Jia Fan" in _translate(c, keys["a"], later[:1])["segments"][0]["draft"]
    assert c.delete("/v1/glossary/樊嘉", headers=_h(keys["a"])).status_code == 200
    assert c.delete("/v1/glossary/樊嘉", headers=_h(keys["a"])).status_code == 404


TMX = """<?xml version="1.0" encoding="UTF-8"?>
<!DOCTYPE tmx SYSTEM "tmx14.dtd">
<tmx version="1.4"><header creationtool="OmegaT" creationtoolversion="6" segtype="sentence" o-tmf="OmegaT TMX"
 adminlang="EN-US" srclang="ZH-CN" datatype="plaintext"/><body>
<tu><tuv xml:lang="ZH-CN"><seg>患者应当按时服药。</seg></tuv><tuv xml:lang="EN-US"><seg>Patients should take their medicine on time.</seg></tuv></tu>
<tu><tuv xml:lang="ZH-CN"><seg>医院将继续加强学科建设。</seg></tuv><tuv xml:lang="EN-US"><seg>The hospital will keep strengthening its disciplines.</seg></tuv></tu>
</body></tmx>
"""


def test_tmx_import_translate_export_round_trips_with_omegats_dtd(keyed, tmp_path):
    from lxml import etree

    c, keys = keyed
    r = c.post("/v1/tm/imports", files={"file": ("project.tmx", TMX.encode(), "application/x-tmx+xml")},
               data={"name": "archive"}, headers=_h(keys["a"]))
    assert r.status_code == 201, r.text
    assert r.json() == {"memory": "archive", "units": 2, "skipped": 0, "format": "tmx"}
    doc = _translate(c, keys["a"], ["患者应当按时服药。", "医院将继续加强学科建设工作。"])
    assert doc["segments"][0]["draft"] == "Patients should take their medicine on time."
    fuzzy = doc["segments"][1]["match"]
    assert fuzzy["kind"] == "fuzzy" and fuzzy["memory"] == "archive" and 70 <= fuzzy["percent"] < 100
    c.put(f"/v1/documents/{doc['id']}/segments/1", json={"text": "The hospital will keep building its disciplines."},
          headers=_h(keys["a"]))
    out = c.get("/v1/tm?format=tmx", headers=_h(keys["a"]))
    assert out.status_code == 200
    dtd = etree.DTD(str(omegat_dtd(tmp_path)))
    tree = etree.fromstring(out.content)
    assert dtd.validate(tree), dtd.error_log
    segs = [["".join(s.itertext()) for s in tu.iter("seg")] for tu in tree.iter("tu")]
    assert ["医院将继续加强学科建设工作。", "The hospital will keep building its disciplines."] in segs
    assert len(segs) == 3
    memories = {m["name"]: m["units"] for m in c.get("/v1/tm", headers=_h(keys["a"])).json()}
    assert memories == {"archive": 2, "edits": 1}
    # the document's XLIFF carries each segment's match as CAT tools exchange them
    xlf = etree.fromstring(c.get(f"/v1/documents/{doc['id']}/parallel", params={"format": "xliff"},
                                 headers=_h(keys["a"])).content)
    ns = "{urn:oasis:names:tc:xliff:document:1.2}"
    alts = [(u.get("id"), a.get("match-quality"), "".join(a.find(f"{ns}target").itertext()))
            for u in xlf.iter(f"{ns}trans-unit") for a in u.iter(f"{ns}alt-trans")]
    assert ("0", "100", "Patients should take their medicine on time.") in alts
    assert ("1", str(fuzzy["percent"]), "The hospital will keep strengthening its disciplines.") in alts


def test_bad_memory_files_get_a_clear_400(keyed):
    c, keys = keyed
    for name, data in (("x.tmx", b"<tmx><body>"), ("x.doc", b"hello"), ("x.tsv", b"\xff\xfe\x00bad")):
        r = c.post("/v1/tm/imports", files={"file": (name, data)}, headers=_h(keys["a"]))
        assert r.status_code == 422 and r.json()["detail"], (name, r.text)
    r = c.post("/v1/tm/imports", files={"file": ("e.tsv", b"a\tb\n")}, data={"name": "edits"}, headers=_h(keys["a"]))
    assert r.status_code == 422 and "edits" in r.json()["detail"]
    laughs = b'<?xml version="1.0"?><!DOCTYPE tmx [<!ENTITY a "lol">]><tmx version="1.4"><body/></tmx>'
    r = c.post("/v1/tm/imports", files={"file": ("l.tmx", laughs)}, headers=_h(keys["a"]))
    assert r.status_code == 422 and "DOCTYPE" in r.json()["detail"]


def test_key_b_never_gets_key_a_entries_through_any_route(keyed):
    """Key A's edits, imports and glossary; key B asks for the same sentences through every route."""
    c, keys = keyed
    a, b = keys["a"], keys["b"]
    doc = _translate(c, a, [SENT, "院长樊嘉出席了会议。"])
    c.put(f"/v1/documents/{doc['id']}/segments/0", json={"text": EDIT}, headers=_h(a))
    c.put("/v1/glossary/樊嘉", json={"target": "Fan Chia", "kind": "person"}, headers=_h(a))
    c.post("/v1/tm/imports", files={"file": ("p.tmx", TMX.encode())}, headers=_h(a))
    secrets = (EDIT, "Fan Chia", "Patients should take their medicine on time.")
    sentences = [SENT, "院长樊嘉出席了会议。", "患者应当按时服药。"]
    assert [s["draft"] for s in _translate(c, a, sentences)["segments"]][0] == EDIT  # A gets its own

    seen = []
    seen += [s["draft"] for s in _translate(c, b, sentences)["segments"]]  # v1, grouped or not
    seen += [s["draft"] for s in _translate(c, b, text="\n\n".join(sentences))["segments"]]  # an article
    lt = c.post("/translate", json={"q": sentences, "source": "zh", "target": "en", "api_key": b})
    assert lt.status_code == 200, lt.text
    seen += lt.json()["translatedText"]
    dl = c.post("/v2/translate", json={"text": sentences, "target_lang": "EN-US"},
                headers={"Authorization": f"DeepL-Auth-Key {b}"})
    assert dl.status_code == 200, dl.text
    seen += [t["text"] for t in dl.json()["translations"]]
    up = c.post("/translate_file", files={"file": ("a.txt", "\n".join(sentences).encode())},
                data={"source": "zh", "target": "en", "api_key": b})
    assert up.status_code == 200, up.text
    seen.append(c.get(up.json()["translatedFileUrl"].replace("http://localhost", ""), params={"api_key": b}).text)
    job = c.post("/v1/jobs", json={"kind": "translate", "input": {"sentences": sentences}}, headers=_h(b)).json()
    for _ in range(300):
        state = c.get(f"/v1/jobs/{job['id']}", headers=_h(b)).json()
        if state["status"] in ("done", "failed"):
            break
        time.sleep(0.05)
    assert state["status"] == "done", state
    seen += [s["draft"] for s in c.get(f"/v1/documents/{state['doc_id']}", headers=_h(b)).json()["segments"]]
    assert seen and not [s for s in seen if any(x in s for x in secrets)], seen
    assert c.get("/v1/tm", headers=_h(b)).json() == [] and c.get("/v1/glossary", headers=_h(b)).json() == []
    assert "Patients" not in c.get("/v1/tm?format=tsv", headers=_h(b)).text
    # until an admin shares a memory of its own with B
    admin = keys["admin"]
    c.post("/v1/tm/imports", files={"file": ("house.tmx", TMX.encode())}, data={"name": "house"}, headers=_h(admin))
    b_id = b.split("_")[1]
    assert c.post("/v1/tm/shares", json={"memory": "house", "key_id": b_id}, headers=_h(a)).status_code == 403
    assert c.post("/v1/tm/shares", json={"memory": "house", "key_id": b_id}, headers=_h(admin)).status_code == 200
    assert _translate(c, b, ["患者应当按时服药。"])["segments"][0]["draft"] == "Patients should take their medicine on time."
    assert _translate(c, b, [SENT])["segments"][0]["draft"] != EDIT  # still not A's


def test_batch_uses_the_local_memory_only(tmp_path):
    """`zhen batch` translates with the store's local memory (owner ''), never a key's."""
    import os
    import subprocess

    from server import ZHEN

    home = tmp_path / "bhome"
    store = Store(home / "zhen.sqlite")
    store.tm_add("key-a", "archive", [Unit(SENT, "KEY A ONLY", "tmx")])
    store.tm_add("", "archive", [Unit("患者应当按时服药。", "LOCAL MEMORY", "tmx")])
    store.close()
    src = tmp_path / "in"
    src.mkdir()
    (src / "a.txt").write_text(f"新闻\n\n{SENT}\n\n患者应当按时服药。\n", encoding="utf-8")
    env = {**os.environ, "ZHEN_HOME": str(home), "ZHEN_PLUGINS": "fake_mt",
           "PYTHONPATH": os.pathsep.join([str(PLUGINS), os.environ.get("PYTHONPATH", "")])}
    res = subprocess.run([ZHEN, "batch", "translate", str(src), "--out", str(tmp_path / "out"), "--backend", "fake"],
                         capture_output=True, text=True, env=env, timeout=300)
    assert res.returncode == 0, res.stderr[-2000:]
    out = (tmp_path / "out" / "a.txt").read_text(encoding="utf-8") if (tmp_path / "out" / "a.txt").exists() else \
        "".join(p.read_text(encoding="utf-8") for p in (tmp_path / "out").glob("a*"))
    assert "LOCAL MEMORY" in out and "KEY A ONLY" not in out


def test_cli_imports_exports_and_translates_with_the_local_memory(tmp_path):
    import os
    import subprocess

    from server import ZHEN

    env = {**os.environ, "ZHEN_HOME": str(tmp_path / "h"), "ZHEN_PLUGINS": "fake_mt",
           "PYTHONPATH": os.pathsep.join([str(PLUGINS), os.environ.get("PYTHONPATH", "")])}
    tmx = tmp_path / "old.tmx"
    tmx.write_text(TMX, encoding="utf-8")
    zh, en = tmp_path / "zh.txt", tmp_path / "en.txt"
    zh.write_text(f"{SENT}\n", encoding="utf-8")
    en.write_text(f"{EDIT}\n", encoding="utf-8")

    def run(*args):
        res = subprocess.run([ZHEN, *args], capture_output=True, text=True, env=env, timeout=300)
        assert res.returncode == 0, res.stderr[-2000:]
        return res.stdout

    assert '"units": 2' in run("tm", "import", str(tmx))
    assert '"units": 1' in run("tm", "import", str(zh), str(en), "--name", "pages")
    sample = tmp_path / "s.txt"
    sample.write_text(f"新闻\n\n患者应当按时服药。{SENT}\n", encoding="utf-8")
    text = run("translate", str(sample), "--backend", "fake", "--format", "text")
    assert "Patients should take their medicine on time." in text and EDIT in text
    assert EDIT in run("tm", "export", "--format", "tsv")
    saved = subprocess.run([ZHEN, "translate", str(sample), "--backend", "fake", "--save", "--format", "json"],
                           capture_output=True, text=True, env=env, timeout=300)
    assert saved.returncode == 0 and "saved as document" in saved.stderr
    doc_id = json.loads(saved.stdout)["id"]
    assert Store(tmp_path / "h" / "zhen.sqlite").document(doc_id)["segments"]
    bad = subprocess.run([ZHEN, "tm", "import", str(sample)], capture_output=True, text=True, env=env, timeout=300)
    assert bad.returncode != 0 and "Traceback" not in bad.stderr


def test_review_page_shows_the_match_and_saves_repetitions(tmp_path):
    """In a real browser: a segment shows its memory match with the differing source marked; saving an
    edit with its repetitions fills every row with the same source; the next translation reuses it."""
    from browser import chromium, review_page
    from server import Server

    chromium()
    srv = Server(tmp_path, "--no-auth", "--backend", "fake").start()
    try:
        with srv.client() as c:
            r = c.post("/v1/tm/imports", files={"file": ("p.tmx", TMX.encode())})
            assert r.status_code == 201, r.text
            doc = c.post("/v1/translate", json={"sentences": [SENT, "医院将继续加强学科建设工作。", SENT]}).json()
        with review_page(f"{srv.url}/review/{doc['id']}") as page:
            match = page.locator("#rows tr[data-n='1'] .match")
            assert "TM " in match.inner_text() and "The hospital will keep strengthening its disciplines." in match.inner_text()
            assert match.locator("ins").count() >= 1  # what the new source has otherwise
            assert page.locator("#rows tr[data-n='0'] .reps").inner_text().strip() == "also its 1 repetition"
            row = page.locator("#rows tr[data-n='0']")
            row.locator("textarea").fill(EDIT)
            row.locator("button.save").click()
            page.wait_for_selector("#rows tr[data-n='2'].saved")
            assert page.locator("#rows tr[data-n='2'] textarea").input_value() == EDIT
        with srv.client() as c:
            again = c.post("/v1/translate", json={"sentences": [SENT]}).json()
        assert again["segments"][0]["draft"] == EDIT
    finally:
        srv.stop()


def test_examples_from_the_memory_go_where_the_placement_says():
    """A sentence's own matches are turns just before it; the article's join the shared prefix (evaluated
    once per article); both change the model-output cache's key, so a draft made with one key's examples is
    never another prompt's cached answer."""
    from zhen.mt.base import Request
    from zhen.mt.memory import key
    from zhen.mt.prompts import chat_messages, split_prompt

    pair = ("患者应当按时服药。", "Patients should take their medicine on time.")
    plain = Request("患者按时服药。")
    own = Request("患者按时服药。", examples=(pair,))
    shared = Request("患者按时服药。", shared_examples=(pair,))
    p0, s0 = split_prompt("qwen", plain)
    p1, s1 = split_prompt("qwen", own)
    p2, s2 = split_prompt("qwen", shared)
    assert p1 == p0 and pair[1] in s1 and s1.endswith(s0)
    assert pair[1] in p2 and s2 == s0
    assert [m["content"] for m in chat_messages(own)][-3:] == [pair[0], pair[1], "患者按时服药。"]
    assert len({key("m", plain), key("m", own), key("m", shared)}) == 3


def test_an_article_gets_its_matches_in_the_shared_prefix(db_url):
    """With placement `article`, every sentence the model is asked about carries the article's best k pairs
    as shared examples and none of its own."""
    import dataclasses

    from zhen.app import factory
    from zhen.app.recall import RecallPolicy
    from zhen.app.translate import TranslateOptions, translate_sentences
    from zhen.mt.base import Request, Translator

    seen: list[Request] = []

    class Recorder(Translator):
        name = "recorder"

        def translate(self, requests):
            seen.extend(requests)
            return ["x"] * len(requests)

    store = Store(db_url)
    store.tm_add("", "news", [Unit("浙江医院召开2024年度工作会议。", "Zhejiang Hospital held its 2024 work conference.", "tmx"),
                              Unit("患者应当按时服药。", "Patients should take their medicine on time.", "tmx")])
    runtime = factory.runtime(memory=store, translator_=Recorder())
    sentences = ["浙江医院召开2025年度总结会议。", "患者应当按时服用药物。", "天气晴朗。"]
    for placement in ("sentence", "article"):
        seen.clear()
        rt = dataclasses.replace(runtime, recall=RecallPolicy(3, 0.5, placement))
        translate_sentences(rt, sentences, TranslateOptions(qe="none"))
        by_source = {r.source: r for r in seen}
        if placement == "sentence":
            assert len(by_source["天气晴朗。"].examples) == 0 and len(by_source["患者应当按时服用药物。"].examples) == 1
            assert all(not r.shared_examples for r in seen)
        else:
            assert all(len(r.shared_examples) == 2 and not r.examples for r in seen)


def test_an_aligned_archive_becomes_a_memory(tmp_path):
    """`zhen tm import --align ZH_DIR EN_DIR`: old pages and their English versions through zhen's aligner;
    the sure beads become units, and a later draft of one of those sentences is the archive's English."""
    import os
    import subprocess

    from server import ZHEN

    from zhen import config as cfg

    flores = cfg.shared_data() / "mt" / "flores200-devtest"
    zh = (flores / "zho_Hans.devtest").read_text(encoding="utf-8").splitlines()[:8]
    en = (flores / "eng_Latn.devtest").read_text(encoding="utf-8").splitlines()[:8]
    for side, lines in (("zh", zh), ("en", en)):
        (tmp_path / "archive" / side).mkdir(parents=True)
        (tmp_path / "archive" / side / "page.txt").write_text("\n\n".join(lines) + "\n", encoding="utf-8")
    env = {**os.environ, "ZHEN_HOME": str(tmp_path / "h"), "ZHEN_PLUGINS": "fake_mt",
           "PYTHONPATH": os.pathsep.join([str(PLUGINS), os.environ.get("PYTHONPATH", "")])}
    res = subprocess.run([ZHEN, "tm", "import", "--align", str(tmp_path / "archive" / "zh"),
                          str(tmp_path / "archive" / "en"), "--name", "old pages"],
                         capture_output=True, text=True, env=env, timeout=600)
    assert res.returncode == 0, res.stderr[-2000:]
    result = json.loads(res.stdout)
    assert result["memory"] == "old pages" and result["format"] == "aligned" and result["units"] >= 6, result
    units = Store(tmp_path / "h" / "zhen.sqlite").tm_units("")
    # each unit pairs a piece of line i of the Chinese with a piece of line i of the English
    assert all(any(match_key(u["source"]).text in match_key(a).text and u["target"] in b for a, b in zip(zh, en))
               for u in units), units
    (tmp_path / "new.txt").write_text(f"新闻\n\n{units[0]['source']}\n", encoding="utf-8")
    out = subprocess.run([ZHEN, "translate", str(tmp_path / "new.txt"), "--backend", "fake"],
                         capture_output=True, text=True, env=env, timeout=300)
    assert out.returncode == 0 and units[0]["target"] in out.stdout, out.stderr[-2000:]


def test_the_readme_workflow_cli_save_review_edit_then_the_next_article(tmp_path):
    """The README's loop on one machine: `zhen translate --save`, an edit through `zhen serve --no-auth` (the
    review page's call), and the next `zhen translate` writes the edit: CLI and server share the local memory."""
    import os
    import subprocess

    from server import ZHEN, Server

    env = {**os.environ, "ZHEN_HOME": str(tmp_path), "ZHEN_PLUGINS": "fake_mt",
           "PYTHONPATH": os.pathsep.join([str(PLUGINS), os.environ.get("PYTHONPATH", "")])}
    new, nxt = tmp_path / "new.txt", tmp_path / "next.txt"
    new.write_text(f"医院新闻\n\n{SENT}\n", encoding="utf-8")
    nxt.write_text(f"另一篇新闻\n\n患者应当按时服药。{SENT}\n", encoding="utf-8")
    saved = subprocess.run([ZHEN, "translate", str(new), "--backend", "fake", "--save", "--format", "json"],
                           capture_output=True, text=True, env=env, timeout=300)
    assert saved.returncode == 0, saved.stderr[-2000:]
    doc = json.loads(saved.stdout)
    n = next(s["n"] for s in doc["segments"] if match_key(s["source"]) == match_key(SENT))
    srv = Server(tmp_path, "--no-auth", "--backend", "fake").start()
    try:
        with srv.client() as c:
            r = c.put(f"/v1/documents/{doc['id']}/segments/{n}", json={"text": EDIT, "author": "review page"})
            assert r.status_code == 200, r.text
    finally:
        srv.stop()
    out = subprocess.run([ZHEN, "translate", str(nxt), "--backend", "fake"], capture_output=True, text=True,
                         env=env, timeout=300)
    assert out.returncode == 0 and EDIT in out.stdout, out.stdout + out.stderr[-2000:]


def test_match_pane_and_concordance_search_the_keys_own_memory(keyed):
    """The review page's match pane and concordance: the key's memory, best first, never another key's."""
    c, keys = keyed
    r = c.post("/v1/tm/imports", files={"file": ("p.tmx", TMX.encode())}, headers=_h(keys["a"]))
    assert r.status_code == 201, r.text
    found = c.get("/v1/tm/matches", params={"source": "医院将继续加强学科建设工作。"}, headers=_h(keys["a"])).json()
    assert [(m["target"], m["kind"]) for m in found] == [("The hospital will keep strengthening its disciplines.",
                                                          "fuzzy")]
    assert 80 <= found[0]["percent"] < 100
    hits = c.get("/v1/tm/concordance", params={"q": "学科"}, headers=_h(keys["a"])).json()
    assert [h["target"] for h in hits] == ["The hospital will keep strengthening its disciplines."]
    assert c.get("/v1/tm/concordance", params={"q": "medicine"}, headers=_h(keys["a"])).json()[0]["source"] == \
        "患者应当按时服药。"
    assert c.get("/v1/tm/matches", params={"source": "医院将继续加强学科建设工作。"}, headers=_h(keys["b"])).json() == []
    assert c.get("/v1/tm/concordance", params={"q": "学科"}, headers=_h(keys["b"])).json() == []
    assert c.get("/v1/tm/concordance", params={"q": ""}, headers=_h(keys["a"])).status_code == 422
