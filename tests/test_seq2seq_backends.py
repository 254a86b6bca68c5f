"""`ctranslate2` and `transformers` backends on a tiny Marian model the test builds and converts itself."""

import pytest
from conftest import require
from tiny_models import build_tiny_marian

from zhen.errors import ModelNotInstalled
from zhen.mt import registry
from zhen.mt.base import Request
from zhen.mt.pipeline import Pipeline


@pytest.fixture(scope="module")
def tiny(tmp_path_factory):
    require("ctranslate2", "ctranslate2")
    require("transformers", "hf")
    return build_tiny_marian(tmp_path_factory.mktemp("tiny"))


SOURCES = ["世界卫生组织周二表示，该病毒已在三个国家传播。", "医院有3个院区。", "你好。"]


def test_ctranslate2_backend_loads_and_translates_in_order(tiny):
    _, ct2 = tiny
    t = registry.create("ctranslate2", model_path=str(ct2), max_decoding_length=16)
    out = t.translate([Request(s) for s in SOURCES])
    assert len(out) == 3 and all(isinstance(o, str) for o in out)
    assert t.translate([Request(s) for s in SOURCES]) == out  # greedy: deterministic
    assert t.translate([Request(SOURCES[1])]) == [out[1]]  # batching does not change a sentence's output
    drafts = Pipeline(t, memory=None, use_base_glossary=False).translate(SOURCES)
    assert [d.source for d in drafts] == SOURCES
    assert t.signature().startswith("tiny-marian-ct2|ct2")


def test_transformers_backend_matches_ctranslate2_on_the_same_weights(tiny):
    hf, ct2 = tiny
    ref = registry.create("transformers", model_path=str(hf), max_new_tokens=15)
    fast = registry.create("ctranslate2", model_path=str(ct2), max_decoding_length=16)
    reqs = [Request(s) for s in SOURCES]
    # Same weights, greedy decoding: the converted model reproduces the original's tokens (a random model
    # never ends, and the two libraries count the length limit differently, so compare up to the shorter).
    for a, b in zip(fast.translate(reqs), ref.translate(reqs)):
        a, b = a.strip(), b.strip()
        assert len(min(a, b, key=len)) >= 5 and (a.startswith(b) or b.startswith(a)), (a, b)


def test_missing_model_files_give_clear_errors(tmp_path):
    require("ctranslate2", "ctranslate2")
    with pytest.raises(ModelNotInstalled, match="model.bin"):
        registry.create("ctranslate2", model_path=str(tmp_path))
