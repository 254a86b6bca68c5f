"""Hard checks on a draft: Chinese left in the English, numbers lost, runaway output.

Each returns reason strings so QE, the API and reports can show *why* a sentence is distrusted.
"""

from __future__ import annotations

import re

from pypinyin import Style, lazy_pinyin

from zhen.text.cleanup import has_cjk

_NUM = re.compile(r"\d+(?:[.,]\d+)*")
_CJK_RUN = re.compile(r"[\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff]+")
_CJK_PUNCT = str.maketrans({"，": ", ", "。": ". ", "、": ", ", "：": ": ", "；": "; ", "“": '"', "”": '"',
                            "‘": "'", "’": "'", "（": " (", "）": ") ", "《": '"', "》": '"', "！": "! ", "？": "? "})
MONTHS = ["January", "February", "March", "April", "May", "June", "July", "August", "September", "October",
           "November", "December"]


CJK_PUNCTUATION = frozenset(chr(k) for k in _CJK_PUNCT)


def english_punctuation(text: str) -> str:
    """Chinese punctuation as its English counterpart (`，` → `, `), spacing tidied."""
    return re.sub(r" {2,}", " ", text.translate(_CJK_PUNCT)).strip()


def romanise(text: str) -> str:
    """Replace any Chinese left in English output by capitalised pinyin (`鄞州` → `Yinzhou`)."""
    def repl(m: re.Match[str]) -> str:
        syllables = lazy_pinyin(m.group(), style=Style.NORMAL, errors="ignore")
        return "".join(syllables).capitalize()

    out = _CJK_RUN.sub(repl, text.translate(_CJK_PUNCT))
    return re.sub(r"\s{2,}", " ", out).strip()


def numbers(text: str) -> list[str]:
    """Digit groups of a text, normalised (thousand separators dropped)."""
    return [n.replace(",", "") for n in _NUM.findall(text)]


_WORDS = ["zero", "one", "two", "three", "four", "five", "six", "seven", "eight", "nine", "ten", "eleven", "twelve",
          "thirteen", "fourteen", "fifteen", "sixteen", "seventeen", "eighteen", "nineteen", "twenty"]
_ORDINALS = ["zeroth", "first", "second", "third", "fourth", "fifth", "sixth", "seventh", "eighth", "ninth", "tenth"]


def _scaled_forms(n: str, unit: str) -> set[str]:
    """English renderings of "1.5万" / "3亿": 15000, 15 (thousand), 1.5 / 300 (million), 0.3 (billion)."""
    try:
        value = float(n) * (1e4 if unit == "万" else 1e8)
    except ValueError:
        return set()
    forms = set()
    for scale in (1, 1e3, 1e6, 1e9):
        x = value / scale
        if x >= 0.1 and abs(round(x, 3) - x) < 1e-9:
            forms.add(f"{x:.3f}".rstrip("0").rstrip("."))
    return forms


def missing_numbers(source: str, output: str) -> list[str]:
    """Source numbers absent from the output; month numbers may appear as month names, and small numbers
    spelled out ("3" as "three" or "third"), as English style often wants."""
    out_nums = set(numbers(output))
    out_low = output.lower()
    out_words = set(re.findall(r"[a-z]+", out_low))
    missing = []
    for m in re.finditer(r"(\d+(?:[.,]\d+)*) ?(月|万|亿)?", source):
        n = m.group(1).replace(",", "")
        if n in out_nums:
            continue
        if m.group(2) in ("万", "亿") and _scaled_forms(n, m.group(2)) & out_nums:
            continue
        if n.isdigit() and int(n) <= 20 and (_WORDS[int(n)] in out_words
                                             or (int(n) <= 10 and _ORDINALS[int(n)] in out_words)):
            continue
        if m.group(2) and n.isdigit() and 1 <= int(n) <= 12 and MONTHS[int(n) - 1].lower() in out_low:
            continue
        if n.lstrip("0") in out_nums:
            continue
        missing.append(n)
    return missing


def is_runaway(output: str, source: str) -> bool:
    """Output far longer than any translation of the source, or looping on one phrase."""
    if len(output) > 8 * max(len(source), 10) + 80:
        return True
    words = output.split()
    if len(words) >= 24:
        grams = [" ".join(words[i : i + 4]) for i in range(len(words) - 3)]
        top = max(grams.count(g) for g in set(grams))
        return top >= 4
    return False


def check(source: str, output: str) -> list[str]:
    """Reasons to distrust `output` as a translation of `source` (empty when it passes)."""
    reasons = []
    if not output.strip():
        reasons.append("empty")
    if has_cjk(output):
        reasons.append("cjk_in_output")
    miss = missing_numbers(source, output)
    if miss:
        reasons.append("numbers_missing:" + ",".join(miss[:5]))
    if is_runaway(output, source):
        reasons.append("runaway")
    return reasons
