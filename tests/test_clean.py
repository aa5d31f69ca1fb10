"""Cleaning: seeds, repairs, furniture removal, provenance of every cut, and robustness."""

from __future__ import annotations

import json
import random
import re
import unicodedata
from collections import Counter
from datetime import UTC, datetime, timedelta, timezone
from pathlib import Path

import ftfy
import pytest

from storyline.clean import CleanError, clean, content_hash, item_key
from storyline.model import Article, RawItem

SHARED = Path(__file__).resolve().parents[2] / "shared"
SEEDS = SHARED / "seeds"
DATA = SHARED / "data"
WORD = re.compile(r"\w+")


def _gold() -> dict:
    if not (SEEDS / "gold.json").is_file():
        pytest.skip(f"seed articles not found in {SEEDS}")
    return json.loads((SEEDS / "gold.json").read_text(encoding="utf-8"))["articles"]


def _seed_item(name: str, published: str | None = None) -> RawItem:
    path = SEEDS / name
    if not path.is_file():
        pytest.skip(f"seed articles not found in {SEEDS}")
    return RawItem(input_name=name, position=0, format="text", raw=path.read_bytes(), published=published)


def _item(text: str, title: str | None = None, **extra: object) -> RawItem:
    return RawItem(
        input_name="test",
        position=0,
        format="jsonl",
        raw=text.encode("utf-8", "surrogatepass"),
        text=text,
        title=title,
        **extra,
    )


def _fold(text: str) -> str:
    return " ".join(unicodedata.normalize("NFC", text).split())


def _assert_nothing_lost(source: str, article: Article, given_title: str | None = None) -> None:
    """Every non-blank input line is in the title, the body or the removed lines (or split by a dateline)."""
    kept = _fold(f"{article.title}\n{article.text}")
    kept_paragraphs = {_fold(p) for p in article.text.split("\n\n")} | {_fold(article.title)}
    removed = {_fold(r.text) for r in article.removed}
    datelines = [_fold(r.text) for r in article.removed if r.reason == "dateline"]
    for raw_line in source.splitlines():
        line = _fold(raw_line)
        if not line or line in kept_paragraphs or line in removed or line in kept:
            continue
        rest = line
        for dateline in datelines:
            if rest.startswith(dateline):
                rest = rest[len(dateline) :].strip()
        assert rest in kept, f"input line neither kept nor recorded as removed: {line!r}"
    produced = Counter(WORD.findall(f"{article.title} {article.text} {' '.join(r.text for r in article.removed)}"))
    expected = Counter(WORD.findall(f"{given_title or ''} {source}"))
    assert produced == expected, f"words lost {expected - produced}, words invented {produced - expected}"


def _assert_layout(article: Article) -> None:
    assert "\n\n\n" not in article.text
    for paragraph in article.text.split("\n\n"):
        assert paragraph and paragraph == paragraph.strip()
        assert "\n" not in paragraph
        assert "  " not in paragraph


# --- seeds -------------------------------------------------------------------------------------------


@pytest.mark.parametrize("name", ["000_b91f1ef5999b48e8.txt", "003_475177e114bdde18.txt"])
def test_seed_boilerplate_gone_nothing_lost(name: str) -> None:
    gold = _gold()[name]
    article = clean(_seed_item(name, gold["published"]))
    assert article.title == gold["title"]
    paragraphs = article.text.split("\n\n")
    removed = [r.text for r in article.removed]
    for line in gold["boilerplate_lines_removed"]:
        assert line not in paragraphs, f"boilerplate line still in the body: {line!r}"
        assert line in removed
    _assert_nothing_lost((SEEDS / name).read_text(encoding="utf-8"), article)
    _assert_layout(article)
    assert article.published == datetime(*map(int, gold["published"].split("-")), tzinfo=UTC)
    assert article.id == article.content_hash[:16]
    assert article.item_key == item_key(_seed_item(name))


def test_seed_003_quote_is_one_paragraph() -> None:
    article = clean(_seed_item("003_475177e114bdde18.txt"))
    [paragraph] = [p for p in article.text.split("\n\n") if "We continue to be concerned" in p]
    assert "must end,” a spokesperson said in a statement to The Independent." in paragraph
    assert "war. Its military deployment" in paragraph
    assert "US issues bold new demand to North Korea\n" not in article.text


def test_seed_curly_quotes_and_ellipsis_kept() -> None:
    article = clean(_seed_item("000_b91f1ef5999b48e8.txt"))
    assert "“tangible pressure”" in article.text
    assert "Moscow’s deepening" in article.text
    assert "each other … Don’t be deceived" in article.text
    assert '"' not in article.text


@pytest.mark.parametrize("name", ["000_b91f1ef5999b48e8.txt", "003_475177e114bdde18.txt"])
def test_seed_idempotent(name: str) -> None:
    article = clean(_seed_item(name))
    again = clean(_item(article.text, article.title))
    assert (again.title, again.text, again.removed) == (article.title, article.text, ())
    as_plain_text = clean(RawItem("again", 0, "text", article.document.encode()))
    assert (as_plain_text.title, as_plain_text.text) == (article.title, article.text)
    assert as_plain_text.content_hash == article.content_hash


# --- repairs and normalisation ----------------------------------------------------------------------


def test_mojibake_repaired_and_curly_punctuation_kept() -> None:
    good = "Moscow’s “grave concern” — troops, 2022–2024."
    broken_cp1252 = "Moscow’s stance — firm.".encode().decode("cp1252")
    broken_latin1 = good.encode().decode("latin-1")
    assert clean(_item(broken_cp1252, "Title")).text == "Moscow’s stance — firm."
    assert clean(_item(broken_latin1, "Title")).text == good
    broken_mac = "The minister’s “plan” — again.".encode().decode("mac_roman")
    assert clean(_item(f"Intro line here.\n\n{broken_mac}", "Title")).text.endswith("The minister’s “plan” — again.")
    assert clean(_item("Tom &amp; Jerry met the ﬁrst ＡＢＣ crew.", "Title")).text == "Tom & Jerry met the first ABC crew."


def test_unicode_controls_and_whitespace_normalised() -> None:
    text = "  Cafe\u0301 owner\u00a0said\tthe  shop\u200b was hit.\x07  \r\n\r\n\r\n\n  Second\u2003paragraph here.  "
    article = clean(_item(text, "Title"))
    assert article.text == "Café owner said the shop was hit.\n\nSecond paragraph here."


def test_hard_wrapped_paragraphs_reflowed_but_line_lists_kept() -> None:
    wrapped = (
        "Headline of the story\n\n"
        "The council met on Tuesday to discuss the budget for the coming\n"
        "year, and members agreed that spending on roads would rise by a\n"
        "tenth.\n\n"
        "Residents welcomed the decision."
    )
    article = clean(RawItem("t.txt", 0, "text", wrapped.encode()))
    assert article.title == "Headline of the story"
    assert article.text.split("\n\n")[0].startswith("The council met on Tuesday to discuss the budget for the coming year,")
    listed = clean(_item("First point made.\nSecond, much longer point that was made by the speaker today.", "T"))
    assert listed.text.count("\n\n") == 1


def test_plain_text_title_is_first_line_unless_it_is_a_paragraph() -> None:
    article = clean(RawItem("t.txt", 0, "text", b"\n\nThe headline\n\nThe body sentence."))
    assert (article.title, article.text) == ("The headline", "The body sentence.")
    lone = clean(RawItem("t.txt", 0, "text", b"Only one paragraph here, ending like a sentence."))
    assert (lone.title, lone.text) == ("", "Only one paragraph here, ending like a sentence.")


def test_an_empty_given_title_means_none_so_no_line_is_taken_for_one() -> None:
    text = "Dam bursts after rain\n\nRescue teams evacuated 300 people on Sunday."
    assert clean(_item(text)).title == "Dam bursts after rain"
    for given in ("", "\u200b\ufeff"):
        article = clean(_item(text, title=given))
        assert (article.title, article.text) == ("", text)
        again = clean(_item(article.text, title=article.title))
        assert (again.id, again.title, again.text) == (article.id, article.title, article.text)


def test_non_utf8_raw_is_decoded() -> None:
    russian = "Переговоры в Минске\n\nДелегации встретились в Минске в понедельник. Москва заявила, что переговоры продолжатся."
    assert clean(RawItem("t.txt", 0, "text", russian.encode("cp1251"))).document == russian
    western = "Zürich talks\n\nThe delegates met in Zürich on Monday; the café owner said the crisis was over."
    article = clean(RawItem("t.txt", 0, "text", western.encode("cp1252")))
    assert WORD.findall(article.document.replace("ü", "").replace("é", "")) == WORD.findall(
        western.replace("ü", "").replace("é", "")
    )


# --- furniture -------------------------------------------------------------------------------------


def test_boilerplate_lines_removed_only_as_whole_lines() -> None:
    text = "\n\n".join(
        [
            "Officials said the bridge would reopen next week.",
            "Advertisement",
            "Share this article",
            "Sign up for our daily newsletter",
            "Click here to get the app",
            "© 2024 Some News Corp. All rights reserved.",
            "Share prices fell 5% on Monday.",
            "He told reporters to click here if they wanted the file, and left.",
            "Read more about the bridge",
        ]
    )
    article = clean(_item(text, "Bridge to reopen"))
    assert article.text.split("\n\n") == [
        "Officials said the bridge would reopen next week.",
        "Share prices fell 5% on Monday.",
        "He told reporters to click here if they wanted the file, and left.",
    ]
    assert {r.reason for r in article.removed} == {"advertisement", "share", "subscribe", "click here", "copyright", "read more"}


def test_byline_and_dateline_moved_to_meta() -> None:
    text = (
        "By Jane Doe, Reuters\n\n"
        "KYIV, Oct 25 (Reuters) - Russia launched drones at the capital overnight, officials said.\n\n"
        "By the time rescuers arrived, the fire was out."
    )
    article = clean(_item(text, "Drones hit Kyiv"))
    assert article.meta["byline"] == "By Jane Doe, Reuters"
    assert article.meta["dateline"] == "KYIV, Oct 25 (Reuters) -"
    assert article.author == "Jane Doe"
    assert article.text == (
        "Russia launched drones at the capital overnight, officials said.\n\n"
        "By the time rescuers arrived, the fire was out."
    )
    assert [(r.text, r.reason) for r in article.removed] == [
        ("By Jane Doe, Reuters", "byline"),
        ("KYIV, Oct 25 (Reuters) -", "dateline"),
    ]
    _assert_nothing_lost(text, article, "Drones hit Kyiv")


@pytest.mark.parametrize(
    ("line", "author"),
    [
        ("By MITCHELL ARMENTROUT, LUKE WILUSZ and JORDAN OWEN", "MITCHELL ARMENTROUT, LUKE WILUSZ and JORDAN OWEN"),
        ("by: Nefertiti Jaquez Updated: Jan 12, 2017 - 8:37 AM", "Nefertiti Jaquez"),
        ("By Jane Doe | The Daily Planet", "Jane Doe"),
        ("BY JOHN SMITH, Associated Press", "JOHN SMITH"),
        ("By the time police arrived, the men had fled.", None),
        ("By Monday, officials said, the roads would be clear.", None),
    ],
)
def test_byline_authors(line: str, author: str | None) -> None:
    article = clean(_item(f"{line}\n\nThe story itself.", "Headline"))
    assert article.author == author
    assert (article.meta.get("byline") == line) == (author is not None)


def test_given_author_kept_and_whole_line_dateline() -> None:
    article = clean(_item("CNN —\n\nThe summit began on Thursday.", "Summit", author="A. Writer"))
    assert article.author == "A. Writer"
    assert article.meta["dateline"] == "CNN —"
    assert article.text == "The summit began on Thursday."


def test_heading_splitting_a_sentence_removed_and_rejoined() -> None:
    text = "\n\n".join(
        [
            "The minister said the talks would continue through the",
            "Talks Update",
            "weekend, despite the strikes.",
            "A closing remark.",
            "Section Heading",
            "The next section starts here.",
        ]
    )
    article = clean(_item(text, "Unrelated headline"))
    assert article.text.split("\n\n") == [
        "The minister said the talks would continue through the weekend, despite the strikes.",
        "A closing remark.",
        "Section Heading",
        "The next section starts here.",
    ]
    assert [(r.text, r.reason) for r in article.removed] == [("Talks Update", "stray heading")]


def test_title_repeated_at_top_removed_but_lede_sentence_kept() -> None:
    repeated = clean(_item("Boy, 16, shot in Bridgeport\n\nA boy was shot on Sunday.", "Boy, 16, shot in Bridgeport"))
    assert repeated.text == "A boy was shot on Sunday."
    lede = clean(_item("Police arrested two men.\n\nMore details later.", "Police arrested two men"))
    assert lede.text.startswith("Police arrested two men.")


@pytest.mark.parametrize(
    "text",
    ["", "   \n\n \u00a0 \n", "Advertisement\n\nShare this article\n\nClick here to subscribe\n\n©2020 News Inc."],
)
def test_nothing_left_raises_clean_error(text: str) -> None:
    with pytest.raises(CleanError, match=r"no article text after cleaning \(\d+ boilerplate lines removed\)"):
        clean(_item(text, "A headline"))


def test_headline_only_raises_clean_error() -> None:
    with pytest.raises(CleanError, match=r"\(1 boilerplate lines removed\)"):
        clean(_item("Just a headline", "Just a headline"))


# --- metadata and identity ---------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("published", "expected"),
    [
        ("2024-10-26", datetime(2024, 10, 26, tzinfo=UTC)),
        ("2024-10-26T12:30:00Z", datetime(2024, 10, 26, 12, 30, tzinfo=UTC)),
        ("2024-10-26T12:30:00+02:00", datetime(2024, 10, 26, 10, 30, tzinfo=UTC)),
        ("Sat, 26 Oct 2024 08:00:00 -0400", datetime(2024, 10, 26, 12, 0, tzinfo=UTC)),
        ("October 26, 2024", datetime(2024, 10, 26, tzinfo=UTC)),
    ],
)
def test_published_parsed_to_utc(published: str, expected: datetime) -> None:
    article = clean(_item("Body text here.", "T", published=published))
    assert article.published == expected
    assert article.published.utcoffset() == timedelta(0)
    assert "published_raw" not in article.meta


@pytest.mark.parametrize("published", ["sometime last week", "yesterday", "October 2024", "x" * 500])
def test_unparseable_published_kept_raw(published: str) -> None:
    article = clean(_item("Body text here.", "T", published=published))
    assert article.published is None
    assert article.meta["published_raw"] == published


def test_item_meta_carried_over_and_not_mutated() -> None:
    meta = {"feed": "x"}
    item = _item("By Jane Doe\n\nBody text here.", "T", meta=meta, url="http://a/b", source="S", language="en")
    article = clean(item)
    assert meta == {"feed": "x"}
    assert article.meta == {"feed": "x", "byline": "By Jane Doe"}
    assert (article.url, article.source, article.language, article.raw, article.format) == (
        "http://a/b",
        "S",
        "en",
        item.raw,
        "jsonl",
    )


def test_item_key_identifies_the_input_not_the_content() -> None:
    a = RawItem("f1", 0, "text", b"Title\n\nBody.", url="http://x")
    same_input_elsewhere = RawItem("f2", 7, "text", b"Title\n\nBody.", url="http://x")
    other_url = RawItem("f1", 0, "text", b"Title\n\nBody.", url="http://y")
    other_bytes = RawItem("f1", 0, "text", b"Title\n\nBody. ", url="http://x")
    assert item_key(a) == item_key(same_input_elsewhere)
    assert len({item_key(a), item_key(other_url), item_key(other_bytes)}) == 3
    assert re.fullmatch(r"[0-9a-f]{64}", item_key(a))
    file_item = RawItem("corpus/a.txt", 0, "text", b"Title\n\nBody.")
    assert item_key(file_item) == item_key(RawItem("/abs/corpus/a.txt", 0, "text", b"Title\n\nBody."))
    assert item_key(file_item) != item_key(RawItem("corpus/copy-of-a.txt", 0, "text", b"Title\n\nBody."))
    assert item_key(RawItem("x.jsonl", 1, "jsonl", b"{}")) != item_key(RawItem("x.jsonl", 2, "jsonl", b"{}"))


def test_content_hash_ignores_punctuation_case_and_spacing() -> None:
    a = content_hash("Title", "He said “yes”  — twice.")
    assert a == content_hash("TITLE", 'He said "yes" - twice')
    assert a != content_hash("Title", "He said no twice.")
    assert content_hash("A", "B C") != content_hash("A B", "C")
    left = clean(_item("He said “yes” — twice.", "Title"))
    right = clean(_item('he said "yes" - twice.', "title"))
    assert left.id == right.id


# --- robustness --------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "text",
    [
        "word " * 400_000,
        "By " + "A " * 50_000,
        "KYIV, " + "A" * 100_000 + " -",
        "“" * 100_000,
        '"' + " a\"" * 50_000,
        ("Click here " * 20_000) + "\n\n" + "x" * 200,
        "\n".join("A" * 60 for _ in range(20_000)),
        "It went on and" + "\n\nSmall Heading\n\nand on and" * 10_000 + ".",
        "“It went on" + "\n\nSmall Heading\n\nstill quoting,” he said, “and" * 8_000 + ".”",
        "AB - " * 200_000 + "Done.",
    ],
)
def test_hostile_input_completes(text: str) -> None:
    article = clean(_item(text, "Title"))
    assert article.text


def test_random_unicode_never_crashes() -> None:
    rng = random.Random(7)
    for _ in range(200):
        text = "".join(
            chr(rng.randrange(0x20, 0x2FFFF)) if rng.random() > 0.1 else rng.choice("\n \t\"“”.\ud83b")
            for _ in range(300)
        )
        try:
            article = clean(_item(text, None))
        except CleanError:
            continue
        _assert_layout(article)


# --- real scraped data ----------------------------------------------------------------------------


def _real_items(limit_gva: int) -> list[tuple[RawItem, str]]:
    paths = [DATA / "ukraine-news" / "articles.jsonl", DATA / "gva" / "articles.jsonl"]
    if not all(p.is_file() for p in paths):
        pytest.skip(f"evaluation data not found under {DATA}")
    items: list[tuple[RawItem, str]] = []
    for path, limit in zip(paths, (None, limit_gva), strict=True):
        with path.open(encoding="utf-8") as lines:
            for position, line in enumerate(lines):
                if limit is not None and position >= limit:
                    break
                row = json.loads(line)
                item = RawItem(path.parent.name, position, "jsonl", line.encode(), text=row["text"], title=row["title"])
                items.append((item, row["text"]))
    return items


def test_real_data_nothing_lost_and_idempotent() -> None:
    cleaned = 0
    config = ftfy.TextFixerConfig(uncurl_quotes=False, explain=False)
    for item, text in _real_items(limit_gva=200):
        try:
            article = clean(item)
        except CleanError:
            continue
        cleaned += 1
        # Modulo normalisation: entity unescaping and invisible characters are repairs, not loss.
        repaired = ftfy.fix_text(text, config).translate(dict.fromkeys((0x00AD, 0x200B, 0x2060, 0xFEFF)))
        _assert_nothing_lost(repaired, article, item.title)
        _assert_layout(article)
        again = clean(_item(article.text, article.title or None))
        assert (again.title, again.text) == (article.title, article.text), item.position
    assert cleaned > 600


def test_real_data_common_furniture_removed() -> None:
    furniture = re.compile(r"(?im)^(advertisement|please enable javascript to watch this video|click here\b.*|share this: facebook)$")
    seen = 0
    for item, text in _real_items(limit_gva=3200):
        if not furniture.search(text):
            continue
        try:
            article = clean(item)
        except CleanError:
            continue
        seen += 1
        assert not furniture.search(article.text), (item.input_name, item.position)
    assert seen > 50


def test_tz_of_offset_dates_is_utc_object() -> None:
    article = clean(_item("Body.", "T", published="2024-01-01T00:00:00-05:00"))
    assert article.published == datetime(2024, 1, 1, 0, 0, tzinfo=timezone(timedelta(hours=-5)))
    assert article.published.tzinfo is UTC
