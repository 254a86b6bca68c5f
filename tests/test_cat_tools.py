"""CAT tools as translators use them (issue 35): inline tags through the model with whole sentences
(XLIFF, DeepL's XML, HTML, Weblate's placeholders), Weblate's own requests replayed, and a CAT tool's
documents found again.

The recording fake (tests/plugins/fake_mt.py) stands in for the model and notes every source it is
asked, so "no tag splits a sentence" is checked on what the model actually saw.
"""

from __future__ import annotations

from collections import Counter

import pytest
from conftest import DATA, PLUGINS, runtime_for
from fastapi.testclient import TestClient
from hypothesis import given, note, settings
from hypothesis import strategies as st
from lxml import etree

from bench.inline_tags import build, score, tag_ids
from zhen import config
from zhen.text.cleanup import has_cjk
from zhen.text.inline import Mark, Tagged, cut, from_placeholders, join, place, to_placeholders, well_formed
from zhen.text.segment import split_sentences

# -- placing marks -------------------------------------------------------------------------------------


@st.composite
def tagged_units(draw: st.DrawFn) -> Tagged:
    """Chinese text of one to three sentences with well-formed marks anywhere in it."""
    sentences = draw(st.lists(st.text("医院患者专家今年增长", min_size=1, max_size=12), min_size=1, max_size=3))
    text = "。".join(sentences) + "。"
    pieces: list = []
    open_: list[int] = []
    tag = 0
    for ch in text:
        for _ in range(draw(st.integers(0, 2))):
            kind = draw(st.sampled_from(["open", "close", "point"]))
            if kind == "close" and open_:
                pieces.append(("close", open_.pop()))
            elif kind == "open":
                pieces.append(("open", tag))
                open_.append(tag)
                tag += 1
            else:
                pieces.append(("point", tag))
                tag += 1
        pieces.append(ch)
    pieces += [("close", t) for t in reversed(open_)]
    return Tagged.build(pieces)


@settings(max_examples=300, deadline=None)
@given(tagged_units(), st.lists(st.text("abc defgh.", min_size=0, max_size=30), min_size=3, max_size=3),
       st.booleans())
def test_every_mark_comes_back_once_and_well_formed_wherever_it_lands(unit, drafts, anchored):
    note(repr(unit))
    part = cut(unit, split_sentences(unit.text))
    assert "".join(s.text for s in part.sentences) == unit.text.replace(" ", "")
    placed = []
    for s, d in zip(part.sentences, drafts):
        spans = s.paired()
        anchors = {t: (0, len(d)) for t in spans} if anchored else {}
        placed.append(place(s, d, anchors)[0])
    out = join(part, placed)
    assert Counter((m.kind, m.tag) for m in out.marks) == Counter((m.kind, m.tag) for m in unit.marks)
    assert well_formed(out.marks)
    assert all(0 <= m.at <= len(out.text) for m in out.marks)


def test_a_tag_around_words_wraps_their_translation_and_one_between_sentences_stays_between():
    unit = Tagged.build(["浙江医院", ("open", 0), "范佳", ("close", 0), "在会上发言。", ("point", 1), "今年患者增长12%。"])
    part = cut(unit, split_sentences(unit.text))
    assert [s.text for s in part.sentences] == ["浙江医院范佳在会上发言。", "今年患者增长12%。"]
    assert part.before[1] == (Mark(12, "point", 1),)
    first, exact = place(part.sentences[0], "Fan Jia of Zhejiang Hospital spoke.", {0: (0, 7)})
    assert exact and [(m.at, m.kind) for m in first.marks] == [(0, "open"), (7, "close")]
    out = join(part, [first, Tagged("Patients rose by 12%.")])
    assert list(out.pieces()) == [("open", 0), "Fan Jia", ("close", 0), " of Zhejiang Hospital spoke.", ("point", 1),
                                  " Patients rose by 12%."]


def test_weblates_placeholders_are_marks_and_come_back_as_sent():
    unit, table = from_placeholders("共有[X5X]名患者，增长[X12X]。")
    assert unit.text == "共有名患者，增长。" and table == ["[X5X]", "[X12X]"]
    placed, exact = place(unit, "There were patients, an increase.", {})
    assert not exact  # no evidence for a stand-alone tag inside a sentence: flagged, never dropped
    assert sorted(to_placeholders(placed, table).count(p) for p in table) == [1, 1]


# -- a CAT tool's XLIFF --------------------------------------------------------------------------------


@pytest.fixture()
def recording(monkeypatch):
    monkeypatch.syspath_prepend(str(PLUGINS))
    import fake_mt

    fake_mt.ASKED.clear()
    yield fake_mt
    fake_mt.ASKED.clear()


def test_a_30_unit_xliff_comes_back_with_every_tag_once_and_no_sentence_translated_in_pieces(recording):
    """The model is asked exactly what it is asked for the same sentences without their tags, plus the
    tagged words alone (to find where their tag goes): no tag cuts a sentence into halves."""
    from zhen.app.files import translate_file
    from zhen.app.translate import translate_sentences

    runtime = runtime_for(recording.RecordingTranslator())
    data, expected = build(DATA)
    job, out = translate_file(runtime, "seed.xlf", data)
    asked = set(recording.ASKED)
    result = score(data, out, expected)
    assert result["units"] == 30 and result["all_tags_back_once"] == 30, result
    assert result["names_in_g"] >= 15 and result["names_in_their_own_g"] == result["names_in_g"], result
    sentences = [u.text[s:e] for u in job.units for s, e in split_sentences(u.text)]
    assert len(sentences) > 30  # some units hold two sentences
    recording.ASKED.clear()
    translate_sentences(runtime, sentences)
    whole = set(recording.ASKED)
    recording.ASKED.clear()
    translate_sentences(runtime, sorted({u.text[a:b] for u in job.units for a, b in u.paired().values()}))
    alone = set(recording.ASKED)
    assert whole <= asked and asked <= whole | alone, asked - whole - alone
    ns = {"x": "urn:oasis:names:tc:xliff:document:1.2"}
    for unit in etree.fromstring(out).iterfind(".//x:trans-unit", ns):
        target = unit.find("x:target", ns)
        assert target.get("state") == "needs-review-translation"
        assert not any("\u4e00" <= ch <= "\u9fff" for ch in "".join(target.itertext()))
        assert tag_ids(unit.find("x:source", ns)) == tag_ids(target)


def test_xliff_begin_and_end_codes_stay_in_order_around_their_words(recording):
    from zhen.app.files import translate_file

    x = "urn:oasis:names:tc:xliff:document:1.2"
    data = (f'<xliff version="1.2" xmlns="{x}"><file original="a" source-language="zh" target-language="en" '
            'datatype="plaintext"><body><trans-unit id="1"><source>医院在<bx id="1"/>8<ex id="2" startref="1"/>月召开'
            '会议，<bpt id="3" rid="9">&lt;i&gt;</bpt>专家<ept id="4" rid="9">&lt;/i&gt;</ept>出席。</source>'
            "</trans-unit></body></file></xliff>").encode()
    _, out = translate_file(runtime_for(recording.RecordingTranslator()), "a.xlf", data)
    target = etree.fromstring(out).find(f".//{{{x}}}target")
    order = [etree.QName(e).localname for e in target.iter() if e is not target]
    assert order == ["bx", "ex", "bpt", "ept"], etree.tostring(target)
    assert target.find(f"{{{x}}}bpt").text == "<i>"  # native code kept whole


XLIFF2 = """<?xml version="1.0" encoding="UTF-8"?>
<xliff xmlns="urn:oasis:names:tc:xliff:document:2.0" version="2.0" srcLang="zh-CN" trgLang="en">
 <file id="f1">
  <unit id="u1">
   <originalData><data id="d1">&lt;br/&gt;</data></originalData>
   <segment id="s1"><source>浙江医院<pc id="1">范佳</pc>院长出席会议，<ph id="2" dataRef="d1"/>同比增长<sc id="3"/>12%<ec startRef="3"/>。</source></segment>
   <segment id="s2" state="final"><source>已译。</source><target>Done.</target></segment>
  </unit>
 </file>
</xliff>"""


def test_xliff_2_units_come_back_with_their_codes_a_state_and_a_note(recording):
    from zhen.app.files import translate_file

    x = "urn:oasis:names:tc:xliff:document:2.0"
    _, out = translate_file(runtime_for(recording.RecordingTranslator()), "a.xlf", XLIFF2.encode())
    root = etree.fromstring(out)
    first, second = root.iterfind(f".//{{{x}}}segment")
    target = first.find(f"{{{x}}}target")
    assert [etree.QName(e).localname for e in target.iter() if e is not target] == ["pc", "ph", "sc", "ec"]
    assert "12%" in "".join(target.itertext()) and not has_cjk("".join(target.itertext()))
    assert first.get("state") == "translated" and second.find(f"{{{x}}}target").text == "Done."
    unit = root.find(f".//{{{x}}}unit")
    assert [etree.QName(c).localname for c in unit] == ["notes", "originalData", "segment", "segment"]
    assert "machine translation" in unit.find(f"{{{x}}}notes/{{{x}}}note").text
    assert any(a.startswith("浙江医院") and a.endswith("同比增长12%。") for a in recording.ASKED)


# -- the compatible APIs with tags -----------------------------------------------------------------------


@pytest.fixture()
def api_recording(tmp_path, monkeypatch, recording):
    from zhen.service.app import create_app

    settings_ = config.settings(home=tmp_path / "api-home", auth=False, backend="fake-recording", plugins="fake_mt",
                                sync_chars=8000)
    with TestClient(create_app(settings_), base_url="http://localhost") as client:
        yield client, recording


def test_deepl_xml_keeps_ignored_tags_and_translates_the_sentence_whole(api_recording):
    c, rec = api_recording
    text = '浙江医院<x id="5"></x>今年共接诊患者<b>12万</b>人次，同比增长<x id="19"></x>。'
    r = c.post("/v2/translate", json={"text": [text], "source_lang": "ZH", "target_lang": "EN-US",
                                       "tag_handling": "xml", "ignore_tags": ["x"]})
    assert r.status_code == 200, r.text
    out = r.json()["translations"][0]["text"]
    assert out.count('<x id="5"></x>') == 1 and out.count('<x id="19"></x>') == 1, out  # as Weblate finds them
    assert out.count("<b>") == 1 and out.count("</b>") == 1 and "12" in out.split("<b>")[1].split("</b>")[0], out
    assert any(a.startswith("浙江医院今年共接诊患者") and a.endswith("同比增长。") for a in rec.ASKED), rec.ASKED
    doc = c.get(f"/v1/documents/{r.headers['X-Zhen-Document']}").json()
    assert doc["origin"] == "deepl" and len(doc["segments"]) == 1
    assert [m[1] for m in doc["segments"][0]["tags"]["target"]] == ["point", "open", "close", "point"]


def test_libretranslate_placeholders_and_html_inline_tags_keep_their_sentence_whole(api_recording):
    c, rec = api_recording
    r = c.post("/translate", json={"q": ["医院今年共接诊[X7X]名患者。"], "source": "zh", "target": "en"})
    assert r.status_code == 200, r.text
    assert r.json()["translatedText"][0].count("[X7X]") == 1 and "医院今年共接诊名患者。" in rec.ASKED
    page = "<p>浙江医院<a href='/x'>范佳</a>院长在<b>会上</b>发言。<br>今年患者增长<em>12%</em>。</p><p>第二段。</p>"
    r = c.post("/translate", json={"q": page, "source": "zh", "target": "en", "format": "html"})
    html = r.json()["translatedText"]
    assert html.count('<a href="/x">') == 1 and html.count("<b>") == 1 and html.count("<br>") == 1, html
    assert html.count("<em>") == 1 and "12%" in html.split("<em>")[1].split("</em>")[0], html
    assert any(a.startswith("浙江医院") and a.endswith("院长在会上发言。") for a in rec.ASKED), rec.ASKED
    assert "今年患者增长12%。" in rec.ASKED
    assert r.headers["X-Zhen-Document"]


# -- Weblate, replayed from its source --------------------------------------------------------------------
# The requests below are those of Weblate's machinery (weblate/machinery/base.py, deepl.py and
# libretranslate.py at WeblateOrg/weblate commits 0013c4b5, 01c5add9 and 19117864, Weblate 5.x): the
# validation that runs when an admin saves the settings, the glossary calls before suggestions, and a
# suggestion request with its placeholders.


@pytest.mark.backend("fake-recording")
def test_weblate_can_save_its_deepl_settings_and_its_glossary_changes_the_draft(keyed):
    c, keys = keyed
    h = {"Authorization": f"DeepL-Auth-Key {keys['a']}", "Accept": "application/json; charset=utf-8"}
    # validate_settings: the languages, then "test" from en to de
    assert {x["language"] for x in c.get("/v2/languages", params={"type": "source"}, headers=h).json()} == {"ZH"}
    c.get("/v2/languages", params={"type": "target"}, headers=h).raise_for_status()
    probe = c.post("/v2/translate", headers=h, json={"text": ["test"], "source_lang": "EN", "target_lang": "DE",
                                                     "formality": "default", "tag_handling": "xml",
                                                     "ignore_tags": ["x"]})
    assert probe.status_code == 200, probe.text
    assert probe.json()["translations"][0]["text"] == "test" and "X-Zhen-Untranslated" in probe.headers
    # is_glossary_supported, then create_glossary and list_glossaries
    pairs = c.get("/v2/glossary-language-pairs", headers=h).json()["supported_languages"]
    assert ("ZH", "EN") in {(p["source_lang"].upper(), p["target_lang"].upper()) for p in pairs}
    made = c.post("/v2/glossaries", headers=h, json={"name": "weblate:1:ZH:EN:abc", "source_lang": "ZH",
                                                     "target_lang": "EN", "entries": "樊嘉\tFan Chia\n医院\thospital",
                                                     "entries_format": "tsv"})
    assert made.status_code == 201, made.text
    gid = made.json()["glossary_id"]
    listed = c.get("/v2/glossaries", headers=h).json()["glossaries"]
    assert {g["name"]: g["glossary_id"] for g in listed} == {"weblate:1:ZH:EN:abc": gid}
    assert listed[0]["entry_count"] == 2 and listed[0]["creation_time"].endswith("Z")
    assert c.get(f"/v2/glossaries/{gid}/entries", headers=h).text == "医院\thospital\n樊嘉\tFan Chia\n"
    # download_multiple_translations, with the glossary and Weblate's placeholder
    ask = {"text": ['樊嘉<x id="2"></x>院长出席会议。'], "source_lang": "ZH", "target_lang": "EN",
           "formality": "default", "tag_handling": "xml", "ignore_tags": ["x"], "context": "医院新闻"}
    plain = c.post("/v2/translate", headers=h, json=ask).json()["translations"][0]["text"]
    with_glossary = c.post("/v2/translate", headers=h, json={**ask, "glossary_id": gid})
    text = with_glossary.json()["translations"][0]["text"]
    assert "Fan Chia" in text and "Fan Chia" not in plain and text.count('<x id="2"></x>') == 1, (plain, text)
    doc = c.get(f"/v1/documents/{with_glossary.headers['X-Zhen-Document']}", headers={"X-API-Key": keys["a"]}).json()
    assert doc["title"] == "医院新闻" and doc["origin"] == "deepl"  # `context` is the article context
    # another key cannot see or use the glossary
    other = {"Authorization": f"DeepL-Auth-Key {keys['b']}"}
    assert c.get("/v2/glossaries", headers=other).json() == {"glossaries": []}
    refused = c.post("/v2/translate", headers=other, json={**ask, "glossary_id": gid})
    assert refused.status_code == 404 and refused.json() == {"message": "Glossary not found"}
    # delete_glossary (Weblate deletes stale and oldest glossaries)
    assert c.delete(f"/v2/glossaries/{gid}", headers=other).status_code == 404
    assert c.delete(f"/v2/glossaries/{gid}", headers=h).status_code == 204
    assert c.get(f"/v2/glossaries/{gid}", headers=h).json() == {"message": "Glossary not found"}


def test_deepl_options_are_answered_as_deepl_answers_them(api):
    ask = {"text": ["医院"], "source_lang": "ZH", "target_lang": "EN-US"}
    assert api.post("/v2/translate", json={**ask, "formality": "prefer_more"}).status_code == 200
    r = api.post("/v2/translate", json={**ask, "formality": "more"})
    assert r.status_code == 400 and "formality" in r.json()["message"]
    r = api.post("/v2/translate", json={**ask, "tag_handling": "xml", "text": ["医院<b>未闭合"]})
    assert r.status_code == 400 and "message" in r.json()
    assert api.post("/v2/translate", json={**ask, "model_type": "prefer_quality_optimized"}).status_code == 200
    bad = api.post("/v2/glossaries", json={"name": "g", "source_lang": "EN", "target_lang": "DE", "entries": "a\tb"})
    assert bad.status_code == 400 and "pair" in bad.json()["message"]


def test_weblate_can_save_its_libretranslate_settings(api):
    assert "zh" in [x["code"] for x in api.get("/languages").json()]
    probe = api.post("/translate", json={"api_key": "", "q": ["test"], "source": "en", "target": "de"})
    assert probe.status_code == 200 and probe.json() == {"translatedText": ["test"]}
    assert "X-Zhen-Untranslated" in probe.headers
    assert api.post("/translate", json={"q": ["test"], "source": "xx!", "target": "en"}).status_code == 400


# -- finding a CAT tool's documents again -------------------------------------------------------------------


def test_every_route_that_stores_a_document_names_it_and_the_key_lists_its_own(keyed, tmp_path):
    c, keys = keyed
    a, b = {"X-API-Key": keys["a"]}, {"X-API-Key": keys["b"]}
    ids = {}
    r = c.post("/v1/translate", json={"sentences": ["医院。"]}, headers=a)
    ids["api"] = r.headers["X-Zhen-Document"]
    assert ids["api"] == r.json()["id"]
    r = c.post("/v1/align", json={"zh": "医院。", "en": "Hospital."}, headers=a)
    ids["align"] = r.headers["X-Zhen-Document"]
    r = c.post("/v2/translate", json={"text": ["医院。"], "target_lang": "EN"}, headers=a)
    ids["deepl"] = r.headers["X-Zhen-Document"]
    r = c.post("/translate", json={"q": "医院。", "source": "zh", "target": "en"}, headers=a)
    ids["libretranslate"] = r.headers["X-Zhen-Document"]
    r = c.post("/translate_file", data={"source": "zh", "target": "en"}, headers=a,
               files={"file": ("a.txt", "医院。\n".encode(), "text/plain")})
    ids["file"] = r.headers["X-Zhen-Document"]
    listed = c.get("/v1/documents", headers=a).json()
    assert listed["total"] == 5 and [d["id"] for d in listed["documents"]] == list(reversed(ids.values()))
    assert {d["origin"] for d in listed["documents"]} == {"api", "deepl", "libretranslate", "file"}
    only = c.get("/v1/documents", params={"origin": "deepl"}, headers=a).json()
    assert [d["id"] for d in only["documents"]] == [ids["deepl"]]
    page = c.get("/v1/documents", params={"limit": 2, "offset": 2}, headers=a).json()
    assert [d["id"] for d in page["documents"]] == list(reversed(ids.values()))[2:4]
    assert c.get("/v1/documents", headers=b).json()["total"] == 0
    assert c.get("/v1/documents", params={"limit": 0}, headers=a).status_code == 422


# -- Word files ----------------------------------------------------------------------------------------

W = "{http://schemas.openxmlformats.org/wordprocessingml/2006/main}"
FOOTNOTES = ('<?xml version="1.0" encoding="UTF-8" standalone="yes"?><w:footnotes '
             'xmlns:w="http://schemas.openxmlformats.org/wordprocessingml/2006/main">'
             '<w:footnote w:type="separator" w:id="-1"><w:p><w:r><w:separator/></w:r></w:p></w:footnote>'
             '<w:footnote w:type="continuationSeparator" w:id="0"><w:p><w:r><w:continuationSeparator/></w:r></w:p>'
             '</w:footnote><w:footnote w:id="1"><w:p><w:r><w:t>资料来源：浙江医院宣传部。</w:t></w:r></w:p>'
             "</w:footnote></w:footnotes>")


TEXT_BOX = ('<w:r xmlns:w="http://schemas.openxmlformats.org/wordprocessingml/2006/main" '
            'xmlns:wp="http://schemas.openxmlformats.org/drawingml/2006/wordprocessingDrawing" '
            'xmlns:a="http://schemas.openxmlformats.org/drawingml/2006/main" '
            'xmlns:wps="http://schemas.microsoft.com/office/word/2010/wordprocessingShape"><w:drawing>'
            '<wp:inline distT="0" distB="0" distL="0" distR="0"><wp:extent cx="2743200" cy="457200"/>'
            '<wp:docPr id="7" name="Text Box 7"/><a:graphic><a:graphicData '
            'uri="http://schemas.microsoft.com/office/word/2010/wordprocessingShape"><wps:wsp>'
            '<wps:cNvSpPr txBox="1"/><wps:spPr><a:xfrm><a:off x="0" y="0"/><a:ext cx="2743200" cy="457200"/></a:xfrm>'
            '<a:prstGeom prst="rect"><a:avLst/></a:prstGeom></wps:spPr><wps:txbx><w:txbxContent><w:p><w:r>'
            '<w:t>医院今年新增床位二百张。</w:t></w:r></w:p></w:txbxContent></wps:txbx><wps:bodyPr/></wps:wsp>'
            "</a:graphicData></a:graphic></wp:inline></w:drawing></w:r>")


def _word_file() -> bytes:
    """A .docx as Word users write them (python-docx's, with a hyperlink and a footnote added as Word
    stores them): a bold name inside a sentence, a link, a text box, a header, a footer, a table and a
    footnote."""
    import io

    import docx
    from docx.opc.constants import RELATIONSHIP_TYPE as RT
    from docx.opc.packuri import PackURI
    from docx.opc.part import Part
    from docx.oxml import OxmlElement, parse_xml
    from docx.oxml.ns import qn

    doc = docx.Document()
    doc.sections[0].header.paragraphs[0].text = "浙江医院新闻"
    doc.sections[0].footer.paragraphs[0].text = "浙江医院宣传部编"
    p = doc.add_paragraph("上海第九人民医院院长")
    p.add_run("吴皓").bold = True
    p.add_run("出席签约仪式。")
    ref = p.add_run()
    ref._r.append(OxmlElement("w:footnoteReference"))
    ref._r[-1].set(qn("w:id"), "1")
    p2 = doc.add_paragraph("详情请见")
    rid = p2.part.relate_to("https://www.zjhospital.com.cn/", RT.HYPERLINK, is_external=True)
    link = OxmlElement("w:hyperlink")
    link.set(qn("r:id"), rid)
    run = OxmlElement("w:r")
    text = OxmlElement("w:t")
    text.text = "浙江医院官网"
    run.append(text)
    link.append(run)
    p2._p.append(link)
    p2.add_run("上的通知。")
    box = doc.add_paragraph("本期要点：")
    box._p.append(parse_xml(TEXT_BOX))
    table = doc.add_table(rows=1, cols=2)
    table.rows[0].cells[0].text = "床位"
    table.rows[0].cells[1].text = "共有1200张床位。"
    notes = Part(PackURI("/word/footnotes.xml"),
                 "application/vnd.openxmlformats-officedocument.wordprocessingml.footnotes+xml",
                 FOOTNOTES.encode(), doc.part.package)
    doc.part.relate_to(notes, RT.FOOTNOTES)
    buf = io.BytesIO()
    doc.save(buf)
    return buf.getvalue()


def test_a_word_file_comes_back_whole_formatted_and_readable_by_libreoffice(tmp_path, recording):
    import io
    import os
    import shutil
    import subprocess
    import zipfile

    from zhen.app.files import translate_file

    data = _word_file()
    _, out = translate_file(runtime_for(recording.RecordingTranslator()), "news.docx", data)
    parts = {}
    with zipfile.ZipFile(io.BytesIO(out)) as zf:
        for name in zf.namelist():
            if name.startswith("word/") and name.endswith(".xml"):
                parts[name] = etree.fromstring(zf.read(name))
    texts = {name: "".join(t.text or "" for t in root.iter(f"{W}t")) for name, root in parts.items()}
    for name, text in texts.items():
        assert not any("\u4e00" <= ch <= "\u9fff" for ch in text), (name, text)  # nothing left in any part
    assert texts["word/header1.xml"] and texts["word/footer1.xml"] and "Zhejiang" in texts["word/footnotes.xml"]
    body = parts["word/document.xml"]
    first = body.find(f".//{W}p")
    bold = [r for r in first.iter(f"{W}r") if r.find(f"{W}rPr/{W}b") is not None]
    assert ["".join(t.text for t in r.iter(f"{W}t")) for r in bold] == ["Wu Hao"]  # the name, still bold
    assert first.find(f".//{W}footnoteReference") is not None
    box = body.find(f".//{W}txbxContent")  # the text box, moved into its paragraph's translation with its own
    assert box is not None and "".join(t.text for t in box.iter(f"{W}t")).strip()
    assert any("上海第九人民医院院长" in a and "出席签约仪式" in a for a in recording.ASKED)  # one sentence, not three
    link = body.find(f".//{W}hyperlink")
    assert link is not None and link.get("{http://schemas.openxmlformats.org/officeDocument/2006/relationships}id")
    assert "".join(t.text for t in link.iter(f"{W}t")).strip()  # the link's words, translated, still linked
    assert any(t.text and "Chuangwei" in t.text or "chuangwei" in (t.text or "").lower() for t in body.iter(f"{W}t"))
    soffice = shutil.which("soffice")
    if soffice is None:
        if os.environ.get("ZHEN_REQUIRE_EXTRAS") == "1":
            pytest.fail("Debian's libreoffice-writer-nogui is required in CI")
        pytest.skip("needs LibreOffice (apt-get install libreoffice-writer-nogui)")
    (tmp_path / "news.docx").write_bytes(out)
    res = subprocess.run([soffice, "--headless", f"-env:UserInstallation=file://{tmp_path}/lo", "--convert-to", "pdf",
                          "--outdir", str(tmp_path), str(tmp_path / "news.docx")], capture_output=True, text=True,
                         timeout=240)
    assert res.returncode == 0 and (tmp_path / "news.pdf").stat().st_size > 1000, res.stdout + res.stderr


def test_the_review_list_shows_what_a_cat_tool_asked_for(tmp_path):
    """In a real browser: /review/ with a key lists that key's documents, a DeepL request among them,
    and leads to its review page; a wrong key is told so instead of an empty table."""
    from browser import chromium
    from server import Server

    from zhen.service.auth import create_key
    from zhen.store import Store

    exe = chromium()
    key = create_key(Store(tmp_path / "zhen.sqlite"), "weblate", rpm=1000)
    srv = Server(tmp_path, "--backend", "fake").start()
    try:
        with srv.client(key) as c:
            r = c.post("/v2/translate", json={"text": ["浙江医院成立于1954年。"], "target_lang": "EN-US",
                                               "context": "医院新闻"}, headers={"Authorization": f"DeepL-Auth-Key {key}"})
            doc_id = r.headers["X-Zhen-Document"]
        from playwright.sync_api import sync_playwright

        with sync_playwright() as p:
            browser = p.chromium.launch(executable_path=exe, args=["--no-sandbox", "--disable-gpu"])
            page = browser.new_page()
            page.goto(f"{srv.url}/review/?key={key}")
            link = page.locator("#rows a")
            link.wait_for()
            assert link.inner_text() == "医院新闻" and "deepl" in page.locator("#rows tr").inner_text()
            assert "key=" not in page.url  # the key left the address bar
            link.click()
            page.wait_for_selector("#rows textarea")
            assert page.url.endswith(f"/review/{doc_id}")
            other = browser.new_page()
            other.goto(f"{srv.url}/review/?key=zk_wrong")
            other.wait_for_function("document.getElementById('status').textContent.length > 0")
            assert "not accepted" in other.locator("#status").inner_text()
            browser.close()
    finally:
        srv.stop()


def test_a_text_with_thousands_of_inline_tags_is_refused_in_the_apis_shape(api):
    tags = "".join(f'医<x id="{i}"></x>' for i in range(3000)) + "。"
    r = api.post("/v2/translate", json={"text": [tags], "target_lang": "EN-US", "tag_handling": "xml"})
    assert r.status_code == 400 and "inline tags" in r.json()["message"], r.text
    page = "<p>" + "医<b>院</b>" * 3000 + "</p>"
    r = api.post("/translate", json={"q": page, "source": "zh", "target": "en", "format": "html"})
    assert r.status_code == 400 and "inline tags" in r.json()["error"], r.text
