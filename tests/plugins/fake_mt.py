"""A test double translator (`fake`), loaded into a test server through ZHEN_PLUGINS.

It romanises Chinese with pypinyin — deterministic, instant, never containing Chinese — so API tests
(schemathesis, concurrency, crash recovery) exercise the service without waiting for a real model.
FAKE_MT_DELAY seconds per sentence slow it down for crash-recovery tests. Real-model API tests use the
default GGUF instead.
"""

from __future__ import annotations

import os
import re
import time
from collections.abc import Sequence

from zhen.mt.base import Request, Translator
from zhen.mt.faithful.checks import romanise
from zhen.mt.registry import register


@register("fake")
class FakeTranslator(Translator):
    name = "fake"

    def translate(self, requests: Sequence[Request]) -> list[str]:
        delay = float(os.environ.get("FAKE_MT_DELAY", "0"))
        out = []
        for r in requests:
            time.sleep(delay)
            out.append(romanise(r.source) if r.task != "rewrite" else r.source)
        return out

    def translate_candidates(self, requests: Sequence[Request], n: int) -> list[list[tuple[str, float | None]]]:
        """Like a sampling backend: the usual output first, then n - 1 variants of it."""
        return [[(t, None)] + [(f"{t} (variant {k})", None) for k in range(1, n)] for t in self.translate(requests)]


@register("fake-unfaithful")
class UnfaithfulTranslator(FakeTranslator):
    """The fake, plus a year no source has, and every name it was given written as "Somebody": drafts that the
    fidelity checks must flag (review-page test)."""

    name = "fake-unfaithful"

    def translate(self, requests: Sequence[Request]) -> list[str]:
        return [re.sub(r"\b[A-Z][a-z]+ [A-Z][a-z]+\b", "Somebody", t) + " It has 2019 beds."
                for t in super().translate(requests)]


ASKED: list[str] = []  # every source the recording fake was asked, in order (tests read and clear it)


@register("fake-recording")
class RecordingTranslator(FakeTranslator):
    """The fake, noting what it is asked (a test checks that no sentence was translated in pieces), and
    following the terms it is given, as a model told them does (a test checks that a glossary reaches it)."""

    name = "fake-recording"

    def translate(self, requests: Sequence[Request]) -> list[str]:
        ASKED.extend(r.source for r in requests)
        out = []
        for r in requests:
            source = r.source
            for t in r.terms:
                source = source.replace(t.source, f" {t.target} ")
            out.append(romanise(source))
        return out
