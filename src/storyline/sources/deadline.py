"""A per-item time limit for parsers that can be made slow by their input (HTML extraction, feeds).

trafilatura, lxml and feedparser have no time limit of their own, and a page built to be slow would
otherwise hold the batch for as long as it takes. The limit is a `SIGALRM` timer, so it only works in
a process's main thread (the CLI and the API's ingest run there); in any other thread — Dask worker
threads — and on platforms without `setitimer` the parse runs unlimited, bounded by the size caps only.
"""

from __future__ import annotations

import signal
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from types import FrameType

# After the first alarm the timer keeps firing at this interval, so a parser that swallows the
# exception in a bare `except:` is interrupted again instead of running on.
_REPEAT_SECONDS = 0.25


class ParseTimeout(BaseException):
    """Raised inside a parser that ran over its time.

    A BaseException, like KeyboardInterrupt, so the `except Exception` blocks that libraries use to
    recover from bad markup do not swallow it.
    """


def _interrupt(signum: int, frame: FrameType | None) -> None:
    raise ParseTimeout


@contextmanager
def time_limit(seconds: float) -> Iterator[None]:
    """Raise ParseTimeout inside the block once it has run `seconds`; 0 or less means no limit.

    An alarm someone else has set (a test runner's timeout, an enclosing limit) is left alone: the
    block then runs under that one instead.
    """
    if (
        seconds <= 0
        or not hasattr(signal, "setitimer")
        or threading.current_thread() is not threading.main_thread()
        or signal.getitimer(signal.ITIMER_REAL)[0] > 0
    ):
        yield
        return
    previous = signal.signal(signal.SIGALRM, _interrupt)
    signal.setitimer(signal.ITIMER_REAL, seconds, _REPEAT_SECONDS)
    try:
        yield
    finally:
        signal.setitimer(signal.ITIMER_REAL, 0)
        signal.signal(signal.SIGALRM, previous)
