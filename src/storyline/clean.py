"""Turn a RawItem into an Article: repaired, normalised text without page furniture.

Cleaning decides what text every later stage sees and every span points into, so it must never invent
or silently drop text: each line it cuts is kept in `Article.removed` with the reason. It runs on every
article, so everything here is linear in the input; patterns only ever run on short lines or on a
bounded prefix, so hostile input (huge lines, odd unicode) cannot make it hang.
"""

from __future__ import annotations

import email.utils
import hashlib
import re
import unicodedata
from dataclasses import dataclass
from datetime import UTC, datetime
from functools import lru_cache
from importlib import resources
from pathlib import PurePath

import charset_normalizer
import ftfy

from storyline.model import Article, RawItem, RemovedLine

__all__ = ["CleanError", "clean", "content_hash", "item_key"]

# Curly quotes and dashes carry meaning (quote boundaries, ranges); ftfy would otherwise straighten them.
_FTFY_CONFIG = ftfy.TextFixerConfig(uncurl_quotes=False, explain=False)

# ftfy's scan for mojibake costs milliseconds per article, so only text that could need it goes
# through ftfy: a possible mojibake pair (a UTF-8 lead byte read as Latin-1/cp1252, cp1251, Mac Roman
# or cp437, then a non-ASCII character), C1 controls, HTML entities, terminal escapes, ligatures and
# full-width forms. Everything ftfy would do to other text, `_normalise` does itself.
_MAYBE_BROKEN = re.compile(
    r"[\xc2-\xf4\u0420\u0421\u201a\u0393][^\x00-\x7f]|[\x80-\x9f&\x1b\ufb00-\ufb4f\uff00-\uffef]"
)
# Rounds of repair before the text is taken as it is; real mojibake settles in two.
_REPAIR_ROUNDS = 4
# Rounds of cutting furniture, headings and datelines; each round after the first finds little.
_CUT_ROUNDS = 4
# Lexicon patterns only ever see lines up to this length: a longer line is a paragraph, not furniture.
_MAX_BOILERPLATE_LINE = 250
# A stray heading is short; a paragraph is not.
_MAX_HEADING_WORDS = 9
_MAX_HEADING_CHARS = 100
# Datelines are searched in this many leading paragraphs (a photo caption or byline may come first);
# scraped pages sometimes repeat one, but never many times.
_DATELINE_PARAGRAPHS = 3
_MAX_DATELINES = 4
_DATELINE_PREFIX_CHARS = 160
_PUBLISHED_MAX_CHARS = 100
# Without a given title, the first line is taken as the headline only when it can be one.
_MAX_TITLE_CHARS = 200

_SENTENCE_END = frozenset(".!?…:;\"”’'»)]")
_HEADING_END = frozenset(".!?…:;,")
# How much of a paragraph's end is read to tell whether it stops inside a quotation.
_QUOTE_WINDOW = 500
_WHITESPACE = re.compile("[\t\x0b\x0c\xa0\u1680\u2000-\u200a\u202f\u205f\u3000]")
_INVISIBLE = re.compile("[\xad\u180e\u200b\u2060\ufeff]")
_CONTROL = re.compile(r"[\x00-\x08\x0e-\x1f\x7f-\x9f]")
_LONE_SURROGATE = re.compile(r"[\ud800-\udfff]")
_LINE_BREAK = re.compile(r"\r\n|[\r\n]")
_SPACES = re.compile(r" {2,}")
_NON_WORD = re.compile(r"[\W_]+")
_QUOTE_MARK = re.compile(r'[“”"]')
_TWO_WORD_CHARS = re.compile(r"\w\w")

_AGENCY = r"(?:Reuters|AP|AFP|CNN|UPI|Xinhua|Bloomberg|dpa|PAP|TASS|Interfax|Ukrinform|Yonhap|Kyodo|ANI|PTI|IANS)"
_MONTH = r"(?:Jan|Feb|Mar|Apr|May|Jun|Jul|Aug|Sep|Sept|Oct|Nov|Dec)[a-z]{0,6}\.?"
_CAPS_PLACE = r"[A-Z][A-Z'’.\-]{1,20}(?: [A-Z][A-Z'’.\-]{0,20}){0,3}"
_TITLE_PLACE = r"[A-Z][a-z'’.\-]{1,20}(?: [A-Z][a-z'’.\-]{1,20}){0,2}"
_REGION = r"(?:, [A-Z][A-Za-z.'’\-]{0,20}(?: [A-Z][A-Za-z.'’\-]{0,20}){0,2})?"
_DATE = rf"(?:,? (?:{_MONTH} \d{{1,2}}(?:, \d{{4}})?|\d{{1,2}} {_MONTH}(?: \d{{4}})?))?"
_PAREN_SOURCE = r"(?: ?\([A-Za-z][\w .&/\-]{0,30}\))"
_DASH = r" ?[-—–]{1,2}(?: |$)"
_DATELINES = (
    re.compile(rf"(?:{_CAPS_PLACE}{_REGION}{_DATE}{_PAREN_SOURCE}?|{_AGENCY}){_DASH}"),
    re.compile(rf"{_TITLE_PLACE}{_REGION}{_DATE}(?:{_PAREN_SOURCE}| {_AGENCY}){_DASH}"),
    re.compile(rf"\({_CAPS_PLACE}\) (?=[A-Z\"“])"),
)
_BYLINE = re.compile(r"by:? +(.{2,90})", re.IGNORECASE)
_BYLINE_END = re.compile(r" \| | [-—–] | (?:updated|posted|published)\b", re.IGNORECASE)
_BYLINE_CONNECTORS = frozenset(
    "and & of the for in at de da del di du van von der den le la al el bin ibn y".split()
)


class CleanError(ValueError):
    """An item that cannot become an article; the message says why, for the `ingest_errors` row."""


@dataclass(frozen=True, slots=True)
class _Lexicon:
    pattern: re.Pattern[str]
    reasons: tuple[str, ...]

    def reason(self, line: str) -> str | None:
        """The lexicon reason when the whole line is boilerplate."""
        if len(line) > _MAX_BOILERPLATE_LINE:
            return None
        match = self.pattern.fullmatch(line)
        if match is None or match.lastgroup is None:
            return None
        return self.reasons[int(match.lastgroup[1:])]


@lru_cache(maxsize=1)
def _lexicon() -> _Lexicon:
    """Compile the shipped lexicon into one alternation, one named group (r0, r1, ...) per reason."""
    text = resources.files("storyline").joinpath("data/boilerplate.txt").read_text(encoding="utf-8")
    groups: dict[str, list[str]] = {}
    reason = ""
    for raw_line in text.splitlines():
        line = raw_line.strip()
        if not line or line.startswith("#"):
            continue
        if line.startswith("[") and line.endswith("]"):
            reason = line[1:-1]
            continue
        if not reason:
            raise ValueError(f"boilerplate lexicon: pattern before any [reason] header: {line!r}")
        try:
            re.compile(line)
        except re.error as error:
            raise ValueError(f"boilerplate lexicon: bad pattern {line!r}: {error}") from error
        groups.setdefault(reason, []).append(line)
    reasons = tuple(groups)
    alternation = "|".join(
        f"(?P<r{index}>" + "|".join(f"(?:{p})" for p in groups[r]) + ")" for index, r in enumerate(reasons)
    )
    return _Lexicon(re.compile(alternation, re.IGNORECASE), reasons)


def item_key(item: RawItem) -> str:
    """Identity of the input item itself, so re-ingesting the same file or line is recognised.

    An item is its bytes at a place: its URL when it has one, else its file name and position in
    the file. A copy under another name is then a new item (recorded as a duplicate), while the
    same folder ingested again, by any path spelling, is recognised as already stored.
    """
    raw_digest = hashlib.sha256(item.raw).hexdigest()
    place = item.url or f"{PurePath(item.input_name).name}#{item.position}"
    return hashlib.sha256(f"{place}\0{raw_digest}".encode()).hexdigest()


def _fold(text: str) -> str:
    """Casefolded words only: quotes, dashes, punctuation and spacing differences do not matter."""
    return _NON_WORD.sub(" ", text.casefold()).strip()


def content_hash(title: str, text: str) -> str:
    """Hash of the content as a reader sees it, so trivially different copies hash the same."""
    return hashlib.sha256(f"{_fold(title)}\n{_fold(text)}".encode()).hexdigest()


def _decode(raw: bytes) -> str:
    try:
        return raw.decode("utf-8-sig")
    except UnicodeDecodeError:
        best = charset_normalizer.from_bytes(raw).best()
        return str(best) if best is not None else raw.decode("utf-8", errors="replace")


def _normalise(text: str) -> list[str]:
    """Repair and normalise text, returning its lines stripped, with blank lines as ''.

    Repair runs again while it still changes something (a few rounds at most): one ftfy pass can
    leave mojibake that the next pass fixes, and deleting a control character can join two halves
    of a mojibake pair; stopping at a fixed point keeps cleaning idempotent.
    """
    text = _LONE_SURROGATE.sub("\ufffd", text)
    for _ in range(_REPAIR_ROUNDS):
        before = text
        if _MAYBE_BROKEN.search(text):
            text = ftfy.fix_text(text, _FTFY_CONFIG)
        text = unicodedata.normalize("NFC", _INVISIBLE.sub("", _WHITESPACE.sub(" ", text)))
        text = _CONTROL.sub("", text.replace("\r\n", "\n").replace("\r", "\n"))
        if text == before:
            break
    return [_SPACES.sub(" ", line).strip() for line in text.split("\n")]


def _blocks(lines: list[str]) -> list[list[str]]:
    """Group lines into blocks separated by blank lines."""
    blocks: list[list[str]] = [[]]
    for line in lines:
        if line:
            blocks[-1].append(line)
        elif blocks[-1]:
            blocks.append([])
    return [block for block in blocks if block]


def _hard_wrapped(block: list[str]) -> bool:
    """Whether a block's lines are one paragraph wrapped at a fixed width (e-mail style text)."""
    if len(block) < 2:
        return False
    widest = max(len(line) for line in block)
    return widest <= 100 and all(len(line) >= max(30, 0.6 * widest) for line in block[:-1])


def _paragraphs(lines: list[str]) -> list[str]:
    """Paragraphs: one per line, except hard-wrapped blocks which are re-flowed into one."""
    paragraphs: list[str] = []
    for block in _blocks(lines):
        if _hard_wrapped(block):
            paragraphs.append(" ".join(block))
        else:
            paragraphs.extend(block)
    return paragraphs


def _byline_author(line: str) -> str | None:
    """The author named by a byline line ("By Jane Doe, Reuters"), or None when it is not one."""
    match = _BYLINE.fullmatch(line)
    if match is None:
        return None
    rest = match.group(1).strip()
    if not rest or rest[-1] in "!?" or (rest[-1] == "." and len(rest.rsplit(" ", 1)[-1]) > 3):
        return None
    words = rest.replace(",", " ").replace("|", " ").split()
    if len(words) > 12 or not words[0][0].isupper():
        return None
    if not all(w[0].isupper() or not w[0].isalpha() or w.lower() in _BYLINE_CONNECTORS for w in words):
        return None
    names = _BYLINE_END.split(rest, maxsplit=1)[0]
    head, comma, last = names.rpartition(",")
    if comma and len(last.split()) <= 3 and " and " not in last and "&" not in last:
        names = head  # "Jane Doe, Reuters", "Jane Doe, Staff Writer": the outlet or role, not a name
    return names.strip(" ,")


def _dateline(paragraph: str) -> str | None:
    """The dateline opening a paragraph ("KYIV, Oct 25 (Reuters) -"), or None."""
    head = paragraph[:_DATELINE_PREFIX_CHARS]
    for pattern in _DATELINES:
        match = pattern.match(head)
        if match is None:
            continue
        prefix = match.group(0).strip()
        rest = paragraph[match.end() : match.end() + 2].strip()
        if not rest:
            return prefix
        if (rest[0].isupper() or rest[0] in "\"“‘'" or rest[0].isdigit()) and paragraph[-1] in _SENTENCE_END:
            return prefix
    return None


def _opens(paragraph: str, match: re.Match[str]) -> bool:
    """Whether a double quotation mark opens a quote.

    Straight quotes open when they follow a space, the start or an opening bracket or dash, so mixed
    straight and curly marks (common in machine-translated text) still pair up.
    """
    if match.group(0) != '"':
        return match.group(0) == "“"
    start = match.start()
    before = paragraph[start - 1] if start else " "
    return before.isspace() or before in "([{—–-"


def _has_open_quote(paragraph: str) -> bool:
    """Whether the paragraph ends inside a quotation that has begun with words after its mark."""
    open_at: list[int] = []
    for match in _QUOTE_MARK.finditer(paragraph):
        if _opens(paragraph, match):
            open_at.append(match.start())
        elif open_at:
            open_at.pop()
    return bool(open_at) and _TWO_WORD_CHARS.search(paragraph, open_at[-1]) is not None


def _closes_quote(paragraph: str) -> bool:
    """Whether the paragraph begins inside a quotation: words, then a closing mark first."""
    first = _QUOTE_MARK.search(paragraph)
    if first is None or _opens(paragraph, first):
        return False
    return _TWO_WORD_CHARS.search(paragraph, 0, first.start()) is not None


def _heading_like(line: str) -> bool:
    return (
        len(line) <= _MAX_HEADING_CHARS
        and len(line.split()) <= _MAX_HEADING_WORDS
        and line[-1] not in _HEADING_END
        and (line[0].isupper() or line[0].isdigit())
    )


def _interrupts(previous: str, following: str) -> bool:
    """Whether `following` continues the sentence `previous` left unfinished."""
    if _has_open_quote(previous):
        return _closes_quote(following)
    return previous[-1] not in _SENTENCE_END and following[0].islower()


def _repeats_title(line: str, title: str, title_words: list[str]) -> bool:
    """Whether the line is the title, or a headline-like part of it (a scraped sub-heading).

    A lede that words the title as a finished sentence is text, not a repeat: only a line ending
    like the title does counts.
    """
    if not title_words or len(line) > 2 * len(title) + 20:
        return False
    words = _fold(line).split()
    if not words:
        return False
    if words == title_words:
        return not line.endswith(".") or title.endswith(".")
    if not _heading_like(line) or len(words) < min(3, len(title_words)):
        return False
    width = len(words)
    return any(title_words[i : i + width] == words for i in range(len(title_words) - width + 1))


@dataclass(slots=True)
class _Cleaning:
    """The state of one article's cleaning: what is kept, what was cut and what was learnt."""

    title: str
    paragraphs: list[str]
    removed: list[RemovedLine]
    meta: dict[str, object]
    author: str | None

    def drop_furniture(self) -> None:
        """Cut lexicon boilerplate and bylines, which are furniture wherever they appear."""
        lexicon = _lexicon()
        kept: list[str] = []
        for paragraph in self.paragraphs:
            reason = lexicon.reason(paragraph)
            if reason is None:
                author = _byline_author(paragraph)
                if author is not None:
                    self.meta.setdefault("byline", paragraph)
                    self.author = self.author or author
                    reason = "byline"
            if reason is None:
                kept.append(paragraph)
            else:
                self.removed.append(RemovedLine(paragraph, reason))
        self.paragraphs = kept

    def drop_dateline(self) -> None:
        """Move datelines opening the leading paragraphs to meta; a dateline is never the story.

        Every dateline in the window is cut (scraped pages often repeat one), so cleaning clean text
        finds nothing more to cut.
        """
        kept: list[str] = []
        for index, paragraph in enumerate(self.paragraphs):
            if len(kept) >= _DATELINE_PARAGRAPHS:
                kept.extend(self.paragraphs[index:])
                break
            prefix = _dateline(paragraph)
            for _ in range(_MAX_DATELINES):
                if prefix is None:
                    break
                self.meta.setdefault("dateline", prefix)
                self.removed.append(RemovedLine(prefix, "dateline"))
                paragraph = paragraph[len(prefix) :].strip()
                prefix = _dateline(paragraph) if paragraph else None
            if paragraph:
                kept.append(paragraph)
        self.paragraphs = kept

    def drop_stray_headings(self) -> None:
        """Cut title repeats and headings that split a sentence, re-joining the split paragraph."""
        title_words = _fold(self.title).split()
        kept: list[list[str]] = []  # each paragraph as the pieces removed headings had split it into
        # The end of each kept paragraph, bounded, so many re-joins cost linear time, not quadratic.
        tails: list[str] = []
        paragraphs = self.paragraphs
        index = 0
        while index < len(paragraphs):
            line = paragraphs[index]
            following = paragraphs[index + 1] if index + 1 < len(paragraphs) else None
            interrupting = (
                bool(kept)
                and following is not None
                and _heading_like(line)
                and _interrupts(tails[-1], following)
            )
            if _repeats_title(line, self.title, title_words):
                self.removed.append(RemovedLine(line, "title repeated"))
            elif interrupting:
                self.removed.append(RemovedLine(line, "stray heading"))
            else:
                kept.append([line])
                tails.append(line[-_QUOTE_WINDOW:])
                index += 1
                continue
            if interrupting and following is not None:
                kept[-1].append(following)
                tails[-1] = f"{tails[-1]} {following[-_QUOTE_WINDOW:]}"[-_QUOTE_WINDOW:]
                index += 1
            index += 1
        self.paragraphs = [" ".join(pieces) for pieces in kept]


def _split_title(item: RawItem, lines: list[str]) -> tuple[str, list[str]]:
    """The title and the body lines; without a given title, the first line that is not furniture.

    Furniture before that line (a dateline, a byline, a share button) stays in the body lines so the
    body's cleaning records it like any other. A first line that cannot be a headline (a long
    paragraph, a finished sentence) stays in the body and the title is empty: many scraped texts
    start straight with the story, and a lone paragraph must not vanish into the title. A given title
    is the title even when it is empty or normalises to nothing: the item says it has none, so no line
    is guessed as one. That keeps cleaning idempotent, and an exported article without a title
    re-ingests as itself instead of losing its first paragraph to a guessed headline.
    """
    if item.title is not None:
        # Lines are joined before repair, not after, so the joint cannot form new mojibake ("Â" + " ").
        return " ".join(line for line in _normalise(_LINE_BREAK.sub(" ", item.title)) if line), lines
    lexicon = _lexicon()
    for index, line in enumerate(lines):
        if (
            line
            and lexicon.reason(line) is None
            and _byline_author(line) is None
            and _dateline(line) != line
        ):
            if len(line) > _MAX_TITLE_CHARS or (line[-1] == "." and not line.endswith("..")):
                return "", lines
            return line, lines[:index] + lines[index + 1 :]
    return "", lines


def _parse_published(value: str, language: str | None) -> datetime | None:
    """A timezone-aware UTC datetime from ISO, RFC 822 or other absolute date strings, else None."""
    text = value.strip()
    if not text or len(text) > _PUBLISHED_MAX_CHARS:
        return None
    parsed: datetime | None = None
    try:
        parsed = datetime.fromisoformat(text)
    except ValueError:
        try:
            parsed = email.utils.parsedate_to_datetime(text)
        except (TypeError, ValueError, IndexError):
            parsed = _dateparser_parse(text, language)
    if parsed is None:
        return None
    if parsed.tzinfo is None:
        return parsed.replace(tzinfo=UTC)
    try:
        return parsed.astimezone(UTC)
    except OverflowError:  # e.g. 9999-12-31T23:59-14:00, which is in the year 10000 in UTC
        return None


def _dateparser_parse(text: str, language: str | None) -> datetime | None:
    """Absolute dates only, with every part given: a relative or partial date would depend on today.

    Languages are English plus the item's own: letting dateparser detect among all its locales costs
    seconds per process and guesses.
    """
    import dateparser  # slow to import; only needed for the rare non-ISO, non-RFC date

    settings = {
        "PARSERS": ["timestamp", "custom-formats", "absolute-time"],
        "REQUIRE_PARTS": ["day", "month", "year"],
        "TIMEZONE": "UTC",
        "RETURN_AS_TIMEZONE_AWARE": True,
    }
    try:
        languages = ["en"] if language in (None, "en") else ["en", language]
        return dateparser.parse(text, languages=languages, settings=settings)
    except (ValueError, OverflowError, TypeError):
        return None


def clean(item: RawItem, max_chars: int | None = None) -> Article:
    """Clean one item; raises CleanError when nothing of an article remains or, with `max_chars`, when
    the clean title and body together are longer than that (too long to analyze)."""
    text = item.text if item.text is not None else _decode(item.raw)
    title, body_lines = _split_title(item, _normalise(text))
    meta: dict[str, object] = dict(item.meta)
    state = _Cleaning(title, _paragraphs(body_lines), [], meta, item.author)
    # Each cut can expose another (a dateline cut leaves a paragraph that is a stray heading), so the
    # rules run again until they cut nothing: cleaning clean text then changes nothing.
    for _ in range(_CUT_ROUNDS):
        before = len(state.paragraphs), len(state.removed)
        state.drop_furniture()
        state.drop_stray_headings()
        state.drop_dateline()
        if (len(state.paragraphs), len(state.removed)) == before:
            break
    body = "\n\n".join(state.paragraphs)
    if not body:
        raise CleanError(f"no article text after cleaning ({len(state.removed)} boilerplate lines removed)")
    length = len(title) + 2 + len(body) if title else len(body)
    if max_chars is not None and length > max_chars:
        raise CleanError(f"article is {length:,} characters long, over the {max_chars:,} limit (--max-chars)")
    published = _parse_published(item.published, item.language) if item.published is not None else None
    if item.published is not None and published is None:
        meta["published_raw"] = item.published
    digest = content_hash(title, body)
    return Article(
        id=digest[:16],
        content_hash=digest,
        item_key=item_key(item),
        title=title,
        text=body,
        published=published,
        url=item.url,
        source=item.source,
        author=state.author,
        language=item.language,
        input_name=item.input_name,
        position=item.position,
        format=item.format,
        raw=item.raw,
        removed=tuple(state.removed),
        meta=meta,
    )
