"""Chinese named entities (persons, places, organisations, times) with Baidu's LAC, run in numpy.

LAC is a BiGRU-CRF lexical analyser (Apache-2.0) whose weights ship inside the `LAC` sdist on PyPI.
Paddle, its runtime, no longer installs here, but the network is small: an embedding, two
bidirectional GRU layers, a linear emission layer and a CRF. This module reads Paddle's parameter
files directly and runs the same computation, so an article is tagged in a fraction of a second with
nothing but numpy. `zhen models pull lac` fetches and verifies the sdist.
"""

from __future__ import annotations

import math
import struct
from collections.abc import Sequence
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

import numpy as np

from zhen.errors import ModelError

KINDS = {"PER": "person", "nr": "person", "LOC": "place", "ns": "place", "ORG": "org", "nt": "org",
         "TIME": "time"}


@dataclass(frozen=True)
class Entity:
    """A span of the text LAC tagged as a person, place, organisation or time."""

    text: str
    kind: str  # person | place | org | time
    start: int
    end: int


def _varint(buf: bytes, i: int) -> tuple[int, int]:
    value = shift = 0
    while True:
        byte = buf[i]
        i += 1
        value |= (byte & 0x7F) << shift
        shift += 7
        if byte < 0x80:
            return value, i


def read_paddle_tensor(path: Path) -> np.ndarray:
    """A float32 parameter saved by Paddle's `save_inference_model` (LoDTensor: header, TensorDesc, data)."""
    buf = path.read_bytes()
    i = 4  # format version
    (levels,) = struct.unpack_from("<Q", buf, i)
    i += 8
    for _ in range(levels):
        (size,) = struct.unpack_from("<Q", buf, i)
        i += 8 + size
    i += 4  # tensor version
    (desc_len,) = struct.unpack_from("<i", buf, i)
    i += 4
    desc, i = buf[i : i + desc_len], i + desc_len
    dtype, dims, j = None, [], 0
    while j < len(desc):  # protobuf TensorDesc: 1 = data_type (varint), 2 = dims (repeated int64)
        key, j = _varint(desc, j)
        field, wire = key >> 3, key & 7
        if wire == 0:
            value, j = _varint(desc, j)
            if field == 1:
                dtype = value
            elif field == 2:
                dims.append(value)
        elif wire == 2:
            n, j = _varint(desc, j)
            end = j + n
            while j < end:
                value, j = _varint(desc, j)
                dims.append(value)
        else:
            raise ModelError(f"{path}: unexpected field in a Paddle tensor header")
    if dtype != 5:  # FP32
        raise ModelError(f"{path}: expected a float32 tensor, got Paddle data type {dtype}")
    return np.frombuffer(buf, dtype="<f4", offset=i).reshape(dims).astype(np.float32)


def _sigmoid(x: np.ndarray) -> np.ndarray:
    return 1.0 / (1.0 + np.exp(-x))


class _Segmenter:
    """LAC's pre-segmentation: words of `small_seg.dic` become one input token when the vocabulary has them.

    Same rule as LAC's `fast_cut`: the path through the dictionary DAG with the fewest words (a word of
    n characters scores log n), runs of single Latin letters and digits kept together.
    """

    def __init__(self, path: Path) -> None:
        self.tree: dict[str, int | None] = {}
        total = 0
        for line in path.read_text(encoding="utf-8").splitlines():
            word, _, count = line.strip().partition(" ")
            if not word:
                continue
            self.tree[word] = len(word)
            for k in range(1, len(word)):
                self.tree.setdefault(word[:k], None)
            total += int(count or 0)
        self.logtotal = math.log(max(total, 1))

    def cut(self, text: str) -> list[str]:
        n = len(text)
        dag: list[list[int]] = [[k] for k in range(n)]
        for head in range(n):
            end = head + 1
            while end <= n and text[head:end] in self.tree:
                if self.tree[text[head:end]] and end - 1 != head:
                    dag[head].append(end - 1)
                end += 1
        route: list[tuple[float, int]] = [(0.0, 0)] * (n + 1)
        for idx in range(n - 1, -1, -1):
            route[idx] = max((math.log(self.tree.get(text[idx : e + 1]) or 1) - self.logtotal + route[e + 1][0], e)
                             for e in dag[idx])
        out, buf, i = [], "", 0
        while i < n:
            j = route[i][1] + 1
            word = text[i:j]
            if j - i == 1 and word.isascii() and word.isalnum():
                buf += word
            else:
                if buf:
                    out.append(buf)
                    buf = ""
                out.append(word)
            i = j
        if buf:
            out.append(buf)
        return out


class LacTagger:
    """LAC's joint segmentation, part-of-speech and NER tagger over a `lac_model` directory."""

    def __init__(self, model_dir: Path) -> None:
        model, conf = model_dir / "model", model_dir / "conf"
        try:
            self.vocab = {w: int(i) for i, w in (ln.split("\t", 1) for ln in
                          (conf / "word.dic").read_text(encoding="utf-8").split("\n") if "\t" in ln)}
            self.q2b = dict(ln.split("\t", 1) for ln in (conf / "q2b.dic").read_text(encoding="utf-8").split("\n")
                            if "\t" in ln)
            tags = [ln.split("\t") for ln in (conf / "tag.dic").read_text(encoding="utf-8").splitlines() if ln]
            self.tags = {int(i): t for i, t in tags}  # later lines rename nr/ns/nt to PER/LOC/ORG
            self.segmenter = _Segmenter(conf / "small_seg.dic")
            p = {f.name: read_paddle_tensor(f) for f in model.iterdir() if f.name != "__model__"}
        except (OSError, ValueError, struct.error) as err:
            raise ModelError(f"{model_dir} is not a LAC model directory: {err}") from None
        self.oov = self.vocab["OOV"]
        self.emb = p["word_emb"]
        # Layer k: fc_{2k} + gru_{2k} read forwards, fc_{2k+1} + gru_{2k+1} backwards.
        self.layers = [[(p[f"fc_{d}.w_0"], p[f"fc_{d}.b_0"], p[f"gru_{d}.w_0"], p[f"gru_{d}.b_0"].ravel())
                        for d in (2 * k, 2 * k + 1)] for k in range(2)]
        self.out_w, self.out_b = p["fc_4.w_0"], p["fc_4.b_0"]
        crf = p["crfw"]
        self.start, self.stop, self.trans = crf[0], crf[1], crf[2:]

    def _ids(self, text: str) -> tuple[list[int], list[int]]:
        ids, lengths = [], []
        for word in self.segmenter.cut(text):
            if word in self.vocab:
                ids.append(self.vocab.get(self.q2b.get(word, word), self.oov))
                lengths.append(len(word))
            else:
                ids += [self.vocab.get(self.q2b.get(ch, ch), self.oov) for ch in word]
                lengths += [1] * len(word)
        return ids, lengths

    @staticmethod
    def _gru(x: np.ndarray, mask: np.ndarray, w: np.ndarray, b: np.ndarray) -> np.ndarray:
        """Paddle's `dynamic_gru` (origin_mode off) over a padded batch: x is (batch, time, 3H)."""
        batch, steps, three_h = x.shape
        hid = three_h // 3
        flat = w.ravel()  # Paddle stores the gate weights (H × 2H) and then the candidate weights (H × H)
        w_gate, w_cand = flat[: 2 * hid * hid].reshape(hid, 2 * hid), flat[2 * hid * hid :].reshape(hid, hid)
        h = np.zeros((batch, hid), dtype=np.float32)
        out = np.zeros((batch, steps, hid), dtype=np.float32)
        for t in range(steps):
            xt = x[:, t] + b
            gates = _sigmoid(xt[:, : 2 * hid] + h @ w_gate)
            u, r = gates[:, :hid], gates[:, hid:]
            c = np.tanh(xt[:, 2 * hid :] + (r * h) @ w_cand)
            h_new = (1 - u) * h + u * c
            m = mask[:, t : t + 1]
            h = m * h_new + (1 - m) * h
            out[:, t] = h
        return out

    def _emissions(self, seqs: list[list[int]]) -> np.ndarray:
        lens = np.array([len(s) for s in seqs])
        steps = int(lens.max())
        ids = np.full((len(seqs), steps), self.oov)
        for k, s in enumerate(seqs):
            ids[k, : len(s)] = s
        mask = (np.arange(steps)[None, :] < lens[:, None]).astype(np.float32)
        # Reading backwards = reading each sequence's valid part reversed, then reversing the outputs.
        rev = np.array([[n - 1 - t if t < n else t for t in range(steps)] for n in lens])
        rows = np.arange(len(seqs))[:, None]
        feat = self.emb[ids]
        for (fw, bw) in self.layers:
            fwd = self._gru(feat @ fw[0] + fw[1], mask, fw[2], fw[3])
            back_in = (feat @ bw[0] + bw[1])[rows, rev]
            back = self._gru(back_in, mask, bw[2], bw[3])[rows, rev]
            feat = np.concatenate([fwd, back], axis=-1)
        return feat @ self.out_w + self.out_b

    def _viterbi(self, em: np.ndarray) -> list[int]:
        score = self.start + em[0]
        back = []
        for t in range(1, len(em)):
            cand = score[:, None] + self.trans
            back.append(cand.argmax(axis=0))
            score = cand.max(axis=0) + em[t]
        best = [int((score + self.stop).argmax())]
        for bp in reversed(back):
            best.append(int(bp[best[-1]]))
        return best[::-1]

    def tag(self, texts: Sequence[str], batch_size: int = 32) -> list[list[tuple[str, str]]]:
        """(word, tag) pairs per text; tags are LAC's: PER, LOC, ORG, TIME, n, v, nz, w …"""
        results: list[list[tuple[str, str]]] = [[] for _ in texts]
        work = [(k, *self._ids(t)) for k, t in enumerate(texts) if t]
        work.sort(key=lambda w: len(w[1]))  # similar lengths in a batch: less padding
        for start in range(0, len(work), batch_size):
            chunk = work[start : start + batch_size]
            em = self._emissions([ids for _, ids, _ in chunk])
            for row, (k, ids, lengths) in enumerate(chunk):
                labels = [self.tags[i] for i in self._viterbi(em[row, : len(ids)])]
                chars: list[str] = []
                for label, n in zip(labels, lengths):  # a whole-word token stands for n characters
                    chars += [label] + [label[:-2] + "-I"] * (n - 1)
                words: list[tuple[str, str]] = []
                for ch, label in zip(texts[k], chars):
                    if not words or label.endswith("-B"):
                        words.append((ch, label[:-2]))
                    else:
                        words[-1] = (words[-1][0] + ch, label[:-2])
                results[k] = words
        return results

    def entities(self, texts: Sequence[str]) -> list[list[Entity]]:
        """Persons, places, organisations and times of each text, with character offsets."""
        out = []
        for words in self.tag(texts):
            ents, pos = [], 0
            for word, label in words:
                if label in KINDS:
                    ents.append(Entity(word, KINDS[label], pos, pos + len(word)))
                pos += len(word)
            out.append(ents)
        return out


@lru_cache(maxsize=2)
def load(model_dir: str) -> LacTagger:
    """One tagger per model directory and process (loading reads 30 MB of weights)."""
    return LacTagger(Path(model_dir))


class LazyTagger:
    """The LAC tagger of `model_dir`, loaded on first use: building a pipeline costs nothing, and a
    process that never meets Chinese names never reads the 30 MB of weights."""

    def __init__(self, model_dir: str | Path) -> None:
        self.model_dir = str(model_dir)

    def entities(self, texts: Sequence[str]) -> list[list[Entity]]:
        return load(self.model_dir).entities(texts)
