"""Terminology: load glossaries (CSV, TBX), find terms in a source sentence, check them in the output.

Matching is longest-first on the normalised (Simplified) source so `浙江大学医学院` wins over
`浙江大学`. The built-in base covers institutions, places and titles seen in hospital news; a user's
glossary is layered on top and wins on conflicts.
"""

from __future__ import annotations

import csv
import io
import re
import xml.etree.ElementTree as ET
from collections.abc import Sequence
from functools import lru_cache
from importlib import resources
from pathlib import Path

from zhen.mt.base import Term
from zhen.text.cleanup import normalise


class Glossary:
    """A source→target term table with longest-match lookup."""

    def __init__(self, terms: dict[str, str] | None = None) -> None:
        self.terms: dict[str, str] = {}
        self.kinds: dict[str, str] = {}  # entries that are not plain terms: person, place, org
        self.pinned: set[str] = set()  # entries written into the source (see `Term.pinned`)
        self.was: dict[str, tuple[str, ...]] = {}  # renderings translators replaced (see `Term.was`)
        self._max = 0
        for s, t in (terms or {}).items():
            self.add(s, t)

    def add(self, source: str, target: str, kind: str = "term", pinned: bool = False,
            was: tuple[str, ...] = ()) -> None:
        key = normalise(source).text
        if key and target.strip():
            self.terms[key] = target.strip()
            if was:
                self.was[key] = was
            else:
                self.was.pop(key, None)
            if kind != "term":
                self.kinds[key] = kind
            else:
                self.kinds.pop(key, None)
            if pinned:
                self.pinned.add(key)
            else:
                self.pinned.discard(key)
            self._max = max(self._max, len(key))  # longest term bounds the match window

    def merged(self, other: Glossary | None) -> Glossary:
        """A new glossary: this one overridden by `other`."""
        g = Glossary()
        for src in (self, other) if other is not None else (self,):
            for s, t in src.terms.items():
                g.add(s, t, src.kinds.get(s, "term"), s in src.pinned, src.was.get(s, ()))
        return g

    def find(self, source: str) -> list[Term]:
        """Terms present in `source`, longest match first, each once, in order of appearance."""
        found: list[Term] = []
        seen = set()
        i = 0
        while i < len(source):
            for n in range(min(self._max, len(source) - i), 0, -1):
                t = self.terms.get(source[i : i + n])
                if t is not None:
                    if source[i : i + n] not in seen:
                        key = source[i : i + n]
                        found.append(Term(key, t, self.kinds.get(key, "term"), key in self.pinned,
                                          self.was.get(key, ())))
                        seen.add(source[i : i + n])
                    i += n
                    break
            else:
                i += 1
        return found

    def __len__(self) -> int:
        return len(self.terms)


def _loose(text: str) -> str:
    return re.sub(r"[\s\-‐]+", " ", text.lower().replace("’", "'"))


def write_in(source: str, terms: Sequence[Term]) -> str:
    """`source` with each pinned term's Chinese replaced by its English, spaced from the Chinese around it
    (`主任姚幸福介绍` → `主任 Yao Xingfu 介绍`), longest first."""
    for t in sorted((t for t in terms if t.pinned), key=lambda t: -len(t.source)):
        text, english = source, t.target
        source = re.sub(rf"\s*{re.escape(t.source)}\s*",
                        lambda m, text=text, english=english: _spaced(text, m, english), source)  # type: ignore[misc]
    return source


_OPENING = set("(（“\"《 ，。、；：！？")
_CLOSING = set("，。、；：！？）)”\"》,.;:!? ")


def _spaced(text: str, m: re.Match[str], english: str) -> str:
    before = " " if m.start() > 0 and text[m.start() - 1] not in _OPENING else ""
    after = " " if m.end() < len(text) and text[m.end()] not in _CLOSING else ""
    return before + english + after


def accepted_forms(term: Term) -> list[str]:
    """The English forms that count as the term: its target, and for a place also its bare name
    (`Ningbo City` may read `Ningbo`), for an institution without its leading article, for a person
    without the apostrophe between syllables."""
    forms = [term.target]
    if term.kind == "place":
        forms.append(re.sub(r"\s+(City|District|County|Province|Town|Township|Village|Subdistrict)$", "",
                            term.target))
    if term.kind == "org" and term.target.startswith("the "):
        forms.append(term.target[4:])
    if term.kind == "person" and "'" in term.target:  # Xiao'an may be written Xiaoan
        forms.append(term.target.replace("'", ""))
    return forms


def missing_terms(terms: list[Term], output: str) -> list[Term]:
    """Terms none of whose accepted forms appears in `output` (case-, hyphen- and spacing-insensitive)."""
    low = _loose(output)
    return [t for t in terms if not any(_loose(f) in low for f in accepted_forms(t))]


def load_csv(text: str) -> Glossary:
    """`source,target[,note]` rows; a header row naming `source` is skipped."""
    g = Glossary()
    for row in csv.reader(io.StringIO(text)):
        if len(row) < 2 or row[0].strip().lower() == "source":
            continue
        g.add(row[0], row[1])
    return g


def load_tbx(text: str) -> Glossary:
    """TBX (TermBase eXchange): each termEntry's zh term mapped to its en term."""
    g = Glossary()
    root = ET.fromstring(text)
    for entry in root.iter():
        if not entry.tag.endswith("termEntry") and not entry.tag.endswith("conceptEntry"):
            continue
        by_lang: dict[str, str] = {}
        for lang_set in entry:
            if not (lang_set.tag.endswith("langSet") or lang_set.tag.endswith("langSec")):
                continue
            lang = next((v for k, v in lang_set.attrib.items() if k.endswith("lang")), "").lower()
            term = next((el.text for el in lang_set.iter() if el.tag.endswith("term") and el.text), None)
            if term:
                by_lang[lang.split("-")[0]] = term
        if "zh" in by_lang and "en" in by_lang:
            g.add(by_lang["zh"], by_lang["en"])
    return g


def load_file(path: str | Path) -> Glossary:
    """Load a CSV or TBX glossary by extension."""
    p = Path(path)
    text = p.read_text(encoding="utf-8")
    return load_tbx(text) if p.suffix.lower() in (".tbx", ".xml") else load_csv(text)


@lru_cache(maxsize=1)
def base() -> Glossary:
    """The built-in base glossary shipped with the package."""
    return load_csv(resources.files("zhen.mt").joinpath("data/glossary.csv").read_text(encoding="utf-8"))
