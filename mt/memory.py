"""Translation memory: model outputs keyed by model signature, prompt inputs and normalised source.

Re-running an article, or a sentence that recurs across articles (datelines, slogans, standard
titles), costs a lookup instead of a model call. The rows live in the one store (`zhen.store`, table
`tm`), so the CLI, the API and batch runs share one memory.
"""

from __future__ import annotations

import hashlib
from pathlib import Path
from typing import Any

from zhen.mt.base import Request
from zhen.store import Store


def key(signature: str, req: Request) -> str:
    """Everything that can change the output goes into the key."""
    terms = ";".join(f"{t.source}={t.target}" for t in req.terms)
    parts = [signature, req.title or "", terms, req.source]
    if req.task != "translate" or req.hint:  # plain translation keys stay as they were
        parts += [req.task, req.draft or "", req.hint or ""]
    if req.examples or req.shared_examples:  # so do those without examples from the user's memory
        parts += ["examples", *(f"{s}\x1e{t}" for s, t in req.examples), "shared",
                  *(f"{s}\x1e{t}" for s, t in req.shared_examples)]
    raw = "\x1f".join(parts)
    return hashlib.sha256(raw.encode("utf-8")).hexdigest()


class TranslationMemory:
    """The store's `tm` table seen as a cache; give it a store, or a path to open one."""

    def __init__(self, store: Store | str | Path) -> None:
        self._owned = not isinstance(store, Store)
        self.store: Store = store if isinstance(store, Store) else Store(store)

    def get_many(self, keys: list[str]) -> dict[str, tuple[str, float | None, dict[str, Any]]]:
        """key → (target, mean token log-probability or None, extras) for the keys present."""
        return self.store.tm_get_many(keys)

    def put_many(self, rows: list[tuple[str, str, str, str, float | None, dict[str, Any]]]) -> None:
        """Store (key, signature, source, target, logprob, extras) rows."""
        self.store.tm_put_many(rows)

    def __len__(self) -> int:
        return self.store.tm_size()

    def close(self) -> None:
        if self._owned:
            self.store.close()
