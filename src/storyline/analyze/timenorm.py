"""Normalising one time expression to a TIMEX3 value, given the publication date and the tense around it.

The relative-date logic is our own because the right answer depends on the clause: "On Friday" in a
past-tense sentence is the Friday before publication, "this Sunday" in a plan is the one after.
Absolute strings no rule here understands fall back to dateparser (with relative parsing disabled).
Values follow TimeML conventions ("1998-Q3", "1998-W12", "P3Y", "PAST_REF"); `earliest`/`latest` are
the ISO calendar days the value covers, so linking can compare dates of any granularity.
"""

from __future__ import annotations

import calendar
import re
from dataclasses import dataclass
from datetime import date, timedelta
from typing import Literal

import dateparser

from storyline.analyze import numbers

Direction = Literal[-1, 0, 1]
"""-1: the clause talks about the past, 1: about the future, 0: cannot tell (news defaults to past)."""


@dataclass(frozen=True, slots=True)
class Resolved:
    type: Literal["DATE", "TIME", "DURATION", "SET"]
    value: str
    earliest: str | None = None
    latest: str | None = None


MONTHS: dict[str, int] = {}
for _i, _name in enumerate(calendar.month_name):
    if _name:
        MONTHS[_name.lower()] = _i
        MONTHS[_name[:3].lower()] = _i
MONTHS["sept"] = 9
WEEKDAYS: dict[str, int] = {}
for _i, _name in enumerate(calendar.day_name):
    WEEKDAYS[_name.lower()] = _i
    WEEKDAYS[_name[:3].lower()] = _i
WEEKDAYS.update({"tues": 1, "weds": 2, "thur": 3, "thurs": 3})

ORDINALS = {"first": 1, "second": 2, "third": 3, "fourth": 4, "1st": 1, "2nd": 2, "3rd": 3, "4th": 4,
            "final": 4, "last": 4}
PARTS = {"morning": "MO", "afternoon": "AF", "evening": "EV", "night": "NI", "overnight": "NI"}
SEASONS = {"spring": ("SP", 3, 5), "summer": ("SU", 6, 8), "fall": ("FA", 9, 11), "autumn": ("FA", 9, 11),
           "winter": ("WI", 12, 2)}
UNIT_CODES = {"second": "S", "minute": "M", "hour": "H", "day": "D", "night": "D", "week": "W",
              "month": "M", "year": "Y", "quarter": "Q", "decade": "DE", "century": "CE", "weekend": "WE"}
UNIT_WORDS = "|".join(UNIT_CODES) + "|centuries|yr|yrs|hr|hrs|min|mins|sec|secs"
UNIT_ALIASES = {"centuries": "century", "yr": "year", "yrs": "year", "hr": "hour", "hrs": "hour",
                "min": "minute", "mins": "minute", "sec": "second", "secs": "second"}
ADVERBS = {"daily": "P1D", "weekly": "P1W", "monthly": "P1M", "yearly": "P1Y", "annually": "P1Y", "quarterly": "P3M", "hourly": "PT1H", "nightly": "P1D", "biweekly": "P2W"}
REFS = {
    "now": "PRESENT_REF", "right now": "PRESENT_REF", "currently": "PRESENT_REF", "current": "PRESENT_REF",
    "present": "PRESENT_REF", "the present": "PRESENT_REF", "nowadays": "PRESENT_REF",
    "these days": "PRESENT_REF", "at present": "PRESENT_REF", "today's": "PRESENT_REF",
    "recently": "PAST_REF", "recent": "PAST_REF", "lately": "PAST_REF", "the past": "PAST_REF",
    "previously": "PAST_REF", "formerly": "PAST_REF", "once": "PAST_REF", "earlier": "PAST_REF",
    "then": "PAST_REF", "in the past": "PAST_REF",
    "soon": "FUTURE_REF", "the future": "FUTURE_REF", "future": "FUTURE_REF", "the near future": "FUTURE_REF",
    "later": "FUTURE_REF", "eventually": "FUTURE_REF", "the short term": "FUTURE_REF",
    "the long term": "FUTURE_REF", "the near term": "FUTURE_REF", "shortly": "FUTURE_REF",
    "the coming": "FUTURE_REF", "down the road": "FUTURE_REF",
}

_MONTH = r"(jan(?:uary)?|feb(?:ruary)?|mar(?:ch)?|apr(?:il)?|may|june?|july?|aug(?:ust)?|sept?(?:ember)?|oct(?:ober)?|nov(?:ember)?|dec(?:ember)?)"
_WEEKDAY = r"(mon(?:day)?|tue(?:s(?:day)?)?|wed(?:nesday)?|thu(?:r(?:s(?:day)?)?)?|fri(?:day)?|sat(?:urday)?|sun(?:day)?)"
_DAYNUM = r"(\d{1,2})(?:st|nd|rd|th)?"
_YEAR = r"(\d{4}|'\d\d)"
_NUMWORD = r"((?:\d+(?:[.,]\d+)?|an?|one|two|three|four|five|six|seven|eight|nine|ten|eleven|twelve|" \
    r"a couple of|couple of|thirteen|fourteen|fifteen|sixteen|seventeen|eighteen|nineteen|twenty|thirty|forty|fifty|sixty|" \
    r"seventy|eighty|ninety|hundred|thousand|half|a half|a couple of|a dozen|dozen|couple)" \
    r"(?:[\s-]+(?:and[\s-]+)?(?:one|two|three|four|five|six|seven|eight|nine|hundred|a half|half))*)"
_VAGUE = r"(several|a few|few|many|some|the next few|the past few|the last few|recent|coming|the coming|" \
    r"the past several|the last several|the next several|numerous|multiple|countless)"

_LEADING = re.compile(r"^(?:(?:and|or|to|on|in|at|by|during|since|until|till|from|for|of|as of|around|about|"
                      r"approximately|roughly|nearly|almost|some|just|only|over|more than|less than|"
                      r"at least|within|through|throughout|after|before|as early as|as soon as)\s+)+")
_MODIFIER = re.compile(r"^(?:the\s+)?(early|late|mid|the middle of|the end of|the beginning of|the start of|"
                       r"the first half of|the second half of|end of|start of|beginning of|middle of|"
                       r"earlier|later|the rest of|the remainder of)[\s-]+")


def _iso(d: date) -> str:
    return d.isoformat()


def day(d: date, part: str | None = None, kind: Literal["DATE", "TIME"] = "TIME") -> Resolved:
    """One calendar day, or a part of it (TIMEX3 "1998-02-06TMO")."""
    if part:
        return Resolved(kind, f"{_iso(d)}T{part}", _iso(d), _iso(d))
    return Resolved("DATE", _iso(d), _iso(d), _iso(d))


def month(year: int, m: int) -> Resolved:
    last = calendar.monthrange(year, m)[1]
    return Resolved("DATE", f"{year:04d}-{m:02d}", f"{year:04d}-{m:02d}-01", f"{year:04d}-{m:02d}-{last:02d}")


def year_of(year: int) -> Resolved:
    return Resolved("DATE", f"{year:04d}", f"{year:04d}-01-01", f"{year:04d}-12-31")


def week_of(d: date) -> Resolved:
    iso = d.isocalendar()
    monday = d - timedelta(days=d.weekday())
    return Resolved("DATE", f"{iso[0]:04d}-W{iso[1]:02d}", _iso(monday), _iso(monday + timedelta(days=6)))


def quarter(year: int, q: int) -> Resolved:
    first = date(year, 3 * q - 2, 1)
    last_month = 3 * q
    last = date(year, last_month, calendar.monthrange(year, last_month)[1])
    return Resolved("DATE", f"{year:04d}-Q{q}", _iso(first), _iso(last))


def half(year: int, h: int) -> Resolved:
    return Resolved("DATE", f"{year:04d}-H{h}", f"{year:04d}-{1 if h == 1 else 7:02d}-01",
                    f"{year:04d}-{6 if h == 1 else 12:02d}-{30 if h == 1 else 31}")


def season(year: int, name: str) -> Resolved:
    code, first, last = SEASONS[name]
    end_year = year + 1 if last < first else year
    end = date(end_year, last, calendar.monthrange(end_year, last)[1])
    return Resolved("DATE", f"{year:04d}-{code}", f"{year:04d}-{first:02d}-01", _iso(end))


def decade(start: int) -> Resolved:
    return Resolved("DATE", f"{start // 10:03d}", f"{start:04d}-01-01", f"{start + 9:04d}-12-31")


def _shift_month(year: int, m: int, delta: int) -> tuple[int, int]:
    index = year * 12 + (m - 1) + delta
    return index // 12, index % 12 + 1


def _weekday(anchor: date, wd: int, direction: int, strict: bool = False) -> date:
    """The weekday nearest the anchor on the side the tense points to (the anchor itself counts
    unless `strict`: "last Friday" said on a Friday means a week ago)."""
    if direction > 0:
        delta = (wd - anchor.weekday()) % 7
        if delta == 0 and strict:
            delta = 7
        return anchor + timedelta(days=delta)
    delta = (anchor.weekday() - wd) % 7
    if delta == 0 and strict:
        delta = 7
    return anchor - timedelta(days=delta)


def _nearest_year(anchor: date, m: int, d: int, direction: int) -> int:
    """The year of a month (and day) written without one. With a tense, the latest such date on its
    side of publication (a month of slack covers a misread clause); without, the nearest to two months
    before publication, since news mostly reports what has happened."""
    candidates = [date(y, m, d) for y in (anchor.year - 1, anchor.year, anchor.year + 1) if _safe_date(y, m, d)]
    if not candidates:
        return anchor.year
    slack = timedelta(days=30)
    # At the edges of the calendar (year 1, year 9999) no candidate may lie on the tense's side.
    if direction < 0:
        return max((c for c in candidates if c <= anchor + slack), default=candidates[0]).year
    if direction > 0:
        return min((c for c in candidates if c >= anchor - slack), default=candidates[-1]).year
    target = anchor - timedelta(days=60)
    return min(candidates, key=lambda c: abs((c - target).days)).year


def _month_year(anchor: date, m: int, direction: int) -> int:
    return _nearest_year(anchor, m, 15, direction)


def _day_year(anchor: date, m: int, d: int, direction: int) -> int:
    return _nearest_year(anchor, m, d, direction)


def _safe_date(y: int, m: int, d: int) -> date | None:
    try:
        return date(y, m, d)
    except ValueError:
        return None


def _year(text: str) -> int:
    if text.startswith("'"):
        short = int(text[1:])
        return 1900 + short if short > 30 else 2000 + short
    return int(text)


def duration(count: str, unit: str) -> Resolved | None:
    unit = UNIT_ALIASES.get(unit, unit)
    code = UNIT_CODES.get(unit)
    if code is None:
        return None
    if unit == "weekend":
        return Resolved("DURATION", f"P{count}D" if count == "X" else f"P{int(count) * 2}D")
    if unit == "quarter" and count != "X":
        return Resolved("DURATION", f"P{_num(float(count) * 3)}M")
    if unit == "decade" and count != "X":
        return Resolved("DURATION", f"P{_num(float(count) * 10)}Y")
    if unit == "century" and count != "X":
        return Resolved("DURATION", f"P{_num(float(count) * 100)}Y")
    if unit in ("hour", "minute", "second"):
        if count not in ("X",) and "." in count:
            smaller = {"hour": ("M", 60), "minute": ("S", 60), "second": ("S", 1)}[unit]
            return Resolved("DURATION", f"PT{_num(float(count) * smaller[1])}{smaller[0]}")
        return Resolved("DURATION", f"PT{count}{code}")
    if count not in ("X",) and "." in count:
        smaller = {"year": ("M", 12), "month": ("D", 30), "week": ("D", 7), "day": ("H", 24)}.get(unit)
        if smaller:
            prefix = "PT" if smaller[0] == "H" else "P"
            return Resolved("DURATION", f"{prefix}{_num(float(count) * smaller[1])}{smaller[0]}")
    return Resolved("DURATION", f"P{count}{code}")


def _num(value: float) -> str:
    return str(int(value)) if value == int(value) else f"{value:g}"


def _unit(word: str) -> str:
    word = word.lower()
    if word in UNIT_ALIASES:
        return UNIT_ALIASES[word]
    if word.endswith("ies"):
        return word[:-3] + "y"
    return word[:-1] if word.endswith("s") and word[:-1] in UNIT_CODES else word


def _narrow(res: Resolved, mod: str) -> Resolved:
    """Keep the value (TIMEX3 puts "early"/"end of" in a separate `mod`) but narrow the covered range."""
    if res.earliest is None or res.latest is None or res.type not in ("DATE", "TIME"):
        return res
    first, last = date.fromisoformat(res.earliest), date.fromisoformat(res.latest)
    span = (last - first).days + 1
    if span < 3:
        return res
    third = max(span // 3, 1)
    if mod in ("early", "the beginning of", "the start of", "start of", "beginning of", "the first half of"):
        last = first + timedelta(days=third - 1 if "half" not in mod else span // 2 - 1)
    elif mod in ("late", "the end of", "end of", "the second half of", "the rest of", "the remainder of"):
        first = last - timedelta(days=third - 1 if "half" not in mod else span // 2 - 1)
    elif mod in ("mid", "the middle of", "middle of"):
        first, last = first + timedelta(days=third), last - timedelta(days=third)
    return Resolved(res.type, res.value, _iso(first), _iso(last))


def clean(text: str) -> str:
    t = text.lower().replace("\u2019", "'").replace("\u2013", "-").replace("\u2014", "-")
    t = re.sub(r"\s+", " ", t).strip(" ,.;:\"'()")
    t = re.sub(r"\b(jan|feb|mar|apr|jun|jul|aug|sep|sept|oct|nov|dec)\.", r"\1", t)
    t = re.sub(r"\b(a|p)\.m\b\.?", r"\1m", t)
    return _LEADING.sub("", t)


def normalise(text: str, anchor: date | None, direction: int = 0) -> Resolved | None:
    """TIMEX3 type, value and covered range of a time expression, or None when it is not one we read."""
    t = clean(text)
    if not t:
        return None
    mod_match = _MODIFIER.match(t)
    if mod_match and mod_match.end() < len(t):
        inner = normalise(t[mod_match.end():], anchor, direction)
        if inner is not None:
            return _narrow(inner, mod_match.group(1))
    for rule in (_refs, _sets, _absolute, _time_of_day, _relative_day, _weekday_rule, _ago, _durations,
                 _relative_unit, _month_rule, _year_rule, _season_rule, _holiday):
        try:
            res = rule(t, anchor, direction)
        except (OverflowError, ValueError):
            # How `datetime` refuses a date outside years 1 to 9999 ("next Friday" published on
            # 9999-12-31, "in 99999 years"): such an expression has no calendar value to give.
            return None
        if res is not None:
            return res
    return _fallback(t)


def _refs(t: str, anchor: date | None, direction: int) -> Resolved | None:
    if t in REFS:
        value = REFS[t]
        if anchor is not None and value == "PRESENT_REF":
            return Resolved("DATE", value, _iso(anchor), _iso(anchor))
        return Resolved("DATE", value)
    match = re.fullmatch(r"(?:in )?recent (day|week|month|year|decade|quarter)s", t)
    if match:
        unit = match.group(1)
        res = duration("X", unit)
        if res is None:
            return None
        if anchor is None:
            return res
        back = {"day": 7, "week": 42, "month": 180, "year": 1095, "decade": 7300, "quarter": 365}[unit]
        return Resolved(res.type, res.value, _iso(anchor - timedelta(days=back)), _iso(anchor))
    return None


def _sets(t: str, anchor: date | None, direction: int) -> Resolved | None:
    if t in ADVERBS:
        return Resolved("SET", ADVERBS[t])
    t = re.sub(r"^(?:once|twice|three times|several times|\d+ times|many times) (?:a|an|per|every|each) ", "every ", t)
    match = re.fullmatch(r"(?:every|each|per) (other )?(?:single )?(\w+?)s?( nights?| mornings?| evenings?| afternoons?)?", t)
    if match:
        word = match.group(2)
        if word in WEEKDAYS and match.group(0).split()[0] in ("every", "each"):
            part = PARTS.get((match.group(3) or "").strip().rstrip("s"))
            return Resolved("SET", f"XXXX-WXX-{WEEKDAYS[word] + 1}" + (f"T{part}" if part else ""))
        unit = _unit(word)
        if unit in UNIT_CODES and unit != "weekend":
            res = duration("2" if match.group(1) else "1", unit)
            return Resolved("SET", res.value) if res else None
    match = re.fullmatch(_WEEKDAY + r"(?:s|s?( nights| mornings| evenings| afternoons))", t)
    if match and t not in ("mons", "sats", "suns", "tues", "thurs"):
        wd = WEEKDAYS.get(match.group(1))
        if wd is not None:
            part = PARTS.get((match.group(2) or "").strip().rstrip("s"))
            return Resolved("SET", f"XXXX-WXX-{wd + 1}" + (f"T{part}" if part else ""))
    return None


def _absolute(t: str, anchor: date | None, direction: int) -> Resolved | None:
    t = re.sub(r"^" + _WEEKDAY + r",? (?=\d|" + _MONTH + r")", "", t)
    match = re.fullmatch(r"(\d{4})-(\d{2})-(\d{2})", t)
    if match:
        d = _safe_date(int(match.group(1)), int(match.group(2)), int(match.group(3)))
        return day(d) if d else None
    match = re.fullmatch(r"(\d{1,2})/(\d{1,2})/(\d{2}|\d{4})", t)
    if match:
        y = _year("'" + match.group(3) if len(match.group(3)) == 2 else match.group(3))
        d = _safe_date(y, int(match.group(1)), int(match.group(2)))
        return day(d) if d else None
    match = (re.fullmatch(_MONTH + r" " + _DAYNUM + r",? " + _YEAR, t)
             or re.fullmatch(r"(?:the )?" + _DAYNUM + r" (?:of )?" + _MONTH + r",? " + _YEAR, t))
    if match:
        groups = match.groups()
        if groups[0].isdigit():
            groups = (groups[1], groups[0], groups[2])
        d = _safe_date(_year(groups[2]), MONTHS[groups[0][:4] if groups[0][:4] == "sept" else groups[0][:3]], int(groups[1]))
        return day(d) if d else None
    match = (re.fullmatch(r"(last |next |this )?" + _MONTH + r" " + _DAYNUM + r"( last year| next year| this year)?", t)
             or re.fullmatch(r"(last |next |this )?(?:the )?" + _DAYNUM + r" (?:of )?" + _MONTH + r"( last year| next year| this year)?", t))
    if match:
        rel, a, b, suffix = match.groups()
        name, num = (a, b) if not a.isdigit() else (b, a)
        m = MONTHS[name[:3]]
        dnum = int(num)
        if anchor is None:
            return Resolved("DATE", f"XXXX-{m:02d}-{dnum:02d}")
        shift = {"last": -1, "next": 1}.get((rel or (suffix or "").split()[0] if (rel or suffix) else "").strip(), 0)
        y = _day_year(anchor, m, dnum, direction) if not shift and not (suffix and "this" in suffix) else anchor.year + shift
        d = _safe_date(y, m, dnum)
        return day(d) if d else None
    match = re.fullmatch(_MONTH + r",? (?:of )?" + _YEAR, t) or re.fullmatch(_YEAR + r" " + _MONTH, t)
    if match:
        a, b = match.groups()
        name, y = (a, b) if not a[0].isdigit() and a[0] != "'" else (b, a)
        return month(_year(y), MONTHS[name[:3]])
    return None


def _time_of_day(t: str, anchor: date | None, direction: int) -> Resolved | None:
    clock = r"(\d{1,2})(?::(\d{2}))?\s*(am|pm|a m|p m|o'clock)?"
    zone = r"(?:\s*(?:[a-z]{2,3}t|gmt|utc|local time))?"
    match = re.fullmatch(r"(?:at )?(?:" + clock + r"|(noon|midday|midnight))" + zone
                         + r"(?:,? (?:on )?(.+?))?", t)
    if match is None:
        match = re.fullmatch(r"(?:(.+?),? )?(?:at )?(?:" + clock + r"|(noon|midday|midnight))" + zone, t)
        if match is None:
            return None
        rest, hour, minute, ampm, named = match.groups()
    else:
        hour, minute, ampm, named, rest = match.groups()
    if named is None and ampm is None and minute is None:
        return None
    if named:
        h, mi = (24 if named == "midnight" else 12), 0
    else:
        h, mi = int(hour), int(minute or 0)
        if ampm and ampm.startswith("p") and h < 12:
            h += 12
        if ampm and ampm.startswith("a") and h == 12:
            h = 0
        if h > 24 or mi > 59:
            return None
    clock_text = "T24" if named == "midnight" else f"T{h:02d}:{mi:02d}"
    if rest:
        base = normalise(rest, anchor, direction)
        if base is None or base.type not in ("DATE", "TIME") or len(base.value) < 10:
            return None
        base_day = base.value[:10]
    elif anchor is not None:
        base_day = _iso(anchor)
    else:
        return Resolved("TIME", f"XXXX-XX-XX{clock_text}")
    return Resolved("TIME", base_day + clock_text, base_day, base_day)


def _relative_day(t: str, anchor: date | None, direction: int) -> Resolved | None:
    match = re.fullmatch(r"(today|tonight|yesterday|tomorrow|this|last|overnight|the|early today|"
                         r"the day before yesterday|the day after tomorrow)"
                         r"(?:'s)?(?: (morning|afternoon|evening|night))?", t)
    if match is None:
        return None
    word, part_word = match.groups()
    if word in ("this", "last", "the") and part_word is None:
        return None
    offsets = {"today": 0, "tonight": 0, "yesterday": -1, "tomorrow": 1, "this": 0, "overnight": 0,
               "the": 0, "last": 0, "early today": 0, "the day before yesterday": -2, "the day after tomorrow": 2}
    offset = offsets[word]
    part = PARTS.get(part_word or "")
    if word == "tonight":
        part = "NI"
    if word == "overnight":
        part = "NI"
        offset = -1
    if word == "last":
        offset = -1 if part_word in ("night", "evening") else 0
    if anchor is None:
        return Resolved("DATE", "PRESENT_REF") if offset == 0 and part is None else None
    return day(anchor + timedelta(days=offset), part)


def _weekday_rule(t: str, anchor: date | None, direction: int) -> Resolved | None:
    """Weekdays, with a part of day kept in the value; typed DATE as TimeBank and AQUAINT mostly do."""
    match = re.fullmatch(r"(last|next|this|this coming|this past|coming|past|early|late|the following|"
                         r"the previous|on)? ?" + _WEEKDAY
                         + r"(?:'s)?(?: (morning|afternoon|evening|night|overnight))?"
                         + r"(?: (last week|next week|this week))?", t)
    if match is None:
        match = re.fullmatch(r"(this|last|the|early|late)? ?(morning|afternoon|evening|night) (?:on )?" + _WEEKDAY, t)
        if match is None:
            return None
        rel, part_word, wd_word = match.group(1), match.group(2), match.group(3)
        week = None
    else:
        rel, wd_word, part_word, week = match.groups()
    wd = WEEKDAYS.get(wd_word)
    if wd is None:
        return None
    part = PARTS.get(part_word or "")
    if anchor is None:
        return Resolved("DATE", f"XXXX-WXX-{wd + 1}" + (f"T{part}" if part else ""))
    if week:
        monday = anchor - timedelta(days=anchor.weekday())
        monday += timedelta(days={"last week": -7, "next week": 7, "this week": 0}[week])
        return day(monday + timedelta(days=wd), part, "DATE")
    if rel in ("last", "this past", "past", "the previous"):
        return day(_weekday(anchor, wd, -1, strict=True), part, "DATE")
    if rel in ("next", "this coming", "coming", "the following"):
        return day(_weekday(anchor, wd, 1, strict=True), part, "DATE")
    if rel == "this":
        return day(_weekday(anchor, wd, -1 if direction < 0 else 1), part, "DATE")
    return day(_weekday(anchor, wd, 1 if direction > 0 else -1), part, "DATE")


def _ago(t: str, anchor: date | None, direction: int) -> Resolved | None:
    match = re.fullmatch(r"(?:about |some |nearly |almost |more than |over |just |only )?" + _NUMWORD
                         + r" (" + UNIT_WORDS + r")s? (ago|earlier|before|later|from now|hence|after)", t)
    if match is None:
        return None
    count = numbers.parse(match.group(1))
    unit = _unit(match.group(2))
    if count is None or count != int(count):
        return None
    sign = -1 if match.group(3) in ("ago", "earlier", "before") else 1
    n = int(count) * sign
    if anchor is None:
        return Resolved("DATE", "PAST_REF" if sign < 0 else "FUTURE_REF")
    if unit == "day":
        return day(anchor + timedelta(days=n))
    if unit == "week":
        return week_of(anchor + timedelta(weeks=n))
    if unit == "month":
        y, m = _shift_month(anchor.year, anchor.month, n)
        return month(y, m)
    if unit == "year":
        return year_of(anchor.year + n)
    if unit == "decade":
        return year_of(anchor.year + 10 * n)
    if unit == "quarter":
        y, m = _shift_month(anchor.year, anchor.month, 3 * n)
        return quarter(y, (m - 1) // 3 + 1)
    return Resolved("TIME", "PAST_REF" if sign < 0 else "FUTURE_REF")


def _durations(t: str, anchor: date | None, direction: int) -> Resolved | None:
    t = re.sub(r"^(?:the )?(?:past|last|next|first|previous|following|coming|prior|final|latest|remaining|"
               r"additional|another|further|full|entire|whole|better part of the|better part of)\s+", "", t)
    t = re.sub(r"^(?:the |a )?(?:full|entire|whole|additional|further|extra|mere)\s+", "", t)
    match = re.fullmatch(_NUMWORD + r"[\s-]+(?:(?:trading|business|working|calendar|straight|consecutive|school)\s+)?(" + UNIT_WORDS + r")(?:s|'s)?(?:[\s-]+(?:long|period|span|stretch|run|high|low))?", t)
    if match:
        raw = match.group(1).strip()
        unit = _unit(match.group(2))
        if raw in ("a", "an", "one"):
            count = "1"
        elif raw in ("half", "a half"):
            count = "0.5"
        else:
            value = numbers.parse(re.sub(r"\band a half\b|\ba half\b", "", raw).strip() or "0")
            if value is None:
                return None
            if "half" in raw:
                value += 0.5
            count = _num(value)
        return duration(count, unit)
    match = re.fullmatch(r"(?:" + _VAGUE + r" )?(" + UNIT_WORDS.replace("|century", "") + r")(?:s|ies)( or (?:\w+))?", t)
    if match:
        unit = _unit(match.group(2) + ("s" if match.group(2) != "centur" else "ies"))
        return duration("X", unit)
    match = re.fullmatch(r"(?:" + _VAGUE + r" )?(centur)ies", t)
    if match:
        return duration("X", "century")
    match = re.fullmatch(r"(day|week|month|year|decade|hour|minute)s?[\s-]long", t)
    if match:
        return duration("X", match.group(1))
    match = re.fullmatch(r"(?:dozens|hundreds|thousands) of (years|days|hours)", t)
    if match:
        return duration("X", _unit(match.group(1)))
    return None


def _relative_unit(t: str, anchor: date | None, direction: int) -> Resolved | None:
    shifted = re.match(r"(?:the |its |their )?(year-ago|year-earlier|last year's|next year's|this year's|"
                       r"the previous year's|the prior year's) (.+)", t)
    if shifted and anchor is not None:
        inner = _relative_unit(shifted.group(2), anchor, direction)
        if inner is not None and re.fullmatch(r"\d{4}-[QH]\d", inner.value):
            shift = 1 if shifted.group(1).startswith("next") else 0 if shifted.group(1).startswith("this") else -1
            y, n = int(inner.value[:4]) + shift, int(inner.value[-1])
            return quarter(y, n) if inner.value[5] == "Q" else half(y, n)
    match = re.fullmatch(r"(?:(?:the|its|their|a) )?(?:fiscal[\s-]+)?(first|second|third|fourth|1st|2nd|3rd|4th|final|last)"
                         r"[\s-]+(?:fiscal[\s-]+)?(quarter|half|period)(?:s)?(?: of| of fiscal)?(?: (\d{4}|this year|last year|next year))?", t)
    if match is None:
        match = re.fullmatch(r"(?:(?:the|its) )?(?:fiscal )?(\d{4})(?:'s)? (?:fiscal )?(first|second|third|fourth|1st|2nd|3rd|4th)[\s-]+(quarter|half)", t)
        if match:
            match_groups: tuple[str | None, ...] = (match.group(2), match.group(3), match.group(1))
        else:
            match_groups = ()
    else:
        match_groups = match.groups()
    if match_groups:
        ordinal, unit, when = match_groups
        n = ORDINALS[ordinal or "first"]
        if unit == "period":
            unit = "quarter"
        if anchor is None and (when is None or not when[0].isdigit()):
            return Resolved("DATE", f"XXXX-{'Q' if unit == 'quarter' else 'H'}{n}")
        if when and when[0].isdigit():
            y = int(when)
        elif when:
            y = anchor.year + {"this year": 0, "last year": -1, "next year": 1}[when]  # type: ignore[union-attr]
        else:
            assert anchor is not None
            current = (anchor.month - 1) // 3 + 1 if unit == "quarter" else (1 if anchor.month <= 6 else 2)
            y = anchor.year
            if ordinal in ("last", "final"):
                n = 4 if unit == "quarter" else 2
            if direction < 0 and n > current:
                y -= 1
        if unit == "quarter":
            return quarter(y, min(n, 4))
        return half(y, min(n, 2))
    if anchor is not None and re.fullmatch(r"(?:the |a )?year[\s-](?:ago|earlier)", t):
        return year_of(anchor.year - 1)
    match = re.fullmatch(r"(?:the )?(this |last |next )?(?:year|calendar year|fiscal year)[\s-]end", t)
    if match and anchor is not None:
        y = anchor.year + {"last ": -1, "next ": 1}.get(match.group(1) or "", 0)
        return day(date(y, 12, 31))
    match = re.fullmatch(r"(?:the )?(\d{4}) (quarter|half|year|period)", t)
    if match and anchor is not None:
        y = int(match.group(1))
        if match.group(2) in ("quarter", "period"):
            return quarter(y, (anchor.month - 1) // 3 + 1 if y == anchor.year else 4)
        return year_of(y)
    match = re.fullmatch(r"(?:the )?(this|last|next|past|previous|prior|coming|current|same|latest|recent|"
                         r"following|the|a year-ago|year-ago|year-earlier|first|that)?[\s-]?"
                         r"(?:fiscal[\s-]+|calendar[\s-]+)?(week|month|year|quarter|weekend|decade|century|"
                         r"season|period|summer|winter|spring|fall|autumn)(?:'s)?(?: (?:so far|to date|ago|earlier))?", t)
    if match is None:
        return None
    rel, unit = match.group(1) or "the", match.group(2)
    if unit in SEASONS:
        if anchor is None:
            return Resolved("DATE", f"XXXX-{SEASONS[unit][0]}")
        y = anchor.year + {"last": -1, "next": 1, "past": -1, "previous": -1, "coming": 1}.get(rel, 0)
        if rel in ("this", "the", "current"):
            first = SEASONS[unit][1]
            if direction < 0 and first > anchor.month:
                y -= 1
            elif direction > 0 and SEASONS[unit][2] < anchor.month and first <= SEASONS[unit][2]:
                y += 1
        return season(y, unit)
    if unit == "period" and rel not in ("year-ago", "a year-ago", "year-earlier"):
        return None
    if anchor is None:
        code = {"this": "PRESENT_REF", "current": "PRESENT_REF", "last": "PAST_REF", "next": "FUTURE_REF",
                "coming": "FUTURE_REF"}.get(rel)
        return Resolved("DATE", code) if code else None
    shift = {"this": 0, "current": 0, "the": 0, "same": 0, "latest": 0, "first": 0, "that": 0,
             "last": -1, "past": -1, "previous": -1, "prior": -1, "recent": -1,
             "next": 1, "coming": 1, "following": 1,
             "a year-ago": -4, "year-ago": -4, "year-earlier": -4}[rel]
    if rel == "latest" and unit == "quarter":
        shift = -1
    if rel == "the" and unit == "quarter" and direction <= 0:
        shift = -1
    if rel in ("past", "recent") and unit in ("week", "month", "year", "decade", "century") and "ago" not in t:
        if unit in ("decade", "century"):
            return duration("1", unit)
    if unit == "week":
        return week_of(anchor + timedelta(weeks=shift))
    if unit == "weekend":
        saturday = _weekday(anchor, 5, -1 if (shift < 0 or (shift == 0 and direction < 0)) else 1,
                            strict=shift != 0)
        iso = saturday.isocalendar()
        return Resolved("DATE", f"{iso[0]:04d}-W{iso[1]:02d}-WE", _iso(saturday), _iso(saturday + timedelta(days=1)))
    if unit == "month":
        y, m = _shift_month(anchor.year, anchor.month, shift)
        return month(y, m)
    if unit in ("year", "season"):
        if shift == -4:
            shift = -1
        return year_of(anchor.year + shift)
    if unit in ("quarter", "period"):
        y, m = _shift_month(anchor.year, anchor.month, 3 * shift if shift != -4 else -15)
        return quarter(y, (m - 1) // 3 + 1)
    if unit == "decade":
        start = (anchor.year // 10 + shift) * 10
        return decade(start)
    if unit == "century":
        c = anchor.year // 100 + shift
        return Resolved("DATE", f"{c:02d}", f"{c * 100:04d}-01-01", f"{c * 100 + 99:04d}-12-31")
    return None


def _month_rule(t: str, anchor: date | None, direction: int) -> Resolved | None:
    match = re.fullmatch(r"(last|next|this|this past|this coming|past|coming)? ?" + _MONTH
                         + r"( last year| next year| this year)?", t)
    if match is None:
        return None
    rel, name, suffix = match.groups()
    m = MONTHS[name[:3]]
    if name == "may" and rel is None and suffix is None and t == "may":
        return None if anchor is None else month(_month_year(anchor, m, direction), m)
    if anchor is None:
        return Resolved("DATE", f"XXXX-{m:02d}")
    if suffix:
        return month(anchor.year + {" last year": -1, " next year": 1, " this year": 0}[suffix], m)
    if rel in ("last", "this past", "past"):
        y = anchor.year if m < anchor.month else anchor.year - 1
    elif rel in ("next", "this coming", "coming"):
        y = anchor.year if m > anchor.month else anchor.year + 1
    elif rel == "this":
        y = anchor.year
    else:
        y = _month_year(anchor, m, direction)
    return month(y, m)


def _year_rule(t: str, anchor: date | None, direction: int) -> Resolved | None:
    match = re.fullmatch(r"(?:(?:the )?(?:fiscal|calendar|model|school|financial|budget)[\s-]+(?:year )?)?"
                         r"(\d{4})(?:'s)?(?: fiscal year| financial year| season)?", t) \
        or re.fullmatch(r"fy ?(\d{4})", t)
    if match:
        y = int(match.group(1))
        return year_of(y) if 1000 <= y <= 2200 else None
    match = re.fullmatch(r"(?:the year )?(nineteen|twenty)[\s-]+([a-z]+(?:[\s-][a-z]+)?)", t)
    if match:
        rest = numbers.parse(match.group(2))
        if rest is not None and 0 < rest < 100:
            return year_of((19 if match.group(1) == "nineteen" else 20) * 100 + int(rest))
    match = re.fullmatch(r"(?:the year )(two thousand(?: and [a-z]+| [a-z]+)?)", t)
    if match:
        spoken = numbers.parse(match.group(1))
        return year_of(int(spoken)) if spoken and 2000 <= spoken < 2100 else None
    match = re.fullmatch(r"(?:the )?'?(\d{2,3})0'?s", t)
    if match:
        digits = match.group(1)
        if len(digits) == 1:
            digits = ("19" if anchor is None or int(digits) > anchor.year % 100 // 10 else "20") + digits
            start = int(digits) * 10
        elif len(digits) == 2:
            start = (1900 if anchor is None or int(digits) * 10 > anchor.year % 100 else 2000) + int(digits) * 10
        else:
            start = int(digits) * 10
        return decade(start)
    match = re.fullmatch(r"(?:the )?(\d{1,2})(?:st|nd|rd|th) century", t)
    if match:
        c = int(match.group(1)) - 1
        return Resolved("DATE", f"{c:02d}", f"{c * 100:04d}-01-01", f"{c * 100 + 99:04d}-12-31")
    return None


def _season_rule(t: str, anchor: date | None, direction: int) -> Resolved | None:
    match = re.fullmatch(r"(?:the )?(spring|summer|fall|autumn|winter)(?: of)? (\d{4})", t) \
        or re.fullmatch(r"(?:the )?(\d{4}) (spring|summer|fall|autumn|winter)", t)
    if match is None:
        return None
    a, b = match.groups()
    name, y = (a, b) if not a.isdigit() else (b, a)
    return season(int(y), name)


HOLIDAYS = {"christmas": (12, 25), "christmas day": (12, 25), "christmas eve": (12, 24),
            "new year's day": (1, 1), "new year's eve": (12, 31), "new year": (1, 1),
            "independence day": (7, 4), "the fourth of july": (7, 4), "valentine's day": (2, 14),
            "halloween": (10, 31), "boxing day": (12, 26), "veterans day": (11, 11)}


def _holiday(t: str, anchor: date | None, direction: int) -> Resolved | None:
    """Fixed-date holidays and US Thanksgiving (fourth Thursday of November)."""
    match = re.fullmatch(r"(?:(this|last|next) )?(.+?)(?: (\d{4}))?", t)
    if match is None:
        return None
    rel, name, year = match.groups()
    if name in ("thanksgiving", "thanksgiving day"):
        m, d = 11, 0
    elif name in HOLIDAYS:
        m, d = HOLIDAYS[name]
    else:
        return None
    if year:
        y = int(year)
    elif anchor is None:
        return Resolved("DATE", f"XXXX-{m:02d}-{max(d, 1):02d}") if d else None
    else:
        y = _nearest_year(anchor, m, max(d, 1), {"last": -1, "next": 1}.get(rel or "", direction))
    if d == 0:
        first = date(y, 11, 1)
        d = 1 + (3 - first.weekday()) % 7 + 21
    return day(date(y, m, d))


def _fallback(t: str) -> Resolved | None:
    """Absolute dates in forms the rules above do not spell out ("12th of Oct 2024", "2024/10/12")."""
    if not re.search(r"\d{4}", t) or not (re.search(_MONTH, t) or re.search(r"\d[/.-]\d", t)):
        return None
    parsed = dateparser.parse(t, languages=["en"], settings={"PREFER_DAY_OF_MONTH": "first",
                                                              "REQUIRE_PARTS": ["year"],
                                                              "PARSERS": ["custom-formats", "absolute-time"]})
    if parsed is None:
        return None
    return day(parsed.date()) if re.search(r"\b\d{1,2}\b", t.replace(str(parsed.year), "")) \
        else month(parsed.year, parsed.month)
