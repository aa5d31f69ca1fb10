"""Properties of the cleaner on hostile text: it never crashes, its output is well-formed, and it is
idempotent — cleaning an article's own title and text again changes nothing."""

from __future__ import annotations

import re
import unicodedata

from hypothesis import example, given, settings
from hypothesis import strategies as st

from storyline.clean import CleanError, clean, content_hash
from storyline.model import Article, RawItem
from hostile import FRAGMENTS, PROPERTIES, hostile_text, huge_word

_FORBIDDEN = re.compile(r"[\x00-\x08\x0b-\x1f\x7f-\x9f\ud800-\udfff\ufeff\u200b]")


def _item(text: str, title: str | None = None, published: str | None = None, fmt: str = "jsonl") -> RawItem:
    raw = text.encode("utf-8", errors="surrogatepass")
    return RawItem(input_name="x.jsonl", position=1, format=fmt, raw=raw, text=text, title=title, published=published)


def _clean(item: RawItem) -> Article | None:
    try:
        return clean(item)
    except CleanError as exc:
        assert str(exc).startswith("no article text")
        return None


def _assert_well_formed(article: Article) -> None:
    document = article.document
    assert article.text and article.text == article.text.strip()
    assert document[article.body_offset:] == article.text
    assert not article.title or document[: len(article.title)] == article.title
    assert "\n\n\n" not in article.text and "\r" not in document
    assert not _FORBIDDEN.search(document), "control characters, lone surrogates or invisibles survived"
    assert unicodedata.is_normalized("NFC", document)
    assert all(paragraph == paragraph.strip() and paragraph for paragraph in article.text.split("\n\n"))
    assert article.content_hash == content_hash(article.title, article.text)
    assert article.id == article.content_hash[:16]
    assert all(line.text and line.reason for line in article.removed)


@settings(PROPERTIES, max_examples=200)
@given(text=hostile_text, title=st.one_of(st.none(), hostile_text), published=st.one_of(st.none(), st.sampled_from(FRAGMENTS), hostile_text))
@example(text='"He said \u201cthis never closes\n\nand "this" neither', title=None, published="Friday 31 February")
@example(text="\ud800\udfff\x00\x1b[31mred\x1b[0m", title="\ufeff", published="1e400")
def test_cleaning_never_crashes_and_yields_well_formed_articles(text: str, title: str | None,
                                                                 published: str | None) -> None:
    article = _clean(_item(text, title, published))
    if article is None:
        return
    _assert_well_formed(article)
    assert article.published is None or article.published.tzinfo is not None


@settings(PROPERTIES, max_examples=200)
@given(text=hostile_text, title=st.one_of(st.none(), hostile_text))
@example(text="o days of rain, officials said. Rescue teams evacuated 300 people.\noey Janday nig^t after two above them"
              "\n\nKYIVo\t\x11_\x1d\n\r\x0c\x0c en Smrst on Sunday night this articl", title=None)
def test_cleaning_is_idempotent(text: str, title: str | None) -> None:
    first = _clean(_item(text, title))
    if first is None:
        return
    again = _clean(_item(first.text, first.title))
    assert again is not None, "a cleaned article must survive cleaning"
    assert (again.title, again.text) == (first.title, first.text)
    assert again.id == first.id


@settings(PROPERTIES, max_examples=10)
@given(line=huge_word, around=hostile_text)
def test_enormous_lines_are_cleaned(line: str, around: str) -> None:
    article = _clean(_item(f"{around}\n\n{line}\n\n{around}"))
    if article is not None:
        _assert_well_formed(article)


@settings(PROPERTIES, max_examples=60)
@given(text=hostile_text, max_chars=st.integers(1, 400))
def test_max_chars_refuses_exactly_the_over_long(text: str, max_chars: int) -> None:
    unlimited = _clean(_item(text))
    try:
        limited = clean(_item(text), max_chars)
    except CleanError as exc:
        assert unlimited is None or (len(unlimited.document) > max_chars and "--max-chars" in str(exc))
        return
    assert unlimited is not None and limited.document == unlimited.document
    assert len(limited.document) <= max_chars
