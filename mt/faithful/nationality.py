"""People whose names are written in Chinese characters but whose English is no pinyin.

Chinese news writes foreigners with ordinary characters: transliterations (`泰国副总理巴逸`), Korean and
Japanese names (`朝鲜外务相李勇浩` Ri Yong-ho, `高村正彦` Masahiko Komura). Their characters can look like a
Chinese name, so the character statistics of `gazetteer.name_odds` cannot tell; the article can:

- **the phrase that introduces the person names a foreign country** (ISO 3166 names in Chinese, from
  pycountry): `朝鲜外务相李勇浩`, or, where its people's names are not written in Chinese characters, a
  name that also reads as a transliteration (`泰国副总理巴逸`). A country the person is stationed in is not theirs
  (`中国驻泰国大使吕健` is Chinese), and ethnic Chinese abroad keep their names (`意大利华人吕嘉`). Nor
  is a United Nations representative a national of the country served (`世界卫生组织代表高力`).
- **the tagger reads one four-character name** that splits into no name and word: `高村正彦`, `翁长雄志`
  (Japanese given names), so their two-character heads (`高村`, `翁长`) are no Chinese people either; but
  `赵杰出席` is 赵杰 who attends (出席 is a word).

A name an article glosses in Latin letters (`李登顿(David Lidington)`) takes its gloss (`latin_gloss`), as a
note: the source already writes it.
"""

from __future__ import annotations

import gettext
import re
from collections.abc import Callable, Iterable
from functools import lru_cache

import pycountry

from zhen.mt.faithful.names import COMPOUND_SURNAMES, positions

_GREATER_CHINA = {"CN", "HK", "MO", "TW"}
# countries whose people write their names in Chinese characters but in English by other rules: Korean and
# Japanese readings, Vietnamese, and the Hokkien or Cantonese spellings of Singapore and Malaysia
_HAN_NAMES = {"KR", "KP", "JP", "VN", "SG", "MY"}
# the country before the name is the person's, unless the words between join two phrases or name an action
# (`美国总统特朗普会见了习近平`, `美国副总统和王岐山`)
_BETWEEN = re.compile(r"[\u4e00-\u9fff]{0,8}")
_NOT_A_TITLE = set("了见与和同及向对在说把将给被从为是之的")
# a country after these is where someone is or goes (`效力于土耳其`, `在美国`), not whose they are
_LOCATIVE = set("于在赴到往")
_STATIONED = "驻"  # 驻泰国 names where someone serves, not whose they are
# 华 (China, the Chinese) in the phrase marks ethnic Chinese abroad (`意大利华人`, `菲律宾华教中心`), who
# keep their names; 驻华 is a post in China
_ETHNIC_CHINESE = re.compile(r"(?<!驻)华")
_INSIDE_CHINA = ("内蒙古",)  # Chinese regions whose names hold a country's (蒙古)
# the United Nations' representatives in a country are never its nationals (`世界卫生组织代表高力`, Gauden
# Galea; `联合国儿童基金会驻华代表`)
_UN_REPRESENTATIVE = re.compile(r"(?:联合国|世界卫生组织|世卫组织|世界银行|国际货币基金组织)[\u4e00-\u9fff]{0,8}?代表$")
_WINDOW = 14  # characters before the name that can hold its introducing phrase
_GLOSS = r"\s*[(（]\s*([A-Z][A-Za-z'’.\-]*(?:\s+[A-Za-z][A-Za-z'’.\-]*){0,4})\s*[)）]"


@lru_cache(maxsize=1)
def foreign_countries() -> dict[str, str]:
    """Chinese names of every country but China (ISO 3166-1 in pycountry's zh_CN catalogue) → its alpha-2
    code, longest name first so that `朝鲜民主主义人民共和国` is read whole."""
    zh = gettext.translation("iso3166-1", pycountry.LOCALES_DIR, languages=["zh_CN"], fallback=True)
    found: dict[str, str] = {}
    for country in pycountry.countries:
        if country.alpha_2 in _GREATER_CHINA:
            continue
        for attr in ("name", "common_name", "official_name"):
            english = getattr(country, attr, None)
            chinese = zh.gettext(english) if english else ""
            if chinese and re.fullmatch(r"[\u4e00-\u9fff]{2,}", chinese):
                found[chinese] = country.alpha_2
    return dict(sorted(found.items(), key=lambda kv: (-len(kv[0]), kv[0])))


@lru_cache(maxsize=1)
def _country_pattern() -> re.Pattern[str]:
    return re.compile("|".join(map(re.escape, foreign_countries())))


def introduced_as_foreign(text: str, name: str, chinese_odds: float = 0.0) -> bool:
    """Some mention of `name` in `text` follows a phrase that names a foreign country as the person's:
    the country, then at most eight characters of title (`朝鲜外务相`), none of them joining two phrases
    or naming an action, and neither stationed there (`驻泰国`) nor of Chinese descent (`华人`); or
    follows the title of a United Nations representative.

    Only a country whose own people write Chinese-character names in no pinyin (`_HAN_NAMES`: Korea,
    Japan, Singapore …) decides alone. Elsewhere a Chinese-looking name is most often ethnic Chinese
    (`美国哈佛大学教授张明`), so there the name's characters must also read as foreign (`chinese_odds` ≤ 0,
    `gazetteer.name_odds`: `泰国副总理巴逸`)."""
    pattern, countries = _country_pattern(), foreign_countries()
    for start in positions(text, name):
        offset = max(0, start - _WINDOW)
        window = text[offset:start]
        if _UN_REPRESENTATIVE.search(window):
            return True
        for c in reversed(list(pattern.finditer(window))):
            between = window[c.end() :]
            if not _BETWEEN.fullmatch(between) or set(between) & _NOT_A_TITLE:
                continue
            before = text[offset + c.start() - 1] if offset + c.start() else ""
            if before == _STATIONED or before in _LOCATIVE or before + c.group() in _INSIDE_CHINA:
                continue  # a host country or a place (an owner country may stand before it), a Chinese region
            if not _ETHNIC_CHINESE.search(between) and (countries[c.group()] in _HAN_NAMES or chinese_odds <= 0):
                return True
            break
    return False


def one_foreign_name(tagged: Iterable[str], text: str, is_word: Callable[[str], bool]) -> set[str]:
    """The tagger's four-character people that read as one name, not a Chinese name plus a word
    (`高村正彦`; not `赵杰出席` or `葛均波分享`): no two- or three-character head is followed, where the
    name stands, by a dictionary word, and the head is no compound surname (`欧阳明长` is Chinese)."""
    out = set()
    for name in set(tagged):
        if len(name) != 4 or name[:2] in COMPOUND_SURNAMES or not re.fullmatch(r"[\u4e00-\u9fff]{4}", name):
            continue
        starts = positions(text, name)
        if starts and not any(is_word(text[i + h : i + h + k]) for i in starts for h in (2, 3) for k in (2, 3)):
            out.add(name)
    return out


def latin_gloss(text: str, name: str, end: int | None = None) -> str | None:
    """The Latin-letter name an article writes in brackets right after `name` (`李登顿(David Lidington)`),
    or right at `end` where a tagger's span ends: the article's own English for it, which no rule should
    override. Acronyms (`(WHO)`, all capitals) are abbreviations, not names, and a one-character span is
    too short to own the gloss of the word it ends (`亚` of `纳米比亚（Namibian）`)."""
    if len(name) < 2:
        return None
    m = re.compile(_GLOSS).match(text, end) if end is not None else re.search(re.escape(name) + _GLOSS, text)
    return m.group(1).strip() if m and re.search("[a-z]", m.group(1)) else None
