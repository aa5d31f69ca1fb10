"""The web reader in a real headless browser (Debian's chromium driven by Playwright).

Needs /usr/bin/chromium: `scripts/ensure_chromium.sh` installs it. Screenshots land in
`artifacts/screenshots/` for a person to look at.
"""

from __future__ import annotations

import socket
import threading
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest
import uvicorn

from storyline.api import create_app

CHROMIUM = Path("/usr/bin/chromium")
SHOTS = Path(__file__).resolve().parents[1] / "artifacts" / "screenshots"
TOKEN = "browser-test-token"
CHROMIUM_ARGS = ["--no-sandbox", "--disable-gpu", "--disable-background-networking", "--disable-component-update", "--no-first-run", "--disable-sync"]
PAYLOAD = "window.__xss = 1"
HOSTILE = {
    "title": f"<script>{PAYLOAD}</script>Hostile &amp; <b>bold</b> headline",
    "text": (
        f'Officials in Kyiv said an <img src=x onerror="{PAYLOAD}"> image and a <script>{PAYLOAD}</script> block arrived.\n\n'
        f'"Click <a href="javascript:{PAYLOAD}">here</a> now," Volodymyr Zelenskyy said on Monday. &lt;script&gt; and &quot;entities&quot; stay text.\n\n'
        f'<svg onload="{PAYLOAD}"></svg><iframe src="javascript:{PAYLOAD}"></iframe> About 5,000 people attended.'
    ),
    "published": "2025-05-05",
    "url": f"javascript:{PAYLOAD}",
    "source": f'<img src=x onerror="{PAYLOAD}">',
}


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


@pytest.fixture(scope="module")
def server(examples_store: Callable[[str], str]) -> Iterator[str]:
    if not CHROMIUM.exists():
        pytest.fail("browser tests need /usr/bin/chromium: run `sudo scripts/ensure_chromium.sh` (make test does)")
    db = examples_store("web")
    port = _free_port()
    app = create_app(db, token=TOKEN)
    config = uvicorn.Config(app, host="127.0.0.1", port=port, log_level="warning", lifespan="off")
    instance = uvicorn.Server(config)
    thread = threading.Thread(target=instance.run, daemon=True)
    thread.start()
    deadline = time.monotonic() + 30
    while not instance.started:
        if time.monotonic() > deadline or not thread.is_alive():
            pytest.fail("the test server did not start")
        time.sleep(0.05)
    url = f"http://127.0.0.1:{port}"
    report = httpx.post(f"{url}/api/v1/articles", json={"articles": [HOSTILE]}, headers={"Authorization": f"Bearer {TOKEN}"}, timeout=300).json()
    assert report["new"] == 1, report
    yield url
    instance.should_exit = True
    thread.join(timeout=10)


@pytest.fixture(scope="module")
def browser() -> Iterator[Any]:
    try:
        from playwright.sync_api import sync_playwright
    except ImportError:
        pytest.fail("browser tests need Playwright for Python: pip install playwright==1.65.2 (never `playwright install`)")
    if not CHROMIUM.exists():
        pytest.fail("browser tests need /usr/bin/chromium: run `sudo scripts/ensure_chromium.sh` (make test does)")
    with sync_playwright() as playwright:
        instance = playwright.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_ARGS)
        yield instance
        instance.close()


class Page:
    """A browser tab that records console errors and uncaught page errors."""

    def __init__(self, browser: Any, width: int = 1280, height: int = 900) -> None:
        self.page = browser.new_page(viewport={"width": width, "height": height})
        self.errors: list[str] = []
        self.page.on("console", lambda message: self.errors.append(message.text) if message.type == "error" else None)
        self.page.on("pageerror", lambda error: self.errors.append(str(error)))

    def shot(self, name: str) -> None:
        SHOTS.mkdir(parents=True, exist_ok=True)
        self.page.screenshot(path=str(SHOTS / f"{name}.png"), full_page=True)


@pytest.fixture
def tab(browser: Any) -> Iterator[Page]:
    page = Page(browser)
    yield page
    page.page.close()


def _open_nk_story(tab: Page, server: str) -> None:
    tab.page.goto(f"{server}/?entity=Kim+Jong+Un")
    cards = tab.page.locator(".story-card")
    assert cards.count() >= 1
    tab.page.locator(".story-card h2 a").first.click()
    tab.page.wait_for_load_state()
    assert "/stories/" in tab.page.url


def test_story_list(tab: Page, server: str) -> None:
    tab.page.goto(server + "/")
    cards = tab.page.locator(".story-card")
    assert cards.count() >= 2
    titles = " ".join(tab.page.locator(".story-card h2").all_inner_texts())
    stories = httpx.get(f"{server}/api/v1/stories", params={"limit": 50}).json()["items"]
    assert all(story["title"] in titles for story in stories[: cards.count()])
    assert tab.page.locator(".story-card svg.spark").count() == cards.count()
    tab.shot("story-list")
    assert tab.errors == []


def test_story_claim_changes_status(tab: Page, server: str) -> None:
    _open_nk_story(tab, server)
    page = tab.page
    history = page.locator("#claims .claim").filter(has=page.locator(".step .status-claimed")).filter(has=page.locator(".step .status-confirmed"))
    assert history.count() >= 1, "no claim shows claimed then confirmed"
    first = history.first
    first.scroll_into_view_if_needed()
    statuses = [s.strip().lower() for s in first.locator(".step .status").all_inner_texts()]
    assert statuses.index("claimed") < statuses.index("confirmed"), statuses
    link = first.locator(".step blockquote a").first
    href = link.get_attribute("href") or ""
    assert href.startswith("/articles/") and "mark=" in href
    assert page.locator("#numbers svg.chart").count() >= 1
    assert page.locator("#map svg.map circle.marker").count() >= 3
    tab.shot("story-nk")
    link.click()
    page.wait_for_load_state()
    target = page.locator("#mark")
    assert target.count() == 1 and target.is_visible()
    assert tab.errors == []


def test_timeline_order_toggle(tab: Page, server: str) -> None:
    _open_nk_story(tab, server)
    oldest = tab.page.locator(".timeline time").evaluate_all("els => els.map(e => e.getAttribute('datetime'))")
    tab.page.get_by_role("link", name="newest first").click()
    tab.page.wait_for_load_state()
    newest = tab.page.locator(".timeline time").evaluate_all("els => els.map(e => e.getAttribute('datetime'))")
    assert oldest == sorted(oldest) and newest == sorted(oldest, reverse=True) and len(oldest) >= 5


def test_article_quote_with_speaker(tab: Page, server: str) -> None:
    page = tab.page
    page.goto(f"{server}/search?q=%22sending+people+to+fight%22")
    page.locator(".hits h2 a").filter(has_text="Zelensky says").first.click()
    page.wait_for_load_state()
    quote = page.locator(".text mark.quote").filter(has=page.locator(".badge", has_text="Zelenskyy")).first
    assert quote.is_visible()
    tip = quote.get_attribute("data-tip") or ""
    assert "quote" in tip.lower() and "Zelenskyy" in tip
    quote.focus()
    shown = quote.evaluate("el => getComputedStyle(el, '::after').content")
    assert "Zelenskyy" in shown
    assert page.locator(".text .ent-person").count() >= 1 and page.locator(".text .num, .text .date").count() >= 1
    tab.shot("article-quote")
    assert tab.errors == []


def test_keyboard_reaches_highlights(tab: Page, server: str) -> None:
    page = tab.page
    page.goto(f"{server}/search?q=Kharkiv")
    page.locator(".hits h2 a").first.click()
    page.wait_for_load_state()
    for _ in range(60):
        page.keyboard.press("Tab")
        if page.evaluate("document.activeElement.closest('.text') !== null"):
            break
    else:
        pytest.fail("tabbing never reached the article's highlights")
    assert page.evaluate("document.activeElement.getAttribute('data-tip')")


def test_untrusted_text_never_runs(tab: Page, server: str) -> None:
    page = tab.page
    page.goto(f"{server}/search?q=hostile+headline")
    hits = page.locator(".hits h2 a")
    assert hits.count() == 1
    assert "<script>" in hits.first.inner_text()
    hits.first.click()
    page.wait_for_load_state()
    text = page.locator(".article").inner_text()
    assert "<img src=x onerror=" in text and "&lt;script&gt;" in text and "&quot;entities&quot;" in text
    tab.shot("hostile-article")
    for url in [page.url, f"{server}/", f"{server}/search?q=hostile", f"{server}/entities"]:
        page.goto(url)
        page.wait_for_timeout(100)
        assert page.evaluate("typeof window.__xss") == "undefined", url
        assert page.locator("script, img[src='x'], iframe, [onerror], [onload]").count() == 0, url
        assert page.locator("a[href^='javascript:' i]").count() == 0, url
    assert tab.errors == []


def test_phone_sized_screen(browser: Any, server: str) -> None:
    for path, name in [("/", "phone-list"), ("/search?q=Kursk", "phone-search")]:
        phone = Page(browser, width=390, height=844)
        phone.page.goto(server + path)
        overflow = phone.page.evaluate("document.documentElement.scrollWidth - window.innerWidth")
        assert overflow <= 1, f"{path} scrolls sideways on a phone by {overflow}px"
        phone.shot(name)
        assert phone.errors == []
        phone.page.close()
    phone = Page(browser, width=390, height=844)
    _open_nk_story(phone, server)
    assert phone.page.evaluate("document.documentElement.scrollWidth - window.innerWidth") <= 1
    phone.shot("phone-story")
    phone.page.close()


def test_docs_page_is_offline(tab: Page, server: str) -> None:
    requests: list[str] = []
    tab.page.on("request", lambda request: requests.append(request.url))
    tab.page.goto(server + "/docs")
    assert tab.page.locator("table.ops tr").count() > 10
    assert all(url.startswith(server) for url in requests), [u for u in requests if not u.startswith(server)]
    assert tab.errors == []
