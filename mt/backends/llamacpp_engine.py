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
import ctypes
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import NamedTuple

import llama_cpp
import numpy as np

from zhen import cache

PREFIX_STATES_KEPT = 8  # evaluated prefixes kept on disk (each ~28 KB per token for the 1.5B model)


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
    rng: np.random.Generator | None = None  # set: sampled (epsilon sampling); None: greedy
    twins: list[int] = field(default_factory=list)  # sequences waiting to fork from this job's evaluated prompt
    # Suffix tokens [a, b) whose log-probabilities are recorded as the prompt is fed (`span_lps`): a
    # continuation being scored, or the text a prompt carries. With max_new 0 nothing is generated.
    span: tuple[int, int] = (0, 0)
    span_lps: list[float] = field(default_factory=list)


class Decoded(NamedTuple):
    """One job's result: the tokens generated, their summed log-probability (when tracked), and the
    log-probabilities of its suffix's `span` tokens."""

    tokens: list[int]
    logprob: float
    span_lps: list[float]


# Further jobs asked for as an output is done: (its index, its tokens, their log-probability) → (suffix,
# max new tokens, guides) each, decoded in the same batch (`BatchEngine.generate`).
FollowUp = Callable[[int, list[int], float], Sequence[tuple[list[int], int, list[list[int]]]]]
GUIDE_MARGIN = 6.0  # logits: how far below the greedy choice a name's next token may be and still be taken
# Prompt lookup. One decode step costs a weight pass worth about PASS_COST tokens of arithmetic plus its
# tokens (measured on 2 cores: 83 ms for 1 token, 317 ms for 16, 1.47 s for 96).
PASS_COST = 5.0
MAX_DRAFT = 8
# Candidates: epsilon sampling (tokens under this probability are never drawn) gives diverse yet sound
# translations, the kind minimum-Bayes-risk selection works best with (Freitag et al., 2023).
EPSILON = 0.02


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


def lookup_draft(source: Sequence[int], out: Sequence[int], k: int, min_ngram: int = 2,
                 max_ngram: int = 4) -> list[int]:
    """Prompt-lookup drafting: the `k` tokens that followed the output's last n-gram where it last
    occurred in `source` (longest n first). Rewriting and post-editing mostly copy their input, so these
    are usually the tokens the model is about to write; verifying them costs one batched step."""
    for n in range(min(max_ngram, len(out)), min_ngram - 1, -1):
        tail = list(out[-n:])
        for start in range(len(source) - n - 1, -1, -1):
            if list(source[start : start + n]) == tail:
                return list(source[start + n : start + n + k])
    return []


def log_normaliser(logits: np.ndarray) -> float:
    """log Σ exp(logits), taken from the largest logit so that no exp overflows: a token's log-probability
    is its logit minus this."""
    m = float(logits.max())
    return m + float(np.log(np.exp(logits - m).sum()))


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
                 ban_mask: np.ndarray | None = None, state_key: str = "") -> None:
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
        self.accepted, self.drafted = 6, 10  # looked-up tokens confirmed / verified (a prior of 60%)
        self.evaluated = 0  # tokens through the model so far: the arithmetic a workload costs
        # The two savings, switchable so that `bench.polish` can measure each alone.
        self.prompt_lookup = True
        self.share_starts = True
        self.longest_first = True  # scheduling (`_generate`); False: first come, first served
        self.prefix: list[int] = []
        self.slot_ctx = slot_ctx
        self.state_key = state_key

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
            self.evaluated += len(chunk)
            if rc != 0:
                raise RuntimeError(f"llama_decode failed with code {rc}")

    def set_prefix(self, tokens: list[int], persist: bool = False) -> None:
        """Evaluate the shared prefix once into sequence 0 (skipped if unchanged).

        With `persist` (a prefix every run asks for again: instructions and examples, no article's title)
        and a `state_key` naming the weights, the evaluated cache is kept in the cache folder and read back
        by the next process: ~1 s of prompt processing per prefix becomes a ~10 ms read."""
        if tokens == self.prefix:
            return
        llama_cpp.llama_memory_clear(self.mem, True)
        self.prefix = []
        path = cache.path_for("prefix", f"{self.state_key}|{tokens}", ".kv") if persist and self.state_key else None
        if path is None or not self._load_state(path):
            self._decode([(t, i, 0, False) for i, t in enumerate(tokens)])
            if path is not None:
                self._save_state(path)
        self.prefix = list(tokens)

    def _load_state(self, path: Path) -> bool:
        """Sequence 0's cache from `path`; False (and an empty cache) when it is missing or unreadable."""
        try:
            data = path.read_bytes()
        except OSError:
            return False
        buf = (ctypes.c_uint8 * len(data)).from_buffer_copy(data)
        if data and llama_cpp.llama_state_seq_set_data(self.ctx, buf, len(data), 0) == len(data):
            return True
        llama_cpp.llama_memory_clear(self.mem, True)
        return False

    def _save_state(self, path: Path) -> None:
        size = llama_cpp.llama_state_seq_get_size(self.ctx, 0)
        buf = (ctypes.c_uint8 * size)()
        if llama_cpp.llama_state_seq_get_data(self.ctx, buf, size, 0) != size:
            return
        with contextlib.suppress(OSError):
            cache.write_atomic(path, bytes(buf), parents=True)
            kept = sorted(path.parent.glob("*.kv"), key=lambda f: f.stat().st_mtime, reverse=True)
            for old in kept[PREFIX_STATES_KEPT:]:  # a few prompts recur; keep the folder from growing
                old.unlink(missing_ok=True)

    @contextlib.contextmanager
    def _shared_start(self, suffixes: Sequence[list[int]], keep: int | None = None) -> Iterator[int]:
        """Evaluate the tokens every suffix starts with once, after the prefix in sequence 0, for the length
        of one call; yields how many (at most `keep`). The chat turn's opening, or an instruction repeated
        for every text, then costs one evaluation instead of one per text. Each suffix keeps at least its
        last token, whose logits start the continuation."""
        n = 0
        if self.share_starts and len(suffixes) > 1:
            shortest = min(len(x) - 1 for x in suffixes)
            if keep is not None:
                shortest = min(shortest, keep)
            while n < shortest and all(x[n] == suffixes[0][n] for x in suffixes):
                n += 1
        p = len(self.prefix)
        if n:
            self._decode([(t, p + i, 0, False) for i, t in enumerate(suffixes[0][:n])])
        try:
            yield n
        finally:
            if n:
                llama_cpp.llama_memory_seq_rm(self.mem, 0, p, -1)

    def generate(self, suffixes: Sequence[list[int]], max_new: Sequence[int],
                 stop: Callable[[list[int]], bool] | None = None,
                 guides: Sequence[list[list[int]]] | None = None,
                 follow: FollowUp | None = None,
                 spans: Sequence[tuple[int, int]] | None = None) -> list[Decoded]:
        """Greedy continuations (tokens, sum of log-probabilities) of `prefix + suffix` for each suffix.

        `guides[i]` are token sequences (rendered names) that suffix i's output completes once it starts
        one, as long as the model does not strongly prefer another token (GUIDE_MARGIN). With prompt lookup,
        tokens copied from the suffix are verified several at a time where that is cheaper than decoding
        them one by one (`_draft_len`); the output is the greedy output either way (up to llama.cpp's sums
        depending on the batch's shape, which can break a near-tie the other way).

        `follow(i, tokens, logprob)` is asked as each output i is done and may return further jobs (suffix,
        max_new, guides) on the same prefix, which join this batch at once; their results follow the given
        suffixes' in the order asked. A re-ask for a failed draft then fills a slot the batch's tail leaves
        free, instead of starting a second call that decodes a few sequences one token per step.

        `spans[i]` = (a, b): the log-probabilities of suffix i's tokens a..b-1 are recorded as its prompt is
        fed, for the price of their logits (what the model thinks of the text a prompt carries); a job with
        `max_new` 0 only does that (forced decoding, `score`)."""
        groups = [[Job(i, list(s), limit, guides=list(guides[i]) if guides else [],
                       span=spans[i] if spans else (0, 0))] for i, (s, limit) in enumerate(zip(suffixes, max_new))]
        keep = min((a - 1 for a, b in spans if b > a), default=None) if spans else None
        with self._shared_start(suffixes, keep) as shared:
            return self._generate(groups, stop, shared, follow)

    def candidates(self, suffixes: Sequence[list[int]], max_new: Sequence[int], n: int,
                   guides: Sequence[list[list[int]]] | None = None,
                   seed: int = 0) -> list[list[Decoded]]:
        """`n` continuations of each suffix: the greedy one first, then n - 1 epsilon samples.

        The suffix is evaluated once and its cache forked into the samples' sequences, so n candidates
        cost n outputs but one prompt. Each sample's generator is seeded by `seed`, the suffix's index and
        its rank."""
        n = max(1, min(n, self.n_slots))
        groups = []
        for i, (s, limit) in enumerate(zip(suffixes, max_new)):
            g = list(guides[i]) if guides else []
            groups.append([Job(i * n + r, list(s), limit, guides=g,
                               rng=np.random.default_rng([seed, i, r]) if r else None) for r in range(n)])
        with self._shared_start(suffixes) as shared:
            flat = self._generate(groups, None, shared)
        return [flat[i * n : (i + 1) * n] for i in range(len(suffixes))]

    def _generate(self, groups: list[list[Job]], stop: Callable[[list[int]], bool] | None,
                  shared: int, follow: FollowUp | None = None) -> list[Decoded]:
        """Run jobs in groups sharing one suffix: the group's first job evaluates it, the others fork."""
        # Longest prompt first (the queue pops from its end): the jobs started last are the short ones, so
        # the batch stays full until nearly the end instead of finishing on one long sequence decoded alone.
        queue = sorted(groups, key=lambda g: len(g[0].suffix)) if self.longest_first else groups[::-1]
        results = [Decoded([], 0.0, [])] * sum(len(g) for g in groups)
        slots: dict[int, Job] = {}
        start = groups[0][0].suffix[:shared] if groups else []  # evaluated once, after the prefix in sequence 0
        given = len(results)  # follow-ups are asked for these jobs only, not for follow-ups

        def finish(job: Job, seq: int) -> None:
            self._finish(job, seq, slots, results)
            asked = follow(job.index, job.out, job.logprob) if follow and job.index < given else ()
            for suffix, limit, names in asked:
                results.append(Decoded([], 0.0, []))
                queue.append([Job(len(results) - 1, list(suffix), limit, guides=list(names))])  # started next

        while queue or slots:
            free = [seq for seq in range(1, self.n_slots + 1) if seq not in slots]
            while queue and len(queue[-1]) <= len(free):
                lead, *twins = queue.pop()
                seq, free = free[0], free[1:]
                if lead.max_new:  # 0: a prompt only scored
                    lead.max_new = max(1, min(lead.max_new, self.slot_ctx - len(lead.suffix) - 1))
                skip = shared if lead.suffix[:shared] == start else 0  # a follow-up may not share the start
                llama_cpp.llama_memory_seq_rm(self.mem, seq, -1, -1)
                llama_cpp.llama_memory_seq_cp(self.mem, 0, seq, -1, -1)
                llama_cpp.llama_memory_seq_rm(self.mem, seq, len(self.prefix) + skip, -1)
                lead.pending, lead.pos = lead.suffix[skip : self.slot_ctx - 1], len(self.prefix) + skip
                slots[seq] = lead
                for twin in twins:  # idle (nothing pending) until the lead's prompt is in the cache
                    twin.max_new = lead.max_new
                    lead.twins.append(free[0])
                    slots[free.pop(0)] = twin
            # One llama_decode per step, at most 512 tokens: long prompts are fed over several steps.
            decoding = [seq for seq, j in slots.items() if len(j.pending) == 1]
            filling = sum(len(j.pending) for j in slots.values() if len(j.pending) > 1)
            k = self._draft_len(len(decoding), min(filling, 512)) if self.prompt_lookup else 0
            drafts = {seq: lookup_draft(slots[seq].suffix, slots[seq].out,
                                        min(k, slots[seq].max_new - len(slots[seq].out) - 1))
                      if k and slots[seq].rng is None else [] for seq in decoding}
            entries: list[tuple[int, int, int, bool]] = []
            order: list[tuple[int, int, list[int] | None]] = []  # (sequence, batch index of first logits, draft)
            scored: list[tuple[Job, int, int]] = []  # (job, batch index, the span token its logits predict)
            room = 512 - sum(1 + len(d) for d in drafts.values())
            for seq, job in slots.items():
                draft = drafts.get(seq)
                if draft is not None:  # decoding: its last token, then the looked-up tokens, all with logits
                    take = job.pending + draft
                    entries += [(tok, job.pos + n, seq, True) for n, tok in enumerate(take)]
                    order.append((seq, len(entries) - len(take), draft))
                    job.pending = []
                    continue
                take = job.pending[: max(room, 0)]  # prompt: as much as fits, logits for its last token
                room -= len(take)
                a, b = job.span
                for n, tok in enumerate(take):
                    k = job.pos + n - len(self.prefix)  # this token's place in the suffix
                    if a - 1 <= k < b - 1:
                        scored.append((job, len(entries), job.suffix[k + 1]))
                    last = n == len(job.pending) - 1 and job.max_new > 0  # its logits start the output
                    entries.append((tok, job.pos + n, seq, a - 1 <= k < b - 1 or last))
                job.pos += len(take)
                job.pending = job.pending[len(take):]
                if take and not job.pending:
                    order.append((seq, len(entries) - 1, None))
            self._decode(entries)
            for job, batch_idx, target in scored:
                logits = self._logits(batch_idx)
                job.span_lps.append(float(logits[target]) - log_normaliser(logits))
            for seq, first, draft in order:
                job = slots[seq]
                if not job.max_new:
                    finish(job, seq)
                    continue
                for twin_seq in job.twins:  # the prompt is evaluated: each twin copies it, then draws its own
                    twin = slots[twin_seq]
                    llama_cpp.llama_memory_seq_rm(self.mem, twin_seq, -1, -1)
                    llama_cpp.llama_memory_seq_cp(self.mem, seq, twin_seq, -1, -1)
                    twin.pos = job.pos + (draft is not None)  # a lead fed as decoding has its token counted later
                    llama_cpp.llama_memory_seq_rm(self.mem, twin_seq, twin.pos, -1)  # never the lead's draft
                    if self._advance(twin, twin_seq, first, None, stop):
                        finish(twin, twin_seq)
                job.twins = []
                if self._advance(job, seq, first, draft, stop):
                    finish(job, seq)
        return results

    def _finish(self, job: Job, seq: int, slots: dict[int, Job], results: list[Decoded]) -> None:
        results[job.index] = Decoded(job.out, job.logprob, job.span_lps)
        llama_cpp.llama_memory_seq_rm(self.mem, seq, -1, -1)
        del slots[seq]

    def _advance(self, job: Job, seq: int, first: int, draft: list[int] | None,
                 stop: Callable[[list[int]], bool] | None) -> bool:
        """Take the next token from the logits at `first`, and one more from each following position for as
        long as the draft is confirmed; the cache keeps only confirmed tokens. True when the job is done."""
        if draft is not None:
            job.pos += 1  # the last token fed, now in the cache
        tok = -1
        for n in range(len(draft or []) + 1):
            tok = self._choose(job, first + n)
            if llama_cpp.llama_vocab_is_eog(self.vocab, tok):
                return True
            job.out.append(tok)
            if len(job.out) >= job.max_new or (stop is not None and stop(job.out)):
                return True
            if not draft or n >= len(draft) or tok != draft[n]:
                break
            job.pos += 1  # the draft token confirmed: it stays in the cache
            self.accepted += 1
        if draft:
            self.drafted += len(draft)
            llama_cpp.llama_memory_seq_rm(self.mem, seq, job.pos, -1)  # drop the refuted draft tokens
        job.pending = [tok]
        return False

    def _choose(self, job: Job, batch_idx: int) -> int:
        """The next token of `job` (greedy, or sampled if it has a generator) from the logits at `batch_idx`:
        Chinese banned, names completed."""
        logits = self._logits(batch_idx)
        if self.ban_idx is not None:
            logits = logits.copy()
            logits[self.ban_idx] = -np.inf
        if job.rng is None:
            tok = int(np.argmax(logits))
        else:
            probs = np.exp(logits - logits.max())
            probs /= probs.sum()
            probs[probs < EPSILON] = 0.0
            tok = int(job.rng.choice(self.n_vocab, p=probs / probs.sum()))
        if job.guides:
            nxt = guided_next(job.out, job.guides)
            if nxt and tok not in nxt:
                best = max(nxt, key=lambda t: float(logits[t]))
                if logits[best] >= logits[tok] - GUIDE_MARGIN:
                    tok = best
        if self.track_logprob:
            job.logprob += float(logits[tok]) - log_normaliser(logits)
        return tok

    def _draft_len(self, decoding: int, others: int) -> int:
        """How many looked-up tokens to verify per decoding sequence this step (0: plain decoding).

        A step costs a fixed weight pass (PASS_COST tokens' worth) plus its tokens; a draft of k tokens
        yields 1 + a + … + a^k tokens, a being the acceptance rate seen so far. Few sequences (a re-ask,
        one request, the end of a batch) leave the pass under-used, so drafts are nearly free; a full
        batch is bound by arithmetic, and speculating there would only add work."""
        if not decoding:
            return 0
        a = self.accepted / self.drafted
        best, best_rate = 0, 0.0
        for k in range(MAX_DRAFT + 1):
            rate = decoding * sum(a**i for i in range(k + 1)) / (PASS_COST + others + decoding * (k + 1))
            if rate > best_rate:
                best, best_rate = k, rate
        return best

    def _logits(self, batch_idx: int) -> np.ndarray:
        """The logits at a position of the last decode (a view: valid until the next one)."""
        return np.ctypeslib.as_array(llama_cpp.llama_get_logits_ith(self.ctx, batch_idx), shape=(self.n_vocab,))

    def score(self, suffixes: Sequence[list[int]], continuations: Sequence[list[int]]) -> list[list[float]]:
        """Forced decoding: the log-probability of every continuation token given `prefix + suffix`.

        Used for quality estimation and fluency: jobs that generate nothing, packed into each step like
        any prompt, since prompt processing is the cost here. A runaway candidate is judged on its first
        256 tokens."""
        todo = [i for i, c in enumerate(continuations) if c]
        conts = [list(continuations[i][:256]) for i in todo]
        spans = [(len(suffixes[i]), len(suffixes[i]) + len(c)) for i, c in zip(todo, conts)]
        done = self.generate([list(suffixes[i]) + c for i, c in zip(todo, conts)], [0] * len(todo), spans=spans)
        out: list[list[float]] = [[] for _ in suffixes]
        for i, d in zip(todo, done):
            out[i] = d.span_lps
        return out
