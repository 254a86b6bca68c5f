"""Per-article output files, each written atomically (temporary file, fsync, rename): a reader or a
restarted batch sees a whole file or none."""

from __future__ import annotations

import json
from pathlib import Path

from zhen import formats
from zhen.cache import write_atomic

SUFFIXES = (".json", ".en.txt", ".tmx")


def stable(result: dict) -> dict:
    """The result without run-dependent fields (timings), so local and Ray runs write identical files."""
    return {k: v for k, v in result.items() if k != "seconds"}


def write(result: dict, out_dir: Path, stem: str) -> list[str]:
    """Write `<stem>.json`, `<stem>.en.txt`, `<stem>.tmx`; returns their names."""
    out_dir.mkdir(parents=True, exist_ok=True)
    pairs = [formats.Pair(b["zh_text"], b["en_text"], f"alignment score {b['score']}")
             for b in result["alignments"] if b["zh_text"] and b["en_text"]]
    files = {
        ".json": json.dumps(stable(result), ensure_ascii=False, indent=1).encode(),
        ".en.txt": result["english"].encode(),
        ".tmx": formats.tmx(pairs),
    }
    for suffix, data in files.items():
        write_atomic(out_dir / f"{stem}{suffix}", data)
    return [f"{stem}{s}" for s in SUFFIXES]


def clean_partial(out_dir: Path) -> int:
    """Remove temporary files a killed run left behind; returns how many."""
    stale = list(out_dir.glob("*.tmp")) if out_dir.exists() else []
    for p in stale:
        p.unlink(missing_ok=True)
    return len(stale)
