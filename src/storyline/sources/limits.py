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


def human_size(n: int) -> str:
    """Sizes in error messages are read by people; whole units are enough to act on."""
    if n >= MIB:
        value = n / MIB
        return f"{value:.0f} MB" if value >= 10 or value == int(value) else f"{value:.1f} MB"
    if n >= 1024:
        return f"{n / 1024:.0f} KB"
    return f"{n} bytes"
