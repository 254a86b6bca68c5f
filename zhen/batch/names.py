"""Output names for batch inputs: unique, stable across runs, and valid whatever the input's file name.

`in/a/b.txt` and `in/a__b.txt`, or `d1/x.txt` and `d2/x.txt` from one glob, must not write the same
files. Each input path gets a stem once, kept in `manifest.json` in the output directory: the path's
place under the input root joined with `__`, and where that stem is already another input's, a short
hash of the path is added. File names that are not valid UTF-8 are written with their bytes escaped.
"""

from __future__ import annotations

import hashlib
import json
import os
import re
from pathlib import Path

from zhen.text.safety import displayable

MANIFEST = "manifest.json"
_UNSAFE = re.compile(r"[\x00-\x1f\\/:*?\"<>|]+")


def display_path(path: Path) -> str:
    """The path as valid Unicode (undecodable bytes as `\\xNN`), for records and messages."""
    return displayable(str(path))


class OutputNames:
    """input path → output stem, persisted; `stem` gives an existing input its old name."""

    def __init__(self, out_dir: Path) -> None:
        self.path = out_dir / MANIFEST
        self.names: dict[str, str] = json.loads(self.path.read_text(encoding="utf-8")) if self.path.exists() else {}
        self._taken = set(self.names.values())
        self._dirty = False

    def stem(self, path: Path, root: Path | None) -> str:
        resolved = path.resolve()
        key = display_path(resolved)
        if key in self.names:
            return self.names[key]
        rel = resolved.relative_to(root) if root and resolved.is_relative_to(root) else Path(path.name)
        base = _UNSAFE.sub("_", displayable(str(rel.with_suffix(""))).replace(os.sep, "__")).strip(". ") or "article"
        stem = base
        if stem in self._taken:
            stem = f"{base}-{hashlib.sha256(key.encode()).hexdigest()[:8]}"
        self.names[key] = stem
        self._taken.add(stem)
        self._dirty = True
        return stem

    def save(self) -> None:
        """Write the manifest (atomically) if a name was added."""
        if not self._dirty:
            return
        tmp = self.path.with_name(self.path.name + ".tmp")
        tmp.write_text(json.dumps(self.names, ensure_ascii=False, indent=1, sort_keys=True) + "\n", encoding="utf-8")
        os.replace(tmp, self.path)
        self._dirty = False
