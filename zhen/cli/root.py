"""The root `zhen` group and the one place where errors become messages and exit codes."""

from __future__ import annotations

from typing import Any

import click

from zhen import __version__
from zhen.errors import ZhenError


class CliError(click.ClickException):
    """A message and an exit code for click to print and exit with."""

    def __init__(self, message: str, exit_code: int = 2) -> None:
        super().__init__(message)
        self.code = exit_code

    @property
    def exit_code(self) -> int:  # type: ignore[override]
        return self.code


class ZhenGroup(click.Group):
    """Every subcommand runs inside the root group's `invoke`, so errors are mapped here, once: a
    `ZhenError` becomes its message and its exit code, a file that cannot be opened exit 2."""

    def invoke(self, ctx: click.Context) -> Any:  # noqa: ANN401 - whatever the subcommand returns
        try:
            return super().invoke(ctx)
        except ZhenError as err:
            raise CliError(err.message, err.exit_code) from None
        except (FileNotFoundError, IsADirectoryError, NotADirectoryError, PermissionError) as err:
            where = f"{err.filename}: " if err.filename else ""
            raise CliError(f"{where}{err.strerror or err}", 2) from None


@click.group(cls=ZhenGroup)
@click.version_option(__version__, package_name="zhen")
def main() -> None:
    """Chinese→English translation and bilingual alignment for hospital news."""
