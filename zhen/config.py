"""Where the product keeps its files, resolved from the environment once per call.

Kept as functions (not module constants) so tests can point `ZHEN_HOME` at a temporary directory.
"""

from __future__ import annotations

import os
from pathlib import Path


def home() -> Path:
    """The product's home: models, SQLite store, caches (`ZHEN_HOME`, default `~/.cache/zhen`)."""
    return Path(os.environ.get("ZHEN_HOME") or Path.home() / ".cache" / "zhen").expanduser()


def models_dir() -> Path:
    """Where pulled model files live (`ZHEN_MODELS`, default `$ZHEN_HOME/models`)."""
    env = os.environ.get("ZHEN_MODELS")
    return Path(env).expanduser() if env else home() / "models"


def shared_data() -> Path:
    """Shared test and development data (`ZHEN_SHARED_DATA`, default `../shared/data` beside the checkout)."""
    env = os.environ.get("ZHEN_SHARED_DATA")
    if env:
        return Path(env).expanduser()
    return Path(__file__).resolve().parent.parent.parent / "shared" / "data"
