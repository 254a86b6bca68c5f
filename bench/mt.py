"""Naive, default and best translation on the same FLORES devtest (or WMT19) sentences, measured in one run; prints JSON.

naive:   one `create_chat_completion` per sentence, fixed system prompt, KV cache reset each time.
product: the default `Pipeline` over the llama.cpp backend (shared cached prefix, continuous batching,
         Chinese tokens banned, terminology, post-processing), translation memory off (cold run).
best:    with --best N, the same pipeline asking for N candidates per request (greedy + epsilon samples),
         chosen by the checks and MBR. The curve (chrF against the number of candidates k) replays the
         recorded candidates' first k through the whole pipeline, so each point is what best mode with k
         candidates would write; for each point, the Spearman correlation of the sentences' candidate
         agreement with their sentence chrF.

QE's Spearman with sentence chrF, per feature set (log-probability + length, with the mean of the least
likely tokens, with the source-draft embedding similarity, with the dictionary coverage): for the naive
drafts (everything by forced decoding, as `zhen qe` scores any given translation), for the default
drafts (the sets without the least likely tokens on the mean log-probability from generation, as the
review page shows it; those with them on forced decoding, as `zhen qe` would score the same drafts); for
best, without and with agreement.
QE's weights are fitted on FLORES[0:200] only (`bench.fit_qe`), so on WMT19, TICO-19 and FLORES past
line 200 these are held-out figures.

Usage: python -m bench.mt [--data flores|wmt19|tico19] [--n 50] [--offset 0] [--step 1] [--runs 1] [--best N]
       [--skip-naive] [--save DIR]
       (--save keeps naive.txt / product.txt / best.txt for `zhen eval`)
"""

from __future__ import annotations

import argparse
import json
import re
import statistics
import time
from collections.abc import Sequence
from typing import Any

import sacrebleu
from scipy.stats import spearmanr

from bench.fit_qe import spearman_by_model
from zhen import config
from zhen.app import factory
from zhen.app.quality import embedding_similarity
from zhen.models import presets
from zhen.mt.base import Request, Translator
from zhen.mt.glossary import base
from zhen.mt.memory import key
from zhen.mt.pipeline import Draft, Pipeline, normalise_lines
from zhen.mt.quality.qe import QualityEstimator, Similarity, default_weights

SYSTEM = "You are a professional Chinese-to-English translator. Translate the user's text into English. Output only the translation."
DATA = {"flores": ("flores200-devtest", "zho_Hans.devtest", "eng_Latn.devtest"),
        "wmt19": ("wmt19-newstest-zh-en", "newstest2019.zh", "newstest2019.en"),
        "tico19": ("tico19-test-zh-en", "tico19-test.zh", "tico19-test.en")}
CJK = re.compile(r"[\u3400-\u9fff\uf900-\ufaff]")


def naive_translate(llm: Any, sentences: list[str]) -> tuple[list[str], int]:
    """The naive path: one chat completion per sentence, fixed system prompt, KV cache reset each time;
    returns the outputs and the number of completion tokens."""
    outs, tokens = [], 0
    for s in sentences:
        llm.reset()
        r = llm.create_chat_completion([{"role": "system", "content": SYSTEM}, {"role": "user", "content": s}],
                                       temperature=0, max_tokens=320)
        outs.append(r["choices"][0]["message"]["content"].strip())
        tokens += r["usage"]["completion_tokens"]
    return outs, tokens


class Replay(Translator):
    """The real translator, remembering each request's candidates; asked again for k, it gives the first k."""

    def __init__(self, inner: Any) -> None:
        self.inner, self.name = inner, inner.name
        self.seen: dict[str, list[tuple[str, float | None]]] = {}

    def translate(self, requests: Sequence[Request]) -> list[str]:
        return [c[0][0] for c in self.translate_candidates(requests, 1)]

    def translate_scored(self, requests: Sequence[Request]) -> list[tuple[str, float | None]]:
        return [c[0] for c in self.translate_candidates(requests, 1)]

    def translate_candidates(self, requests: Sequence[Request], n: int) -> list[list[tuple[str, float | None]]]:
        keys = [key("", r) for r in requests]
        todo = [i for i, k in enumerate(keys) if len(self.seen.get(k, [])) < n]
        for i, cands in zip(todo, self.inner.translate_candidates([requests[i] for i in todo], n) if todo else []):
            self.seen[keys[i]] = cands
        return [self.seen[k][:n] for k in keys]

    def signature(self) -> str:
        return self.inner.signature()


def _spearman_with_chrf(scores: Sequence[float], drafts: Sequence[str], refs: Sequence[str]) -> float:
    chrf = [sacrebleu.sentence_chrf(h, [r]).score for h, r in zip(drafts, refs)]
    return round(float(spearmanr(scores, chrf).statistic), 3)


def _qe_spearman(drafts: list[Draft], refs: list[str]) -> dict[str, float]:
    """How well QE ranks best mode's drafts (Spearman with sentence chrF): without and with their agreement."""
    qe = QualityEstimator(None, None, base())
    src, hyp, lps = [d.source for d in drafts], [d.draft for d in drafts], [d.logprob for d in drafts]
    plain = [e.score for e in qe.estimate(src, hyp, lps)]
    agreed = [e.score for e in qe.estimate(src, hyp, lps, agreements=[d.agreement for d in drafts])]
    return {"logprob+length": _spearman_with_chrf(plain, hyp, refs),
            "with agreement": _spearman_with_chrf(agreed, hyp, refs)}


QE_SETS = ("logprob+length", "logprob+similarity+length", "logprob+lowest+length", "logprob+lowest+similarity+length",
           "logprob+coverage+length", "logprob+similarity+coverage+length", "logprob+lowest+coverage+length",
           "logprob+lowest+similarity+coverage+length")


def qe_spearman_by_features(translator: Translator, similarity: Similarity, sources: list[str], drafts: list[str],
                            refs: list[str], logprobs: Sequence[float | None] | None = None) -> dict[str, float]:
    """How well QE ranks one system's drafts with each feature set of QE_SETS. With `logprobs` (a product
    draft's, recorded while generating) the sets without `lowest` are scored on them, as QE scores a
    product draft; the sets with `lowest` always on forced decoding's values, as `zhen qe` scores any
    translation."""
    weights = default_weights()
    models = {k: m for k, m in weights["models"].items() if k in QE_SETS}
    forced = QualityEstimator(translator, similarity, base(), weights).features(sources, drafts)
    out = spearman_by_model({k: m for k, m in models.items() if "lowest" in k}, sources, drafts, refs, forced,
                            weights["length_ratio"])
    fast = forced if logprobs is None else QualityEstimator(None, similarity, base(), weights).features(
        sources, drafts, logprobs)
    out.update(spearman_by_model({k: m for k, m in models.items() if "lowest" not in k}, sources, drafts, refs,
                                 fast, weights["length_ratio"]))
    return out


def _score(name: str, outs: list[str], refs: list[str], seconds: float, tokens: int) -> dict:
    return {
        "path": name, "sentences": len(outs), "seconds": round(seconds, 2),
        "sentences_per_s": round(len(outs) / seconds, 3), "output_tokens_per_s": round(tokens / seconds, 2),
        "chrf": round(sacrebleu.corpus_chrf(outs, [refs]).score, 2),
        "bleu": round(sacrebleu.corpus_bleu(outs, [refs]).score, 2),
        "lines_with_cjk": sum(1 for o in outs if CJK.search(o)),
    }


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--n", type=int, default=50)
    ap.add_argument("--offset", type=int, default=0)
    ap.add_argument("--data", choices=sorted(DATA), default="flores", help="FLORES devtest, WMT19 newstest or TICO-19 test")
    ap.add_argument("--step", type=int, default=1, help="every k-th line from --offset (TICO-19 runs document by document)")
    ap.add_argument("--best", type=int, default=0, help="also best mode with this many candidates, and its curve")
    ap.add_argument("--skip-naive", action="store_true", help="leave out the naive path (it is the slowest)")
    ap.add_argument("--runs", type=int, default=1, help="naive and default this many times, alternating (medians)")
    ap.add_argument("--save", help="directory to write naive.txt, product.txt and best.txt into")
    args = ap.parse_args()
    folder, zh_name, en_name = DATA[args.data]
    d = config.shared_data() / "mt" / folder
    zh = (d / zh_name).read_text(encoding="utf-8").splitlines()[args.offset :: args.step][: args.n]
    en = (d / en_name).read_text(encoding="utf-8").splitlines()[args.offset :: args.step][: args.n]
    sources = normalise_lines(zh)  # cleaned as article sentences are: what the pipeline and QE read

    translator = factory.translator()
    llm = translator.llm  # the same weights serve the naive path
    report: dict[str, Any] = {"benchmark": "mt", "model": presets.DEFAULT_TRANSLATOR,
                              "data": f"{folder}[{args.offset}::{args.step}][:{len(zh)}]"}
    saved: dict[str, list[str]] = {}
    def tokens(lines: list[str]) -> int:
        return sum(len(llm.tokenize(o.encode(), add_bos=False)) for o in lines)

    # Naive and default alternate, run after run, so that both see the same moments of a noisy machine;
    # the times reported are medians, the speed-up their ratio, with each run's own ratio beside it.
    naive_s: list[float] = []
    prod_s: list[float] = []
    for _ in range(args.runs):
        if not args.skip_naive:
            t0 = time.perf_counter()
            saved["naive"], ntok = naive_translate(llm, zh)
            naive_s.append(time.perf_counter() - t0)
        t0 = time.perf_counter()
        drafts = Pipeline(translator, memory=None, tagger=factory.tagger()).translate(sources)
        prod_s.append(time.perf_counter() - t0)
    similarity = embedding_similarity(factory.embedder())
    if naive_s:
        report["naive"] = _score("naive", saved["naive"], en, statistics.median(naive_s), ntok)
        report["naive"]["qe_spearman_vs_sentence_chrf"] = qe_spearman_by_features(
            translator, similarity, sources, saved["naive"], en)
    saved["product"] = [x.draft for x in drafts]
    report["product"] = prod_res = _score("product", saved["product"], en, statistics.median(prod_s),
                                          tokens(saved["product"]))
    prod_res["qe_spearman_vs_sentence_chrf"] = qe_spearman_by_features(
        translator, similarity, [x.source for x in drafts], saved["product"], en, [x.logprob for x in drafts])
    if args.runs > 1:
        prod_res["runs_s"] = [round(t, 2) for t in prod_s]
    if naive_s:
        report["speedup_sentences_per_s"] = round(prod_res["sentences_per_s"] / report["naive"]["sentences_per_s"], 2)
        report["chrf_delta"] = round(prod_res["chrf"] - report["naive"]["chrf"], 2)
        if args.runs > 1:
            report["naive"]["runs_s"] = [round(t, 2) for t in naive_s]
            report["speedup_per_run"] = [round(n / p, 2) for n, p in zip(naive_s, prod_s)]
    if args.best > 1:
        replay = Replay(translator)
        t0 = time.perf_counter()
        best = Pipeline(replay, memory=None, candidates=args.best, tagger=factory.tagger()).translate(sources)
        dt = time.perf_counter() - t0
        saved["best"] = [x.draft for x in best]
        report["best"] = _score(f"best ({args.best} candidates)", saved["best"], en, dt, tokens(saved["best"]))
        report["best"]["seconds_per_sentence_vs_product"] = round(dt / prod_res["seconds"], 2)
        report["best"]["qe_spearman_vs_sentence_chrf"] = _qe_spearman(best, en)
        report["best_curve"] = []
        for k in sorted({1, 2, 4, args.best} & set(range(1, args.best + 1))):
            ds = Pipeline(replay, memory=None, candidates=k, tagger=factory.tagger()).translate(sources)
            point: dict[str, Any] = {"candidates": k,
                                     "chrf": round(sacrebleu.corpus_chrf([d.draft for d in ds], [en]).score, 2)}
            pairs = [(d.agreement, sacrebleu.sentence_chrf(d.draft, [r]).score) for d, r in zip(ds, en)
                     if d.agreement is not None]
            if len(pairs) > 2:
                point["agreement_spearman_vs_sentence_chrf"] = round(float(spearmanr(*zip(*pairs))[0]), 3)
            report["best_curve"].append(point)
    if args.save:
        from pathlib import Path

        out = Path(args.save)
        out.mkdir(parents=True, exist_ok=True)
        for name, lines in saved.items():
            (out / f"{name}.txt").write_text("".join(x.replace("\n", " ") + "\n" for x in lines), encoding="utf-8")
    print(json.dumps(report, indent=2))


if __name__ == "__main__":
    main()
