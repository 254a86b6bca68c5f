"""The review page as an editor (issue 36), in Debian's Chromium through Playwright: a translator reviews
a 50-segment document with the keyboard alone, statuses survive a reload, an unsaved edit is not lost
by leaving, a memory match shows its differences, repetitions follow an edit, and no box clips its text.

The test double (tests/plugins/fake_mt.py) translates, so the page has real drafts to work on.
"""

from __future__ import annotations

import pytest
from browser import FLAGS, chromium
from conftest import ARTICLES, DATA
from server import Server
from translate.storage.tmx import tmxfile

from zhen.text.cleanup import has_cjk
from zhen.text.document import parse_article

MATCHED = "医院将继续加强学科建设工作。"  # one character from a unit of the memory below
TMX = """<?xml version="1.0" encoding="UTF-8"?>
<tmx version="1.4"><header creationtool="OmegaT" creationtoolversion="6" segtype="sentence" o-tmf="OmegaT TMX"
 adminlang="EN-US" srclang="ZH-CN" datatype="plaintext"/><body>
<tu><tuv xml:lang="ZH-CN"><seg>医院将继续加强学科建设。</seg></tuv><tuv xml:lang="EN-US"><seg>The hospital will keep strengthening its disciplines.</seg></tuv></tu>
</body></tmx>
"""
REPEATED = "会议由院长主持。"


def _sentences() -> list[str]:
    """47 sentences of the seed articles (long ones among them) and FLORES, a sentence the memory nearly
    has, and a sentence twice: 50 segments."""
    out: list[str] = []
    for path in sorted(ARTICLES.glob("0*_*.txt")):
        out += [s.normalised for s in parse_article(path.read_text(encoding="utf-8")).translatable()]
    out += (DATA / "mt" / "flores200-devtest" / "zho_Hans.devtest").read_text(encoding="utf-8").splitlines()[:40]
    out = [s for s in dict.fromkeys(out) if len(s) > 6 and has_cjk(s) and s not in (MATCHED, REPEATED)][:47]
    return [out[0], REPEATED, MATCHED, *out[1:24], REPEATED, *out[24:47]]


@pytest.fixture()
def server(tmp_path):
    chromium()
    srv = Server(tmp_path, "--no-auth", "--backend", "fake").start()
    yield srv
    srv.stop()


def test_a_translator_reviews_fifty_segments_with_the_keyboard(server, tmp_path):
    sentences = _sentences()
    assert len(sentences) == 50
    with server.client() as c:
        assert c.post("/v1/tm/imports", files={"file": ("project.tmx", TMX.encode())}).status_code == 201
        doc = c.post("/v1/translate", json={"sentences": sentences}).json()
    from playwright.sync_api import sync_playwright

    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=chromium(), args=FLAGS[1:])
        page = browser.new_page(viewport={"width": 1400, "height": 1000})
        page.goto(f"{server.url}/review/{doc['id']}")
        page.wait_for_selector("#rows tr")
        assert page.locator("#rows tr").count() == 50
        # no box clips its text
        clipped = page.evaluate("[...document.querySelectorAll('#rows textarea')]"
                                ".filter(t => t.scrollHeight > t.clientHeight + 2).length")
        assert clipped == 0
        assert page.locator("#progress").inner_text().startswith("0 of 50 reviewed")

        def focused() -> str:
            return page.evaluate("document.activeElement.closest('tr').dataset.n")

        # open the first segment, edit it, Ctrl+Enter: saved, reviewed, and the next segment has the focus
        page.locator("#rows tr[data-n='0'] textarea").click()
        page.keyboard.press("End")
        page.keyboard.type(" (checked)")
        page.keyboard.press("Control+Enter")
        page.wait_for_selector("#rows tr[data-n='0'][data-status='reviewed']")
        assert focused() == "1"
        # segment 1 repeats in segment 26: the edit goes to both
        page.keyboard.press("Control+a")
        page.keyboard.type("The president chaired the meeting.")
        page.keyboard.press("Control+Enter")
        page.wait_for_selector("#rows tr[data-n='26'][data-status='reviewed']")
        assert page.locator("#rows tr[data-n='26'] textarea").input_value() == "The president chaired the meeting."
        assert focused() == "2"
        # segment 2 has a fuzzy match: shown with the differing source marked, and taken with Alt+Shift+M
        match = page.locator("#rows tr[data-n='2'] .match")
        assert "TM " in match.inner_text() and match.locator("ins").count() >= 1
        page.wait_for_selector("#panel #matches .match")
        assert "Memory matches (1)" in page.locator("#panel").inner_text()
        assert "84%" in page.locator("#panel #matches").inner_text()
        page.keyboard.press("Alt+Shift+M")
        assert page.locator("#rows tr[data-n='2'] textarea").input_value() == \
            "The hospital will keep strengthening its disciplines."
        page.keyboard.press("Control+Enter")
        page.wait_for_selector("#rows tr[data-n='2'][data-status='reviewed']")
        # move on without saving, back again, and accept a draft as it is
        page.keyboard.press("Alt+ArrowDown")
        assert focused() == "4"
        page.keyboard.press("Alt+ArrowUp")
        assert focused() == "3"
        page.keyboard.press("Control+Enter")
        page.wait_for_selector("#rows tr[data-n='3'][data-status='reviewed']")
        assert page.locator("#progress").inner_text().startswith("5 of 50 reviewed")  # 0, 1, 26, 2, 3
        # filter to what is left
        page.select_option("#status-filter", "open")
        assert page.locator("#rows tr:not([hidden])").count() == 45
        page.select_option("#status-filter", "")
        # the side panel: the edit against the draft, and the history to go back to
        page.locator("#rows tr[data-n='0'] textarea").focus()
        panel = page.locator("#panel").inner_text()
        assert "Against the draft" in panel and "History" in panel and "(checked)" in panel
        page.screenshot(path=str(tmp_path / "review.png"))
        # an unsaved edit: leaving asks first
        page.locator("#rows tr[data-n='4'] textarea").click()
        page.keyboard.type(" unsaved")
        asked: list[str] = []
        page.on("dialog", lambda d: (asked.append(d.type), d.accept()))
        page.reload()
        page.wait_for_selector("#rows tr")
        assert asked == ["beforeunload"]
        # after the reload: statuses are the store's
        reviewed = page.locator("#rows tr[data-status='reviewed']")
        assert sorted(int(n) for n in reviewed.evaluate_all("rows => rows.map(r => r.dataset.n)")) == [0, 1, 2, 3, 26]
        assert page.locator("#rows tr[data-n='4'] textarea").input_value() == doc["segments"][4]["draft"]
        # reject one from the panel: a status of its own, kept
        page.locator("#rows tr[data-n='5'] textarea").focus()
        page.locator("#panel button.mark-rejected").click()
        page.wait_for_selector("#rows tr[data-n='5'][data-status='rejected']")
        browser.close()
    with server.client() as c:
        stored = {s["n"]: s["status"] for s in c.get(f"/v1/documents/{doc['id']}").json()["segments"]}
        tmx = c.get(f"/v1/documents/{doc['id']}/parallel", params={"format": "tmx", "status": "reviewed"}).content
    assert stored[5] == "rejected" and stored[0] == "reviewed" and stored[4] == "draft"
    assert len(tmxfile(tmx).units) == 5  # the reviewed segments only, for OmegaT's tm/auto
