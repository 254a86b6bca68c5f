"""Prompt templates per model family, split into a shared prefix and a per-sentence suffix.

The split matters for speed: everything that does not depend on the sentence (instructions, worked
examples, the article title, the article's matches from the user's memory) goes in the prefix, which the
llama.cpp engine evaluates once and shares across every sentence of the batch; a sentence's own
memory matches are turns of the suffix, just before it.
"""

from __future__ import annotations

from collections.abc import Sequence

from zhen.mt.base import Request

SYSTEM = (
    "You are a professional Chinese-to-English translator for hospital and health news. Translate the "
    "user's Chinese text into fluent, accurate English. Keep every name, number and date. Write Chinese "
    "names in pinyin. Output only the English translation."
)
EXAMPLES = [
    ("世界卫生组织周二表示，该病毒已在三个国家传播。",
     "The World Health Organization said on Tuesday that the virus had spread to three countries."),
    ("该公司董事长出席了年会。\n(Terminology: 董事长 = Chairman)",
     "The Chairman of the company attended the annual meeting."),
    ("研究人员在2019年发现了12种新物种，其中3种生活在湖州附近。",
     "In 2019, researchers discovered 12 new species, three of which live near Huzhou."),
]


REWRITE_SYSTEM = (
    "You are an editor of English hospital news translated from Chinese. Rewrite the user's sentence as "
    "fluent, correct English. Keep every name, number, date and fact; add nothing and drop nothing. "
    "Capitalise proper names. Output only the rewritten sentence."
)
REWRITE_EXAMPLES = [
    ("the hospital was founded in 1954, after 66 years of hardships, and constantly pioneering and innovative.",
     "Founded in 1954, the hospital has kept pioneering and innovating through 66 years of hard work."),
    ("on 3 March, director wang said, we will strengthen the cooperation with zhejiang university in the "
     "discipline construction.",
     "On 3 March, Director Wang said that the hospital would strengthen its cooperation with Zhejiang "
     "University in building its disciplines."),
]


def _user_text(req: Request) -> str:
    """The user turn: the text, its terminology, and for post-editing the draft to correct."""
    text = req.source + _terms_hint(req)
    if req.task == "post-edit" and req.draft:
        text += f"\n(Draft translation to correct: {req.draft})"
    if req.hint:
        text += f"\n({req.hint})"
    return text


def _terms_hint(req: Request) -> str:
    if not req.terms:
        return ""
    pairs = "; ".join(f"{t.source} = {t.target}" for t in req.terms)
    return f"\n(Terminology: {pairs})"


def _turns(pairs: Sequence[tuple[str, str]]) -> str:
    return "".join(f"<|im_start|>user\n{user}<|im_end|>\n<|im_start|>assistant\n{assistant}<|im_end|>\n"
                   for user, assistant in pairs)


def chatml(system: str, turns: Sequence[tuple[str, str]]) -> str:
    return f"<|im_start|>system\n{system}<|im_end|>\n" + _turns(turns)


def split_prompt(family: str, req: Request, few_shot: bool = True) -> tuple[str, str]:
    """(prefix, suffix) prompt text for `req` in the model family's format.

    Rewriting English needs a chat model; dedicated MT families (Hunyuan-MT, Seed-X) get the ChatML
    form for it, and translate as usual when asked to post-edit (the draft is ignored).
    """
    if req.task == "rewrite":
        prefix = chatml(REWRITE_SYSTEM, REWRITE_EXAMPLES if few_shot else [])
        return prefix, f"<|im_start|>user\n{req.source}<|im_end|>\n<|im_start|>assistant\n"
    if family == "hunyuan":
        prefix = "<|startoftext|>" + (f"Article title: {req.title}\n" if req.title else "")
        return prefix, f"把下面的文本翻译成English，不要额外解释。{_terms_hint(req)}\n\n{req.source}<|extra_0|>"
    if family == "seed-x":
        return "", f"Translate the following Chinese sentence into English:{_terms_hint(req)}\n{req.source} <en>"
    system = SYSTEM + (f"\nThe article being translated is titled: {req.title}" if req.title else "")
    prefix = chatml(system, (EXAMPLES if few_shot else []) + list(req.shared_examples))
    suffix = f"{_turns(req.examples)}<|im_start|>user\n{_user_text(req)}<|im_end|>\n<|im_start|>assistant\n"
    return prefix, suffix


def chat_messages(req: Request, few_shot: bool = True) -> list[dict[str, str]]:
    """The same prompt as OpenAI-style chat messages (for servers that apply their own template)."""
    if req.task == "rewrite":
        system, examples, user = REWRITE_SYSTEM, REWRITE_EXAMPLES, req.source
    else:
        system = SYSTEM + (f"\nThe article being translated is titled: {req.title}" if req.title else "")
        examples, user = EXAMPLES, _user_text(req)
    msgs = [{"role": "system", "content": system}]
    shown = (examples if few_shot else []) + list(req.shared_examples) + list(req.examples)
    for u, a in shown:
        msgs += [{"role": "user", "content": u}, {"role": "assistant", "content": a}]
    msgs.append({"role": "user", "content": user})
    return msgs
