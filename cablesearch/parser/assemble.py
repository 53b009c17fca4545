"""Assembly: the values read off the text, then the container's metadata over them, into a `Cable`."""
from __future__ import annotations

import re
from datetime import datetime

from .. import stations as st
from ..model import Cable, Disagreement, format_utc
from .state import CableParseError, _Found, canonical_station
from .routing import _recipient_station, origin_name_for, parse_container_datetime
from .banner import _classification
from .classified_by import _classified_by
from .body import _summary
from .references import _references
from .labels import _clean_subject
from .layout import _RE_ARCHIVE_ID, _SITE_CLASSES, _block_datetime


def _build_cable(found: _Found, *, raw: str, source: str, meta: dict[str, str], encoding: str) -> Cable:
    """The Cable record: values read off the text; the container's (HTML table, CSV row) fill gaps,
    and where they differ they win and the difference is kept in `disagreements`."""
    disagreements: list[Disagreement] = []
    created, precision = _created_in_text(found)
    archive_id = meta.get("reference_id", "")
    text_id, reference_id, archive_only = _reference_id(found, created, archive_id, source)
    origin, origin_name = _origin(found, reference_id)
    captions = _captions(found)
    classification = _classification_in_text(found, captions)

    created, precision = _merge_created(meta, created, precision, disagreements)
    classification = _merge_value("classification", classification, meta, disagreements, ignore_case=True)
    origin_name = _merge_value("origin", origin_name, meta, disagreements)
    if archive_only:
        disagreements.append(Disagreement("reference_id", reference_id, archive_id))
    if archive_id and not archive_only and text_id and text_id != archive_id:
        disagreements.append(Disagreement("reference_id", text_id, archive_id))

    id_year = int(reference_id[:2]) if reference_id[:2].isdigit() else None
    references = tuple(_references(found.ref_text, created.year % 100 if created else id_year, reference_id))
    classified_by, title, reasons = _classified_by(found.classified_by_text)
    body = "\n\n".join(p.text for p in found.paragraphs)
    subject = _clean_subject(found.subject)
    if (not subject or subject.endswith("...")) and found.header_subject_fallback:
        subject = subject or _clean_subject(found.header_subject_fallback)
    return Cable(
        reference_id=reference_id,
        created=created,
        origin=origin,
        origin_name=origin_name,
        classification=classification,
        captions=tuple(captions),
        tags=tuple(found.tags),
        subject=subject,
        references=references,
        classified_by=classified_by,
        classified_by_title=title,
        reasons=reasons,
        signer=found.signer,
        paragraphs=tuple(found.paragraphs),
        to=tuple(found.to),
        info=tuple(found.info),
        excluded=tuple(found.excluded),
        precedence=found.precedence,
        transmission_id=found.transmission_id,
        eo=found.eo,
        declassify_on=found.declassify_on,
        is_partial=found.is_partial,
        sections=max(1, found.sections),
        summary=_summary(found.paragraphs, body, found.summary_lead),
        body=body,
        raw=raw,
        source=source,
        encoding=encoding,
        disagreements=tuple(disagreements),
        archive_id=archive_id if archive_id and archive_id != reference_id else "",
        created_precision=precision if created else "",
    )


def _created_in_text(found: _Found) -> tuple[datetime | None, str]:
    """(date-time, precision): the DTG, else the archive block, else the date line; a page header's
    DTG adds the time to a date-only value of the same day."""
    created = found.dtg
    precision = "minute" if created else ""
    if created is None and found.block.get("date"):
        created = _block_datetime(found.block)
        precision = "minute" if found.block.get("hour") else "day"
    if created is None and found.dateline is not None:
        created, precision = found.dateline, "minute" if found.dateline_minutes else "hour"
    if created is not None and precision == "day" and found.page_dtg:
        day, hour, minute = found.page_dtg
        if day == created.day:
            created = created.replace(hour=hour, minute=minute)
            precision = "minute"
    return created, precision


def _reference_id(found: _Found, created: datetime | None, archive_id: str,
                  source: str) -> tuple[str, str, bool]:
    """(id the text gives, id chosen, chosen only from the container); CableParseError if none."""
    year = created.year % 100 if created else None
    station_from_text = canonical_station(found.banner_station) if found.banner_station else ""
    serial = found.banner_serial or found.de_serial
    text_id = ""
    if found.block.get("reference_id"):
        text_id = found.block["reference_id"]
    elif station_from_text and serial and year is not None:
        text_id = f"{year:02d}{station_from_text}{serial}"
    reference_id, archive_only = _choose_id(text_id, archive_id, station_from_text, serial)
    if not reference_id:
        if station_from_text and serial:
            reason = (f"no reference id: the text names {found.banner_station} {serial} but gives no date for "
                      "the year; name the file <ID>.txt or read it from its HTML page or cables.csv")
        elif found.banner_station or found.dtg or found.fm:
            reason = "no reference id: no classification line with station and serial"
        else:
            reason = "not a cable: no transmission header, classification line or date-time group found"
        raise CableParseError(source, reason)
    return text_id, reference_id, archive_only


def _origin(found: _Found, reference_id: str) -> tuple[str, str]:
    """(station, origin name): the station of the id, else of the banner or the FM line."""
    station_from_text = canonical_station(found.banner_station) if found.banner_station else ""
    id_station = _RE_ARCHIVE_ID.match(reference_id)
    origin = id_station.group(2) if id_station else station_from_text
    if origin not in st.KNOWN_STATIONS:
        fm_station = _recipient_station(found.fm) if found.fm else ""
        origin = next((s for s in (station_from_text, fm_station) if s in st.KNOWN_STATIONS), origin)
    origin_name = origin_name_for(found.fm, origin)
    if not origin_name and found.block.get("origin"):
        origin_name = found.block["origin"]
    return origin, origin_name


def _captions(found: _Found) -> list[str]:
    """Captions found after the banner, then those in its caveat (SECRET//NOFORN)."""
    captions = list(found.captions)
    if found.banner_caveat:
        for c in re.split(r"[/ ,]+", found.banner_caveat):
            if c and c not in captions and c in st.CAPTIONS:
                captions.append(c)
    return captions


def _classification_in_text(found: _Found, captions: list[str]) -> str:
    """The banner's level and caveat, else the ZNY line's; an archive block's value wins."""
    classification = _classification(found.banner_class, captions, found.banner_caveat)
    if not classification and found.zny_class:
        classification = found.zny_class
    block_value = found.block.get("classification", "")
    if block_value and (not classification or classification != block_value and block_value in _SITE_CLASSES):
        classification = block_value
    return classification


def _merge_value(name: str, from_text: str, meta: dict[str, str], disagreements: list[Disagreement], *,
                 ignore_case: bool = False) -> str:
    """The container's value fills a missing one; a different one wins and the difference is kept."""
    container = meta.get(name, "")
    if not container:
        return from_text
    if not from_text:
        return container
    differs = container.upper() != from_text.upper() if ignore_case else container != from_text
    if differs:
        disagreements.append(Disagreement(name, from_text, container))
        return container
    return from_text


def _merge_created(meta: dict[str, str], created: datetime | None, precision: str,
                   disagreements: list[Disagreement]) -> tuple[datetime | None, str]:
    """The container's date-time fills a missing or date-only one; a different date or hour wins."""
    value = meta.get("created", "")
    if not value:
        return created, precision
    container = parse_container_datetime(value)
    if container is None:
        return created, precision
    if created is None:
        return container, "minute"
    if precision == "day":
        if container.date() != created.date():
            disagreements.append(Disagreement("created", format_utc(created), format_utc(container)))
        return container, "minute"
    if (container.date(), container.hour) != (created.date(), created.hour):
        disagreements.append(Disagreement("created", format_utc(created), format_utc(container)))
        return container, "minute"
    return created, precision


def _choose_id(text_id: str, archive_id: str, station: str, serial: str) -> tuple[str, bool]:
    """The record's id: the archive's, unless it is a malformed one the text repairs.

    Returns (id, repaired) where repaired means the archive's id was replaced by the text's.
    """
    if not archive_id:
        return text_id, False
    if not text_id or text_id == archive_id:
        return archive_id, False
    m = _RE_ARCHIVE_ID.match(archive_id)
    if m is None or (m.group(2) not in st.KNOWN_STATIONS and station in st.KNOWN_STATIONS):
        return text_id, True
    return archive_id, False
