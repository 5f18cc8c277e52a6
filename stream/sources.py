"""Read articles from files for publishing or offline processing: JSONL, .html and .txt pages, stdin.

Each yielded item is ``(where, value)``: a human-readable location ("file.jsonl:12") and the raw
bytes as a publisher would send them to ``articles.raw``. Pages become a RawArticle JSON object with
``html`` or ``body`` and the file name as a hint of the source; nothing is validated here. A ``.json``
file may also hold one JSON object (one input) or an array of them.
"""

from __future__ import annotations

import sys
from collections.abc import Iterable, Iterator
from pathlib import Path

import orjson

PAGE_SUFFIXES = {".html": "html", ".htm": "html", ".txt": "body"}
JSONL_SUFFIXES = {".jsonl", ".ndjson", ".json"}
DOCUMENT_SUFFIXES = {".json"}  # may hold one (pretty-printed) JSON document instead of JSON lines


def _page(path: Path) -> bytes:
    field = PAGE_SUFFIXES[path.suffix.lower()]
    text = path.read_bytes().decode("utf-8", errors="replace")
    return orjson.dumps({field: text, "extra": {"file": path.name}})


def _jsonl(lines: Iterable[bytes], name: str) -> Iterator[tuple[str, bytes]]:
    for number, line in enumerate(lines, start=1):
        line = line.rstrip(b"\r\n")
        if line.strip():
            yield f"{name}:{number}", line


def _document(path: Path) -> Iterator[tuple[str, bytes]] | None:
    """A ``.json`` file holding one object (one input) or an array (one input per item); None when
    the file is not one JSON document (then it is read as JSON lines)."""
    data = path.read_bytes()
    try:
        document = orjson.loads(data)
    except orjson.JSONDecodeError:
        return None
    if isinstance(document, dict):
        return iter([(str(path), orjson.dumps(document))])
    if isinstance(document, list):
        return ((f"{path}[{i}]", orjson.dumps(item)) for i, item in enumerate(document))
    return None


def iter_inputs(paths: Iterable[str | Path]) -> Iterator[tuple[str, bytes]]:
    """Inputs from files, directories (their pages and JSONL files, sorted) or ``-`` for stdin."""
    for item in paths:
        if str(item) == "-":
            yield from _jsonl(sys.stdin.buffer, "<stdin>")
            continue
        path = Path(item)
        if path.is_dir():
            children = sorted(p for p in path.iterdir() if p.suffix.lower() in PAGE_SUFFIXES.keys() | JSONL_SUFFIXES)
            yield from iter_inputs(children)
        elif path.suffix.lower() in PAGE_SUFFIXES:
            yield str(path), _page(path)
        elif path.suffix.lower() in DOCUMENT_SUFFIXES and (items := _document(path)) is not None:
            yield from items
        else:
            with path.open("rb") as handle:
                yield from _jsonl(handle, str(path))


SAMPLES_DIR = Path(__file__).resolve().parents[1] / "samples"
