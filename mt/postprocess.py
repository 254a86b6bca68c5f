"""Clean raw model output into one English sentence: strip chatter, romanise any Chinese left."""

from __future__ import annotations

import re

from zhen.mt.faithful.checks import has_cjk, romanise

_PREAMBLE = re.compile(r"^(?:here is the translation|translation|english|译文)\s*[:：]\s*", re.I)


def clean_output(raw: str, source: str) -> str:
    text = raw.strip()
    text = _PREAMBLE.sub("", text)
    if "\n" not in source:
        lines = [ln.strip() for ln in text.splitlines() if ln.strip()]
        text = " ".join(lines[:1]) if len(lines) > 1 and len(lines[0]) > len(source) // 2 else " ".join(lines)
    if len(text) >= 2 and text[0] == text[-1] == '"' and not source.startswith(("“", '"')):
        text = text[1:-1].strip()
    if has_cjk(text):
        text = romanise(text)
    return text
