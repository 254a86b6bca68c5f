"""The MT APIs translators' tools speak (LibreTranslate, DeepL v2), files CAT tools exchange (HTML, .docx,
XLIFF 1.2, TMX 1.4), tested with real clients that no one here wrote: libretranslatepy, deep-translator
and deepl from PyPI against a real `zhen serve`, and Debian's OmegaT in console mode."""

from __future__ import annotations

import io
import shutil
import subprocess
from xml.sax.saxutils import escape

import pytest
from click.testing import CliRunner
from conftest import OMEGAT, PLUGINS, article, omegat_dtd, require
from lxml import etree, html
from server import Server
from translate.storage.tmx import tmxfile

from zhen.cli import main
from zhen.service.auth import create_key
from zhen.store import Store
from zhen.text.cleanup import has_cjk

XLIFF = "urn:oasis:names:tc:xliff:document:1.2"


def _seed_page() -> str:
    """A page built like the seed articles' sources: navigation, breadcrumbs, title, body, footer."""
    text = article("001").read_text(encoding="utf-8")
    lines = [x.strip() for x in text.splitlines() if x.strip()][:12]
    body = "".join(f"<p>{escape(x)}</p>\n" for x in lines[1:])
    return (f"<!DOCTYPE html>\n<html><head><meta charset='utf-8'><title>{escape(lines[0])}</title>"
            "<script>var label = '不翻译';</script><style>p{color:#333}</style></head><body>"
            "<nav><a href='/'>首页</a> | <a href='/news'>新闻中心</a> | <a href='/about'>医院概况</a></nav>"
            "<div class='crumb'>当前位置：<a href='/'>首页</a> &gt; <a href='/news'>医院新闻</a></div>"
            f"<h1>{escape(lines[0])}</h1>\n{body}<footer>版权所有 © 2017 <b>某某医院</b> 地址：某某路1号</footer></body></html>")


def _tags(markup: str) -> list[str]:
    return [el.tag for el in html.document_fromstring(markup).iter() if isinstance(el.tag, str)]


def _chinese_text_nodes(markup: str) -> list[str]:
    """Text with Chinese characters outside scripts and styles."""
    root = html.document_fromstring(markup)
    out = []
    for el in root.iter():
        if isinstance(el.tag, str) and el.tag not in ("script", "style") and el.text and has_cjk(el.text):
            out.append(el.text)
        if el.tail and has_cjk(el.tail):
            out.append(el.tail)
    return out


def test_an_html_page_round_trips_with_its_tags_and_no_chinese_left(api):
    page = _seed_page()
    for fmt_call in ("translate", "translate_file"):
        if fmt_call == "translate":
            r = api.post("/translate", json={"q": page, "source": "zh", "target": "en", "format": "html"})
            assert r.status_code == 200, r.text
            out = r.json()["translatedText"]
        else:
            r = api.post("/translate_file", data={"source": "zh", "target": "en"},
                         files={"file": ("news.html", page.encode())})
            assert r.status_code == 200, r.text
            out = api.get(r.json()["translatedFileUrl"].replace("http://localhost", "")).text
        assert _tags(out) == _tags(page)
        assert _chinese_text_nodes(out) == [], _chinese_text_nodes(out)[:3]
        assert "var label = '不翻译';" in out  # scripts are not text


def test_an_xliff_from_a_cat_tool_comes_back_filled_with_the_same_ids(api):
    xlf = f"""<?xml version="1.0" encoding="UTF-8"?>
<xliff version="1.2" xmlns="{XLIFF}"><file original="news.docx" source-language="zh-CN" target-language="en"
 datatype="x-docx"><body>
<trans-unit id="tu-1"><source>浙江医院成立于<g id="1">1954年</g>。</source></trans-unit>
<trans-unit id="tu-2"><source>医院有<x id="2"/>3个院区。</source><target/></trans-unit>
<trans-unit id="tu-3"><source>你好。</source><target state="translated">Hello.</target></trans-unit>
</body></file></xliff>"""
    r = api.post("/translate_file", data={"source": "zh", "target": "en"}, files={"file": ("news.xlf", xlf.encode())})
    assert r.status_code == 200, r.text
    out = etree.fromstring(api.get(r.json()["translatedFileUrl"].replace("http://localhost", "")).content)
    units = {u.get("id"): u for u in out.iter(f"{{{XLIFF}}}trans-unit")}
    assert list(units) == ["tu-1", "tu-2", "tu-3"]
    for uid in ("tu-1", "tu-2"):
        target = units[uid].find(f"{{{XLIFF}}}target")
        assert target.get("state") == "needs-review-translation"
        assert not has_cjk("".join(target.itertext())) and "".join(target.itertext()).strip()
    assert [el.tag for el in units["tu-1"].find(f"{{{XLIFF}}}target")] == [f"{{{XLIFF}}}g"]
    assert units["tu-1"].find(f"{{{XLIFF}}}target")[0].get("id") == "1"
    assert units["tu-2"].find(f"{{{XLIFF}}}target")[0].get("id") == "2"
    assert units["tu-3"].find(f"{{{XLIFF}}}target").text == "Hello."  # a translator's target is kept
    assert "machine translation" in units["tu-1"].find(f"{{{XLIFF}}}note").text


def test_docx_and_text_files_come_back_as_the_same_kind(api):
    docx = pytest.importorskip("docx")
    d = docx.Document()
    d.add_heading("浙江医院新闻", 1)
    p = d.add_paragraph("12月22日，")
    p.add_run("浙江医院").bold = True
    p.add_run("举行了会议。")
    d.add_paragraph("Already English.")
    table = d.add_table(rows=1, cols=2)
    table.rows[0].cells[0].text, table.rows[0].cells[1].text = "院长", "洪朝阳"
    buf = io.BytesIO()
    d.save(buf)
    r = api.post("/translate_file", data={"source": "zh", "target": "en"}, files={"file": ("新闻.docx", buf.getvalue())})
    assert r.status_code == 200, r.text
    got = api.get(r.json()["translatedFileUrl"].replace("http://localhost", ""))
    assert "filename*=UTF-8''" in got.headers["content-disposition"]
    out = docx.Document(io.BytesIO(got.content))
    texts = [p.text for p in out.paragraphs] + [c.text for c in out.tables[0].rows[0].cells]
    assert len(out.paragraphs) == 3 and texts[2] == "Already English."
    assert not any(has_cjk(t) for t in texts) and all(t.strip() for t in texts)
    r = api.post("/translate_file", data={"source": "zh", "target": "en"},
                 files={"file": ("a.txt", "第一行。\n\n  第二行\nEnglish line\n".encode())})
    text = api.get(r.json()["translatedFileUrl"].replace("http://localhost", "")).text
    lines = text.split("\n")
    assert len(lines) == 5 and lines[1] == "" and lines[2].startswith("  ") and lines[3] == "English line"
    assert not has_cjk(text)


def test_the_cli_translates_files_into_the_same_kind(tmp_path, monkeypatch):
    monkeypatch.syspath_prepend(str(PLUGINS))
    monkeypatch.setenv("ZHEN_PLUGINS", "fake_mt")
    page = tmp_path / "news.html"
    page.write_text(_seed_page(), encoding="utf-8")
    res = CliRunner().invoke(main, ["translate", str(page), "--backend", "fake"])
    assert res.exit_code == 0, res.output
    out = (tmp_path / "news.en.html").read_text(encoding="utf-8")
    assert _tags(out) == _tags(page.read_text(encoding="utf-8")) and not _chinese_text_nodes(out)
    res = CliRunner().invoke(main, ["translate", str(tmp_path / "x.pdf"), "--backend", "fake"])
    assert res.exit_code == 2


def test_exports_mark_drafts_for_review_and_edits_approved(api):
    doc = api.post("/v1/translate", json={"sentences": ["浙江医院成立于1954年。", "医院有3个院区。"]}).json()
    api.put(f"/v1/documents/{doc['id']}/segments/1", json={"text": "The hospital has three campuses."})
    xlf = etree.fromstring(api.get(f"/v1/documents/{doc['id']}/parallel", params={"format": "xliff"}).content)
    assert xlf.get("version") == "1.2" and etree.QName(xlf).namespace == XLIFF
    units = list(xlf.iter(f"{{{XLIFF}}}trans-unit"))
    assert [u.get("approved") for u in units] == ["no", "yes"]
    assert [u.find(f"{{{XLIFF}}}target").get("state") for u in units] == ["needs-review-translation", "translated"]


def test_exported_tmx_validates_against_the_dtd_omegat_ships(api, tmp_path):
    dtd = etree.DTD(str(omegat_dtd(tmp_path)))
    doc = api.post("/v1/translate", json={"sentences": ["浙江医院成立于1954年。", "医院有3个院区。", "你好。"]}).json()
    api.put(f"/v1/documents/{doc['id']}/segments/1", json={"text": "Three & <campuses> \"here\"."})
    data = api.get(f"/v1/documents/{doc['id']}/parallel", params={"format": "tmx"}).content
    assert dtd.validate(etree.fromstring(data)), dtd.error_log.filter_from_errors()
    aligned = api.post("/v1/align", json={"zh": "你好。\n再见。", "en": "Hello.\nGoodbye.", "presplit": True}).json()
    data = api.get(f"/v1/documents/{aligned['id']}/parallel", params={"format": "tmx"}).content
    assert dtd.validate(etree.fromstring(data)), dtd.error_log.filter_from_errors()


def test_compatible_errors_take_each_apis_shape(api):
    r = api.post("/translate", json={"q": "你好", "source": "zh", "target": "de"})
    assert r.status_code == 400 and "error" in r.json()
    assert api.post("/translate", data={"source": "zh", "target": "en"}).json()["error"].endswith("q parameter")
    r = api.post("/v2/translate", json={"text": ["你好"]})
    assert r.status_code == 400 and "target_lang" in r.json()["message"]
    r = api.post("/translate", content=b'{"q": "\\ud800", "source": "zh", "target": "en"}',
                 headers={"content-type": "application/json"})
    assert r.status_code == 400 and "surrogate" in r.json()["error"]
    # objects where a code or key belongs (a fuzzer found this one as a 500)
    for body in ({"q": "你好", "source": {"x": 1}, "target": "en"}, {"q": "你好", "source": "zh", "target": ["en"]},
                 {"q": "你好", "source": "zh", "target": "en", "api_key": {"k": 1}, "format": []}):
        r = api.post("/translate", json=body)
        assert r.status_code == 400 and "must be a string" in r.json()["error"], r.text
    for body in ({"text": ["你好"], "target_lang": {"EN": 1}}, {"text": ["你好"], "target_lang": "EN-US",
                                                               "tag_handling": ["html"]}):
        r = api.post("/v2/translate", json=body)
        assert r.status_code == 400 and "must be a string" in r.json()["message"], r.text


@pytest.fixture(scope="module")
def keyed_server(tmp_path_factory):
    home = tmp_path_factory.mktemp("compat")
    key = create_key(Store(home / "zhen.sqlite"), "cat-tool", rpm=1000)
    srv = Server(home, "--backend", "fake").start()
    yield srv, key
    srv.stop()


def test_libretranslatepy_client(keyed_server):
    lt = require("libretranslatepy", "test")
    srv, key = keyed_server
    client = lt.LibreTranslateAPI(srv.url, api_key=key)
    out = client.translate("浙江医院成立于1954年。", "zh", "en")
    assert out and not has_cjk(out) and "1954" in out
    assert {"code": "zh", "name": "Chinese", "targets": ["en"]} in client.languages()
    assert client.detect("你好，世界")[0]["language"] == "zh"
    with pytest.raises(Exception, match="403"):
        lt.LibreTranslateAPI(srv.url, api_key="zk_bad_key").translate("你好", "zh", "en")


def test_deep_translator_client(keyed_server):
    dt = require("deep_translator", "test")
    srv, key = keyed_server
    tr = dt.LibreTranslator(source="zh", target="en", custom_url=srv.url + "/", api_key=key)
    out = tr.translate("医院有3个院区。")
    assert out and not has_cjk(out) and "3" in out
    batch = tr.translate_batch(["你好。", "浙江医院成立于1954年。"])
    assert len(batch) == 2 and not any(has_cjk(b) for b in batch)


def test_deepl_client(keyed_server):
    deepl = require("deepl", "test")
    srv, key = keyed_server
    client = deepl.DeepLClient(key, server_url=srv.url)
    results = client.translate_text(["浙江医院成立于1954年。", "医院有3个院区。"], target_lang="EN-US")
    assert [r.detected_source_lang for r in results] == ["ZH", "ZH"]
    assert all(r.text and not has_cjk(r.text) for r in results) and results[0].billed_characters == 13
    assert [lang.code for lang in client.get_source_languages()] == ["ZH"]
    assert "EN-US" in [lang.code for lang in client.get_target_languages()]
    html_out = client.translate_text("<p>你好<b>世界</b></p>", target_lang="EN-GB", tag_handling="html")
    assert html_out.text.startswith("<p>") and "<b>" in html_out.text and not has_cjk(html_out.text)
    assert client.get_usage().character.count >= 26
    with pytest.raises(deepl.AuthorizationException):
        deepl.DeepLClient("zk_not_a_key", server_url=srv.url).translate_text("你好", target_lang="EN-US")


def test_omegat_fills_a_project_from_reviewed_segments_only(keyed_server, tmp_path):
    """OmegaT (console mode) as the README sets it up: the reviewed segments' TMX in tm/auto/ (inserted
    without asking), every draft's in tm/mt/ (suggestions only). A reviewed sentence is filled in, an
    unreviewed draft is not, and the Traditional sentence matches as the project's file has it."""
    dtd = omegat_dtd(tmp_path)
    java = shutil.which("java")
    assert java, "java comes with Debian's omegat"
    srv, key = keyed_server
    sentences = ["浙江醫院成立於1954年。", "医院有3个院区。"]
    with srv.client(key) as c:
        doc = c.post("/v1/translate", json={"sentences": sentences}).json()
        reviewed = "Zhejiang Hospital was founded in 1954."
        assert c.put(f"/v1/documents/{doc['id']}/segments/0", json={"text": reviewed}).status_code == 200
        auto = c.get(f"/v1/documents/{doc['id']}/parallel", params={"format": "tmx", "status": "reviewed"}).content
        drafts = c.get(f"/v1/documents/{doc['id']}/parallel", params={"format": "tmx"}).content
    assert [u.source for u in tmxfile(auto).units] == [sentences[0]]  # as sent, not the cleaned text
    prop = etree.fromstring(auto).find(".//tu/prop[@type='x-zhen-cleaned']")
    assert prop is not None and prop.text == "浙江医院成立于1954年。"
    assert etree.DTD(str(dtd)).validate(etree.fromstring(auto))
    project = tmp_path / "project"
    for d in ("source", "target", "tm/auto", "tm/mt", "glossary", "dictionary", "omegat"):
        (project / d).mkdir(parents=True)
    (project / "source" / "news.txt").write_text("\n".join(sentences) + "\n", encoding="utf-8")
    (project / "tm" / "auto" / "zhen-reviewed.tmx").write_bytes(auto)
    (project / "tm" / "mt" / "zhen-drafts.tmx").write_bytes(drafts)
    (project / "omegat.project").write_text(OMEGAT_PROJECT, encoding="utf-8")
    res = subprocess.run([java, "-jar", str(OMEGAT), str(project), "--mode=console-translate",
                          f"--config-dir={tmp_path / 'config'}", "--disable-project-locking", "--no-team"],
                         capture_output=True, text=True, timeout=300)
    assert res.returncode == 0, res.stdout[-2000:] + res.stderr[-2000:]
    assert (project / "target" / "news.txt").read_text(encoding="utf-8").splitlines() == [reviewed, sentences[1]]


OMEGAT_PROJECT = """<?xml version="1.0" encoding="UTF-8" standalone="no"?>
<omegat>
  <project version="1.0">
    <source_dir>__DEFAULT__</source_dir>
    <source_dir_excludes/>
    <target_dir>__DEFAULT__</target_dir>
    <tm_dir>__DEFAULT__</tm_dir>
    <glossary_dir>__DEFAULT__</glossary_dir>
    <glossary_file>__DEFAULT__</glossary_file>
    <dictionary_dir>__DEFAULT__</dictionary_dir>
    <source_lang>zh-CN</source_lang>
    <target_lang>en</target_lang>
    <sentence_seg>true</sentence_seg>
    <support_default_translations>true</support_default_translations>
    <remove_tags>false</remove_tags>
  </project>
</omegat>
"""


def test_libretranslate_alternatives_come_from_best_quality(api):
    """LibreTranslate's `alternatives`: up to N other candidates per text, best first, never the translation
    itself; none for HTML, as LibreTranslate does; a bad count is a 400 with LibreTranslate's error shape."""
    r = api.post("/translate", json={"q": "医院有3个院区。", "source": "zh", "target": "en", "alternatives": 2})
    body = r.json()
    assert r.status_code == 200, body
    assert len(body["alternatives"]) == 2 and body["translatedText"] not in body["alternatives"]
    assert all("3" in a for a in body["alternatives"])
    r = api.post("/translate", json={"q": ["你好。", "医院有3个院区。"], "source": "zh", "target": "en",
                                     "alternatives": "1"})
    assert [len(a) for a in r.json()["alternatives"]] == [1, 1]
    r = api.post("/translate", json={"q": "<p>你好。</p>", "source": "zh", "target": "en", "format": "html",
                                     "alternatives": 3})
    assert r.json()["alternatives"] == []
    assert "alternatives" not in api.post("/translate", json={"q": "你好。", "source": "zh", "target": "en"}).json()
    for bad in (-1, 99, "many"):
        r = api.post("/translate", json={"q": "你好。", "source": "zh", "target": "en", "alternatives": bad})
        assert r.status_code == 400 and "alternatives" in r.json()["error"]
    doc = api.post("/v1/translate", json={"sentences": ["医院有3个院区。"], "quality": "best"}).json()
    seg = doc["segments"][0]
    assert 0 <= seg["agreement"] <= 1 and len(seg["alternatives"]) == 3  # ZHEN_BEST_CANDIDATES' default of 4
