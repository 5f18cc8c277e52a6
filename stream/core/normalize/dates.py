"""Publication dates in the forms publishers send or print, to aware UTC datetimes.

Accepted: Unix seconds (int, float or a digit string; 13 digits are read as milliseconds), ISO 8601
(``2024-12-05T11:27:00+09:00``, ``2024-12-05 11:27``, ``2024-12-05``), RFC 2822
(``Thu, 05 Dec 2024 02:27:00 GMT``), and written dates with an optional time and zone:
``05 Dec. 2024, 11:27``, ``December 5, 2024 11:27 a.m. KST``, ``2024.12.05 11:27``,
``2024/12/05 11:27 GMT+9``. Day/month order is only guessed where month names make it certain
(``05/12/2024`` is refused rather than guessed).

A time without a zone is wall-clock time of the given zone (the caller passes the source's zone,
see ``stream.core.normalize``); a date without a time is midnight there.
Nothing here raises on bad input: the caller gets ``None`` and a warning text.
"""

from __future__ import annotations

import json
import re
from datetime import UTC, datetime, timedelta, timezone, tzinfo
from email.utils import parsedate_to_datetime
from functools import lru_cache
from importlib import resources
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

_MONTHS = {
    "jan": 1, "january": 1, "feb": 2, "february": 2, "mar": 3, "march": 3, "apr": 4, "april": 4, "may": 5,
    "jun": 6, "june": 6, "jul": 7, "july": 7, "aug": 8, "august": 8, "sep": 9, "sept": 9, "september": 9,
    "oct": 10, "october": 10, "nov": 11, "november": 11, "dec": 12, "december": 12,
}
_MONTH = r"(?P<mon>[A-Za-z]{3,9})\.?"
_DMY = re.compile(r"\b(?P<d>\d{1,2})(?:st|nd|rd|th)?[ \t-]*" + _MONTH + r",?[ \t-]*(?P<y>\d{4})\b")
_MDY = re.compile(r"\b" + _MONTH + r"[ \t]*(?P<d>\d{1,2})(?:st|nd|rd|th)?,?[ \t]*(?P<y>\d{4})\b")
_YMD = re.compile(r"\b(?P<y>\d{4})(?P<sep>[-/.])(?P<m>\d{1,2})(?P=sep)(?P<d>\d{1,2})\b")
_TIME = re.compile(
    r"(?<![\d.])(?P<H>\d{1,2})[:h](?P<M>\d{2})(?::(?P<S>\d{2})(?:\.\d+)?)?"
    r"(?:[ \t]*(?P<ampm>[ap])\.?[ \t]?m\b\.?)?"
    r"(?:[ \t]*\(?(?P<zone>Z\b|[+-]\d{2}:?\d{2}\b|(?:UTC|GMT)[ \t]*[+-][ \t]*\d{1,2}(?::?\d{2})?|[A-Z]{1,5}\b))?",
    re.I,
)
_DIGITS = re.compile(r"\A[+-]?\d{9,13}(?:\.\d+)?\Z")
_RFC2822 = re.compile(r"\A(?:[A-Za-z]{3},\s*)?\d{1,2}\s+[A-Za-z]{3}\s+\d{2,4}\s+\d{1,2}:\d{2}")
_OFFSET = re.compile(r"(?:UTC|GMT)?[ \t]*(?P<sign>[+-])[ \t]*(?P<h>\d{1,2}):?(?P<m>\d{2})?\Z", re.I)
_MIN_YEAR = 1900
_FUTURE_YEARS = 10


@lru_cache(maxsize=1)
def _abbreviations() -> dict[str, int]:
    path = resources.files("stream.core.normalize") / "data" / "timezone_abbreviations.json"
    return json.loads(path.read_text("utf-8"))["offsets"]


@lru_cache(maxsize=256)
def zone(name: str | None) -> tzinfo:
    """An IANA zone by name; UTC when the name is empty or unknown."""
    if not name:
        return UTC
    try:
        return ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError):
        return UTC


def parse_date(value: str | int | float | None, tz: tzinfo = UTC, now: datetime | None = None) -> tuple[datetime | None, str | None]:
    """``(aware UTC datetime, None)`` or ``(None, warning)``; ``(None, None)`` for no value."""
    if value is None or isinstance(value, bool):
        return None, None
    if isinstance(value, str):
        text = " ".join(value.split())[:120]
        if not text:
            return None, None
    else:
        text = repr(value)
    dt = _parse(value, text, tz)
    if dt is None:
        return None, f"unparseable published_at: {text!r}"
    dt = dt.astimezone(UTC)
    now = now or datetime.now(UTC)
    if dt.year < _MIN_YEAR or dt > now + timedelta(days=365 * _FUTURE_YEARS):
        return None, f"absurd published_at ignored: {text!r}"
    return dt, None


def _parse(value: str | int | float, text: str, tz: tzinfo) -> datetime | None:
    if isinstance(value, (int, float)) or _DIGITS.match(text):
        try:
            seconds = float(text)
            if abs(seconds) >= 1e11:  # 13 digits: milliseconds
                seconds /= 1000.0
            return datetime.fromtimestamp(seconds, UTC)
        except (ValueError, OverflowError, OSError):
            return None
    try:
        dt = datetime.fromisoformat(text)
        return dt if dt.tzinfo else dt.replace(tzinfo=tz)
    except ValueError:
        pass
    if _RFC2822.match(text):
        try:
            dt = parsedate_to_datetime(text)
            return dt if dt.tzinfo else dt.replace(tzinfo=tz)
        except (ValueError, TypeError, IndexError):
            pass
    return _parse_written(text, tz)


def _parse_written(text: str, tz: tzinfo) -> datetime | None:
    date_match = None
    for pattern in (_YMD, _DMY, _MDY):
        m = pattern.search(text)
        if not m:
            continue
        if pattern is _YMD:
            y, mo, d = int(m["y"]), int(m["m"]), int(m["d"])
        else:
            mo = _MONTHS.get(m["mon"].lower())
            if mo is None:
                continue
            y, d = int(m["y"]), int(m["d"])
        date_match = m
        break
    if date_match is None:
        return None
    rest = text[: date_match.start()] + " " + text[date_match.end() :]
    hour = minute = second = 0
    zone_tz: tzinfo | None = None
    t = _TIME.search(rest)
    if t:
        hour, minute, second = int(t["H"]), int(t["M"]), int(t["S"] or 0)
        ampm = (t["ampm"] or "").lower()
        if ampm == "p" and hour < 12:
            hour += 12
        elif ampm == "a" and hour == 12:
            hour = 0
        if t["zone"]:
            zone_tz = _zone_from_text(t["zone"])
    try:
        return datetime(y, mo, d, hour, minute, second, tzinfo=zone_tz or tz)
    except ValueError:
        return None


def _zone_from_text(text: str) -> tzinfo | None:
    text = text.strip()
    upper = text.upper()
    if upper == "Z":
        return UTC
    minutes = _abbreviations().get(upper)
    if minutes is not None:
        return timezone(timedelta(minutes=minutes))
    m = _OFFSET.match(text)
    if m:
        total = int(m["h"]) * 60 + int(m["m"] or 0)
        if total <= 14 * 60:
            return timezone(timedelta(minutes=total if m["sign"] == "+" else -total))
    return None  # an unknown word after the time ("at", "Seoul") is not a zone
