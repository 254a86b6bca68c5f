"""Sentence alignment: anchors from mutual nearest neighbours, then a banded DP over many-to-many beads.

Scoring, per bead covering zh[i-a:i] and en[j-b:j]:
    gain = cos(Z_a, E_b) - margin - LENGTH * |log(len_en / (ratio * len_zh))|
where Z_a, E_b embed the bead's sentences together, `margin` is the mean similarity of those
sentences to their k nearest neighbours on the other side (removes hubness: generic sentences are
close to everything), and `ratio` is the document's own English/Chinese character ratio. A skipped
sentence (1-0 or 0-1) gains 0, so a pair is only kept when it beats its neighbourhood.

Memory stays O((n+m)·band): similarities are computed in row chunks and the DP keeps one band per row.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field

import numpy as np

from align.embed import Embedder

BEAD_TYPES = [(1, 1), (1, 0), (0, 1), (1, 2), (2, 1), (2, 2), (1, 3), (3, 1), (2, 3), (3, 2), (1, 4), (4, 1)]
MAX_SPAN = 4
LENGTH = 0.02  # weight of the length-ratio penalty
K = 4  # neighbours for the margin
CONF_CENTER, CONF_SCALE = 0.02, 0.015  # margin-normalised similarity → 0-1 confidence (logistic)


@dataclass
class Bead:
    zh: list[int]
    en: list[int]
    score: float  # 0-1 confidence that the bead is right (see `_confidence`)
    flags: list[str] = field(default_factory=list)

    def key(self) -> tuple[tuple[int, ...], tuple[int, ...]]:
        return tuple(self.zh), tuple(self.en)

    def format(self) -> str:
        return f"[{','.join(map(str, self.zh))}]:[{','.join(map(str, self.en))}]"


def _overlaps(embedder: Embedder, sents: list[str], base: np.ndarray, joiner: str, exact: bool) -> list[np.ndarray]:
    """ov[k][i] = embedding of sents[i-k+1 .. i] (k = 1..MAX_SPAN), exact or length-weighted mean."""
    n = len(sents)
    out = [np.zeros((0, base.shape[1]), np.float32), base]
    lens = np.array([max(len(s), 1) for s in sents], dtype=np.float32)
    for k in range(2, MAX_SPAN + 1):
        if n < k:
            out.append(np.zeros((n, base.shape[1]), np.float32))
            continue
        if exact:
            texts = [joiner.join(sents[i - k + 1 : i + 1]) if i >= k - 1 else sents[i] for i in range(n)]
            emb = embedder.embed(texts)
        else:
            weighted = base * lens[:, None]
            csum = np.vstack([np.zeros((1, base.shape[1]), np.float32), np.cumsum(weighted, axis=0)])
            emb = np.empty_like(base)
            idx = np.arange(n)
            lo = np.maximum(idx - k + 1, 0)
            emb[:] = csum[idx + 1] - csum[lo]
            emb /= np.maximum(np.linalg.norm(emb, axis=1, keepdims=True), 1e-12)
        out.append(emb.astype(np.float32))
    return out


def _knn_stats(z: np.ndarray, e: np.ndarray, chunk: int = 1024):
    """Per-row/column k-NN mean similarity and best match, computed in chunks (bounded memory)."""
    n, m = len(z), len(e)
    k = min(K, m)
    mz = np.zeros(n, np.float32)
    best_z = np.zeros(n, np.int64)
    col_top = np.full((m, min(K, n)), -np.inf, np.float32)
    col_best = np.full(m, -np.inf, np.float32)
    col_arg = np.zeros(m, np.int64)
    for s in range(0, n, chunk):
        sim = z[s : s + chunk] @ e.T
        part = np.partition(sim, -k, axis=1)[:, -k:]
        mz[s : s + chunk] = part.mean(axis=1)
        best_z[s : s + chunk] = sim.argmax(axis=1)
        kk = col_top.shape[1]
        merged = np.vstack([col_top.T, np.partition(sim, -min(kk, sim.shape[0]), axis=0)[-min(kk, sim.shape[0]):]])
        col_top = np.partition(merged, -kk, axis=0)[-kk:].T
        cmax = sim.max(axis=0)
        upd = cmax > col_best
        col_best[upd] = cmax[upd]
        col_arg[upd] = sim.argmax(axis=0)[upd] + s
    me = col_top.mean(axis=1)
    return mz, me, best_z, col_arg


def _anchors(best_z: np.ndarray, best_e: np.ndarray) -> list[tuple[int, int]]:
    """Mutual nearest neighbours, reduced to the longest chain increasing on both sides."""
    pairs = [(i, int(j)) for i, j in enumerate(best_z) if best_e[j] == i]
    # Longest increasing subsequence on j (pairs are sorted by i).
    tails: list[int] = []
    tail_idx: list[int] = []
    prev = [-1] * len(pairs)
    import bisect

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
        hi[i] = max(hi[i], lo[i + 1]) if i + 1 <= n else hi[i]
        hi[i] = min(hi[i], hi[i + 1])
    return lo, hi


def _confidence(x: float) -> float:
    return 1.0 / (1.0 + math.exp(-(x - CONF_CENTER) / CONF_SCALE))


def align(zh: list[str], en: list[str], embedder: Embedder, exact_overlaps: bool | None = None,
          width: int | None = None) -> list[Bead]:
    """Beads covering every sentence of both sides in order, each with a 0-1 confidence."""
    n, m = len(zh), len(en)
    if n == 0 or m == 0:
        return [Bead([i], [], 1.0, ["other_side_empty"]) for i in range(n)] + [
            Bead([], [j], 1.0, ["other_side_empty"]) for j in range(m)]
    ez, ee = embedder.embed(zh), embedder.embed(en)
    exact = exact_overlaps if exact_overlaps is not None else (n + m) <= 4000
    oz = _overlaps(embedder, zh, ez, "", exact)
    oe = _overlaps(embedder, en, ee, " ", exact)
    mz, me, best_z, best_e = _knn_stats(ez, ee)
    anchors = _anchors(best_z, best_e)
    if width is None:
        width = 12 if len(anchors) >= 0.3 * min(n, m) else max(30, int(0.15 * max(n, m)))
    lo, hi = _band(n, m, anchors, width)
    lz = np.array([len(s) for s in zh], np.float64)
    le = np.array([len(s) for s in en], np.float64)
    ratio = max(le.sum(), 1.0) / max(lz.sum(), 1.0)
    cz = np.concatenate([[0.0], np.cumsum(lz)])
    ce = np.concatenate([[0.0], np.cumsum(le)])
    cmz = np.concatenate([[0.0], np.cumsum(mz)])
    cme = np.concatenate([[0.0], np.cumsum(me)])

    W = int((hi - lo).max()) + 1
    D = np.full((n + 1, W), -np.inf)
    back = np.full((n + 1, W), -1, np.int8)
    D[0, 0] = 0.0
    for i in range(n + 1):
        js = np.arange(lo[i], hi[i] + 1)
        row = D[i, : len(js)]
        brow = back[i, : len(js)]
        for t, (a, b) in enumerate(BEAD_TYPES):
            if a > i or a == 0:
                continue
            pj = js - b
            pi = i - a
            idx = pj - lo[pi]
            ok = (pj >= lo[pi]) & (pj <= hi[pi])
            if not ok.any():
                continue
            prev = np.full(len(js), -np.inf)
            prev[ok] = D[pi, idx[ok]]
            if b == 0:
                gain = np.zeros(len(js))
            else:
                jj = np.clip(js - 1, 0, m - 1)
                cos = oe[b][jj] @ oz[a][i - 1]
                margin = ((cmz[i] - cmz[i - a]) / a + (cme[np.clip(js, 0, m)] - cme[np.clip(js - b, 0, m)]) / b) / 2
                lz_b = cz[i] - cz[i - a]
                le_b = ce[np.clip(js, 0, m)] - ce[np.clip(js - b, 0, m)]
                pen = LENGTH * np.abs(np.log((le_b + 10) / (ratio * lz_b + 10)))
                gain = (cos - margin) - pen
                gain[js - b < 0] = -np.inf
            cand = prev + gain
            better = cand > row
            row[better] = cand[better]
            brow[better] = t
        # 0-1 beads move along the row: sequential.
        t01 = BEAD_TYPES.index((0, 1))
        for k in range(1, len(js)):
            if row[k - 1] > row[k]:
                row[k] = row[k - 1]
                brow[k] = t01
    beads: list[Bead] = []
    i, j = n, m
    while i > 0 or j > 0:
        t = back[i, j - lo[i]]
        if t < 0:
            raise RuntimeError("alignment band lost the path; retry with a larger width")
        a, b = BEAD_TYPES[t]
        beads.append(Bead(list(range(i - a, i)), list(range(j - b, j)), 0.0))
        i, j = i - a, j - b
    beads.reverse()
    for bead in beads:
        _score_bead(bead, oz, oe, ez, ee, mz, me, lo, hi)
    return beads


def _score_bead(bead: Bead, oz, oe, ez, ee, mz, me, lo, hi) -> None:  # noqa: ANN001 - internal arrays
    """Confidence: logistic of margin-normalised similarity; for a skip, 1 - that of its best local match."""
    a, b = len(bead.zh), len(bead.en)
    if a and b:
        cos = float(oz[a][bead.zh[-1]] @ oe[b][bead.en[-1]])
        margin = (float(mz[bead.zh].mean()) + float(me[bead.en].mean())) / 2
        bead.score = round(_confidence(cos - margin), 4)
    elif a:
        i = bead.zh[0]
        window = ee[max(0, lo[i] - 2) : min(len(ee), hi[i + 1] + 2)]
        best = float((window @ ez[i]).max() - mz[i]) if len(window) else -1.0
        bead.score = round(1 - _confidence(best), 4)
        bead.flags.append("unmatched_zh")
    else:
        j = bead.en[0]
        rows = [i for i in range(len(lo)) if lo[i] <= j + 1 <= hi[i]]
        window = ez[max(0, min(rows) - 2) : min(len(ez), max(rows) + 2)] if rows else ez[:0]
        best = float((window @ ee[j]).max() - me[j]) if len(window) else -1.0
        bead.score = round(1 - _confidence(best), 4)
        bead.flags.append("unmatched_en")
    if bead.score < 0.5:
        bead.flags.append("low_confidence")
