"""Sentence alignment: anchors from mutual nearest neighbours, then a banded DP over many-to-many beads.

Every bead's gain is a log-likelihood ratio, calibrated on the document itself, so the same code
works for long distinctive news sentences and short formulaic ones (scripture, lists):

- Embeddings are centred per language (the mean vector is subtracted) so that cosine measures
  content, not "this is Chinese". The mean of n sentences is shrunk by n / (n + 1): a one-sentence
  side would otherwise be centred to nothing. A bead of several sentences first gets the
  length-weighted mean of their vectors (no model call); only the spans where the path is unsure,
  or merges, are then embedded as concatenated text and the DP runs again, so a small document
  costs little more than embedding its sentences once.
- `Calibration`: cosines of the mutual-nearest-neighbour anchors model "translations", cosines of
  anchors shifted by 1–3 sentences model "neighbours that are not translations"; a bead with
  cosine x gains (mu_t - mu_f) / sd² · (x - (mu_t + mu_f) / 2) nats (the equal-variance Gaussian
  log-likelihood ratio), minus a length penalty (how unusual the English/Chinese character ratio is
  for this document's anchors) and minus the log prior odds of its type against 1-1.
- Robust: each piece of evidence misjudges a share EPS of true translations (an embedder that
  cannot read "threescore and one thousand", a free translation twice the usual length), so a
  bead's cosine evidence is log((1 - EPS)·LR + EPS) and its length penalty is at most -log EPS:
  one bad signal cannot outvote everything else and push a sentence into a neighbour's bead.
- Bead-type priors start from defaults shaped like real translation (splits and merges common,
  unmatched sentences rare) and are re-estimated once from the document's own first alignment
  (smoothed by the defaults), then the DP runs again.
- A merge must be explained by each of its members: a sentence on the side of several is compared
  alone with the other side's bead, and one that reads like a mere neighbour counts against the merge.
  A translator's split piece is judged as a piece, expected to carry only its share of the translation
  (a literary translator splits one sentence into up to five, some of two words); a sentence left
  untranslated, swept into its neighbour's bead only because unmatched sentences are rare, does not pass.
- The text has the last word on unmatched sentences: each joins the adjacent bead when the exact
  embedding of the merged text is a better translation of the other side than the bead's own
  (`_rescue_pieces`). That is how a translator's split piece the embedder half-reads (a number spelt
  out in words) gets back into its bead; an untranslated sentence lowers the cosine and stays out.
- The order of the text has the last word on the borders between beads: an English piece at the end of
  one bead and the start of the next goes with the Chinese sentence whose edge clause it translates
  (`_shift_pieces`). Whole-sentence vectors cannot tell which end of a long sentence a short piece renders.
- Where the translation's content crosses a border (the end of one Chinese sentence carried into the next
  English sentence), the two beads merge into one (2-2, 2-3 …): either side's text, cut a clause
  off the sentence border, then reads better against the other side's beads than cut at it
  (`_merge_crossings`, in documents up to EXACT_LIMIT sentences).
- A bilingual dictionary (CC-CEDICT) adds a lexical channel from the first pass: the English glosses
  of a Chinese sentence's words against the English sentence's words (`align.lexicon`). Its
  calibrated log-likelihood ratio is added to the embedding's (the views are treated as independent
  evidence). It is weak alone (anchors' translations and neighbours about 1.7 standard deviations
  apart, the embedding 3) but errs elsewhere: a free literary translation the embedder half-reads
  still says "oleander" where the Chinese says 夹竹桃.
- Long documents (enough confident 1-1 beads) add a further lexical channel learned from those
  beads (`align.lexicon`), and the DP runs a third time.

Memory stays O((n+m)·band): similarities are computed in row chunks and the DP keeps one band per row.
"""

from __future__ import annotations

import bisect
import math
import re
from dataclasses import dataclass, field

import numpy as np

from zhen.align.beads import Bead
from zhen.align.embed import Embedder
from zhen.align.lexicon import Lexicon, dictionary_vectors

BEAD_TYPES = [(1, 1), (1, 0), (0, 1), (1, 2), (2, 1), (2, 2), (1, 3), (3, 1), (2, 3), (3, 2), (1, 4), (4, 1),
              (1, 5), (5, 1)]
MAX_SPAN = 5  # literary translators split one long sentence into as many as five
# Prior probability of each bead type before the document's own counts (pseudo-counts, see `_priors`).
# Real translators split and merge sentences often and leave one out rarely, so an unmatched sentence
# starts five times less likely than a 1-2 or 2-1 bead; a document that does drop sentences shows it in
# its first pass and the re-estimated priors follow. Whether a sentence is a merge's member or left
# unmatched is then decided by evidence: each member of a merge must itself read like a (partial)
# translation of the other side (`_Doc._member_doubt`).
DEFAULT_PRIORS = {(1, 1): 0.80, (1, 0): 0.01, (0, 1): 0.01, (1, 2): 0.05, (2, 1): 0.05, (2, 2): 0.01,
                  (1, 3): 0.01, (3, 1): 0.01, (2, 3): 0.005, (3, 2): 0.005, (1, 4): 0.0025, (4, 1): 0.0025,
                  (1, 5): 0.001, (5, 1): 0.001}
PRIOR_WEIGHT = 50.0  # pseudo-count mass of the defaults when re-estimating priors from a document
# Approximate many-sentence embeddings: dot / norm**SHRINK (1 = renormalise fully). Chosen on the development
# sets (synthetic FLORES over seven seeds, realistic, Bible chapters); 0.75 and 0.85 differ by ~0.001 F1.
SHRINK = 0.85
EXACT_LIMIT = 1200  # documents up to this many sentences (both sides) embed unsure beads' concatenations exactly
EPS = 0.01  # share of true translations that one signal (cosine, length ratio) misjudges
REFINE_SHARE = 0.25  # exact span embeddings per sentence at most (each costs ~2-3 sentences' worth)
REFINE_MIN = 24  # ... but at least this many: a short document's few merges are cheap to check
SURE = math.log(9.0)  # nats: a 1-1 bead this far ahead of its neighbours is right 9 times in 10
MEMBER_WEIGHT = 0.5  # weight of a merge's members' own evidence (`_Doc._member_doubt`)
# ... where merges are judged by approximate (mean) span vectors only: a mean understates how well a merged
# bead matches, so doubt weighed fully against that understated gain splits true merges (long documents)
MEMBER_WEIGHT_APPROX = 0.25
RESCUE_PIECES = True  # unmatched sentences that the text says belong to a neighbour's bead join it (`_rescue_pieces`)
# Calibrated nats by which a split piece's other bead must read better, clause by clause, before the piece
# moves across the border (`_shift_pieces`). mac-dev (e5): 2 nats +0.010 F1, 3 +0.012, 4 +0.013, 6 +0.009.
SHIFT_NATS = 4.0
EDGE_SIZE = 6  # an edge clause grows clause by clause to at least this many Han characters (4: -0.002, 10: -0.004)
# Two adjacent beads become one where either side's text, cut a clause away from the sentence border, reads this
# many calibrated nats better against the other side's two beads than cut at the border (`_merge_crossings`): the
# translation's content crosses the border. mac-dev, e5 (EmbeddingGemma), from 0.890 (0.908) without the step:
# 2 nats 0.889 (0.923), 3 0.895 (0.926), 4 0.894 (0.923), 5 0.892 (0.920).
CROSS_NATS = 3.0
CROSS_REACH = 1  # clauses a cut may lie from the sentence border (2: 0.895 (0.927) for 1.6 times the cut texts)
# Only borders where a cross pair (one bead's Chinese sentence against the other's English one) reads no worse than
# this against the translation/neighbour midpoint are examined: crossing content shows there first, and most
# borders are spared the cut texts' embeddings (-2: 0.895 (0.924); -8: 0.896 (0.927))...
CROSS_FLOOR = -4.0
# ... and at most this many borders per sentence of the document, those with the strongest cross pair first: each
# costs eight embeddings of cut texts, one to two sentences long (0.2: 0.898 (0.927) for 1.8 times the cut texts;
# e5's 12 mac-dev chapters take 72 s with 0.1, an estimated 90 s with 0.2)
CROSS_SHARE = 0.1
LEXICON_MIN_PAIRS = 100  # confident 1-1 beads needed before a document's own lexicon is learned
DICTIONARY_VIEW = True  # CC-CEDICT's glosses as a lexical channel from the first pass (`_dictionary_view`)


@dataclass
class Calibration:
    """Per-document model turning a cosine and a length ratio into log-likelihood-ratio nats."""

    mu_t: float
    mu_f: float
    sd: float
    ratio: float  # typical English/Chinese character ratio (log-space mean of the anchors)
    log_sd: float  # spread of log length ratios among anchors
    separated: bool = True  # false when translations and neighbours barely differ (defaults imposed)

    @property
    def slope(self) -> float:
        """Nats per unit of cosine: how fast the Gaussian log-likelihood ratio grows."""
        return (self.mu_t - self.mu_f) / self.sd**2

    def raw_llr(self, cos: np.ndarray | float) -> np.ndarray | float:
        """The Gaussian log-likelihood ratio itself, unbounded: for comparing two readings of one text."""
        return self.slope * (cos - (self.mu_t + self.mu_f) / 2)

    def llr(self, cos: np.ndarray | float) -> np.ndarray | float:
        """log of (1 - EPS)·LR + EPS, LR the Gaussian likelihood ratio: bounded below by log EPS."""
        return np.logaddexp(math.log1p(-EPS) + self.raw_llr(cos), math.log(EPS))

    def length_penalty(self, len_zh: np.ndarray | float, len_en: np.ndarray | float) -> np.ndarray | float:
        """-log of (1 - EPS)·exp(-z²/2) + EPS: Gaussian in the log length ratio, with a heavy tail."""
        z = (np.log((len_en + 10.0) / (self.ratio * len_zh + 10.0))) / self.log_sd
        return -np.logaddexp(math.log1p(-EPS) - 0.5 * z * z, math.log(EPS))


def _unit(v: np.ndarray) -> np.ndarray:
    return (v / np.maximum(np.linalg.norm(v, axis=1, keepdims=True), 1e-12)).astype(np.float32)


@dataclass
class _Side:
    """One language's sentences and what embeds their spans: the model, the mean removed, the joiner."""

    sents: list[str]
    embedder: Embedder
    mean: np.ndarray
    joiner: str

    def approximate(self, base: np.ndarray) -> list[np.ndarray]:
        """ov[k][i] for sents[i-k+1 .. i] (k = 1..MAX_SPAN) as the length-weighted mean of the sentence
        vectors, shrunk so averaging does not inflate similarity: no model call."""
        n, dim = base.shape
        out = [np.zeros((0, dim), np.float32), base]
        lens = np.array([max(len(s), 1) for s in self.sents], dtype=np.float32)
        csum = np.vstack([np.zeros((1, dim), np.float32), np.cumsum(base * lens[:, None], axis=0)])
        csum_w = np.concatenate([[0.0], np.cumsum(lens)])
        idx = np.arange(n)
        for k in range(2, MAX_SPAN + 1):
            lo = np.maximum(idx - k + 1, 0)
            emb = (csum[idx + 1] - csum[lo]) / (csum_w[idx + 1] - csum_w[lo])[:, None]
            emb /= np.maximum(np.linalg.norm(emb, axis=1, keepdims=True), 1e-12) ** SHRINK
            out.append(emb.astype(np.float32))
        return out

    def make_exact(self, ov: list[np.ndarray], spans: set[tuple[int, int]]) -> int:
        """Replace ov[k][i] for each (k, i) in `spans` (k ≥ 2: the k sentences ending at i) by the
        embedding of their concatenated text, in one batched model call; returns how many were embedded."""
        todo = sorted((k, i) for k, i in spans if 2 <= k <= MAX_SPAN and i - k + 1 >= 0 and i < len(self.sents))
        if not todo:
            return 0
        vecs = self.span_vectors([(i - k + 1, i + 1) for k, i in todo])
        for (k, i), v in zip(todo, vecs):
            ov[k][i] = v
        return len(todo)

    def span_vectors(self, spans: list[tuple[int, int]]) -> np.ndarray:
        """Centred unit embeddings of sentences lo..hi-1 as one text, per (lo, hi), in one model call
        (the embedder caches them)."""
        return self.text_vectors([self.joiner.join(self.sents[lo:hi]) for lo, hi in spans])

    def text_vectors(self, texts: list[str]) -> np.ndarray:
        """Centred unit embeddings of `texts` (pieces of this side's sentences), in one model call."""
        return _unit(self.embedder.embed(texts) - self.mean)


def span_sums(v: np.ndarray, max_span: int) -> list[np.ndarray]:
    """out[k][i] = unit vector of v[i-k+1] + … + v[i] (k = 1..max_span; out[0] unused): exact bead
    vectors for views that add up, such as the lexicon's word bags."""
    n, dim = v.shape
    csum = np.vstack([np.zeros((1, dim), np.float32), np.cumsum(v, axis=0, dtype=np.float32)])
    idx = np.arange(n)
    return [np.zeros((0, dim), np.float32)] + [_unit(csum[idx + 1] - csum[np.maximum(idx - k + 1, 0)])
                                               for k in range(1, max_span + 1)]


def _nearest(z: np.ndarray, e: np.ndarray, chunk: int = 1024) -> tuple[np.ndarray, np.ndarray]:
    """Best match of every row of z in e and of every row of e in z, in bounded memory."""
    best_z = np.zeros(len(z), np.int64)
    col_best = np.full(len(e), -np.inf, np.float32)
    col_arg = np.zeros(len(e), np.int64)
    for s in range(0, len(z), chunk):
        sim = z[s : s + chunk] @ e.T
        best_z[s : s + chunk] = sim.argmax(axis=1)
        cmax = sim.max(axis=0)
        upd = cmax > col_best
        col_best[upd] = cmax[upd]
        col_arg[upd] = sim.argmax(axis=0)[upd] + s
    return best_z, col_arg


def _anchors(best_z: np.ndarray, best_e: np.ndarray) -> list[tuple[int, int]]:
    """Mutual nearest neighbours, reduced to the longest chain increasing on both sides."""
    pairs = [(i, int(j)) for i, j in enumerate(best_z) if best_e[j] == i]
    tails: list[int] = []
    tail_idx: list[int] = []
    prev = [-1] * len(pairs)
    for p, (_, j) in enumerate(pairs):
        pos = bisect.bisect_left(tails, j)
        if pos == len(tails):
            tails.append(j)
            tail_idx.append(p)
        else:
            tails[pos] = j
            tail_idx[pos] = p
        prev[p] = tail_idx[pos - 1] if pos > 0 else -1
    chain = []
    p = tail_idx[-1] if tail_idx else -1
    while p != -1:
        chain.append(pairs[p])
        p = prev[p]
    return chain[::-1]


def _calibrate(ez: np.ndarray, ee: np.ndarray, pairs: list[tuple[int, int]], lz: np.ndarray,
               le: np.ndarray) -> Calibration:
    """Translation vs neighbour cosine statistics from pairs believed right (anchors or 1-1 beads)."""
    if len(pairs) < 3:  # too little evidence: typical values for centred e5 embeddings
        return Calibration(0.55, 0.08, 0.12, max(le.sum(), 1.0) / max(lz.sum(), 1.0), 0.35)
    zi = np.array([i for i, _ in pairs])
    ej = np.array([j for _, j in pairs])
    true = np.einsum("ij,ij->i", ez[zi], ee[ej])
    false = []
    for d in (-3, -2, -1, 1, 2, 3):
        jj = ej + d
        ok = (jj >= 0) & (jj < len(ee))
        false.append(np.einsum("ij,ij->i", ez[zi[ok]], ee[jj[ok]]))
    false_all = np.concatenate(false)
    mu_t, mu_f = float(np.median(true)), float(np.median(false_all)) if len(false_all) else 0.0
    sd = float(np.sqrt((np.var(true) + np.var(false_all)) / 2)) if len(false_all) else 0.12
    sd = max(sd, 0.03)
    separated = mu_t - mu_f >= sd
    if not separated:  # barely separated (odd input): keep a sensible decision boundary and slope
        mu_t = mu_f + sd
    logr = np.log((le[ej] + 10.0) / (lz[zi] + 10.0))
    ratio = float(np.exp(np.median(logr)))
    log_sd = max(float(np.std(logr - np.median(logr))), 0.15)
    return Calibration(mu_t, mu_f, sd, ratio, log_sd, separated)


def _priors(beads: list[tuple[int, int]] | None) -> dict[tuple[int, int], float]:
    """Log prior odds of each bead type against 1-1: the defaults, or the document's counts smoothed by them."""
    counts = {t: PRIOR_WEIGHT * p for t, p in DEFAULT_PRIORS.items()}
    for t in beads or []:
        if t in counts:
            counts[t] += 1.0
    total = sum(counts.values())
    p11 = counts[(1, 1)] / total
    return {t: math.log((c / total) / p11) for t, c in counts.items()}


def _band(n: int, m: int, anchors: list[tuple[int, int]], width: int) -> tuple[np.ndarray, np.ndarray]:
    """Per DP row i (0..n), the allowed range [lo, hi] of j, around the interpolated anchor path."""
    xs = [0] + [a[0] + 1 for a in anchors] + [n]
    ys = [0] + [a[1] + 1 for a in anchors] + [m]
    center = np.interp(np.arange(n + 1), xs, ys)
    lo = np.clip(np.floor(center - width), 0, m).astype(np.int64)
    hi = np.clip(np.ceil(center + width), 0, m).astype(np.int64)
    lo[0], hi[-1] = 0, m
    for i in range(1, n + 1):  # keep the band connected so a path always exists
        lo[i] = min(lo[i], hi[i - 1])
        lo[i] = max(lo[i], lo[i - 1])
    for i in range(n - 1, -1, -1):
        hi[i] = max(hi[i], lo[i + 1])
        hi[i] = min(hi[i], hi[i + 1])
    return lo, hi


@dataclass
class _Doc:
    """Everything the DP reads, computed once per document."""

    oz: list[np.ndarray]
    oe: list[np.ndarray]
    cz: np.ndarray  # cumulative character counts
    ce: np.ndarray
    lo: np.ndarray
    hi: np.ndarray
    # further views of the same sentences (the document's lexicon): (zh spans, en spans, calibration)
    extra: list[tuple[list[np.ndarray], list[np.ndarray], Calibration]] = field(default_factory=list)
    member_weight: float = MEMBER_WEIGHT

    def gain(self, a: int, b: int, i: int, js: np.ndarray, cal: Calibration) -> np.ndarray:
        """Nats gained by a bead of a zh sentences ending at i and b en sentences ending at each j
        (0 ≤ j ≤ m, as the band keeps them; a bead reaching before the first sentence gains -inf)."""
        jj = np.maximum(js - 1, 0)
        cos = self.oe[b][jj] @ self.oz[a][i - 1]
        len_zh = self.cz[i] - self.cz[i - a]
        len_en = self.ce[js] - self.ce[np.maximum(js - b, 0)]
        g = np.asarray(cal.llr(cos) - cal.length_penalty(len_zh, len_en), dtype=np.float64)
        if self.member_weight and max(a, b) > 1:
            g = g + self.member_weight * self._member_doubt(a, b, i, js, jj, cal)
        for sz, se, c in self.extra:  # a zero vector (no known word) is no evidence either way
            cos = se[b][jj] @ sz[a][i - 1]
            g = g + np.where(cos == 0.0, 0.0, c.llr(cos))
        g[js - b < 0] = -np.inf
        return g

    def _member_doubt(self, a: int, b: int, i: int, js: np.ndarray, jj: np.ndarray, cal: Calibration) -> np.ndarray:
        """Evidence against a merge from its weakest members: each sentence on a side of several is
        compared alone with the other side's whole bead, and a member that reads like a neighbour (negative
        log-likelihood ratio) costs what it lacks; a sentence nobody translated, swept into its neighbour's
        bead, costs up to -log EPS, so leaving it unmatched can win.

        In a one-to-many bead the members are pieces of one sentence's translation (a translator's split),
        and a piece is judged as a piece (`_piece_llr`): "Carry on." carries a tenth of its sentence and is
        expected to read like a tenth of a translation, not like the whole. Members of a many-to-many bead
        are judged as whole translations: that is where merging two neighbouring beads must be doubted."""
        doubt = np.zeros(len(js))
        if a > 1:
            cos = self.oe[b][jj] @ self.oz[1][i - a : i].T  # [len(js), a]
            lens = np.diff(self.cz[i - a : i + 1])
            share = lens / max(float(lens.sum()), 1.0) if b == 1 else 1.0
            doubt += np.minimum(_piece_llr(cal, cos, share), 0.0).sum(axis=1)
        if b > 1:
            whole = np.maximum(self.ce[js] - self.ce[np.maximum(js - b, 0)], 1.0)
            for r in range(b):
                k = np.maximum(js - b + r, 0)
                cos = self.oe[1][k] @ self.oz[a][i - 1]
                share_e = (self.ce[k + 1] - self.ce[k]) / whole if a == 1 else 1.0
                doubt += np.minimum(_piece_llr(cal, cos, share_e), 0.0)
        return doubt


def _piece_llr(cal: Calibration, cos: np.ndarray, share: np.ndarray | float) -> np.ndarray:
    """Log-likelihood ratio of "a piece of the translation carrying `share` of its bead's characters"
    against "a neighbour": a piece is expected to reach that share of a translation's margin over a
    neighbour (mu_f + share·(mu_t - mu_f)), with the same spread and the same EPS floor as `Calibration.llr`.
    At share 1 it is `Calibration.llr`; a short piece reads like a neighbour and costs almost nothing."""
    mu_p = cal.mu_f + np.minimum(np.asarray(share, dtype=np.float64), 1.0) * (cal.mu_t - cal.mu_f)
    raw = (mu_p - cal.mu_f) / cal.sd**2 * (cos - (mu_p + cal.mu_f) / 2)
    return np.asarray(np.logaddexp(math.log1p(-EPS) + raw, math.log(EPS)))


def _dp(doc: _Doc, n: int, m: int, cal: Calibration,
        log_prior: dict[tuple[int, int], float]) -> list[tuple[int, int, int, int]]:
    """Best monotone bead path; returns (i0, i1, j0, j1) per bead."""
    lo, hi = doc.lo, doc.hi
    W = int((hi - lo).max()) + 1
    D = np.full((n + 1, W), -np.inf)
    back = np.full((n + 1, W), -1, np.int8)
    D[0, 0] = 0.0
    t01 = BEAD_TYPES.index((0, 1))
    for i in range(n + 1):
        js = np.arange(lo[i], hi[i] + 1)
        row = D[i, : len(js)]
        brow = back[i, : len(js)]
        for t, (a, b) in enumerate(BEAD_TYPES):
            if a == 0 or a > i:
                continue
            pj = js - b
            pi = i - a
            ok = (pj >= lo[pi]) & (pj <= hi[pi])
            if not ok.any():
                continue
            prev = np.full(len(js), -np.inf)
            prev[ok] = D[pi, pj[ok] - lo[pi]]
            gain = np.full(len(js), log_prior[(a, b)]) if b == 0 else doc.gain(a, b, i, js, cal) + log_prior[(a, b)]
            cand = prev + gain
            better = cand > row
            row[better] = cand[better]
            brow[better] = t
        skip_en = log_prior[(0, 1)]
        for k in range(1, len(js)):  # 0-1 beads move along the row: sequential
            if row[k - 1] + skip_en > row[k]:
                row[k] = row[k - 1] + skip_en
                brow[k] = t01
    path = []
    i, j = n, m
    while i > 0 or j > 0:
        t = back[i, j - lo[i]]
        if t < 0:
            raise RuntimeError("alignment band lost the path; retry with a larger width")
        a, b = BEAD_TYPES[t]
        path.append((i - a, i, j - b, j))
        i, j = i - a, j - b
    return path[::-1]


def align(zh: list[str], en: list[str], embedder: Embedder, exact_overlaps: bool | None = None,
          width: int | None = None) -> list[Bead]:
    """Beads covering every sentence of both sides in order, each with a 0-1 confidence.

    `exact_overlaps`: True embeds every many-sentence span as its concatenated text, False never does
    (shrunk means of its sentences' vectors). None (the default) starts from the means and, in
    documents up to EXACT_LIMIT sentences, embeds exactly only the spans around unmatched sentences,
    unsure beads and merges (`_contested`, a budget of REFINE_SHARE spans per sentence), where the
    approximation could change a decision, then searches again."""
    n, m = len(zh), len(en)
    if n == 0 or m == 0:
        return [Bead((i,), (), 1.0, ["other_side_empty"]) for i in range(n)] + [
            Bead((), (j,), 1.0, ["other_side_empty"]) for j in range(m)]
    raw_z, raw_e = embedder.embed(zh), embedder.embed(en)
    mean_z, mean_e = raw_z.mean(0) * n / (n + 1), raw_e.mean(0) * m / (m + 1)
    ez, ee = _unit(raw_z - mean_z), _unit(raw_e - mean_e)
    side_z, side_e = _Side(zh, embedder, mean_z, ""), _Side(en, embedder, mean_e, " ")
    oz, oe = side_z.approximate(ez), side_e.approximate(ee)
    if exact_overlaps:
        side_z.make_exact(oz, {(k, i) for k in range(2, MAX_SPAN + 1) for i in range(n)})
        side_e.make_exact(oe, {(k, j) for k in range(2, MAX_SPAN + 1) for j in range(m)})
    refine = exact_overlaps is None and (n + m) <= EXACT_LIMIT
    best_z, best_e = _nearest(ez, ee)
    anchors = _anchors(best_z, best_e)
    if width is None:
        width = 12 if len(anchors) >= 0.3 * min(n, m) else max(30, int(0.15 * max(n, m)))
    lo, hi = _band(n, m, anchors, width)
    lz = np.array([len(s) for s in zh], np.float64)
    le = np.array([len(s) for s in en], np.float64)
    doc = _Doc(oz, oe, np.concatenate([[0.0], np.cumsum(lz)]), np.concatenate([[0.0], np.cumsum(le)]), lo, hi,
               member_weight=MEMBER_WEIGHT if refine or exact_overlaps else MEMBER_WEIGHT_APPROX)
    cal = _calibrate(ez, ee, anchors, lz, le)
    if DICTIONARY_VIEW:
        doc.extra.extend(_dictionary_view(zh, en, anchors, lz, le))
    path = _dp(doc, n, m, cal, _priors(None))
    # Second pass: the document's own bead-type frequencies and its 1-1 beads recalibrate the model.
    ones = [(i0, j0) for i0, i1, j0, j1 in path if i1 - i0 == 1 and j1 - j0 == 1]
    cal = _calibrate(ez, ee, ones or anchors, lz, le)
    priors = _priors([(i1 - i0, j1 - j0) for i0, i1, j0, j1 in path])
    path = _dp(doc, n, m, cal, priors)
    done_z: set[tuple[int, int]] = set()
    done_e: set[tuple[int, int]] = set()
    budget = max(REFINE_MIN, int(REFINE_SHARE * (n + m))) if refine else 0
    for _ in range(2 if refine else 0):  # exact spans where the path is unsure, until it settles
        want_z, want_e = _contested(path, doc, cal, budget - len(done_z) - len(done_e))
        want_z, want_e = want_z - done_z, want_e - done_e
        if not side_z.make_exact(oz, want_z) + side_e.make_exact(oe, want_e):
            break
        done_z |= want_z
        done_e |= want_e
        path = _dp(doc, n, m, cal, priors)
    lexical = _lexical_view(zh, en, path, doc, cal, lz, le)
    if lexical is not None:
        doc.extra.append(lexical)
        path = _dp(doc, n, m, cal, priors)
    if exact_overlaps is not False:  # these ask the model about pieces of text
        if RESCUE_PIECES:
            path = _rescue_pieces(path, (side_z, side_e), cal)
        path = _shift_pieces(path, side_z, ee, cal)
        if n + m <= EXACT_LIMIT:  # each border examined costs eight embeddings: chapters, not whole books
            path = _merge_crossings(path, (side_z, side_e), ez, ee, cal)
    return [_bead(p, doc, cal, ez, ee) for p in path]


def _rescue_pieces(path: list[tuple[int, int, int, int]], sides: tuple[_Side, _Side],
                   cal: Calibration) -> list[tuple[int, int, int, int]]:
    """Unmatched sentences join the adjacent bead whose other side their concatenation explains better:
    the merged text's exact embedding must gain calibrated evidence over the bead's own. The DP weighs
    priors and member doubt over approximate spans, so a translator's split piece can end up unmatched;
    this asks the text itself. An untranslated sentence lowers the cosine and stays out. Every unmatched
    sentence is asked, not only those whose own score says something nearby translates them: a piece
    the embedder barely reads alone (a clause, a number spelt out) has no near match of its own, and the
    merged text's evidence is what decides either way."""
    path = list(path)
    k = 0
    while k < len(path):
        here = ((path[k][0], path[k][1]), (path[k][2], path[k][3]))
        lone = 0 if here[0][1] > here[0][0] else 1  # the side that has the unmatched sentence
        if here[1 - lone][1] > here[1 - lone][0]:  # not an unmatched sentence
            k += 1
            continue
        best: tuple[float, int, tuple[int, int, int, int]] | None = None
        for q in (k - 1, k + 1):
            if not 0 <= q < len(path) or path[q][0] == path[q][1] or path[q][2] == path[q][3]:
                continue
            there = ((path[q][0], path[q][1]), (path[q][2], path[q][3]))
            lo, hi = min(there[lone][0], here[lone][0]), max(there[lone][1], here[lone][1])
            if hi - lo > MAX_SPAN:
                continue
            other = sides[1 - lone].span_vectors([there[1 - lone]])[0]
            own = sides[lone].span_vectors([there[lone]])[0]  # separate calls: int8 vectors shift with their batch
            grown = sides[lone].span_vectors([(lo, hi)])[0]
            before, after = (float(cal.llr(float(v @ other))) for v in (own, grown))
            merged = (lo, hi, *there[1]) if lone == 0 else (*there[0], lo, hi)
            if after > before and (best is None or after - before > best[0]):
                best = (after - before, q, merged)
        if best is None:
            k += 1
            continue
        _, q, merged = best
        path[min(k, q)] = merged
        del path[max(k, q)]
        k = min(k, q) + 1
    return path


_CLAUSE_END = re.compile(r"(?<=[，；：,;:。！？!?…])")
_HAN = re.compile(r"[\u4e00-\u9fff]")


def edge_clause(sentence: str, last: bool, size: int = EDGE_SIZE) -> str:
    """The sentence's first (or last) clauses, enough to hold `size` Han characters: the part of a long
    Chinese sentence that a translator's first (or last) split piece translates."""
    clauses = [c for c in _CLAUSE_END.split(sentence) if c.strip()]
    out = ""
    for c in reversed(clauses) if last else clauses:
        out = c + out if last else out + c
        if len(_HAN.findall(out)) >= size:
            break
    return out or sentence


def _matched_borders(path: list[tuple[int, int, int, int]]) -> list[int]:
    """The borders k (between path[k] and path[k + 1]) where both beads have sentences on both sides."""
    return [k for k in range(len(path) - 1) if all(path[q][1] > path[q][0] and path[q][3] > path[q][2]
                                                   for q in (k, k + 1))]


def _border_reads(ee: np.ndarray, tail: np.ndarray, head: np.ndarray, b: int) -> np.floating:
    """How well an English border before sentence b fits a Chinese border: the sentence before it against
    the previous Chinese sentence's last clauses, the one after it against the next one's first."""
    return ee[b - 1] @ tail + ee[b] @ head


def _shift_pieces(path: list[tuple[int, int, int, int]], side_z: _Side, ee: np.ndarray,
                  cal: Calibration) -> list[tuple[int, int, int, int]]:
    """An English piece at the border of two beads moves to the other bead where the clauses say so.

    The DP compares whole sentences (and their means), so it cannot tell which end of a long Chinese
    sentence a translator's short split piece translates ("Yes." after a question, the narration after a
    quote), and a piece of one bead is often swept into its neighbour's. The order of the text decides:
    the last English sentence of a bead translates the end of its last Chinese sentence, the first the
    start of its first. At each border where a bead of several English sentences meets another, the
    English border is tried one sentence earlier and one later (`_border_reads`: the sentences on either
    side of it against the previous Chinese sentence's last clauses and the next one's first); it moves
    when the moved border reads SHIFT_NATS calibrated nats better. Only English pieces move: Chinese
    clause punctuation is reliable, English commas are not (moving Chinese pieces against English edge
    clauses did not help on mac-dev, and lost F1 at lower thresholds)."""
    path = list(path)
    sents = side_z.sents
    borders = _matched_borders(path)
    edges: dict[int, tuple[np.ndarray, np.ndarray]] = {}

    def edge_vectors(ks: list[int]) -> None:  # one model call for many borders (int8 vectors shift with their batch)
        ks = [k for k in ks if k not in edges]
        texts = [edge_clause(sents[path[k][1] - 1], True) for k in ks] + [edge_clause(sents[path[k][1]], False)
                                                                          for k in ks]
        vecs = side_z.text_vectors(texts) if ks else ee[:0]
        edges.update({k: (vecs[x], vecs[len(ks) + x]) for x, k in enumerate(ks)})

    edge_vectors([k for k in borders if max(path[k][3] - path[k][2], path[k + 1][3] - path[k + 1][2]) >= 2])
    for _ in range(MAX_SPAN):  # again while pieces move: a piece of two sentences moves one at a time
        moved = False
        for k in borders:
            i0, i1, j0, j1 = path[k]
            _, i2, _, j2 = path[k + 1]
            if j1 - j0 < 2 and j2 - j1 < 2:
                continue
            edge_vectors([k])  # a border a moved piece made eligible
            tail, head = edges[k]
            here = _border_reads(ee, tail, head, j1)
            earlier = j1 - j0 >= 2 and j2 - j1 < MAX_SPAN  # the previous bead's last sentence may start the next
            later = j2 - j1 >= 2 and j1 - j0 < MAX_SPAN  # the next bead's first sentence may end the previous
            for to in [b for b, ok in ((j1 - 1, earlier), (j1 + 1, later)) if ok]:
                if cal.slope * float(_border_reads(ee, tail, head, to) - here) > SHIFT_NATS:
                    path[k], path[k + 1] = (i0, i1, j0, to), (i1, i2, to, j2)
                    moved = True
                    break
        if not moved:
            break
    return path


def _merge_crossings(path: list[tuple[int, int, int, int]], sides: tuple[_Side, _Side], ez: np.ndarray,
                     ee: np.ndarray, cal: Calibration) -> list[tuple[int, int, int, int]]:
    """Two adjacent beads become one where the translation's content crosses the border between them.

    A translator may carry the end of one Chinese sentence into the next English sentence, or start the
    next sentence's content early ("The man in front coughed." / "It was a familiar cough, calling to mind
    ..."): neither sentence pair is then a translation of its own, and the gold bead is the 2-2 (or 2-3 …)
    bead that contains both. Whole-sentence vectors see two fair 1-1 beads. The clauses tell: each side's
    text of the two beads is cut at each clause border up to CROSS_REACH clauses either side of the
    sentence border, and each cut's halves are read against the other side's two beads. Where a cut off
    the sentence border reads CROSS_NATS calibrated nats better than the border itself, on either side, the
    content crosses and the beads merge (the surest borders first; a bead merges once). Only borders where
    a cross pair already reads somewhat like a translation (CROSS_FLOOR), at most CROSS_SHARE per sentence
    and the likeliest first, are examined: each costs eight embeddings of cut texts."""
    cross = {}
    for k in _matched_borders(path):
        (i0, i1, j0, j1), (_, i2, _, j2) = path[k], path[k + 1]
        if max(i2 - i0, j2 - j0) <= MAX_SPAN:
            cross[k] = float(cal.raw_llr(max(float(ez[i1] @ ee[j1 - 1]), float(ez[i1 - 1] @ ee[j1]))))
    budget = int(CROSS_SHARE * (len(ez) + len(ee)))
    borders = sorted(k for k in sorted(cross, key=lambda k: -cross[k])[:budget] if cross[k] >= CROSS_FLOOR)
    gain = dict.fromkeys(borders, -math.inf)
    for side in (0, 1):
        for k, g in _cut_gains(path, borders, sides, side).items():
            gain[k] = max(gain[k], cal.slope * g)
    merged: set[int] = set()
    for k in sorted(gain, key=lambda k: -gain[k]):
        if gain[k] > CROSS_NATS and not merged & {k - 1, k + 1}:
            merged.add(k)
    out: list[tuple[int, int, int, int]] = []
    for k, bead in enumerate(path):
        if k - 1 in merged:
            out[-1] = (out[-1][0], bead[1], out[-1][2], bead[3])
        else:
            out.append(bead)
    return out


def _cut_gains(path: list[tuple[int, int, int, int]], borders: list[int], sides: tuple[_Side, _Side],
               side: int) -> dict[int, float]:
    """Per border, how much better (in cosine, summed over the two halves) `side`'s text of the two beads reads
    against the other side's beads when cut at its best clause border off the sentence border than at it."""
    cut_side, other = sides[side], sides[1 - side]
    tests = []  # (border, clauses of both beads, the sentence border's index among them, other cuts)
    for k in borders:
        a, b, c = path[k][2 * side], path[k][2 * side + 1], path[k + 1][2 * side + 1]
        before = [x for n in range(a, b) for x in _clauses(cut_side.sents[n], side)]
        clauses = before + [x for n in range(b, c) for x in _clauses(cut_side.sents[n], side)]
        at = len(before)
        cuts = [x for x in range(max(1, at - CROSS_REACH), min(len(clauses) - 1, at + CROSS_REACH) + 1) if x != at]
        if cuts:
            tests.append((k, clauses, at, cuts))
    join = cut_side.joiner.join
    texts = list(dict.fromkeys(join(half) for _, clauses, at, cuts in tests for x in [at, *cuts]
                               for half in (clauses[:x], clauses[x:])))
    vec = dict(zip(texts, cut_side.text_vectors(texts))) if texts else {}  # int8 vectors shift with the batch
    o = 2 * (1 - side)
    spans = list(dict.fromkeys(s for k, *_ in tests for s in ((path[k][o], path[k][o + 1]),
                                                              (path[k + 1][o], path[k + 1][o + 1]))))
    beads = dict(zip(spans, other.span_vectors(spans))) if spans else {}
    out = {}
    for k, clauses, at, cuts in tests:
        first, second = beads[(path[k][o], path[k][o + 1])], beads[(path[k + 1][o], path[k + 1][o + 1])]
        reads = [float(first @ vec[join(clauses[:x])] + second @ vec[join(clauses[x:])]) for x in [at, *cuts]]
        out[k] = max(reads[1:]) - reads[0]
    return out


_EN_CLAUSE_END = re.compile(r"(?<=[,;:])\s+")


def _clauses(sentence: str, side: int = 0) -> list[str]:
    """A sentence's clauses, each with its closing punctuation, so that the side's joiner gives the sentence
    back: Chinese at its clause marks (`_CLAUSE_END`), English at a comma, semicolon or colon and the space
    after it (dropped: the joiner puts one back)."""
    if side:
        return [c for c in _EN_CLAUSE_END.split(sentence) if c]
    out: list[str] = []
    for piece in _CLAUSE_END.split(sentence):
        if out and not piece.strip():
            out[-1] += piece  # trailing space is no clause of its own
        elif piece:
            out.append(piece)
    return out


def _contested(path: list[tuple[int, int, int, int]], doc: _Doc, cal: Calibration, budget: int
               ) -> tuple[set[tuple[int, int]], set[tuple[int, int]]]:
    """Spans (length, last sentence) per side whose exact embedding could change the path, at most
    about `budget` of them: for a bead, its own side and that side grown by the sentence before or
    after it, the rivals the DP weighed it against. Unmatched sentences and unsure beads (score < 0.9)
    come first, least sure first, then sure merges: a mean of sentence vectors weights them by length,
    so a short sentence wrongly merged into a long one's bead costs the approximation almost nothing.
    Sure 1-1 beads keep their approximate neighbours."""
    ranked = []
    for i0, i1, j0, j1 in path:
        a, b = i1 - i0, j1 - j0
        g = doc.gain(a, b, i1, np.array([j1]), cal)[0] if a and b else -np.inf
        if g < SURE or max(a, b) > 1:
            ranked.append((g >= SURE, g, a, b, i1 - 1, j1 - 1))
    want_z: set[tuple[int, int]] = set()
    want_e: set[tuple[int, int]] = set()
    for _, _, a, b, end_z, end_e in sorted(ranked):
        if len(want_z) + len(want_e) >= budget:
            break
        for want, k, end in ((want_z, a, end_z), (want_e, b, end_e)):
            want.update({(k, end), (max(k, 1) + 1, end), (max(k, 1) + 1, end + 1)})
    return want_z, want_e


def _dictionary_view(zh: list[str], en: list[str], anchors: list[tuple[int, int]], lz: np.ndarray, le: np.ndarray
                     ) -> list[tuple[list[np.ndarray], list[np.ndarray], Calibration]]:
    """The dictionary's lexical channel (`lexicon.dictionary_vectors`), calibrated on the anchors like the
    embedding; none when it does not tell the anchors from their neighbours (a dictionary that misses a
    document's vocabulary, a pair of languages it does not cover)."""
    vz, ve = dictionary_vectors(zh, en)
    sz, se = span_sums(vz, MAX_SPAN), span_sums(ve, MAX_SPAN)
    cal = _calibrate(sz[1], se[1], anchors, lz, le)  # spans of one sentence: the unit vectors
    return [(sz, se, cal)] if cal.separated and len(anchors) >= 3 else []


def _lexical_view(zh: list[str], en: list[str], path: list[tuple[int, int, int, int]], doc: _Doc,
                  cal: Calibration, lz: np.ndarray, le: np.ndarray
                  ) -> tuple[list[np.ndarray], list[np.ndarray], Calibration] | None:
    """The document's own lexicon as a second channel, or None when too few beads are sure enough.

    Trained on the 1-1 beads the embedding alone puts at ≥ 0.9. Its calibration is cross-fitted: the
    lexicon learned on every other bead scores the remaining ones, since a lexicon judging its own
    training pairs would look far more reliable than it is on the pairs the DP has to decide."""
    sure = [(i0, j0) for i0, i1, j0, j1 in path if i1 - i0 == 1 and j1 - j0 == 1
            and doc.gain(1, 1, i1, np.array([j1]), cal)[0] >= SURE]
    if len(sure) < LEXICON_MIN_PAIRS:
        return None
    lexicon = Lexicon(zh, en)
    held_out_z, held_out_e = lexicon.vectors(sure[0::2])
    cal_lex = _calibrate(_unit(held_out_z), _unit(held_out_e), sure[1::2], lz, le)
    if not cal_lex.separated:  # the lexicon does not tell translations from neighbours: leave it out
        return None
    vz, ve = lexicon.vectors(sure)
    return span_sums(vz, MAX_SPAN), span_sums(ve, MAX_SPAN), cal_lex


def _sigmoid(x: float) -> float:
    return 1.0 / (1.0 + math.exp(-max(-60.0, min(60.0, x))))


def _bead(p: tuple[int, int, int, int], doc: _Doc, cal: Calibration, ez: np.ndarray, ee: np.ndarray) -> Bead:
    """Confidence = sigmoid of the bead's calibrated log-likelihood ratio (translation vs neighbour,
    even prior odds), length penalty and the lexicon's evidence included; for an unmatched sentence,
    1 - that of its best embedding candidate inside the band, i.e. the probability that nothing
    nearby translates it."""
    i0, i1, j0, j1 = p
    bead = Bead(tuple(range(i0, i1)), tuple(range(j0, j1)), 0.0)
    a, b = i1 - i0, j1 - j0
    if a and b:
        g = doc.gain(a, b, i1, np.array([j1]), cal)[0]
        bead.score = round(_sigmoid(float(g)), 4)
    elif a:
        window = ee[max(0, doc.lo[i0] - 2) : min(len(ee), doc.hi[i1] + 2)]
        best = float(cal.llr((window @ ez[i0]).max())) if len(window) else -60.0
        bead.score = round(1 - _sigmoid(best), 4)
        bead.flags.append("unmatched_zh")
    else:
        rows = np.nonzero((doc.lo <= j1) & (doc.hi >= j1))[0]
        window = ez[max(0, int(rows.min()) - 2) : min(len(ez), int(rows.max()) + 2)] if len(rows) else ez[:0]
        best = float(cal.llr((window @ ee[j0]).max())) if len(window) else -60.0
        bead.score = round(1 - _sigmoid(best), 4)
        bead.flags.append("unmatched_en")
    if bead.score < 0.5:
        bead.flags.append("low_confidence")
    return bead
