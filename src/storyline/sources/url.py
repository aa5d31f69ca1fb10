"""Fetching a page or feed from an http(s) URL, with every network limit enforced while streaming."""

from __future__ import annotations

import ipaddress
import socket
import time
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from urllib.parse import urlsplit

import httpcore
import httpx

from storyline.model import ItemError, RawItem
from storyline.sources.feed import read_feed
from storyline.sources.html import read_html
from storyline.sources.limits import Limits, human_size
from storyline.sources.metadata import Given
from storyline.sources.sniff import binary_kind, sniff

FEED_TYPES = ("application/rss+xml", "application/atom+xml", "application/rdf+xml", "application/feed+json")
HTML_TYPES = ("text/html", "application/xhtml+xml")
REDIRECT_STATUSES = (301, 302, 303, 307, 308)

SocketOption = tuple[int, int, int | bytes] | tuple[int, int, None, int]


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
    """GET `url` within the limits; the one place the network is touched, so hardening goes here.

    Redirects are followed here, not by httpx, so every Location is held to the same rules as the URL
    the user gave: http(s) only, and (through `GuardedBackend`) public addresses only.
    """
    _require_http(url)
    deadline = time.monotonic() + limits.fetch_timeout
    current = url
    try:
        with httpx.Client(transport=_GuardedTransport(limits.allow_private), follow_redirects=False,
                          timeout=limits.fetch_timeout, headers={"User-Agent": limits.user_agent},
                          trust_env=False) as client:
            for _ in range(limits.max_redirects + 1):
                with client.stream("GET", current) as response:
                    location = response.headers.get("Location", "")
                    if response.status_code not in REDIRECT_STATUSES or not location:
                        return _read_body(response, limits, deadline)
                    current = redirect_target(str(response.url), location)
            raise FetchError(f"more than {limits.max_redirects} redirects (--max-redirects)")
    except AddressRefused as exc:
        raise FetchError(exc.reason(current)) from exc
    except httpx.TimeoutException as exc:
        raise FetchError(f"no answer within {limits.fetch_timeout:g} s (--fetch-timeout)", str(exc)) from exc
    except (httpx.InvalidURL, httpx.UnsupportedProtocol) as exc:
        raise FetchError(f"invalid or unsupported URL: {exc}") from exc
    except httpx.HTTPError as exc:
        raise FetchError(f"could not fetch the URL: {exc}", type(exc).__name__) from exc


def redirect_target(base: str, location: str) -> str:
    """Where a redirect leads; a Location may not leave http(s) (e.g. `file://`), however it is written."""
    try:
        target = str(httpx.URL(base).join(location))
    except httpx.InvalidURL as exc:
        raise FetchError(f"redirect to an invalid URL refused: {location!r}", str(exc)) from exc
    scheme = urlsplit(target).scheme.lower()
    if scheme not in ("http", "https"):
        raise FetchError(f"redirect to {location} refused: only http and https URLs can be fetched")
    return target


def _require_http(url: str) -> None:
    scheme = urlsplit(url).scheme.lower()
    if scheme not in ("http", "https"):
        raise FetchError(f"only http and https URLs can be fetched, not {scheme}://" if scheme else
                         "not a URL (expected http:// or https://)")


def _read_body(response: httpx.Response, limits: Limits, deadline: float) -> Fetched:
    if response.status_code >= 400:
        raise FetchError(f"server answered HTTP {response.status_code} {response.reason_phrase}")
    cap = limits.max_fetch_bytes
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


class AddressRefused(Exception):
    """A host that is, or resolves to, an address a fetch may not reach; raised before any connection."""

    def __init__(self, host: str, address: str, problem: str) -> None:
        super().__init__(f"address {address} is {problem}")
        self.host = host
        self.address = address
        self.problem = problem

    def reason(self, url: str) -> str:
        of_host = "" if self.host.strip("[]") == self.address else f" (of {self.host})"
        return (f"refusing to fetch {url}: address {self.address}{of_host} is {self.problem}; "
                "pass --allow-private-addresses to allow it")


def address_problem(address: ipaddress.IPv4Address | ipaddress.IPv6Address) -> str | None:
    """Why an address is off limits, or None for a public one.

    An IPv6 address that embeds an IPv4 one (IPv4-mapped `::ffff:a.b.c.d`, 6to4 `2002::/16`) is judged
    by the IPv4 address, since that is where the packets may end up.
    """
    if isinstance(address, ipaddress.IPv6Address):
        embedded = address.ipv4_mapped or address.sixtofour
        if embedded is not None:
            problem = address_problem(embedded)
            return None if problem is None else f"{problem} (embedded in {address})"
    for problem, flagged in (("unspecified", address.is_unspecified), ("loopback", address.is_loopback),
                             ("link-local", address.is_link_local), ("multicast", address.is_multicast),
                             ("reserved", address.is_reserved), ("private", address.is_private)):
        if flagged:
            return problem
    return None if address.is_global else "not publicly routable"


def resolve_checked(host: str, port: int, allow_private: bool) -> list[str]:
    """Every address `host` resolves to, in resolver order; refuses the host if any one is off limits.

    All of them are checked, not just the first, because a host can list a public and a private
    address and let the connection fall through to the private one. Raises OSError when the name
    does not resolve, `AddressRefused` for a refused address.
    """
    infos = socket.getaddrinfo(host.strip("[]"), port, type=socket.SOCK_STREAM)
    addresses = list(dict.fromkeys(str(info[4][0]) for info in infos))
    if not allow_private:
        for address in addresses:
            problem = address_problem(ipaddress.ip_address(address))
            if problem is not None:
                raise AddressRefused(host, address, problem)
    return addresses


class GuardedBackend(httpcore.NetworkBackend):
    """Connects only to addresses it has just checked, so DNS cannot answer differently in between.

    Every new connection, and so every redirect hop to a new host, comes through `connect_tcp`; the
    name is resolved once, checked, and the socket opened to the checked IP itself. TLS still verifies
    the certificate against the host name, which httpcore passes to the TLS layer separately.
    """

    def __init__(self, allow_private: bool) -> None:
        self._inner = httpcore.SyncBackend()
        self._allow_private = allow_private

    def connect_tcp(self, host: str, port: int, timeout: float | None = None, local_address: str | None = None,
                    socket_options: Iterable[SocketOption] | None = None) -> httpcore.NetworkStream:
        try:
            addresses = resolve_checked(host, port, self._allow_private)
        except OSError as exc:
            raise httpcore.ConnectError(f"could not resolve {host}: {exc}") from exc
        failure: httpcore.ConnectError | None = None
        for address in addresses:
            try:
                return self._inner.connect_tcp(address, port, timeout, local_address, socket_options)
            except httpcore.ConnectError as exc:
                failure = exc
        raise failure or httpcore.ConnectError(f"{host} has no address")

    def connect_unix_socket(self, path: str, timeout: float | None = None,
                            socket_options: Iterable[SocketOption] | None = None) -> httpcore.NetworkStream:
        raise httpcore.ConnectError("fetching never goes through a unix socket")

    def sleep(self, seconds: float) -> None:
        self._inner.sleep(seconds)


class _GuardedTransport(httpx.HTTPTransport):
    """httpx's transport with its connection pool built on `GuardedBackend`.

    httpx offers no public way to hand its pool a network backend, so the pool it builds is replaced
    with an equivalent one that has it (httpcore's own, documented `network_backend` parameter).
    """

    def __init__(self, allow_private: bool) -> None:
        super().__init__(trust_env=False)
        self._pool = httpcore.ConnectionPool(ssl_context=httpx.create_ssl_context(trust_env=False),
                                             network_backend=GuardedBackend(allow_private))


def read_url(url: str, limits: Limits, given: Given) -> Iterator[RawItem | ItemError]:
    """A fetched feed yields its entries; a fetched page is one item whose url is where we landed."""
    try:
        fetched = fetch(url, limits)
    except FetchError as exc:
        yield ItemError(url, 0, exc.reason, exc.detail)
        return
    kind = _kind(fetched)
    if kind == "feed":
        yield from read_feed(url, fetched.body, given, limits.parse_timeout)
    elif kind == "html":
        item = read_html(url, 0, fetched.body, url=fetched.url, fmt="url", timeout=limits.parse_timeout)
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
