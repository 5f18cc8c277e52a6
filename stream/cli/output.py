"""Where tables go: a terminal gets rich tables fitted to its width; a pipe or a CI log gets the same
tables at their full width, so no cell wraps mid-word (for machines, every such command has --json)."""

from __future__ import annotations

import sys

_UNLIMITED = 100_000  # wide enough for any row; rich never pads a non-expanding table to this


def console():
    from rich.console import Console

    if sys.stdout.isatty():
        return Console(soft_wrap=False)
    return Console(width=_UNLIMITED, soft_wrap=True)


def fit(table, terminal: bool | None = None):
    """On a terminal, long columns fold to fit; elsewhere no column folds, wraps or is cut."""
    if terminal is None:
        terminal = sys.stdout.isatty()
    if not terminal:
        for column in table.columns:
            column.no_wrap = True
            column.overflow = "ignore"
            column.ratio = None
    return table
