import re

import pytest

from tests.conftest import article, runtime_for, tagger
from zhen import config
from zhen.app.translate import translate_article
from zhen.mt.base import Request, Translator
from zhen.mt.faithful.checks import check, missing_numbers, romanise
from zhen.mt.faithful.names import find_names
from zhen.mt.glossary import base, load_csv, load_tbx, missing_terms
from zhen.mt.memory import TranslationMemory
from zhen.mt.pipeline import Pipeline
from zhen.text.decode import read_text
from zhen.text.document import parse_article


class EchoTranslator(Translator):
    """Deterministic stand-in: 'EN(<source>)' with the Chinese romanised; counts calls."""

    name = "echo"

    def __init__(self):
        self.seen: list[Request] = []

    def translate(self, requests):
        self.seen += list(requests)
        return [f"EN {r.source} " + " ".join(t.target for t in r.terms) for r in requests]


def test_glossary_longest_match_csv_and_tbx():
    g = load_csv("source,target\n浙江大学,Zhejiang University\n浙江大学医学院,Zhejiang University School of Medicine\n")
    assert [t.target for t in g.find("浙江大学医学院和浙江大学")] == ["Zhejiang University School of Medicine",
                                                                    "Zhejiang University"]
    tbx = """<martif type="TBX"><text><body><termEntry><langSet xml:lang="zh"><tig><term>醫聯體</term></tig></langSet>
    <langSet xml:lang="en"><tig><term>medical alliance</term></tig></langSet></termEntry></body></text></martif>"""
    t = load_tbx(tbx)
    assert t.find("医联体建设")[0].target == "medical alliance"  # Traditional entries normalised too
    assert missing_terms(t.find("医联体"), "The Medical Alliance grew") == []
    assert len(base()) > 40


def test_names_from_titles_in_pinyin():
    terms = {t.source: t.target for t in find_names("威海市卫生健康委员会党组成员、副主任杜山鹏主持活动并讲话。院长樊嘉院士")}
    assert terms["杜山鹏"] == "Du Shanpeng"
    assert terms["樊嘉"] == "Fan Jia"


def test_checks_numbers_months_cjk_runaway():
    assert missing_numbers("12月22日上午，40余位专家", "On the morning of December 22, more than 40 experts") == []
    assert missing_numbers("电话0631-5312827", "phone 0631-5312827") == []
    assert missing_numbers("1,000人", "1000 people") == []
    assert missing_numbers("2015年斩获76个项目", "won 67 projects in 2015") == ["76"]
    assert "cjk_in_output" in check("平湖", "Shanghai Ninth人民医院")
    assert "runaway" in check("好", "very good " * 100)
    assert romanise("Shanghai Ninth人民医院") == "Shanghai NinthRenminyiyuan"


def test_pipeline_memory_passthrough_empty_and_long(tmp_path):
    tm = TranslationMemory(tmp_path / "tm.sqlite")
    echo = EchoTranslator()
    pipe = Pipeline(echo, tm)
    long = "医" * 5000
    names = "被告的姓名分别是 Baba Kanjar、Bhutha Kanjar、Rampro Kanjar 和 Vishnu Kanjar。"  # mostly Latin letters
    drafts = pipe.translate(["浙江医院很好。", "", "COVID-19 2020", long, "控制\x07字符", names])
    assert drafts[0].draft.startswith("EN 浙江医院很好。") is False  # romanised: no Chinese left
    assert not re.search(r"[\u4e00-\u9fff]", drafts[0].draft)
    assert "Zhejiang Hospital" in drafts[0].draft
    assert drafts[1].flags == ["empty_source"] and drafts[1].draft == ""
    assert drafts[2].draft == "COVID-19 2020" and "no_chinese" in drafts[2].flags
    assert "no_chinese" not in drafts[5].flags and not re.search(r"[\u4e00-\u9fff]", drafts[5].draft)
    assert all(len(r.source) <= 400 for r in echo.seen)  # the 5,000-character line was chunked
    n_calls = len(echo.seen)
    again = pipe.translate(["浙江医院很好。"])
    assert len(echo.seen) == n_calls and again[0].cached and again[0].draft == drafts[0].draft


def test_document_translation_skips_boilerplate_and_passes_title():
    echo = EchoTranslator()
    doc = parse_article(read_text(article("004")))
    drafts = Pipeline(echo).translate_document(doc)
    kinds = {d.kind for d in drafts}
    assert "boilerplate" not in kinds and "meta" not in kinds
    title = doc.title()
    assert all(r.title == title for r in echo.seen if r.source != title)
    with_boiler = Pipeline(EchoTranslator()).translate_document(doc, include_boilerplate=True)
    assert len(with_boiler) > len(drafts)


# --- real model -----------------------------------------------------------------------------------

CJK = re.compile(r"[\u3400-\u9fff\uf900-\ufaff]")


_DRAFTS: dict[str, list] = {}


def _seed_drafts(prefix, translator):
    if prefix not in _DRAFTS:
        _DRAFTS[prefix] = translate_article(runtime_for(translator), read_text(article(prefix))).segments
    return _DRAFTS[prefix]


@pytest.mark.model
@pytest.mark.slow
@pytest.mark.parametrize("prefix", ["001", "002", "003", "004"])
def test_seed_articles_translate_without_chinese(prefix, translator):
    drafts = _seed_drafts(prefix, translator)
    assert drafts and all(d.draft for d in drafts)
    assert not any(CJK.search(d.draft) for d in drafts)


@pytest.mark.model
@pytest.mark.slow
@pytest.mark.parametrize("prefix", ["001", "002", "003", "004"])
def test_seed_articles_keep_every_number(prefix, translator):
    drafts = _seed_drafts(prefix, translator)
    lost = [(d.source, d.draft, d.reasons) for d in drafts if any(f.startswith("numbers_missing") for f in d.reasons)
            and "damaged" not in d.reasons]
    assert not lost, lost


@pytest.mark.model
def test_a_llama_cpp_built_with_amx_loads_without_its_tile_buffers(tmp_path, monkeypatch):
    """On a CPU whose AMX tiles fault, a native llama.cpp build crashed the process on its first decode
    (SIGSEGV in ggml_backend_amx_mul_mat). Builds that report AMX load without the extra buffer types, and
    the library's defaults are left as they were; other builds keep them."""
    import llama_cpp
    from tiny_models import build_tiny_gguf

    from zhen.models import presets
    from zhen.mt.backends.llamacpp import load_llama

    tiny = str(build_tiny_gguf(tmp_path / "tiny.gguf", presets.get(presets.DEFAULT_TRANSLATOR).path(config.models_dir())))
    defaults = llama_cpp.llama_cpp.llama_model_default_params
    info = llama_cpp.llama_print_system_info().replace(b"AMX_INT8 = 1 | ", b"")
    monkeypatch.setattr(llama_cpp, "llama_print_system_info", lambda: info + b"AMX_INT8 = 1 | ")
    llm = load_llama(tiny, 1)
    assert llm.model_params.use_extra_bufts is False
    assert llama_cpp.llama_cpp.llama_model_default_params is defaults
    assert llama_cpp.llama_cpp.llama_model_default_params().use_extra_bufts is True
    assert llm.create_completion("Hello", max_tokens=2)["usage"]["completion_tokens"] >= 1
    monkeypatch.setattr(llama_cpp, "llama_print_system_info", lambda: info)
    assert load_llama(tiny, 1).model_params.use_extra_bufts is True


@pytest.mark.model
def test_presplit_keeps_line_count(translator, tmp_path):
    from zhen.app.translate import translate_presplit

    src = tmp_path / "in.zh"
    src.write_text("浙江医院成立于1954年。\n\n世界卫生组织表示，病毒已传播到3个国家。\nCOVID-19\n", encoding="utf-8")
    out = tmp_path / "out.en"
    assert translate_presplit(runtime_for(translator), str(src), str(out)) == 4
    lines = out.read_text(encoding="utf-8").split("\n")
    assert len(lines) == 5 and lines[-1] == ""
    assert "1954" in lines[0] and lines[1] == "" and lines[3] == "COVID-19"
    assert "3" in lines[2] or "three" in lines[2].lower()  # the model may spell small numbers out


def test_spelled_out_small_numbers_count_as_kept():
    from zhen.mt.faithful.checks import missing_numbers

    assert missing_numbers("医院有3个院区，第2次会议在2019年召开。", "The hospital's three campuses held the second "
                           "meeting in 2019.") == []
    assert missing_numbers("共有35人。", "Thirty-five people.") == ["35"]  # only 0-20 are accepted as words
    # 万 / 亿 multiply: English states the product
    assert missing_numbers("接诊1.5万人次，投资3亿元。", "15,000 visits and 300 million yuan.") == []
    assert missing_numbers("服务150万人。", "It serves 1.5 million people.") == []
    assert missing_numbers("服务150万人。", "It serves many people.") == ["150"]


def test_a_draft_that_lost_a_number_is_asked_for_again():
    from zhen.mt.base import Translator

    class Forgetful(Translator):
        name = "forgetful"

        def __init__(self):
            self.seen = []

        def translate(self, requests):
            self.seen += list(requests)
            return ["The hospital opened in 1954 with 120 beds." if r.task == "post-edit"
                    else "The hospital opened with 120 beds." for r in requests]

    t = Forgetful()
    (d,) = Pipeline(t, memory=None, use_base_glossary=False).translate(["医院于1954年开业，有120张床位。"])
    assert d.draft == "The hospital opened in 1954 with 120 beds."
    assert "repaired" in d.flags and not any(f.startswith("numbers_missing") for f in d.flags)
    # both forms are asked in one call: the correction (used, it mends the draft) and a fresh translation
    retry, fresh = t.seen[1:]
    assert retry.task == "post-edit" and "1954" in retry.hint and retry.draft == "The hospital opened with 120 beds."
    assert fresh.task == "translate" and "1954" in fresh.hint and fresh.draft is None


def test_follow_ups_are_asked_as_outputs_arrive_and_kept_in_the_memory(tmp_path):
    """`run_following` asks for follow-ups (re-asks) with each output, answers them through the memory like
    any request, and asks again for those of outputs the memory already had."""
    from zhen.store import Store

    class Echo(Translator):
        name = "echo"

        def __init__(self):
            self.calls = []

        def translate(self, requests):
            self.calls.append([r.source for r in requests])
            return [("fixed: " if r.task == "post-edit" else "") + r.source for r in requests]

    def follow(i, out):
        return [Request(out.text, task="post-edit", draft=out.text)] if "again" in out.text else []

    t = Echo()
    pipe = Pipeline(t, memory=TranslationMemory(Store(tmp_path / "m.sqlite")), use_base_glossary=False)
    requests = [Request("one"), Request("ask again"), Request("three")]
    outs, more = pipe.run_following(requests, follow)
    assert [o.text for o in outs] == ["one", "ask again", "three"]
    assert [o.text for o in more] == ["fixed: ask again"] and not more[0].cached
    assert t.calls == [["one", "ask again", "three"], ["ask again"]]
    outs, more = pipe.run_following(requests, follow)  # everything from the memory, follow-ups included
    assert all(o.cached for o in outs + more) and [o.text for o in more] == ["fixed: ask again"]
    assert len(t.calls) == 2


def test_prompt_lookup_drafts_what_followed_the_outputs_last_words():
    """The draft is what followed the output's last n-gram in the input (the longest n that matches, its
    last occurrence); no n-gram of two tokens in common, no draft."""
    from zhen.mt.backends.llamacpp_engine import lookup_draft

    source = [1, 2, 3, 4, 5, 6, 2, 3, 9, 10]
    assert lookup_draft(source, [7, 2, 3], 2) == [9, 10]  # the last "2 3" of the source
    assert lookup_draft(source, [1, 2, 3], 3) == [4, 5, 6]  # "1 2 3" is longer than "2 3"
    assert lookup_draft(source, [9, 10], 4) == []  # nothing follows
    assert lookup_draft(source, [3], 4) == [] and lookup_draft(source, [8, 7], 4) == []


class SamplingTranslator(Translator):
    """A backend whose greedy output loses the source's number and whose samples differ in wording."""

    name = "sampling"

    def translate(self, requests):
        return [c[0][0] for c in self.translate_candidates(requests, 1)]

    def translate_candidates(self, requests, n):
        pool = ["The hospital has campuses.", "The hospital has 3 campuses.", "The hospital runs 3 campuses.",
                "The hospital has 3 campus sites."]
        return [[(t, -0.1 * k) for k, t in enumerate(pool[:n])] for _ in requests]


def test_best_quality_refuses_candidates_that_fail_the_checks_then_takes_the_consensus(tmp_path):
    """Best quality: a candidate that lost a number is refused however likely; among the rest, the one that
    agrees most with all others (MBR with chrF) wins; its agreement and the other candidates come with the
    draft, and the memory keeps best-quality answers apart from default ones and returns them whole."""
    from zhen.mt.quality import mbr

    choice = mbr.choose(["a b c", "a b c d", "x y z"], [0, 0, 0])
    assert choice.index == 1 and choice.ranking[-1] == 2 and 0 < choice.agreement < 1  # the outlier ranks last
    assert mbr.choose(["same", "same"], [1, 0]).index == 1  # fewer faults first, whatever the agreement
    assert mbr.choose(["only"], [0]).agreement is None
    # a sample that agrees with the others barely more than the greedy output does (here: one letter
    # longer, which chrF's recall weighting favours) does not replace it
    near = ["The hospital opened its new ward in 1954.", "The hospital opened its new wards in 1954."]
    util = mbr.utilities(near)
    assert util[1] > util[0] and util[1] - util[0] < mbr.GREEDY_MARGIN and mbr.choose(near, [0, 0]).index == 0
    assert mbr.choose(near, [1, 0]).index == 1  # but fewer faults still come first

    tm = TranslationMemory(tmp_path / "tm.sqlite")
    greedy = Pipeline(SamplingTranslator(), memory=tm, tagger=None).translate(["医院有3个院区。"])[0]
    assert greedy.draft == "The hospital has campuses." and greedy.agreement is None  # default: one candidate
    best = Pipeline(SamplingTranslator(), memory=tm, tagger=None, candidates=4).translate(["医院有3个院区。"])[0]
    assert best.draft == "The hospital has 3 campuses." and not best.cached
    assert 0 < best.agreement < 1 and best.alternatives[-1] == "The hospital has campuses."  # refused: last
    again = Pipeline(SamplingTranslator(), memory=tm, tagger=None, candidates=4).translate(["医院有3个院区。"])[0]
    assert again.cached and (again.draft, again.agreement, again.alternatives) == (best.draft, best.agreement,
                                                                                    best.alternatives)


@pytest.mark.model
def test_prompt_lookup_verifies_copied_tokens_and_keeps_the_greedy_output(translator):
    """Rewriting copies most of its input: with prompt lookup most looked-up tokens are confirmed, and the
    output is the greedy output. (llama.cpp's sums depend on the batch's shape, so a near-tie may break the
    other way when the steps differ; the rewrites here have none, measured 6 of 6 alike, and one may.)"""
    sentences = ["the hospital was founded in 1954 , after 66 years of hardships and constantly pioneering.",
                 "on 3 march , director wang said we will strengthen the cooperation with zhejiang university.",
                 "the new building have 1,200 beds and 32 operating room.",
                 "more than 3000 staff attend the meeting in the big hall of the hospital."]
    requests = [Request(s, task="rewrite") for s in sentences]
    engine = translator.engine
    saved = engine.prompt_lookup, engine.accepted, engine.drafted
    try:
        engine.prompt_lookup = False
        plain = translator.translate(requests)
        engine.prompt_lookup, engine.accepted, engine.drafted = True, 6, 10
        looked_up = translator.translate(requests)
        confirmed, verified = engine.accepted - 6, engine.drafted - 10
    finally:
        engine.prompt_lookup, engine.accepted, engine.drafted = saved
    assert verified > 20 and confirmed / verified > 0.5, (confirmed, verified)
    assert sum(a == b for a, b in zip(plain, looked_up)) >= 3, list(zip(plain, looked_up))
    assert all(out.strip() and not re.search(r"[\u4e00-\u9fff]", out) for out in looked_up)


@pytest.mark.model
def test_a_rewrite_scores_its_input_as_its_prompt_is_evaluated(translator):
    """The fluency of English before polishing comes with its rewrite: the text a rewrite was handed is
    scored while its prompt is evaluated, so asking for it afterwards costs no pass, and it is what a pass
    of its own gives (up to llama.cpp's sums depending on the batch's shape)."""
    texts = ["the new building have 1,200 beds and 32 operating room.",
             "more than 3000 staff attend the meeting in the big hall of the hospital."]
    requests = [Request(t, task="rewrite") for t in texts]
    engine = translator.engine
    translator.input_scores.clear()
    alone = translator.score_inputs(requests)
    translator.translate(requests)
    evaluated = engine.evaluated
    with_rewrite = translator.score_inputs(requests)
    assert engine.evaluated == evaluated  # no pass: the rewrites' prompts gave them
    assert [len(x) for x in with_rewrite] == [len(x) for x in alone] and all(len(x) > 10 for x in alone)
    assert all(abs(sum(a) / len(a) - sum(b) / len(b)) < 0.05 for a, b in zip(alone, with_rewrite))
    assert all(max(a) <= 0 for a in with_rewrite)


@pytest.mark.model
def test_a_prompt_without_a_title_is_evaluated_once_and_read_back_by_the_next_process(translator):
    """The instructions and examples every run starts with are kept, evaluated, in the cache folder: the
    next engine reads them instead of evaluating ~190 tokens, with the same output. A damaged file is
    evaluated again; an article's prompt (its title inside) is not kept."""
    engine = translator.engine
    requests = [Request("医院成立于1954年。"), Request("今天天气很好。")]
    kept = config.home() / "cache" / "prefix"

    def fresh_run(reqs):  # as a new process would: nothing evaluated in memory
        engine.prefix = []
        before = engine.evaluated
        return translator.translate(reqs), engine.evaluated - before

    first, cold = fresh_run(requests)
    files = list(kept.glob("*.kv"))
    assert len(files) == 1
    again, warm = fresh_run(requests)
    assert again == first and cold - warm >= len(engine.prefix) - 2 > 100
    files[0].write_bytes(files[0].read_bytes()[:4096])
    mended, evaluated = fresh_run(requests)
    assert mended == first and evaluated >= cold - 2
    fresh_run([Request("今天天气很好。", "浙江医院新闻")])
    assert list(kept.glob("*.kv")) == files


@pytest.mark.model
def test_follow_ups_join_the_running_batch_and_another_prompt_runs_after(translator, monkeypatch):
    """A re-ask asked as its draft is done is decoded in the same engine call, in a slot the batch's tail
    leaves free, not in a second call that decodes a few sequences one token per step; a follow-up on
    another prompt (an article's title in it) runs after."""
    engine = translator.engine
    calls = []
    generate = engine.generate

    def counting(suffixes, *args, **kwargs):
        calls.append(len(suffixes))
        return generate(suffixes, *args, **kwargs)

    monkeypatch.setattr(engine, "generate", counting)
    sources = ["医院成立于1954年。", "今天天气很好。", "医院现有1200张床位。"]

    def follow(i, text, lp):
        if i != 0:
            return []
        return [Request(sources[0], task="post-edit", draft=text, hint="Keep the year 1954."),
                Request(sources[0], "浙江医院新闻")]

    outs, more = translator.translate_following([Request(s) for s in sources], follow)
    assert calls == [3, 1]  # the correction joined the first call; the titled request ran in a second
    assert len(outs) == 3 and all(t and not re.search(r"[\u4e00-\u9fff]", t) for t, _ in outs)
    assert len(more) == 2 and all("1954" in t and lp is not None for t, lp in more)


@pytest.mark.model
def test_best_quality_candidates_share_the_prompt_and_keep_the_facts(translator):
    """Candidates: the greedy translation first, then epsilon samples forked from the one evaluated prompt
    (far fewer tokens than evaluating it per candidate); best quality then writes a draft that keeps the
    source's numbers, with its agreement and alternatives."""
    sources = ["浙江医院成立于1954年，现有床位1200张。", "医院党委书记在会上讲话，强调要加强学科建设。"]
    engine = translator.engine
    translator.translate([Request(sources[1])])  # the translation prompt's prefix in the cache, not counted below
    before = engine.evaluated
    cands = translator.translate_candidates([Request(s) for s in sources], 4)
    forked = engine.evaluated - before
    assert [len(c) for c in cands] == [4, 4]
    assert all(t.strip() and not re.search(r"[\u4e00-\u9fff]", t) for c in cands for t, _ in c)
    assert any(len({t for t, _ in c}) > 1 for c in cands)  # the samples are not all the greedy output
    before = engine.evaluated
    translator.translate([Request(s) for s in sources for _ in range(4)])  # the same work, prompt per candidate
    assert forked < engine.evaluated - before
    drafts = Pipeline(translator, memory=None, candidates=4, tagger=tagger()).translate(sources)
    assert not missing_numbers(sources[0], drafts[0].draft), drafts[0].draft
    assert all(d.agreement is not None and 0 <= d.agreement <= 1 for d in drafts)
