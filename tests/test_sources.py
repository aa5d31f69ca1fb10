"""Reading files, directories and standard input into RawItems, and refusing bad input with reasons."""

from __future__ import annotations

import gzip
import json
import subprocess
import sys
from pathlib import Path

import pytest

from storyline.model import ItemError, RawItem
from storyline.sources import Limits, read
from storyline.sources.sniff import sniff

FIXTURES = Path(__file__).parent / "fixtures" / "sources"


def read_all(*inputs: str | Path, **kwargs: object) -> list[RawItem | ItemError]:
    return list(read([str(i) for i in inputs], **kwargs))  # type: ignore[arg-type]


def only(results: list[RawItem | ItemError]) -> RawItem | ItemError:
    assert len(results) == 1, results
    return results[0]


def test_text_file_keeps_decoded_text_and_raw_bytes() -> None:
    path = FIXTURES / "article.txt"
    item = only(read_all(path))
    assert isinstance(item, RawItem)
    assert item.format == "text"
    assert item.position == 0
    assert item.input_name == str(path)
    assert item.raw == path.read_bytes()
    assert item.text == path.read_text(encoding="utf-8")
    assert item.title is None


def test_sidecar_fills_metadata_and_arguments_win(tmp_path: Path) -> None:
    item = only(read_all(FIXTURES / "article.txt"))
    assert isinstance(item, RawItem)
    assert (item.published, item.source, item.url) == ("2024-02-06", "Harbour Gazette", "https://news.example/ferry")
    assert item.meta == {"section": "local"}
    overridden = only(read_all(FIXTURES / "article.txt", published="2024-02-07", source="Other"))
    assert isinstance(overridden, RawItem)
    assert (overridden.published, overridden.source) == ("2024-02-07", "Other")
    assert overridden.url == "https://news.example/ferry"


def test_broken_sidecar_is_reported(tmp_path: Path) -> None:
    (tmp_path / "a.txt").write_text("Title\n\nBody of the article.\n")
    (tmp_path / "a.txt.meta.json").write_text("{not json")
    error = only(read_all(tmp_path / "a.txt"))
    assert isinstance(error, ItemError)
    assert "sidecar" in error.reason and "not valid JSON" in error.reason


def test_non_utf8_text_is_decoded_by_detection(tmp_path: Path) -> None:
    text = ("Déclaration du ministère\n\nLe ministère a présenté mercredi un projet de réforme des écoles "
            "élémentaires, très critiqué par les élus régionaux, qui dénoncent un calendrier précipité.\n")
    path = tmp_path / "latin.txt"
    path.write_bytes(text.encode("cp1252"))
    item = only(read_all(path))
    assert isinstance(item, RawItem)
    assert item.text == text
    assert item.raw == text.encode("cp1252")


def test_html_page_yields_body_and_metadata() -> None:
    item = only(read_all(FIXTURES / "page.html"))
    assert isinstance(item, RawItem)
    assert item.format == "html"
    assert item.title == "Library extends opening hours"
    assert item.published == "2024-03-14"
    assert item.author == "Dana Whitfield"
    assert item.language == "en"
    assert item.text is not None
    paragraphs = item.text.split("\n\n")
    assert paragraphs[0].startswith("The central library will stay open")
    assert paragraphs[-1].startswith("Weekend hours stay the same")
    assert "Privacy" not in item.text and "Home" not in item.text
    assert not item.text.startswith(item.title)


def test_html_without_article_is_an_error() -> None:
    error = only(read_all(FIXTURES / "nav.html"))
    assert isinstance(error, ItemError)
    assert error.reason == "HTML page has no article text"


def test_jsonl_bad_lines_do_not_stop_the_file() -> None:
    results = read_all(FIXTURES / "items.jsonl")
    by_line = {r.position: r for r in results}
    assert sorted(by_line) == [1, 2, 3, 5, 6]
    first, fifth = by_line[1], by_line[5]
    assert isinstance(first, RawItem) and isinstance(fifth, RawItem)
    assert first.title == "Bridge reopens"
    assert first.meta == {"id": "a1", "country": "GB"}
    assert (first.published, first.url, first.source) == ("2024-05-06", "https://news.example/bridge", "Valley News")
    lines = (FIXTURES / "items.jsonl").read_bytes().split(b"\n")
    assert first.raw == lines[0]
    assert fifth.published == "20240502"
    assert isinstance(by_line[2], ItemError) and by_line[2].reason.startswith("not valid JSON on line 2:")
    assert isinstance(by_line[3], ItemError) and "no article text" in by_line[3].reason
    assert isinstance(by_line[6], ItemError) and "not an object" in by_line[6].reason


def test_jsonl_gz_and_truncated_gz(tmp_path: Path) -> None:
    lines = [json.dumps({"id": str(i), "text": f"Article number {i} " + "word " * 200}) for i in range(300)]
    data = gzip.compress(("\n".join(lines) + "\n").encode())
    whole = tmp_path / "whole.jsonl.gz"
    whole.write_bytes(data)
    items = read_all(whole)
    assert [r.position for r in items] == list(range(1, 301))
    assert all(isinstance(r, RawItem) for r in items)
    cut = tmp_path / "cut.jsonl.gz"
    cut.write_bytes(data[: len(data) // 2])
    results = read_all(cut)
    assert isinstance(results[-1], ItemError)
    assert "gzip stream is truncated" in results[-1].reason
    good = [r for r in results if isinstance(r, RawItem)]
    assert 0 < len(good) < 300
    assert [r.position for r in good] == list(range(1, len(good) + 1))


def test_jsonl_hostile_nesting_is_an_error_not_a_crash(tmp_path: Path) -> None:
    path = tmp_path / "deep.jsonl"
    path.write_text('{"text": ' + "[" * 100_000 + "]" * 100_000 + "}\n" + '{"text": "fine"}\n')
    results = read_all(path)
    assert [type(r).__name__ for r in results] == ["ItemError", "RawItem"]


def test_jsonl_line_over_limit_is_skipped_alone(tmp_path: Path) -> None:
    path = tmp_path / "big.jsonl"
    rows = [{"text": "short one"}, {"text": "x" * 5000}, {"text": "short two"}]
    path.write_text("\n".join(json.dumps(r) for r in rows) + "\n")
    results = read_all(path, limits=Limits(max_bytes=1000))
    assert [type(r).__name__ for r in results] == ["RawItem", "ItemError", "RawItem"]
    assert "--max-bytes" in results[1].reason  # type: ignore[union-attr]
    assert results[2].text == "short two"  # type: ignore[union-attr]


def test_rss_entries_become_items() -> None:
    results = read_all(FIXTURES / "feed.rss")
    assert [r.position for r in results] == [0, 1, 2]
    first, second, third = results
    assert isinstance(first, RawItem) and isinstance(second, RawItem)
    assert first.format == "feed"
    assert first.title == "Lifeboat crew rescues two sailors"
    assert first.text == ("The lifeboat crew rescued two sailors whose yacht lost its mast off the cape on "
                          "Wednesday.\n\nBoth were unhurt, the coastguard said.")
    assert first.published == "2024-01-10T13:05:00+00:00"
    assert first.url == "https://radio.example/lifeboat"
    assert first.source == "Coast Radio News"
    assert json.loads(first.raw)["title"] == first.title
    assert second.text == "The market hall closes next week for electrical repairs."
    assert isinstance(third, ItemError)


def test_feed_raw_is_deterministic() -> None:
    a = read_all(FIXTURES / "feed.rss")
    b = read_all(FIXTURES / "feed.rss")
    assert [r.raw for r in a if isinstance(r, RawItem)] == [r.raw for r in b if isinstance(r, RawItem)]


def test_atom_entry() -> None:
    item = only(read_all(FIXTURES / "feed.atom"))
    assert isinstance(item, RawItem)
    assert (item.title, item.author, item.source) == ("School roof to be replaced", "Sam Ortega", "Hill Town Bulletin")
    assert item.url == "https://bulletin.example/roof"
    assert item.published == "2024-06-01T12:00:00+00:00"


def test_invalid_feed_is_an_error(tmp_path: Path) -> None:
    path = tmp_path / "broken.rss"
    path.write_text('<?xml version="1.0"?>\n<rss version="2.0"><channel><title>x</ti')
    error = only(read_all(path))
    assert isinstance(error, ItemError)
    assert error.reason.startswith("feed could not be parsed:")


def test_truncated_feed_keeps_entries_read_before(tmp_path: Path) -> None:
    data = (FIXTURES / "feed.rss").read_bytes()
    path = tmp_path / "cut.rss"
    path.write_bytes(data[: data.rindex(b"<item>")])
    results = read_all(path)
    assert [type(r).__name__ for r in results] == ["RawItem", "RawItem", "ItemError"]
    assert results[-1].reason.startswith("feed is truncated")  # type: ignore[union-attr]


def test_entity_expansion_stays_small(tmp_path: Path) -> None:
    levels = ['<!ENTITY l0 "' + "lol" * 20 + '">']
    levels += [f'<!ENTITY l{i} "' + f"&l{i - 1};" * 10 + '">' for i in range(1, 10)]
    doc = ('<?xml version="1.0"?>\n<!DOCTYPE rss [' + "\n".join(levels) + "]>\n"
           '<rss version="2.0"><channel><title>Bomb</title><item><title>t</title>'
           "<description>&l9; plus some real words here</description></item></channel></rss>")
    path = tmp_path / "bomb.rss"
    path.write_text(doc)
    results = read_all(path)
    total = sum(len(r.text or "") for r in results if isinstance(r, RawItem))
    assert total < 10_000


def test_directory_walk_is_sorted_filtered_and_skips_hidden_and_sidecars() -> None:
    names = [Path(r.input_name).relative_to(FIXTURES / "dir").as_posix() for r in read_all(FIXTURES / "dir")]
    assert names == ["a.txt", "b.txt", "sub/c.txt"]
    first = read_all(FIXTURES / "dir")[0]
    assert isinstance(first, RawItem) and first.source == "Dir Source"
    included = read_all(FIXTURES / "dir", include=["sub/*"])
    assert [Path(r.input_name).name for r in included] == ["c.txt"]
    excluded = read_all(FIXTURES / "dir", exclude=["*.txt"])
    assert excluded == []


def test_format_override_reads_html_as_text() -> None:
    item = only(read_all(FIXTURES / "page.html", format="text"))
    assert isinstance(item, RawItem)
    assert item.format == "text"
    assert item.text is not None and item.text.startswith("<!DOCTYPE html>")
    with pytest.raises(ValueError):
        read_all(FIXTURES / "page.html", format="pdf")


def test_sniffing_looks_at_content_not_extension(tmp_path: Path) -> None:
    html = tmp_path / "page.txt"
    html.write_bytes((FIXTURES / "page.html").read_bytes())
    assert only(read_all(html)).format == "html"  # type: ignore[union-attr]
    lines = tmp_path / "export.dat"
    lines.write_text('{"text": "Some article text for the sniffer."}\n')
    assert only(read_all(lines)).format == "jsonl"  # type: ignore[union-attr]
    assert sniff(b"WARC/1.0\r\n") == "warc"
    assert sniff(b'<?xml version="1.0"?>\n<feed xmlns="http://www.w3.org/2005/Atom">') == "feed"
    assert sniff(b"Plain words on a line.\n") == "text"
    assert sniff(b'<!DOCTYPE html><html><head><rdf:RDF xmlns:rdf="urn:x"></rdf:RDF>') == "html"
    assert sniff(b'{\n  "pretty": true\n}', "x.json") == "json"


@pytest.mark.parametrize(("payload", "expected"), [
    (b"\x89PNG\r\n\x1a\n" + bytes(200), "binary file (looks like PNG image), not an article"),
    (b"%PDF-1.7\n" + bytes(range(256)), "binary file (looks like PDF document), not an article"),
    (bytes(range(256)) * 4, "binary file (looks like unknown binary data), not an article"),
    (b"", "file is empty"),
])
def test_bad_files_have_reasons(tmp_path: Path, payload: bytes, expected: str) -> None:
    path = tmp_path / "bad.txt"
    path.write_bytes(payload)
    error = only(read_all(path))
    assert isinstance(error, ItemError)
    assert error.reason == expected
    assert error.input_name == str(path)


def test_json_document_is_not_jsonl(tmp_path: Path) -> None:
    path = tmp_path / "gold.json"
    path.write_text(json.dumps({"articles": [{"text": "a"}, {"text": "b"}]}, indent=2))
    error = only(read_all(path))
    assert isinstance(error, ItemError)
    assert error.reason.startswith("JSON file is not JSON Lines")


def test_whitespace_only_and_missing_path(tmp_path: Path) -> None:
    blank = tmp_path / "blank.txt"
    blank.write_text("   \n\n  ")
    error = only(read_all(blank))
    assert isinstance(error, ItemError) and "whitespace" in error.reason
    missing = only(read_all(tmp_path / "nope.txt"))
    assert isinstance(missing, ItemError) and missing.reason == "no such file or directory"


def test_file_over_size_limit(tmp_path: Path) -> None:
    path = tmp_path / "long.txt"
    path.write_text("word " * 3 * 1024 * 1024)
    error = only(read_all(path, limits=Limits(max_bytes=1024 * 1024)))
    assert isinstance(error, ItemError)
    assert error.reason == "file is 15 MB, over the 1 MB limit (--max-bytes)"
    packed = tmp_path / "long.txt.gz"
    packed.write_bytes(gzip.compress(path.read_bytes()))
    error = only(read_all(packed, limits=Limits(max_bytes=1024 * 1024)))
    assert isinstance(error, ItemError) and error.reason == "content is over the 1 MB limit (--max-bytes)"


def test_truncated_gzip_single_file(tmp_path: Path) -> None:
    data = gzip.compress((FIXTURES / "page.html").read_bytes() * 20)
    path = tmp_path / "page.html.gz"
    path.write_bytes(data[: len(data) - 30])
    error = only(read_all(path))
    assert isinstance(error, ItemError)
    assert error.reason == "gzip stream is truncated"


def test_gzipped_html_is_read(tmp_path: Path) -> None:
    path = tmp_path / "page.html.gz"
    path.write_bytes(gzip.compress((FIXTURES / "page.html").read_bytes()))
    item = only(read_all(path))
    assert isinstance(item, RawItem) and item.title == "Library extends opening hours"


def test_one_bad_input_does_not_stop_the_rest(tmp_path: Path) -> None:
    results = read_all(tmp_path / "missing", FIXTURES / "article.txt")
    assert [type(r).__name__ for r in results] == ["ItemError", "RawItem"]


def test_stdin_is_sniffed() -> None:
    code = ("import sys; from storyline.sources import read\n"
            "for r in read(['-']):\n"
            "    print(type(r).__name__, r.input_name, r.position, getattr(r, 'format', None) or r.reason)")
    done = subprocess.run([sys.executable, "-c", code], input=(FIXTURES / "items.jsonl").read_bytes(),
                          capture_output=True, check=True, timeout=60)
    lines = done.stdout.decode().splitlines()
    assert lines[0] == "RawItem - 1 jsonl"
    assert len(lines) == 5
    empty = subprocess.run([sys.executable, "-c", code], input=b"",
                           capture_output=True, check=True, timeout=60)
    assert empty.stdout.decode().strip() == "ItemError - 0 standard input is empty"
