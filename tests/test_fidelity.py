"""Faithful drafts: entities found (LAC in numpy) and rendered, numbers checked both ways, repairs, lists."""

import hashlib
import io
import os
import struct
import tarfile

import numpy as np
import pytest
from conftest import tagger

from zhen import config
from zhen.app import fidelity
from zhen.models import presets
from zhen.models.pull import PullError, pull
from zhen.mt.base import Request, Term, Translator
from zhen.mt.faithful import enforce, enumerations, gazetteer, names, nationality, ner
from zhen.mt.faithful.entities import document_glossary
from zhen.mt.faithful.numbers import invented_numbers, normalise_numbers, supported
from zhen.mt.glossary import Glossary, missing_terms, write_in
from zhen.mt.pipeline import Pipeline


def _paddle_tensor(arr: np.ndarray) -> bytes:
    """A parameter file as Paddle's save_inference_model writes it (LoDTensor, TensorDesc protobuf)."""
    def varint(v: int) -> bytes:
        out = b""
        while True:
            b, v = v & 0x7F, v >> 7
            out += bytes([b | (0x80 if v else 0)])
            if not v:
                return out

    desc = b"\x08" + varint(5) + b"".join(b"\x10" + varint(d) for d in arr.shape)
    return (struct.pack("<I", 0) + struct.pack("<Q", 0) + struct.pack("<I", 0) + struct.pack("<i", len(desc))
            + desc + arr.astype("<f4").tobytes())


def test_paddle_tensor_reader_round_trips(tmp_path):
    arr = np.arange(24, dtype=np.float32).reshape(2, 3, 4) / 7
    (tmp_path / "w").write_bytes(_paddle_tensor(arr))
    np.testing.assert_array_equal(ner.read_paddle_tensor(tmp_path / "w"), arr)
    (tmp_path / "bad").write_bytes(b"\x00" * 10)
    with pytest.raises(Exception):  # noqa: B017 - any clear error, never a wrong array
        ner.read_paddle_tensor(tmp_path / "bad")


def _lac() -> ner.LacTagger:
    preset = presets.get(presets.DEFAULT_NER)
    if not preset.installed(config.models_dir()):
        if os.environ.get("ZHEN_REQUIRE_EXTRAS") == "1":  # set by CI, which pulls it: never skip there
            pytest.fail("the LAC model must be pulled in CI (`zhen models pull`)")
        pytest.skip("LAC not pulled: zhen models pull lac")
    return ner.load(str(preset.path(config.models_dir())))


def test_lac_in_numpy_finds_people_places_and_organisations():
    tagger = _lac()
    (ents,) = tagger.entities(["水黎明和卜明长参加了在宁波市鄞州区举行的论坛，复旦大学附属中山医院院长樊嘉致辞。"])
    got = {(e.text, e.kind) for e in ents}
    assert {("水黎明", "person"), ("卜明长", "person"), ("宁波市", "place"), ("鄞州区", "place"),
            ("复旦大学附属中山医院", "org"), ("樊嘉", "person")} <= got
    text = "水黎明和卜明长参加了在宁波市鄞州区举行的论坛，复旦大学附属中山医院院长樊嘉致辞。"
    assert all(text[e.start : e.end] == e.text for e in ents)
    # batching pads sequences: a short text tags the same alone and beside a long one
    alone = tagger.tag(["胡军出席。"])[0]
    assert tagger.tag(["胡军出席。", "上海第九人民医院院长吴皓、宁波市卫生计生委副主任蒋志云、鄞州区区委书记胡军"])[0] == alone


def test_sdist_model_pull_verifies_and_unpacks_only_the_model(tmp_path, monkeypatch):
    monkeypatch.setenv("ZHEN_MODELS", str(tmp_path / "models"))  # never the shared models directory
    buf = io.BytesIO()
    with tarfile.open(fileobj=buf, mode="w:gz") as tf:
        for name, data in {"P-1/P/lac_model/model/w": b"weights", "P-1/P/lac_model/conf/tag.dic": b"0\tO\n",
                           "P-1/setup.py": b"print()"}.items():
            info = tarfile.TarInfo(name)
            info.size = len(data)
            tf.addfile(info, io.BytesIO(data))
    archive = buf.getvalue()

    def fetch(url, dest):
        (dest / "P-1.tar.gz").write_bytes(archive)
        return dest / "P-1.tar.gz"

    preset = presets.Preset("tiny-ner", "ner", "lac", "pypi-sdist", "test", size=len(archive),
                            sha256=hashlib.sha256(archive).hexdigest(), parts=("https://x/P-1.tar.gz",),
                            member="P-1/P/lac_model")
    path = pull(preset, config.models_dir(), fetch=fetch)
    assert (path / "model" / "w").read_bytes() == b"weights" and not (path / "setup.py").exists()
    assert preset.installed(config.models_dir())
    bad = presets.Preset("tiny-ner2", "ner", "lac", "pypi-sdist", "test", size=len(archive), sha256="0" * 64,
                         parts=("https://x/P-1.tar.gz",), member="P-1/P/lac_model")
    with pytest.raises(PullError, match="sha256"):
        pull(bad, config.models_dir(), fetch=fetch)
    assert not bad.installed(config.models_dir())


def test_names_read_as_names():
    assert names.to_pinyin("卜明长") == "Bu Mingchang"  # surname reading, 长 as in names
    assert names.to_pinyin("洪朝阳") == "Hong Chaoyang"  # not the word zhāoyáng
    assert names.to_pinyin("欧阳晓东") == "Ouyang Xiaodong"
    assert names.to_pinyin("单田芳") == "Shan Tianfang"
    assert not names.is_person_name("蒋主任") and not names.is_person_name("卫健委")
    assert not names.is_person_name("史密斯") and not names.is_person_name("米勒")  # transliterations
    assert names.is_person_name("李克强") and names.is_person_name("周恩来")
    # of 吴皓 and 吴皓提 (a verb glued on), the dictionary's word 提出 decides; 丁钢强表示 keeps its 强
    terms = names.find_names("马丁·路德·金和院长洪朝阳、吴皓提出", ["马丁", "洪朝阳", "吴皓提", "吴皓"], gazetteer.is_word)
    assert [t.source for t in terms] == ["洪朝阳", "吴皓"] and all(t.kind == "person" for t in terms)
    terms = names.find_names("所长丁钢强表示，丁钢强说", ["丁钢", "丁钢强"], gazetteer.is_word)
    assert [t.source for t in terms] == ["丁钢强"]
    assert [t.source for t in names.find_names("喻树迅表示，喻树迅介绍", ["喻树", "喻树迅"])] == ["喻树迅"]


def test_names_beside_titles_and_in_bylines_are_pinned_and_written_in():
    text = "中新网衡水9月30日电 (崔志平 王鹏)管委会主任姚幸福介绍，唐诺利表示。张光军同志简历"
    terms = {t.source: t for t in names.find_names(text, ["唐诺利", "简历"], gazetteer.is_word)}
    assert set(terms) == {"崔志平", "王鹏", "姚幸福", "唐诺利", "张光军"}  # 简历 is a word (résumé)
    assert terms["姚幸福"].pinned and terms["王鹏"].pinned and terms["张光军"].pinned
    assert not terms["唐诺利"].pinned  # tagged only: maybe a transliteration (Donnelly), so only checked
    # with the dictionary's character statistics, a tagged name that reads as Chinese is pinned, a
    # transliteration is not
    scored = {t.source: t for t in names.find_names(text + "朱婷扣杀。", ["唐诺利", "朱婷"], gazetteer.is_word,
                                                     gazetteer.name_odds)}
    assert scored["朱婷"].pinned and not scored["唐诺利"].pinned
    assert names.find_names("各级委员关于加强学习", [], gazetteer.is_word) == []  # reads as 关于 加强
    assert write_in("管委会主任姚幸福介绍，唐诺利表示", list(terms.values())) == "管委会主任 Yao Xingfu 介绍，唐诺利表示"
    # the dictionary's well-known people keep their own English; its other proper nouns are no people
    g = document_glossary(["朝鲜最高领导人金正恩会见了路透记者。"], None)
    assert g.terms.get("金正恩") is None or g.terms["金正恩"] == "Kim Jong-un"
    assert gazetteer.person("金正恩") == "Kim Jong-un" and gazetteer.person("路透") is None
    assert "路透" not in document_glossary(["路透社报道，社长路透说"], None).terms


def test_the_gazetteer_index_is_read_back_from_the_cache_and_rebuilt_when_unreadable(monkeypatch):
    """Parsing CC-CEDICT costs ~1.7 s per process: the index is kept in the cache folder, and a damaged
    file costs a rebuild, not a wrong answer."""
    builds = []
    build = gazetteer._build_index
    monkeypatch.setattr(gazetteer, "_build_index", lambda items: builds.append(1) or build(items))
    gazetteer._index.cache_clear()
    first = gazetteer._index()
    files = list((config.home() / "cache" / "gazetteer").glob("*.json"))
    assert len(builds) == 1 and len(files) == 1 and len(first[0]) > 10_000
    gazetteer._index.cache_clear()
    assert gazetteer._index() == first and len(builds) == 1  # read back, not parsed again
    files[0].write_text('{"names": ', encoding="utf-8")
    gazetteer._index.cache_clear()
    assert gazetteer._index() == first and len(builds) == 2
    assert gazetteer.place("鄞州区") == "Yinzhou District"


def test_places_and_institutions_from_the_gazetteer_and_rules():
    assert gazetteer.place("鄞州区") == "Yinzhou District"
    assert gazetteer.place("浙江省") == "Zhejiang Province"
    assert gazetteer.place("上海市") == "Shanghai"
    assert gazetteer.place("姜山镇") == "Jiangshan Town"  # not in the dictionary: pinyin plus the suffix
    assert gazetteer.place("美国") is None  # the model knows it; nothing to enforce
    assert gazetteer.institution("平湖市第一人民医院") == "the First People's Hospital of Pinghu"
    assert gazetteer.institution("嘉兴市中医院") == "Jiaxing Hospital of Traditional Chinese Medicine"
    assert gazetteer.institution("世界卫生组织") == "World Health Organization"
    assert gazetteer.institution("宁波市第六医院") == "the Sixth Hospital of Ningbo"
    assert gazetteer.institution("宁波市眼科医院") == "Ningbo Eye Hospital"


def test_lists_of_institutions_are_written_in_as_rendered():
    src = "下午，专家在鄞州人民医院、鄞州区第二医院、宁波市第六医院和宁波市眼科医院四个分会场进行论坛学术活动。"
    orgs = [Term(s, gazetteer.institution(s) or "", "org") for s in ("鄞州人民医院", "鄞州区第二医院", "宁波市第六医院",
                                                                     "宁波市眼科医院")]
    found = enumerations.find_items(src, orgs)
    assert [m.name.source for m in found.members] == [t.source for t in orgs]
    assert enumerations.find_items("在鄞州人民医院和宁波市第六医院", orgs) is None  # two are no list
    assert enumerations.find_items("鄞州人民医院的专家与宁波市第六医院、宁波市眼科医院", orgs) is None  # prose between
    t = _Lists()
    glossary = Glossary()
    for o in orgs:
        glossary.add(o.source, o.target, "org")
    Pipeline(t, memory=None, tagger=None, glossary=glossary).translate([src])
    assert t.seen[0].source == ("下午，专家在 Yinzhou People's Hospital、the Second Hospital of Yinzhou、the Sixth Hospital "
                                "of Ningbo 和 Ningbo Eye Hospital 四个分会场进行论坛学术活动。")


def test_numbers_normalised_and_checked_both_ways():
    assert normalise_numbers("35万平方米、6.1万人、二〇一九年、1.2亿元") == "350,000平方米、61,000人、2019年、120 million元"
    assert invented_numbers("12月22日，35万平方米", "On December 22, 2019, 35,000 square meters") == ["2019", "35000"]
    assert invented_numbers("12月22日，35万平方米", "On December 22, 350,000 square meters") == []
    assert invented_numbers("数百倍", "800 times") == ["800"]
    assert invented_numbers("三十五名专家在第一人民医院", "35 experts at the First People's Hospital") == []
    assert invented_numbers("上午9时", "at 9:00 a.m.") == []
    assert "350" in supported("35万人")  # "350 thousand"
    assert normalise_numbers("逾5,000亿美元、2,300亿日圆") == "逾500 billion美元、230 billion日圆"  # grouped digits
    assert normalise_numbers("步行。200 万年前") == "步行。2,000,000年前"  # spaced from its unit
    assert enforce.lost_numbers("200 万年前", "2 million years ago") == []
    assert "230" in supported("2,300亿日圆") and "2.3" not in supported("2,300亿日圆")
    assert normalise_numbers("数千亿美元，数十年来，人数百余") == "hundreds of billions of 美元，for decades ，人数百余"


def test_model_free_repairs():
    people = [Term("胡军", "Hu Jun", "person"), Term("洪朝阳", "Hong Chaoyang", "person"),
              Term("刘晓东", "Liu Xiaodong", "person")]
    src = "12月22日上午，胡军、院长洪朝阳和刘晓东出席"
    draft = "On December 22, 2019 at 10:00 a.m., Dr. Huang Jun, President Hong Zhaoyang and Xie Xiaodong attended"
    fixed = enforce.repair(src, draft, people)
    assert fixed == "On December 22 in the morning, Hu Jun, President Hong Chaoyang and Liu Xiaodong attended"
    assert missing_terms(people, fixed) == []
    assert enforce.repair("史密斯博士说", "Dr. Smith said", []) == "Dr. Smith said"  # licensed by 博士
    flags = enforce.violations("共有76个项目", "There are 67 projects in 2019.", [])
    assert flags == ["numbers_missing:76", "numbers_invented:67,2019"]
    # a wrong magnitude becomes the source's number when exactly one fits
    assert enforce.repair("托管科研项目十余项", "managed over 100 projects", []) == "managed over 10 projects"
    assert enforce.repair("面积35万平方米", "covering 35,000 square meters", []) == "covering 350,000 square meters"
    assert enforce.repair("旅客超140万人次", "over 14 million passengers", []) == "over 1.4 million passengers"
    assert enforce.repair("数百倍", "800 times", []) == "800 times"  # nothing fits: flagged, not guessed
    reporters = [Term("陈静", "Chen Jing", "person"), Term("罗燕倩", "Luo Yanqian", "person")]
    assert enforce.repair("中新网上海9月30日电 (陈静 罗燕倩)国家儿童医学中心30日披露", "On September 30, the center said",
                          reporters) == "On September 30 (Chen Jing, Luo Yanqian), the center said"
    assert enforce.repair("共有79.38万人次、机关干部27.9万人次", "793, 800 people and 279, 000 staff", []) == (
        "793,800 people and 279,000 staff")
    assert enforce.repair("8个和100个", "8, 100", []) == "8, 100"  # two numbers, not one
    assert enforce.repair("人口约 370 万", "a population of 3. 7 million.", []) == "a population of 3.7 million."
    assert enforce.repair("确保9月底前降低", "by the end of September 2019", []) == "by the end of September"
    assert enforce.restore_date("为落实精神,7月30日上午,党课在我院举行。", "The lecture was held.") == (
        "On July 30 in the morning, the lecture was held.")


def test_guided_decoding_completes_a_started_name():
    from zhen.mt.backends.llamacpp_engine import guided_next

    hu_jun, hu_bin = [7, 8, 9], [7, 5]
    assert guided_next([1, 2, 7], [hu_jun, hu_bin]) == {8, 5}  # either name may follow " Hu"
    assert guided_next([1, 7, 8], [hu_jun]) == {9}
    assert guided_next([7, 8, 9], [hu_jun]) == set()  # done: nothing forced after the name


class _Lists(Translator):
    """Collapses any list it is given (as small models do); translates short phrases faithfully."""

    name = "lists"
    TABLE = {"院长": "President", "副院长": "Vice President", "平湖市人民政府副市长": "Vice Mayor of Pinghu",
             "我院党委书记": "Secretary of the Party Committee of our hospital"}

    def __init__(self):
        self.seen: list[Request] = []

    def translate(self, requests):
        self.seen += list(requests)
        out = []
        for r in requests:
            if r.source in self.TABLE:
                out.append(self.TABLE[r.source])
            elif r.source.startswith("X"):
                out.append("X and other leaders attended and spoke.")
            else:
                out.append("The leaders attended and spoke.")
        return out


def test_lists_of_officials_are_composed_member_by_member():
    src = "我院党委书记严静、院长洪朝阳、副院长宋柏杉、平湖市人民政府副市长方晓烈等相关领导出席并发表讲话。"
    people = names.find_names(src)
    found = enumerations.find(src, people)
    assert [m.name.source for m in found.members] == ["严静", "洪朝阳", "宋柏杉", "方晓烈"]
    assert found.members[0].title == "我院党委书记" and found.tail == "等相关领导出席并发表讲话。"
    t = _Lists()
    (d,) = Pipeline(t, memory=None, tagger=None).translate([src])
    assert d.draft == ("Yan Jing, Secretary of the Party Committee of our hospital; Hong Chaoyang, President; "
                       "Song Baishan, Vice President; and Fang Xiaolie, Vice Mayor of Pinghu and other leaders "
                       "attended and spoke.")
    assert not any(f.startswith("term_missing") for f in d.flags)
    assert enumerations.find("最后，夏云龙再次感谢樊嘉院士带来的讲座。", names.find_names("院长夏云龙、樊嘉院士")) is None


def test_reference_name_recall_needs_no_tagger():
    assert fidelity.reference_names("商海春表示，张雄同意。", "Shang Haichun said Zhang Xiong agreed.") == [
        "Shang Haichun", "Zhang Xiong"]
    assert fidelity.name_found("Hong Chaoyang", "hong chao-yang spoke")
    assert not fidelity.name_found("Hu Jun", "Hu Junfeng spoke")


@pytest.mark.model
def test_real_model_keeps_every_official_of_a_long_list(translator):
    src = ("我院党委书记严静、院长洪朝阳、副院长宋柏杉、医务部主任陈新宇、我院派驻平湖分院常务副院长钱远权、平湖市委副书记王道平、"
           "平湖市人民政府副市长方晓烈、嘉兴市卫健委主任王伟荣、平湖市卫生健康局局长李寿林、副局长陈韩国、平湖市有关部门分管领导,"
           "平湖市第一人民医院医共体党委书记、总院长张永杰等相关领导出席并发表讲话。")
    (d,) = Pipeline(translator, memory=None, tagger=tagger()).translate([src])
    for name in ["Yan Jing", "Hong Chaoyang", "Song Baishan", "Chen Xinyu", "Qian Yuanquan", "Wang Daoping",
                 "Fang Xiaolie", "Wang Weirong", "Li Shoulin", "Chen Hanguo", "Zhang Yongjie"]:
        assert fidelity.name_found(name, d.draft), (name, d.draft)
    assert d.draft.count("Deputy Mayor of Pinghu") <= 1


@pytest.mark.model
def test_real_model_writes_pinned_names_and_scaled_numbers(translator):
    src = "中新网衡水9月30日电 (崔志平 王鹏)据河北衡水高新区管委会主任姚幸福介绍，今天集中开工的6个项目，总投资42.9亿元。"
    (d,) = Pipeline(translator, memory=None, tagger=tagger()).translate([src])
    for name in ["Cui Zhiping", "Wang Peng", "Yao Xingfu"]:
        assert fidelity.name_found(name, d.draft), (name, d.draft)
    assert "4.29 billion" in d.draft and not fidelity.invented_numbers(src, d.draft), d.draft


def test_review_page_marks_each_violation_where_it_is(tmp_path):
    from browser import chromium, review_page
    from server import Server

    chromium()
    srv = Server(tmp_path, "--no-auth", "--backend", "fake-unfaithful").start()
    try:
        with srv.client() as c:
            doc = c.post("/v1/translate", json={"sentences": ["院长洪朝阳出席了76个项目的评审。", "医院很好。"]}).json()
        reasons = doc["segments"][0]["reasons"]
        assert "term_missing:洪朝阳" in reasons and "numbers_invented:2019" in reasons, reasons
        with review_page(f"{srv.url}/review/{doc['id']}") as page:
            first = page.locator("#rows tr[data-n='0']")
            assert first.locator("td.src mark.issue").all_inner_texts() == ["洪朝阳"]
            assert first.locator(".marked mark.issue").all_inner_texts() == ["2019"]
            assert first.locator("td.src").inner_text() == "院长洪朝阳出席了76个项目的评审。"  # text intact
            assert page.locator("#rows tr[data-n='1'] td.src mark").count() == 0
    finally:
        srv.stop()


def test_bylines_credits_and_lists_of_people_are_found_and_pinned():
    """One pattern table for bylines and credits, and names listed before a group noun, each pinned."""
    cases = {
        "本报讯(记者 王斌)今天": ["王斌"],
        "央广网沈阳11月5日消息(记者徐志强 通讯员严怡娜)记者今天": ["徐志强", "严怡娜"],
        "记者 王斌 通讯员 李明\n今天开会": ["王斌", "李明"],
        "文/王斌 图/李明": ["王斌", "李明"],
        "摄影 李明": ["李明"],
        "(王斌 报道)": ["王斌"],
        "中新网阿斯塔纳10月1日电(记者 文龙杰)": ["文龙杰"],  # 文 is a surname here, not the credit 文/
    }
    for text, want in cases.items():
        assert [n for _, ns in names.bylines(text) for n in ns] == want, text
        terms = names.find_names(text, [], gazetteer.is_word, gazetteer.name_odds)
        assert [t.source for t in terms] == want and all(t.pinned for t in terms), text
    assert names.bylines("记者从市卫健委获悉，今年") == []
    listed = names.find_names("老狼、朴树、李宇春、毛不易等音乐人出席。", [], gazetteer.is_word, gazetteer.name_odds)
    assert {t.source for t in listed} == {"李宇春", "毛不易"} and all(t.pinned for t in listed)
    long_title = names.find_names("孔子学院中方院长柴克清介绍，副市长杨士坤宣布开工。", [], gazetteer.is_word)
    assert [t.source for t in long_title] == ["柴克清", "杨士坤"]


def test_chinese_names_and_transliterations_are_told_apart_by_the_dictionary():
    """`name_odds` learns from CC-CEDICT alone: its Chinese people's given names against its transliterated
    names. Measured here on names of neither kind's entries' making."""
    chinese = ["谭卫", "何章鸿", "沈怡", "朱婷", "张常宁", "杨士坤", "徐志强", "丁钢强", "林小宅", "傅明",
               # given names whose characters also spell transliterations (斐 in 斐济 Fiji): the surname decides
               "陈斐斐", "耿丹丹", "贾樟柯"]
    foreign = ["唐诺利", "史密斯", "安德森", "戴维斯", "詹姆斯", "罗伯特", "卡特", "柯林斯", "华莱士", "莫里森",
               # transliterations whose first character is also a surname
               "罗姆尼", "高斯林", "巴赫曼", "蓬佩奥"]
    assert all(gazetteer.name_odds(n) > 0 for n in chinese), [(n, gazetteer.name_odds(n)) for n in chinese]
    assert all(gazetteer.name_odds(n) < 0 for n in foreign), [(n, gazetteer.name_odds(n)) for n in foreign]


def test_people_joined_to_a_person_and_after_a_role_are_pinned():
    """The person beside a person is a person (`王小明和白雪`), even one whose name is a dictionary word (白雪,
    snow); a transliteration there is not (罗姆尼 Romney). A role before a name works as a title (`村民王林`),
    but a conjunction after it is no surname (`村民和游客`, though 和 is one)."""
    def pinned(text: str) -> list[tuple[str, bool]]:
        return [(t.source, t.pinned) for t in names.find_names(text, [], gazetteer.is_word, gazetteer.name_odds)]

    assert pinned("主持人王小明和白雪一起主持晚会。") == [("王小明", True), ("白雪", True)]
    assert pinned("主持人王小明说，比赛中白雪与王小明之间的较量。") == [("王小明", True), ("白雪", True)]
    assert pinned("外交部长王毅与罗姆尼会谈。") == [("王毅", True)]
    assert pinned("村民王林说，今年丰收了。") == [("王林", True)]
    assert pinned("村民和游客都说好。") == []


def test_given_names_are_one_word_with_the_pinyin_apostrophe_and_repaired_when_split():
    from zhen.mt.faithful.enforce import fix_name_variants

    assert names.to_pinyin("张继科") == "Zhang Jike" and names.to_pinyin("邰晓安") == "Tai Xiao'an"
    jike = [Term("张继科", "Zhang Jike", "person")]
    assert fix_name_variants("Zhang Ji Ke won the final.", jike) == "Zhang Jike won the final."
    assert fix_name_variants("Zhang Ji-ke won.", jike) == "Zhang Jike won."
    xiaoan = [Term("邰晓安", "Tai Xiao'an", "person")]
    assert fix_name_variants("Tai Xiao An reports.", xiaoan) == "Tai Xiao'an reports."
    assert missing_terms(xiaoan, "Tai Xiaoan reports.") == []  # written without the apostrophe: still the name


def test_the_name_measure_reads_pinyin_apostrophes_and_possessives():
    assert fidelity.name_found("Xi Jinping", "Xi Jinping's new era") and fidelity.name_found("Hong Chaoyang", "Hong Chao-yang")
    assert fidelity.name_found("Tai Xiao'an", "reporter Tai Xiaoan") and fidelity.name_found("Tai Xiaoan", "Tai Xiao'an")
    assert not fidelity.name_found("Tai Xiao", "Tai Xiao'an")


def test_phrases_honorifics_and_known_nouns_are_never_pinned_as_names():
    """What the tune split showed pinned wrongly: a phrase after 记者 (the reporter learned from the
    National …), an honorific (Mr. Liu), a dictionary proper noun (Reuters)."""
    found = names.find_names("记者从国家卫生健康委员会了解到，家住深圳的刘先生抵港后。王某说。", ["刘先生", "王某"],
                             gazetteer.is_word, gazetteer.name_odds)
    assert found == []
    class TagsReuters:  # as LAC does: 路透 tagged as a person
        def entities(self, texts):
            return [[ner.Entity("路透", "person", t.index("路透"), t.index("路透") + 2)] if "路透" in t else []
                    for t in texts]

    assert "路透" not in document_glossary(["路透布鲁塞尔9月28日电，路透说。"], TagsReuters()).pinned


class _TagsPeople:
    """A tagger that tags the given spans as people wherever they stand, as LAC does with names it knows."""

    def __init__(self, *people: str) -> None:
        self.people = people

    def entities(self, texts):
        return [[ner.Entity(p, "person", t.index(p), t.index(p) + len(p)) for p in self.people if p in t] for t in texts]


def test_names_end_where_the_words_after_them_begin():
    """A name after a title ends where a dictionary word begins when no verb or punctuation marks it
    (`主教练郎平今天`: 今天, today); a particle the tagger glued on is cut off (`柴春说`: Chai Chun
    says); a common word after a title is its object, not a name (`总理肖像`, the premier's portrait)."""
    coach = names.find_names("主教练郎平今天接受采访。", [], gazetteer.is_word)
    assert [(t.source, t.pinned) for t in coach] == [("郎平", True)]
    glued = names.find_names("柴春说，这是第一次。", ["柴春说"], gazetteer.is_word, gazetteer.name_odds)
    assert [t.source for t in glued] == ["柴春"]
    assert names.find_names("新版纸币正面的总理肖像。", [], gazetteer.is_word) == []
    # the same word, when the tagger too reads it as a person, is the person
    assert [t.source for t in names.find_names("主任高峰说，", ["高峰"], gazetteer.is_word)] == ["高峰"]


def test_japanese_names_are_left_to_the_model_and_dictionary_people_keep_their_chinese_name():
    """CC-CEDICT's Japanese surnames mark Japanese names, whose English is no pinyin (石井启 is not
    "Shi Jingqi"); a Western given name the dictionary puts first is dropped (郎平 is Lang Ping in news)."""
    assert gazetteer.japanese("石井启") and gazetteer.japanese("安倍晋三") and not gazetteer.japanese("石建国")
    g = document_glossary(["日本防卫大臣石井启说，主教练郎平表示，部长石建国说。"], _TagsPeople("石井启"))
    assert "石井启" not in g.terms
    assert g.terms["郎平"] == "Lang Ping" and "郎平" in g.pinned and g.terms["石建国"] == "Shi Jianguo"
    assert gazetteer.person("金正恩") == "Kim Jong-un" and gazetteer.person("安倍晋三") == "Abe Shinzo"


def test_foreigners_written_in_chinese_characters_are_never_pinned_as_pinyin():
    """The phrase that introduces a person names their country (`韩国外长朴真英`; `泰国副总理巴育`, whose
    characters read as a transliteration, unlike `美国哈佛大学教授张明`'s), unless they serve there
    (`中国驻泰国大使吕明`) or are ethnic Chinese (`意大利华人林芳`); a United Nations
    representative is no national; a four-character name that splits into no name and word is one
    foreign name, and so is its head (`高桥正雄` and later `高桥`); an article's own Latin gloss is the
    name's English, as a note; and 吕 is Lyu, as names are written in Latin letters."""
    text = ("韩国外长朴真英周五表示，泰国副总理巴育高度重视。中国驻泰国大使吕明出席，意大利华人林芳介绍，"
            "世界卫生组织代表高明说，美国总统会见了王建国。官员高桥正雄表示，高桥说。"
            "部长赵杰出席会议，英国大臣李文顿(David Linton)访问。美国哈佛大学教授张明说。")
    g = document_glossary([text], _TagsPeople("朴真英", "巴育", "吕明", "林芳", "高明", "王建国", "高桥正雄", "高桥",
                                              "赵杰出席", "李文顿", "张明"))
    people = {s: g.terms[s] for s in g.pinned if g.kinds.get(s) == "person"}
    assert people == {"吕明": "Lyu Ming", "林芳": "Lin Fang", "王建国": "Wang Jianguo", "赵杰": "Zhao Jie",
                      "张明": "Zhang Ming"}  # where names are not Chinese-written, a Chinese-looking one is Chinese
    assert g.terms["李文顿"] == "David Linton"  # a note: the source already writes it beside the name
    assert not {"朴真英", "巴育", "高明", "高桥"} & set(g.terms)
    assert nationality.introduced_as_foreign("内蒙古自治区主席王明说", "王明") is False  # a Chinese region
    assert nationality.introduced_as_foreign("效力于土耳其某队的朱明", "朱明") is False  # where she plays
    # a gloss names its whole span only, and an acronym is no name
    assert nationality.latin_gloss("位于塔马基大道（Tamaki Drive）", "塔马基大道") == "Tamaki Drive"
    assert nationality.latin_gloss("纳米比亚（Namibian）总统", "亚") is None
    assert nationality.latin_gloss("美国食品药物管理局(FDA)称", "美国食品药物管理局") is None


def test_tagger_mistakes_after_numbers_before_function_words_and_after_units_are_no_people():
    """`4.2 张不等` counts beds (张 is a measure word), `附近安有水龙头` says taps are fitted (有, has), and
    `谷物部门高丰` names a grain division."""
    found = names.find_names("床位数从 29.2 张到 4.2 张不等。附近安有水龙头。美国谷物部门高丰暂停交易。高丰发言人说。",
                             ["张不", "安有", "高丰"], gazetteer.is_word, gazetteer.name_odds)
    assert found == []


def test_units_standing_for_one_of_themselves_support_their_number():
    """`逾百` is "over 100", `百余` "100-odd", `万吨级` "10,000-ton"; 百姓 or 千万 is no number."""
    assert invented_numbers("逾百囚犯越柙", "over 100 prisoners escaped") == []
    assert invented_numbers("百余人参加", "more than 100 people attended") == []
    assert invented_numbers("万吨级中试基地", "a 10,000-ton pilot base") == []
    assert invented_numbers("老百姓千万不要", "people should never do 100 or 1000 things") == ["100", "1000"]
    # and a wrong magnitude of such a number is repaired to it
    assert enforce.repair("万吨级中试基地", "a 1 million-ton pilot base", []) == "a 10,000-ton pilot base"


def test_invented_details_are_taken_out_whole():
    """What a small model invents beside the facts — a day, an age, a century, a year, a change — is taken
    out with the words that carry it, and only when the source does not state the number."""
    cases = [
        ("此外，日前100多人占领了阵地", "In addition, on March 15, over 100 people occupied the position",
         "In addition, over 100 people occupied the position"),
        ("活动正式开幕，为期6日", "The event officially opened on June 1st, and lasted for 6 days",
         "The event officially opened, and lasted for 6 days"),
        ("日前正式开幕", "On June 1, the event opened", "The event opened"),
        ("播音员陈斐斐老人来到炮台", "Chen Feifei, a 90-year-old veteran, came", "Chen Feifei, a veteran, came"),
        ("古有宋代将军", "a famous 12th-century general", "a famous general"),
        ("1-9月出口成长4.7 %", "exports grew by 4.7% in the first nine months of 2019",
         "exports grew by 4.7% in the first nine months"),
        ("综合PMI环比提升", "the PMI rose by 0.3 percentage points from August", "the PMI rose from August"),
    ]
    for src, draft, want in cases:
        assert enforce.repair(src, draft, []) == want, draft
    # a number the source states stays, and so do its words
    kept = ["On June 1, the event opened", "a 90-year-old veteran", "rose by 0.3 percentage points", "in May of 2019"]
    sources = ["6月1日开幕", "90岁老兵", "提升0.3个百分点", "2019年5月"]
    for src, draft in zip(sources, kept):
        assert enforce.repair(src, draft, []) == draft
