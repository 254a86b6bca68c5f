import json
import re
import subprocess
import sys

import pytest

from tests.conftest import ARTICLES, article
from zhen.text.cleanup import normalise
from zhen.text.decode import DecodeError, decode_bytes, read_text
from zhen.text.document import parse_article
from zhen.text.segment import split_en, split_zh

ANNOTATION = re.compile(r"\([a-zāáǎàēéěèīíǐìōóǒòūúǔùǖǘǚǜü]{1,7}\)")


@pytest.mark.parametrize("path", sorted(ARTICLES.glob("*.txt")), ids=lambda p: p.name[:3])
def test_no_pinyin_annotation_survives_and_offsets_point_at_original(path):
    text = read_text(path)
    doc = parse_article(text)
    assert doc.sentences
    for s in doc.sentences:
        assert not ANNOTATION.search(s.normalised), s.normalised
        assert text[s.start : s.end] == s.original
        assert s.original.strip()


def test_traditional_normalised_to_simplified_original_kept():
    doc = parse_article(read_text(article("001")))
    title = doc.sentences[0]
    assert "鄞州区与上海第九人民医院集团" in title.normalised
    assert "鄞州區(qū)" in title.original


def test_footer_of_004_is_boilerplate():
    doc = parse_article(read_text(article("004")))
    by_text = {s.normalised: s.kind for s in doc.sentences}
    for line in ["地址:威海市青岛北路29号", "邮编:264200", "传真:0631-5322773", "邮箱:whzybjb@163.com",
                 "24小时服务电话", "扫一扫二维码,关注威海市中医院官方微博微信"]:
        assert by_text[line] == "boilerplate", line
    assert all(s.kind == "boilerplate" for s in doc.sentences if "路线" in s.normalised or s.normalised[:3] == "106")
    assert any(s.kind == "body" and "1941年" in s.normalised for s in doc.sentences)


def test_navigation_of_003_is_boilerplate():
    doc = parse_article(read_text(article("003")))
    kinds = {s.normalised: s.kind for s in doc.sentences}
    assert kinds["您现在的位置是: 首页 >> 通知公告 >> 工作动态 >> 正文"] == "boilerplate"
    assert kinds["关闭"] == "boilerplate"
    assert kinds["上一条:韩国成均馆大学来访我校 下一条:学校召开2024届毕业生就业创业工作推进会"] == "boilerplate"
    assert kinds["附属第一医院与复旦大学附属中山医院签订战略合作框架协议"] == "title"
    assert kinds["2024年05月13日 点击:[]"] == "meta"
    assert kinds["会议现场"] == "caption"


def test_slider_source_and_meta_lines_of_001():
    doc = parse_article(read_text(article("001")))
    kinds = {s.normalised: s.kind for s in doc.sentences}
    assert kinds["<< 滑动查看下一张图片 >>"] == "boilerplate"
    assert kinds["信息来源:健康鄞州"] == "boilerplate"
    assert kinds["日期:2017/12/27"] == "meta"


def test_bylines_of_002():
    doc = parse_article(read_text(article("002")))
    kinds = {s.normalised: s.kind for s in doc.sentences}
    assert kinds["文、摄/宣传统战部 郭俊"] == "byline"
    assert kinds["供图/党政综合办 陈雨虹"] == "byline"
    assert kinds["内部资料 免费交流"] == "boilerplate"


@pytest.mark.parametrize("prefix", ["001", "004"])
def test_lost_characters_flagged(prefix):
    doc = parse_article(read_text(article(prefix)))
    damaged = [s for s in doc.sentences if "damaged" in s.flags]
    assert damaged
    for s in doc.sentences:
        if "??" in s.original:
            assert "damaged" in s.flags, s.original
        assert "??" not in s.original or "??" in s.normalised  # flagged, never silently dropped


def test_sentence_counts_of_hand_checked_paragraphs():
    doc = parse_article(read_text(article("004")))
    # Paragraph "威海市中医院党委书记邹东明在致辞中表示..." has two sentences (。 twice).
    start = [s for s in doc.sentences if s.normalised.startswith("威海市中医院党委书记邹东明")][0]
    assert len([s for s in doc.sentences if s.paragraph == start.paragraph]) == 2
    doc3 = parse_article(read_text(article("003")))
    first = [s for s in doc3.sentences if s.normalised.startswith("互学互鉴")][0]
    assert len([s for s in doc3.sentences if s.paragraph == first.paragraph]) == 2
    doc1 = parse_article(read_text(article("001")))
    signing = [s for s in doc1.sentences if s.normalised.startswith("随后,上海第九")][0]
    para1 = [s for s in doc1.sentences if s.paragraph == signing.paragraph]
    assert len(para1) == 4  # 。×4; `1+1+1` is not split
    assert any("1+1+1" in s.normalised for s in para1)


def test_zh_splitter_keeps_quotes_numbers_and_phones():
    text = "他说：“好。”电话0631-5312827，增长3.5%。推进1+1+1改革！真的吗？"
    parts = [text[s:e] for s, e in split_zh(text)]
    assert parts == ["他说：“好。”", "电话0631-5312827，增长3.5%。", "推进1+1+1改革！", "真的吗？"]


def test_en_splitter_abbreviations_initials_decimals_quotes():
    text = 'Dr. Wu met J. Smith at 3.5 p.m. on Jan. 5. He said "yes." Then he left! OK?'
    parts = [text[s:e] for s, e in split_en(text)]
    assert parts == ["Dr. Wu met J. Smith at 3.5 p.m. on Jan. 5.", 'He said "yes."', "Then he left!", "OK?"]


def test_fullwidth_and_whitespace_normalised():
    n = normalise("ＡＢ１２　 医院\t\t工作")
    assert n.text == "AB12 医院 工作"
    assert len(n.origin) == len(n.text)


def test_gb18030_and_big5_copies_decode_to_same_text():
    simplified = read_text(article("003"))
    assert decode_bytes(simplified.encode("gb18030"))[0] == simplified
    traditional = read_text(article("004"))
    # Big5 has no tone-marked pinyin or mojibake: keep the lines it can encode.
    lines = []
    for line in traditional.splitlines():
        try:
            line.encode("big5")
            lines.append(line)
        except UnicodeEncodeError:
            pass
    big5_text = "\n".join(lines)
    assert len(big5_text) > 200
    text, enc = decode_bytes(big5_text.encode("big5"))
    assert enc == "big5" and text == big5_text


@pytest.mark.parametrize("data, message", [(b"", "empty"), (b"  \n ", "empty"), (b"\x00\x01\x02binary\x00" * 20, "binary")])
def test_bad_input_clear_error(data, message):
    with pytest.raises(DecodeError, match=message):
        decode_bytes(data)


def test_cli_segment_jsonl_and_errors(tmp_path):
    out = subprocess.run([sys.executable, "-m", "zhen.cli", "segment", str(article("001"))],
                         capture_output=True, text=True, check=True).stdout
    rows = [json.loads(line) for line in out.splitlines()]
    assert {"id", "paragraph", "kind", "original", "normalised", "start", "end", "flags"} <= set(rows[0])
    empty = tmp_path / "empty.txt"
    empty.write_bytes(b"")
    res = subprocess.run([sys.executable, "-m", "zhen.cli", "segment", str(empty)], capture_output=True, text=True)
    assert res.returncode != 0 and "empty input" in res.stderr and "Traceback" not in res.stderr
    binary = tmp_path / "x.bin"
    binary.write_bytes(bytes(range(256)) * 10)
    res = subprocess.run([sys.executable, "-m", "zhen.cli", "segment", str(binary)], capture_output=True, text=True)
    assert res.returncode != 0 and "binary" in res.stderr
