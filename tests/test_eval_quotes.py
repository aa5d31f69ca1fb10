"""The PolNeAR reader and the attribution scorer, on hand-made brat files and then on the real split."""

from __future__ import annotations

from pathlib import Path

import pytest

from storyline.evaluate import quotes as task
from storyline.evaluate.quotes import Attribution, from_quotes, read_brat, score
from storyline.model import Quote

POLNEAR = Path(__file__).resolve().parents[2] / "shared" / "data" / "polnear"

TEXT = "“We will win,” Smith said. Taxes will rise, Jones warned. Nobody knows why."
ANN = (
    "T1\tContent 1 13\tWe will win,\n"
    "T2\tSource 15 20\tSmith\n"
    "T3\tCue 21 25\tsaid\n"
    "T4\tAttribution 21 25\tsaid\n"
    "E1\tAttribution:T4 Content:T1 Cue:T3 Source:T2\n"
    "T5\tContent 27 42\tTaxes will rise\n"
    "T6\tSource 44 49\tJones\n"
    "T7\tCue 50 56\twarned\n"
    "T8\tAttribution 50 56\twarned\n"
    "E2\tAttribution:T8 Content:T5 Cue:T7 Source:T6\n"
    "T9\tDiscard 58 64\tNobody\n"
)


def _chars(start: int, end: int) -> frozenset[int]:
    return frozenset(range(start, end))


def test_read_brat_joins_roles_and_ignores_flags() -> None:
    relations = read_brat(ANN + "T10\tContent 0 3;5 9\tx\nE3\tAttribution:T4 Content:T10 Content2:T5\n")
    assert relations[0] == Attribution(_chars(15, 20), _chars(1, 13))
    assert relations[1] == Attribution(_chars(44, 49), _chars(27, 42))
    assert relations[2] == Attribution(frozenset(), _chars(0, 3) | _chars(5, 9) | _chars(27, 42))
    assert len(relations) == 3


def test_score_counts_content_and_source_matches() -> None:
    gold = read_brat(ANN)
    predicted = [
        Attribution(_chars(15, 20), _chars(0, 14)),  # right content, right source
        Attribution(_chars(0, 5), _chars(27, 35)),  # 8 of 15 gold chars, wrong source
        Attribution(frozenset(), _chars(58, 75)),  # nothing there
    ]
    result = score([(predicted, gold)])
    assert (result["content_matched"], result["attribution_matched"]) == (2, 1)
    assert result["content_precision"] == pytest.approx(2 / 3, abs=1e-4)
    assert result["content_recall"] == 1.0
    assert result["attribution_precision"] == pytest.approx(1 / 3, abs=1e-4)
    assert result["attribution_recall"] == 0.5
    assert result["attribution_f1"] == pytest.approx(0.4, abs=1e-4)


def test_matching_is_one_to_one_and_needs_half_the_gold_content() -> None:
    gold = [Attribution(frozenset(), _chars(0, 10))]
    twice = [Attribution(frozenset(), _chars(0, 10)), Attribution(frozenset(), _chars(0, 10))]
    assert score([(twice, gold)])["content_matched"] == 1
    too_little = [Attribution(frozenset(), _chars(0, 4))]
    assert score([(too_little, gold)])["content_matched"] == 0


def _quote(content: tuple[int, int], cue: tuple[int, int] | None, speaker: tuple[int, int] | None) -> Quote:
    return Quote(
        article_id="a", start=0, end=99, kind="direct", content="", content_start=content[0],
        content_end=content[1], speaker_start=speaker[0] if speaker else None,
        speaker_end=speaker[1] if speaker else None, cue_start=cue[0] if cue else None,
        cue_end=cue[1] if cue else None,
    )


def test_quotes_sharing_a_cue_are_one_attribution() -> None:
    found = [
        _quote((0, 5), (10, 14), (6, 9)),
        _quote((20, 30), (10, 14), (6, 9)),
        _quote((40, 45), None, None),
    ]
    relations = from_quotes(found)
    assert sorted(relations, key=lambda r: min(r.content)) == [
        Attribution(_chars(6, 9), _chars(0, 5) | _chars(20, 30)),
        Attribution(frozenset(), _chars(40, 45)),
    ]


def test_evaluate_on_a_hand_made_split(tmp_path: Path) -> None:
    (tmp_path / "dev" / "text").mkdir(parents=True)
    (tmp_path / "dev" / "attributions").mkdir()
    (tmp_path / "dev" / "text" / "a.txt").write_text(TEXT, encoding="utf-8")
    (tmp_path / "dev" / "attributions" / "a_0001.ann").write_text(ANN, encoding="utf-8")
    (tmp_path / "dev" / "attributions" / "a_0002.ann").write_text("", encoding="utf-8")
    result = task.evaluate(tmp_path)
    assert result["articles"] == 1
    assert result["gold"] == 2
    assert result["attribution_recall"] == 1.0
    assert result["baseline"]["attribution_matched"] == 1


@pytest.mark.skipif(not (POLNEAR / "dev").is_dir(), reason=f"PolNeAR not found under {POLNEAR}")
def test_evaluate_reads_the_real_dev_split() -> None:
    result = task.evaluate(POLNEAR, limit=1)
    assert result["dataset"] == "PolNeAR dev"
    assert result["gold"] > 0
    assert 0.0 <= result["attribution_f1"] <= 1.0 and 0.0 <= result["content_f1"] <= 1.0


def test_recall_on_quoted_gold_only_counts_quoted_content(tmp_path: Path) -> None:
    (tmp_path / "text").mkdir()
    (tmp_path / "attributions").mkdir()
    (tmp_path / "text" / "a.txt").write_text(TEXT, encoding="utf-8")
    (tmp_path / "attributions" / "a_0001.ann").write_text(ANN, encoding="utf-8")
    result = task.evaluate(tmp_path)
    assert result["quoted_gold"]["gold"] == 1
    assert result["quoted_gold"]["attribution_recall"] == 1.0
