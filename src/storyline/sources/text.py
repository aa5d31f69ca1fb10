"""Plain-text articles: decoding only; the cleaner splits title from body."""

from __future__ import annotations

import charset_normalizer

from storyline.model import ItemError, RawItem
from storyline.sources.sniff import binary_kind

# When detection ties (cp1250 and cp1252 decode most Western text equally "coherently"), prefer the
# encodings news sites actually used before UTF-8.
PREFERRED = ("cp1252", "latin_1", "iso8859_15", "cp1251", "koi8_r", "shift_jis", "euc_jp", "gb18030", "big5")


def decode(data: bytes) -> str:
    """Decode UTF-8 (with or without BOM), else the charset charset-normalizer finds most plausible,
    else UTF-8 with the odd broken sequence replaced (U+FFFD) when at most 1% of it is broken.

    Raises UnicodeDecodeError when nothing fits, so the caller can report undecodable bytes.
    """
    try:
        return data.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        matches = charset_normalizer.from_bytes(data)
        best = matches.best()
        if best is None:
            # A UTF-8 article with one stray byte (a cut multi-byte character) is still that article.
            lenient = data.decode("utf-8-sig", errors="replace")
            if lenient.count("\ufffd") <= max(1, len(lenient) // 100):
                return lenient
            raise exc
        tied = {m.encoding: m for m in matches
                if (m.percent_chaos, m.percent_coherence) == (best.percent_chaos, best.percent_coherence)}
        chosen = next((tied[name] for name in PREFERRED if name in tied), best)
        return str(chosen)


def read_text(name: str, data: bytes) -> RawItem | ItemError:
    """One text file is one article; its bytes are kept as `raw` for audit."""
    kind = binary_kind(data[:65536])
    if kind is not None:
        return ItemError(name, 0, f"binary file (looks like {kind}), not an article")
    try:
        text = decode(data)
    except UnicodeDecodeError as exc:
        return ItemError(name, 0, "text could not be decoded in any known character set", str(exc))
    if not text.strip():
        return ItemError(name, 0, "file is empty" if not data else "file holds only whitespace")
    return RawItem(input_name=name, position=0, format="text", raw=data, text=text, title=None)
