"""The views: probes, metrics, look-ups, the newsroom page with its data and live events, and the
OpenAPI document. Each validates its parameters with its declaration in ``api.ROUTES``."""

from __future__ import annotations

import asyncio
import logging
from importlib import resources
from typing import Any

import mode
import orjson
from aiohttp import web as aioweb
from faust.web import Request, Response, View

from stream.core.relate.records import StoryRecord
from stream.contracts.api import ROUTES, BadRequest, encode_cursor, render
from stream.worker.web.follower import follow
from stream.worker.web.newsroom import Newsroom, StoryFilter, Subscriber
from stream.worker.web.probes import Progress
from stream.worker.web.server import SECURITY_HEADERS, json_error

log = logging.getLogger("article_stream.worker")

MAX_EVENT_CLIENTS = 200

STATIC_TYPES = {
    "index.html": "text/html; charset=utf-8",
    "app.css": "text/css; charset=utf-8",
    "app.js": "text/javascript; charset=utf-8",
    "icon.svg": "image/svg+xml",
}
# Read once: the page's few files, served from memory by name (no directory is exposed).
STATIC = {name: (resources.files("stream.worker.web") / "static" / name).read_bytes() for name in STATIC_TYPES}


def _json(value: Any, status: int = 200) -> aioweb.Response:
    return aioweb.Response(body=orjson.dumps(value), status=status, content_type="application/json")


def _not_found(what: str) -> aioweb.Response:
    return json_error(404, what)


def _sse(event_id: str, kind: str, data: Any) -> bytes:
    return b"id: %s\nevent: %s\ndata: %s\n\n" % (event_id.encode(), kind.encode(), orjson.dumps(data))


def register_routes(app: Any, services: Any, progress: Progress) -> Newsroom:
    """Register the views (and the page's feed) on ``app``; returns the page's newsroom."""
    settings, metrics, relator, articles_table = services.settings, services.metrics, services.relator, services.articles_table
    newsroom = Newsroom(capacity=settings.web_page_articles)
    readiness = progress.readiness

    @app.service
    class PageFeed(mode.Service):
        """Follows the emitted topics into the page's newsroom (see ``follower``)."""

        async def on_start(self) -> None:
            self._stop = asyncio.Event()

        async def on_stop(self) -> None:
            self._stop.set()

        @mode.Service.task
        async def _follow(self) -> None:
            if newsroom.capacity > 0:  # 0: no page feed (each worker would otherwise read every emitted article)
                await follow(settings, newsroom, self._stop)


    # -- operations ---------------------------------------------------------------------------------
    @app.page("/health")
    class Health(View):
        async def get(self, request: Request) -> Response:
            ROUTES["health"].parse(request.query)
            return self.json({"status": "alive"})


    @app.page("/ready")
    class Ready(View):
        async def get(self, request: Request) -> Response:
            ROUTES["ready"].parse(request.query)
            await progress.refresh_if_stale()
            checks = readiness()
            metrics.ready.set(1 if checks["ready"] else 0)
            return self.json(checks, status=200 if checks["ready"] else 503)


    @app.page("/metrics")
    class MetricsView(View):
        async def get(self, request: Request) -> Response:
            ROUTES["metrics"].parse(request.query)
            await progress.refresh_if_stale()
            metrics.window_articles.set(len(relator))
            metrics.window_tags.set(relator.tag_count())
            metrics.ready.set(1 if readiness()["ready"] else 0)
            # The exposition format is UTF-8 by definition; aiohttp refuses a charset inside content_type.
            return self.bytes(metrics.expose(), content_type="text/plain; version=0.0.4")


    @app.page("/openapi.json")
    class OpenAPIView(View):
        async def get(self, request: Request) -> Response:
            ROUTES["openapi"].parse(request.query)
            return aioweb.Response(body=render(), content_type="application/json")


    # -- look-ups into the window (routed to the owner of the relate tables) -------------------------
    @app.page("/articles/{article_id}")
    class ArticleView(View):
        @app.table_route(table=articles_table, match_info="article_id")
        async def get(self, request: Request, article_id: str) -> Response:
            args = ROUTES["article"].parse(request.query, request.match_info)
            found = relator.article(args["article_id"])
            return _json(found) if found is not None else _not_found(f"no article {args['article_id'][:100]} in the window")


    @app.page("/articles/{article_id}/related")
    class RelatedView(View):
        @app.table_route(table=articles_table, match_info="article_id")
        async def get(self, request: Request, article_id: str) -> Response:
            args = ROUTES["related"].parse(request.query, request.match_info)
            found = relator.article(args["article_id"])
            if found is None:
                return _not_found(f"no article {args['article_id'][:100]} in the window")
            return _json({"id": args["article_id"], "related": found.get("related", [])})


    @app.page("/stories/{story_id}")
    class StoryView(View):
        @app.table_route(table=articles_table, match_info="story_id")
        async def get(self, request: Request, story_id: str) -> Response:
            args = ROUTES["story"].parse(request.query, request.match_info)
            found = relator.story(args["story_id"])
            return _json(found) if found is not None else _not_found(f"no story {args['story_id'][:100]}")


    def stories_page(limit: int, cursor: tuple[str, ...] | None) -> dict[str, Any]:
        """Live stories by latest published_at (then id), newest first, one page after ``cursor``."""
        after: tuple[float, str] | None = None
        if cursor is not None:
            try:
                after = (float(cursor[0]), cursor[1])
            except ValueError:
                raise BadRequest("cursor is not a cursor this API gave out") from None
        live = sorted(
            ((float(record.last_seen), story_id) for story_id, record in relator.stories.items() if type(record) is StoryRecord),
            reverse=True,
        )
        if after is not None:
            live = [key for key in live if key < after]
        page, more = live[:limit], len(live) > limit
        stories = [found for _, story_id in page if (found := relator.story(story_id)) is not None]
        next_cursor = encode_cursor(repr(page[-1][0]), page[-1][1]) if more and page else None
        return {"stories": stories, "next_cursor": next_cursor}


    @app.page("/stories")
    class StoriesView(View):
        @app.table_route(table=articles_table, exact_key="stories")
        async def get(self, request: Request) -> Response:
            args = ROUTES["stories"].parse(request.query)
            return _json(stories_page(args["limit"], args["cursor"]))


    @app.page("/tags/{tag}/recent")
    class TagRecentView(View):
        @app.table_route(table=articles_table, match_info="tag")
        async def get(self, request: Request, tag: str) -> Response:
            args = ROUTES["tag_recent"].parse(request.query, request.match_info)
            found = relator.recent_by_tag(args["tag"], len(relator) + 1)  # newest first, all of them
            cursor = args["cursor"]
            if cursor is not None:
                ids = [a["id"] for a in found]
                if cursor[1] in ids:
                    found = found[ids.index(cursor[1]) + 1 :]
                else:  # the cursor's article left the window: continue from its place in the order
                    found = [a for a in found if (a["published_at"], a["id"]) < cursor]
            page, more = found[: args["limit"]], len(found) > args["limit"]
            next_cursor = encode_cursor(page[-1]["published_at"], page[-1]["id"]) if more and page else None
            return _json({"tag": args["tag"], "articles": page, "next_cursor": next_cursor})


    # -- the newsroom page ---------------------------------------------------------------------------
    @app.page("/")
    class PageView(View):
        async def get(self, request: Request) -> Response:
            ROUTES["page"].parse(request.query)
            return aioweb.Response(body=STATIC["index.html"], headers={"Content-Type": STATIC_TYPES["index.html"], "Cache-Control": "no-cache"})


    @app.page("/static/{name}")
    class StaticView(View):
        async def get(self, request: Request, name: str) -> Response:
            args = ROUTES["static"].parse(request.query, request.match_info)
            if args["name"] not in STATIC or args["name"] == "index.html":
                return _not_found("no such file")
            return aioweb.Response(body=STATIC[args["name"]], headers={"Content-Type": STATIC_TYPES[args["name"]], "Cache-Control": "no-cache"})


    @app.page("/newsroom/stories")
    class PageStoriesView(View):
        async def get(self, request: Request) -> Response:
            args = ROUTES["page_stories"].parse(request.query)
            f = StoryFilter(tag=args["tag"], source=args["source"], since=args["since"], until=args["until"])
            stories, next_cursor = newsroom.story_list(args["limit"], args["cursor"], f)
            return _json({"stories": stories, "next_cursor": next_cursor})


    @app.page("/newsroom/stories/{story_id}")
    class PageStoryView(View):
        async def get(self, request: Request, story_id: str) -> Response:
            args = ROUTES["page_story"].parse(request.query, request.match_info)
            found = newsroom.story(args["story_id"], args["limit"], args["cursor"])
            return _json(found) if found is not None else _not_found(f"no story {args['story_id'][:100]} held")


    @app.page("/newsroom/articles/{article_id}")
    class PageArticleView(View):
        async def get(self, request: Request, article_id: str) -> Response:
            args = ROUTES["page_article"].parse(request.query, request.match_info)
            found = newsroom.article(args["article_id"])
            return _json(found) if found is not None else _not_found(f"no article {args['article_id'][:100]} held")


    @app.page("/newsroom/facets")
    class FacetsView(View):
        async def get(self, request: Request) -> Response:
            args = ROUTES["facets"].parse(request.query)
            return _json(newsroom.facets(args["limit"]))


    @app.page("/events")
    class EventsView(View):
        async def head(self, request: Request) -> Response:  # the headers only: no stream is opened
            ROUTES["events"].parse(request.query)
            return aioweb.Response(status=200, headers={"Content-Type": "text/event-stream", "Cache-Control": "no-store"})

        async def get(self, request: Request) -> Response:
            ROUTES["events"].parse(request.query)
            last_id = request.headers.get("Last-Event-ID", "")[:300]
            if len(newsroom.subscribers) >= MAX_EVENT_CLIENTS:
                return json_error(503, "too many event clients; retry later")
            sub = Subscriber()
            newsroom.subscribers.add(sub)  # before reading the log: an event in between is queued, not lost
            try:
                backlog = newsroom.since(last_id)
                response = aioweb.StreamResponse(
                    status=200,
                    headers={"Content-Type": "text/event-stream", "Cache-Control": "no-store", "X-Accel-Buffering": "no", **SECURITY_HEADERS},
                )
                await response.prepare(request)
                await response.write(b"retry: 1000\n\n")
                sent = 0
                if backlog is None:  # the missed events are gone: the client reloads its lists
                    sent = newsroom.log[-1].seq if newsroom.log else 0
                    await response.write(_sse(newsroom.event_id(sent), "reset", {"reason": "events missed; reload"}))
                else:
                    for event in backlog:
                        await response.write(_sse(newsroom.event_id(event.seq), event.kind, event.data))
                        sent = event.seq
                ended = asyncio.ensure_future(sub.ended.wait())
                try:
                    while not sub.overflowed and not sub.ended.is_set():
                        getting = asyncio.ensure_future(sub.queue.get())
                        done, _ = await asyncio.wait({getting, ended}, timeout=settings.web_heartbeat_seconds, return_when=asyncio.FIRST_COMPLETED)
                        if getting not in done:
                            getting.cancel()
                            if not sub.ended.is_set():
                                await response.write(b": heartbeat\n\n")
                            continue
                        event = getting.result()
                        if event.seq > sent:
                            await response.write(_sse(newsroom.event_id(event.seq), event.kind, event.data))
                            sent = event.seq
                finally:
                    ended.cancel()
                return response  # fell behind, or the worker stops: the client reconnects (and resumes)
            except (ConnectionResetError, asyncio.CancelledError):
                raise
            finally:
                newsroom.subscribers.discard(sub)


    async def end_event_streams(_: aioweb.Application) -> None:
        """On shutdown: end the open /events streams, which would otherwise hold the server's stop."""
        for sub in list(newsroom.subscribers):
            sub.ended.set()


    app.web.web_app.on_shutdown.append(end_event_streams)

    return newsroom
