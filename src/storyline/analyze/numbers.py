"""Reading numbers written in digits, words or both ("10,000", "twenty four", "1.2 million", "a dozen").

Dates and quantities both need this, and news mixes the forms freely, so one reader serves both.
"""

from __future__ import annotations

import re

UNITS: dict[str, int] = {
    "zero": 0, "one": 1, "two": 2, "three": 3, "four": 4, "five": 5, "six": 6, "seven": 7,
    "eight": 8, "nine": 9, "ten": 10, "eleven": 11, "twelve": 12, "thirteen": 13, "fourteen": 14,
    "fifteen": 15, "sixteen": 16, "seventeen": 17, "eighteen": 18, "nineteen": 19,
}
TENS: dict[str, int] = {
    "twenty": 20, "thirty": 30, "forty": 40, "fifty": 50, "sixty": 60, "seventy": 70, "eighty": 80,
    "ninety": 90,
}
SCALES: dict[str, float] = {
    "hundred": 1e2, "thousand": 1e3, "million": 1e6, "billion": 1e9, "trillion": 1e12,
    "k": 1e3, "m": 1e6, "mn": 1e6, "mln": 1e6, "bn": 1e9, "b": 1e9, "tn": 1e12, "trn": 1e12,
}
FEW: dict[str, int] = {"a": 1, "an": 1, "single": 1, "a single": 1, "a couple of": 2, "a couple": 2,
                       "couple of": 2, "a pair of": 2, "dozen": 12, "a dozen": 12, "half a dozen": 6,
                       "a few": 3, "few": 3, "several": 3}
"""Words that stand for a number; "a few" and "several" are vague and callers treat them as unknown."""

VAGUE = frozenset({"a few", "few", "several"})

NUMBER_WORDS = frozenset(UNITS) | frozenset(TENS) | {"hundred", "thousand", "million", "billion",
                                                      "trillion", "dozen"}
_DIGITS = re.compile(r"^[+-]?(?:\d{1,3}(?:,\d{3})+|\d+)(?:\.\d+)?$")


def parse(text: str) -> float | None:
    """The number a phrase spells, or None when it is not a number (or only a vague one)."""
    words = text.lower().replace("-", " ").replace("\u2013", " ").split()
    if not words:
        return None
    phrase = " ".join(words)
    if phrase in FEW:
        return None if phrase in VAGUE else float(FEW[phrase])
    total = 0.0
    current = 0.0
    seen = False
    for i, word in enumerate(words):
        word = word.strip(".,")
        if word == "and" and seen:
            continue
        if word in ("a", "an") and i == 0 and len(words) > 1:
            current = 1.0
            seen = True
            continue
        if word == "half" and i == 0 and len(words) > 1:
            current = 0.5
            seen = True
            continue
        if _DIGITS.match(word):
            if seen and current:
                return None
            current = float(word.replace(",", ""))
            seen = True
        elif word in UNITS:
            current += UNITS[word]
            seen = True
        elif word in TENS:
            current += TENS[word]
            seen = True
        elif word == "dozen":
            current = (current or 1) * 12
            seen = True
        elif word in SCALES and seen:
            scale = SCALES[word]
            if scale == 100:
                current = (current or 1) * 100
            else:
                total += (current or 1) * scale
                current = 0.0
        else:
            return None
    return total + current if seen else None


def split_glued(token: str) -> tuple[str, str] | None:
    """Split "50bn" / "2.5m" / "10k" into number and scale word, as headlines write them."""
    match = re.fullmatch(r"(\d+(?:[.,]\d+)*)(k|m|mn|bn|b|tn|trn)", token.lower())
    return (match.group(1), match.group(2)) if match else None
