"""The header loop: each line before the body goes to routing, banner and captions, or a labelled field."""
from __future__ import annotations

import re

from .state import _Found
from .furniture import _RE_PAGE_DTG
from .routing import _RE_DTG_ANY, _dtg, _read_routing_line
from .banner import _RE_SBU, _caption_line, _scan_captions
from .classified_by import _RE_CLASSIFIED_BY, _RE_REASONS_PRESENT, find_classified_by, split_run_on_classified_by
from .body import _is_body_start
from .references import _RE_REF, _RE_SEED_REF_ITEM, _ends_ref_list, ref_goes_on, split_run_on_ref
from .labels import _may_hold_tags, _RE_BEFORE_TAGS, _RE_DECL_START, _RE_EO, _RE_SUBJECT, _RE_TAGS, _is_field_start, _page_furniture_removed, _read_decl, _tag_continuation, _tags


_RE_DECL_START_EO = re.compile(r"^E\.?\s?[Oo0]\.?\s*\d{4,5}\b.*\bDECL", re.I)


def _read_header(found: _Found) -> None:
    """Read the header lines in order (routing, banner, captions, labels); stops where the body begins."""
    lines = found.lines
    i = found.start
    found.addressing = None
    header_limit = min(len(lines), found.start + 400)
    while i < header_limit:
        line = lines[i]
        stripped = line.strip()
        if not stripped:
            if found.addressing is not None and not found.seen_banner and found.to:
                found.addressing = None
            if found.last_label in ("subject", "ref", "ref-ended", "classified") \
                    and not (found.last_label == "ref" and ref_goes_on(lines, i)) \
                    and not (found.last_label == "subject" and not found.subject):  # "SUBJECT:" / "" / text
                found.last_label = ""
            i += 1
            continue
        if not found.seen_subject and not found.tags and _read_routing_line(found, i, line, stripped):
            i += 1
            continue
        if not found.seen_subject:
            m = _RE_PAGE_DTG.match(stripped) if stripped.startswith("PAGE") else None
            if m and found.page_dtg is None:
                found.page_dtg = (int(m.group(1)), int(m.group(2)), int(m.group(3)))
                i += 1
                continue
        last = _read_label_line(found, i, stripped)
        if last is not None:
            i = last + 1
            continue
        if found.seen_banner and not found.seen_subject and not found.tags and _caption_line(found, stripped):
            i += 1
            continue
        if _header_ends_before(found, stripped):
            break
        i += 1
    found.body_start = i if i < header_limit else _fallback_body_start(found)
    _split_run_on_subject(found)
    if not found.declassify_on:
        _find_decl(found)
    if found.ref_text.rstrip().endswith("..."):
        _find_whole_ref(found)
    if not found.ref_text and found.seen_subject:
        _find_ref(found)
    if not found.classified_by_text or found.classified_by_text.endswith("..."):
        # the site's copy of the header may cut the line; the cable's own copy follows
        found.classified_by_text = find_classified_by(found.lines, found.start, found.body_start, uncut=True) \
            or found.classified_by_text
    _scan_captions(found)
    if found.dtg is None:
        for line in found.lines[found.start:min(found.body_start, found.start + 60)]:
            m = _RE_DTG_ANY.search(line)
            if m:
                found.dtg = _dtg(m.group(1), m.group(2), m.group(3), m.group(4), m.group(5))
                break


def _find_whole_ref(found: _Found) -> None:
    """The site's copy of the header cut the REF list ("B. US..."): the cable's own copy follows."""
    for line in found.lines[found.body_start:min(len(found.lines), found.body_start + 12)]:
        m = _RE_REF.match(line.strip())
        if m and not (m.group(1) or m.group(2) or "").rstrip().endswith("..."):
            found.ref_text = split_run_on_classified_by((m.group(1) or m.group(2) or "").strip())[0]
            return


def _find_ref(found: _Found) -> None:
    """A REF list the header loop did not reach (after a caption, a wrapped subject's stray line):
    a "REF:" line among the first lines of the body, with the lines that go on with it."""
    lines = found.lines
    stop = min(len(lines), found.body_start + 15)
    for i in range(found.subject_index + 1 if found.subject_index >= 0 else found.start, stop):
        stripped = lines[i].strip()
        m = _RE_REF.match(stripped) if stripped[:1] in "RrR¶" else None
        if not m or m.group(1) is None or _is_body_start(stripped):
            continue
        parts = [m.group(1).strip()]
        k = i + 1
        while k < len(lines) and k < i + 40:
            nxt = lines[k].strip()
            if not nxt:
                if not ref_goes_on(lines, k):
                    break
            elif _is_field_start(nxt) or _ends_ref_list(" ".join(parts), nxt):
                break
            else:
                parts.append(nxt)
            k += 1
        found.ref_text = "\n".join(parts)
        return


def _find_decl(found: _Found) -> None:
    """A declassification date the header loop did not reach: the cable's own header after the
    site's copy (which has TAGS and SUBJECT but no E.O. line)."""
    for line in found.lines[found.start:min(len(found.lines), found.body_start + 60)]:
        stripped = line.strip()
        if stripped[:1] in "Ee" and _RE_DECL_START_EO.match(stripped):
            _read_decl(found, stripped)
            if found.declassify_on:
                return


def _split_run_on_subject(found: _Found) -> None:
    """A subject that runs on into the REF list or the Classified-by line gives them up."""
    found.subject, classified = split_run_on_classified_by(found.subject)
    if classified and not found.classified_by_text:
        found.classified_by_text = classified
    found.subject, ref_text = split_run_on_ref(found.subject)
    if ref_text and (not found.ref_text or found.ref_text.rstrip().endswith("...")):
        found.ref_text = ref_text   # the site's copy of the REF list may be cut; the cable's own is whole


def _header_ends_before(found: _Found, stripped: str) -> bool:
    """The first paragraph after the subject (or, without one, after the banner) ends the header;
    so does any other line once the subject and the labels after it are read."""
    if found.seen_subject and _is_body_start(stripped):
        return True
    if found.seen_banner and not found.seen_subject and not found.eo and _is_body_start(stripped) \
            and not _RE_SEED_REF_ITEM.match(stripped):
        return True
    return found.seen_subject and found.last_label in ("", "tags", "eo")


def _fallback_body_start(found: _Found) -> int:
    """No clear end of header (odd layout): start the body after the last header field found."""
    for i in range(found.start, len(found.lines)):
        if _is_body_start(found.lines[i].strip()):
            return i
    return len(found.lines)


def _read_label_line(found: _Found, i: int, stripped: str) -> int | None:
    """E.O./DECL, TAGS, SUBJECT, REF, Classified By, or a wrapped line of the one before: the last
    line read (TAGS may go on), or None when the line is none of them."""
    last_label = found.last_label
    if last_label in ("subject", "ref"):
        stripped = _page_furniture_removed(found, i, stripped)
        if not stripped:
            return i  # a page break or page header inside a wrapped subject or REF list
        if last_label == "ref" and _ends_ref_list(found.ref_text, stripped):
            found.last_label = "ref-ended"
            last_label = found.last_label
    if last_label == "ref-ended" and not _is_field_start(stripped):
        return i  # skipped up to the next blank line, as the REF list would have been
    if last_label == "subject" and not _is_field_start(stripped) and not _RE_SBU.search(stripped):
        found.subject += " " + stripped
        return i
    if last_label == "ref" and not _is_field_start(stripped):
        found.ref_text += "\n" + stripped
        return i
    if last_label == "classified" and not _is_body_start(stripped) and not _is_field_start(stripped) \
            and not _RE_REASONS_PRESENT.search(found.classified_by_text):
        found.classified_by_text += " " + stripped
        return i
    seen_subject = found.seen_subject
    m = _RE_EO.search(stripped) if not found.eo and ("12" in stripped or "11" in stripped
                                                      or "13" in stripped) else None
    if m and not found.eo and not seen_subject:
        if found.fields_index < 0:
            found.fields_index = i
        found.eo = m.group(1)
        _read_decl(found, stripped)
        t = _RE_TAGS.search(stripped)
        if t and not found.tags:
            found.tags = _tags(t.group(1))
            i = _tag_continuation(found, i)
        found.last_label = "eo"
        return i
    if not seen_subject and _RE_DECL_START.match(stripped) and not found.declassify_on:
        _read_decl(found, stripped)
    t = _RE_TAGS.search(stripped) if not found.tags and _may_hold_tags(stripped) else None
    if t and not found.tags and not seen_subject and (t.start() <= 4 or stripped.startswith("TAG")
                                                      or _RE_BEFORE_TAGS.search(stripped, 0, t.start() + 1)):
        if found.fields_index < 0:
            found.fields_index = i
        found.tags = _tags(t.group(1))
        found.last_label = "tags"
        return _tag_continuation(found, i)
    m = _RE_SUBJECT.match(stripped)
    if m and (not seen_subject or not found.subject) and (not stripped.startswith("Subject") or found.eo):
        if found.fields_index < 0:
            found.fields_index = i
        found.subject, ref_text = split_run_on_ref(m.group(1).strip())
        found.subject_index = i
        found.seen_subject = True
        found.last_label = "subject"
        if ref_text and (not found.ref_text or found.ref_text.rstrip().endswith("...")):
            found.ref_text, classified = split_run_on_classified_by(ref_text)
            found.last_label = "ref"
            if classified and not found.classified_by_text:
                found.classified_by_text = classified
                found.last_label = "classified"
        return i
    m = _RE_REF.match(stripped)
    if m and not found.ref_text and (seen_subject or found.tags):
        found.ref_text = (m.group(1) or m.group(2) or "").strip()
        found.last_label = "ref"
        return i
    m = _RE_CLASSIFIED_BY.match(stripped)
    if m and not found.classified_by_text:
        found.classified_by_text = m.group(1).strip()
        found.last_label = "classified"
        return i
    return None
