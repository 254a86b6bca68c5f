"""Continuous-batching greedy decoder over llama.cpp's low-level API.

Why not `Llama.create_chat_completion`: it decodes one sequence at a time, and on 2 CPU cores one
sequence reads all weights for every token (about 20 tokens/s) while prompt processing runs at about
100 tokens/s, so decoding several sequences per weight pass is most of the available speed-up. The
engine keeps the shared prompt prefix (instructions and examples) in sequence 0 of the KV cache,
copies it into each slot for free (a unified KV cache shares cells), fills free slots as soon as a
sequence ends, and bans tokens that would put Chinese characters in English output.
"""

from __future__ import annotations

import contextlib
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field

import llama_cpp
import numpy as np


@dataclass
class Job:
    index: int
    suffix: list[int]
    max_new: int
    out: list[int] = field(default_factory=list)
    logprob: float = 0.0
    pending: list[int] = field(default_factory=list)  # tokens to feed at the next decode
    pos: int = 0
    guides: list[list[int]] = field(default_factory=list)  # token sequences of names that must come out whole


GUIDE_MARGIN = 6.0  # logits: how far below the greedy choice a name's next token may be and still be taken


def guided_next(out: list[int], guides: Sequence[list[int]]) -> set[int]:
    """The next tokens of the guides the output has started (its last k tokens are a guide's first k).

    The model chooses to start a name itself; from then on the name is completed as rendered, so
    "Hong Ch…" cannot drift into "Hong Zhaoyang". Several names may share a start (Wang Ting, Wang
    Daoping): any of their next tokens is acceptable."""
    nxt = set()
    for g in guides:
        for k in range(min(len(g) - 1, len(out)), 0, -1):
            if out[-k:] == g[:k]:
                nxt.add(g[k])
                break
    return nxt


def _cjk_ban_mask(llm: llama_cpp.Llama) -> np.ndarray:
    """Boolean mask of tokens whose bytes contain CJK characters or CJK-lead partial bytes."""
    n = llm.n_vocab()
    mask = np.zeros(n, dtype=bool)
    for tok in range(n):
        try:
            b = llm._model.token_to_piece(tok, special=False)  # noqa: SLF001 - no public per-token bytes API
        except Exception:  # noqa: BLE001 - control tokens
            continue
        if not b:
            continue
        try:
            text = b.decode("utf-8")
        except UnicodeDecodeError:
            # Byte-level pieces of a multi-byte character: leads E3..E9 start CJK ideographs and punctuation.
            mask[tok] = any(0xE3 <= x <= 0xE9 for x in b) or b"\xef\xbc" in b
            continue
        mask[tok] = any(
            "\u3000" <= ch <= "\u303f" or "\u3400" <= ch <= "\u9fff" or "\uff00" <= ch <= "\uffef" for ch in text
        )
    return mask


class BatchEngine:
    """Greedy generation for many prompts sharing one prefix, `n_slots` sequences at a time."""

    def __init__(self, llm: llama_cpp.Llama, n_slots: int = 8, slot_ctx: int = 1024, n_threads: int | None = None,
                 ban_mask: np.ndarray | None = None) -> None:
        self.llm = llm
        self.n_slots = n_slots
        params = llama_cpp.llama_context_default_params()
        params.n_ctx = slot_ctx * (n_slots + 1)
        params.n_batch = 512
        params.n_ubatch = 512
        params.n_seq_max = n_slots + 1
        params.kv_unified = True
        threads = n_threads or llm.context_params.n_threads
        params.n_threads = threads
        params.n_threads_batch = threads
        self.ctx = llama_cpp.llama_init_from_model(llm._model.model, params)  # noqa: SLF001
        if not self.ctx:
            raise RuntimeError("llama.cpp could not create a batched context")
        self.mem = llama_cpp.llama_get_memory(self.ctx)
        self.vocab = llama_cpp.llama_model_get_vocab(llm._model.model)  # noqa: SLF001
        self.n_vocab = llm.n_vocab()
        self.batch = llama_cpp.llama_batch_init(512, 0, n_slots + 1)
        self.ban_idx = np.flatnonzero(ban_mask) if ban_mask is not None else None
        self.track_logprob = False  # log-probabilities cost one exp over the vocabulary per token
        self.prefix: list[int] = []
        self.slot_ctx = slot_ctx

    def close(self) -> None:
        if self.ctx:
            llama_cpp.llama_batch_free(self.batch)
            llama_cpp.llama_free(self.ctx)
            self.ctx = None

    def __del__(self) -> None:  # pragma: no cover - interpreter shutdown order varies
        with contextlib.suppress(Exception):
            self.close()

    def _decode(self, entries: list[tuple[int, int, int, bool]]) -> None:
        """Decode (token, pos, seq, want_logits) entries, in chunks of the batch size.

        Only the last chunk's logits survive, so `generate` never sends more than one chunk.
        """
        for start in range(0, len(entries), 512):
            chunk = entries[start : start + 512]
            b = self.batch
            b.n_tokens = len(chunk)
            for i, (tok, pos, seq, want) in enumerate(chunk):
                b.token[i] = tok
                b.pos[i] = pos
                b.n_seq_id[i] = 1
                b.seq_id[i][0] = seq
                b.logits[i] = want
            rc = llama_cpp.llama_decode(self.ctx, b)
            if rc != 0:
                raise RuntimeError(f"llama_decode failed with code {rc}")

    def set_prefix(self, tokens: list[int]) -> None:
        """Evaluate the shared prefix once into sequence 0 (skipped if unchanged)."""
        if tokens == self.prefix:
            return
        llama_cpp.llama_memory_clear(self.mem, True)
        self._decode([(t, i, 0, False) for i, t in enumerate(tokens)])
        self.prefix = list(tokens)

    def generate(self, suffixes: Sequence[list[int]], max_new: Sequence[int],
                 stop: Callable[[list[int]], bool] | None = None,
                 guides: Sequence[list[list[int]]] | None = None) -> list[tuple[list[int], float]]:
        """Greedy continuations (tokens, sum of log-probabilities) of `prefix + suffix` for each suffix.

        `guides[i]` are token sequences (rendered names) that suffix i's output completes once it starts
        one, as long as the model does not strongly prefer another token (GUIDE_MARGIN)."""
        queue = [Job(i, list(s), limit, guides=list(guides[i]) if guides else [])
                 for i, (s, limit) in enumerate(zip(suffixes, max_new))]
        queue.reverse()
        results: list[tuple[list[int], float]] = [([], 0.0)] * len(queue)
        slots: dict[int, Job] = {}
        p = len(self.prefix)
        while queue or slots:
            for seq in range(1, self.n_slots + 1):
                if seq not in slots and queue:
                    job = queue.pop()
                    budget = self.slot_ctx - len(job.suffix) - 1
                    job.max_new = max(1, min(job.max_new, budget))
                    llama_cpp.llama_memory_seq_rm(self.mem, seq, -1, -1)
                    llama_cpp.llama_memory_seq_cp(self.mem, 0, seq, -1, -1)
                    job.pending, job.pos = job.suffix[: self.slot_ctx - 1], p
                    slots[seq] = job
            # One llama_decode per step, at most 512 tokens: long prompts are fed over several steps.
            entries: list[tuple[int, int, int, bool]] = []
            order: list[tuple[int, int]] = []  # (sequence, index of its last token in the batch)
            room = 512 - sum(1 for j in slots.values() if len(j.pending) == 1)
            for seq, job in slots.items():
                take = job.pending if len(job.pending) == 1 else job.pending[: max(room, 0)]
                if len(job.pending) > 1:
                    room -= len(take)
                if not take:
                    continue
                complete = len(take) == len(job.pending)
                for k, tok in enumerate(take):
                    entries.append((tok, job.pos + k, seq, complete and k == len(take) - 1))
                job.pos += len(take)
                job.pending = job.pending[len(take):]
                if complete:
                    order.append((seq, len(entries) - 1))
            self._decode(entries)
            for seq, batch_idx in order:
                job = slots[seq]
                logits = np.ctypeslib.as_array(llama_cpp.llama_get_logits_ith(self.ctx, batch_idx),
                                               shape=(self.n_vocab,))
                if self.ban_idx is not None:
                    logits = logits.copy()
                    logits[self.ban_idx] = -np.inf
                tok = int(np.argmax(logits))
                if job.guides:
                    nxt = guided_next(job.out, job.guides)
                    if nxt and tok not in nxt:
                        best = max(nxt, key=lambda t: float(logits[t]))
                        if logits[best] >= logits[tok] - GUIDE_MARGIN:
                            tok = best
                if self.track_logprob:
                    m = float(logits[tok])
                    job.logprob -= float(np.log(np.exp(logits - m).sum()))
                done = bool(llama_cpp.llama_vocab_is_eog(self.vocab, tok))
                if not done:
                    job.out.append(tok)
                    job.pending = [tok]
                if done or len(job.out) >= job.max_new or (stop is not None and stop(job.out)):
                    results[job.index] = (job.out, job.logprob)
                    llama_cpp.llama_memory_seq_rm(self.mem, seq, -1, -1)
                    del slots[seq]
        return results

    def score(self, suffixes: Sequence[list[int]], continuations: Sequence[list[int]]) -> list[list[float]]:
        """Forced decoding: the log-probability of every continuation token given `prefix + suffix`.

        Used for quality estimation. Several sequences are packed into each llama_decode call (one KV
        sequence each, the prefix copied in), since prompt processing is the cost here.
        """
        limit = 512
        out: list[list[float]] = [[] for _ in suffixes]
        jobs = []
        for i, (s, c) in enumerate(zip(suffixes, continuations)):
            c = c[: limit // 2]  # a runaway candidate is judged on its first 256 tokens
            s = s[-(limit - len(c)) :] if len(s) + len(c) > limit else s
            if c:
                jobs.append((i, s, c))
        p = len(self.prefix)
        while jobs:
            group: list[tuple[int, list[int], list[int]]] = []
            used = 0
            while jobs and len(group) < self.n_slots and used + len(jobs[0][1]) + len(jobs[0][2]) <= limit:
                used += len(jobs[0][1]) + len(jobs[0][2])
                group.append(jobs.pop(0))
            entries: list[tuple[int, int, int, bool]] = []
            wanted: list[tuple[int, int, int]] = []  # (job index, batch index, target token)
            for seq, (i, s, c) in enumerate(group, start=1):
                llama_cpp.llama_memory_seq_rm(self.mem, seq, -1, -1)
                llama_cpp.llama_memory_seq_cp(self.mem, 0, seq, -1, -1)
                toks = s + c
                for k, tok in enumerate(toks):
                    predicts = k >= len(s) - 1 and k < len(toks) - 1  # logits here predict c[k - len(s) + 1]
                    entries.append((tok, p + k, seq, predicts))
                    if predicts:
                        wanted.append((i, len(entries) - 1, toks[k + 1]))
            self._decode(entries)
            for i, batch_idx, target in wanted:
                logits = np.ctypeslib.as_array(llama_cpp.llama_get_logits_ith(self.ctx, batch_idx),
                                               shape=(self.n_vocab,))
                m = float(logits.max())
                out[i].append(float(logits[target]) - m - float(np.log(np.exp(logits - m).sum())))
            for seq in range(1, len(group) + 1):
                llama_cpp.llama_memory_seq_rm(self.mem, seq, -1, -1)
        return out
