"""The routing header: VZCZC, DE, ZNY, the date-time group, FM/TO/INFO and date lines."""
from __future__ import annotations

import re
from datetime import datetime, timezone
from functools import lru_cache

from .. import stations as st
from ..model import Recipient
from .state import _Found, _RE_WS, canonical_station
from .furniture import _RE_PAGE_DTG
from .banner import _RE_BANNER, _RE_LOWER_BANNER, _read_banner
from .labels import _RE_EO


_RE_CABLE_DATED = re.compile(r"^\s*C?able dated:\s*(\d{4}-\d{2}-\d{2}T\d{2}:\d{2}(?::\d{2})?)\]?\s*")
# Transmission furniture: VZCZC, DE, ZNY, date-time groups, FM/TO/INFO, date lines
_RE_VZCZC = re.compile(r"^(VZCZC[A-Z0-9]*)")
_RE_DE = re.compile(r"^DE\s+([A-Z]{5,})\s+#(\d{1,6})(?:/(\d{1,3}))?\s+(\d{7})")
_RE_ZNY = re.compile(r"^ZN[YR]\s+([CSUE])\1{4}\b")
_ZNY_CLASSES = {"C": "CONFIDENTIAL", "S": "SECRET", "U": "UNCLASSIFIED", "E": "UNCLASSIFIED"}
_RE_DTG = re.compile(
    r"^((?:[ZOPRY]{1,2}\s+){1,3})?(\d{2})(\d{2})(\d{2})Z\s+([A-Z]{3})\s+(\d{2}|\d{4})\b")
_RE_DTG_ANY = re.compile(r"\b(\d{2})(\d{2})(\d{2})Z\s+([A-Z]{3})\s+(\d{2}|\d{4})\b")
_RE_DATELINE = re.compile(
    r"^\s*(?:MONDAY|TUESDAY|WEDNESDAY|THURSDAY|FRIDAY|SATURDAY|SUNDAY),"
    r"\s+(\d{1,2})\s+([A-Z]+)\s+(\d{4}),\s+(\d{1,2}):(\d{2})",
    re.I)
_MONTH_NAMES = {name: i for i, name in enumerate(
    ("JANUARY", "FEBRUARY", "MARCH", "APRIL", "MAY", "JUNE", "JULY", "AUGUST", "SEPTEMBER", "OCTOBER",
     "NOVEMBER", "DECEMBER"), start=1)}
_RE_FM = re.compile(r"^FM\s+([A-Z][A-Z0-9 .,/&'()-]*?)\s*$")
_RE_TO = re.compile(r"^TO\s+(\S.*)$")
_RE_INFO = re.compile(r"^INFO\s+(\S.*)$")
# Inside TO/INFO: "XMT AMCONSUL JOHANNESBURG" excludes a post from a collective; page headers
# ("PAGE 02 STATE 015113 182333Z") and captions are no addressees.
_RE_XMT = re.compile(r"^XMT\s+(\S.*)$")
_RE_NOT_ADDRESSEE = re.compile(r"^(?:PAGE\s+\d{1,3}\s|(?:SIPDIS|NOFORN|EXDIS|NODIS|LIMDIS|SENSITIVE)\s*$)")
_RE_RECIPIENT = re.compile(
    r"^(?:([A-Z0-9]{4,8})/)?(.*?)(?:\s+(" + "|".join(st.PRECEDENCES) + r"))?(?:\s+(\d{1,5}))?\s*$")


def _read_routing_line(found: _Found, i: int, line: str, stripped: str) -> bool:
    """The transmission furniture before the subject: VZCZC, DE, ZNY, DTG, FM, TO/INFO, date lines,
    the classification banner. Returns True when the line was one of them."""
    m = _RE_VZCZC.match(stripped) if stripped.startswith("VZCZC") else None
    if m and not found.transmission_id:
        found.transmission_id = m.group(1)
        return True
    m = _RE_DE.match(stripped) if stripped.startswith("DE ") else None
    if m and not found.de_serial:
        found.de_serial = m.group(2).lstrip("0") or "0"
        found.section = int(m.group(3) or 0)
        return True
    m = _RE_ZNY.match(stripped) if stripped.startswith("ZN") else None
    if m:
        found.zny_class = _ZNY_CLASSES[m.group(1)]
        return True
    m = _RE_DTG.match(stripped) if found.dtg is None and stripped[0] in _DTG_FIRST else None
    if m and (m.group(1) is not None or i - found.start < 8):
        found.dtg = _dtg(m.group(2), m.group(3), m.group(4), m.group(5), m.group(6))
        letters = (m.group(1) or "").split()
        if letters:
            found.precedence = st.PRECEDENCE_LETTERS.get(letters[0][0], "")
        found.addressing = None
        return True
    m = _RE_FM.match(stripped) if stripped.startswith("FM ") else None
    if m and not found.fm:
        found.fm = m.group(1)
        found.fm_after_banner = found.seen_banner
        found.addressing = None
        return True
    # TO/INFO belong to the FM line; after a banner only when the FM line came after it too
    addressing_allowed = bool(found.fm) and (not found.seen_banner or found.fm_after_banner)
    m = _RE_TO.match(stripped) if stripped.startswith("TO ") else None
    if m and addressing_allowed and not found.to:
        found.addressing = found.to
        found.to.extend(_recipients(m.group(1)))
        return True
    m = _RE_INFO.match(stripped) if stripped.startswith("INFO ") else None
    if m and addressing_allowed and not found.info:
        found.addressing = found.info
        found.info.extend(_recipients(m.group(1)))
        return True
    m = _RE_CABLE_DATED.match(stripped) if "able dated:" in stripped[:14] else None
    if m and found.dateline is None:
        found.dateline = parse_container_datetime(m.group(1))
        found.dateline_minutes = True
        return True
    m = _RE_DATELINE.match(stripped) if "day," in stripped[:12].lower() else None
    if m and found.dateline is None:
        found.dateline = _dateline(m)
        found.addressing = None
        return True
    m = _RE_BANNER.match(line)
    if m is None and _RE_LOWER_BANNER.match(line):
        m = _RE_BANNER.match(line.upper())  # a sentence-cased copy: "C o n f i d e n t i a l"
    if m and not found.banner_station and _read_banner(found, m):
        found.seen_banner = found.seen_banner or bool(found.banner_station)
        found.banner_index = i
        found.addressing = None
        return True
    if found.addressing is not None and m is None and not _RE_PAGE_DTG.match(stripped) \
            and ":" not in stripped and not _RE_EO.search(stripped):
        if _RE_NOT_ADDRESSEE.match(stripped):
            return True   # a page header or caption inside the TO/INFO block
        x = _RE_XMT.match(stripped)
        if x:
            found.excluded.extend(_recipients(x.group(1)))
        else:
            found.addressing.extend(_recipients(stripped))
        return True
    return False


def origin_name_for(fm: str, station: str) -> str:
    """The archive's name of the sending post ("Embassy Baku"), from the FM line and the station."""
    fm = _RE_WS.sub(" ", fm).strip().rstrip("/").strip()
    fm_key = fm.split("//")[0].strip()
    if fm_key in st.FM_ORIGIN_NAMES:
        return st.FM_ORIGIN_NAMES[fm_key]
    if station in st.STATION_NAMES:
        return st.STATION_NAMES[station]
    for prefix, kind in (("AMEMBASSY ", "Embassy "), ("AMCONSUL ", "Consulate ")):
        if fm_key.startswith(prefix):
            return kind + fm_key[len(prefix):].title()
    if station:
        return "Embassy " + station.title()
    return ""


def _dtg(day: str, hour: str, minute: str, month: str, year: str) -> datetime | None:
    try:
        y = int(year)
        if y < 100:
            y += 2000 if y < 50 else 1900
        return datetime(y, st.MONTHS[month.upper()], int(day), int(hour), int(minute), tzinfo=timezone.utc)
    except (KeyError, ValueError):
        return None


def _dateline(m: re.Match[str]) -> datetime | None:
    month = _MONTH_NAMES.get(m.group(2).upper())
    if month is None:
        return None
    try:
        return datetime(int(m.group(3)), month, int(m.group(1)), int(m.group(4)), 0, tzinfo=timezone.utc)
    except ValueError:
        return None


def parse_container_datetime(value: str) -> datetime | None:
    """A container's created value: "2007-05-16 13:24", "05/16/2007 13:24", ISO with Z."""
    value = value.strip().replace("T", " ").rstrip("Z")
    for fmt in ("%Y-%m-%d %H:%M:%S", "%Y-%m-%d %H:%M", "%m/%d/%Y %H:%M", "%m/%d/%Y %H:%M:%S", "%Y-%m-%d",
                "%m/%d/%Y"):
        try:
            return datetime.strptime(value, fmt).replace(tzinfo=timezone.utc)
        except ValueError:
            continue
    return None


def _recipients(text: str) -> list[Recipient]:
    """One addressee line: route/name, precedence, serial."""
    return list(_recipient_line(text.strip()))


@lru_cache(maxsize=8192)
def _recipient_line(text: str) -> tuple[Recipient, ...]:
    m = _RE_RECIPIENT.match(text) if text else None
    if not m:
        return ()
    route, name, precedence, serial = m.group(1) or "", (m.group(2) or "").strip(), m.group(3) or "", m.group(4) or ""
    if not name:
        return ()
    return (Recipient(route=route, name=" ".join(name.split()), station=_recipient_station(name),
                      precedence=precedence, serial=serial),)


@lru_cache(maxsize=4096)
def _recipient_station(name: str) -> str:
    name = _RE_WS.sub(" ", name.upper()).strip()
    words = name.split()
    if words and words[0] in st.POST_PREFIXES:
        words = words[1:]
    if words and words[-1] in ("WASHDC", "WASHINGTON", "DC") and words[0] in ("SECSTATE", "STATE"):
        return "STATE"
    candidate = canonical_station(" ".join(words))
    if candidate in st.KNOWN_STATIONS:
        return candidate
    # "AMEMBASSY TRIPOLI LY", "USMISSION GENEVA SZ": drop a trailing country code
    if len(words) > 1 and len(words[-1]) == 2:
        candidate = canonical_station(" ".join(words[:-1]))
        if candidate in st.KNOWN_STATIONS:
            return candidate
    return ""


_DTG_FIRST = frozenset("ZOPRY0123456789")
