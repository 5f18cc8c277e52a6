"""The worker's HTTP port against a real worker and broker: only the documented routes answer, every
malformed parameter is a 4xx (never a 5xx), slow clients are cut off, responses match the OpenAPI
document, and /events streams heartbeats and resumes without gaps."""

from __future__ import annotations

import asyncio
import http.client
import signal
import socket
import time
import urllib.parse

import jsonschema
import orjson
import pytest

from stream.contracts.api import LIMITS, ROUTES, openapi
from tests.support.articles import make_values
from tests.support.worker import Deployment, WorkerProcess, collect, publish, running_worker, start_worker

pytestmark = pytest.mark.integration

IDLE_TIMEOUT = 3.0
ARTICLES = 12


@pytest.fixture(scope="module")
async def served(kafka_bootstrap, tmp_path_factory):
    """A worker holding a dozen enriched articles, with short HTTP timeouts and heartbeats."""
    deployment = Deployment(
        kafka_bootstrap, name="web",
        extra_env={"ARTICLE_STREAM_WEB_IDLE_TIMEOUT_SECONDS": str(IDLE_TIMEOUT), "ARTICLE_STREAM_WEB_HEARTBEAT_SECONDS": "1"},
    )
    async with running_worker(deployment, tmp_path_factory.mktemp("web")) as worker:
        await publish(deployment.bootstrap, deployment.topics["raw"], make_values(ARTICLES, seed=5))
        found = await collect(deployment.bootstrap, [deployment.topics["enriched"]], expected=ARTICLES, timeout=120)
        articles = [value for _, value, _ in found[deployment.topics["enriched"]]]
        assert len(articles) == ARTICLES, worker.log_tail()
        await asyncio.to_thread(wait_for_page, worker, ARTICLES)
        yield deployment, worker, articles


def wait_for_page(worker: WorkerProcess, articles: int, timeout: float = 30.0) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        status, body = worker.get("/newsroom/facets")
        if status == 200 and orjson.loads(body)["articles"] >= articles:
            return
        time.sleep(0.2)
    raise AssertionError(f"the page holds fewer than {articles} articles:\n{worker.log_tail()}")


def request(worker: WorkerProcess, method: str, path: str, headers: dict | None = None) -> tuple[int, dict, bytes]:
    conn = http.client.HTTPConnection("127.0.0.1", worker.web_port, timeout=10)
    try:
        conn.request(method, path, headers=headers or {})
        response = conn.getresponse()
        return response.status, dict(response.getheaders()), response.read()
    finally:
        conn.close()


def schema_of(name: str) -> dict:
    return {"$ref": f"#/components/schemas/{name}", "components": openapi()["components"]}


def conforms(body: bytes, route_key: str) -> dict:
    value = orjson.loads(body)
    jsonschema.validate(value, schema_of(ROUTES[route_key].model.__name__))
    return value


BAD_VALUES = {
    "limit": ["abc", "1e3", "1.5", "", "-5", "9" * 5000, "%00", "%ff%fe", "0x1"],
    "cursor": ["", "x", "%00", "A" * 5000, "!!!"],
    "tag": ["", "%00", "a" * 5000, "%0d%0aX-Injected:%201"],
    "source": ["", "%00", "b" * 5000],
    "since": ["yesterday", "2025-13-40", "", "%00"],
    "until": ["1e9", "2025-01-01T25:00"],
}
BAD_PATH_VALUES = ["%00", "a" * 10_000, "..%2F..%2Fetc%2Fpasswd", "%E2%80%AE", "-1", "9" * 400]


async def test_every_route_refuses_malformed_parameters_without_a_5xx(served) -> None:
    _, worker, articles = served
    good = {"article_id": articles[0]["id"], "story_id": articles[0]["story_id"], "tag": "region:KR", "name": "app.js"}
    tried = 0
    for key, route in ROUTES.items():
        path_template = route.path
        paths = [path_template.format(**{p.name: urllib.parse.quote(good[p.name], safe="") for p in route.params if p.where == "path"})]
        for p in route.params:
            if p.where == "path":
                paths += [path_template.replace("{" + p.name + "}", bad) for bad in BAD_PATH_VALUES]
        queries = ["?nope=1", "?" + "x" * 3000 + "=1"]
        for p in route.params:
            if p.where == "query":
                queries += [f"?{p.name}={bad}" for bad in BAD_VALUES.get(p.name, [])]
                queries.append(f"?{p.name}=1&{p.name}=2")
        for path in paths:
            for query in ([""] if key != "events" else []) + queries:
                status, headers, body = await asyncio.to_thread(request, worker, "GET", path + query)
                tried += 1
                assert status < 500, (path + query, status, body[:300])
                if status >= 400 and len(path + query) < 8000:  # longer: refused by the HTTP parser itself
                    assert headers["Content-Type"].startswith("application/json"), (path + query, status, body[:300])
                    assert orjson.loads(body)["error"], (path + query, body[:300])
        for query in queries:
            status, _, body = await asyncio.to_thread(request, worker, "GET", paths[0] + query)
            assert status == 400, (paths[0] + query, status, body[:200])
        for method in ("POST", "PUT", "DELETE", "PATCH"):
            status, _, body = await asyncio.to_thread(request, worker, method, paths[0])
            assert status == 405 and orjson.loads(body)["error"], (method, paths[0], status)
    assert tried > 300


async def test_limits_answer_400_or_are_clamped(served) -> None:
    _, worker, _ = served
    for path in ("/stories", "/tags/region%3AKR/recent", "/newsroom/stories"):
        for bad in ("abc", "1e3", "-5", "9" * 5000):
            status, headers, body = await asyncio.to_thread(request, worker, "GET", f"{path}?limit={bad}")
            assert status == 400 and headers["Content-Type"].startswith("application/json"), (path, bad, status)
            assert "limit" in orjson.loads(body)["error"]
    status, _, body = await asyncio.to_thread(request, worker, "GET", "/stories?limit=100000")
    assert status == 200 and len(orjson.loads(body)["stories"]) <= LIMITS["stories"][1]


async def test_only_documented_routes_answer(served) -> None:
    _, worker, articles = served
    for path in ("/router/", "/router/nope/", "/table/", "/table/relate-articles/", f"/table/relate-articles/{articles[0]['id']}/",
                 "/graph/", "/stats/", "/performance/", "/static/../probes.py", "/static/index.html", "/nope", "/static/"):
        status, _, body = await asyncio.to_thread(request, worker, "GET", path)
        assert status == 404, (path, status, body[:200])
        assert orjson.loads(body)["error"]


async def test_page_is_served_with_a_policy_that_forbids_inline_script(served) -> None:
    _, worker, _ = served
    status, headers, body = await asyncio.to_thread(request, worker, "GET", "/")
    assert status == 200 and headers["Content-Type"].startswith("text/html")
    policy = dict(part.strip().split(" ", 1) for part in headers["Content-Security-Policy"].split(";"))
    assert policy["script-src"] == "'self'" and "unsafe" not in headers["Content-Security-Policy"]
    assert headers["X-Content-Type-Options"] == "nosniff"
    html = body.decode()
    assert "<script>" not in html and "onclick" not in html and "style=" not in html
    for name, kind in (("app.js", "text/javascript"), ("app.css", "text/css"), ("icon.svg", "image/svg+xml")):
        status, headers, _ = await asyncio.to_thread(request, worker, "GET", f"/static/{name}")
        assert status == 200 and headers["Content-Type"].startswith(kind)
    status, headers, body = await asyncio.to_thread(request, worker, "GET", "/stories?limit=abc")
    assert "Content-Security-Policy" in headers  # on errors too


def test_a_client_sending_headers_slowly_is_disconnected(served) -> None:
    _, worker, _ = served
    with socket.create_connection(("127.0.0.1", worker.web_port), timeout=30) as sock:
        sock.sendall(b"GET /health HTTP/1.1\r\nHost: x\r\n")
        started = time.monotonic()
        closed_after = None
        for i in range(20):  # a header line every second, never the blank line that ends them
            try:
                sock.sendall(f"X-Slow-{i}: 1\r\n".encode())
                sock.settimeout(1.0)
                if sock.recv(1024) == b"":
                    closed_after = time.monotonic() - started
                    break
            except TimeoutError:
                continue
            except OSError:
                closed_after = time.monotonic() - started
                break
        assert closed_after is not None, "the connection was still open after 20 s of slow headers"
        assert closed_after < IDLE_TIMEOUT + 2.5


def test_an_idle_keep_alive_connection_is_closed(served) -> None:
    _, worker, _ = served
    with socket.create_connection(("127.0.0.1", worker.web_port), timeout=IDLE_TIMEOUT + 5) as sock:
        sock.sendall(b"GET /health HTTP/1.1\r\nHost: x\r\n\r\n")
        assert b"200 OK" in sock.recv(4096)
        started = time.monotonic()
        assert sock.recv(1024) == b""  # closed by the server, not by our timeout
        assert time.monotonic() - started < IDLE_TIMEOUT + 2.5


async def test_lookups_page_through_and_match_the_document(served) -> None:
    _, worker, articles = served
    get = lambda path: asyncio.to_thread(request, worker, "GET", path)  # noqa: E731
    seen, cursor = [], None
    while True:
        status, _, body = await get("/stories?limit=2" + (f"&cursor={cursor}" if cursor else ""))
        assert status == 200
        page = conforms(body, "stories")
        seen += [s["story_id"] for s in page["stories"]]
        cursor = page["next_cursor"]
        if cursor is None:
            break
    # Several stories (paging across pages) is the core's judgement on this templated data: an open
    # issue-16 xfail in tests/core/relate/test_threading_patterns.py. Here: every story, once.
    assert len(seen) == len(set(seen)) and set(seen) >= {a["story_id"] for a in articles}

    seen, cursor = [], None
    while True:
        status, _, body = await get("/newsroom/stories?limit=3" + (f"&cursor={cursor}" if cursor else ""))
        page = conforms(body, "page_stories")
        seen += [s["story_id"] for s in page["stories"]]
        cursor = page["next_cursor"]
        if cursor is None:
            break
    assert len(seen) == len(set(seen)) and set(seen) == {a["story_id"] for a in articles}

    article = max(articles, key=lambda a: a["published_at"])  # the window (7 days) holds the newest
    status, _, body = await get(f"/newsroom/articles/{urllib.parse.quote(article['id'], safe='')}")
    full = conforms(body, "page_article")
    assert full["body"] == article["body"] and full["regions"] == article["regions"]
    status, _, body = await get(f"/newsroom/stories/{urllib.parse.quote(article['story_id'], safe='')}")
    story = conforms(body, "page_story")
    assert article["id"] in [a["id"] for a in story["articles"]]
    times = [a["published_at"] for a in story["articles"]]
    assert times == sorted(times)
    status, _, body = await get(f"/articles/{urllib.parse.quote(article['id'], safe='')}")
    assert status == 200 and conforms(body, "article")["id"] == article["id"]
    status, _, body = await get(f"/articles/{urllib.parse.quote(article['id'], safe='')}/related")
    assert status == 200 and conforms(body, "related")["id"] == article["id"]
    status, _, body = await get(f"/stories/{urllib.parse.quote(article['story_id'], safe='')}")
    assert status == 200 and conforms(body, "story")
    tag = article["tags"][0]
    ids = []
    cursor = None
    while True:
        status, _, body = await get(f"/tags/{urllib.parse.quote(tag, safe='')}/recent?limit=1" + (f"&cursor={cursor}" if cursor else ""))
        page = conforms(body, "tag_recent")
        ids += [a["id"] for a in page["articles"]]
        cursor = page["next_cursor"]
        if cursor is None:
            break
    assert article["id"] in ids and len(ids) == len(set(ids))
    assert set(ids) <= {a["id"] for a in articles if tag in a["tags"]}
    assert [a["id"] for a in sorted((a for a in articles if a["id"] in ids), key=lambda a: (a["published_at"], a["id"]), reverse=True)] == ids
    status, _, body = await get("/newsroom/facets")
    assert conforms(body, "facets")["articles"] == ARTICLES
    status, _, body = await get("/openapi.json")
    assert orjson.loads(body) == openapi()


class EventReader:
    """A raw /events client: one (id, event, data) per event; comment lines are counted."""

    def __init__(self, port: int, last_event_id: str | None = None) -> None:
        self.conn = http.client.HTTPConnection("127.0.0.1", port, timeout=10)
        self.conn.request("GET", "/events", headers={"Last-Event-ID": last_event_id} if last_event_id else {})
        self.response = self.conn.getresponse()
        assert self.response.status == 200 and self.response.getheader("Content-Type") == "text/event-stream"
        self.comments = 0

    def next(self, deadline: float) -> tuple[str | None, str, str] | None:
        fields: dict[str, str] = {}
        while time.monotonic() < deadline:
            line = self.response.fp.readline().decode().rstrip("\n")
            if line.startswith(":"):
                self.comments += 1
            elif line == "" and fields.get("event"):
                return fields.get("id"), fields["event"], fields.get("data", "")
            elif ":" in line:
                name, _, value = line.partition(":")
                fields[name] = value.lstrip(" ")
        return None

    def close(self) -> None:
        self.conn.close()


async def test_events_heartbeat_and_resume_without_gaps(served) -> None:
    deployment, worker, articles = served
    reader = await asyncio.to_thread(EventReader, worker.web_port)
    try:
        # A quiet stream: heartbeats (every second here), and the connection outlives the idle timeout.
        deadline = time.monotonic() + IDLE_TIMEOUT + 2
        assert await asyncio.to_thread(reader.next, deadline) is None
        assert reader.comments >= IDLE_TIMEOUT
        await publish(deployment.bootstrap, deployment.topics["raw"], make_values(ARTICLES + 3, seed=5)[ARTICLES:ARTICLES + 1])
        first = await asyncio.to_thread(reader.next, time.monotonic() + 30)
        assert first is not None and first[1] in ("article", "story")
        last_id = first[0]
    finally:
        reader.close()

    # Disconnected: two more articles are emitted; the reconnect with Last-Event-ID gets them all.
    found = await collect(deployment.bootstrap, [deployment.topics["enriched"]], expected=ARTICLES + 1, timeout=60)
    before = {v["id"] for _, v, _ in found[deployment.topics["enriched"]]}
    assert len(before) == ARTICLES + 1 and before > {a["id"] for a in articles}
    await publish(deployment.bootstrap, deployment.topics["raw"], make_values(ARTICLES + 3, seed=5)[ARTICLES + 1 :])
    found = await collect(deployment.bootstrap, [deployment.topics["enriched"]], expected=ARTICLES + 3, timeout=60)
    new_ids = {v["id"] for _, v, _ in found[deployment.topics["enriched"]]} - before  # partitions interleave: by id, not position
    assert len(new_ids) == 2
    await asyncio.to_thread(wait_for_page, worker, ARTICLES + 3)
    reader = await asyncio.to_thread(EventReader, worker.web_port, last_id)
    try:
        got_articles, ids = set(), []
        deadline = time.monotonic() + 10
        while not new_ids <= got_articles and (event := await asyncio.to_thread(reader.next, deadline)) is not None:
            ids.append(event[0])
            if event[1] == "article":
                got_articles.add(orjson.loads(event[2])["id"])
        assert new_ids <= got_articles
        seqs = [int(i.rsplit("-", 1)[1]) for i in ids]
        assert seqs == list(range(int(last_id.rsplit("-", 1)[1]) + 1, seqs[-1] + 1))  # every event after it, in order
    finally:
        reader.close()

    status, headers, body = await asyncio.to_thread(request, worker, "HEAD", "/events")  # answers, opens no stream
    assert status == 200 and headers["Content-Type"] == "text/event-stream" and body == b""

    # An id this worker cannot resume from: one reset event says to reload.
    reader = await asyncio.to_thread(EventReader, worker.web_port, "feedface-1")
    try:
        event = await asyncio.to_thread(reader.next, time.monotonic() + 5)
        assert event is not None and event[1] == "reset"
    finally:
        reader.close()


def test_stopping_with_open_event_streams_is_prompt_and_a_restart_serves_the_same_page(served) -> None:
    """Last in this file: it stops the module's worker. Open /events streams end at once on SIGTERM
    (aiohttp would otherwise wait up to a minute for them); the restarted worker reads the page back
    from the topics."""
    deployment, worker, _ = served
    status, _, body = request(worker, "GET", "/newsroom/stories?limit=100")
    page_before = orjson.loads(body)["stories"]
    readers = [EventReader(worker.web_port) for _ in range(3)]
    try:
        started = time.monotonic()
        worker.proc.send_signal(signal.SIGTERM)
        worker.proc.wait(timeout=30)
        took = time.monotonic() - started
        assert took < 10, f"the worker took {took:.1f} s to stop with event streams open"
    finally:
        for reader in readers:
            reader.close()
    restarted = start_worker(deployment, worker.log_path.parent, "restarted")
    try:
        restarted.wait_ready()
        wait_for_page(restarted, ARTICLES + 3)
        status, _, body = request(restarted, "GET", "/newsroom/stories?limit=100")
        page_after = orjson.loads(body)["stories"]
        assert [s["story_id"] for s in page_after] == [s["story_id"] for s in page_before]
        assert [s["held"] for s in page_after] == [s["held"] for s in page_before]
    finally:
        restarted.stop()
