"""The Cable record: everything the parser reads out of one cable, as frozen dataclasses."""
from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass, field, fields
from datetime import datetime, timezone
from typing import Any


@dataclass(frozen=True)
class Recipient:
    """One TO or INFO line: `RUEHC/SECSTATE WASHDC PRIORITY 3017`."""
    route: str            # routing indicator, e.g. "RUEHC" ("" when the line has none)
    name: str             # addressee as written, e.g. "SECSTATE WASHDC"
    station: str          # canonical station where one is recognised, e.g. "STATE" ("" otherwise)
    precedence: str = ""  # "PRIORITY", "IMMEDIATE", ... ("" when absent)
    serial: str = ""      # message serial number at that addressee, e.g. "3017"


@dataclass(frozen=True)
class Reference:
    """One item of the REF line: label (A, B, ...), raw text, and canonical cable id if it names one."""
    label: str
    text: str
    id: str | None = None


@dataclass(frozen=True)
class Paragraph:
    """A numbered paragraph of the body with its classification marking ("C", "S/NF", "SBU", ...).

    Number 0 is text before the first numbered paragraph; unnumbered marked paragraphs ("(C) ...")
    take the number after the previous one."""
    number: int
    marking: str | None
    text: str


@dataclass(frozen=True)
class Disagreement:
    """A field where the container's metadata (HTML table, CSV column) differs from the cable text."""
    field: str
    text_value: str
    container_value: str


@dataclass(frozen=True)
class Cable:
    """One parsed cable. Empty string / None / () mean "not present in the source"."""
    reference_id: str
    created: datetime | None = None           # UTC, tz-aware
    origin: str = ""                          # canonical station, e.g. "BAKU"
    origin_name: str = ""                     # e.g. "Embassy Baku"
    classification: str = ""                  # e.g. "CONFIDENTIAL", "SECRET//NOFORN"
    captions: tuple[str, ...] = ()            # SIPDIS, NOFORN, EXDIS, ...
    tags: tuple[str, ...] = ()
    subject: str = ""
    references: tuple[Reference, ...] = ()
    classified_by: str = ""                   # person, e.g. "Anne E. Derse"
    classified_by_title: str = ""             # e.g. "Ambassador"
    reasons: str = ""                         # e.g. "1.4 (b,d)"
    signer: str = ""
    paragraphs: tuple[Paragraph, ...] = ()
    to: tuple[Recipient, ...] = ()
    info: tuple[Recipient, ...] = ()
    excluded: tuple[Recipient, ...] = ()     # XMT lines: posts a collective TO/INFO leaves out
    precedence: str = ""
    transmission_id: str = ""
    eo: str = ""                              # executive order, e.g. "12958"
    declassify_on: str = ""                   # ISO date where one is given, else the text ("TEN YEARS")
    is_partial: bool = False
    sections: int = 1
    summary: str = ""
    body: str = ""                            # paragraph text, furniture removed
    raw: str = field(default="", repr=False)  # the text as read
    source: str = ""                          # file (and row/line) it came from
    encoding: str = "utf-8"                   # "cp1252" when the input was not UTF-8
    disagreements: tuple[Disagreement, ...] = ()
    archive_id: str = ""                      # the archive's id when it differs (malformed ids the text repairs)
    created_precision: str = ""               # "minute", "hour" (date line), "day" (no time of day given), "" (no date)

    @property
    def year(self) -> int | None:
        """The year sent: from `created`, else from the reference id, whose two digits are the year."""
        if self.created is not None:
            return self.created.year
        digits = self.reference_id[:2]
        if not digits.isdigit():
            return None
        return (1900 if int(digits) >= 50 else 2000) + int(digits)  # Cablegate spans 1966-2010

    def to_dict(self) -> dict[str, Any]:
        """A JSON-ready dict; `created` in ISO 8601 with `Z`."""
        out = {f.name: getattr(self, f.name) for f in fields(self) if f.name != "raw"}
        for key in ("references", "paragraphs", "to", "info", "excluded", "disagreements"):
            # Flat records of plain values: their fields as asdict() gives them, without its deep copies.
            out[key] = [dict(vars(item)) for item in out[key]]
        for key in ("captions", "tags"):
            out[key] = list(out[key])
        out["created"] = _iso(self.created)
        return out

    def content_hash(self) -> str:
        """A digest of the record, used to skip unchanged cables when re-indexing."""
        record = self.to_dict()
        record.pop("source")
        payload = json.dumps(record, sort_keys=True, ensure_ascii=False)
        return hashlib.sha1(payload.encode("utf-8")).hexdigest()


UTC_FORMAT = "%Y-%m-%dT%H:%M:%SZ"


def format_utc(when: datetime) -> str:
    """ISO 8601 in UTC with a `Z`, the one time format of records, JSON output and lock files."""
    return when.astimezone(timezone.utc).strftime(UTC_FORMAT)


def parse_utc(text: str) -> datetime:
    """The inverse of format_utc: a tz-aware UTC datetime."""
    # format_utc's own layout is read by slicing: the first strptime of a process imports _strptime,
    # locale and calendar and compiles its patterns (a few ms of a one-shot query for the dates of
    # its hits). Anything else strptime accepts, or rejects, goes to it as before.
    if (len(text) == 20 and text.isascii() and text[4] + text[7] + text[10] + text[13] + text[16] + text[19] == "--T::Z"
            and (text[:4] + text[5:7] + text[8:10] + text[11:13] + text[14:16] + text[17:19]).isdigit()):
        return datetime(int(text[:4]), int(text[5:7]), int(text[8:10]), int(text[11:13]), int(text[14:16]),
                        int(text[17:19]), tzinfo=timezone.utc)
    return datetime.strptime(text, UTC_FORMAT).replace(tzinfo=timezone.utc)


def _iso(when: datetime | None) -> str | None:
    return None if when is None else format_utc(when)
