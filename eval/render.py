"""Write a report directory: report.json (the record), report.md (for diffs and chat), report.html (plots)."""

from __future__ import annotations

import base64
import html
import io
import json
from pathlib import Path

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
        rows.append([name, *(f"{s['scores'][m]['score']:.2f}" for m in METRIC_ORDER)])
    return rows


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
    for test, sig in report.get("significance", {}).items():
        lines += ["", f"## Significance ({test})", "", sig["statement"]]
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
    fig, ax = plt.subplots(figsize=(7, 3.5))
    width = 0.8 / len(names)
    for k, name in enumerate(names):
        vals = [systems[name]["scores"][m]["score"] for m in METRIC_ORDER]
        ax.bar([i + k * width for i in range(len(METRIC_ORDER))], vals, width, label=name)
    ax.set_xticks([i + width * (len(names) - 1) / 2 for i in range(len(METRIC_ORDER))], METRIC_ORDER)
    ax.set_title("Corpus scores (TER: lower is better)")
    ax.legend()
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
    e = html.escape
    body = [f"<h1>{e(to_markdown(report).splitlines()[0].lstrip('# '))}</h1>"]
    if report["kind"] == "align":
        body.append(_table([["score", "value"], *([k, f"{v:.4f}"] for k, v in report["scores"].items())]))
    else:
        body.append(_table(_scores_table(report)))
        for name, png in plots.items():  # inlined: the file can be mailed or archived on its own
            data = base64.b64encode(png).decode()
            body.append(f'<figure><img alt="{name} plot" src="data:image/png;base64,{data}"></figure>')
        for test, sig in report.get("significance", {}).items():
            body.append(f"<h2>Significance ({e(test)})</h2><p>{e(sig['statement'])}</p>")
        first = next(iter(report["systems"].values()))
        body.append("<h2>Signatures</h2><ul>" + "".join(
            f"<li>{m}: <code>{e(first['scores'][m]['signature'])}</code></li>" for m in METRIC_ORDER) + "</ul>")
        for name, s in report["systems"].items():
            rows = [["line", "chrF", "source", "reference", "hypothesis"]]
            rows += [[str(w["line"]), str(w["chrf"]), w["source"] or "", w["reference"], w["hypothesis"]]
                     for w in s["worst"]]
            body.append(f"<h2>{e(name)}: worst sentences</h2>" + _table(rows))
    body.append(f"<h2>Environment</h2><pre>{e(json.dumps(report['environment'], indent=1))}</pre>")
    style = ("body{font-family:sans-serif;max-width:1100px;margin:2em auto}table{border-collapse:collapse}"
             "td,th{border:1px solid #ccc;padding:3px 8px;vertical-align:top}img{max-width:100%}")
    return (f"<!doctype html><html><head><meta charset='utf-8'><title>zhen report</title><style>{style}</style>"
            f"</head><body>{''.join(body)}</body></html>")


def _table(rows: list[list[str]]) -> str:
    e = html.escape
    head = "".join(f"<th>{e(c)}</th>" for c in rows[0])
    body = "".join("<tr>" + "".join(f"<td>{e(c)}</td>" for c in r) + "</tr>" for r in rows[1:])
    return f"<table><tr>{head}</tr>{body}</table>"
