"""Hypothesis strategies for hostile input, shared by the property tests of readers, cleaner and extractors.

Each strategy mixes fragments known to trip parsers (unbalanced quotes, "1e400", impossible dates,
control characters, bidi overrides, entity references, enormous words) with arbitrary text, so the
search covers both the cases we thought of and the ones we did not.
"""

from __future__ import annotations

import gzip
import json

from hypothesis import HealthCheck, settings
from hypothesis import strategies as st

PROPERTIES = settings(
    deadline=None,
    database=None,
    derandomize=True,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large, HealthCheck.large_base_example],
)
"""No per-example deadline (the first trafilatura or spaCy call loads models) and no example database
written into the working tree; each test sets its own `max_examples`. Derandomized so a CI run is
repeatable; open-ended exploration is the fuzzing harness's job (`make fuzz`)."""

FRAGMENTS = (
    '"', "“", "”", "‘", "’", "'", "«", "»", '""', '"\n\n"', " said ", " told reporters ", "according to ",
    "1e400", "-1e400", "1e-400", "NaN", "Infinity", "0x7fffffff", "99999999999999999999999 people",
    "10^400", "1,2,3,4,5,6", "3.14.15", "½", "٣٤٥", "五百", "$-0.00", "-0", "1/0", "12,000-15,000",
    "Friday 31 February", "February 30, 2024", "31/02/2024", "2024-13-45", "0000-00-00", "9999-12-31",
    "year 99999", "the 32nd of May", "yesterday", "next Friday", "last 1e400 days", "3 Ma 2024",
    "at 25:61", "in the 1990000s", "Q5 2024", "week 54",
    "9999-12-31T23:59:59-14:00", "0001-01-01T00:00:00+14:00", "0001-01-01", "9999-12-31", "-1e400",
    "Sat, 31 Dec 9999 23:59:59 -1200", "@99999999999999", "1e400 seconds since epoch",
    "\x00", "\x01", "\x07", "\x1b[31m", "\x7f", "\x85", "\x9f", "\ufeff", "\u200b", "\u202e", "\u2066",
    "\u2028", "\u2029", "\r", "\r\n", "\t", "\x0b", "\x0c", "\u00a0", "\u3000", "e\u0301" * 20,
    "🏳️‍🌈", "\U0010ffff", "\ufffd", "Ã©", "â€™", "ﬁ", "ＡＢＣ",
    "&amp;", "&#0;", "&#x110000;", "&lol;", "<![CDATA[", "]]>", "<", ">", "<script>alert(1)</script>",
    "By John Smith", "KYIV, Oct 25 (Reuters) -", "Share this article", "Advertisement", "Read more",
    "(AP) —", "WASHINGTON —", "Mr. Biden", "Ukraine", "Russia", "the United Nations", "Paris",
    " ", " ", " ", "\n", "\n\n", "\n\n\n", ".", ",", "!", "?", "...", "—", "-",
)

WORDS = st.sampled_from((
    "the", "army", "said", "killed", "12", "people", "on", "Monday", "in", "Kharkiv", "President",
    "Zelenskyy", "attack", "drones", "were", "shot", "down", "police", "arrested", "three", "men",
))

fragments = st.one_of(
    st.sampled_from(FRAGMENTS),
    WORDS,
    st.text(max_size=12),
    st.text(st.characters(exclude_categories=()), max_size=4),  # lone surrogates included
)

hostile_text = st.lists(fragments, max_size=60).map("".join)
"""Unicode text built from hostile fragments and arbitrary characters, surrogates included."""

huge_word = st.integers(min_value=10_000, max_value=300_000).flatmap(
    lambda n: st.sampled_from("a\"1.<&\u00e9 ").map(lambda c: c * n))
"""An enormous 'line': one character repeated up to 300,000 times."""

articleish_text = st.lists(st.one_of(fragments, WORDS, WORDS, st.just(". "), st.just("\n\n")),
                           min_size=5, max_size=120).map("".join)
"""Mostly words with hostile fragments between them: enough prose that extractors actually run."""


def _encode(text: str, encoding: str) -> bytes:
    return text.encode(encoding, errors="surrogatepass" if encoding.startswith("utf") else "replace")


encoded_text = st.builds(_encode, hostile_text, st.sampled_from(("utf-8", "utf-8-sig", "utf-16", "latin-1", "cp1252")))

_TAGS = ("div", "p", "span", "article", "main", "section", "script", "style", "table", "tr", "td", "b", "i", "a",
         "iframe", "svg", "math", "template", "noscript", "h1", "title", "meta", "br", "img", "xml", "html", "body")


@st.composite
def html_documents(draw: st.DrawFn) -> bytes:
    """Random markup: nested, unclosed and misnested tags, hostile attributes and text, sometimes very deep."""
    def element(depth: int) -> str:
        tag = draw(st.sampled_from(_TAGS))
        attrs = draw(st.sampled_from(("", ' lang="en"', ' class="article"', ' href="javascript:alert(1)"',
                                      ' style="x:expression(1)"', ' x="<">', ' onload="x()"', " a=" + '"' * 3)))
        inner = draw(articleish_text)
        children = "".join(element(depth + 1) for _ in range(draw(st.integers(0, 3 if depth < 4 else 0))))
        closing = draw(st.sampled_from((f"</{tag}>", f"</{tag}>", "", "</div></p>")))
        return f"<{tag}{attrs}>{inner}{children}{closing}"

    depth = draw(st.sampled_from((0, 0, 0, 0, 0, 0, 300, 3_000)))
    doctype = draw(st.sampled_from(("", "<!DOCTYPE html>", '<?xml version="1.0"?><!DOCTYPE html [<!ENTITY x SYSTEM "file:///etc/passwd">]>')))
    body = "".join(element(0) for _ in range(draw(st.integers(1, 4))))
    page = f"{doctype}<html><body>{'<div>' * depth}{body}{'</div>' * draw(st.sampled_from((0, depth)))}</body></html>"
    return _encode(page, draw(st.sampled_from(("utf-8", "utf-16", "latin-1"))))


_XML_ESCAPES = str.maketrans({"&": "&amp;", "<": "&lt;", ">": "&gt;"})


@st.composite
def feed_documents(draw: st.DrawFn) -> bytes:
    """RSS or Atom with random entries, sometimes invalid XML, entity bombs or external entities."""
    def value() -> str:
        text = draw(articleish_text)
        return text.translate(_XML_ESCAPES) if draw(st.booleans()) else text

    doctype = draw(st.sampled_from((
        "",
        '<!DOCTYPE rss [<!ENTITY xxe SYSTEM "file:///etc/passwd">]>',
        '<!DOCTYPE rss [<!ENTITY % p SYSTEM "http://127.0.0.1:9/x.dtd"> %p;]>',
        "<!DOCTYPE rss [" + '<!ENTITY a "aaaaaaaaaa">' + "".join(
            f'<!ENTITY {chr(98 + i)} "{("&" + chr(97 + i) + ";") * 10}">' for i in range(9)) + "]>",
    )))
    reference = draw(st.sampled_from(("", "&xxe;", "&j;", "&a;", "&nope;")))
    entries = draw(st.integers(0, 4))
    if draw(st.booleans()):
        items = "".join(
            f"<item><title>{value()}{reference}</title><description>{value()}</description>"
            f"<pubDate>{draw(st.sampled_from(FRAGMENTS))}</pubDate><link>{value()}</link></item>"
            for _ in range(entries))
        feed = f'<rss version="2.0"><channel><title>{value()}</title>{items}</channel></rss>'
    else:
        items = "".join(
            f'<entry><title type="html">{value()}{reference}</title><content type="html">{value()}</content>'
            f"<updated>{draw(st.sampled_from(FRAGMENTS))}</updated></entry>" for _ in range(entries))
        feed = f'<feed xmlns="http://www.w3.org/2005/Atom"><title>{value()}</title>{items}</feed>'
    cut = draw(st.sampled_from((None, None, None, 0.5, 0.9)))
    data = f'<?xml version="1.0" encoding="utf-8"?>{doctype}{feed}'.encode("utf-8", errors="surrogatepass")
    return data[: int(len(data) * cut)] if cut else data


json_values = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats() | hostile_text,
    lambda children: st.lists(children, max_size=4) | st.dictionaries(st.text(max_size=8), children, max_size=4),
    max_leaves=12,
)


@st.composite
def jsonl_documents(draw: st.DrawFn) -> bytes:
    """JSON Lines with good, odd and broken lines: wrong types, huge numbers, deep nesting, bad UTF-8."""
    lines = []
    for _ in range(draw(st.integers(1, 5))):
        kind = draw(st.integers(0, 5))
        if kind <= 1:
            obj = {"title": draw(hostile_text), "text": draw(articleish_text), "published": draw(st.sampled_from(FRAGMENTS))}
            obj.update(draw(st.dictionaries(st.sampled_from(("url", "source", "author", "language", "x")), json_values, max_size=3)))
            lines.append(json.dumps(obj, ensure_ascii=draw(st.booleans())).encode("utf-8", errors="surrogatepass"))
        elif kind == 2:
            lines.append(json.dumps(draw(json_values)).encode())
        elif kind == 3:
            lines.append(draw(st.sampled_from((b'{"text": 1e400}', b'{"text": "x", "title": -1e400}', b"[" * 100_000,
                                              b'{"text": "' + b"\xff\xfe" * 10 + b'"}', b'{"text": "\\ud800 alone"}',
                                              b'{"text": NaN}', b"{" * 3 + b"}"))))
        else:
            lines.append(draw(st.binary(max_size=200)))
    return draw(st.sampled_from((b"\n", b"\r\n"))).join(lines)


def warc_record(payload: bytes, declared: int | str | None = None, content_type: str = "text/html",
                rec_type: str = "response") -> bytes:
    """One WARC record around an HTTP response; `declared` replaces the true Content-Length (a lie)."""
    http = b"HTTP/1.1 200 OK\r\nContent-Type: " + content_type.encode() + b"\r\n\r\n" + payload
    length = str(len(http) if declared is None else declared).encode()
    return (b"WARC/1.0\r\nWARC-Type: " + rec_type.encode() + b"\r\nWARC-Target-URI: http://example.com/a\r\n"
            b"WARC-Date: 2024-01-01T00:00:00Z\r\nWARC-Record-ID: <urn:uuid:1>\r\n"
            b"Content-Type: application/http; msgtype=response\r\nContent-Length: " + length + b"\r\n\r\n" + http + b"\r\n\r\n")


@st.composite
def warc_documents(draw: st.DrawFn) -> bytes:
    """WARC archives whose records lie about their length, are cut short or gzipped per record."""
    records = []
    for _ in range(draw(st.integers(1, 3))):
        payload = draw(st.one_of(html_documents(), st.binary(max_size=300)))
        declared = draw(st.one_of(st.none(), st.none(), st.integers(-10, 10**6),
                                  st.sampled_from(("10" * 200, "1e400", "abc", "", "-0", " 12 ")))) 
        record = warc_record(payload, declared, draw(st.sampled_from(("text/html", "text/plain", "image/png"))),
                             draw(st.sampled_from(("response", "response", "request", "metadata", "bogus"))))
        records.append(gzip.compress(record) if draw(st.booleans()) else record)
    data = b"".join(records)
    cut = draw(st.sampled_from((None, None, 0.3, 0.99)))
    return data[: int(len(data) * cut)] if cut else data


any_input = st.one_of(st.binary(max_size=3000), encoded_text, html_documents(), feed_documents(), jsonl_documents(),
                      warc_documents())
"""Bytes of any input format, well-formed or not."""


@st.composite
def maybe_gzipped(draw: st.DrawFn, inner: st.SearchStrategy[bytes] = any_input) -> bytes:
    """Bytes as they are, gzipped, or gzipped and then truncated or corrupted."""
    data = draw(inner)
    how = draw(st.sampled_from(("plain", "plain", "gzip", "truncated", "corrupt")))
    if how == "plain":
        return data
    packed = gzip.compress(data)
    if how == "truncated":
        return packed[: draw(st.integers(2, max(2, len(packed) - 1)))]
    if how == "corrupt":
        at = draw(st.integers(10, max(10, len(packed) - 1)))
        return packed[:at] + bytes([packed[at] ^ 0xFF]) + packed[at + 1:] if at < len(packed) else packed
    return packed
