"""Near-duplicate detection on real news text: syndicated copies found, different reports not."""

from __future__ import annotations

import itertools
import json
import os
import re
import subprocess
import sys
from pathlib import Path

import pytest

from storyline.clean import CleanError, clean
from storyline.dedup import DedupConfig, band_keys, signature, similarity
from storyline.model import Article, RawItem

DATA = Path(__file__).resolve().parents[2] / "shared" / "data" / "ukraine-news" / "articles.jsonl"
CONFIG = DedupConfig()
WORD = re.compile(r"\w+")

BOILERPLATE_A = ["Advertisement", "Share this article", "Read more: Live updates", "Sign up for our newsletter"]
BOILERPLATE_B = ["ADVERTISEMENT", "Click here to get the app", "Follow us on Twitter", "© 2024 Other Media"]


def _exact_jaccard(a: str, b: str, width: int = CONFIG.shingle_words) -> float:
    """Jaccard of word shingles computed directly, independent of MinHash."""

    def shingles(text: str) -> set[tuple[str, ...]]:
        words = WORD.findall(text.casefold())
        return {tuple(words[i : i + width]) for i in range(max(1, len(words) - width + 1))}

    left, right = shingles(a), shingles(b)
    return len(left & right) / len(left | right)


@pytest.fixture(scope="module")
def articles() -> list[Article]:
    """Distinct cleaned ukraine-news articles long enough to be worth deduplicating."""
    if not DATA.is_file():
        pytest.skip(f"evaluation data not found at {DATA}")
    by_hash: dict[str, Article] = {}
    with DATA.open(encoding="utf-8") as lines:
        for position, line in enumerate(lines):
            row = json.loads(line)
            item = RawItem("ukraine-news", position, "jsonl", line.encode(), text=row["text"], title=row["title"])
            try:
                article = clean(item)
            except CleanError:
                continue
            if len(WORD.findall(article.text)) >= 250:
                by_hash.setdefault(article.content_hash, article)
    return list(by_hash.values())


def _with_boilerplate(article: Article, lines: list[str]) -> str:
    paragraphs = article.text.split("\n\n")
    out = [lines[0]]
    for index, paragraph in enumerate(paragraphs):
        out.append(paragraph)
        if index % 3 == 1:
            out.append(lines[(index // 3 + 1) % len(lines)])
    out.append(lines[-1])
    return "\n\n".join(out)


def test_signature_is_compact_and_self_similar() -> None:
    sig = signature("The council met on Tuesday and agreed on the budget for next year.")
    assert isinstance(sig, bytes) and len(sig) == 4 * CONFIG.num_perm
    assert similarity(sig, sig) == 1.0
    assert signature("") != sig
    assert signature("THE council met, on Tuesday — and agreed on the budget for next year!") == sig


def test_band_keys_are_short_and_config_specific() -> None:
    sig = signature("Some text about a meeting of ministers in Brussels on Monday morning.")
    keys = band_keys(sig)
    assert len(keys) == CONFIG.bands and len(set(keys)) == CONFIG.bands
    assert all(len(key) <= 24 and key.isascii() for key in keys)
    other = DedupConfig(threshold=0.5)
    assert not set(band_keys(sig, other)) & set(keys)
    assert CONFIG.bands * CONFIG.rows <= CONFIG.num_perm
    with pytest.raises(ValueError):
        band_keys(sig[:-4])
    with pytest.raises(ValueError):
        similarity(sig, sig[:-4])


@pytest.mark.parametrize("kwargs", [{"threshold": 0.0}, {"threshold": 1.5}, {"num_perm": 1}, {"shingle_words": 0}])
def test_config_rejects_nonsense(kwargs: dict[str, float]) -> None:
    with pytest.raises(ValueError):
        DedupConfig(**kwargs)


def test_signatures_identical_across_fresh_processes() -> None:
    text = "Ukraine said on Friday that Russian forces had shelled the city overnight, killing three people."
    script = (
        "import sys; from storyline.dedup import band_keys, signature; "
        "s = signature(sys.argv[1]); print(s.hex()); print(','.join(band_keys(s)))"
    )
    outputs = set()
    for hash_seed in ("1", "12345"):
        env = {**os.environ, "PYTHONHASHSEED": hash_seed}
        result = subprocess.run(
            [sys.executable, "-c", script, text], capture_output=True, text=True, check=True, env=env
        )
        outputs.add(result.stdout)
    assert len(outputs) == 1
    sig = signature(text)
    assert outputs == {f"{sig.hex()}\n{','.join(band_keys(sig))}\n"}


def test_same_text_with_different_boilerplate_is_found(articles: list[Article]) -> None:
    """Even uncleaned, two scrapes of one text differing only in furniture lines are near duplicates."""
    assert len(articles) > 100
    checked = 0
    for article in articles[:40]:
        left_text = _with_boilerplate(article, BOILERPLATE_A)
        right_text = _with_boilerplate(article, BOILERPLATE_B)
        if _exact_jaccard(left_text, right_text) < 0.85:
            continue
        left, right = signature(left_text), signature(right_text)
        assert similarity(left, right) >= CONFIG.threshold, article.id
        assert set(band_keys(left)) & set(band_keys(right)), article.id
        checked += 1
    assert checked >= 30


def test_rescrape_variants_clean_to_the_same_article(articles: list[Article]) -> None:
    for position, article in enumerate(articles[:20]):
        copies = [
            clean(RawItem("a", position, "jsonl", b"a", text=_with_boilerplate(article, BOILERPLATE_A), title=article.title or None)),
            clean(RawItem("b", position, "jsonl", b"b", text=_with_boilerplate(article, BOILERPLATE_B), title=article.title or None)),
        ]
        assert copies[0].content_hash == copies[1].content_hash == article.content_hash


def test_edited_copy_is_found(articles: list[Article]) -> None:
    """A syndicated copy that cut its last paragraph and reworded a sentence is still a near duplicate."""
    checked = 0
    for article in articles:
        paragraphs = article.text.split("\n\n")
        if len(paragraphs) < 12:
            continue
        edited = paragraphs[:-1]
        edited[2] = edited[2].replace(" said", " told reporters", 1)
        copy = "\n\n".join(edited)
        if _exact_jaccard(article.text, copy) < 0.85:
            continue
        left, right = signature(article.text), signature(copy)
        assert similarity(left, right) >= CONFIG.threshold, article.id
        assert set(band_keys(left)) & set(band_keys(right)), article.id
        checked += 1
    assert checked >= 10


def test_different_articles_on_the_same_topic_are_not_found(articles: list[Article]) -> None:
    topical = [a for a in articles if "Zelensky" in a.text and "Putin" in a.text][:60]
    assert len(topical) >= 30
    sigs = {a.id: signature(a.text) for a in topical}
    keys = {a.id: set(band_keys(sigs[a.id])) for a in topical}
    compared = 0
    for a, b in itertools.combinations(topical, 2):
        exact = _exact_jaccard(a.text, b.text)
        if exact < 0.5:
            assert similarity(sigs[a.id], sigs[b.id]) < CONFIG.threshold, (a.id, b.id)
            compared += 1
        if exact < 0.1:
            assert not keys[a.id] & keys[b.id], (a.id, b.id)
    assert compared > 400


def test_estimate_tracks_exact_jaccard(articles: list[Article]) -> None:
    for article in articles[:30]:
        words = article.text.split()
        for keep in (0.3, 0.6, 0.9):
            head = " ".join(words[: int(len(words) * keep)])
            exact = _exact_jaccard(" ".join(words), head)
            assert abs(similarity(signature(" ".join(words)), signature(head)) - exact) < 0.15


def test_lsh_finds_every_real_near_duplicate_pair(articles: list[Article]) -> None:
    """Over the real corpus, every pair whose signatures agree above the threshold shares a band key."""
    sigs = [signature(a.text) for a in articles]
    keys = [set(band_keys(s)) for s in sigs]
    for i, j in itertools.combinations(range(len(articles)), 2):
        if similarity(sigs[i], sigs[j]) >= CONFIG.threshold:
            assert keys[i] & keys[j], (articles[i].id, articles[j].id)
