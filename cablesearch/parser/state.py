"""The reading state shared by the section readers, and the parse error."""
from __future__ import annotations

import re
from dataclasses import dataclass, field
from datetime import datetime
from functools import lru_cache

from .. import stations as st
from ..errors import CablesearchError
from ..model import Paragraph, Recipient


class CableParseError(CablesearchError):
    """The text is not a cable (or not enough of one to name it)."""

    def __init__(self, source: str, reason: str) -> None:
        self.source = source
        self.reason = reason
        super().__init__(f"{source or '<text>'}: {reason}")


# Paragraph classification markings: (C), (S/NF), (SBU), (U//FOUO) ...
_MARKING = (r"(?:TS|S|C|U|SBU|LOU|FOUO|CUI|NF)"
            r"(?:\s*/{1,2}\s*(?:NF|NOFORN|REL[A-Z ,]*|FOUO|SBU|OC|ORCON|PROPIN|EXDIS|NODIS|SI|TK|HCS))*(?:\s*-\s*NF)?")
# Text helpers
_RE_WS = re.compile(r"\s+")
_RE_NOT_LETTER = re.compile(r"[^A-Z]")


@dataclass
class _Found:
    """What the parser has found so far, section by section; `_build_cable` turns it into a Cable."""
    lines: list[str]
    start: int = 0  # first line of the cable proper
    is_partial: bool = False
    block: dict[str, str] = field(default_factory=dict)  # the partial-extract metadata block / dump row
    transmission_id: str = ""
    de_serial: str = ""
    section: int = 0
    precedence: str = ""
    dtg: datetime | None = None
    dateline: datetime | None = None
    fm: str = ""
    to: list[Recipient] = field(default_factory=list)
    info: list[Recipient] = field(default_factory=list)
    excluded: list[Recipient] = field(default_factory=list)  # XMT lines: posts left out of a collective
    banner_class: str = ""
    banner_caveat: str = ""
    banner_station: str = ""
    banner_serial: str = ""
    sections: int = 1
    captions: list[str] = field(default_factory=list)
    eo: str = ""
    declassify_on: str = ""
    tags: list[str] = field(default_factory=list)
    subject: str = ""
    ref_text: str = ""
    classified_by_text: str = ""
    body_start: int = -1  # first line of the body: set by _read_header
    paragraphs: list[Paragraph] = field(default_factory=list)
    signer: str = ""
    summary_lead: str = ""  # the text opening the paragraph under a SUMMARY heading
    page_dtg: tuple[int, int, int] | None = None
    header_subject_fallback: str = ""
    banner_index: int = -1
    dateline_minutes: bool = False
    subject_index: int = -1
    zny_class: str = ""
    addressing: list[Recipient] | None = None  # the TO or INFO list being read
    seen_banner: bool = False
    fm_after_banner: bool = False
    fields_index: int = -1
    seen_subject: bool = False
    last_label: str = ""  # the label whose value the next line may continue: subject, ref, classified...

    def __post_init__(self) -> None:
        self.body_start = len(self.lines)


@lru_cache(maxsize=4096)
def canonical_station(name: str) -> str:
    """A station as written ("THE HAGUE", "SECSTATE", "USUN NEW YORK") -> the id's station code."""
    code = _RE_NOT_LETTER.sub("", name.upper())
    if code in st.STATION_ALIASES:
        return st.STATION_ALIASES[code]
    if code.startswith("EFTO") and code[4:] in st.KNOWN_STATIONS:
        return code[4:]
    return code


def _squeeze(text: str) -> str:
    """Runs of whitespace -> one space (cheap when there are none)."""
    if "  " in text or "\t" in text:
        return " ".join(text.split())
    return text.strip()
