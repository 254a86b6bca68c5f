"""The errors a user can cause or act on, typed once for every interface.

Each class carries the CLI exit code and the HTTP status it stands for, so the CLI maps them in one
place (`zhen.cli.root`) and the service in one exception handler (`zhen.service.app`): a message, never a
traceback. Anything that is not a `ZhenError` is a bug and is reported as one.
"""

from __future__ import annotations


class ZhenError(Exception):
    """Base class: `str(err)` is the message shown to the user. Exit code 2 for anything the user can fix
    (input, a model to pull), 3 for a service that cannot take the work now."""

    exit_code = 2
    http_status = 500

    def __init_subclass__(cls, http_status: int | None = None, exit_code: int | None = None) -> None:
        super().__init_subclass__()
        cls.http_status = http_status or cls.http_status
        cls.exit_code = exit_code or cls.exit_code

    def __init__(self, message: str, *, retry_after: int | None = None) -> None:
        super().__init__(message)
        self.message = message
        self.retry_after = retry_after  # seconds, for 429/503 answers

    def __str__(self) -> str:
        return self.message


class InputError(ZhenError, ValueError, http_status=422):
    """Input that cannot be processed: the message says which input and why."""


class DecodeError(InputError):
    """The input cannot be read as text in a supported encoding."""


class UnknownModel(InputError):
    """A model name that is not a preset (or not of the role asked for), or an unknown backend."""


class TooLarge(InputError, http_status=413):
    """A request or file over a size or work limit."""


class NotFound(ZhenError, http_status=404):
    """A stored document, job, segment or key that does not exist."""


class Unauthorized(ZhenError, http_status=401):
    """No key, or a key the store does not know."""


class Forbidden(ZhenError, http_status=403):
    """A known key that may not do this (revoked, or not the owner)."""


class RateLimited(ZhenError, http_status=429):
    """A key over its requests per minute or characters per day; `retry_after` says when to retry."""


class QuotaExceeded(RateLimited):
    """A key over its characters per day (DeepL's API answers this with 456)."""


class Unavailable(ZhenError, http_status=503, exit_code=3):
    """The service cannot take the work now (queue full, model failed to load); try again later."""


class TimedOut(ZhenError, http_status=504, exit_code=3):
    """The model did not answer in time."""


class ModelNotInstalled(ZhenError, http_status=503):
    """A model was asked for that is not on this machine; the message says how to get it."""


class PullError(ZhenError, http_status=502):
    """A model could not be assembled from its packages (network, size or checksum)."""


class ModelError(ZhenError, http_status=503):
    """A model's files are on this machine but cannot be read (corrupted, or not that model's format)."""
