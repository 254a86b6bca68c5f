"""Files derived from installed data and kept between runs (a dictionary's index, a model's evaluated
prompt): one folder under the home, one file per key, written atomically.

A key names everything its file was derived from (the source file's size and time, the library's
version, a format number), so a changed input is a new file rather than a stale hit. Reading is
best-effort: a missing, truncated or foreign file is rebuilt by the caller, and a read-only home
only costs the rebuild next time. The folder is the factory's to set (`use_folder`, from the settings'
home); until it is set, nothing is kept and every derived file is rebuilt in memory.
"""

from __future__ import annotations

import hashlib
import os
from pathlib import Path

_folder: Path | None = None


def use_folder(folder: Path | None) -> None:
    """Where derived files live from now on in this process (None: keep nothing)."""
    global _folder
    _folder = folder


def path_for(kind: str, key: str, suffix: str) -> Path | None:
    """Where the `kind` file derived from `key` lives (`FOLDER/<kind>/<digest><suffix>`); None when no
    folder is set."""
    if _folder is None:
        return None
    digest = hashlib.sha256(key.encode("utf-8")).hexdigest()[:32]
    return _folder / kind / f"{digest}{suffix}"


def file_key(path: Path) -> str:
    """A file's identity for a cache key: its path, size and modification time."""
    st = path.stat()
    return f"{path.resolve()}|{st.st_size}|{st.st_mtime_ns}"


def write_atomic(path: Path, data: bytes, parents: bool = False) -> None:
    """Write through a temporary file, fsync, then rename: a reader (or a restarted run) sees the whole
    file or none. With `parents`, missing folders are created (a cache's); otherwise one is an error."""
    if parents:
        path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(f"{path.name}.{os.getpid()}.tmp")
    try:
        with open(tmp, "wb") as fh:
            fh.write(data)
            fh.flush()
            os.fsync(fh.fileno())
        os.replace(tmp, path)
    finally:
        tmp.unlink(missing_ok=True)
