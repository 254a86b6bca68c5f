"""`zhen`: one command line over segmentation, models, translation, alignment, evaluation and the service.

Each subcommand parses arguments, calls one use case and prints; errors become a message and an exit
code in one place (`zhen.cli.root`), never a traceback. Flags default to the settings
(`zhen.config.Settings`, the `ZHEN_*` variables).
"""

from __future__ import annotations

from zhen.cli import align_cmds, batch_cmds, db_cmds, eval_cmds, model_cmds, service_cmds, tm_cmds, translate_cmds
from zhen.cli.root import main

__all__ = ["align_cmds", "batch_cmds", "db_cmds", "eval_cmds", "main", "model_cmds", "run", "service_cmds", "tm_cmds",
           "translate_cmds"]


def run() -> None:
    """Console-script entry point."""
    main(prog_name="zhen")
