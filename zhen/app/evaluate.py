"""Use case: evaluate systems: translate a suite through the product (memory on) and score it; QE of
hypotheses against sentence chrF."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from contextlib import AbstractContextManager
from pathlib import Path

from zhen.app import factory
from zhen.app.quality import make_estimator
from zhen.app.translate import TranslateOptions, translate_sentences
from zhen.eval.files import check_parallel, read_lines, sha256
from zhen.eval.report import System, mt_report
from zhen.eval.suites import Suite
from zhen.mt.pipeline import Progress, normalise_lines


def translate_suite(suite: Suite, model: str | None, progress: Progress | None = None) -> System:
    """The product's drafts for every source line (the translate use case, memory on, so re-runs come
    from the model-output cache)."""
    runtime = factory.runtime(model=model)
    try:
        result = translate_sentences(runtime, suite.src, TranslateOptions(qe="none"), progress=progress)
        meta = {"model": model or "default", "signature": runtime.model(),
                "options": {"memory": True, "glossary": "built-in"}}
    finally:
        runtime.close()
    return System(model or "default", [s.draft.replace("\n", " ") for s in result.segments], meta)


def file_system(spec: str, n: int) -> System:
    """`NAME=FILE` or `FILE` (named by its stem): an existing hypothesis file as a system."""
    name, _, path = spec.rpartition("=") if "=" in spec else (Path(spec).stem, "", spec)
    hyps = read_lines(path)
    check_parallel({"reference": [""] * n, path: hyps})
    return System(name, hyps, {"file": path, "sha256": sha256(path)})


def run_suite(suite: Suite, models: Sequence[str | None], extra: Sequence[str] = (), out_dir: str | None = None,
              progress_factory: Callable[[str, int], AbstractContextManager[Progress]] | None = None) -> dict:
    """Translate with each model, add existing hypothesis files, score everything into one report."""
    systems = [file_system(spec, len(suite.src)) for spec in extra]
    for model in models:
        if progress_factory:
            with progress_factory(f"translating with {model or 'default'}", len(suite.src)) as update:
                systems.append(translate_suite(suite, model, update))
        else:
            systems.append(translate_suite(suite, model))
    report = mt_report(systems, suite.ref, suite.src, suite.docs, suite.describe())
    if out_dir:
        out = Path(out_dir)
        out.mkdir(parents=True, exist_ok=True)
        for s in systems:  # hypotheses kept so anyone can re-score them with the sacrebleu CLI
            (out / f"hyp.{s.name}.txt").write_text("\n".join(s.hyps) + "\n", encoding="utf-8")
    return report


def qe_scores(srcs: list[str], systems: Sequence[System],
              alternatives: list[str] | None = None) -> dict[str, list[float]]:
    """QE of every system's hypotheses with the default model (for the QE-vs-chrF correlation)."""
    translator = factory.translator()
    try:
        qe = make_estimator(translator)
        src = normalise_lines(srcs)
        return {s.name: [e.score for e in qe.estimate(src, s.hyps, alternatives=alternatives)] for s in systems}
    finally:
        translator.close()
