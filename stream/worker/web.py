"""HTTP endpoints on the worker's web port: metrics, health probes and look-ups from the tables.

Look-ups are routed by Faust to the worker that owns the table partition, so any worker answers.
"""

from __future__ import annotations

from typing import Any

from faust.web import Request, Response, View

from stream.worker.app import app, articles_table, metrics, relator


def readiness() -> dict[str, Any]:
    """What the readiness probe checks: partitions assigned and tables recovered."""
    assignment = app.consumer.assignment() if app.consumer else set()
    recovered = app.tables.recovery.completed.is_set() if app.tables else False
    checks = {"partitions_assigned": len(assignment), "tables_recovered": recovered}
    checks["ready"] = bool(assignment) and recovered
    return checks


@app.page("/health")
class Health(View):
    async def get(self, request: Request) -> Response:
        return self.json({"status": "alive"})


@app.page("/ready")
class Ready(View):
    async def get(self, request: Request) -> Response:
        checks = readiness()
        metrics.ready.set(1 if checks["ready"] else 0)
        return self.json(checks, status=200 if checks["ready"] else 503)


@app.page("/metrics")
class MetricsView(View):
    async def get(self, request: Request) -> Response:
        metrics.window_articles.set(len(relator))
        return self.bytes(metrics.expose(), content_type="text/plain; version=0.0.4; charset=utf-8")


@app.page("/articles/{article_id}")
class ArticleView(View):
    @app.table_route(table=articles_table, match_info="article_id")
    async def get(self, request: Request, article_id: str) -> Response:
        found = relator.article(article_id)
        return self.json(found) if found is not None else self.notfound(f"no article {article_id} in the window")


@app.page("/articles/{article_id}/related")
class RelatedView(View):
    @app.table_route(table=articles_table, match_info="article_id")
    async def get(self, request: Request, article_id: str) -> Response:
        found = relator.article(article_id)
        if found is None:
            return self.notfound(f"no article {article_id} in the window")
        return self.json({"id": article_id, "related": found.get("related", [])})


@app.page("/stories/{story_id}")
class StoryView(View):
    @app.table_route(table=articles_table, match_info="story_id")
    async def get(self, request: Request, story_id: str) -> Response:
        found = relator.story(story_id)
        return self.json(found) if found is not None else self.notfound(f"no story {story_id}")


@app.page("/stories")
class StoriesView(View):
    @app.table_route(table=articles_table, exact_key="stories")
    async def get(self, request: Request) -> Response:
        limit = int(request.query.get("limit", "50"))
        return self.json({"stories": relator.stories_list(limit)})


@app.page("/tags/{tag}/recent")
class TagRecentView(View):
    @app.table_route(table=articles_table, match_info="tag")
    async def get(self, request: Request, tag: str) -> Response:
        limit = int(request.query.get("limit", "20"))
        return self.json({"tag": tag, "articles": relator.recent_by_tag(tag, limit)})
