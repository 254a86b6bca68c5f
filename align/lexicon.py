"""Lexical views of a document: one from a bilingual dictionary, one learned from the document itself.

Sentence embeddings blur short sentences and formulaic ones ("驴六万一千匹。" / "And threescore and
one thousand asses,"): whether such a sentence joins the bead before or after it is nearly a coin
toss for the embedder. Names, numbers and content words are not: a document that pairs 雅各 with
"Jacob" in hundreds of confident beads has taught us a dictionary. So, as Hunalign does with a
dictionary, we learn word associations (Dice coefficient over the confident 1-1 beads of a first
alignment) between Chinese characters/character bigrams and English words, map every Chinese
sentence to the English words it predicts, and compare that bag with the English sentence's words.

Short documents (a literary chapter of 150 sentences) have too few confident beads to learn from, and
a literary translator's English shares little wording with an embedder's idea of a translation. There
CC-CEDICT (`dictionary_vectors`) gives the lexical evidence from the start, as Champollion does for
Chinese: each Chinese sentence is cut into dictionary words (longest match first) and predicts the
stems of their English glosses, and a pair of Chinese characters whose pinyin is an English word of
the document (王琦瑶's 琦瑶 → "Qiyao") predicts that word.

Bags add up, so a many-sentence bead's vector is exact (the sum of its sentences' bags). Vocabulary
sizes vary, so bags are projected to a fixed dimension with a seeded Gaussian matrix (dot products
are kept in expectation), which lets the aligner treat them like embeddings.
"""

from __future__ import annotations

import re

import numpy as np
import scipy.sparse as sp
from pypinyin import lazy_pinyin

from zhen.dictionary import cedict
from zhen.text.cleanup import is_cjk

# Projected dimension. Projection noise in a cosine is about 1/sqrt(DIM): at 512 the Bible's F1 still
# moved by ±0.002 with the projection seed, at 1,024 by under 0.001.
DIM = 1024
TOP = 3  # associations kept per Chinese unit
MIN_COOCCUR = 2  # a pair seen once is noise
_WORD = re.compile(r"[a-z0-9]+")


def zh_units(sentence: str) -> set[str]:
    """Han characters and digits, and the bigrams of that sequence (words without a segmenter)."""
    chars = [c for c in sentence if is_cjk(c) or c.isdigit()]
    return set(chars) | {a + b for a, b in zip(chars, chars[1:])}


def en_units(sentence: str) -> set[str]:
    return set(_WORD.findall(sentence.lower()))


def _dictionary_words(sentence: str) -> set[str]:
    """Stems the sentence's dictionary words translate to (`cedict.dictionary_words`)."""
    return {g for _, gloss in cedict.dictionary_words(sentence) for g in gloss}


def _pinyin_words(sentence: str, english: set[str]) -> set[str]:
    """English words of the document that two or three neighbouring Han characters spell in pinyin."""
    syllables = lazy_pinyin("".join(c for c in sentence if is_cjk(c)))
    found = {"".join(syllables[i : i + k]) for k in (2, 3) for i in range(len(syllables) - k + 1)}
    return {"py:" + w for w in found & english}


def dictionary_vectors(zh: list[str], en: list[str]) -> tuple[np.ndarray, np.ndarray]:
    """Projected idf-weighted bags over the document's English stems: each Chinese sentence's through the
    dictionary (and pinyin for names), each English sentence's as written. A sentence with no word in common
    with the other side's vocabulary gets a zero vector, which the aligner takes as no evidence."""
    words = [_WORD.findall(s.lower()) for s in en]
    english = {w for ws in words for w in ws}
    bags_e = [set(cedict.content_stems(s)) | {"py:" + w for w in ws} for s, ws in zip(en, words)]
    bags_z = [_dictionary_words(s) | _pinyin_words(s, english) for s in zh]
    vocab: dict[str, int] = {}
    xe = _incidence(bags_e, vocab)
    xz = _incidence(bags_z, vocab, grow=False)  # Chinese predictions no English sentence has weigh nothing
    weights = sp.diags(_idf(xe))
    proj = _projection(len(vocab))
    return np.asarray((xz @ weights) @ proj), np.asarray((xe @ weights) @ proj)


def _idf(x: sp.csr_matrix) -> np.ndarray:
    """Inverse document frequency of each column of a sentence × unit matrix: "and", "the" weigh little."""
    df = np.asarray(x.sum(0)).ravel()
    return np.log((x.shape[0] + 1) / (df + 1)).astype(np.float32)


def _projection(n: int) -> np.ndarray:
    """A seeded Gaussian map from n vocabulary entries to DIM (dot products kept in expectation)."""
    rng = np.random.default_rng(0)
    return (rng.standard_normal((n, DIM)) / np.sqrt(DIM)).astype(np.float32)


def _incidence(units: list[set[str]], vocab: dict[str, int], grow: bool = True) -> sp.csr_matrix:
    """Sentence × unit 0/1 matrix over `vocab` (unit → column), which new units join when `grow`, and are
    left out of otherwise. Units are visited sorted: set order changes with Python's string hashing from
    run to run, and the column order decides which projection row a word gets."""
    rows, cols = [], []
    for r, us in enumerate(units):
        for u in sorted(us):
            c = vocab.setdefault(u, len(vocab)) if grow else vocab.get(u)
            if c is not None:
                rows.append(r)
                cols.append(c)
    return sp.csr_matrix((np.ones(len(rows), np.float32), (rows, cols)), shape=(len(units), len(vocab)))


class Lexicon:
    """Sentence bags of one document: Chinese ones predicted through learned associations."""

    def __init__(self, zh: list[str], en: list[str]) -> None:
        self.xz = _incidence([zh_units(s) for s in zh], {})
        self.xe = _incidence([en_units(s) for s in en], {})
        self.idf = _idf(self.xe)
        self.proj = _projection(self.xe.shape[1])

    def associations(self, pairs: list[tuple[int, int]]) -> sp.csr_matrix:
        """Dice(zh unit, en word) over the sentence pairs, the TOP strongest per unit."""
        zi = np.array([i for i, _ in pairs], np.int64)
        ej = np.array([j for _, j in pairs], np.int64)
        tz, te = self.xz[zi], self.xe[ej]
        co = (tz.T @ te).tocoo()
        dfz, dfe = np.asarray(tz.sum(0)).ravel(), np.asarray(te.sum(0)).ravel()
        keep = co.data >= MIN_COOCCUR
        r, c = co.row[keep], co.col[keep]
        dice = 2 * co.data[keep] / (dfz[r] + dfe[c])
        order = np.lexsort((-dice, r))  # by unit, strongest first
        r, c, dice = r[order], c[order], dice[order]
        first = np.searchsorted(r, r, side="left")
        top = np.arange(len(r)) - first < TOP
        return sp.csr_matrix((dice[top], (r[top], c[top])), shape=co.shape)

    def vectors(self, pairs: list[tuple[int, int]]) -> tuple[np.ndarray, np.ndarray]:
        """Unnormalised projected bags (Chinese predicted, English observed), one row per sentence."""
        assoc = self.associations(pairs)
        bag_z = (self.xz @ assoc).multiply(self.idf[None, :]).tocsr()
        bag_e = self.xe.multiply(self.idf[None, :]).tocsr()
        return np.asarray(bag_z @ self.proj), np.asarray(bag_e @ self.proj)

