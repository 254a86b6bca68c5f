"""The model-output cache (table `tm`): answers keyed by model signature and prompt inputs."""

from __future__ import annotations

import json
import time
from collections.abc import Sequence
from typing import Any

from zhen.store.connection import Connection

CacheRow = tuple[str, str, str, str, float | None, dict[str, Any]]  # key, signature, source, target, logprob, extras


class OutputCache(Connection):
    def tm_get_many(self, keys: Sequence[str]) -> dict[str, tuple[str, float | None, dict[str, Any]]]:
        """key → (target, mean token log-probability or None, extras) for the keys present."""
        out: dict[str, tuple[str, float | None, dict[str, Any]]] = {}
        for i in range(0, len(keys), 500):
            chunk = list(keys[i : i + 500])
            rows = self._query("SELECT key, target, logprob, extra FROM tm "
                               f"WHERE key IN ({','.join('?' * len(chunk))})", tuple(chunk))
            out.update((r["key"], (r["target"], r["logprob"], json.loads(r["extra"] or "{}"))) for r in rows)
        return out

    def tm_put_many(self, rows: Sequence[CacheRow]) -> None:
        """Store (key, signature, source, target, logprob, extras) rows; extras are JSON (best quality's)."""
        now = time.time()
        with self.tx() as db:
            db.executemany("INSERT INTO tm (key, signature, source, target, created, logprob, extra) "
                           "VALUES (?, ?, ?, ?, ?, ?, ?) ON CONFLICT (key) DO UPDATE SET "
                           "signature = excluded.signature, source = excluded.source, target = excluded.target, "
                           "created = excluded.created, "
                           "logprob = excluded.logprob, extra = excluded.extra",
                           [(*r[:4], now, r[4], json.dumps(r[5], ensure_ascii=False) if r[5] else None)
                            for r in rows])

    def tm_size(self) -> int:
        return int(self._query("SELECT COUNT(*) AS n FROM tm")[0]["n"])
