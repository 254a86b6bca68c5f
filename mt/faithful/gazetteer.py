"""English names of Chinese places and institutions from CC-CEDICT, plus the suffix rules news English uses.

CC-CEDICT (read by `zhen.dictionary.cedict`) writes proper nouns with capitalised pinyin and starts
their definition with the English name ("Ningbo subprovincial city in Zhejiang"), which gives about
5,000 places and many institutions.

Names it lacks are composed: the stem's English (or its pinyin) plus the suffix (`鄞州区` → Yinzhou
District), and hospitals by the patterns their English names follow (`平湖市第一人民医院` → the First
People's Hospital of Pinghu).
"""

from __future__ import annotations

import math
import re
from collections import Counter
from collections.abc import Iterable
from functools import lru_cache
from typing import Any

from pypinyin import Style, lazy_pinyin

from zhen.dictionary import cedict
from zhen.mt.faithful.names import COMPOUND_SURNAMES, SURNAMES, surname_of, to_pinyin

SUFFIXES = {"自治区": "Autonomous Region", "自治州": "Autonomous Prefecture", "省": "Province", "市": "City",
            "区": "District", "县": "County", "镇": "Town", "乡": "Township", "村": "Village", "街道": "Subdistrict"}
_ORDINALS = {"一": "First", "二": "Second", "三": "Third", "四": "Fourth", "五": "Fifth", "六": "Sixth",
             "七": "Seventh", "八": "Eighth", "九": "Ninth", "十": "Tenth"}
MUNICIPALITIES = frozenset(["北京", "上海", "天津", "重庆"])  # their English names take no "City"
_NAME_WORD = re.compile(r"[A-Z][A-Za-z'’.-]*|of|the|and|for")


_PERSON = re.compile(r"^([A-Z][\w'’.-]*(?: [A-Z][\w'’.-]*)+) \((?:c\. ?)?\d{3,4}\s*[-–]")


INDEX_FORMAT = 4  # bump when `_build_index` changes what it keeps: the cached index is rebuilt


Index = tuple[dict[str, str], dict[str, str], frozenset[str], dict[str, dict[str, int]], frozenset[str]]
_JAPANESE_SURNAME = re.compile(r"\bJapanese (?:sur)?name\b")


@lru_cache(maxsize=1)
def _index() -> Index:
    """From CEDICT: simplified proper nouns → English name, people ("Li Keqiang (1955-), …") → their English
    name, the common words of two or three characters, and how often each character stands in Chinese
    given names and in transliterated foreign names (`name_odds`), and the Japanese surnames of two or three
    characters (`japanese`). Kept in the cache folder by `cedict.derived` (~0.1 s to read back)."""
    return cedict.derived("gazetteer", INDEX_FORMAT, _build_index, _encode, _decode)


def _encode(index: Index) -> dict[str, Any]:
    names, people, words, chars, japanese = index
    return {"names": names, "people": people, "words": sorted(words), "chars": chars, "japanese": sorted(japanese)}


def _decode(saved: dict[str, Any]) -> Index:
    return (dict(saved["names"]), dict(saved["people"]), frozenset(saved["words"]), dict(saved["chars"]),
            frozenset(saved["japanese"]))


def _build_index(items: Iterable[dict[str, Any]]) -> Index:
    names: dict[str, str] = {}
    people: dict[str, str] = {}
    words: set[str] = set()
    chars: dict[str, Counter[str]] = {"chinese": Counter(), "foreign": Counter(), "surname": Counter(),
                                      "foreign_first": Counter()}
    japanese: set[str] = set()
    for entry in items:
        if not entry["definitions"]:
            continue
        simplified = entry["simplified"]
        if 2 <= len(simplified) <= 3 and any(_JAPANESE_SURNAME.search(d) for d in entry["definitions"]):
            japanese.add(simplified)
        if not entry["pinyin"][:1].isupper():
            if 2 <= len(simplified) <= 3:
                words.add(simplified)
            continue
        _count_name_chars(entry, chars)
        if person := _PERSON.match(entry["definitions"][0]):
            people.setdefault(simplified, person.group(1))
        head = re.split(r"[,;(（]| - ", entry["definitions"][0])[0].strip()
        kept = []
        for w in head.split():
            if not _NAME_WORD.fullmatch(w):
                break
            kept.append(w)
        while kept and kept[-1] in ("of", "the", "and", "for"):
            kept.pop()
        if kept and simplified not in names:
            names[simplified] = " ".join(kept)
    return names, people, frozenset(words), {k: dict(v) for k, v in chars.items()}, frozenset(japanese)


_HAN_NAME = re.compile(r"^[\u4e00-\u9fff]{2,5}$")


def _count_name_chars(entry: dict, chars: dict[str, Counter[str]]) -> None:
    """Count a dictionary name's characters: a Chinese person's given name (the entry's English is its own
    pinyin, `李克强 Li Keqiang (1955-)`), or a transliterated foreign name (`史密斯 Smith (name)`, a person
    whose English is not the pinyin and whose first character is no Chinese surname). Japanese, Korean and
    Vietnamese names are neither: they are written with ordinary Chinese characters."""
    simplified, first = entry["simplified"], entry["definitions"][0]
    every = " / ".join(entry["definitions"])
    if not _HAN_NAME.match(simplified) or re.search(r"Japan|Korea|Vietnam", every):
        return
    reading = "".join(re.sub(r"\d", "", p) for p in entry["pinyin"].split()).lower()
    person = _PERSON.match(first)
    english = (person.group(1) if person else re.split(r"[,;(（]| - ", first)[0]).strip()
    letters = re.sub(r"[^a-z]", "", english.lower())
    surname = surname_of(simplified)
    if person and letters == reading and len(simplified) <= 4 and surname in SURNAMES + "".join(COMPOUND_SURNAMES):
        chars["chinese"].update(simplified[len(surname) :])
        chars["surname"][surname] += 1
    elif letters and letters != reading and english[:1].isupper() and (
            "(name)" in every or (person and simplified[0] not in SURNAMES)):
        chars["foreign"].update(simplified)
        chars["foreign_first"][simplified[0]] += 1


def name_odds(name: str) -> float:
    """Log-odds that `name` is a Chinese name rather than a transliteration (史密斯 Smith, 唐诺利 Donnelly),
    from two pieces of evidence, each add-½ smoothed: how often its first character stands as the surname of
    the dictionary's Chinese people against how often it starts a transliterated name (陈 almost never does,
    马 often: 马克 Mark), and how often each given-name character stands in Chinese given names against
    its frequency in transliterations, which draw on a small set of phonetic characters (斯, 尔, 克, 特,
    娜 …). Transliterations score far below zero; 0 when nothing is known."""
    counts = _index()[3]
    surname = surname_of(name)
    return (_log_odds(name[len(surname) :], counts.get("chinese", {}), counts.get("foreign", {}))
            + _log_odds([surname], counts.get("surname", {}), counts.get("foreign_first", {})))


def _log_odds(units: Iterable[str], yes: dict[str, int], no: dict[str, int]) -> float:
    """Sum over `units` of log P(unit | yes) − log P(unit | no), each add-½ smoothed over both vocabularies."""
    if not yes or not no:
        return 0.0
    vocab = len(set(yes) | set(no)) + 1
    n_yes, n_no = sum(yes.values()) + 0.5 * vocab, sum(no.values()) + 0.5 * vocab
    return sum(math.log((yes.get(u, 0) + 0.5) / n_yes) - math.log((no.get(u, 0) + 0.5) / n_no) for u in units)


def pinyin_name(text: str) -> str:
    """`鄞州` → `Yinzhou`: a place stem in pinyin, as one capitalised word."""
    return "".join(lazy_pinyin(text, style=Style.NORMAL, errors="ignore")).capitalize()


def lookup(text: str) -> str | None:
    """The dictionary's English name for `text`, if it has one."""
    return _index()[0].get(text)


def person(text: str) -> str | None:
    """The English name the dictionary gives a well-known person (`金正恩` → Kim Jong-un), if any. A Western
    given name it puts before a Chinese name's own pinyin is dropped (`郎平` Jenny Lang Ping → Lang Ping):
    news writes Chinese people by their Chinese names."""
    known = _index()[1].get(text)
    own = to_pinyin(text)
    return own if known and known.lower().endswith(" " + own.lower()) else known


def foreign_noun(text: str) -> bool:
    """The dictionary has `text` as a proper noun whose English is no pinyin (`路透` Reuters, `巴尔干` the
    Balkans): never a Chinese person, whatever title stands before it."""
    known = lookup(text)
    return known is not None and known.replace(" ", "").lower() != pinyin_name(text).lower()


def japanese(name: str) -> bool:
    """`name` is, or starts with, a Japanese surname of two or three characters (`石井启`, `安倍晋三`): its
    characters are Chinese, but its English is no pinyin, so it is never rendered as a Chinese name."""
    surnames = _index()[4]
    return any(name[:k] in surnames for k in (3, 2))


def is_word(text: str) -> bool:
    """`text` is a common (not proper) word of the dictionary: `简历` (résumé), `关于` (about)."""
    return text in _index()[2]


def place(text: str) -> str | None:
    """English for a place name: the dictionary's name with the suffix's word (`宁波市` → Ningbo City), or the
    stem's pinyin plus the suffix for places it lacks. None when nothing is known and no suffix tells the
    kind (the model is left to it)."""
    for suffix, word in SUFFIXES.items():
        stem = text[: -len(suffix)]
        if text.endswith(suffix) and len(stem) >= 2:
            base = lookup(stem) or lookup(text) or pinyin_name(stem)
            base = re.sub(rf"\s+{word}$", "", base, flags=re.I)
            chinese = base.replace(" ", "").lower() == pinyin_name(stem).lower()
            # 北京市 is Beijing; a foreign place keeps its own name (哈利法克斯市 is Halifax, not "Halifax City")
            return f"{base} {word}" if chinese and stem not in MUNICIPALITIES else base
    known = lookup(text)
    # Without a suffix, only Chinese places (whose English is their pinyin: 宁波 Ningbo) are rendered;
    # 美国 or 佛罗里达 the model knows, and their English is no transcription to enforce.
    return known if known and known.replace(" ", "").lower() == pinyin_name(text).lower() else None


def place_stem(text: str) -> str:
    """A place without its suffix word, as it reads inside an institution's name (`平湖市` → Pinghu)."""
    for suffix in SUFFIXES:
        stem = text[: -len(suffix)]
        if text.endswith(suffix) and len(stem) >= 2:
            return re.sub(rf"\s+{SUFFIXES[suffix]}$", "", lookup(stem) or lookup(text) or pinyin_name(stem), flags=re.I)
    return lookup(text) or pinyin_name(text)


_HOSPITAL = re.compile(r"^(?P<place>[\u4e00-\u9fff]{2,6}?(?:省|市|县|区)?)第(?P<n>[一二三四五六七八九十])人民医院$")
_PEOPLES = re.compile(r"^(?P<place>[\u4e00-\u9fff]{2,6}?(?:省|市|县|区)?)人民医院$")
_TCM = re.compile(r"^(?P<place>[\u4e00-\u9fff]{2,6}?(?:省|市|县|区)?)中医院$")
_NUMBERED = re.compile(r"^(?P<place>[\u4e00-\u9fff]{2,6}?(?:省|市|县|区)?)第(?P<n>[一二三四五六七八九十])医院$")
# Specialist hospitals and centres: `宁波市眼科医院` → Ningbo Eye Hospital.
_SPECIALTIES = {"眼科医院": "Eye Hospital", "口腔医院": "Stomatological Hospital", "儿童医院": "Children's Hospital",
                "妇幼保健院": "Maternal and Child Health Hospital", "妇产科医院": "Obstetrics and Gynecology Hospital",
                "肿瘤医院": "Cancer Hospital", "中西医结合医院": "Hospital of Integrated Traditional Chinese and "
                "Western Medicine", "精神卫生中心": "Mental Health Center", "康复医院": "Rehabilitation Hospital",
                "传染病医院": "Infectious Disease Hospital", "骨科医院": "Orthopaedic Hospital",
                "疾病预防控制中心": "Center for Disease Control and Prevention", "血液中心": "Blood Center",
                "急救中心": "Emergency Center", "妇女儿童医院": "Women and Children's Hospital"}
_SPECIALIST = re.compile(rf"^(?P<place>[\u4e00-\u9fff]{{2,6}}?(?:省|市|县|区)?)(?P<kind>{'|'.join(_SPECIALTIES)})$")
_AFFILIATED = re.compile(r"^(?P<uni>[\u4e00-\u9fff]{2,8}大学)(?:医学院)?附属(?P<name>[\u4e00-\u9fff]{1,8}?)医院$")


def institution(text: str) -> str | None:
    """English for an institution's name by the dictionary or the patterns hospital names follow."""
    known = lookup(text)
    if known:
        return known
    if m := _HOSPITAL.match(text):
        return f"the {_ORDINALS[m['n']]} People's Hospital of {place_stem(m['place'])}"
    if m := _PEOPLES.match(text):
        return f"{place_stem(m['place'])} People's Hospital"
    if m := _NUMBERED.match(text):
        return f"the {_ORDINALS[m['n']]} Hospital of {place_stem(m['place'])}"
    if m := _SPECIALIST.match(text):
        return f"{place_stem(m['place'])} {_SPECIALTIES[m['kind']]}"
    if m := _TCM.match(text):
        return f"{place_stem(m['place'])} Hospital of Traditional Chinese Medicine"
    if m := _AFFILIATED.match(text):
        uni = lookup(m["uni"]) or f"{pinyin_name(m['uni'][:-2])} University"
        name = m["name"]
        head = {"第一": "First", "第二": "Second", "第三": "Third", "第四": "Fourth"}.get(name) or pinyin_name(name)
        return f"the {head} Affiliated Hospital of {uni}" if name.startswith("第") else f"{head} Hospital of {uni}"
    return None
