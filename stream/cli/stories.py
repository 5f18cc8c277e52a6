"""``article-stream stories``: the current stories, from a worker's HTTP look-up ``/stories``."""

from __future__ import annotations

import json
import urllib.error
import urllib.parse
import urllib.request
from typing import Annotated, Any

import typer

from stream.cli.kafka_options import EXIT_USAGE, fail


def default_url() -> str:
    from stream.config import get_settings  # the worker's port as the settings give it (ARTICLE_STREAM_WEB_PORT)

    return f"http://127.0.0.1:{get_settings().web_port}"


def fetch_stories(base_url: str, limit: int, timeout: float) -> list[dict[str, Any]]:
    """GET ``{base_url}/stories?limit=N`` -> the list of story objects (``{"stories": [...]}`` or a bare list)."""
    url = f"{base_url.rstrip('/')}/stories?{urllib.parse.urlencode({'limit': limit})}"
    with urllib.request.urlopen(url, timeout=timeout) as response:
        payload = json.loads(response.read())
    stories = payload.get("stories", []) if isinstance(payload, dict) else payload
    if not isinstance(stories, list):
        raise ValueError(f"unexpected answer from {url}: 'stories' is not a list")
    return [s for s in stories if isinstance(s, dict)]


def _when(value: Any) -> str:
    # ISO-8601 from the worker, shown to the minute: 2024-12-05T02:27:00Z -> 2024-12-05 02:27
    if not value:
        return "-"
    text = str(value).replace("T", " ").removesuffix("Z")
    return text[:16]


def _tags(story: dict[str, Any], count: int = 4) -> str:
    tags = story.get("top_tags") or story.get("tags") or []
    shown = []
    for tag in tags[:count]:
        shown.append(tag if isinstance(tag, str) else str(tag.get("tag") or tag.get("id") or tag))
    return ", ".join(shown) or "-"


def rows(stories: list[dict[str, Any]]) -> list[tuple[str, str, str, str, str, str]]:
    """Table rows (title, size, first seen, last seen, top tags, story id); missing fields show as '-'."""
    out = []
    for story in stories:
        size = story.get("size")
        if size is None and isinstance(story.get("articles"), list):
            size = len(story["articles"])
        out.append(
            (
                str(story.get("title") or "(untitled)"),
                "-" if size is None else str(size),
                _when(story.get("first_seen")),
                _when(story.get("last_seen")),
                _tags(story),
                str(story.get("story_id") or story.get("id") or "-"),
            )
        )
    return out


def stories(
    url: Annotated[
        str | None,
        typer.Option("--url", help="The worker's HTTP address. Default: http://127.0.0.1:$ARTICLE_STREAM_WEB_PORT (6066)."),
    ] = None,
    limit: Annotated[int, typer.Option("--limit", "-n", min=1, help="How many stories to list.")] = 20,
    as_json: Annotated[bool, typer.Option("--json", help="Print the worker's JSON answer (one story a line).")] = False,
    timeout: Annotated[float, typer.Option("--timeout", min=0.1, help="Seconds to wait for the worker.")] = 10.0,
) -> None:
    """List the current stories as a table: title, size, first and last seen, top tags, story id.

    On a terminal the table fits its width; in a pipe or a log it is printed at full width (no cell wraps); --json prints one story a line.

    Asks a running worker (any worker of the deployment answers). Exit codes: 0 listed (possibly none); 2 the worker could not be reached or answered something unexpected.
    """
    base = url or default_url()
    try:
        found = fetch_stories(base, limit, timeout)
    except urllib.error.HTTPError as error:
        fail(f"{base}/stories answered HTTP {error.code}: {error.read()[:200].decode('utf-8', 'replace')}", EXIT_USAGE)
    except (urllib.error.URLError, OSError) as error:
        reason = getattr(error, "reason", error)
        fail(f"cannot reach the worker at {base}: {reason} (is it running? article-stream worker)", EXIT_USAGE)
    except ValueError as error:  # not JSON, or not the documented shape
        fail(f"unexpected answer from {base}/stories: {error}", EXIT_USAGE)

    if as_json:
        for story in found:
            typer.echo(json.dumps(story, ensure_ascii=False))
        return
    if not found:
        typer.echo("no stories yet", err=True)
        return
    from rich.table import Table

    from stream.cli.output import console, fit

    table = Table(title=f"{len(found)} stories", title_justify="left")
    table.add_column("title", overflow="fold", ratio=3)
    table.add_column("size", justify="right")
    table.add_column("first seen", no_wrap=True)
    table.add_column("last seen", no_wrap=True)
    table.add_column("top tags", overflow="fold", ratio=2)
    table.add_column("story", overflow="fold")
    for row in rows(found):
        table.add_row(*row)
    console().print(fit(table))
