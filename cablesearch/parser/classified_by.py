"""The "Classified by" line: name, title and reasons."""
from __future__ import annotations

import re

from .. import stations as st
from .state import _RE_WS


_RE_CLASSIFIED_BY = re.compile(r"^\s*(?:\((?:U|C|S|SBU)\)\s*)?CLASSIFIED\s+BY\b\s*:?\s*(.*)$", re.I)


_RE_REASONS = re.compile(
    r"(?:E\.?O\.?\s*\d{5},?\s*)?1\.[4-6]\s*(?:\(\s*[A-Ha-h]\s*\)(?:\s*(?:,|and|&|/)?\s*\(\s*[A-Ha-h]\s*\))*"
    r"|\(\s*[A-Ha-h](?:\s*(?:,|and|&|/)\s*[A-Ha-h])*\s*\)"
    r"|[A-Ha-h](?:\s*(?:,|and|&|/)\s*[A-Ha-h])*\b)?"
    r"(?:\s*(?:and|,|&)\s*\(\s*[A-Ha-h]\s*\))*", re.I)


_RE_REASONS_PRESENT = re.compile(r"\b1\.[4-6]\b|\bREASONS?\b", re.I)


def _classified_by(text: str) -> tuple[str, str, str]:
    """"Ambassador Anne E. Derse per 1.4 (b,d)." -> ("Anne E. Derse", "Ambassador", "1.4 (b,d)")."""
    text = _RE_WS.sub(" ", text).strip()
    if not text:
        return "", "", ""
    text = re.sub(r"^(?:CLASSIFIED BY\s*:?\s*)", "", text, flags=re.I)
    m = re.search(r"1\.[4-6]\b", text)
    reasons = ""
    who = text
    if m:
        r = _RE_REASONS.match(text, m.start())
        reasons = text[m.start():r.end() if r else m.end()].strip(" .;,")
        who = text[:m.start()]
    who = re.split(r"[,;]?\s*(?:\bfor\s+reasons?\b|\breasons?\b|\bper\b|\bfor\b|\bunder\b|\bE\.?O\.?\s*1\d{4})",
                  who, maxsplit=1, flags=re.I)[0]
    who = who.strip(" .;,:-")
    if "," in who:
        first, rest = (part.strip(" .;,") for part in who.split(",", 1))
        if first and not any(_is_title_word(w) for w in first.split()) and len(first.split()) <= 5:
            return first, rest, reasons
        who = first
    words = who.split()
    k = len(words)
    while k > 0 and not _is_title_word(words[k - 1]):
        k -= 1
    title, name = " ".join(words[:k]).strip(" ,"), " ".join(words[k:]).strip(" ,")
    if not name and title:
        name, title = title, ""
    return name, title, reasons


def _is_title_word(word: str) -> bool:
    """"Ambassador", "Charge", "A/PolCouns", "Pol/Econ": words of an official's title."""
    word = word.lower().strip(",.")
    return word in st.TITLE_WORDS or ("/" in word and any(part in st.TITLE_WORDS for part in word.split("/")))
