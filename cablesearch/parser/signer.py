"""The signer: the name the drafter put under the last paragraph, or at the end of its last line.

Read from the end of the body: furniture after the name (NNNN, a repeated classification, the
site's "CABLE ENDS" rule, the "Visit ... Classified Website" lines) is skipped first, then the
last line is a name on its own ("LeBaron", "van Voorst", "SCOBEY") or ends with one after a
sentence ("... cleared this message. ERELI", "END OF TEXT. BAKER").
"""
from __future__ import annotations

import re

from .furniture import _RE_FURNITURE_ANY

# Lines after the signature that are no text of the cable.
_RE_AFTER_SIGNATURE = re.compile(
    r"^\s*(?:=+\s*CABLE ENDS\s*=+|[*\s]{3,}|\*\s*Missing Section.*|[\"'.>/\\,]{1,3}|\d{1,3}|NNNN\b.*|Nnnn"
    r"|\d{4}[A-Z]+\d+\s*-.*|\"?\s*Classification:.*|SENSITIVE BUT UNCLASSIFIED"
    r"|END (?:OF )?(?:CABLE )?TEXT\.?|End Cable Text|\(?(?:SIPDIS|NOFORN|EXDIS|NODIS|LIMDIS)\)?"
    r"|(?:CONFIDENTIAL|SECRET|UNCLASSIFIED|UNCLAS|SENSITIVE|LIMITED OFFICIAL USE)(?:\s*//?\s*[A-Z]+|\s+(?:NOFORN|SIPDIS))*"
    r"|PAGE\s+\d+.*|NOTE BY .*)\s*$")
# Debris after the name on its line: a date stamp, NNNN and what follows, quotes, dots, hashes.
_RE_TAIL_DEBRIS = re.compile(
    r"(?:\s+0\s+\d{2}/\d{2}/\d{4}|\s+\d{4}-\d{2}-\d{2}|\s*NNNN\b.*|\s*##+|[\s\"”.,'\\\v\x0b]+)+$")
_NAME_WORD = r"(?:Mc|Mac|O'|D')?[A-Z][A-Za-z'’-]*"
_PARTICLE = r"(?:van|von|de|del|della|da|di|du|la|le|st\.?|bin|al|el)"
_SUFFIX = r"(?:,?\s*(?:Jr\.?|jr\.?|JR\.?|Sr\.?|II|III|IV))"
# A line that is a name: one to three words (particles and a suffix allowed); all lower case only alone.
_RE_NAME_LINE = re.compile(
    rf"^(?:(?:{_PARTICLE}\s+)?{_NAME_WORD}(?:\s+(?:{_PARTICLE}\s+)?{_NAME_WORD}){{0,2}}{_SUFFIX}?|[a-z][a-z'-]{{3,}})$")
# A name ending the last line: after a sentence, a redaction or END OF TEXT; one or two words.
_RE_NAME_AFTER_TEXT = re.compile(
    rf"(?:[.!?\"”')\]#*]|X{{6,}}|OF \d{{3}}|\b(?:19|20)\d\d|(?i:END (?:OF )?TEXT|END COMMENT)\.?|MINIMIZE CONSIDERED\.?"
    rf"|UNQUOTE\.?)\s*((?:{_PARTICLE}\s+)?{_NAME_WORD}(?:\s+{_NAME_WORD})?{_SUFFIX}?)$")
_TAIL = 160   # how much of the last line the name patterns read
_NAME_REACH = 80
_DEBRIS_LAST = frozenset(' "”.,\'\\\v\x0b#0123456789')   # last characters that may be debris after a name
_RE_LEAD = re.compile(r"^(?:X{6,}\.?\s+|(?:CDA|Charge|CHARGE|Ambassador|AMBASSADOR|DCM)\s+)")
# The embassy's "Visit our Classified Website" lines, which may end with the name.
_RE_WEBSITE = re.compile(r"Classified Web ?Site|intelink|sgov|https?://|/wiki/|Portal:", re.I)
_RE_NAME_AFTER_WEBSITE = re.compile(rf"(?:X{{6,}}|\s)\s*({_NAME_WORD})$")
# An upper-case name after mixed-case text with no full stop: "... Department of State CLINTON".
_RE_CAPS_AFTER_PROSE = re.compile(r"[a-z][a-z,)]*\s+([A-Z][A-Z'’-]{3,})$")
_RE_DOUBLED_NAME = re.compile(r"\s([A-Z][A-Z'’-]{2,})\s+\1$")
_RE_REDACTION = re.compile(r"^(?:X{6,}\s*)+")
_RE_CLOSING = re.compile(r"\b(?:comment|text|note|summary)\.?\)?$|[Ww]ebsite|XXXXXX", re.I)
_RE_ALL_CAPS_NAME = re.compile(r"^[A-Z][A-Z'’-]+(?:\s+[A-Z][A-Z'’-]+)?$")
# Words that end a text but name nobody (headings, captions, closing formulas).
NOT_NAMES: frozenset[str] = frozenset("""
    END COMMENT COMMENTS TEXT NOTE NOTES SUMMARY QUOTE UNQUOTE SIPDIS NOFORN EXDIS NODIS LIMDIS STADIS
    EFTO FOUO CONFIDENTIAL SECRET UNCLASSIFIED UNCLAS SENSITIVE NNNN BT CABLE ENDS THANKS THANK YOU
    REGARDS MINIMIZE CONSIDERED CLEARED DRAFTED APPROVED ACTION INFO TAGS SUBJECT REF FYI YES NO OK
    NONE PAGE SECTION USG GOI GOE AMEMBASSY EMBASSY AMBASSADOR CHARGE DCM SECSTATE STATE WASHDC
    THE THIS THAT THESE WE HE SHE IT THEY SEE CONTINUED MESSAGE BACKGROUND CONCLUSION RECOMMENDATION
    ANNEX ATTACHMENT TABLE APPENDIX BIOGRAPHY OVERVIEW INTRODUCTION ANALYSIS ENDNOTE AND OR OF IN ON
    FOR TO BY WITH AT AS IS WAS ARE BE DONE ALSO AGAIN PROGRESS TODAY YESTERDAY TOMORROW POST
""".split())


def read_signer(lines: list[str]) -> tuple[str, int, str | None]:
    """(signer, index of its line, what stays of that line) read from the end of the body lines.

    The remaining text is None when the whole line was the name; ("", len(lines), None) when
    the body ends with no name."""
    end = len(lines)
    while end > 0:
        stripped = lines[end - 1].strip()
        if not stripped or _RE_AFTER_SIGNATURE.match(stripped) or _RE_FURNITURE_ANY.match(stripped):
            end -= 1
            continue
        name, rest = _name_on(lines, end - 1)
        if name or not _RE_WEBSITE.search(stripped):
            return name, (end - 1 if name else len(lines)), rest
        end -= 1
    return "", len(lines), None


def _name_on(lines: list[str], k: int) -> tuple[str, str | None]:
    """(name, what stays of the line) for the last text line `k`; ("", None) when it names nobody.

    The patterns look at the end of the line only: the last line may be a whole reflowed paragraph."""
    last = lines[k].strip()
    cut = max(0, len(last) - _TAIL)
    head, tail = last[:cut], last[cut:]
    if tail[-1:] in _DEBRIS_LAST or "NNNN" in tail:
        tail = _RE_TAIL_DEBRIS.sub("", tail).strip()
    lead = _RE_LEAD.match(tail) if not head else None
    if lead:
        tail = tail[lead.end():]
    if tail.endswith((" Jr", " Sr", " jr", " JR")) and last.endswith("."):
        tail += "."   # the suffix keeps its full stop
    clean = head + tail
    if ("ite" in tail or "ITE" in tail or "/" in tail or "sgov" in tail or "intelink" in tail) \
            and _RE_WEBSITE.search(tail):
        m = _RE_NAME_AFTER_WEBSITE.search(tail)
        if m and len(m.group(1)) >= 3 and _names_someone(m.group(1)):
            return _tidy(m.group(1)), (head + tail[:m.start(1)]).rstrip()
        return "", None
    stopped = last.endswith(".")  # a full stop, or the site's "..." where it cut the text
    if len(clean) <= 32 and _RE_NAME_LINE.match(clean) and _names_someone(clean) \
            and (not stopped or _after_a_sentence(lines, k)) and (not clean.islower() or clean == last):
        return _tidy(clean), None
    if last.endswith(("...", "…")):
        return "", None
    at = max(0, len(tail) - _NAME_REACH)   # a name and what comes before it fit in the last characters
    end = tail[at:]
    m = _RE_NAME_AFTER_TEXT.search(end) or _RE_DOUBLED_NAME.search(end) \
        or (None if stopped else _RE_CAPS_AFTER_PROSE.search(end))
    if m and _names_someone(m.group(1)) and (_RE_ALL_CAPS_NAME.match(m.group(1)) or len(clean) > 30):
        return _tidy(m.group(1)), (head + tail[:at + m.start(1)]).rstrip()
    return "", None


def _after_a_sentence(lines: list[str], k: int) -> bool:
    """A name line with a full stop (or the site's "...") comes after finished text: after a long
    line ending in a word ("... APPRECIATES TRINIDAD'S" / "ASSISTANCE.") it is the text's last word."""
    for line in reversed(lines[:k]):
        stripped = line.strip()
        if not stripped or _RE_FURNITURE_ANY.match(stripped):
            continue
        short = len(stripped) < 40 and not lines[k].rstrip().endswith("..")
        return short or not stripped[-1].isalpha() or bool(_RE_CLOSING.search(stripped))
    return True


def _tidy(name: str) -> str:
    """The name without a redaction run before it ("XXXXXXXXXXXXTUTTLE"), typed once
    ("SHANNON Shannon", "KUBISKE KUBISKE" -> one name); "" when only a redaction is left."""
    words = _RE_REDACTION.sub("", name).split()
    if len(words) == 2 and words[0].upper() == words[1].upper():
        return words[0]
    return " ".join(words)


def _names_someone(name: str) -> bool:
    """No word of a heading or closing formula, and at least one letter run of two."""
    words = [w.strip(",.'’").upper() for w in name.split()]
    return bool(words) and not any(w in NOT_NAMES for w in words) and any(len(w) >= 2 for w in words)
