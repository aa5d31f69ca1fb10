"""Fetching a page or feed from an http(s) URL, with every network limit enforced while streaming."""

from __future__ import annotations

import time
from collections.abc import Iterator
from dataclasses import dataclass
from urllib.parse import urlsplit

import httpx

from storyline.model import ItemError, RawItem
from storyline.sources.feed import read_feed
from storyline.sources.html import read_html
from storyline.sources.limits import Limits, human_size
from storyline.sources.metadata import Given
from storyline.sources.sniff import binary_kind, sniff

FEED_TYPES = ("application/rss+xml", "application/atom+xml", "application/rdf+xml", "application/feed+json")
HTML_TYPES = ("text/html", "application/xhtml+xml")


def is_url(value: str) -> bool:
    """True for anything with a URL scheme, so that `ftp://...` is refused instead of read as a path."""
    scheme = urlsplit(value).scheme
    return len(scheme) > 1 and "://" in value


@dataclass(frozen=True, slots=True)
class Fetched:
    url: str
    content_type: str
    body: bytes


class FetchError(Exception):
    """A fetch that failed for a reason the user can act on (bad URL, unreachable host, too large...)."""

    def __init__(self, reason: str, detail: str = "") -> None:
        super().__init__(reason)
        self.reason = reason
        self.detail = detail


def fetch(url: str, limits: Limits) -> Fetched:
    """GET `url` within the limits; the one place the network is touched, so hardening goes here."""
    scheme = urlsplit(url).scheme.lower()
    if scheme not in ("http", "https"):
        raise FetchError(f"only http and https URLs can be fetched, not {scheme}://" if scheme else
                         "not a URL (expected http:// or https://)")
    deadline = time.monotonic() + limits.fetch_timeout
    cap = limits.max_fetch_bytes
    try:
        with (
            httpx.Client(follow_redirects=True, max_redirects=limits.max_redirects, timeout=limits.fetch_timeout,
                         headers={"User-Agent": limits.user_agent}) as client,
            client.stream("GET", url) as response,
        ):
            if response.status_code >= 400:
                raise FetchError(f"server answered HTTP {response.status_code} {response.reason_phrase}")
            declared = response.headers.get("Content-Length", "")
            if declared.isdigit() and int(declared) > cap:
                raise FetchError(f"response is {human_size(int(declared))}, over the {human_size(cap)} "
                                 "limit (--max-fetch-bytes)")
            chunks: list[bytes] = []
            size = 0
            for chunk in response.iter_bytes():
                size += len(chunk)
                if size > cap:
                    raise FetchError(f"response is over the {human_size(cap)} limit (--max-fetch-bytes)")
                if time.monotonic() > deadline:
                    raise FetchError(f"download took longer than {limits.fetch_timeout:g} s (--fetch-timeout)")
                chunks.append(chunk)
            content_type = response.headers.get("Content-Type", "").split(";")[0].strip().lower()
            return Fetched(str(response.url), content_type, b"".join(chunks))
    except httpx.TooManyRedirects as exc:
        raise FetchError(f"more than {limits.max_redirects} redirects (--max-redirects)", str(exc)) from exc
    except httpx.TimeoutException as exc:
        raise FetchError(f"no answer within {limits.fetch_timeout:g} s (--fetch-timeout)", str(exc)) from exc
    except (httpx.InvalidURL, httpx.UnsupportedProtocol) as exc:
        raise FetchError(f"invalid or unsupported URL: {exc}") from exc
    except httpx.HTTPError as exc:
        raise FetchError(f"could not fetch the URL: {exc}", type(exc).__name__) from exc


def read_url(url: str, limits: Limits, given: Given) -> Iterator[RawItem | ItemError]:
    """A fetched feed yields its entries; a fetched page is one item whose url is where we landed."""
    try:
        fetched = fetch(url, limits)
    except FetchError as exc:
        yield ItemError(url, 0, exc.reason, exc.detail)
        return
    kind = _kind(fetched)
    if kind == "feed":
        yield from read_feed(url, fetched.body, given)
    elif kind == "html":
        item = read_html(url, 0, fetched.body, url=fetched.url, fmt="url")
        yield given.override(item) if isinstance(item, RawItem) else item
    else:
        yield ItemError(url, 0, f"URL returned {kind}, not an HTML page or a feed")


def _kind(fetched: Fetched) -> str:
    """Trust a specific content type; sniff generic ones (`text/xml` may be a feed or XHTML)."""
    if fetched.content_type.startswith(FEED_TYPES):
        return "feed"
    if fetched.content_type.startswith(HTML_TYPES):
        return "html"
    binary = binary_kind(fetched.body[:65536])
    if binary is not None:
        return binary
    sniffed = sniff(fetched.body[:65536])
    return sniffed if sniffed in ("feed", "html") else f"{fetched.content_type or 'content of unknown type'}"
