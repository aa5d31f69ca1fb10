"""`storyline eval stories`: story clustering on Timeline17, every topic mixed into one stream.

All folders' articles go, in publication order, through clean → analyze → link; each article's story
(that of its first passage) is scored with B-cubed against its topic (the folder name before `_`).
The same TF-IDF single-pass reference as for developments runs on the same articles.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from storyline.evaluate.developments import analyses, clean_all, clustering_report, link_stream, read_jsonl
from storyline.model import Analysis, Article, RawItem
from storyline.stories.link import LinkConfig


def topic(folder: str) -> str:
    return folder.split("_", 1)[0]


def _item(position: int, record: dict[str, Any]) -> RawItem:
    return RawItem(
        input_name=f"timeline17/{record['folder']}",
        position=position,
        format="jsonl",
        raw=json.dumps({k: v for k, v in record.items() if k != "folder"}).encode(),
        text=record["text"],
        published=record["time"],
        source=record["folder"].split("_", 1)[-1],
    )


def read(path: Path, limit: int | None = None) -> list[dict[str, Any]]:
    """Every folder's articles, tagged with their folder, in publication order.

    `limit` keeps an even share of each folder (the earliest ones), so a subsample still mixes topics.
    """
    folders = sorted(p for p in Path(path).iterdir() if (p / "articles.jsonl").exists())
    records = []
    for folder in folders:
        rows = sorted(read_jsonl(folder / "articles.jsonl"), key=lambda r: (r["time"], str(r["id"])))
        if limit:
            rows = rows[: max(1, limit // len(folders))]
        records.extend(r | {"folder": folder.name} for r in rows)
    return sorted(records, key=lambda r: (r["time"], r["folder"], str(r["id"])))


def linked(path: Path, limit: int | None, config: LinkConfig) -> tuple[list[tuple[Article, dict[str, Any], Analysis]], dict[str, list[tuple[int, int, str, str]]]]:
    """Clean, analyze (cached) and link the Timeline17 stream; shared with the timeline task."""
    cleaned = clean_all(enumerate(read(path, limit)), _item)
    articles = [article for article, _ in cleaned]
    found = analyses(articles, "timeline17")
    links = link_stream(zip(articles, found, strict=True), config)
    return [(a, r, f) for (a, r), f in zip(cleaned, found, strict=True)], links


def evaluate(path: Path, *, limit: int | None = None, config: LinkConfig = LinkConfig()) -> dict[str, Any]:
    rows, links = linked(Path(path), limit, config)
    gold = {article.id: topic(record["folder"]) for article, record, _ in rows}
    predicted = {article_id: passages[0][3] for article_id, passages in links.items() if passages}
    articles = list({article.id: article for article, _, _ in rows}.values())
    return {
        "topics": len(set(gold.values())),
        "stories": len(set(predicted.values())),
        **clustering_report(articles, [f for _, _, f in rows], predicted, gold),
    }
