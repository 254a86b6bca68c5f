"""Numbers of a Chinese source: written out before the model sees them, and the set a translation may state.

A 1.5B model mis-scales `35万` ("35,000") and `6.1万` ("6,100"), and appends years a dateline lacks.
So the source it reads says `350,000` and `61,000`, years in Chinese numerals become digits
(`二〇一九年` → `2019年`), and a draft's digit groups are checked in both directions: every source
number present, and no number the source does not support (`supported`).
"""

from __future__ import annotations

import re
from functools import lru_cache

import cn2an

from zhen.mt.faithful.checks import numbers

# A number before 万/亿, thousands-grouped or not (`5,000亿`), maybe spaced from it (`200 万`), never the tail
# of a longer number.
_SCALED = re.compile(r"(?<![\d.,])(\d{1,3}(?:,\d{3})+(?:\.\d+)?|\d+(?:\.\d+)?) ?(万亿|亿|万)")
_ZH_YEAR = re.compile(r"([〇零一二三四五六七八九]{4})(?=年)")
_ZH_NUMERAL = re.compile(r"[〇零一二两三四五六七八九十百千万亿]+")
_DIGITS = {"〇": "0", "零": "0", "一": "1", "二": "2", "三": "3", "四": "4", "五": "5", "六": "6", "七": "7",
           "八": "8", "九": "9"}
_UNIT = {"万": 10**4, "亿": 10**8, "万亿": 10**12}
# A unit on its own that means one of it: "逾百囚犯" (over 100 prisoners), "百余人" (100-odd), "过万"
# (over 10,000), "万吨级" (10,000-ton class). Elsewhere a lone 百/千/万 is a word (百姓, 千万, 万一).
_LONE_UNIT = re.compile(r"(?:(?<=[逾近上过破超])([百千万])|(?<![\d〇零一二两三四五六七八九十百千万亿])([百千万])"
                        r"(?=余|多|[吨元人户亩台辆件套])(?!人民))")
_LONE_VALUE = {"百": 100, "千": 1000, "万": 10**4}


def _format_scaled(value: float) -> str:
    """350000 → `350,000`; 120000000 → `120 million`; 1.4e9 → `1.4 billion` (English style for large units)."""
    if value >= 10**9:
        return f"{value / 10**9:,.3f}".rstrip("0").rstrip(".") + " billion"
    if value >= 10**8:
        return f"{value / 10**6:,.3f}".rstrip("0").rstrip(".") + " million"
    return f"{value:,.3f}".rstrip("0").rstrip(".")


_DECADE = re.compile(r"(\d{1,2})世纪(\d0)年代")
# Vague magnitudes (数千亿, 数十年) stated in English words: given the Chinese, a small model picks a
# figure ("$4 trillion", "since the 1970s"); given "hundreds of billions" it has none to pick.
_VAGUE_ENGLISH = {"数十年来": "for decades ", "数十年": "decades ", "数十": "dozens of ", "数百": "hundreds of ",
                  "数千": "thousands of ", "数万": "tens of thousands of ", "数十万": "hundreds of thousands of ",
                  "数百万": "millions of ", "数千万": "tens of millions of ", "数亿": "hundreds of millions of ",
                  "数十亿": "billions of ", "数百亿": "tens of billions of ", "数千亿": "hundreds of billions of "}
# 数 ending a word (人数, 指数, 多数) is no vague magnitude.
_VAGUE = re.compile("(?<![无少多参分系指函倍人次总变半岁天年件户度位级])("
                    + "|".join(sorted(_VAGUE_ENGLISH, key=len, reverse=True)) + ")")


def normalise_numbers(text: str) -> str:
    """The source with `35万` → `350,000`, `1.2亿` → `120 million`, `二〇一九年` → `2019年` and
    `20世纪60年代` → `1960年代` (the 1960s)."""
    text = _ZH_YEAR.sub(lambda m: "".join(_DIGITS[c] for c in m.group(1)), text)
    text = _DECADE.sub(lambda m: f"{(int(m.group(1)) - 1) * 100 + int(m.group(2))}年代", text)
    text = _VAGUE.sub(lambda m: _VAGUE_ENGLISH[m.group(1)], text)
    return _SCALED.sub(lambda m: _format_scaled(_scaled(m)), text)


def _scaled(m: re.Match[str]) -> float:
    return float(m.group(1).replace(",", "")) * _UNIT[m.group(2)]


def _value(numeral: str) -> int | None:
    if len(numeral) == 1 and numeral in "万亿千百":
        return None
    try:
        v = cn2an.cn2an(numeral, "normal")
    except (ValueError, KeyError, IndexError):
        return None
    return int(v) if float(v).is_integer() else None


@lru_cache(maxsize=4096)
def supported(source: str) -> frozenset[str]:
    """Digit groups an English translation of `source` may contain: its digits (and those scaled from 万 and
    亿 to thousands, millions, billions), the values of its Chinese numerals (三十 → 30, 第一 → 1), and
    the parts of its dates and times."""
    norm = normalise_numbers(source)
    out: set[str] = set()
    for n in numbers(norm) + numbers(source):
        out |= {n, n.lstrip("0") or "0"}
        if "." in n:  # 6.10 is 6.1; 2005.09 (a date) also gives 2005 and 9
            out.add(n.rstrip("0").rstrip("."))
            out |= {p.lstrip("0") or "0" for p in n.split(".")}
    for n in numbers(norm):
        if n.isdigit() and int(n) >= 10**4:  # 350000 may be written 350 (thousand); 2300 is not 2.3 thousand
            whole = int(n)
            out |= {f"{whole / s:.1f}".rstrip("0").rstrip(".") for s in (10**3, 10**6, 10**9)
                    if whole >= s and round(whole / s, 1) == whole / s}
    for m in re.finditer(r"(\d{2})(\d{2})\s*[-–—~～至到]\s*(\d{2})(?!\d)", source):  # 1950-53年: 1953
        out.add(m.group(1) + m.group(3))
    if "半数" in source or "一半" in source:
        out.add("50")
    for value in _numeral_values(source):
        out.add(str(value))
    for m in _SCALED.finditer(source):
        scaled = _scaled(m)
        out |= {f"{scaled / s:.3f}".rstrip("0").rstrip(".") for s in (1, 10**3, 10**6, 10**9) if scaled / s >= 0.1}
    return frozenset(out)


def stated(source: str) -> list[float]:
    """The values the source itself states: its digit groups (万 and 亿 applied) and its Chinese numerals,
    without the scalings `supported` also accepts (for repairing a wrong magnitude)."""
    out: list[float] = []
    for n in numbers(normalise_numbers(source).replace(" million", "000000").replace(" billion", "000000000")):
        try:
            out.append(float(n))
        except ValueError:
            continue
    return out + [float(v) for v in _numeral_values(source)]


def _numeral_values(source: str) -> list[int]:
    """The values of the source's Chinese numerals (三十 → 30), and of its units that stand alone for one of
    themselves (`逾百` → 100, `万吨级` → 10,000)."""
    values = [v for m in _ZH_NUMERAL.finditer(source) if (v := _value(m.group())) is not None]
    return values + [_LONE_VALUE[m.group(1) or m.group(2)] for m in _LONE_UNIT.finditer(source)]


def invented_numbers(source: str, output: str) -> list[str]:
    """Digit groups of `output` that `source` does not support (an appended year, a wrong magnitude)."""
    ok = supported(source)
    out = []
    for n in numbers(output):
        if set(n) <= {"0", "."}:  # the minutes of "9:00", a bare zero: no fact of their own
            continue
        if n in ok or n.lstrip("0") in ok or ("." in n and n.rstrip("0").rstrip(".") in ok):
            continue
        if n not in out:
            out.append(n)
    return out
