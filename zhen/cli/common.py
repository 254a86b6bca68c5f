"""Helpers every command module shares: progress bars and settings-backed option defaults."""

from __future__ import annotations

import sys
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path

from tqdm import tqdm

from zhen.config import Settings
from zhen.errors import InputError


def default(field: str) -> object:
    """A settings field's default, for `show_default` in --help (the value itself comes from the settings)."""
    return Settings.model_fields[field].default


@contextmanager
def progress(desc: str, total: int | None = None) -> Iterator[Callable[[int], object]]:
    """A tqdm bar (with ETA when `total` is known) on stderr whose `update` is the progress callback."""
    with tqdm(desc=desc, total=total, unit="seg", file=sys.stderr, disable=not sys.stderr.isatty()) as bar:
        yield bar.update


def must_exist(path: str) -> None:
    """Refuse a missing input before any model is loaded (a model takes seconds to load)."""
    if not Path(path).is_file():
        raise InputError(f"{path}: no such file")


def fmt_num(x: float | None) -> str:
    return "" if x is None else f"{x:.4f}"
