"""Lists of officials (`院长洪朝阳、副院长宋柏杉、…张永杰等出席`) translated item by item, then composed.

Asked for a twelve-person list in one go, a small model collapses it ("the Deputy Mayor of Pinghu,
the Mayor of Pinghu, …") and drops the names. Here the list is cut at its names: each member is
its rendered name plus its title phrase, which the model translates alone (short, so faithfully),
and the sentence around the list is translated with a placeholder where the list stood. Names
come first and titles after them, as English news writes them: "Hong Chaoyang, President".
"""

from __future__ import annotations

import re
from collections.abc import Callable, Sequence
from dataclasses import dataclass

from zhen.mt.base import Term

PLACEHOLDER = "X"  # stands for the whole list in the frame sentence
_CLAUSE = "，,；;：:。！？!?"
_JOINERS = "、，, 和及与以及"
_GAP_STOP = re.compile(r"[。；;！？!?：:]")
_POST_TITLE = re.compile(r"^(院士|教授|同志|博士|先生|女士|主任医师)")
MAX_GAP = 45  # characters of title phrase between two names; more is prose, not a list
# What a title phrase never contains: verbs and particles of prose, a list's end (等), a byline's slash.
_PROSE = re.compile(r"等|根据|围绕|感谢|邀请|到访|访问|带队|表示|指出|认为|说|由|在|了|是|将|对|向|从|与会|/|\s")


@dataclass
class Member:
    name: Term
    title: str  # the Chinese title phrase (`上海第九人民医院院长`), possibly empty


@dataclass
class Enumeration:
    head: str  # source before the list
    members: list[Member]
    tail: str  # source after the list (the predicate: `等相关领导出席并发表讲话。`)

    def frame(self) -> str:
        """The sentence with the list replaced by the placeholder (`X等相关领导出席…`)."""
        return f"{self.head}{PLACEHOLDER}{self.tail}"


def _is_title(phrase: str) -> bool:
    """A title phrase (`平湖市人民政府副市长`), not prose (`再次感谢`, `等一行到访`) or a byline (`文/宣传部`)."""
    return len(phrase) <= MAX_GAP and not _PROSE.search(phrase)


Occurrence = tuple[int, int, Term]  # start, end, the term found there


def _occurrences(source: str, terms: Sequence[Term]) -> list[Occurrence]:
    """Where the terms occur in `source`, left to right, overlaps dropped (the longer wins at one start)."""
    occ = [(m.start(), m.end(), t) for t in terms for m in re.finditer(re.escape(t.source), source)]
    occ.sort(key=lambda o: (o[0], -o[1]))
    return [o for k, o in enumerate(occ) if k == 0 or o[0] >= occ[k - 1][1]]


def _longest_run(occ: list[Occurrence], breaks: Callable[[str], bool], source: str) -> list[Occurrence]:
    """The longest run of occurrences whose gaps do not `break` it and that names no term twice."""
    best: list[Occurrence] = []
    run: list[Occurrence] = []
    for o in occ:
        if run and (breaks(source[run[-1][1] : o[0]]) or o[2] in {r[2] for r in run}):
            run = []
        run.append(o)
        if len(run) > len(best):
            best = list(run)
    return best


def find(source: str, people: Sequence[Term], min_members: int = 2) -> Enumeration | None:
    """The longest list of people in `source` whose members are separated only by title phrases (no clause
    end, no prose, at most MAX_GAP characters), or None. A two-person list counts only when both have
    titles; a nameless member between commas (`平湖市有关部门分管领导,`) stays inside its neighbour's title.
    A source that already has the placeholder's letter (`X光`) is left whole."""
    if PLACEHOLDER in source:
        return None
    occ = _occurrences(source, people)
    best = _longest_run(occ, lambda gap: not _is_title(gap.strip(_JOINERS)) or bool(_GAP_STOP.search(gap)), source)
    if len(best) < min_members:
        return None
    first = best[0][0]
    before = max([source.rfind(c, 0, first) + 1 for c in _CLAUSE]
                 + [o[1] for o in occ if o[1] <= first] + [0])
    start = before if _is_title(source[before:first].strip(_JOINERS)) else first
    members: list[Member] = []
    pos = start
    for s, e, term in best:
        title = source[pos:s].strip(_JOINERS)
        pos = e
        post = _POST_TITLE.match(source[e:])
        if post:
            title = f"{title}{post.group()}" if title else post.group()
            pos = e + post.end()
        members.append(Member(term, title))
    if len(members) == 2 and not all(m.title for m in members):
        return None
    return Enumeration(source[:start], members, source[pos:])


def find_items(source: str, entities: Sequence[Term], min_members: int = 3) -> Enumeration | None:
    """The longest run of rendered institutions joined only by 、/和/及 (`在鄞州人民医院、鄞州区第二医院、
    宁波市第六医院、宁波市眼科医院四个分会场`), or None. A small model merges such a list ("Yinzhou, Yinzhou District,
    Ningbo, and Ningbo"); the pipeline writes each member's rendering into the source, so every one is named."""
    if PLACEHOLDER in source:
        return None
    best = _longest_run(_occurrences(source, [t for t in entities if t.kind == "org"]),
                        lambda gap: gap == "" or bool(gap.strip("、和及与以 ")), source)
    if len(best) < min_members:
        return None
    return Enumeration(source[: best[0][0]], [Member(t, "") for _, _, t in best], source[best[-1][1] :])


def member_english(member: Member, title_en: str) -> str:
    """`Hong Chaoyang, President`: the name, then its title (leading article dropped)."""
    title = re.sub(r"^(?:the|a|an)\s+", "", title_en.strip().rstrip(".,;"), flags=re.I)
    return f"{member.name.target}, {title}" if title else member.name.target


def compose(frame_en: str, items_en: Sequence[str]) -> str:
    """The frame's English with the members where its placeholder is, or after it when the model dropped
    the placeholder; members joined by semicolons when they carry titles (their own commas)."""
    sep = "; " if any("," in i for i in items_en) else ", "
    joined = items_en[0] if len(items_en) == 1 else sep.join(items_en[:-1]) + f"{sep}and {items_en[-1]}"
    hits = list(re.finditer(rf"\b{PLACEHOLDER}\b", frame_en))
    if len(hits) == 1:
        m = hits[0]
        out = frame_en[: m.start()] + joined + frame_en[m.end() :]
        return out[0].upper() + out[1:]
    body = re.sub(rf"\b{PLACEHOLDER}\b", "they", frame_en).strip().rstrip(".")
    return f"{body}: {joined}." if body else f"{joined}."
