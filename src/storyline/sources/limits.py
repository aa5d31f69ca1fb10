"""The caps every source respects, so one hostile or oversized input cannot exhaust memory or time."""

from __future__ import annotations

from dataclasses import dataclass

from storyline import __version__

MIB = 1024 * 1024


@dataclass(frozen=True, slots=True)
class Limits:
    """Per-run caps; the CLI exposes each as an option named in the error messages (`--max-bytes`, ...)."""

    max_bytes: int = 10 * MIB
    fetch_timeout: float = 20.0
    max_redirects: int = 5
    user_agent: str = f"storyline/{__version__} (+https://example.invalid/storyline)"
    max_fetch_bytes: int = 10 * MIB
    allow_private: bool = False
    """Fetch from loopback, private, link-local... addresses too; off so a URL cannot reach internal services."""
    parse_timeout: float = 30.0
    """Seconds one HTML page or one feed may take to parse (`--parse-timeout`); 0 turns the limit off."""
    max_expansion: int = 100
    """How many times its compressed size a gzip input may expand to, once past `max_bytes`
    (`--max-expansion`). Text and HTML compress 3 to 10 times; a decompression bomb, a thousand times."""
    max_chars: int = 100_000
    """Longest clean article (title and body, in characters) accepted for analysis (`--max-chars`).

    spaCy's parser needs about 1 GB of working memory per 100,000 characters, and no news article is
    that long (15,000 words); a longer text is a book, a dump or a concatenation, and becomes an error
    row instead of a stored article that would exhaust the analysis.
    """


def human_size(n: int) -> str:
    """Sizes in error messages are read by people; whole units are enough to act on."""
    if n >= MIB:
        value = n / MIB
        return f"{value:.0f} MB" if value >= 10 or value == int(value) else f"{value:.1f} MB"
    if n >= 1024:
        return f"{n / 1024:.0f} KB"
    return f"{n} bytes"
