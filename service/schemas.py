"""Request and response bodies of the HTTP API (pydantic validates, FastAPI documents them in OpenAPI)."""

from __future__ import annotations

from typing import Literal

from pydantic import BaseModel, ConfigDict, Field, model_validator


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid")


class TranslateRequest(_Strict):
    text: str | None = Field(None, description="a whole article (cleaned and segmented by the service)",
                             min_length=1)
    sentences: list[str] | None = Field(None, description="or sentences, one draft each, same order",
                                        min_length=1, max_length=2000)
    model: str | None = Field(None, description="must name the server's loaded model when given")
    glossary: dict[str, str] | None = Field(None, description="source term → target term, on top of the built-in")
    include_boilerplate: bool = False
    qe: Literal["fast", "full", "none"] = Field(
        "fast", description="fast: log-probabilities recorded while translating, length and checks; full: "
        "also forced decoding where no log-probability was recorded (slower); none: length and checks only")

    @model_validator(mode="after")
    def _one_input(self) -> TranslateRequest:
        if (self.text is None) == (self.sentences is None):
            raise ValueError("give exactly one of 'text' or 'sentences'")
        return self

    def chars(self) -> int:
        return len(self.text) if self.text is not None else sum(len(s) for s in self.sentences or [])


class AlignRequest(_Strict):
    zh: str = Field(..., min_length=1, description="Chinese text (article, or one sentence per line with presplit)")
    en: str = Field(..., min_length=1, description="English text")
    presplit: bool = False

    def chars(self) -> int:
        return len(self.zh) + len(self.en)


class PolishRequest(_Strict):
    english: str = Field(..., min_length=1, description="the poor English article")
    source: str | None = Field(None, min_length=1, description="its Chinese source, if there is one")
    presplit: bool = False

    def chars(self) -> int:
        return len(self.english) + len(self.source or "")


class JobRequest(_Strict):
    kind: Literal["translate", "align", "polish"]
    input: dict = Field(..., description="the body the matching endpoint takes")


class EditRequest(_Strict):
    text: str = Field(..., min_length=1, max_length=20000)
    author: str | None = Field(None, max_length=200)


class Job(BaseModel):
    id: str
    kind: str
    status: Literal["queued", "running", "done", "failed"]
    created: float
    updated: float
    doc_id: str | None = None
    error: str | None = None
    attempts: int = 0


class Segment(BaseModel):
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


class Document(BaseModel):
    id: str
    kind: str
    created: float
    title: str | None = None
    model: str | None = None
    options: dict = {}
    text: str | None = None
    segments: list[Segment] = []
    alignments: list[AlignmentRow] = []
