"""Naive vs product translation on the same FLORES devtest sentences, measured in one run; prints JSON.

naive:   one `create_chat_completion` per sentence, fixed system prompt, KV cache reset each time.
product: the `Pipeline` over the llama.cpp backend (shared cached prefix, continuous batching,
         Chinese tokens banned, terminology, post-processing), translation memory off (cold run).

Usage: python -m bench.mt [--n 50] [--offset 0] [--save DIR]   (--save keeps naive.txt / product.txt for `zhen eval`)
"""

from __future__ import annotations

import argparse
import json
import re
import time
from typing import Any

import sacrebleu

from zhen import config
from zhen.app import factory
from zhen.models import presets
from zhen.mt.pipeline import Pipeline, normalise_lines

SYSTEM = "You are a professional Chinese-to-English translator. Translate the user's text into English. Output only the translation."
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
    ap.add_argument("--save", help="directory to write naive.txt and product.txt into")
    args = ap.parse_args()
    d = config.shared_data() / "mt" / "flores200-devtest"
    zh = (d / "zho_Hans.devtest").read_text(encoding="utf-8").splitlines()[args.offset : args.offset + args.n]
    en = (d / "eng_Latn.devtest").read_text(encoding="utf-8").splitlines()[args.offset : args.offset + args.n]

    translator = factory.translator()
    llm = translator.llm  # the same weights serve the naive path
    t0 = time.perf_counter()
    naive, ntok = naive_translate(llm, zh)
    naive_res = _score("naive", naive, en, time.perf_counter() - t0, ntok)

    pipe = Pipeline(translator, memory=None)
    t0 = time.perf_counter()
    drafts = pipe.translate(normalise_lines(zh))
    dt = time.perf_counter() - t0
    product = [x.draft for x in drafts]
    ptok = sum(len(llm.tokenize(o.encode(), add_bos=False)) for o in product)
    prod_res = _score("product", product, en, dt, ptok)
    if args.save:
        from pathlib import Path

        out = Path(args.save)
        out.mkdir(parents=True, exist_ok=True)
        for name, lines in (("naive", naive), ("product", product)):
            (out / f"{name}.txt").write_text("".join(x.replace("\n", " ") + "\n" for x in lines), encoding="utf-8")
    print(json.dumps({
        "benchmark": "mt", "model": presets.DEFAULT_TRANSLATOR, "data": f"flores200-devtest[{args.offset}:{args.offset + args.n}]",
        "naive": naive_res, "product": prod_res,
        "speedup_sentences_per_s": round(prod_res["sentences_per_s"] / naive_res["sentences_per_s"], 2),
        "chrf_delta": round(prod_res["chrf"] - naive_res["chrf"], 2),
    }, indent=2))


if __name__ == "__main__":
    main()
