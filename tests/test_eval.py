import json
import subprocess
import sys
from pathlib import Path

import pytest
from browser import screenshot
from click.testing import CliRunner

from zhen import config
from zhen.cli import main
from zhen.eval.report import System, mt_report

FLORES = config.shared_data() / "mt" / "flores200-devtest"
SACREBLEU = str(Path(sys.executable).parent / "sacrebleu")


def _lines(name: str, n: int) -> list[str]:
    return (FLORES / name).read_text(encoding="utf-8").splitlines()[:n]


def _degrade(lines: list[str], every: int) -> list[str]:
    """A deterministic worse 'system': every `every`-th word dropped."""
    return [" ".join(w for i, w in enumerate(s.split()) if (i + 1) % every) for s in lines]


@pytest.fixture()
def files(tmp_path):
    ref = _lines("eng_Latn.devtest", 200)
    src = _lines("zho_Hans.devtest", 200)
    paths = {"ref": tmp_path / "ref.en", "src": tmp_path / "src.zh", "a": tmp_path / "a.en", "b": tmp_path / "b.en"}
    for key, lines in (("ref", ref), ("src", src), ("a", _degrade(ref, 5)), ("b", _degrade(ref, 2))):
        paths[key].write_text("\n".join(lines) + "\n", encoding="utf-8")
    return paths


def test_scores_equal_the_sacrebleu_cli(files):
    res = CliRunner().invoke(main, ["eval", "mt", "--hyp", str(files["a"]), "--ref", str(files["ref"]),
                                    "--format", "json"])
    assert res.exit_code == 0, res.output
    ours = json.loads(res.stdout)
    cli = json.loads(subprocess.run([SACREBLEU, str(files["ref"]), "-i", str(files["a"]), "-m", "bleu", "chrf", "ter",
                                     "-w", "6"], capture_output=True, text=True, check=True).stdout)
    cli_pp = json.loads(subprocess.run([SACREBLEU, str(files["ref"]), "-i", str(files["a"]), "-m", "chrf",
                                        "--chrf-word-order", "2", "-w", "6"],
                                       capture_output=True, text=True, check=True).stdout)
    by_name = {d["name"]: d for d in cli}
    assert ours["bleu"] == pytest.approx(by_name["BLEU"]["score"], abs=1e-6)
    assert ours["chrf"] == pytest.approx(by_name["chrF2"]["score"], abs=1e-6)
    assert ours["ter"] == pytest.approx(by_name["TER"]["score"], abs=1e-6)
    assert ours["chrf++"] == pytest.approx(cli_pp["score"], abs=1e-6)
    assert by_name["BLEU"]["signature"].endswith(ours["signatures"]["bleu"])
    assert cli_pp["signature"].endswith(ours["signatures"]["chrf++"])


def test_two_systems_significance_and_text_output(files):
    res = CliRunner().invoke(main, ["eval", "mt", "--hyp", f"good={files['a']}", "--hyp", f"bad={files['b']}",
                                    "--ref", str(files["ref"]), "--format", "json"])
    assert res.exit_code == 0, res.output
    out = json.loads(res.stdout)
    assert set(out["systems"]) == {"good", "bad"}
    for test in ("bs", "ar"):
        rows = [r for r in out["significance"][test]["rows"] if r["system"] == "bad"]
        assert rows and all(r["p_value"] < 0.05 for r in rows)
        assert "significant at 0.05" in out["significance"][test]["statement"]
    text = CliRunner().invoke(main, ["eval", "mt", "--hyp", str(files["a"]), "--ref", str(files["ref"])]).stdout
    assert "BLEU|nrefs:1|" in text and "chrF2|nrefs:1|" in text


def test_systems_of_equal_quality_are_not_significantly_different(files):
    # Each system is better on half the sentences and worse on the other half: no real difference.
    refs = files["ref"].read_text(encoding="utf-8").splitlines()
    p, q = _degrade(refs, 5), _degrade(refs, 3)
    x = [p[i] if i % 2 else q[i] for i in range(len(refs))]
    y = [q[i] if i % 2 else p[i] for i in range(len(refs))]
    rep = mt_report([System("x", x), System("y", y)], refs, tests=("bs", "ar"))
    for test in ("bs", "ar"):
        rows = [r for r in rep["significance"][test]["rows"] if r["system"] == "y"]
        assert rows and all(r["p_value"] > 0.05 for r in rows), rows
        assert "not significant" in rep["significance"][test]["statement"]


@pytest.mark.parametrize("case", ["mismatch", "empty", "encoding"])
def test_wrong_inputs_name_file_and_line(files, tmp_path, case):
    bad = tmp_path / "bad.en"
    if case == "mismatch":
        bad.write_text("\n".join(files["a"].read_text(encoding="utf-8").splitlines()[:150]) + "\n", encoding="utf-8")
        expect = ["bad.en", "150 lines", "line 151"]
    elif case == "empty":
        bad.write_text("", encoding="utf-8")
        expect = ["bad.en", "empty"]
    else:
        bad.write_bytes("first line\nsecond line\n第三行\n".encode("gb18030"))
        expect = ["bad.en", "line 3", "UTF-8"]
    res = CliRunner().invoke(main, ["eval", "mt", "--hyp", str(bad), "--ref", str(files["ref"])])
    assert res.exit_code == 2
    for e in expect:
        assert e in res.output


def test_report_html_shows_plots_in_headless_chromium(files, tmp_path):
    out = tmp_path / "report"
    res = CliRunner().invoke(main, ["eval", "mt", "--hyp", f"good={files['a']}", "--hyp", f"bad={files['b']}",
                                    "--ref", str(files["ref"]), "--src", str(files["src"]), "--report", str(out)])
    assert res.exit_code == 0, res.output
    rep = json.loads((out / "report.json").read_text(encoding="utf-8"))
    assert rep["environment"]["sacrebleu"] and rep["suite"]["files"]
    assert "worst sentences" in (out / "report.md").read_text(encoding="utf-8")
    png = screenshot((out / "report.html").as_uri(), tmp_path / "shot.png", tmp_path)
    from PIL import Image

    img = Image.open(png).convert("RGB")
    colours = img.getcolors(maxcolors=1 << 20)
    # matplotlib's first two default colours (#1f77b4 blue, #ff7f0e orange) fill the bars of the plots.
    blue = sum(n for n, c in colours if abs(c[0] - 0x1F) < 12 and abs(c[1] - 0x77) < 12 and abs(c[2] - 0xB4) < 12)
    orange = sum(n for n, c in colours if abs(c[0] - 0xFF) < 12 and abs(c[1] - 0x7F) < 12 and abs(c[2] - 0x0E) < 12)
    assert blue > 2000 and orange > 2000, (blue, orange)


def test_eval_run_on_a_suite_directory_with_existing_hypotheses(files, tmp_path):
    suite = tmp_path / "suite"
    suite.mkdir()
    (suite / "test.zh").write_text(files["src"].read_text(encoding="utf-8"), encoding="utf-8")
    (suite / "test.en").write_text(files["ref"].read_text(encoding="utf-8"), encoding="utf-8")
    out = tmp_path / "rep"
    res = CliRunner().invoke(main, ["eval", "run", "--suite", str(suite), "--hyp", f"a={files['a']}",
                                    "--hyp", f"b={files['b']}", "--no-model", "--limit", "200", "--out", str(out)])
    assert res.exit_code == 0, res.output
    rep = json.loads((out / "report.json").read_text(encoding="utf-8"))
    assert rep["suite"]["name"] == "suite" and len(rep["suite"]["files"]) == 2
    assert (out / "hyp.a.txt").read_text(encoding="utf-8").splitlines() == files["a"].read_text().splitlines()


def test_eval_align_report(tmp_path):
    gold = tmp_path / "gold.align"
    gold.write_text("[0]:[0]\n[1,2]:[1]\n", encoding="utf-8")
    res = CliRunner().invoke(main, ["eval", "align", "--gold", str(gold), "--pred", str(gold),
                                    "--report", str(tmp_path / "r")])
    assert res.exit_code == 0, res.output
    rep = json.loads((tmp_path / "r" / "report.json").read_text(encoding="utf-8"))
    assert rep["kind"] == "align" and rep["scores"]["f1_strict"] == 1.0


@pytest.mark.model
def test_eval_run_translates_flores_docs_through_the_product(tmp_path):
    res = CliRunner().invoke(main, ["eval", "run", "--suite", "flores", "--limit", "6", "--out", str(tmp_path)])
    assert res.exit_code == 0, res.output
    rep = json.loads((tmp_path / "report.json").read_text(encoding="utf-8"))
    system = rep["systems"]["default"]
    assert system["scores"]["chrf"]["score"] > 30  # a real translation, not an empty or echoed file
    assert system["documents"] and sum(d["lines"] for d in system["documents"]) == 6
    assert system["meta"]["signature"]


def test_report_compares_two_systems_sorts_and_searches_in_a_browser(files, tmp_path):
    """In Debian's Chromium: the score table has confidence intervals, every metric has a significance row,
    the comparison filters to where B wins and sorts by the difference, and the sentence table searches."""
    from browser import chromium

    exe = chromium()
    out = tmp_path / "report"
    refs = files["ref"].read_text(encoding="utf-8").splitlines()
    a, b = _degrade(refs, 5), _degrade(refs, 3)
    mixed = [b[i] if i % 4 == 0 else a[i] for i in range(len(refs))]  # a few sentences where "b" is worse
    (tmp_path / "mixed.en").write_text("\n".join(mixed) + "\n", encoding="utf-8")
    res = CliRunner().invoke(main, ["eval", "mt", "--hyp", f"a={files['a']}", "--hyp", f"mixed={tmp_path / 'mixed.en'}",
                                    "--ref", str(files["ref"]), "--src", str(files["src"]), "--report", str(out)])
    assert res.exit_code == 0, res.output
    rep = json.loads((out / "report.json").read_text(encoding="utf-8"))
    assert {m for m in rep["systems"]["a"]["confidence"]} == {"bleu", "chrf", "chrf++", "ter"}
    assert {r["metric"] for r in rep["significance"]["bs"]["rows"]} == {"bleu", "chrf", "chrf++", "ter"}
    from playwright.sync_api import sync_playwright

    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=exe, args=["--no-sandbox", "--disable-gpu"])
        page = browser.new_page(viewport={"width": 1400, "height": 1000})
        page.goto((out / "report.html").as_uri())
        assert "±" in page.locator("#scores").inner_text()
        assert page.locator("#significance tr").count() == 1 + 4
        rows = page.locator("#compare tbody tr")
        assert rows.count() == 200
        page.select_option("#wins", "a")  # where A (the cleaner system) wins: the degraded sentences
        assert rows.count() == 50
        deltas = [float(t) for t in page.locator("#compare tbody tr td:nth-child(4)").all_inner_texts()]
        assert all(d < 0 for d in deltas) and deltas == sorted(deltas, reverse=True)
        page.click("#sort-delta")
        deltas = [float(t) for t in page.locator("#compare tbody tr td:nth-child(4)").all_inner_texts()]
        assert deltas == sorted(deltas)
        assert page.locator("#compare tbody tr").first.locator(".miss").count() == 0  # dropped words: no extras
        assert page.locator("#ngrams table").count() == 2
        word = refs[7].split()[3]
        page.fill("#search", word)
        shown = page.locator("#all tbody tr:not(.hidden)")
        assert 1 <= shown.count() < 200 and all(word.lower() in t.lower() for t in shown.all_inner_texts())
        page.screenshot(path=str(tmp_path / "report.png"), full_page=True)  # kept with the test's files
        browser.close()
