"""Fit the QE combination on shared data and write `mt/data/qe_weights.json`.

Training pairs: FLORES devtest sources with candidate translations of varied quality (pass several
hypothesis files, e.g. the naive and product outputs of `python -m bench.mt --save DIR`). Target:
sentence chrF/100 against the reference. One least-squares linear model per available feature set
(standardised features), so QE still works where a backend cannot score (no log-probabilities) or no
embedder is installed. WMT19 is never used here: it is where the fit is tested.

With `--alternative FILE` (a different system's translations of SRC, e.g. the 0.5B model's) the
consensus feature is fitted too. With `--agreement FILE` (one number per line: each best-quality draft's
agreement with its other candidates, for a single --hyp of best-quality drafts) the agreement feature is;
`--only-with agreement --write` then adds just the models using it to the weights already written,
leaving the others as they were fitted.

With `--heldout SRC:REF:HYP` (repeatable: another set's sources, references and one system's
translations) each fitted model is tested there: the Spearman of its estimate with sentence chrF,
features by forced decoding as `zhen qe` computes them. Sources are cleaned as article sentences are.

Usage: python -m bench.fit_qe --src SRC --ref REF --hyp FILE [--hyp FILE ...] [--alternative FILE]
       [--agreement FILE] [--only-with FEATURE] [--heldout SRC:REF:HYP ...] [--write]
"""

from __future__ import annotations

import argparse
import itertools
import json
from pathlib import Path

import numpy as np
from scipy.stats import spearmanr

from zhen.app import factory
from zhen.app.quality import embedding_similarity
from zhen.eval.files import read_lines
from zhen.eval.metrics import sentence_scores
from zhen.mt.glossary import base
from zhen.mt.pipeline import normalise_lines
from zhen.mt.quality.qe import FEATURES, QualityEstimator

OUT = Path(__file__).resolve().parent.parent / "mt" / "data" / "qe_weights.json"


def fit(rows: list[dict[str, float]], target: np.ndarray, names: tuple[str, ...]) -> dict:
    x = np.array([[r[k] for k in names] for r in rows])
    mean, std = x.mean(0), x.std(0) + 1e-9
    z = (x - mean) / std
    a = np.hstack([z, np.ones((len(z), 1))])
    coef, *_ = np.linalg.lstsq(a, target, rcond=None)
    pred = a @ coef
    return {"coef": dict(zip(names, coef[:-1].round(6).tolist())), "bias": round(float(coef[-1]), 6),
            "mean": dict(zip(names, mean.round(6).tolist())), "std": dict(zip(names, std.round(6).tolist())),
            "train_spearman": round(float(spearmanr(pred, target).statistic), 4)}


def spearman_by_model(models: dict[str, dict], sources: list[str], drafts: list[str], refs: list[str],
                      feats: list[dict[str, float]], length_ratio: float) -> dict[str, float]:
    """Each model's Spearman with sentence chrF over drafts whose features are given, scored as QE scores
    them (the checks' caps included); models needing a feature the drafts lack are left out."""
    target = sentence_scores(drafts, refs)
    out = {}
    for name, model in models.items():
        if all(k in f for f, d in zip(feats, drafts) if d.strip() for k in model["coef"]):
            qe = QualityEstimator(glossary=base(), weights={"length_ratio": length_ratio, "models": {name: model}})
            scores = [e.score for e in qe.judge(sources, drafts, feats)]
            out[name] = round(float(spearmanr(scores, target).statistic), 4)
    return out


def heldout_spearman(qe: QualityEstimator, spec: str) -> dict[str, float]:
    """Each fitted model's Spearman with sentence chrF on a held-out SRC:REF:HYP (blank drafts left out)."""
    src_path, ref_path, hyp_path = spec.split(":")
    src, ref = normalise_lines(read_lines(src_path)), read_lines(ref_path)
    hyps = read_lines(hyp_path)[: len(src)]
    keep = [i for i, h in enumerate(hyps) if h.strip()]
    sources, drafts = [src[i] for i in keep], [hyps[i] for i in keep]
    return spearman_by_model(qe.weights["models"], sources, drafts, [ref[i] for i in keep],
                             qe.features(sources, drafts), qe.weights["length_ratio"])


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--src", required=True)
    ap.add_argument("--ref", required=True)
    ap.add_argument("--hyp", action="append", required=True)
    ap.add_argument("--alternative", help="another system's translations of --src (consensus feature)")
    ap.add_argument("--agreement", help="per-line agreement of the (single) --hyp's best-quality drafts")
    ap.add_argument("--only-with", help="fit only the models using this feature, and merge them into the weights")
    ap.add_argument("--heldout", action="append", default=[], metavar="SRC:REF:HYP",
                    help="test each fitted model on another set's translations (Spearman with sentence chrF)")
    ap.add_argument("--write", action="store_true", help=f"write {OUT}")
    args = ap.parse_args()
    if args.agreement and len(args.hyp) != 1:
        ap.error("--agreement goes with exactly one --hyp")
    src, ref = normalise_lines(read_lines(args.src)), read_lines(args.ref)
    alts = read_lines(args.alternative)[: len(src)] if args.alternative else None
    agreements = [float(x) if x.strip() else None for x in read_lines(args.agreement)] if args.agreement else None
    ratio = float(np.median([len(e) / max(1, len(z)) for z, e in zip(src, ref)]))
    weights = {"length_ratio": round(ratio, 4), "models": {}}
    qe = QualityEstimator(factory.translator(), embedding_similarity(factory.embedder()), weights=weights)
    rows, target = [], []
    for path in args.hyp:
        hyps = read_lines(path)[: len(src)]
        keep = [i for i, h in enumerate(hyps) if h.strip()]
        feats = qe.features([src[i] for i in keep], [hyps[i] for i in keep],
                            alternatives=[alts[i] for i in keep] if alts else None,
                            agreements=[agreements[i] for i in keep] if agreements else None)
        rows += feats
        target += [s / 100 for s in sentence_scores([hyps[i] for i in keep], [ref[i] for i in keep])]
    y = np.array(target)
    for n in range(1, len(FEATURES) + 1):
        for names in itertools.combinations(FEATURES, n):
            have = [j for j, r in enumerate(rows) if all(k in r for k in names)]  # e.g. agreement: translated lines
            if "length" in names and len(have) > len(rows) // 2 and (args.only_with is None or args.only_with in names):
                weights["models"]["+".join(names)] = fit([rows[j] for j in have], y[have], names)
    trained_on = {"src": args.src, "hyps": args.hyp, "alternative": args.alternative, "agreement": args.agreement,
                  "pairs": len(rows)}
    if args.only_with:  # the other models stay as fitted; the new ones say what they were fitted on
        merged = json.loads(OUT.read_text(encoding="utf-8"))
        for name, model in weights["models"].items():
            merged["models"][name] = {**model, "trained_on": trained_on}
        weights = merged
    else:
        weights["trained_on"] = trained_on
    print(json.dumps(weights, indent=1))
    for spec in args.heldout:
        print(json.dumps({"heldout": spec, "spearman_vs_sentence_chrf": heldout_spearman(qe, spec)}))
    if args.write:
        OUT.write_text(json.dumps(weights, indent=1) + "\n", encoding="utf-8")


if __name__ == "__main__":
    main()
