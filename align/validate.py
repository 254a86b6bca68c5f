"""Sanity checks on the two sides before aligning, so wrong inputs fail with a message, not nonsense.

An empty side is not an error (every sentence of the other side comes back unmatched, flagged
`other_side_empty`); a side in the wrong language, or a "sentence" as long as a book, is.
"""

from __future__ import annotations

import re
from collections.abc import Sequence

from zhen.errors import InputError
from zhen.text.cleanup import has_cjk, is_cjk

MAX_SENTENCE_CHARS = 2_000  # ten times a long real sentence; longer is a paragraph or a file on one line
_LATIN = re.compile(r"[A-Za-z]")


def check_sides(zh: Sequence[str], en: Sequence[str], zh_name: str = "Chinese side",
                en_name: str = "English side") -> None:
    """Raise InputError naming the side (and line) that cannot be aligned as Chinese → English."""
    for name, sents in ((zh_name, zh), (en_name, en)):
        for k, s in enumerate(sents):
            if len(s) > MAX_SENTENCE_CHARS:
                raise InputError(f"{name}: sentence {k + 1} is {len(s):,} characters long (limit "
                                 f"{MAX_SENTENCE_CHARS:,}); is the file one sentence per line? Without --presplit "
                                 "articles are segmented first")
    zh_text, en_text = "".join(zh), "".join(en)
    if zh_text.strip() and not has_cjk(zh_text):
        raise InputError(f"{zh_name} contains no Chinese characters (are the files swapped?)")
    cjk, latin = sum(1 for ch in en_text if is_cjk(ch)), len(_LATIN.findall(en_text))
    if cjk and cjk > latin:
        raise InputError(f"{en_name} looks Chinese, not English ({cjk} Chinese characters, {latin} Latin letters)")
