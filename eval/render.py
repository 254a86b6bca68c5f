"""Write a report directory: report.json (the record), report.md (for diffs and chat), report.html (plots)."""

from __future__ import annotations

import base64
import io
import json
from pathlib import Path

import jinja2

from zhen.eval.metrics import HIGHER_IS_BETTER

METRIC_ORDER = ("bleu", "chrf", "chrf++", "ter")


def write(report: dict, out_dir: str | Path) -> dict[str, Path]:
    """Write the three files (atomically each) and return their paths."""
    out = Path(out_dir)
    out.mkdir(parents=True, exist_ok=True)
    plots = _plots(report) if report["kind"] == "mt" else {}
    files = {
        "json": ("report.json", json.dumps(report, ensure_ascii=False, indent=1)),
        "md": ("report.md", to_markdown(report)),
        "html": ("report.html", to_html(report, plots)),
    }
    paths = {}
    for key, (name, text) in files.items():
        tmp = out / (name + ".tmp")
        tmp.write_text(text, encoding="utf-8")
        tmp.replace(out / name)
        paths[key] = out / name
    for name, png in plots.items():
        (out / f"{name}.png").write_bytes(png)
    return paths


def _scores_table(report: dict) -> list[list[str]]:
    rows = [["system", *METRIC_ORDER]]
    for name, s in report["systems"].items():
        ci = s.get("confidence", {})
        rows.append([name, *(f"{s['scores'][m]['score']:.2f}" + (f" ± {ci[m]['ci']:.2f}" if m in ci else "")
                             for m in METRIC_ORDER)])
    return rows


def significance_rows(report: dict) -> list[dict]:
    """Every system against the baseline on every metric: its score, the difference, each test's p-value,
    and whether the difference is significant at 0.05 by every test run (and which way)."""
    sig = report.get("significance", {})
    if not sig:
        return []
    tests = list(sig)
    baseline = sig[tests[0]]["baseline"]
    by: dict[tuple[str, str], dict[str, float | None]] = {}
    score: dict[tuple[str, str], float] = {}
    for test in tests:
        for r in sig[test]["rows"]:
            by.setdefault((r["system"], r["metric"]), {})[test] = r["p_value"]
            score[(r["system"], r["metric"])] = r["score"]
    out = []
    for (system, metric), ps in by.items():
        if system == baseline:
            continue
        delta = score[(system, metric)] - score[(baseline, metric)]
        values = [ps.get(t) for t in tests]
        out.append({"system": system, "metric": metric, "score": score[(system, metric)], "delta": delta,
                    "p": values, "better": (delta > 0) == HIGHER_IS_BETTER[metric],
                    "significant": all(p is not None and p < 0.05 for p in values)})
    return out


def to_markdown(report: dict) -> str:
    lines = []
    if report["kind"] == "align":
        lines += ["# Alignment evaluation", "", f"gold: `{report['gold']}`  ", f"pred: `{report['pred']}`", "",
                  "| score | value |", "|---|---|"]
        lines += [f"| {k} | {v:.4f} |" for k, v in report["scores"].items()]
        return "\n".join(lines) + "\n"
    suite = report.get("suite", {})
    lines += [f"# Translation evaluation: {suite.get('name', 'custom')} ({suite.get('lines', '?')} lines)", ""]
    rows = _scores_table(report)
    lines += ["| " + " | ".join(rows[0]) + " |", "|" + "---|" * len(rows[0])]
    lines += ["| " + " | ".join(r) + " |" for r in rows[1:]]
    lines += ["", "## Signatures", ""]
    first = next(iter(report["systems"].values()))
    lines += [f"- {m}: `{first['scores'][m]['signature']}`" for m in METRIC_ORDER]
    sig_rows = significance_rows(report)
    if sig_rows:
        tests = list(report["significance"])
        lines += ["", f"## Significance against {report['significance'][tests[0]]['baseline']}", "",
                  "| system | metric | score | Δ | " + " | ".join(f"p ({t})" for t in tests) + " | significant |",
                  "|" + "---|" * (5 + len(tests))]
        lines += [f"| {r['system']} | {r['metric']} | {r['score']:.2f} | {r['delta']:+.2f} | "
                  + " | ".join("–" if p is None else f"{p:.4f}" for p in r["p"])
                  + f" | {'yes, ' + ('better' if r['better'] else 'worse') if r['significant'] else 'no'} |"
                  for r in sig_rows]
        for test, sig in report["significance"].items():
            lines += ["", f"{test}: {sig['statement']}"]
    for name, s in report["systems"].items():
        lines += ["", f"## {name}: worst sentences (chrF)", ""]
        for w in s["worst"]:
            lines += [f"- line {w['line']} (chrF {w['chrf']}): {w['hypothesis']}  ", f"  ref: {w['reference']}"]
    lines += ["", "## Environment", "", "```", json.dumps(report["environment"], indent=1), "```"]
    return "\n".join(lines) + "\n"


def _png(fig) -> bytes:  # noqa: ANN001 - a matplotlib Figure
    buf = io.BytesIO()
    fig.savefig(buf, format="png", dpi=90, bbox_inches="tight")
    return buf.getvalue()


def _plots(report: dict) -> dict[str, bytes]:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    systems = report["systems"]
    names = list(systems)
    plots = {}
    # TER (an error rate, lower is better) on its own axis beside the scores where higher is better
    fig, (ax, ter) = plt.subplots(1, 2, figsize=(8, 3.5), gridspec_kw={"width_ratios": [3, 1]})
    width = 0.8 / len(names)
    better = [m for m in METRIC_ORDER if m != "ter"]
    for k, name in enumerate(names):
        conf = systems[name].get("confidence", {})
        vals = [systems[name]["scores"][m]["score"] for m in better]
        errs = [conf[m]["ci"] if m in conf else 0 for m in better]
        ax.bar([i + k * width for i in range(len(better))], vals, width, yerr=errs, capsize=3, label=name)
        ter.bar([k * width], [systems[name]["scores"]["ter"]["score"]], width,
                yerr=[conf["ter"]["ci"] if "ter" in conf else 0], capsize=3, label=name)
    ax.set_xticks([i + width * (len(names) - 1) / 2 for i in range(len(better))], better)
    ax.set_title("Corpus scores, 95% CI (higher is better)")
    ax.legend()
    ter.set_xticks([width * (len(names) - 1) / 2], ["ter"])
    ter.set_title("TER (lower is better)")
    plots["corpus"] = _png(fig)
    plt.close(fig)

    fig, ax = plt.subplots(figsize=(7, 3.5))
    ax.hist([systems[n]["sentence_chrf"] for n in names], bins=20, range=(0, 100), label=names)
    ax.set_xlabel("sentence chrF")
    ax.set_ylabel("sentences")
    ax.set_title("Sentence-score distribution")
    ax.legend()
    plots["sentences"] = _png(fig)
    plt.close(fig)

    if all("documents" in systems[n] for n in names):
        docs = systems[names[0]]["documents"]
        fig, ax = plt.subplots(figsize=(max(7, len(docs) * 0.25), 3.5))
        for name in names:
            ax.plot(range(len(docs)), [d["chrf"] for d in systems[name]["documents"]], marker="o", ms=3, label=name)
        ax.set_xlabel("document (in test-set order)")
        ax.set_ylabel("chrF")
        ax.set_title("Per-document chrF")
        ax.legend()
        plots["documents"] = _png(fig)
        plt.close(fig)
    return plots


def to_html(report: dict, plots: dict[str, bytes]) -> str:
    """The report as one HTML file (plots inlined, so it can be mailed or archived on its own), from the
    Jinja2 template: score table with confidence intervals, significance table, breakdowns, the
    two-system comparison and the searchable table of all sentences."""
    title = to_markdown(report).splitlines()[0].lstrip("# ")
    env = jinja2.Environment(loader=jinja2.PackageLoader("zhen.eval", "templates"), autoescape=True,
                             undefined=jinja2.StrictUndefined)
    if report["kind"] == "align":
        return env.get_template("align.html.j2").render(title=title, scores=report["scores"],
                                                         environment=json.dumps(report["environment"], indent=1))
    systems = report["systems"]
    sig = report.get("significance", {})
    analysis = report["analysis"]
    first = next(iter(systems.values()))
    return env.get_template("report.html.j2").render(
        title=title, metrics=METRIC_ORDER, systems=systems, analysis=analysis,
        plots={k: base64.b64encode(v).decode() for k, v in plots.items()},
        significance=sig, baseline=next(iter(sig.values()))["baseline"] if sig else None,
        significance_rows=significance_rows(report),
        test_names={"bs": "bootstrap", "ar": "approximate randomisation"},
        signatures={m: first["scores"][m]["signature"] for m in METRIC_ORDER},
        environment=json.dumps(report["environment"], indent=1),
        data={"sentences": analysis["sentences"], "ngrams": analysis["ngrams"]})
