"""Paired significance tests between systems, by sacrebleu's own implementation.

Paired bootstrap resampling (Koehn 2004) gives each system a mean and 95% confidence interval and a
p-value against the baseline; paired approximate randomisation (Riezler & Maxwell 2005) gives the
p-value with fewer assumptions. The first system is the baseline.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import asdict, dataclass
from typing import Any

from sacrebleu.significance import PairedTest

from zhen.eval.metrics import make


@dataclass
class Comparison:
    system: str
    metric: str
    score: float
    p_value: float | None  # against the baseline; None for the baseline itself
    mean: float | None = None  # bootstrap only: resampled mean and 95% CI half-width
    ci: float | None = None

    def to_dict(self) -> dict:
        return asdict(self)


def paired_test(systems: dict[str, Sequence[str]], refs: Sequence[str], test: str = "bs",
                metrics: Sequence[str] = ("bleu", "chrf"),
                n_samples: int = 1000) -> tuple[dict[str, str], list[Comparison]]:
    """(signatures per metric, one Comparison per system and metric); `test` is 'bs' or 'ar'.

    Resampling is seeded by sacrebleu (SACREBLEU_SEED, default 12345), so reruns give the same p-values.
    """
    if len(systems) < 2:
        raise ValueError("a significance test needs at least two systems")
    if test not in ("bs", "ar"):
        raise ValueError("test must be 'bs' (bootstrap) or 'ar' (approximate randomisation)")
    named: list[tuple[str, Sequence[str]]] = [(name, list(h)) for name, h in systems.items()]
    ms = {name: make(name) for name in metrics}
    tester = PairedTest(named, ms, [list(refs)], test_type=test, n_samples=n_samples)
    sigs, results = tester()
    keys = [k for k in results if k != "System"]  # sacrebleu's names ("BLEU", "chrF2"), in our order
    rows: list[Comparison] = []
    for i, name in enumerate(results["System"]):
        for metric, k in zip(metrics, keys):
            r = results[k][i]
            assert not isinstance(r, str)  # the "System" column holds names; every other column results
            rows.append(Comparison(str(name), metric, float(r.score), _num(r.p_value), _num(r.mean), _num(r.ci)))
    return {m: str(sigs[k]) for m, k in zip(metrics, keys)}, rows


def _num(x: Any) -> float | None:  # noqa: ANN401 - numpy scalar, float or None
    return None if x is None else float(x)  # numpy scalars → plain floats for JSON
