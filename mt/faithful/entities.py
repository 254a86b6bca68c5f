"""An article's people, places and institutions, each rendered once, as terminology for every sentence.

The tagger (`zhen.mt.faithful.ner`) finds the spans; names become pinyin (`zhen.mt.faithful.names`), places and
institutions come from the gazetteer and its composition rules (`zhen.mt.faithful.gazetteer`). Rendering
per article, not per sentence, is what keeps an entity the same throughout a draft. Entries of the
glossary win over these rules: they are a person's deliberate choice.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Protocol

from zhen.mt.faithful import gazetteer, names, nationality
from zhen.mt.faithful.ner import Entity
from zhen.mt.glossary import Glossary


class Tagger(Protocol):
    def entities(self, texts: Sequence[str]) -> list[list[Entity]]: ...


def document_glossary(sentences: Sequence[str], tagger: Tagger | None) -> Glossary:
    """Rendered entities of an article's (normalised) sentences, as a glossary with kinds."""
    tagged = tagger.entities(list(sentences)) if tagger is not None else [[] for _ in sentences]
    g = Glossary()
    people = [e.text for ents in tagged for e in ents if e.kind == "person"]
    text = "\n".join(sentences)
    # the dictionary's proper nouns that are no people (路透 Reuters) are never read as Chinese names
    chinese = lambda name: float("-inf") if gazetteer.lookup(name) else gazetteer.name_odds(name)  # noqa: E731
    whole = {n[:2] for n in nationality.one_foreign_name(people, text, gazetteer.is_word)}
    for term in names.find_names(text, people, gazetteer.is_word, chinese):
        gloss = nationality.latin_gloss(text, term.source)
        known = gazetteer.person(term.source)  # 李克强 Li Keqiang, 金正恩 Kim Jong-un: the dictionary knows them
        if gloss:  # the article's own English beside the name (李登顿(David Lidington)): a note, since written
            g.add(term.source, gloss, "person")  # into the source it would stand twice
        elif known:
            g.add(term.source, known, "person", pinned=True)
        elif (gazetteer.japanese(term.source) or gazetteer.foreign_noun(term.source) or term.source[:2] in whole
              or nationality.introduced_as_foreign(text, term.source, chinese(term.source))):
            continue  # 石井启 is Ishii Kei, 路透 Reuters, 朝鲜外务相李勇浩 Ri Yong-ho: the model knows more than pinyin
        elif term.pinned or not gazetteer.lookup(term.source):  # an unpinned dictionary place (江华) is no person
            g.add(term.source, term.target, "person", pinned=term.pinned)
    for sentence, ents in zip(sentences, tagged):
        for e in ents:
            if e.text in g.terms:
                continue
            if e.kind == "place":
                rendered = nationality.latin_gloss(sentence, e.text, e.end) or gazetteer.place(e.text)
            elif e.kind == "org":
                rendered = nationality.latin_gloss(sentence, e.text, e.end) or gazetteer.institution(e.text)
            else:
                continue
            if rendered:
                g.add(e.text, rendered, e.kind)
    return g
