"""Request and response bodies of the HTTP API (pydantic validates, FastAPI documents them in OpenAPI)."""

from __future__ import annotations

from typing import Annotated, Any, Literal

from pydantic import AfterValidator, BaseModel, ConfigDict, Field, StringConstraints, model_validator

from zhen.app.translate import TranslateOptions
from zhen.mt.glossary import Glossary
from zhen.text.safety import check_text, displayable

MAX_GLOSSARY_TERMS = 1_000  # a request's own glossary; each term is matched in every sentence
MAX_TERM_CHARS = 200

# Every text field: valid Unicode (no lone surrogates, which no store or encoder accepts).
Text = Annotated[str, AfterValidator(check_text)]
Term = Annotated[str, StringConstraints(min_length=1, max_length=MAX_TERM_CHARS), AfterValidator(check_text)]


def _edit_text(text: str) -> str:
    """A translator's edit: something to read (not only blanks) that TMX/XLIFF can hold."""
    if not text.strip():
        raise ValueError("an edit must contain text, not only whitespace")
    return check_text(text, xml=True)


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", allow_inf_nan=False)


class TranslateRequest(_Strict):
    text: Text | None = Field(None, description="a whole article (cleaned and segmented by the service)",
                              min_length=1)
    sentences: list[Text] | None = Field(None, description="or sentences, one draft each, same order",
                                         min_length=1, max_length=2000)
    model: Text | None = Field(None, description="must name the server's loaded model when given", max_length=200)
    glossary: dict[Term, Term] | None = Field(
        None, description=f"source term → target term, on top of the built-in (at most {MAX_GLOSSARY_TERMS} "
        f"terms of at most {MAX_TERM_CHARS} characters; their characters count towards the request's)",
        max_length=MAX_GLOSSARY_TERMS)
    include_boilerplate: bool = False
    qe: Literal["fast", "full", "none"] = Field(
        "fast", description="fast: log-probabilities recorded while translating, length and checks; full: "
        "also forced decoding where no log-probability was recorded (slower); none: length and checks only")
    quality: Literal["default", "best"] | None = Field(
        None, description="best: several candidates per sentence, chosen by the checks and minimum Bayes risk; "
        "each segment then has its 'agreement' and 'alternatives' (slower; default: the server's setting)")
    alternatives: int = Field(0, ge=0, le=15, description="this many other candidates per sentence (implies best)")
    title: Text | None = Field(None, max_length=2000, description="with 'sentences': the article's title or other "
                               "context, given to the model with every sentence (an article's own title is found)")
    memory: bool = Field(True, description="use the key's translation memory (exact matches returned, fuzzy ones "
                         "shown to the model) and its glossary; false: the machine alone, as an evaluator wants")

    @model_validator(mode="after")
    def _one_input(self) -> TranslateRequest:
        if (self.text is None) == (self.sentences is None):
            raise ValueError("give exactly one of 'text' or 'sentences'")
        if self.title is not None and self.text is not None:
            raise ValueError("'title' goes with 'sentences'; an article's title is found in its text")
        return self

    def options(self) -> TranslateOptions:
        """The use case's options (`zhen.app.translate`): the same fields, the glossary as a `Glossary`."""
        return TranslateOptions(self.include_boilerplate, self.qe, self.quality, self.alternatives,
                                Glossary(self.glossary) if self.glossary else None, self.memory)

    def chars(self) -> int:
        """What the request costs: its text and its glossary (every term is matched against every sentence)."""
        text = len(self.text) if self.text is not None else sum(len(s) for s in self.sentences or [])
        return text + sum(len(k) + len(v) for k, v in (self.glossary or {}).items())


class AlignRequest(_Strict):
    zh: Text = Field(..., min_length=1, description="Chinese text (article, or one sentence per line with presplit)")
    en: Text = Field(..., min_length=1, description="English text")
    presplit: bool = False

    def chars(self) -> int:
        return len(self.zh) + len(self.en)


class PolishRequest(_Strict):
    english: Text = Field(..., min_length=1, description="the poor English article")
    source: Text | None = Field(None, min_length=1, description="its Chinese source, if there is one")
    presplit: bool = False

    def chars(self) -> int:
        return len(self.english) + len(self.source or "")


class JobRequest(_Strict):
    kind: Literal["translate", "align", "polish"]
    input: dict = Field(..., description="the body the matching endpoint takes")


class EditRequest(_Strict):
    text: Annotated[str, AfterValidator(_edit_text)] = Field(..., min_length=1, max_length=20000)
    author: Text | None = Field(None, max_length=200)
    repetitions: bool = Field(False, description="also edit the document's other segments with the same source "
                              "(each segment's `repetitions` says how many there are)")
    learn: bool = Field(True, description="a rendering of a name or term the edit changed joins the key's glossary")
    status: Literal["edited", "reviewed"] = Field("edited", description="reviewed: the translator also confirms "
                                                  "the segment (the review page's Ctrl+Enter)")


class StatusRequest(_Strict):
    status: Literal["draft", "edited", "reviewed", "rejected"]


class Match(BaseModel):
    """The best unit of the key's translation memory for a segment (`zhen.mt.tm.match.Match`)."""

    source: str
    target: str
    percent: int = Field(..., description="100: exact after normalisation (numbers substituted); below: fuzzy")
    kind: Literal["exact", "fuzzy", "repaired"]
    origin: str
    memory: str
    author: str | None = None
    created: float | None = None


class TermUse(BaseModel):
    source: str
    target: str
    kind: str = "term"


class GlossaryTerm(_Strict):
    target: Term
    kind: Literal["term", "person", "place", "org"] = "term"


class GlossaryEntry(BaseModel):
    """A term of the key's glossary with its provenance (`origin` edit: learned from `doc_id`'s segment `n`)."""

    source: str
    target: str
    kind: str
    origin: str
    author: str | None = None
    doc_id: str | None = None
    n: int | None = None
    was: str | None = Field(None, description="the rendering the edit replaced")
    created: float


class Share(_Strict):
    memory: Term
    key_id: Term
    share: bool = True


class ConcordanceUnit(BaseModel):
    """A memory unit found by a concordance search."""

    source: str
    target: str
    memory: str
    origin: str
    author: str | None = None
    created: float


class MemoryInfo(BaseModel):
    name: str
    owner: str
    units: int
    updated: float | None = None
    shared_with: list[str] = []


class ImportResult(BaseModel):
    memory: str
    units: int = Field(..., description="units added or renewed")
    skipped: int = Field(0, description="pairs left out: empty, or an aligned bead below the threshold")
    format: str


class Job(BaseModel):
    id: str
    kind: str
    status: Literal["queued", "running", "done", "failed"]
    created: float
    updated: float
    doc_id: str | None = None
    error: str | None = None
    attempts: int = 0


class Flag(BaseModel):
    """A check's finding (`zhen.app.translate.Flag`): `term_missing` with `detail` 辽宁省 at `span` [3, 6]."""

    code: str
    detail: str = ""
    span: list[int] | None = None


class Segment(BaseModel):
    """A segment as `zhen.app.translate.Segment.to_dict` writes it, with the translators' edits."""

    n: int
    kind: str | None = None
    paragraph: int | None = None
    source: str | None = None
    draft: str | None = None
    text: str | None = Field(None, description="latest edit, else the draft")
    action: str | None = None
    qe: float | None = None
    score_before: float | None = None
    reasons: list[str] = []
    flags: list[Flag] = Field([], description="the checks' findings, with the source span each points at")
    agreement: float | None = Field(None, description="best quality: mean chrF/100 against the other candidates")
    alternatives: list[str] = Field([], description="best quality: the other candidates, best first")
    match: Match | None = Field(None, description="the best match in the key's translation memory")
    terms: list[TermUse] = Field([], description="the renderings of names and terms the draft was held to")
    status: Literal["draft", "edited", "reviewed", "rejected"] = Field(
        "draft", description="draft: as the machine left it; edited; reviewed: confirmed by a translator; rejected")
    tags: dict[str, list[list[int | str]]] | None = Field(
        None, description="inline tags of a unit sent with them: their marks [offset, open|close|point, tag] in "
        "the source and in the draft")
    repetitions: int = Field(0, description="other segments of the document with the same source")
    edits: list[dict] = []


class AlignmentRow(BaseModel):
    """A stored `zhen.align.beads.Bead` with its position and texts."""

    k: int
    zh: list[int]
    en: list[int]
    zh_text: str | None = None
    en_text: str | None = None
    score: float | None = None
    flags: list[str] = []


class DocumentHead(BaseModel):
    """What a stored document is and where it came from."""

    id: str
    kind: str
    created: float
    title: str | None = None
    model: str | None = None
    origin: str | None = Field(None, description="the route that stored it: api, job, stream, deepl, libretranslate, "
                               "file")


class Document(DocumentHead):
    """A stored document: `zhen.app.translate.TranslatedArticle.to_dict` with its id and time."""

    options: dict = {}
    text: str | None = None
    segments: list[Segment] = []
    alignments: list[AlignmentRow] = []


class DocumentSummary(DocumentHead):
    """A stored document in a list, with how far its review has gone."""

    key_id: str | None = None
    segments: int
    edited: int = Field(description="segments with a translator's edit")


class DocumentList(BaseModel):
    documents: list[DocumentSummary]
    total: int
    limit: int
    offset: int


class EditedSegment(BaseModel):
    """A saved segment, with what the edit did (not the whole document: a long document is large)."""

    segment: Segment
    edited: list[int] = Field([], description="the segments the edit was saved to (with its repetitions)")
    learned: list[dict] = Field([], description="the glossary terms it taught (source, target, was, kind)")


def describe_errors(errors: list[Any], limit: int = 8) -> str:
    """Validation errors as one short message: where and what, never the input itself (which may be
    megabytes, or hold characters no JSON encoder accepts)."""
    parts = []
    for e in errors[:limit]:
        loc = ".".join(displayable(str(x))[:60] for x in e.get("loc", ()) if x != "body") or "body"
        parts.append(f"{loc}: {e.get('msg', 'invalid')}")
    more = f" (and {len(errors) - limit} more)" if len(errors) > limit else ""
    return "; ".join(parts)[:2000] + more
