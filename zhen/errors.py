"""The errors a user can cause (bad input, missing model), which front ends show as messages, not tracebacks."""

from __future__ import annotations

from zhen.models.presets import UnknownModel
from zhen.models.pull import PullError
from zhen.text.decode import DecodeError


class InputError(ValueError):
    """Input that cannot be processed: the message says which input and why."""


class ModelNotInstalled(RuntimeError):
    """A model was asked for that is not on this machine; the message says how to get it."""


EXPECTED: tuple[type[BaseException], ...] = (
    DecodeError, InputError, ModelNotInstalled, PullError, UnknownModel, FileNotFoundError, IsADirectoryError,
)
