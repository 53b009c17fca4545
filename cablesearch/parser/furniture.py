"""Page and transmission furniture that every section must skip: page breaks, page headers, repeated banners, rules."""
from __future__ import annotations

import re


_RE_PAGE_DTG = re.compile(r"^\s*PAGE\s+\d+\s+[A-Z ]+?\s+\d+\s+(?:\d+\s+OF\s+\d+\s+)?(\d{2})(\d{2})(\d{2})Z\b")
_RE_PAGEBREAK = re.compile(r"^\s*[A-Z][A-Z .'-]*\s+\d{5,9}\s+\d{3}(?:\.\d)?\s+OF\s+\d{3}\s*$")
_RE_PAGE_LINE = re.compile(r"^\s*PAGE\s+\d{2,3}\s+[A-Z]")
_RE_TRAILING_CLASS = re.compile(
    r"\s+(?:CONFIDENTIAL|SECRET|UNCLASSIFIED|LIMITED OFFICIAL USE|UNCLAS)(?:\s+(?:NOFORN|SIPDIS))*\s*$")
_RE_SITE_META_LINE = re.compile(
    r"^(?:(?:id|date|refid|origin|classification|destination|header):(?:\s|$)|-{3,}\s*header ends\s*-{3,})")
_RE_DASHES = re.compile(r"^\s*[-=_*]{3,}[-=_* ]*$")
_RE_DASHED_HEADING = re.compile(r"^\s*[-=]{3,}\s*[^-=].{0,80}?\s*[-=]{3,}\s*$")   # "---- OVERVIEW ----"
_RE_FURNITURE = re.compile(r"^\s*(?:NNNN|BT|#\d+|END TEXT\.?|\d{4}|ZZH|ZNY.*|ZNR.*)\s*$")
_RE_REPEAT_BANNER = re.compile(
    r"^\s*(?:CONFIDENTIAL|SECRET|UNCLASSIFIED|LIMITED OFFICIAL USE|UNCLAS)(?:\s+(?:NOFORN|SIPDIS|SENSITIVE))*\s*$")
_RE_FURNITURE_ANY = re.compile("|".join(
    f"(?:{r.pattern})" for r in (_RE_PAGEBREAK, _RE_PAGE_LINE, _RE_FURNITURE, _RE_REPEAT_BANNER)))
