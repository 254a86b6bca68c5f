"""The model interface: the `Translator` every backend implements, the `Request` it gets, the `Term` it must use."""

from __future__ import annotations

from abc import ABC, abstractmethod
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field


@dataclass(frozen=True)
class Term:
    """A source expression and the English it must become; `kind` says where the rendering came from
    (a glossary term, or a person, place or organisation the entity rules rendered). A `pinned` term is
    certain enough to be written into the source before the model reads it: a model copies Latin text
    it is given far more reliably than it follows a terminology note."""

    source: str
    target: str
    kind: str = "term"
    pinned: bool = False
    was: tuple[str, ...] = ()  # renderings a translator replaced by `target`: a draft writing one gets `target`


Example = tuple[str, str]  # a source sentence and its translation, shown to the model


@dataclass(frozen=True)
class Request:
    """One sentence to translate, with the article context and the terms it must use."""

    source: str
    title: str | None = None  # the article's title: shared context, cached with the prompt prefix
    terms: tuple[Term, ...] = field(default_factory=tuple)
    # "translate" (source is Chinese), "post-edit" (improve `draft`, a translation of the Chinese source)
    # or "rewrite" (source is poor English to be rewritten as good English).
    task: str = "translate"
    draft: str | None = None
    hint: str | None = None  # an extra instruction for this sentence, e.g. numbers a first draft lost
    # Translations from the user's memory shown to the model as worked examples (source, target): this
    # sentence's own fuzzy matches, and the article's, which join the shared prompt prefix.
    examples: tuple[Example, ...] = ()
    shared_examples: tuple[Example, ...] = ()


# Asked with each output (its request's index, text, mean token log-probability): further requests.
FollowUp = Callable[[int, str, float | None], Sequence[Request]]


class Translator(ABC):
    """A model that turns Chinese sentences into English, many at a time."""

    name: str = "translator"

    @abstractmethod
    def translate(self, requests: Sequence[Request]) -> list[str]:
        """English for each request, same order; raw model output (post-processing happens later)."""

    def translate_scored(self, requests: Sequence[Request]) -> list[tuple[str, float | None]]:
        """Like `translate`, with the mean token log-probability of each output where the backend knows it
        for free (a signal for quality estimation); None elsewhere."""
        return [(text, None) for text in self.translate(requests)]

    def translate_following(self, requests: Sequence[Request], follow: FollowUp
                            ) -> tuple[list[tuple[str, float | None]], list[tuple[str, float | None]]]:
        """`translate_scored(requests)`, asking `follow(i, text, logprob)` once per output for the requests
        that depend on it (a re-ask of a failed draft); returns the outputs, then the follow-ups' outputs in
        the order asked. Here the follow-ups are one more call; a backend that decodes continuously
        (`llamacpp`) starts each as soon as it is asked, in the same batch."""
        outs = self.translate_scored(requests)
        asked = [r for i, (text, lp) in enumerate(outs) for r in follow(i, text, lp)]
        return outs, self.translate_scored(asked) if asked else []

    def translate_candidates(self, requests: Sequence[Request], n: int) -> list[list[tuple[str, float | None]]]:
        """Up to `n` different translations of each request, the backend's usual (greedy) one first, each
        with its mean token log-probability where known. Backends that cannot sample cheaply give one."""
        return [[out] for out in self.translate_scored(requests)]

    def score(self, requests: Sequence[Request], candidates: Sequence[str]) -> list[list[float]]:
        """Per-token log-probabilities of each candidate as this model's answer to its request (forced
        decoding), end-of-answer token included. Backends that cannot do it raise NotImplementedError."""
        raise NotImplementedError(f"{self.name} cannot score candidate translations")

    def score_inputs(self, requests: Sequence[Request]) -> list[list[float]]:
        """Per-token log-probabilities of each request's own text where it stands in its prompt, end of the
        turn included: how likely the model finds the text itself (for a rewrite, the English's fluency).
        Backends that cannot do it raise NotImplementedError."""
        raise NotImplementedError(f"{self.name} cannot score its inputs")

    def signature(self) -> str:
        """What determines the output (model and options): the translation-memory key prefix."""
        return self.name

    def upstreams(self) -> list[dict]:
        """The model servers this translator sends work to, each with its health (none: the model runs in
        this process)."""
        return []

    def close(self) -> None:  # noqa: B027 - optional hook
        """Release model resources."""
