"""The `Translator` interface every backend implements, and the request it receives."""

from __future__ import annotations

from abc import ABC, abstractmethod
from collections.abc import Sequence
from dataclasses import dataclass, field

from mt.glossary import Term


@dataclass(frozen=True)
class Request:
    """One sentence to translate, with the article context and the terms it must use."""

    source: str
    title: str | None = None  # the article's title: shared context, cached with the prompt prefix
    terms: tuple[Term, ...] = field(default_factory=tuple)


class Translator(ABC):
    """A model that turns Chinese sentences into English, many at a time."""

    name: str = "translator"

    @abstractmethod
    def translate(self, requests: Sequence[Request]) -> list[str]:
        """English for each request, same order; raw model output (post-processing happens later)."""

    def signature(self) -> str:
        """What determines the output (model and options): the translation-memory key prefix."""
        return self.name

    def close(self) -> None:  # noqa: B027 - optional hook
        """Release model resources."""
