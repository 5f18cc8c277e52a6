"""``article-stream eval tags|stories``: quality figures on the labelled corpora in ../shared/eval-data."""

from __future__ import annotations

from pathlib import Path

import typer

eval_app = typer.Typer(no_args_is_help=True, help="Score tagging and story detection on labelled corpora.")

DEFAULT_DATA = Path("../shared/eval-data")
