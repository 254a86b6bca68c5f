"""Jobs: work queued in the store, claimed atomically by one server at a time under a renewable lease.

Any number of servers may share the store: a job is claimed by exactly one of them, its lease is renewed
while it runs, and a job whose server died (a dead process on this host, or a lease that ran out) can
be claimed again.
"""

from __future__ import annotations

import json
import os
import socket
import time
import uuid

from zhen.store.connection import Connection
from zhen.store.documents import new_id

JOB_LEASE = 30.0  # seconds a claimed job stays its server's without a heartbeat


def worker_id() -> str:
    """Who claims jobs: `host:pid:nonce`, so a server on the same host can tell a dead owner at once."""
    return f"{socket.gethostname()}:{os.getpid()}:{uuid.uuid4().hex[:8]}"


def _owner_gone(owner: str | None) -> bool:
    """True when `owner` was a process on this host that no longer runs (killed, crashed)."""
    if not owner:
        return True
    host, _, rest = owner.partition(":")
    pid = rest.partition(":")[0]
    if host != socket.gethostname() or not pid.isdigit():
        return False  # another machine's: only its lease can say
    try:
        os.kill(int(pid), 0)
    except ProcessLookupError:
        return True
    except PermissionError:
        return False
    return False


class Jobs(Connection):
    def create_job(self, kind: str, payload: dict, key_id: str | None) -> str:
        job_id, now = new_id(), time.time()
        with self.tx() as db:
            db.execute("INSERT INTO jobs (id, kind, payload, status, created, updated, key_id) "
                       "VALUES (?, ?, ?, 'queued', ?, ?, ?)",
                       (job_id, kind, json.dumps(payload, ensure_ascii=False), now, now, key_id))
        return job_id

    def job(self, job_id: str) -> dict | None:
        rows = self._query("SELECT id, kind, status, created, updated, doc_id, error, attempts, key_id FROM jobs "
                          "WHERE id = ?", (job_id,))
        return dict(rows[0]) if rows else None

    def job_payload(self, job_id: str) -> dict:
        return json.loads(self._query("SELECT payload FROM jobs WHERE id = ?", (job_id,))[0]["payload"])

    def claim_job(self, job_id: str, owner: str, lease: float = JOB_LEASE) -> bool:
        """Make the job `owner`'s, atomically: True for exactly one of any number of servers asking. A job
        can be claimed when queued, or running under a lease that expired or an owner on this host that died;
        a job another server is claiming at this moment is skipped (False), not waited for."""
        now = time.time()
        with self.tx() as db:  # SQLite: BEGIN IMMEDIATE, one claimant at a time; PostgreSQL: the row's lock
            row = db.execute("SELECT status, owner, lease_until FROM jobs WHERE id = ?" + db.skip_locked,
                             (job_id,)).fetchone()
            if row is None or row["status"] not in ("queued", "running"):
                return False
            if row["status"] == "running" and row["owner"] != owner and not (
                    (row["lease_until"] or 0) < now or _owner_gone(row["owner"])):
                return False
            db.execute("UPDATE jobs SET status = 'running', owner = ?, lease_until = ?, updated = ?, "
                       "attempts = attempts + 1 WHERE id = ?", (owner, now + lease, now, job_id))
        return True

    def renew_lease(self, job_id: str, owner: str, lease: float = JOB_LEASE) -> bool:
        """Extend the lease of a job `owner` is running; False if it is no longer `owner`'s."""
        with self.tx() as db:
            cur = db.execute("UPDATE jobs SET lease_until = ? WHERE id = ? AND owner = ? AND status = 'running'",
                             (time.time() + lease, job_id, owner))
        return cur.rowcount == 1

    def fail_job(self, job_id: str, owner: str, error: str) -> None:
        with self.tx() as db:
            db.execute("UPDATE jobs SET status = 'failed', error = ?, updated = ?, lease_until = NULL "
                       "WHERE id = ? AND owner = ?", (error, time.time(), job_id, owner))

    def claimable_jobs(self) -> list[str]:
        """Jobs some server should run: queued, or running under an expired lease or a dead owner."""
        now = time.time()
        rows = self._query("SELECT id, status, owner, lease_until FROM jobs WHERE status IN ('queued', 'running') "
                          "ORDER BY created")
        return [r["id"] for r in rows if r["status"] == "queued" or (r["lease_until"] or 0) < now
                or _owner_gone(r["owner"])]
