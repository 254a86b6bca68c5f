"""Faithfulness of a draft to its source: what it got wrong, and the repairs that need no model.

Violations are named precisely (`term_missing:胡军`, `numbers_invented:2019`) so a second request
can name them, and the review page can mark the exact text. Repairs without a model are the ones
a rule gets right every time: an honorific the source lacks ("Dr." for 主任), a year appended to a
dateline, a person's name written with one syllable wrong ("Huang Jun" for 胡军 Hu Jun).
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import replace
from difflib import SequenceMatcher

from zhen.mt.base import Term
from zhen.mt.faithful import checks
from zhen.mt.faithful.names import bylines
from zhen.mt.faithful.numbers import invented_numbers, normalise_numbers, stated
from zhen.mt.faithful.repair import is_pinyin_word
from zhen.mt.glossary import accepted_forms, missing_terms

# Honorifics and the Chinese that licenses them.
_HONORIFICS = {"Dr": "博士|医生|医师|大夫", "Mr": "先生", "Mrs": "夫人|太太", "Ms": "女士", "Miss": "小姐",
               "Prof": "教授"}
_MONTH = "|".join(checks.MONTHS)
_DATE_YEAR = re.compile(rf"\b((?:{_MONTH})\.?(?: \d{{1,2}}(?:st|nd|rd|th)?)?|\d{{1,2}}(?:st|nd|rd|th)? (?:{_MONTH}))"
                        rf",? (\d{{4}})\b")


def lost_numbers(source: str, draft: str) -> list[str]:
    """Source numbers the draft does not state, judged on the source as written and as the model read it
    (`20世纪60年代` may be stated as "the 1960s", `35万` as "350,000")."""
    return min(checks.missing_numbers(source, draft), checks.missing_numbers(normalise_numbers(source), draft),
               key=len)


def violations(source: str, draft: str, terms: Sequence[Term]) -> list[str]:
    """Flags for what `draft` gets wrong against `source`: the hard checks (empty, Chinese left, lost
    numbers, runaway), invented numbers, and terms or entities not written as rendered."""
    out = [f for f in checks.check(source, draft) if not f.startswith("numbers_missing")]
    lost = lost_numbers(source, draft)
    if lost:
        out.append("numbers_missing:" + ",".join(lost[:5]))
    invented = invented_numbers(source, draft)
    if invented:
        out.append("numbers_invented:" + ",".join(invented[:5]))
    out += [f"term_missing:{t.source}" for t in missing_terms(list(terms), draft)]
    return out


def drop_honorifics(source: str, text: str) -> str:
    """Remove "Dr." / "Mr." / "Prof." before a name when the source has no word for it."""
    for word, chinese in _HONORIFICS.items():
        if not re.search(chinese, source):
            text = re.sub(rf"\b{word}\.?\s+(?=[A-Z])", "", text)
    return text


_IN_YEAR = re.compile(r",?\s+in (\d{4})\b(?!\s*(?:-|–|to|and)\s*\d)")


def drop_invented_years(source: str, text: str) -> str:
    """"On December 22, 2019," → "On December 22,", "by September 2019" → "by September", "held … in 2019"
    → "held …", when the source gives no
    year 2019 (a small model dates undated news to its training years)."""
    def repl(m: re.Match[str]) -> str:
        return m.group(1) if m.group(2) in invented_numbers(source, m.group(2)) else m.group()

    def repl_in(m: re.Match[str]) -> str:
        return "" if m.group(1) in invented_numbers(source, m.group(1)) else m.group()

    return _IN_YEAR.sub(repl_in, _DATE_YEAR.sub(repl, text))


_ON_DAY = re.compile(rf"(,?)\s+on (?:{_MONTH})\.? (\d{{1,2}})(?:st|nd|rd|th)?\b(?!\s*(?:and|to|-|–|,\s*\d)\s*\d)(,?)")
_ON_DAY_FIRST = re.compile(rf"^On (?:{_MONTH})\.? (\d{{1,2}})(?:st|nd|rd|th)?\b,?\s+(\w)")
_AGE = re.compile(r"\b(\d{1,3})-year-old\s+(?=[a-z])")
_CENTURY = re.compile(r"\b(\d{1,2})(?:st|nd|rd|th)[- ]century\s+(?=[a-z])")
_OF_YEAR = re.compile(r"\s+of (\d{4})\b(?!\s*[-–]\s*\d)")
_BY_PERCENT = re.compile(r"\s+by (\d+(?:\.\d+)?) ?(?:%|percent\b|percentage points?\b)(?!\s*(?:and|or|to)\s+\d)")


def drop_invented_details(source: str, text: str) -> str:
    """A detail the source does not state, in the few shapes a small model invents it in, taken out whole:
    a day ("on March 15," for an undated 日前), an age ("a 90-year-old veteran"), a century, a year ("the
    first nine months of 2019" for 1-9月) and a change ("rose by 0.3 percentage points" for 环比提升). What
    is left still reads as the source does; a number the source does state is never touched."""
    def invented(n: str) -> bool:
        return bool(invented_numbers(source, n))

    text = _ON_DAY.sub(lambda m: (m.group(1) or m.group(3)) if invented(m.group(2)) else m.group(), text)
    text = _ON_DAY_FIRST.sub(lambda m: m.group(2).upper() if invented(m.group(1)) else m.group(), text)
    for pattern in (_AGE, _CENTURY, _OF_YEAR, _BY_PERCENT):
        text = pattern.sub(lambda m: "" if invented(m.group(1)) else m.group(), text)
    return text


_SPLIT_GROUPS = re.compile(r"(?<![\d.,])(\d{1,3}), (\d{3})(?![\d,])")
_SPLIT_DECIMAL = re.compile(r"(?<![\d.,])(\d+)\. (\d+)(?= (?:thousand|million|billion|trillion)\b)")


def join_split_groups(source: str, text: str) -> str:
    """"793, 800 people" → "793,800 people" when the source states 793,800 and not 800 on its own, and
    "3. 7 million" → "3.7 million" (a small model writes separators and decimal points with a space after)."""
    def repl(m: re.Match[str]) -> str:
        joined = m.group(1) + m.group(2)
        if invented_numbers(source, joined) or not (m.group(2) == "000" or invented_numbers(source, m.group(2))):
            return m.group()
        return f"{m.group(1)},{m.group(2)}"

    text = _SPLIT_GROUPS.sub(repl, text)
    return _SPLIT_DECIMAL.sub(lambda m: m.group(1) + "." + m.group(2)
                              if not invented_numbers(source, f"{m.group(1)}.{m.group(2)}") else m.group(), text)


_PAIR = re.compile(r"(?=\b([A-Z][a-z]+)[ -]([A-Z][a-z]*(?:-[a-z]+)?)\b)")


_CLOCK = re.compile(r",?\s*(?:at\s+)?(\d{1,2})(?::(\d{2}))?\s*(?:a\.m\.|p\.m\.|am\b|pm\b|o'clock)", re.I)


def drop_invented_times(source: str, text: str) -> str:
    """"On December 22 at 10:00 a.m.," → "On December 22 in the morning," when the source says only 上午."""
    def repl(m: re.Match[str]) -> str:
        if not invented_numbers(source, m.group(1) + (f" {m.group(2)}" if m.group(2) else "")):
            return m.group()
        part = " in the morning" if "上午" in source else " in the afternoon" if "下午" in source else ""
        if m.start() == 0:
            return part.strip().capitalize()
        return ("," if m.group().startswith(",") else "") + part

    return _CLOCK.sub(repl, text)


_SCALE_WORDS = {"thousand": 10**3, "million": 10**6, "billion": 10**9, "trillion": 10**12}


def fix_magnitudes(source: str, text: str) -> str:
    """An invented number that is a source number off by a power of ten ("over 100" for 十余, "35,000" for
    35万, "14 million" for 140万) becomes that number, when exactly one source value fits and the draft does
    not state it already."""
    have = {float(n) for n in checks.numbers(text) if n.replace(".", "", 1).isdigit()}
    values = [v for v in dict.fromkeys(stated(source)) if v not in have and v > 0]
    for n in invented_numbers(source, text):
        if not n.replace(".", "", 1).isdigit() or float(n) == 0:
            continue
        digits = r"(?<![\d.,])" + r",?".join(re.escape(c) for c in n) + r"(?![\d])"
        m = re.search(digits + r"(?:\s+(thousand|million|billion|trillion)\b)?", text)
        if m is None:
            continue
        x = float(n) * _SCALE_WORDS.get(m.group(1) or "", 1)
        fits = [v for v in values
                if any(abs(x * k - v) < 1e-9 * v or abs(v * k - x) < 1e-9 * x for k in (10, 100, 1000, 10**4))]
        if len(fits) != 1:
            continue
        v = fits[0]
        if m.group(1) and v >= 10**6:  # keep the English scale: "1.4 million", not "1,400,000"
            scale = 10**9 if v >= 10**9 else 10**6
            written = f"{v / scale:,.3f}".rstrip("0").rstrip(".") + (" billion" if scale == 10**9 else " million")
        else:
            written = f"{v:,.0f}" if v.is_integer() else f"{v:,}"
        text = text[: m.start()] + written + text[m.end() :]
    return text


_SOURCE_DATE = re.compile(r"(\d{1,2})月(\d{1,2})日")
_LOWER_START = {"The", "A", "An", "To", "In", "On", "At", "For", "With", "By", "After", "Before", "During", "This",
                "These", "It", "He", "She", "They", "We", "Our", "Recently", "Today", "Yesterday"}


def restore_date(source: str, text: str) -> str:
    """A draft that lost its source's date ("7月30日") gets it back at its start ("On July 30, …"): the last
    resort after the second request, so the fact is there even if the sentence reads less smoothly."""
    m = _SOURCE_DATE.search(source)
    if not m or not 1 <= int(m.group(1)) <= 12:
        return text
    month, day = checks.MONTHS[int(m.group(1)) - 1], m.group(2)
    if month.lower() in text.lower() or not text:
        return text
    first, _, rest = text.partition(" ")
    head = first.lower() if first in _LOWER_START else first
    when = " in the morning" if "上午" in source[m.end() : m.end() + 3] else \
        " in the afternoon" if "下午" in source[m.end() : m.end() + 3] else ""
    return f"On {month} {day}{when}, {head} {rest}".rstrip()


def _similar(a: str, b: str) -> bool:
    return SequenceMatcher(None, a.lower(), b.lower()).ratio() >= 0.5


_SYLLABLE_GAP = r"[ ‐'’-]?"  # what may stand between the syllables of a given name written apart


def fix_name_variants(text: str, terms: Sequence[Term]) -> str:
    """Replace a near miss of a person's name by the name: same surname and a similar given name
    ("Hong Zhaoyang" → Hong Chaoyang), or the same given name and a similar surname ("Huang Jun" → Hu Jun),
    or the two parts swapped. Only names the draft lacks are looked for, and a span that is itself
    another expected name is never touched."""
    people = [t for t in terms if t.kind == "person" and " " in t.target]
    missing = missing_terms(people, text)
    if not missing:
        return text
    expected = {t.target.lower() for t in people}
    for term in missing:
        sur, given = term.target.split(" ", 1)
        # the given name split into its syllables ("Zhang Ji Ke", "Zhang Ji-ke"): one word, as the convention is
        letters = _SYLLABLE_GAP.join(re.escape(ch) for ch in given.replace("'", ""))
        split = re.compile(rf"\b{re.escape(sur)}\s+{letters}\b", re.I)
        if split.search(text):
            text = split.sub(term.target, text, count=1)
            continue
        for m in _PAIR.finditer(text):  # overlapping: "President Hong Zhaoyang" has two pairs
            a, b = m.group(1), m.group(2).replace("-", "")
            if f"{a} {b}".lower() in expected:
                continue
            near = ((a.lower() == sur.lower() and _similar(b, given))
                    or (b.lower() == given.lower() and is_pinyin_word(a, 1))
                    or (a.lower() == given.lower() and b.lower() == sur.lower()))
            if near:
                start, end = m.start(1), m.end(2)
                text = text[:start] + term.target + text[end:]
                break
    return text


_LEADING_DATE = re.compile(rf"^(?:On |In )?(?:(?:{_MONTH})\.? \d{{1,2}}(?:st|nd|rd|th)?|\d{{1,2}} (?:{_MONTH}))")


def restore_bylines(source: str, text: str, terms: Sequence[Term]) -> str:
    """A dateline's reporters ("中新网上海9月30日电 (陈静 罗燕倩)") the draft dropped, put back after its date
    ("On September 30 (Chen Jing, Luo Yanqian), …") or at its start."""
    people = {t.source: t.target for t in terms if t.kind == "person"}
    for _, parts in bylines(source):
        names = [people[p] for p in parts] if all(p in people for p in parts) else []
        if not names or len(missing_terms([Term("", n) for n in names], text)) < len(names):
            continue
        byline = "(" + ", ".join(names) + ")"
        date = _LEADING_DATE.match(text)
        text = f"{text[: date.end()]} {byline}{text[date.end() :]}" if date else f"{byline} {text}"
    return text


def restore_edited_renderings(text: str, terms: Sequence[Term]) -> str:
    """A term a translator renamed (`Term.was`), written the old way by the model, written their way: the
    old rendering (or an accepted form of it) becomes the translator's, once, where the new one is absent."""
    for t in terms:
        if not t.was or not missing_terms([t], text):
            continue
        olds = sorted({f for w in t.was for f in accepted_forms(replace(t, target=w))}, key=len, reverse=True)
        for old in olds:
            new, n = re.subn(rf"(?<![\w-]){re.escape(old)}(?![\w-])", t.target, text, count=1, flags=re.IGNORECASE)
            if n:
                text = new
                break
    return text


def repair(source: str, text: str, terms: Sequence[Term]) -> str:
    """Every model-free repair, in order."""
    text = join_split_groups(source, text)
    text = drop_invented_times(source, drop_invented_years(source, drop_honorifics(source, text)))
    text = restore_edited_renderings(text, terms)
    text = drop_invented_details(source, fix_magnitudes(source, text))
    return restore_bylines(source, fix_name_variants(text, terms), terms)


def hint(flags: Sequence[str], terms: Sequence[Term]) -> str:
    """The second request's instruction, naming each failure."""
    parts = []
    by_source = {t.source: t.target for t in terms}
    for f in flags:
        kind, _, what = f.partition(":")
        if kind == "numbers_missing":
            parts.append("Keep these numbers: " + what.replace(",", ", "))
        elif kind == "numbers_invented":
            parts.append("Do not add numbers the source does not have: " + what.replace(",", ", "))
        elif kind == "term_missing" and what in by_source:
            parts.append(f"Write {what} as {by_source[what]}")
    return "; ".join(parts)
