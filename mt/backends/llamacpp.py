"""In-process GGUF translation with llama.cpp: batched, prefix-cached, Chinese tokens banned."""

from __future__ import annotations

import contextlib
import io
import os
import threading
from collections import OrderedDict
from collections.abc import Iterator, Sequence
from dataclasses import replace
from pathlib import Path

import llama_cpp
import numpy as np

from zhen import cache
from zhen.errors import ModelNotInstalled
from zhen.mt.backends.llamacpp_engine import BatchEngine, Decoded, _cjk_ban_mask
from zhen.mt.backends.llamacpp_engine import FollowUp as EngineFollowUp  # the engine's: token-level jobs
from zhen.mt.base import FollowUp, Request, Translator
from zhen.mt.prompts import split_prompt
from zhen.mt.registry import register

INPUT_SCORES_KEPT = 4096  # rewrite inputs whose log-probabilities the last rewrites recorded (`score_inputs`)
TEXT_MARK = "\u241f"  # stands for a request's text in its prompt template, to find where the text goes


def _ban_mask_cached(llm, model_path: str) -> np.ndarray:  # noqa: ANN001 - llama_cpp.Llama
    """The CJK-token mask takes ~1 s to build; keep it beside the model."""
    path = Path(model_path + ".cjkban.npy")
    if path.exists():
        mask = np.load(path)
        if mask.shape == (llm.n_vocab(),):
            return mask
    mask = _cjk_ban_mask(llm)
    data = io.BytesIO()
    np.save(data, mask)
    with contextlib.suppress(OSError):  # read-only models directory: rebuild next time
        cache.write_atomic(path, data.getvalue())
    return mask


_LOADING = threading.Lock()


@contextlib.contextmanager
def amx_guard() -> Iterator[None]:
    """For the length of the block, GGUF models load so that their first decode cannot crash the process.

    pip builds llama.cpp for the machine's own CPU (`-march=native`). Where that CPU advertises AMX, the
    build moves quantized weights into AMX tile buffers, and on some virtual machines the tile
    instructions then fault: SIGSEGV in `ggml_backend_amx_mul_mat` on the first decode, which takes the
    server down with it (seen on one of this project's machines). README command 1 therefore builds with
    `-mno-amx-int8`; a build that has AMX anyway (a cached wheel, a user's own) loads the weights without
    llama.cpp's extra buffer types (AMX tiles and repacked layouts): other numerics and, presumably,
    slower prompt processing (not measured), but a process that lives. `Llama` exposes no such switch,
    so the defaults it asks the library for are amended, under a lock, and restored after."""
    if b"AMX_INT8 = 1" not in llama_cpp.llama_print_system_info():
        yield
        return
    low = llama_cpp.llama_cpp
    with _LOADING:
        default = low.llama_model_default_params

        def without_extra_buffers() -> llama_cpp.llama_model_params:
            params = default()
            params.use_extra_bufts = False
            return params

        low.llama_model_default_params = without_extra_buffers
        try:
            yield
        finally:
            low.llama_model_default_params = default


def load_llama(model_path: str, n_threads: int) -> llama_cpp.Llama:
    """The GGUF model under `amx_guard`."""
    with amx_guard():
        return llama_cpp.Llama(model_path, n_ctx=256, n_threads=n_threads, verbose=False)


@register("llamacpp")
class LlamaCppTranslator(Translator):
    """Greedy, deterministic translation of a GGUF chat model through `BatchEngine`."""

    def __init__(self, model_path: str, family: str = "qwen", name: str | None = None, n_slots: int = 16,
                 n_threads: int | None = None, few_shot: bool = True, ban_cjk: bool = True,
                 max_tokens: int = 320) -> None:
        if not Path(model_path).is_file():
            raise ModelNotInstalled(f"GGUF model not found: {model_path}")
        threads = n_threads or max(1, os.cpu_count() or 1)
        self.llm = load_llama(model_path, threads)
        self.family, self.few_shot, self.max_tokens = family, few_shot, max_tokens
        self.name = name or Path(model_path).stem
        ban = _ban_mask_cached(self.llm, model_path) if ban_cjk else None
        state_key = f"{cache.file_key(Path(model_path))}|{llama_cpp.__version__}"
        self.engine = BatchEngine(self.llm, n_slots=n_slots, slot_ctx=1024, n_threads=threads, ban_mask=ban,
                                  state_key=state_key)
        self.engine.track_logprob = True  # ~1% of decode time; gives QE its strongest signal for free
        self.input_scores: OrderedDict[tuple[str, str], list[float]] = OrderedDict()
        self.score_rewrite_inputs = True  # switchable so that `bench.polish` can measure the saving
        self._opts = f"fam={family};shots={few_shot};ban={ban_cjk};greedy;names-guided"

    def signature(self) -> str:
        return f"{self.name}|{self._opts}"

    def _tok(self, text: str) -> list[int]:
        return self.llm.tokenize(text.encode("utf-8"), add_bos=False, special=True)

    def _set_prefix(self, prefix: str, req: Request) -> None:
        """A prompt without an article's title recurs in every run: its evaluated cache is kept on disk."""
        self.engine.set_prefix(self._tok(prefix), persist=req.task == "rewrite" or not req.title)

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

    def translate_following(self, requests: Sequence[Request], follow: FollowUp
                            ) -> tuple[list[tuple[str, float | None]], list[tuple[str, float | None]]]:
        """Follow-ups on the prefix of the request they follow join its batch as soon as they are asked;
        others (another prefix: no title, another task) run after, in one call."""
        outs: list[tuple[str, float | None]] = [("", None)] * len(requests)
        asked: list[Request] = []
        answers: dict[int, tuple[str, float | None]] = {}
        later: list[int] = []
        for prefix, items in self._groups(requests).items():
            self._set_prefix(prefix, requests[items[0][0]])
            streamed: list[int] = []  # engine index - len(items) → index into `asked`

            def ask(k: int, tokens: list[int], lp: float, items: list[tuple[int, str]] = items, prefix: str = prefix,
                    streamed: list[int] = streamed) -> list[tuple[list[int], int, list[list[int]]]]:
                i = items[k][0]
                outs[i] = self._decoded(tokens, lp)
                jobs = []
                for req in follow(i, *outs[i]):
                    asked.append(req)
                    here, suffix = split_prompt(self.family, req, self.few_shot)
                    if here != prefix:
                        later.append(len(asked) - 1)
                        continue
                    streamed.append(len(asked) - 1)
                    toks = self._tok(suffix)
                    jobs.append((toks, self._limit(toks), self._guides(req)))
                return jobs

            results = self._generate(prefix, items, requests, follow=ask)
            for n, (tokens, lp, _) in zip(streamed, results[len(items):]):
                answers[n] = self._decoded(tokens, lp)
        for n, out in zip(later, self.translate_scored([asked[n] for n in later])):
            answers[n] = out
        return outs, [answers[n] for n in range(len(asked))]

    def _groups(self, requests: Sequence[Request]) -> dict[str, list[tuple[int, str]]]:
        """Requests by prompt prefix: (index, suffix) each; one engine call per prefix."""
        groups: dict[str, list[tuple[int, str]]] = {}
        for i, req in enumerate(requests):
            prefix, suffix = split_prompt(self.family, req, self.few_shot)
            groups.setdefault(prefix, []).append((i, suffix))
        return groups

    def _limit(self, suffix: list[int]) -> int:
        """New tokens allowed: English runs to about three tokens per source token at most."""
        return min(self.max_tokens, 3 * len(suffix) + 32)

    def _decoded(self, tokens: list[int], logprob: float) -> tuple[str, float]:
        """Text and mean token log-probability (the end-of-answer token is scored too)."""
        return self.llm.detokenize(tokens).decode("utf-8", errors="replace"), logprob / (len(tokens) + 1)

    def translate_candidates(self, requests: Sequence[Request], n: int) -> list[list[tuple[str, float | None]]]:
        """The greedy translation, then n - 1 epsilon samples sharing its evaluated prompt."""
        out: list[list[tuple[str, float | None]]] = [[] for _ in requests]
        for prefix, items in self._groups(requests).items():
            self._set_prefix(prefix, requests[items[0][0]])
            if n <= 1:
                runs = [[r] for r in self._generate(prefix, items, requests)]
            else:
                suffixes = [self._tok(s) for _, s in items]
                runs = self.engine.candidates(suffixes, [self._limit(s) for s in suffixes], n,
                                              guides=[self._guides(requests[i]) for i, _ in items])
            for (i, _), cands in zip(items, runs):
                out[i] = [self._decoded(tokens, lp) for tokens, lp, _ in cands]
        return out

    def _generate(self, prefix: str, items: list[tuple[int, str]], requests: Sequence[Request],
                  follow: EngineFollowUp | None = None) -> list[Decoded]:
        """Greedy outputs for one prefix's (index, suffix) items; the inputs of rewrites are scored on the
        way (`_input_span`) and kept for `score_inputs`."""
        asked = [requests[i] for i, _ in items]
        suffixes = [self._tok(s) for _, s in items]
        spans = [self._input_span(prefix, toks, r) for toks, r in zip(suffixes, asked)]
        results = self.engine.generate(suffixes, [self._limit(s) for s in suffixes],
                                       guides=[self._guides(r) for r in asked], follow=follow, spans=spans)
        for req, (a, b), res in zip(asked, spans, results):
            if b > a and len(res.span_lps) == b - a:
                self.input_scores[(prefix, req.source)] = res.span_lps
        while len(self.input_scores) > INPUT_SCORES_KEPT:
            self.input_scores.popitem(last=False)
        return results

    def _input_span(self, prefix: str, tokens: list[int], req: Request) -> tuple[int, int]:
        """Where a rewrite's input and the end of its turn sit among the suffix's tokens, unless already
        scored: its log-probabilities then come with the prompt's evaluation, for the price of their
        logits, and `score_inputs` (the fluency of the English before polishing) needs no second pass.
        (0, 0) for other tasks, and where the tokens do not split at the text's edges."""
        if not self.score_rewrite_inputs or req.task != "rewrite" or (prefix, req.source) in self.input_scores:
            return (0, 0)
        head, text = self._input_parts(req)
        a = len(head)
        return (a, a + len(text)) if tokens[: a + len(text)] == head + text else (0, 0)

    def _input_parts(self, req: Request) -> tuple[list[int], list[int]]:
        """The suffix's tokens before the request's text (the template's, found with a stand-in text), and
        the text's with the end of its turn."""
        _, template = split_prompt(self.family, replace(req, source=TEXT_MARK), self.few_shot)
        return self._tok(template[: template.index(TEXT_MARK)]), self._turn(req.source)

    def _turn(self, text: str) -> list[int]:
        """A text's tokens and the end of its chat turn: what scoring measures."""
        end = int(llama_cpp.llama_vocab_eot(self.engine.vocab))
        return self.llm.tokenize(text.encode("utf-8"), add_bos=False, special=False) + [end]

    def score(self, requests: Sequence[Request], candidates: Sequence[str]) -> list[list[float]]:
        out: list[list[float]] = [[] for _ in requests]
        for prefix, items in self._groups(requests).items():
            self._set_prefix(prefix, requests[items[0][0]])
            conts = [self._turn(candidates[i]) for i, _ in items]
            for (i, _), lps in zip(items, self.engine.score([self._tok(s) for _, s in items], conts)):
                out[i] = lps
        return out

    def score_inputs(self, requests: Sequence[Request]) -> list[list[float]]:
        """The log-probability of each request's text and the end of its turn where it stands in its prompt;
        rewrites already decoded gave theirs as their prompts were evaluated (kept in `input_scores`)."""
        out: list[list[float]] = [[] for _ in requests]
        for prefix, items in self._groups(requests).items():
            todo = []
            for i, _ in items:
                kept = self.input_scores.get((prefix, requests[i].source))
                if kept is not None:
                    out[i] = kept
                elif requests[i].source.strip():
                    todo.append((i, *self._input_parts(requests[i])))
            if todo:
                self._set_prefix(prefix, requests[todo[0][0]])
                for (i, _, _), lps in zip(todo, self.engine.score([h for _, h, _ in todo], [t for _, _, t in todo])):
                    out[i] = lps
        return out

    def close(self) -> None:
        self.engine.close()

