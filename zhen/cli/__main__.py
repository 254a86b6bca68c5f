"""`python -m zhen.cli`."""

from zhen.cli import run

run()
