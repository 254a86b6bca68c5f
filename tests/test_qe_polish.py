import json

import pytest
from click.testing import CliRunner
from conftest import article

from zhen.cli import main
from zhen.mt.base import Translator
from zhen.mt.faithful.repair import document_names, is_pinyin_word, known_fixes, repair
from zhen.mt.pipeline import Pipeline
from zhen.mt.polish import polish_with_source
from zhen.mt.quality.facts import extract
from zhen.mt.quality.qe import Estimate, QualityEstimator, default_weights


def test_repairs_fix_mechanics_and_never_facts():
    names = document_names(["He met Chen Xudong of Zhejiang University in Sandun."])
    assert {"chen", "xudong", "zhejiang", "sandun"} <= names
    s = 'we were cooperation with zhejiang university ," Zhejiang Hospital "officially opened in sandun on 29 December 2020.'
    out = repair(s, names)
    assert out.startswith("We were cooperation with Zhejiang University,")
    assert '"Zhejiang Hospital" officially' in out and "Sandun" in out
    assert extract(s).missing_in(out) == []
    assert "medical care, teaching and research" in repair("promote YiJiaoYan development", set())
    # common English words that happen to split into pinyin syllables are never capitalised
    assert is_pinyin_word("zhejiang") and is_pinyin_word("change")
    assert "medicine" not in document_names(["the School of Medicine said", "modern medicine"])


def test_facts_catch_lost_numbers_months_and_names():
    f = extract("On June 28, 2018, Director Zhang Ping opened the Sandun campus with 66 beds.")
    assert {"28", "2018", "66"} <= set(f.numbers) and f.months == ["June"]
    assert {"Zhang", "Ping", "Sandun"} <= set(f.names) and "On" not in f.names
    assert f.missing_in("In June 2018 Zhang Ping opened the campus at Sandun with 66 beds.") == ["28"]
    assert f.missing_in("on june 28, 2018, zhang ping opened sandun with 66 beds") == []


def test_qe_checks_cap_the_score_and_say_why():
    qe = QualityEstimator()
    good, empty, cjk, lost = qe.estimate(
        ["医院有3个院区。"] * 4, ["The hospital has 3 campuses.", "", "The 医院 has 3 campuses.", "The hospital has campuses."])
    assert empty.score == 0.0 and "empty" in empty.reasons
    assert cjk.score <= 0.3 and "cjk_in_output" in cjk.reasons
    assert lost.score <= 0.5 and any(r.startswith("numbers_missing") for r in lost.reasons)
    assert 0 <= good.score <= 1 and not good.reasons
    w = default_weights()
    assert "logprob+similarity+length" in w["models"] and w["trained_on"]["pairs"] >= 200


def test_qe_reads_a_short_draft_as_an_omission_and_caps_implausible_lengths():
    """Length is signed: with equal log-probabilities, a draft that left half the sentence out scores lower
    than the whole translation (recall is what sentence chrF and readers miss), and a draft of implausible
    length either way is capped and says why."""
    src = ["世界卫生组织周二表示，该病毒已在三个国家传播，并呼吁各国加强监测。"] * 4
    whole = "The World Health Organization said on Tuesday that the virus had spread to three countries and urged them to step up surveillance."
    short = "The World Health Organization said on Tuesday."
    rambling = whole + " " + " ".join(["It also said many other things about the virus and about the countries."] * 4)
    full, half, stub, long = QualityEstimator().estimate(src, [whole, short, "The WHO.", rambling], [-0.3] * 4)
    assert half.features["length"] < 0 < full.score - half.score
    assert "length_ratio" not in full.reasons + half.reasons
    for odd in (stub, long):
        assert "length_ratio" in odd.reasons and odd.score <= 0.5


def test_qe_reads_a_left_out_clause_from_the_dictionary():
    """Two drafts of the same length that the model finds equally likely: the one that renders the source's
    words (CC-CEDICT's glosses of 术后, 恢复, 昨日, 出院 …) scores above the fluent one that left the discharge
    out and says something else instead, and the feature says why."""
    src = ["患者术后恢复良好，已于昨日顺利出院。"] * 2
    whole = "The patient recovered well after the operation and was discharged from hospital yesterday."
    other = "The patient is recovering well, the hospital's doctors told reporters at a news conference."
    assert abs(len(whole) - len(other)) <= 2
    a, b = QualityEstimator().estimate(src, [whole, other], [-0.3, -0.3])
    assert a.features["coverage"] > b.features["coverage"] and a.score > b.score
    assert any("coverage" in name for name in default_weights()["models"])


def test_qe_consensus_with_a_second_system():
    """A candidate that agrees with another system's translation is trusted more than one that does not;
    the second system is called only where no alternative text is given."""
    src = ["世界卫生组织周二表示，该病毒已在三个国家传播。"] * 2
    cands = ["The WHO said on Tuesday the virus had spread to three countries.",
             "On Tuesday the organisation of health said virus is three countries spreading."]
    alt = ["The World Health Organization said on Tuesday that the virus had spread to three countries."] * 2
    agree, differ = QualityEstimator().estimate(src, cands, alternatives=alt)
    assert agree.features["consensus"] > differ.features["consensus"] and agree.score > differ.score
    calls = []

    def second(sources):
        calls.append(list(sources))
        return alt[: len(sources)]

    via_model = QualityEstimator(alternative=second).estimate(src, cands)
    assert calls == [src] and [e.score for e in via_model] == [agree.score, differ.score]
    assert "logprob+consensus+length" in default_weights()["models"]
    # with forced decoding's features and the coverage too, the consensus model still decides: a model of
    # more free features fitted without it would ignore the second system the caller asked for
    scorer = _Scorer({c: [-0.3] * 10 for c in cands})
    full = QualityEstimator(scorer).estimate(src, cands, alternatives=alt)
    assert {"lowest", "coverage", "consensus"} <= set(full[0].features) and full[0].score > full[1].score
    weights = {**default_weights()}
    weights["models"] = {k: v for k, v in weights["models"].items() if "consensus" not in k}
    ignored = QualityEstimator(scorer, weights=weights).estimate(src, cands, alternatives=alt)
    assert [e.score for e in full] != [e.score for e in ignored]


class _Table(Translator):
    """Translates and post-edits from fixed tables (a test double for the decision logic)."""

    name = "table"

    def __init__(self, new: dict[str, str], merged: dict[str, str]):
        self.new, self.merged = new, merged

    def translate(self, requests):
        return [self.merged.get(r.source, self.new[r.source]) if r.task == "post-edit" else self.new[r.source]
                for r in requests]


class _FixedQE(QualityEstimator):
    def __init__(self, scores: dict[str, float]):
        super().__init__()
        self.scores = scores

    def estimate(self, sources, candidates, logprobs=None):
        return [Estimate(self.scores[c]) for c in candidates]


def test_polish_with_source_keeps_replaces_merges_and_guards_numbers():
    pairs = [("甲。", "old good"), ("乙。", "old bad"), ("丙有5人。", "old 5 people"), ("丁。", "old close"),
             ("戊。", ""), ("", "orphan English")]
    new = {"甲。": "new a", "乙。": "new b", "丙有5人。": "new people", "丁。": "new d", "戊。": "new e"}
    merged = {"甲。": "merged a", "丁。": "merged d"}
    scores = {"old good": 0.8, "new a": 0.82, "merged a": 0.7, "old bad": 0.2, "new b": 0.7, "old 5 people": 0.3,
              "new people": 0.9, "old close": 0.5, "new d": 0.55, "merged d": 0.75, "new e": 0.6}
    pipe = Pipeline(_Table(new, merged), memory=None, use_base_glossary=False)
    out = polish_with_source(pairs, pipe, _FixedQE(scores))
    assert [p.action for p in out] == ["kept", "replaced", "kept", "merged", "added", "unaligned"]
    assert out[2].after == "old 5 people" and any("number" in r for r in out[2].reasons)  # 'new people' lost 5
    assert out[3].after == "merged d" and out[3].score_before == 0.5 and out[3].score_after == 0.75
    assert out[5].after == "orphan English"


@pytest.mark.model
def test_qe_cli_ranks_a_good_translation_above_a_bad_one(tmp_path):
    src, hyp = tmp_path / "src.zh", tmp_path / "hyp.en"
    src.write_text("世界卫生组织周二表示，该病毒已在三个国家传播。\n世界卫生组织周二表示，该病毒已在三个国家传播。\n", encoding="utf-8")
    hyp.write_text("The World Health Organization said on Tuesday that the virus had spread to three countries.\n"
                   "Bananas are yellow and the keyboard sings.\n", encoding="utf-8")
    res = CliRunner().invoke(main, ["qe", "--presplit", str(src), str(hyp)])
    assert res.exit_code == 0, res.output
    good, bad = (float(x) for x in res.stdout.split())
    assert 0 <= bad < good <= 1
    alt = tmp_path / "alt.en"
    alt.write_text("The WHO said on Tuesday that the virus has spread to three countries.\n" * 2, encoding="utf-8")
    res = CliRunner().invoke(main, ["qe", "--presplit", str(src), str(hyp), "--alternative", str(alt), "--format", "json"])
    assert res.exit_code == 0, res.output
    good, bad = (json.loads(x) for x in res.stdout.splitlines())
    assert good["features"]["consensus"] > bad["features"]["consensus"] and good["score"] > bad["score"]


@pytest.mark.model
@pytest.mark.slow
def test_polishing_000_without_source_keeps_every_fact(tmp_path):
    path = article("000")
    res = CliRunner().invoke(main, ["polish", "--english", str(path), "--format", "json"])
    assert res.exit_code == 0, res.output
    import json

    out = json.loads(res.stdout)
    before = extract(path.read_text(encoding="utf-8"))
    fixed = {wrong for wrong, _, _ in known_fixes()}  # e.g. "YiJiaoYan", replaced on purpose
    lost = [f for f in before.missing_in(out["text"]) if f not in fixed]
    assert lost == []  # every number, month and proper name survives
    actions = [s["action"] for s in out["sentences"]]
    assert "rewritten" in actions
    assert any("deterministic repairs" in s["reasons"] for s in out["sentences"])
    assert "YiJiaoYan" not in out["text"] and "zhejiang university" not in out["text"]
    for s in out["sentences"]:
        assert s["reasons"] or s["action"] == "kept"


def test_qe_uses_best_quality_agreement_and_falls_back_to_the_largest_fitted_model():
    """The agreement of a best-quality draft with its other candidates raises or lowers its estimate (a
    model fitted with it ships); a feature no model was fitted with is left out, not every other one."""
    qe = QualityEstimator()
    src, hyp = ["医院有3个院区。"] * 2, ["The hospital has 3 campuses."] * 2
    agree, differ = qe.estimate(src, hyp, [-0.3, -0.3], agreements=[0.9, 0.3])
    assert agree.score > differ.score and "agreement" in agree.features
    plain = qe.estimate(src[:1], hyp[:1], [-0.3])[0]
    assert "agreement" not in plain.features and 0 < plain.score < 1
    weights = {**default_weights()}
    weights["models"] = {k: v for k, v in weights["models"].items() if "agreement" not in k}
    without = QualityEstimator(weights=weights).estimate(src[:1], hyp[:1], [-0.3], agreements=[0.9])[0]
    assert without.score == plain.score  # logprob+length, not length alone


class _Scorer(Translator):
    """Forced decoding from a table: each candidate's per-token log-probabilities."""

    name = "scorer"

    def __init__(self, tokens: dict[str, list[float]]):
        self.tokens, self.calls = tokens, 0

    def translate(self, requests):
        raise AssertionError("QE only scores")

    def score(self, requests, candidates):
        self.calls += 1
        return [self.tokens[c] for c in candidates]


def test_full_qe_reads_where_the_doubt_sits_beside_the_mean():
    """Two drafts the model finds equally likely on average: the one whose doubt is spread over every token
    (a loose or garbled rendering) scores lower than the one whose doubt sits in a few tokens (a rare
    term carried over), as the weights fitted on FLORES say. Only forced decoding gives per-token values,
    so only `full` QE has the feature; without it the mean-only model is used."""
    src = ["患者接受了经皮冠状动脉介入治疗。"] * 2
    spread = "The patient received a treatment through the skin for the heart arteries."
    spiked = "The patient underwent a percutaneous coronary intervention at the clinic."  # same length
    assert len(spread) == len(spiked)
    tokens = {spread: [-0.4] * 10, spiked: [-0.05] * 7 + [-3.4, -0.2, -0.05]}
    assert abs(sum(tokens[spread]) / 10 - sum(tokens[spiked]) / 10) < 1e-9
    scorer = _Scorer(tokens)
    a, b = QualityEstimator(scorer).estimate(src, [spread, spiked])
    assert scorer.calls == 1 and a.features["logprob"] == b.features["logprob"]
    assert b.features["lowest"] < a.features["lowest"] and b.score > a.score
    fast = QualityEstimator().estimate(src[:1], [spread], [-0.4])[0]
    assert "lowest" not in fast.features and 0 < fast.score < 1
    assert "logprob+lowest+length" in default_weights()["models"]
