"""The TempEval-3 timex scorer on a hand-made TimeML document, so every metric can be seen to fail."""

from __future__ import annotations

from pathlib import Path

import pytest

from storyline.evaluate import timex

TML = """<?xml version="1.0" ?>
<TimeML>
<DOCID>TEST1</DOCID>
<DCT><TIMEX3 tid="t0" type="DATE" value="1998-02-06" temporalFunction="false" functionInDocument="CREATION_TIME">19980206</TIMEX3></DCT>
<TEXT>
Prices <EVENT eid="e1" class="OCCURRENCE">fell</EVENT> <TIMEX3 tid="t1" type="DATE" value="1998-02-05" temporalFunction="true" anchorTimeID="t0">yesterday</TIMEX3> &amp; the index lost ground for <TIMEX3 tid="t2" type="DURATION" value="P3W">three weeks</TIMEX3>.
The plan was agreed <TIMEX3 tid="t3" type="DATE" value="1997">last year</TIMEX3> in a hall 1900 feet wide.
</TEXT>
</TimeML>
"""


@pytest.fixture()
def corpus(tmp_path: Path) -> Path:
    folder = tmp_path / "TinyBank"
    folder.mkdir()
    (folder / "TEST1.tml").write_text(TML, encoding="utf-8")
    return tmp_path


def test_reader_keeps_offsets_into_plain_text(corpus: Path) -> None:
    doc = timex.read(corpus / "TinyBank" / "TEST1.tml", "TinyBank")
    assert "<" not in doc.text and "&amp;" not in doc.text and "&" in doc.text
    assert [doc.text[t.start:t.end] for t in doc.timexes] == ["yesterday", "three weeks", "last year"]
    assert [t.value for t in doc.timexes] == ["1998-02-05", "P3W", "1997"]
    assert doc.dct.date().isoformat() == "1998-02-06"


def test_score_counts_strict_relaxed_and_values() -> None:
    gold = [[timex.Timex(0, 9, "DATE", "1998-02-05"), timex.Timex(20, 31, "DURATION", "P3W")]]
    predicted = [[timex.Timex(0, 9, "DATE", "1998-02-05"), timex.Timex(24, 31, "DATE", "PXW"),
                  timex.Timex(40, 45, "DATE", "1997")]]
    result = timex.score(gold, predicted)
    assert result["relaxed"] == {"precision": round(2 / 3, 4), "recall": 1.0, "f1": 0.8}
    assert result["strict"] == {"precision": round(1 / 3, 4), "recall": 0.5, "f1": 0.4}
    assert result["value_accuracy"] == 0.5 and result["value_f1"] == 0.4
    assert result["type_accuracy"] == 0.5 and result["type_f1"] == 0.4


def test_one_system_span_matches_one_gold_span() -> None:
    gold = [[timex.Timex(0, 5, "DATE", "1998"), timex.Timex(6, 10, "DATE", "1999")]]
    predicted = [[timex.Timex(0, 10, "DATE", "1998")]]
    result = timex.score(gold, predicted)
    assert result["relaxed"]["recall"] == 0.5 and result["relaxed"]["precision"] == 1.0


def test_evaluate_runs_system_and_baseline(corpus: Path) -> None:
    result = timex.evaluate(corpus)
    assert result["documents"] == 1 and result["gold"] == 3
    assert result["value_f1"] == 1.0, result
    assert result["baseline"]["gold"] == 3
    assert result["baseline"]["value_f1"] < result["value_f1"]
