"""``article-stream eval tags|stories``: quality figures on the labelled corpora in ../shared/eval-data."""

from __future__ import annotations

from pathlib import Path

import typer

eval_app = typer.Typer(no_args_is_help=True, help="Score tagging and story detection on labelled corpora.")

DEFAULT_DATA = Path("../shared/eval-data")


@eval_app.command("tags")
def tags(
    data: Path = typer.Option(DEFAULT_DATA, "--data", help="Folder holding reuters21578/ and bbc-news/."),
    split: str = typer.Option("train", "--split", help="Reuters LEWISSPLIT to score regions on: train or test (held out)."),
    limit: int = typer.Option(0, "--limit", help="Regions: score only this many documents; topics: train and score at most this many documents per source and label; 0 = all."),
    only: str = typer.Option("", "--only", help="regions or topics; empty = both."),
    errors: int = typer.Option(0, "--errors", help="Regions: list this many wrongly scored documents with the spans behind each false positive and negative (train split only)."),
) -> None:
    """Regions against Reuters-21578 PLACES, topics (k-fold, and across corpora) against BBC News and
    Reuters TRAIN TOPICS; every text goes through the product path (Pipeline.prepare). Topics train
    fold models and need the 'train' extra.

    Exit codes: 0 scored; 2 no eval data under --data, or a bad option.
    """
    from stream.eval.tags import run

    if split.lower() not in ("train", "test"):
        raise typer.BadParameter("--split must be train or test")
    if errors and split.lower() != "train":
        raise typer.BadParameter("--errors lists TRAIN documents only: TEST is held out")
    if only not in ("", "regions", "topics"):
        raise typer.BadParameter("--only must be regions or topics")
    if not (data / "reuters21578").is_dir() and not (data / "bbc-news").is_dir():
        typer.echo(f"no eval data under {data}", err=True)
        raise typer.Exit(2)
    what = (only,) if only else ("regions", "topics")
    typer.echo(run(data, split=split, limit=limit or None, what=what, errors=errors))


@eval_app.command("stories")
def stories(
    data: Path = typer.Option(DEFAULT_DATA, "--data", help="Folder holding stories/*.jsonl."),
    corpus: str = typer.Option("all", "--corpus", help="A file stem under DATA/stories (e.g. gvc), or all (every file, then all interleaved)."),
) -> None:
    """Story threading (B-cubed of story_id, as emitted and merge-resolved) and related precision@1 on story-labelled corpora.

    Exit codes: 0 scored; 2 no story corpus under --data, or a bad option.
    """
    from stream.eval.stories import evaluate, format_scores

    try:
        results = evaluate(data, None if corpus == "all" else [corpus])
    except FileNotFoundError as exc:
        typer.echo(f"no story corpus at {exc}", err=True)
        raise typer.Exit(2) from exc
    typer.echo(format_scores(results))
