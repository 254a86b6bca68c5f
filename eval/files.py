"""Line files for evaluation (hypotheses, references, sources), read strictly.

sacrebleu compares line N with line N, so a missing line, a stray encoding or an empty file silently
shifts or poisons every score after it. We refuse them with the file name and the line number instead.
"""

from __future__ import annotations

import hashlib
from pathlib import Path

from zhen.errors import InputError
from zhen.text.lines import split_lines


def read_lines(path: str | Path) -> list[str]:
    """The lines of a UTF-8 file (one segment per line, trailing newline optional)."""
    p = Path(path)
    if not p.is_file():
        raise InputError(f"{p}: no such file")
    data = p.read_bytes()
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError as err:
        line = data[: err.start].count(b"\n") + 1
        raise InputError(f"{p}: line {line} is not valid UTF-8 (byte {err.start}); convert the file to UTF-8") from None
    if text.startswith("\ufeff"):
        text = text[1:]
    lines = split_lines(text)
    if not lines or not any(ln.strip() for ln in lines):
        raise InputError(f"{p}: empty file")
    return lines


def check_parallel(files: dict[str, list[str]]) -> int:
    """All files must have as many lines as the first; returns that count."""
    (first, ref_lines), *rest = files.items()
    for name, lines in rest:
        if len(lines) != len(ref_lines):
            shorter = name if len(lines) < len(ref_lines) else first
            line = min(len(lines), len(ref_lines)) + 1
            raise InputError(f"{name} has {len(lines)} lines but {first} has {len(ref_lines)}: "
                             f"{shorter} has no line {line}")
    return len(ref_lines)


def sha256(path: str | Path) -> str:
    """Recorded in reports so a score can be traced to the exact data it was computed on."""
    h = hashlib.sha256()
    with open(path, "rb") as fh:
        for block in iter(lambda: fh.read(1 << 20), b""):
            h.update(block)
    return h.hexdigest()
