"""The web reader: server-rendered pages over the same read functions as the API.

Pages work without script (the only JavaScript-free way to be sure untrusted text never runs):
charts and maps are inline SVG drawn in `svg.py`, highlights are CSS, and toggles are plain links.
Jinja2 autoescapes everything; only `markupsafe.Markup` built by `highlight.py` and `svg.py`, which
escape every piece of text themselves, is inserted as HTML.
"""

from __future__ import annotations

from datetime import date
from importlib.resources import files
from typing import Annotated, Any
from urllib.parse import urlsplit

from fastapi import APIRouter, Query, Request
from fastapi.responses import HTMLResponse, Response
from fastapi.staticfiles import StaticFiles
from jinja2 import Environment, PackageLoader, select_autoescape
from sqlalchemy import Connection

from storyline import __version__
from storyline.model import Analysis
from storyline.api import DATE_PATTERN, ApiError, Conn, Cursor, cached, cached_story, encoded_response, merged_story, story_page
from storyline.readmodel import article_and_analysis
from storyline.store import search
from storyline.web import highlight, svg

TEMPLATES = Environment(
    loader=PackageLoader("storyline.web", "templates"),
    autoescape=select_autoescape(default=True, default_for_string=True),
    trim_blocks=True,
    lstrip_blocks=True,
)
HTML = "text/html; charset=utf-8"
STATUS_CLASS = {"claimed": "claimed", "reported": "reported", "confirmed": "confirmed", "denied": "denied", "retracted": "denied"}


def article_html(article: dict[str, Any], analysis: Analysis, target: tuple[int, int] | None = None) -> str:
    """The article page with its extractions highlighted (and the span `target` marked); also what the
    read model stores, so a stored page and a live one are the same bytes."""
    marked = highlight.render_article(article, analysis, target=target)
    names = {e["id"]: e["name"] for e in article["facts"]["entities"]}
    return TEMPLATES.get_template("article.html").render(article=article, marked=marked, names=names, facts=article["facts"])


def safe_url(value: str | None) -> str | None:
    """Only http(s) addresses become links: article metadata is untrusted (`javascript:` etc. are dropped)."""
    if not value:
        return None
    try:
        parts = urlsplit(value.strip())
    except ValueError:
        return None
    return value.strip() if parts.scheme in ("http", "https") and parts.netloc else None


def nice_date(value: str | None) -> str:
    if not value:
        return ""
    try:
        day = date.fromisoformat(value[:10])
    except ValueError:
        return value
    return f"{day.day} {day.strftime('%b %Y')}"


def amount(value: dict[str, Any]) -> str:
    low, high = value.get("min"), value.get("max")
    fmt = svg._fmt  # noqa: SLF001 - one number format for charts and text
    if low is None and high is None:
        return value.get("text") or "?"
    if low is not None and high is not None:
        return fmt(low) if low == high else f"{fmt(low)}–{fmt(high)}"
    return f"at least {fmt(low)}" if low is not None else f"at most {fmt(high)}"


TEMPLATES.filters.update(safe_url=safe_url, nice_date=nice_date, amount=amount)
TEMPLATES.tests["length_over"] = lambda value, n: len(value) > n
TEMPLATES.globals.update(version=__version__, status_class=STATUS_CLASS)


def render(request: Request, name: str, status: int = 200, headers: dict[str, str] | None = None, **context: Any) -> HTMLResponse:
    html = TEMPLATES.get_template(name).render(request=request, **context)
    return HTMLResponse(html, status_code=status, headers=headers)


def error_page(request: Request, status: int, message: str, headers: dict[str, str] | None = None) -> HTMLResponse:
    return render(request, "error.html", status=status, headers=headers, status_code=status, message=message)


def static_files() -> StaticFiles:
    return StaticFiles(directory=str(files("storyline.web").joinpath("static")))


def _fact_link(article_id: str, start: int | None, end: int | None) -> str:
    """Link to an article with one span marked and scrolled to: how every fact shows its sentence."""
    if start is None or end is None:
        return f"/articles/{article_id}"
    return f"/articles/{article_id}?mark={start}-{end}#mark"


TEMPLATES.globals.update(fact_link=_fact_link)


def _with_sparklines(conn: Connection, stories: list[dict[str, Any]]) -> list[dict[str, Any]]:
    activity = search.story_activity(conn, [s["id"] for s in stories])
    for story in stories:
        counts = activity.get(story["id"], [])
        label = f"{sum(counts)} reports from {nice_date(story['first_published'])} to {nice_date(story['last_published'])}"
        story["sparkline"] = svg.sparkline(counts, label=label)
    return stories


def _docs_operations(app: Any) -> list[dict[str, Any]]:
    """The OpenAPI operations, flattened for the docs page (rendered here, no swagger assets needed)."""
    schema = app.openapi()
    operations = []
    for path, methods in schema.get("paths", {}).items():
        for method, op in methods.items():
            parameters = [
                {"name": p["name"], "in": p["in"], "required": p.get("required", False), "description": p.get("description", ""),
                 "type": _type_name(p.get("schema", {}))}
                for p in op.get("parameters", [])
            ]
            body = op.get("requestBody", {}).get("content", {})
            operations.append({
                "method": method.upper(), "path": path, "summary": op.get("summary", ""), "tags": op.get("tags", []),
                "parameters": parameters, "body": ", ".join(body), "responses": sorted(op.get("responses", {})),
            })
    return operations


def _type_name(schema: dict[str, Any]) -> str:
    if "anyOf" in schema:
        return " | ".join(_type_name(s) for s in schema["anyOf"] if s.get("type") != "null")
    return str(schema.get("type", "object"))


def _story_html(conn: Connection, detail: dict[str, Any], order: str) -> str:
    timeline = detail["timeline"][::-1] if order == "newest" else detail["timeline"]
    numbers = [(s, svg.number_chart(s)) for s in detail["numbers"]]
    numbers.sort(key=lambda item: -len(item[0]["points"]))
    places = search.story_places(conn, detail["id"])
    articles: dict[str, dict[str, Any]] = {}
    for entry in detail["timeline"]:
        for source in entry["sources"]:
            articles.setdefault(source["article_id"], source)
    return TEMPLATES.get_template("story.html").render(
        story=detail, timeline=timeline, order=order, numbers=numbers, places=places, map=svg.world_map(places),
        articles=sorted(articles.values(), key=lambda a: a["published"] or ""),
    )


def router() -> APIRouter:
    pages = APIRouter(include_in_schema=False, default_response_class=HTMLResponse)

    @pages.get("/")
    def index(
        request: Request,
        conn: Conn,
        entity: Annotated[str | None, Query(max_length=200)] = None,
        place: Annotated[str | None, Query(max_length=200)] = None,
        since: Annotated[str | None, Query(pattern=DATE_PATTERN)] = None,
        until: Annotated[str | None, Query(pattern=DATE_PATTERN)] = None,
        cursor: Cursor = None,
    ) -> Response:
        page = story_page(conn, entity=entity or None, place=place or None, since=since, until=until, limit=30, cursor=cursor)
        stories = _with_sparklines(conn, page["items"])
        filters = {k: v for k, v in {"entity": entity, "place": place, "since": since, "until": until}.items() if v}
        return render(request, "index.html", stories=stories, next_cursor=page["next_cursor"], filters=filters, totals=search.counts(conn))

    @pages.get("/stories/{story_id}")
    def story(
        request: Request,
        conn: Conn,
        story_id: str,
        order: Annotated[str, Query(pattern=r"^(newest|oldest)$")] = "oldest",
    ) -> Response:
        def page() -> bytes:
            detail = cached_story(request, conn, story_id)
            if detail is None:
                raise ApiError(404, "not_found", "there is no such story")
            return _story_html(conn, detail, order).encode()

        found = cached(request, conn, "stories", story_id, f"page:{order}", page) if len(story_id) <= 64 else None
        if found is None:
            moved = merged_story(request, conn, story_id) if len(story_id) <= 64 else None
            if moved is not None:
                return moved
            raise ApiError(404, "not_found", "there is no such story")
        return encoded_response(request, *found, HTML)

    @pages.get("/articles/{article_id}")
    def article(
        request: Request,
        conn: Conn,
        article_id: str,
        mark: Annotated[str | None, Query(pattern=r"^\d{1,9}-\d{1,9}$")] = None,
    ) -> Response:
        def page() -> bytes:
            found = article_and_analysis(conn, article_id)
            if found is None:
                raise ApiError(404, "not_found", "there is no such article")
            article, analysis = found
            target = tuple(int(n) for n in mark.split("-")) if mark else None
            return article_html(article, analysis, target).encode()  # type: ignore[arg-type]

        if len(article_id) > 64:
            raise ApiError(404, "not_found", "there is no such article")
        found = cached(request, conn, "articles", article_id, f"page:{mark or ''}", page)
        # Not an exact id (perhaps an unambiguous prefix): built without the cache.
        return encoded_response(request, *(found or (page(), "")), HTML)

    @pages.get("/entities")
    def entities(
        request: Request,
        conn: Conn,
        q: Annotated[str | None, Query(max_length=200)] = None,
        type: Annotated[str | None, Query(pattern=r"^[A-Z_]{0,16}$")] = None,
        cursor: Cursor = None,
    ) -> Response:
        page = search.list_entities(conn, q=q or None, type=type or None, limit=60, cursor=cursor)
        return render(request, "entities.html", entities=page.items, next_cursor=page.next_cursor, q=q or "", type=type or "")

    @pages.get("/entities/{entity_id}")
    def entity(request: Request, conn: Conn, entity_id: str) -> Response:
        found = search.get_entity(conn, entity_id) if len(entity_id) <= 64 else None
        if found is None:
            raise ApiError(404, "not_found", "there is no such entity")
        recent = search.browse_articles(conn, entity=found["id"], limit=20)
        return render(request, "entity.html", entity=found, articles=recent.items)

    @pages.get("/search")
    def find(
        request: Request,
        conn: Conn,
        q: Annotated[str, Query(max_length=search.MAX_QUERY_CHARS)] = "",
    ) -> Response:
        hits = search.search_articles(conn, q, limit=50) if q.strip() else []
        return render(request, "search.html", q=q, hits=hits)

    @pages.get("/docs")
    def docs(request: Request) -> Response:
        return render(request, "docs.html", operations=_docs_operations(request.app))

    return pages

