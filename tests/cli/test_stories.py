"""article-stream stories: the worker's /stories look-up as a table."""

from __future__ import annotations

import asyncio
import json
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest

from stream.cli.stories import rows
from stream.core.relate import Relator
from tests.support.articles import make_values
from tests.support.worker import Deployment, free_port, start_worker

STORIES = [
    {
        "story_id": "story-1",
        "title": "North Korea and Russia enact defense treaty",
        "size": 4,
        "first_seen": "2024-12-04T22:10:00Z",
        "last_seen": "2024-12-05T02:27:00Z",
        "top_tags": ["region:KP", "region:RU", "topic:politics/diplomacy", "entity:person/kim-jong-un", "region:KR"],
    },
    {"story_id": "story-2", "title": "Seoul subway fares to rise"},  # fields missing: shown as '-'
]


class _Handler(BaseHTTPRequestHandler):
    answer: tuple[int, bytes] = (200, b"")
    seen_paths: list[str] = []

    def do_GET(self):  # noqa: N802 (http.server's naming)
        type(self).seen_paths.append(self.path)
        status, body = type(self).answer
        self.send_response(status)
        self.send_header("Content-Type", "application/json")
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, *args):  # keep test output clean
        pass


@pytest.fixture
def worker_stub():
    """A local HTTP server answering /stories like the worker; set ``.answer`` to change the reply."""
    handler = type("Handler", (_Handler,), {"answer": (200, json.dumps({"stories": STORIES}).encode()), "seen_paths": []})
    server = ThreadingHTTPServer(("127.0.0.1", 0), handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield handler, f"http://127.0.0.1:{server.server_address[1]}"
    finally:
        server.shutdown()
        server.server_close()


def test_rows_handle_missing_fields():
    first, second = rows(STORIES)
    assert first == ("North Korea and Russia enact defense treaty", "4", "2024-12-04 22:10", "2024-12-05 02:27",
                     "region:KP, region:RU, topic:politics/diplomacy, entity:person/kim-jong-un", "story-1")
    assert second[1:5] == ("-", "-", "-", "-") and second[5] == "story-2"


def test_table_shows_each_story(invoke, worker_stub):
    handler, url = worker_stub
    result = invoke(["stories", "--url", url, "--limit", "5"])
    assert result.exit_code == 0, result.output
    assert handler.seen_paths == ["/stories?limit=5"]
    for column in ("title", "size", "first seen", "last seen", "top tags"):
        assert column in result.stdout
    assert "story-1" in result.stdout and "story-2" in result.stdout
    assert "2024-12-04 22:10" in result.stdout and "region:KP" in result.stdout


def test_in_a_pipe_no_cell_wraps(invoke, worker_stub):
    # CliRunner's stdout is not a terminal, like a pipe or a CI log: each story stays on one line.
    handler, url = worker_stub
    long_story = {
        "story_id": "story-long", "title": "Rotterdam port strike ends with deal on automation and job guarantees for dockworkers",
        "size": 5, "top_tags": ["entity:org/port-of-rotterdam-authority", "entity:person/niels-bakker", "place:rotterdam", "topic:labour"],
    }
    handler.answer = (200, json.dumps({"stories": [long_story, *STORIES]}).encode())
    result = invoke(["stories", "--url", url])
    assert result.exit_code == 0, result.output
    [line] = [line for line in result.stdout.splitlines() if "story-long" in line]
    assert long_story["title"] in line
    assert ", ".join(long_story["top_tags"]) in line  # the table shows the first four tags, unbroken
    assert len(result.stdout.splitlines()) == 1 + 3 + (1 + len(STORIES)) + 1  # title, 3 header lines, one line a story, bottom rule


def test_default_url_follows_the_web_port_variable(invoke, worker_stub):
    handler, url = worker_stub
    result = invoke(["stories"], env={"ARTICLE_STREAM_WEB_PORT": url.rsplit(":", 1)[1]})
    assert result.exit_code == 0 and handler.seen_paths


def test_json_output(invoke, worker_stub):
    _, url = worker_stub
    result = invoke(["stories", "--url", url, "--json"])
    assert [json.loads(line) for line in result.stdout.splitlines()] == STORIES


def test_no_stories(invoke, worker_stub):
    handler, url = worker_stub
    handler.answer = (200, b'{"stories": []}')
    result = invoke(["stories", "--url", url])
    assert result.exit_code == 0 and "no stories yet" in result.stderr


@pytest.mark.parametrize("answer, message", [((500, b"boom"), "HTTP 500"), ((200, b"<html>"), "unexpected answer")])
def test_bad_answers_are_exit_2(invoke, worker_stub, answer, message):
    handler, url = worker_stub
    handler.answer = answer
    result = invoke(["stories", "--url", url])
    assert result.exit_code == 2 and message in result.stderr


def test_unreachable_worker_is_exit_2(invoke):
    result = invoke(["stories", "--url", f"http://127.0.0.1:{free_port()}", "--timeout", "2"])
    assert result.exit_code == 2 and "cannot reach the worker" in result.stderr


@pytest.mark.integration
@pytest.mark.skipif(
    not hasattr(Relator, "stories_list"), reason="the worker's /stories look-up (Relator.stories_list) is not implemented yet"
)
def test_against_a_real_worker(invoke, kafka_bootstrap, tmp_path):
    """produce -> the real worker -> stories, end to end."""
    deployment = Deployment(kafka_bootstrap)
    env = {k: v for k, v in deployment.env(0).items() if k.startswith("ARTICLE_STREAM_") and k != "ARTICLE_STREAM_WEB_PORT"}
    assert invoke(["topics", "create"], env=env).exit_code == 0
    worker = start_worker(deployment, tmp_path)
    try:
        asyncio.run(asyncio.to_thread(worker.wait_ready))
        path = tmp_path / "articles.jsonl"
        path.write_bytes(b"\n".join(make_values(12)) + b"\n")
        assert invoke(["produce", "--quiet", str(path)], env=env).exit_code == 0
        deadline = time.monotonic() + 90
        while time.monotonic() < deadline:
            result = invoke(["stories", "--url", worker.url, "--json"])
            if result.exit_code == 0 and result.stdout.strip():
                break
            time.sleep(1)
        assert result.exit_code == 0, (result.output, worker.log_tail())
        found = [json.loads(line) for line in result.stdout.splitlines()]
        assert found and all(s.get("story_id") and s.get("title") for s in found)
        table = invoke(["stories", "--url", worker.url], env={"COLUMNS": "250"})  # wide enough for whole ids
        assert table.exit_code == 0 and found[0]["story_id"] in table.stdout
    finally:
        worker.stop()
