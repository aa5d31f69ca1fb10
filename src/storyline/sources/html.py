"""HTML pages: the article's main text and metadata, extracted with trafilatura.

Settings were chosen on the article-extraction benchmark (`storyline eval html`): favouring precision
and dropping reader comments beats trafilatura's defaults, because a news reader wants the article and
nothing around it; the cleaner can never restore text that extraction invented, but it can live with a
missing aside.
"""

from __future__ import annotations

import re

import trafilatura
from lxml.html import HtmlElement
from trafilatura.settings import Document

from storyline.model import ItemError, RawItem
from storyline.sources.deadline import ParseTimeout, time_limit

NO_ARTICLE = "HTML page has no article text"

# Below this many words what the extractor kept is a menu or a caption, not an article.
MIN_WORDS = 8

_WORD = re.compile(r"\w+")
_LANGUAGE = re.compile(r"[A-Za-z]{2,3}")


def extract_text(data: bytes | str, url: str | None = None) -> tuple[str | None, dict[str, str | None]]:
    """Main text (paragraphs separated by blank lines) and metadata of one page; (None, {}) if none.

    The headline is returned as metadata only: trafilatura often repeats it as the first line, and
    the cleaner puts the title in front of the body itself.
    """
    tree = trafilatura.load_html(data)
    if tree is None:
        return None, {}
    language = _page_language(tree)
    document = trafilatura.bare_extraction(
        tree, url=url, favor_precision=True, include_comments=False, with_metadata=True,
    )
    if not isinstance(document, Document) or not document.text or not document.text.strip():
        return None, {}
    paragraphs = [line.strip() for line in document.text.split("\n") if line.strip()]
    if document.title and paragraphs and paragraphs[0] == document.title.strip():
        paragraphs = paragraphs[1:]
    if len(_WORD.findall(" ".join(paragraphs))) < MIN_WORDS:
        return None, {}
    metadata = {
        "title": document.title or None,
        "published": document.date or None,
        "author": document.author or None,
        "url": document.url or None,
        "source": document.sitename or None,
        "language": language,
    }
    return "\n\n".join(paragraphs), metadata


def read_html(name: str, position: int, data: bytes, *, url: str | None = None, fmt: str = "html",
              timeout: float = 0) -> RawItem | ItemError:
    """One page → one RawItem whose `text` is the extracted body; a page without an article is an error.

    Extraction taking over `timeout` seconds (when positive) makes the page an error, not a hang.
    """
    if not data.strip():
        return ItemError(name, position, "HTML page is empty")
    try:
        with time_limit(timeout):
            text, metadata = extract_text(data, url)
    except ParseTimeout:
        return ItemError(name, position, f"HTML page took longer than {timeout:g} s to extract (--parse-timeout)")
    if text is None:
        return ItemError(name, position, NO_ARTICLE,
                         "the extractor found no main content (navigation, login or index page?)")
    return RawItem(
        input_name=name, position=position, format=fmt, raw=data, text=text,
        title=metadata["title"], published=metadata["published"], url=url or metadata["url"],
        source=metadata["source"], author=metadata["author"], language=metadata["language"],
    )


def _page_language(tree: HtmlElement) -> str | None:
    """The page's declared language (`<html lang>` or Content-Language), as a lowercase primary subtag."""
    declared = tree.get("lang") or tree.get("{http://www.w3.org/XML/1998/namespace}lang")
    if not declared:
        for meta in tree.iterfind(".//meta[@http-equiv]"):
            if meta.get("http-equiv", "").lower() == "content-language":
                declared = meta.get("content")
                break
    match = _LANGUAGE.match(declared.strip()) if declared else None
    return match.group(0).lower() if match else None
