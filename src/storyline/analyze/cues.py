"""The lexicon of speech and reporting cues, shipped as data so it can be reviewed and extended."""

from __future__ import annotations

from dataclasses import dataclass
from functools import lru_cache
from importlib.resources import files


@dataclass(frozen=True)
class CueLexicon:
    """Verb and noun lemmas that introduce what somebody said, claimed or believes; `clause_only` verbs
    (think, show, find) attribute a proposition only through a reported clause, never through an object."""

    verbs: frozenset[str]
    nouns: frozenset[str]
    clause_only: frozenset[str]


@lru_cache(maxsize=1)
def load() -> CueLexicon:
    """Read `data/speech_verbs.txt` once per process; the file is the single source of the cues."""
    verbs: set[str] = set()
    nouns: set[str] = set()
    clause_only: set[str] = set()
    text = files("storyline.data").joinpath("speech_verbs.txt").read_text(encoding="utf-8")
    for line in text.splitlines():
        line = line.strip()
        if not line or line.startswith("#"):
            continue
        lemma, pos, *flags = line.split()
        (verbs if pos == "VERB" else nouns).add(lemma)
        if "clause" in flags:
            clause_only.add(lemma)
    return CueLexicon(frozenset(verbs), frozenset(nouns), frozenset(clause_only))
