"""The `storyline` command: a thin layer over the library (pipeline, store queries, evaluation)."""

from __future__ import annotations

import json
import logging
import sys
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import asdict
from pathlib import Path
from typing import Annotated, Any

import typer
from rich.console import Console
from rich.progress import BarColumn, MofNCompleteColumn, Progress, SpinnerColumn, TextColumn, TimeElapsedColumn
from rich.table import Table

from storyline import __version__

app = typer.Typer(
    help="Turn raw news articles into stories you can follow — every fact traced to its sentence.",
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_enable=False,
)
console = Console(stderr=True)
out = Console(highlight=False, soft_wrap=True)

DbOption = Annotated[
    str | None,
    typer.Option("--db", envvar="STORYLINE_DB", help="Database URL (sqlite:///path.db, postgresql+psycopg://...) or a SQLite file path. Default: ./storyline.db"),
]
JsonOption = Annotated[bool, typer.Option("--json", help="Print JSON for scripts instead of tables.")]


def _emit_json(data: Any) -> None:
    sys.stdout.write(json.dumps(data, ensure_ascii=False, indent=2, default=str) + "\n")


def _emit_rows(rows: list[dict[str, Any]], json_out: bool, headers: tuple[str, ...], cells: Callable[[dict[str, Any]], tuple[str, ...]]) -> None:
    """Every listing command: the rows as JSON for scripts, else a table with one line per row."""
    if json_out:
        _emit_json(rows)
        return
    table = Table(*headers)
    for row in rows:
        table.add_row(*cells(row))
    out.print(table)


_OPEN_STORES: list[Any] = []


def _engine(db: str | None, *, create: bool = False) -> Any:
    from storyline.store.db import open_store

    try:
        engine = open_store(db, create=create)
    except FileNotFoundError as exc:
        console.print(f"[red]error:[/] {exc}")
        raise typer.Exit(1) from exc
    _OPEN_STORES.append(engine)
    return engine


def _close_stores() -> None:
    """Close every store the command opened, however it ended: a SQLite store folds its write-ahead
    log into the database file only when its last connection closes, and a program that embeds the
    CLI would otherwise keep the connections (and the log) until the garbage collector finds them."""
    while _OPEN_STORES:
        _OPEN_STORES.pop().dispose()


def _or_exit(found: Any, what: str, ident: str) -> Any:
    """The looked-up record, or exit 1 with a message saying what was not found."""
    if found is None:
        console.print(f"[red]error:[/] no {what} with id {ident!r}")
        raise typer.Exit(1)
    return found


def _version(value: bool) -> None:
    if value:
        out.print(f"storyline {__version__}")
        raise typer.Exit()


@app.callback()
def main(
    ctx: typer.Context,
    verbose: Annotated[int, typer.Option("--verbose", "-v", count=True, help="More log output (-v info, -vv debug).")] = 0,
    version: Annotated[bool, typer.Option("--version", callback=_version, is_eager=True, help="Show the version and exit.")] = False,
) -> None:
    """storyline: ingest news, extract facts, follow stories."""
    level = logging.WARNING if verbose == 0 else logging.INFO if verbose == 1 else logging.DEBUG
    logging.basicConfig(level=level, format="%(asctime)s %(levelname)s %(name)s: %(message)s", stream=sys.stderr)
    ctx.call_on_close(_close_stores)


@app.command()
def ingest(
    inputs: Annotated[list[str], typer.Argument(help="Files, directories, http(s) URLs of pages or feeds, or - for standard input.")],
    db: DbOption = None,
    format: Annotated[str | None, typer.Option("--format", "-f", help="Force the input format: text, html, jsonl, feed, warc (default: sniffed).")] = None,
    include: Annotated[list[str] | None, typer.Option("--include", help="Glob of files to take inside directories (repeatable).")] = None,
    exclude: Annotated[list[str] | None, typer.Option("--exclude", help="Glob of files to skip inside directories (repeatable).")] = None,
    published: Annotated[str | None, typer.Option("--published", help="Publication date for a single text file without a sidecar.")] = None,
    source: Annotated[str | None, typer.Option("--source", help="Source (outlet) name for the inputs that carry none.")] = None,
    max_bytes: Annotated[int, typer.Option("--max-bytes", help="Largest item accepted, in bytes.")] = 10 * 1024 * 1024,
    max_chars: Annotated[int, typer.Option("--max-chars", min=1, max=1_000_000, help="Longest clean article accepted, in characters; longer ones become error rows.")] = 100_000,
    max_expansion: Annotated[int, typer.Option("--max-expansion", min=1, help="How many times its compressed size a gzip input may expand to beyond --max-bytes (refuses decompression bombs).")] = 100,
    parse_timeout: Annotated[float, typer.Option("--parse-timeout", min=0, help="Seconds one HTML page or feed may take to parse (0: no limit).")] = 30.0,
    allow_private_addresses: Annotated[bool, typer.Option("--allow-private-addresses", help="Let URLs reach loopback, private and link-local addresses (refused by default: a URL could otherwise probe internal services).")] = False,
    max_fetch_bytes: Annotated[int, typer.Option("--max-fetch-bytes", min=1, help="Largest response accepted from a URL, in bytes.")] = 10 * 1024 * 1024,
    fetch_timeout: Annotated[float, typer.Option("--fetch-timeout", min=0.1, help="Seconds a URL may take to connect, to send each chunk and to finish its body.")] = 20.0,
    max_redirects: Annotated[int, typer.Option("--max-redirects", min=0, help="Redirects followed per URL.")] = 5,
    near_threshold: Annotated[float, typer.Option("--near-threshold", min=0.5, max=1.0, help="Jaccard similarity from which a text is a near duplicate.")] = 0.8,
    analyze: Annotated[bool, typer.Option("--analyze/--no-analyze", help="Extract facts and link stories after storing.")] = True,
    strict: Annotated[bool, typer.Option("--strict", help="Exit with 1 when any input item was rejected.")] = False,
    json_out: JsonOption = False,
    quiet: Annotated[bool, typer.Option("--quiet", "-q", help="No progress bar.")] = False,
    workers: Annotated[int | None, typer.Option("--workers", min=1, help="Analyze in N local processes (with --dask local: N Dask workers).")] = None,
    dask: Annotated[str | None, typer.Option("--dask", metavar="ADDRESS", help="Read, clean and analyze on a Dask cluster: tcp://HOST:8786, or 'local' for local worker processes.")] = None,
) -> None:
    """Ingest articles: each input item becomes an article, a recorded duplicate, or an error row with a reason."""
    from storyline.dedup import DedupConfig
    from storyline.pipeline import IngestOptions
    from storyline.pipeline import ingest as run_ingest
    from storyline.sources import Limits

    with _exit_on_store_failure():
        engine = _engine(db, create=True)
    options = IngestOptions(
        format=format,
        include=tuple(include or ()),
        exclude=tuple(exclude or ()),
        published=published,
        source=source,
        limits=Limits(max_bytes=max_bytes, allow_private=allow_private_addresses, max_fetch_bytes=max_fetch_bytes,
                      fetch_timeout=fetch_timeout, max_redirects=max_redirects, max_chars=max_chars,
                      max_expansion=max_expansion, parse_timeout=parse_timeout),
        dedup=DedupConfig(threshold=near_threshold),
        analyze=analyze,
        workers=workers,
        dask=dask,
    )
    show_progress = not quiet and not json_out and console.is_terminal
    with Progress(
        SpinnerColumn(),
        TextColumn("[bold]{task.description}"),
        BarColumn(),
        MofNCompleteColumn(),
        TextColumn("{task.fields[note]}"),
        TimeElapsedColumn(),
        console=console,
        disable=not show_progress,
    ) as bar:
        read_task = bar.add_task("reading", total=None, note="")
        analyze_task = bar.add_task("analyzing", total=None, note="", visible=False)

        def progress(phase: str, note: str) -> None:
            if phase == "read":
                bar.update(read_task, advance=1, note=note)
            else:
                bar.update(analyze_task, advance=1, visible=True, note=note)

        with _exit_on_store_failure():
            report = run_ingest(engine, inputs, options, progress=progress)
    if json_out:
        _emit_json(report.to_dict())
    else:
        _print_report(report)
    if strict and report.errors:
        raise typer.Exit(1)


STORE_FAILED = 74
"""Exit code when the store itself fails (a full disk): sysexits' EX_IOERR, apart from input errors' 1."""


@contextmanager
def _exit_on_store_failure() -> Iterator[None]:
    """A full disk ends the ingest with one clear line and exit 74, not a traceback: the message names
    the store and its disk, and what was committed stays for the rerun to resume."""
    from storyline.store.db import StoreError

    try:
        yield
    except StoreError as exc:
        console.print(f"error: {exc}", style="red", markup=False, highlight=False, soft_wrap=True)
        raise typer.Exit(STORE_FAILED) from exc


def _print_report(report: Any) -> None:
    table = Table(title=f"ingest run {report.run_id}", show_header=False, title_justify="left")
    rows = [
        ("inputs", report.inputs),
        ("new articles", report.new),
        ("duplicates", report.duplicates),
        ("near-duplicates", report.near_duplicates),
        ("already stored", report.unchanged),
        ("errors", report.errors),
        ("analyzed", report.analyzed),
        ("time", f"{report.seconds:.1f} s"),
    ]
    if report.analysis_failed:
        rows.insert(-1, ("analysis failed", report.analysis_failed))
    for name, value in rows:
        table.add_row(name, str(value))
    out.print(table)
    for sample in report.error_samples:
        out.print(f"  [red]error[/] {sample['input']}#{sample['position']}: {sample['reason']}")
    if report.errors > len(report.error_samples):
        out.print(f"  … {report.errors - len(report.error_samples)} more: see `storyline errors`")


@app.command()
def report(db: DbOption = None, json_out: JsonOption = False) -> None:
    """Summarise what the database holds: articles, duplicates, errors, entities, facts."""
    from storyline.store.queries import totals

    engine = _engine(db)
    with engine.connect() as conn:
        data = totals(conn)
    if json_out:
        _emit_json(data)
        return
    table = Table(title="storyline database", show_header=False, title_justify="left")
    for key, value in data.items():
        table.add_row(key.replace("_", " "), str(value))
    out.print(table)


@app.command()
def articles(
    db: DbOption = None,
    since: Annotated[str | None, typer.Option(help="Published on or after this date (YYYY-MM-DD).")] = None,
    until: Annotated[str | None, typer.Option(help="Published on or before this date (YYYY-MM-DD).")] = None,
    source: Annotated[str | None, typer.Option(help="Only this source (outlet) name.")] = None,
    limit: Annotated[int, typer.Option(min=1, max=10000)] = 50,
    offset: Annotated[int, typer.Option(min=0)] = 0,
    json_out: JsonOption = False,
) -> None:
    """List stored articles, newest first."""
    from storyline.store.queries import list_articles

    engine = _engine(db)
    with engine.connect() as conn:
        rows = list_articles(conn, since=since, until=until, source=source, limit=limit, offset=offset)
    _emit_rows(rows, json_out, ("id", "published", "source", "title"), lambda r: (r["id"], (r["published"] or "")[:10], r["source"] or "", r["title"]))


@app.command()
def show(
    article_id: Annotated[str, typer.Argument(help="Article id (or a unique prefix).")],
    db: DbOption = None,
    raw: Annotated[bool, typer.Option("--raw", help="Print the original input bytes as stored.")] = False,
    removed: Annotated[bool, typer.Option("--removed", help="List the boilerplate lines cleaning removed.")] = False,
    facts: Annotated[bool, typer.Option("--facts", help="Print the fact sheet: entities, quotes, numbers, dates, places, events, claims.")] = False,
    json_out: JsonOption = False,
) -> None:
    """Show one article: clean text and metadata."""
    from storyline.store.queries import get_article

    engine = _engine(db)
    with engine.connect() as conn:
        article = _or_exit(get_article(conn, article_id, raw=raw), "article", article_id)
        analysis = _analysis(conn, article["id"]) if facts else None
    if raw and not json_out:
        sys.stdout.buffer.write(article["raw"])
        return
    if json_out:
        data = dict(article)
        if raw:
            data["raw"] = article["raw"].decode("utf-8", errors="replace")
        if analysis is not None:
            data["facts"] = asdict(analysis)
        _emit_json(data)
        return
    out.print(f"[bold]{article['title']}[/]")
    meta = [article["published"] or "undated", article["source"] or "unknown source", article["url"] or article["input_name"]]
    out.print(" · ".join(meta), style="dim")
    out.print(f"id {article['id']}", style="dim")
    if article["duplicates"]:
        out.print(f"also published as {len(article['duplicates'])} copies: " + ", ".join(d["source"] or d["input_name"] for d in article["duplicates"]), style="dim")
    out.print()
    out.print(article["text"], markup=False)
    if removed:
        out.print()
        out.print("[bold]removed lines[/]")
        for line in article["removed"]:
            out.print(f"  [{line['reason']}] {line['text']}", markup=False)
    if analysis is not None:
        from storyline.factsheet import render

        out.print()
        render(out, analysis, article["title"] + "\n\n" + article["text"])


def _analysis(conn: Any, article_id: str) -> Any:
    from storyline.store.facts import load_analysis

    return load_analysis(conn, article_id)


@app.command(name="facts")
def facts_cmd(
    article_id: Annotated[str, typer.Argument(help="Article id (or a unique prefix).")],
    db: DbOption = None,
    json_out: JsonOption = False,
) -> None:
    """Every fact extracted from one article, with character spans into its text."""
    from storyline.store.queries import get_article

    engine = _engine(db)
    with engine.connect() as conn:
        article = _or_exit(get_article(conn, article_id), "article", article_id)
        analysis = _analysis(conn, article["id"])
    if json_out:
        _emit_json(asdict(analysis))
        return
    from storyline.factsheet import render

    render(out, analysis, article["title"] + "\n\n" + article["text"])


@app.command()
def errors(db: DbOption = None, limit: Annotated[int, typer.Option(min=1)] = 100, json_out: JsonOption = False) -> None:
    """Input items that could not be ingested, with the reason."""
    from storyline.store.queries import list_errors

    engine = _engine(db)
    with engine.connect() as conn:
        rows = list_errors(conn, limit=limit)
    _emit_rows(rows, json_out, ("input", "item", "reason"), lambda r: (r["input_name"], str(r["position"]), r["reason"]))


@app.command()
def runs(db: DbOption = None, limit: Annotated[int, typer.Option(min=1)] = 20, json_out: JsonOption = False) -> None:
    """Past ingest runs and their accounting."""
    from storyline.store.queries import list_runs

    engine = _engine(db)
    with engine.connect() as conn:
        rows = list_runs(conn, limit=limit)
    keys = ("id", "started_at", "status", "inputs", "new", "duplicates", "near_duplicates", "unchanged", "errors")
    _emit_rows(rows, json_out, ("run", "started", "status", "inputs", "new", "dups", "near", "same", "errors"), lambda r: tuple(str(r[k]) for k in keys))


@app.command()
def reanalyze(
    db: DbOption = None,
    all_articles: Annotated[bool, typer.Option("--all", help="Re-run extraction on every article, not only those from an older extractor version.")] = False,
    json_out: JsonOption = False,
) -> None:
    """Re-run fact extraction where the extractor version changed (stories are relinked after)."""
    from storyline.pipeline import analyze_pending
    from storyline.store import schema

    engine = _engine(db)
    if all_articles:
        with engine.begin() as conn:
            conn.execute(schema.articles.update().values(analysis_version=None))
    done, failed = analyze_pending(engine, only_missing=False, link=False)
    from storyline.stories.link import relink

    with engine.begin() as conn:
        summary = relink(conn)
    views = _refresh_views(engine, everything=False, show_progress=not json_out)
    result = {"analyzed": done, "failed": failed, "relink": summary if isinstance(summary, dict) else asdict(summary), "views": views}
    if json_out:
        _emit_json(result)
    else:
        out.print(f"re-analyzed {done} articles ({failed} failed); stories rebuilt")


@app.command()
def stories(
    db: DbOption = None,
    entity: Annotated[str | None, typer.Option(help="Only stories about this entity (name or id).")] = None,
    place: Annotated[str | None, typer.Option(help="Only stories involving this place (name or id).")] = None,
    since: Annotated[str | None, typer.Option(help="Stories with happenings on or after this date (YYYY-MM-DD).")] = None,
    until: Annotated[str | None, typer.Option(help="Stories with happenings on or before this date (YYYY-MM-DD).")] = None,
    limit: Annotated[int, typer.Option(min=1, max=1000)] = 50,
    json_out: JsonOption = False,
) -> None:
    """List stories, most recently active first."""
    from storyline.stories.queries import list_stories

    engine = _engine(db)
    with engine.connect() as conn:
        rows = list_stories(conn, entity=entity, place=place, since=since, until=until, limit=limit)
    _emit_rows(
        rows,
        json_out,
        ("id", "dates", "sources", "title"),
        lambda r: (r["id"], f"{r.get('first_date', '')} → {r.get('last_date', '')}", str(r.get("sources", "")), r["title"]),
    )


@app.command()
def story(
    story_id: Annotated[str, typer.Argument(help="Story id (see `storyline stories`).")],
    db: DbOption = None,
    json_out: JsonOption = False,
) -> None:
    """One story: its timeline by when things happened, claims with their status history, numbers over time."""
    from storyline.stories.queries import story_detail

    engine = _engine(db)
    with engine.connect() as conn:
        detail = _or_exit(story_detail(conn, story_id), "story", story_id)
    if json_out:
        _emit_json(detail)
        return
    from storyline.storyview import render

    render(out, detail)


@app.command()
def follow(
    db: DbOption = None,
    since: Annotated[str | None, typer.Option(help="The cursor printed by the previous call; omit for everything.")] = None,
    story_id: Annotated[str | None, typer.Option("--story", help="Only changes to this story.")] = None,
    limit: Annotated[int, typer.Option(min=1, max=10000)] = 100,
    json_out: JsonOption = False,
) -> None:
    """What changed in stories since a cursor: new developments, facts, claims and numbers."""
    from storyline.stories.queries import follow as changes_since

    engine = _engine(db)
    with engine.connect() as conn:
        changes, cursor = changes_since(conn, since, story_id, limit)
    if json_out:
        _emit_json({"changes": changes, "cursor": cursor})
        return
    for change in changes:
        detail = {k: v for k, v in change.items() if k not in ("seq", "story_id", "kind", "development_id", "article_id", "start")}
        out.print(f"{change['seq']} story {change['story_id']} {change['kind']}: {json.dumps(detail, ensure_ascii=False, default=str)[:200]}", markup=False)
    out.print(f"next: storyline follow --since {cursor}", style="dim")


@app.command()
def relink(db: DbOption = None, json_out: JsonOption = False) -> None:
    """Rebuild developments and stories from the stored facts (no re-parse)."""
    from storyline.stories.link import relink as rebuild

    engine = _engine(db)
    with engine.begin() as conn:
        summary = rebuild(conn)
    data = asdict(summary)
    views = _refresh_views(engine, everything=False, show_progress=not json_out)
    if json_out:
        data["views"] = views
        _emit_json(data)
    else:
        out.print(" · ".join(f"{k.replace('_', ' ')}: {v}" for k, v in data.items()))


views_app = typer.Typer(help="The stored read model: story and article views rendered ahead of reads.", no_args_is_help=True)
app.add_typer(views_app, name="views")


def _refresh_views(engine: Any, *, everything: bool, show_progress: bool) -> dict[str, Any]:
    """Re-render the stored views that are missing or out of date (every one with `everything`)."""
    from storyline.readmodel import refresh_all

    with Progress(
        SpinnerColumn(), TextColumn("[bold]views: {task.description}"), BarColumn(), MofNCompleteColumn(), TimeElapsedColumn(),
        console=console, disable=not show_progress,
    ) as bar:
        tasks: dict[str, Any] = {}

        def progress(phase: str, done: int, total: int) -> None:
            if phase not in tasks:
                tasks[phase] = bar.add_task(phase, total=total)
            bar.update(tasks[phase], completed=done, total=total)

        return refresh_all(engine, everything=everything, progress=progress).to_dict()


@views_app.command("refresh")
def views_refresh(
    db: DbOption = None,
    everything: Annotated[bool, typer.Option("--all", help="Re-render every view, not only missing or out-of-date ones.")] = False,
    json_out: JsonOption = False,
) -> None:
    """Render the stored story and article views of a store, so first reads need no rendering."""
    engine = _engine(db)
    summary = _refresh_views(engine, everything=everything, show_progress=not json_out)
    if json_out:
        _emit_json(summary)
    else:
        out.print(f"{summary['rendered']} views rendered, {summary['current']} already current, {summary['removed']} removed "
                  f"({summary['stories']} stories, {summary['articles']} articles) in {summary['seconds']:.1f} s")


@app.command()
def serve(
    db: DbOption = None,
    host: Annotated[str, typer.Option(help="Address to listen on; loopback unless you mean to expose it.")] = "127.0.0.1",
    port: Annotated[int, typer.Option(min=1, max=65535)] = 8000,
    token: Annotated[str | None, typer.Option(envvar="STORYLINE_API_TOKEN", help="Token that enables and protects the write endpoints.")] = None,
    read_token: Annotated[str | None, typer.Option(envvar="STORYLINE_READ_TOKEN", help="Token required for reads too, when set.")] = None,
    workers: Annotated[int, typer.Option(min=1, max=64, help="Server processes; each keeps its own cache and rate-limit buckets.")] = 1,
    rate_limit: Annotated[str, typer.Option(help="Reads per client address, e.g. 600/minute, or off.")] = "off",
    write_rate_limit: Annotated[str, typer.Option(help="Writes per client address, e.g. 60/minute, or off.")] = "60/minute",
    cors_origin: Annotated[list[str] | None, typer.Option(help="Origin allowed to call the API from a browser (repeatable); CORS is off without one.")] = None,
) -> None:
    """Serve the web reader at / and the JSON API at /api/v1 (docs at /docs)."""
    import json
    import os

    import uvicorn

    from storyline.api import SERVE_ENV, SERVE_LOOP, Rate, create_app

    for name, spec in (("--rate-limit", rate_limit), ("--write-rate-limit", write_rate_limit)):
        try:
            Rate.parse(spec)
        except ValueError as exc:
            console.print(f"[red]error:[/] {name}: {exc}")
            raise typer.Exit(2) from exc
    engine = _engine(db, create=True)
    engine.dispose()
    options = {"db": db, "token": token, "read_token": read_token, "read_rate": rate_limit, "write_rate": write_rate_limit,
               "cors_origins": cors_origin or []}
    console.print(f"storyline serving on http://{host}:{port}/  (API docs: http://{host}:{port}/docs)")
    if workers == 1:
        uvicorn.run(create_app(**options), host=host, port=port, log_level="warning", loop=SERVE_LOOP)  # type: ignore[arg-type]
        return
    # Each worker process builds its own app from the options: uvicorn imports the factory by name.
    os.environ[SERVE_ENV] = json.dumps(options)
    uvicorn.run("storyline.api:app_from_env", factory=True, workers=workers, host=host, port=port, log_level="warning",
                loop=SERVE_LOOP)


@app.command(name="export")
def export_cmd(
    kind: Annotated[str, typer.Argument(help="stories, articles, facts, events, quotes, quantities or places.")],
    fmt: Annotated[str, typer.Option("--format", "-f", help="json, jsonl, csv or geojson.")] = "jsonl",
    output: Annotated[Path | None, typer.Option("--output", "-o", help="File to write; standard output when omitted.")] = None,
    db: DbOption = None,
    since: Annotated[str | None, typer.Option(help="Published on or after this date.")] = None,
    until: Annotated[str | None, typer.Option(help="Published on or before this date.")] = None,
    source: Annotated[str | None, typer.Option(help="Only this source.")] = None,
    story_id: Annotated[str | None, typer.Option("--story", help="Only this story.")] = None,
    entity: Annotated[str | None, typer.Option(help="Only this entity (name or id).")] = None,
) -> None:
    """Export stories or facts for other tools; columns are documented in docs/exports.md."""
    from storyline.export import check, export

    try:
        check(kind, fmt)
    except ValueError as exc:
        console.print(f"[red]error:[/] {exc}")
        raise typer.Exit(2) from exc
    engine = _engine(db)
    filters = {k: v for k, v in {"since": since, "until": until, "source": source, "story": story_id, "entity": entity}.items() if v}
    with engine.connect() as conn:
        if output is None:
            count = export(conn, kind, fmt, sys.stdout, **filters)
        else:
            with output.open("w", encoding="utf-8", newline="") as handle:
                count = export(conn, kind, fmt, handle, **filters)
    console.print(f"exported {count} {kind}", style="dim")


@app.command(name="eval")
def eval_cmd(
    task: Annotated[str, typer.Argument(help="ner, quotes, timex, casualties, events, html, seeds, developments, stories, timeline")],
    path: Annotated[Path, typer.Argument(help="The dataset folder or file (see ../shared/data/README.md).")],
    limit: Annotated[int | None, typer.Option(help="Only the first N items (quick checks).")] = None,
    json_out: JsonOption = False,
) -> None:
    """Measure accuracy on a benchmark dataset, beside its baseline in the same run; prints JSON metrics."""
    from storyline.evaluate import TASKS, run

    if task not in TASKS:
        console.print(f"[red]error:[/] unknown task {task!r}; choose from {', '.join(TASKS)}")
        raise typer.Exit(2)
    if not path.exists():
        console.print(f"[red]error:[/] {path} does not exist")
        raise typer.Exit(2)
    metrics = run(task, path, limit=limit)
    if json_out:
        _emit_json(metrics)
        return
    baseline = metrics.get("baseline", {})
    table = Table("metric", "storyline", baseline.get("name", "baseline"), title=f"eval {task}", title_justify="left")
    for key, value in metrics.items():
        if key == "baseline" or isinstance(value, dict | list):
            continue
        other = baseline.get(key, "")
        table.add_row(key, _fmt(value), _fmt(other))
    out.print(table)


def _fmt(value: Any) -> str:
    return f"{value:.3f}" if isinstance(value, float) else str(value)


if __name__ == "__main__":
    app()
