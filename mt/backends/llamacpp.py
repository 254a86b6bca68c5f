"""In-process GGUF translation with llama.cpp: batched, prefix-cached, Chinese tokens banned."""

from __future__ import annotations

import os
from collections.abc import Sequence
from pathlib import Path

import llama_cpp
import numpy as np

from zhen import config
from zhen.errors import ModelNotInstalled
from zhen.mt.backends.llamacpp_engine import BatchEngine, _cjk_ban_mask
from zhen.mt.base import Request, Translator
from zhen.mt.prompts import split_prompt
from zhen.mt.registry import register


def _ban_mask_cached(llm, model_path: str) -> np.ndarray:  # noqa: ANN001 - llama_cpp.Llama
    """The CJK-token mask takes ~1 s to build; keep it beside the model."""
    cache = Path(model_path + ".cjkban.npy")
    if cache.exists():
        mask = np.load(cache)
        if mask.shape == (llm.n_vocab(),):
            return mask
    mask = _cjk_ban_mask(llm)
    try:
        tmp = cache.with_suffix(".tmp.npy")
        np.save(tmp, mask)
        os.replace(tmp, cache)
    except OSError:
        pass  # read-only models directory: rebuild next time
    return mask


@register("llamacpp")
class LlamaCppTranslator(Translator):
    """Greedy, deterministic translation of a GGUF chat model through `BatchEngine`."""

    def __init__(self, model_path: str, family: str = "qwen", name: str | None = None, n_slots: int = 16,
                 n_threads: int | None = None, few_shot: bool = True, ban_cjk: bool = True,
                 max_tokens: int = 320) -> None:
        if not Path(model_path).is_file():
            raise ModelNotInstalled(f"GGUF model not found: {model_path}")
        threads = n_threads or config.settings().cpu_threads()
        self.llm = llama_cpp.Llama(model_path, n_ctx=256, n_threads=threads, verbose=False)
        self.family, self.few_shot, self.max_tokens = family, few_shot, max_tokens
        self.name = name or Path(model_path).stem
        ban = _ban_mask_cached(self.llm, model_path) if ban_cjk else None
        self.engine = BatchEngine(self.llm, n_slots=n_slots, slot_ctx=1024, n_threads=threads, ban_mask=ban)
        self.engine.track_logprob = True  # ~1% of decode time; gives QE its strongest signal for free
        self._opts = f"fam={family};shots={few_shot};ban={ban_cjk};greedy;names-guided"

    def signature(self) -> str:
        return f"{self.name}|{self._opts}"

    def _tok(self, text: str) -> list[int]:
        return self.llm.tokenize(text.encode("utf-8"), add_bos=False, special=True)

    def _guides(self, req: Request) -> list[list[int]]:
        """Token sequences of the request's people, mid-sentence and sentence-initial."""
        if req.task == "rewrite":
            return []
        return [self.llm.tokenize(form.encode("utf-8"), add_bos=False, special=False)
                for t in req.terms if t.kind == "person" for form in (" " + t.target, t.target)]

    def translate(self, requests: Sequence[Request]) -> list[str]:
        return [text for text, _ in self.translate_scored(requests)]

    def translate_scored(self, requests: Sequence[Request]) -> list[tuple[str, float | None]]:
        return [cands[0] for cands in self.translate_candidates(requests, 1)]

    def translate_candidates(self, requests: Sequence[Request], n: int) -> list[list[tuple[str, float | None]]]:
        """The greedy translation, then n - 1 epsilon samples sharing its evaluated prompt."""
        out: list[list[tuple[str, float | None]]] = [[] for _ in requests]
        groups: dict[str, list[tuple[int, str]]] = {}
        for i, req in enumerate(requests):
            prefix, suffix = split_prompt(self.family, req, self.few_shot)
            groups.setdefault(prefix, []).append((i, suffix))
        for prefix, items in groups.items():
            self.engine.set_prefix(self._tok(prefix))
            suffixes = [self._tok(s) for _, s in items]
            limits = [min(self.max_tokens, 3 * len(s) + 32) for s in suffixes]
            guides = [self._guides(requests[i]) for i, _ in items]
            runs = ([[r] for r in self.engine.generate(suffixes, limits, guides=guides)] if n <= 1
                    else self.engine.candidates(suffixes, limits, n, guides=guides))
            for (i, _), cands in zip(items, runs):
                for tokens, lp in cands:
                    text = self.llm.detokenize(tokens).decode("utf-8", errors="replace")
                    out[i].append((text, lp / (len(tokens) + 1)))  # the end-of-answer token is scored too
        return out

    def score(self, requests: Sequence[Request], candidates: Sequence[str]) -> list[list[float]]:
        out: list[list[float]] = [[] for _ in requests]
        groups: dict[str, list[tuple[int, str]]] = {}
        for i, req in enumerate(requests):
            prefix, suffix = split_prompt(self.family, req, self.few_shot)
            groups.setdefault(prefix, []).append((i, suffix))
        end = [int(llama_cpp.llama_vocab_eot(self.engine.vocab))]
        for prefix, items in groups.items():
            self.engine.set_prefix(self._tok(prefix))
            conts = [self.llm.tokenize(candidates[i].encode("utf-8"), add_bos=False, special=False) + end
                     for i, _ in items]
            for (i, _), lps in zip(items, self.engine.score([self._tok(s) for _, s in items], conts)):
                out[i] = lps
        return out

    def close(self) -> None:
        self.engine.close()

