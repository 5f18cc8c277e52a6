"""``article-stream train topics``: rebuild the topic classifier from the labelled corpora."""

from __future__ import annotations

from pathlib import Path

import typer

train_app = typer.Typer(no_args_is_help=True, help="Rebuild the trained models the package ships (needs the 'train' extra).")

DEFAULT_DATA = Path("../shared/eval-data")


@train_app.command("topics")
def topics(
    data: Path = typer.Option(DEFAULT_DATA, "--data", help="Folder holding bbc-news/, reuters21578/ and stories/."),
    output: Path = typer.Option(None, "--output", help="Where to write the model (default: the package's data/topic_model.npz)."),
) -> None:
    """Fit the topic model on BBC News, Reuters-21578 TRAIN and word-list-labelled news; print the 5-fold figures.

    Exit codes: 0 trained and written; 2 no training corpora under --data, or the 'train' extra missing.
    """
    try:
        from stream.train import topics as training
    except ImportError as exc:  # scikit-learn is not a run-time dependency
        typer.echo(f"training needs the 'train' extra (pip install -e '.[train]'): {exc}", err=True)
        raise typer.Exit(2) from exc
    if not (data / "bbc-news").is_dir() or not (data / "reuters21578").is_dir():
        typer.echo(f"no training corpora under {data}", err=True)
        raise typer.Exit(2)
    examples = training.build_examples(data, log=typer.echo)
    result = training.train(examples, log=typer.echo)
    model_path = output or training.MODEL_PATH
    report_path = model_path.with_suffix(".json")
    training.write(result, model_path, report_path)
    typer.echo(training.format_report(result.report))
    typer.echo(f"wrote {model_path} ({model_path.stat().st_size // 1024} KiB) and {report_path}")
