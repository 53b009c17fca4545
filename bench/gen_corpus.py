"""Write a synthetic Cablegate-sized corpus in the cables.csv layout.

The shape comes from the real data in ../shared/corpus: the 251,287 reference ids and months of
cable2month.csv, and, for each synthetic cable, a "template" real cable of the same station (else of
the same year) whose classification, routing lines (TO/INFO), captions, TAGS, REF count, Classified By
line, paragraph count and markings, case and line wrapping it borrows. The words come from a word-level
model trained on the real paragraphs and subjects (a bigram chain that copies short runs after each jump).

Size: by default the paragraph lengths (word counts of the template's paragraphs) are multiplied by one
scale chosen so that the mean CSV row matches the full 2011 release, 1.7 GB / 251,287 rows ≈ 6,765 bytes.
The scale is solved for on rendered rows (default_length_scale): every template rendered at two scales,
weighted by how many of the 251,287 ids draw it, since the fixed parts of a row (routing, header lines,
the other columns, quoting) do not scale, the big stations' templates are longer than the average real
cable, and paragraphs run on to the end of a sentence.

Each cable depends only on (seed, reference id), and `--count N` takes the first N ids of a seeded
order, so a smaller corpus is a subset of a larger one with the same seed (the scale depends on neither).
Output is streamed. Beyond the archive (`--count 1000000`) come copies of it whose ids keep their
year, station and month with serials no real cable has (copy_id), so the ids stay unique.

    python bench/gen_corpus.py --count 25000 --seed 1 --out /tmp/cablesearch-bench/cables-25000.csv
"""
from __future__ import annotations

import argparse
import calendar
import csv
import hashlib
import io
import json
import os
import pickle
import random
import re
import sys
import time
from array import array
from collections import Counter, defaultdict
from dataclasses import dataclass, field
from pathlib import Path
from typing import IO, Iterable, Iterator

PROJECT_ROOT = Path(__file__).resolve().parents[1]
DEFAULT_CORPUS = PROJECT_ROOT.parent / "shared" / "corpus"
DEFAULT_WORKDIR = Path(os.environ.get("CABLESEARCH_BENCH_DIR", "/tmp/cablesearch-bench"))
PROFILE_VERSION = 5

# Bytes per CSV row of the full 2011 cables.csv (1.7 GB / 251,287). The 6,712 cables published by April
# 2011 run longer than the average cable, so by default paragraph lengths are scaled until the generated
# rows average this (default_length_scale).
REAL_RELEASE_MEAN_ROW_BYTES = 1_700_000_000 / 251_287

CSV_COLUMNS = ("row", "date", "reference_id", "origin", "classification", "references", "header", "body")
PARTIAL_NOTE = ("This record is a partial extract of the original cable. "
                "The full text of the original cable is not available.")
MONTHS = ("JAN", "FEB", "MAR", "APR", "MAY", "JUN", "JUL", "AUG", "SEP", "OCT", "NOV", "DEC")
SPACED_CLASS = {"CONFIDENTIAL": "C O N F I D E N T I A L", "SECRET": "S E C R E T",
                "TOP SECRET": "T O P S E C R E T", "UNCLASSIFIED": "UNCLAS"}
ZNY_LINE = {"CONFIDENTIAL": "ZNY CCCCC ZZH", "SECRET": "ZNY SSSSS ZZH", "TOP SECRET": "ZNY TTTTT ZZH",
            "UNCLASSIFIED": "ZNR UUUUU ZZH"}

ID_RE = re.compile(r"^(\d\d)(.*?)([A-Z]+)(\d+)$")
PARA_RE = re.compile(r"^\s*(?:¶\s*(\d+)\.\s*(?:\(([A-Z/]{1,14})\))?|(\d{1,2})\.\s*\(([A-Z/]{1,14})\))\s*")
HEADER_LINE_PREFIXES = ("TAGS", "SUBJECT", "SUBJ:", "REF", "Classified", "CLASSIFIED BY", "E.O.", "EO ")
PAGE_BREAK_RE = re.compile(r"^[A-Z][A-Z .'-]* \d{8} \d{3} OF \d{3}\s*$")
SENTENCE_END = (".", "?", "!")


def csv_dialect_kwargs() -> dict:
    """How the 2011 cables.csv is quoted: every field in quotes, backslash escapes, no doubled quotes."""
    return dict(quoting=csv.QUOTE_ALL, escapechar="\\", doublequote=False, lineterminator="\n")


def split_reference_id(ref_id: str) -> tuple[int, str, int]:
    """('07BAKU595') -> (2007, 'BAKU', 595); odd ids keep their last run of letters as the station."""
    m = ID_RE.match(ref_id)
    if not m:
        return 2000, "STATE", 0
    yy = int(m.group(1))
    return (1900 + yy if yy > 50 else 2000 + yy), m.group(3), int(m.group(4))


# --- What each real cable contributes: its template -----------------------------------------------

@dataclass
class Template:
    reference_id: str
    station: str
    year: int
    classification: str
    partial: bool
    precedence_line: str        # second line of the VZCZC block, e.g. "RR RUEHWEB"
    route: str                  # DE line routing indicator, e.g. "RUEHSJ"
    dtg_precedence: str         # "R", "P", "O", "Z"
    fm_line: str
    to_lines: list[str]
    info_lines: list[str]
    class_station: str          # station as written on the classification line, e.g. "SAN JOSE"
    sections: int
    captions: list[str]         # lines between classification line and E.O. (SIPDIS, NOFORN, ...)
    eo_number: str
    eo_decl: bool
    tags: list[str]
    subject_words: int
    refs: int
    ref_word: str
    classified_by: str
    markings: list[str | None]  # one per numbered paragraph
    para_words: list[int]       # words in each paragraph (or one entry for unnumbered text)
    upper: bool
    wrapped: bool
    page_breaks: int
    signer: str
    row_bytes: int


@dataclass
class Profile:
    """Everything the generator needs from the real corpus, computed once and cached."""
    templates: list[Template]
    by_station: dict[str, list[int]]
    by_year: dict[int, list[int]]
    origin_names: dict[str, str]            # station code -> "Embassy Baku"
    class_station: dict[str, str]           # station code -> "SAN JOSE"
    tag_pool: list[str]                     # every tag occurrence (frequency-weighted)
    body: "RunModel"
    subjects: "RunModel"
    mean_row_bytes: float
    months: list[tuple[str, int]] = field(default_factory=list)  # (reference id, month) of all cables


class RunModel:
    """A word-level chain: after each word, jump to a random occurrence of it in the training text and
    copy a short run of the words that follow. Runs of length 1 make it a plain bigram chain.

    Stored compactly (word ids in arrays, successor positions grouped per word) so that a model of
    the whole real corpus loads in well under 200 MB."""

    def __init__(self, texts: Iterable[str]):
        vocab: dict[str, int] = {"": 0}        # id 0 marks the end of a training paragraph
        tokens = array("I")
        starts = array("I")
        for text in texts:
            words = text.split()
            if not words:
                continue
            starts.append(len(tokens))
            for i, w in enumerate(words):
                if i and words[i - 1].endswith(SENTENCE_END) and w[:1].isupper():
                    starts.append(len(tokens))
                tokens.append(vocab.setdefault(w, len(vocab)))
            tokens.append(0)
        counts = array("I", bytes(4 * (len(vocab) + 1)))
        for i in range(len(tokens) - 1):
            if tokens[i] and tokens[i + 1]:
                counts[tokens[i] + 1] += 1
        for w in range(1, len(counts)):            # counts -> offsets (prefix sums)
            counts[w] += counts[w - 1]
        positions = array("I", bytes(4 * counts[-1]))
        fill = array("I", counts)
        for i in range(len(tokens) - 1):
            if tokens[i] and tokens[i + 1]:
                positions[fill[tokens[i]]] = i + 1
                fill[tokens[i]] += 1
        self.words_by_id = list(vocab)
        self.ends = bytes(w.endswith(SENTENCE_END) for w in self.words_by_id)
        self.tokens, self.starts, self.offsets, self.positions = tokens, starts, counts, positions

    def __getstate__(self) -> tuple:
        return self.words_by_id, self.ends, self.tokens, self.starts, self.offsets, self.positions

    def __setstate__(self, state: tuple) -> None:
        self.words_by_id, self.ends, self.tokens, self.starts, self.offsets, self.positions = state

    def words(self, rng: random.Random, target: int, *, max_run: int = 8, sentence: bool = True) -> list[str]:
        """About `target` words; with `sentence`, continues to the end of the sentence."""
        tokens, starts, offsets, positions, ends = self.tokens, self.starts, self.offsets, self.positions, self.ends
        rand = rng.random
        out: list[int] = []
        i = starts[int(rand() * len(starts))]
        limit = target + 40
        while True:
            run = tokens[i:i + 1 + int(rand() * max_run)]
            if 0 in run:
                run = run[:run.index(0)]
            out += run
            if len(out) >= target:
                if not sentence:
                    return self._text(out[:target])
                for j in range(target - 1, len(out)):
                    if ends[out[j]]:
                        return self._text(out[:j + 1])
                if len(out) >= limit:
                    words = self._text(out)
                    words[-1] = words[-1].rstrip(",;:") + "."
                    return words
            last = out[-1]
            count = offsets[last + 1] - offsets[last]
            if count and tokens[i + len(run)]:
                i = positions[offsets[last] + int(rand() * count)]
            else:
                i = starts[int(rand() * len(starts))]

    def _text(self, ids: list[int]) -> list[str]:
        words = self.words_by_id
        return [words[w] for w in ids]


def _lines_block(lines: list[str], start: int, stop_prefixes: tuple[str, ...]) -> tuple[list[str], int]:
    out = []
    i = start
    while i < len(lines) and lines[i].strip() and not lines[i].startswith(stop_prefixes):
        out.append(lines[i].rstrip())
        i += 1
    return out, i


def read_template(ref_id: str, text: str, meta: dict) -> tuple[Template, list[str], str]:
    """The shape of one real cable, its paragraph texts (unwrapped) and its subject."""
    year, station, _number = split_reference_id(ref_id)
    lines = text.split("\n")
    partial = text.startswith("This record is a partial extract")
    precedence_line = lines[1].strip() if lines[0].startswith("VZCZC") and len(lines) > 1 else "RR RUEHWEB"
    route, dtg_prec, fm_line = "", "R", ""
    to_lines: list[str] = []
    info_lines: list[str] = []
    for i, line in enumerate(lines[:80]):
        if line.startswith("DE ") and not route:
            route = line.split()[1] if len(line.split()) > 1 else ""
        elif re.match(r"^[ROPZ] \d{6}Z [A-Z]{3} \d\d", line):
            dtg_prec = line[0]
        elif line.startswith("FM ") and not fm_line:
            fm_line = line.rstrip()
        elif line.startswith("TO ") and not to_lines:
            to_lines, _ = _lines_block(lines, i, ("INFO ", "BT"))
        elif line.startswith("INFO ") and not info_lines:
            info_lines, _ = _lines_block(lines, i, ("BT",))
    classification = (meta.get("classification") or "UNCLASSIFIED").upper()
    number = split_reference_id(ref_id)[2]
    class_idx, class_station, sections = None, "", 1
    serial_re = re.compile(r"^(.*?)\s+0*%d\s*$" % number)
    for i, line in enumerate(lines[:120]):
        m = serial_re.match(line)
        if m and not line.startswith(("DE ", "TO ", "INFO ", "FM ", "R ", "P ", "O ")):
            words = m.group(1).split()
            for k in range(1, min(5, len(words)) + 1):
                if "".join(words[-k:]) == station:
                    class_station = " ".join(words[-k:])
                    break
            sec = re.search(r"SECTION \d+ OF (\d+)", line)
            sections = int(sec.group(1)) if sec else 1
            class_idx = i
            break
    eo_idx = next((i for i, l in enumerate(lines[:150]) if l.startswith(("E.O.", "EO "))), None)
    captions: list[str] = []
    if class_idx is not None and eo_idx is not None and eo_idx > class_idx:
        captions = [l.strip() for l in lines[class_idx + 1:eo_idx] if l.strip()][:6]
    eo_line = lines[eo_idx] if eo_idx is not None else ""
    eo_match = re.search(r"\d{5}", eo_line)
    eo_number = eo_match.group(0) if eo_match else "12958"
    tags: list[str] = []
    subject = ""
    refs, ref_word, classified_by = 0, "REF", ""
    for i, line in enumerate(lines[:200]):
        if line.startswith("TAGS") and not tags:
            tags = [t for t in re.split(r"[\s,]+", line[4:].lstrip(": ")) if t]
        elif line.startswith(("SUBJECT:", "SUBJ:")) and not subject:
            block, _ = _lines_block(lines, i, ("REF", "Classified", "CLASSIFIED", "¶"))
            subject = " ".join(block).split(":", 1)[1]
            subject = re.split(r"\bREF\b|\bClassified By\b|\bCLASSIFIED BY\b", subject)[0].strip()
        elif re.match(r"^REF(S|TEL)?\b[:. ]", line) and not refs:
            ref_word = line.split(":")[0].split()[0].rstrip(".")[:6] or "REF"
            refs = min(20, max(1, len(re.findall(r"(?:^|\s|\()[A-H][.)]", line))))
        elif line.startswith(("Classified By", "CLASSIFIED BY")) and not classified_by:
            classified_by = line.strip()
    markings: list[str | None] = []
    para_texts: list[str] = []
    current: list[str] | None = None
    for line in lines:
        m = PARA_RE.match(line)
        if m:
            if current is not None:
                para_texts.append(" ".join(current))
            markings.append(m.group(2) or m.group(4))
            current = [line[m.end():]]
        elif current is not None and not PAGE_BREAK_RE.match(line):
            current.append(line)
    if current is not None:
        para_texts.append(" ".join(current))
    signer = ""
    tail = [l.strip() for l in lines if l.strip()]
    if tail and re.fullmatch(r"[A-Z][A-Z.' -]{1,25}", tail[-1]) and len(tail[-1].split()) <= 2:
        signer = tail[-1]
        if para_texts and para_texts[-1].rstrip().endswith(signer):
            para_texts[-1] = para_texts[-1].rstrip()[: -len(signer)]
    if not para_texts:  # unnumbered body: the text after the blank line that ends the header lines
        last_header = max([i for i, l in enumerate(lines[:80]) if l.startswith(HEADER_LINE_PREFIXES)]
                          + [class_idx or 0])
        start = next((i for i in range(last_header, len(lines)) if not lines[i].strip()), len(lines))
        text_block = " ".join(l for l in lines[start:] if not PAGE_BREAK_RE.match(l))
        if signer and text_block.rstrip().endswith(signer):
            text_block = text_block.rstrip()[: -len(signer)]
        para_texts = [text_block]
    letters = re.sub(r"[^A-Za-z]", "", " ".join(para_texts))
    upper = bool(letters) and sum(c.islower() for c in letters) < 0.02 * len(letters)
    body_lines = [l for l in lines[(class_idx or 0):] if l.strip()]
    wrapped = bool(body_lines) and max(len(l) for l in body_lines) <= 100
    template = Template(
        reference_id=ref_id, station=station, year=year, classification=classification, partial=partial,
        precedence_line=precedence_line, route=route or "RUEH" + station[:2], dtg_precedence=dtg_prec,
        fm_line=fm_line, to_lines=to_lines[:12], info_lines=info_lines[:40], class_station=class_station,
        sections=sections, captions=captions, eo_number=eo_number, eo_decl="DECL" in eo_line,
        tags=tags, subject_words=len(subject.split()), refs=refs, ref_word=ref_word,
        classified_by=classified_by, markings=markings,
        para_words=[len(p.split()) for p in para_texts], upper=upper, wrapped=wrapped,
        page_breaks=sum(1 for l in lines if PAGE_BREAK_RE.match(l)), signer=signer,
        row_bytes=len(text.encode("utf-8")),
    )
    return template, para_texts, subject


def build_profile(corpus: Path) -> Profile:
    """Read the real corpus (text files + manifest + cable2month) into a Profile."""
    manifest = {}
    with open(corpus / "manifest.jsonl", encoding="utf-8") as f:
        for line in f:
            rec = json.loads(line)
            manifest[rec["reference_id"]] = rec
    templates: list[Template] = []
    mixed_paragraphs: list[str] = []
    subjects: list[str] = []
    origin_names: dict[str, Counter] = defaultdict(Counter)
    class_station: dict[str, Counter] = defaultdict(Counter)
    for path in sorted((corpus / "cables").glob("*.txt")):
        ref_id = path.stem
        meta = manifest.get(ref_id, {})
        template, paras, subject = read_template(ref_id, path.read_text(encoding="utf-8"), meta)
        templates.append(template)
        if not template.upper:
            mixed_paragraphs.extend(paras)
        if subject:
            subjects.append(subject.upper())
        if meta.get("origin"):
            origin_names[template.station][meta["origin"]] += 1
        if template.class_station:
            class_station[template.station][template.class_station] += 1
    by_station: dict[str, list[int]] = defaultdict(list)
    by_year: dict[int, list[int]] = defaultdict(list)
    for i, t in enumerate(templates):
        by_station[t.station].append(i)
        by_year[t.year].append(i)
    months = []
    with open(corpus / "cable2month.csv", encoding="utf-8") as f:
        for line in f:
            ref_id, _, month = line.strip().partition(",")
            if ref_id and month.isdigit():
                months.append((ref_id, int(month)))
    return Profile(
        templates=templates, by_station=dict(by_station), by_year=dict(by_year),
        origin_names={k: v.most_common(1)[0][0] for k, v in origin_names.items()},
        class_station={k: v.most_common(1)[0][0] for k, v in class_station.items()},
        tag_pool=[tag for t in templates for tag in t.tags],
        body=RunModel(mixed_paragraphs), subjects=RunModel(subjects),
        mean_row_bytes=sum(t.row_bytes for t in templates) / max(1, len(templates)),
        months=months,
    )


def load_profile(corpus: Path = DEFAULT_CORPUS, cache_dir: Path = DEFAULT_WORKDIR) -> Profile:
    """build_profile, cached as a pickle keyed by the corpus files' sizes and times."""
    files = sorted((corpus / "cables").glob("*.txt"))
    if not files:
        raise SystemExit(f"gen_corpus: no real cables in {corpus / 'cables'} (the profile is built from them)")
    key = hashlib.sha1(repr((PROFILE_VERSION, len(files), [
        (p.name, p.stat().st_size) for p in (corpus / "manifest.jsonl", corpus / "cable2month.csv", *files)
    ])).encode()).hexdigest()[:16]
    cache = cache_dir / f"profile-{key}.pickle"
    if cache.exists():
        with open(cache, "rb") as f:
            return _profile_from_state(pickle.load(f))
    profile = build_profile(corpus)
    cache_dir.mkdir(parents=True, exist_ok=True)
    tmp = cache.with_suffix(f".{os.getpid()}.tmp")
    with open(tmp, "wb") as f:
        pickle.dump(_profile_state(profile), f, protocol=pickle.HIGHEST_PROTOCOL)
    tmp.replace(cache)
    return profile


def _profile_state(profile: Profile) -> dict:
    """Plain data only, so the cache loads whether this file runs as a script or as bench.gen_corpus."""
    state = {k: getattr(profile, k) for k in Profile.__dataclass_fields__}
    state["templates"] = [tuple(getattr(t, k) for k in Template.__dataclass_fields__) for t in profile.templates]
    state["body"] = profile.body.__getstate__()
    state["subjects"] = profile.subjects.__getstate__()
    return state


def _profile_from_state(state: dict) -> Profile:
    state = dict(state)
    state["templates"] = [Template(*values) for values in state["templates"]]
    for key in ("body", "subjects"):
        model = RunModel.__new__(RunModel)
        model.__setstate__(state[key])
        state[key] = model
    return Profile(**state)


# --- Generation --------------------------------------------------------------------------------

COPY_SERIAL = 1_000_000  # copy k of the archive adds k * this to each serial: above every real serial


def copy_id(ref_id: str, copy: int) -> str:
    """The id of `ref_id` in copy `copy` (0 = the real id) of the archive: the same year, station and
    month, a serial no real cable has ('07BAKU595' -> '07BAKU1000595' in copy 1)."""
    if copy == 0:
        return ref_id
    m = ID_RE.match(ref_id)
    if not m:
        return f"{ref_id}{copy * COPY_SERIAL}"
    return f"{m.group(1)}{m.group(2)}{m.group(3)}{copy * COPY_SERIAL + int(m.group(4))}"


def select_ids(profile: Profile, count: int | None, seed: int) -> list[tuple[int, str, int]]:
    """(row index in cable2month, id, month) of the first `count` ids in a seeded order, in file order.

    Beyond the archive's ids (e.g. 1,000,000 cables) come copies of it, each the next `count` ids of
    the same seeded order with copy_id's distinct serials: the archive's shapes again, ids unique."""
    everything = profile.months
    total = len(everything)
    if count is None or count == total:
        return [(i, rid, m) for i, (rid, m) in enumerate(everything)]
    salt = str(seed).encode()
    ranked = sorted(range(total),
                    key=lambda i: hashlib.blake2b(everything[i][0].encode(), key=salt, digest_size=8).digest())
    out: list[tuple[int, str, int]] = []
    for copy in range(-(-count // total)):
        chosen = sorted(ranked[:count - copy * total])
        out += [(i, copy_id(everything[i][0], copy), everything[i][1]) for i in chosen]
    return out


def _wrap(text: str, width: int = 68) -> str:
    return re.sub(r"(.{1,%d})(?: +|$)" % width, "\\1 \n", text).rstrip("\n")


def _fake_references(rng: random.Random, profile: Profile, year: int, n: int, own_index: int) -> list[str]:
    """n ids of real Cablegate cables sent before this one (its neighbours in cable2month)."""
    months = profile.months
    if own_index == 0:
        return []
    out = []
    for _ in range(n):
        j = own_index - 1 - int(rng.expovariate(1 / 3000))
        if j < 0:
            j = int(rng.random() * max(1, own_index))
        out.append(months[j][0])
    out = list(dict.fromkeys(out))
    return out


def template_pool(profile: Profile, station: str, year: int) -> list[int] | range:
    """Indexes of the templates a cable of `station` and `year` draws from (uniformly): the real cables of
    the same station, else of the same year, else all of them."""
    return profile.by_station.get(station) or profile.by_year.get(year) or range(len(profile.templates))


class CableGenerator:
    """Turns (seed, reference id, month) into one cables.csv row."""

    def __init__(self, profile: Profile, seed: int, length_scale: float | None = None):
        self.profile = profile
        self.seed = seed
        self.length_scale = default_length_scale(profile) if length_scale is None else length_scale

    def template_for(self, rng: random.Random, station: str, year: int) -> Template:
        pool = template_pool(self.profile, station, year)
        return self.profile.templates[pool[int(rng.random() * len(pool))]]

    def row(self, row_number: int, index: int, ref_id: str, month: int) -> list[str]:
        rng = random.Random(f"{self.seed}:{ref_id}")
        year, station, _number = split_reference_id(ref_id)
        t = self.template_for(rng, station, year)
        return self.render(rng, t, row_number, index, ref_id, month, self.length_scale)

    def render(self, rng: random.Random, t: Template, row_number: int, index: int, ref_id: str, month: int,
               scale: float) -> list[str]:
        """The row for `ref_id` shaped after template `t`, with paragraph lengths multiplied by `scale`."""
        p = self.profile
        year, station, number = split_reference_id(ref_id)
        month = month if 1 <= month <= 12 else 1
        day = 1 + int(rng.random() * calendar.monthrange(year, month)[1])
        hour, minute = int(rng.random() * 24), int(rng.random() * 60)
        yy = f"{year % 100:02d}"
        classification = t.classification
        base_class = classification.split("//")[0]
        station_name = p.class_station.get(station) or station
        origin_name = p.origin_names.get(station) or ("Embassy " + station_name.title())
        if station == "STATE":
            fm_line = "FM SECSTATE WASHDC"
        elif t.station == station and t.fm_line:
            fm_line = t.fm_line
        else:
            prefix = "AMCONSUL" if origin_name.startswith("Consulate") else (
                "USMISSION" if origin_name.startswith("Mission") else "AMEMBASSY")
            fm_line = f"FM {prefix} {station_name}"
        route = t.route if t.station == station else "RUEH" + re.sub(r"[^A-Z]", "", station)[:2]

        # header column and routing lines
        routing: list[str] = []
        if t.partial:
            header = PARTIAL_NOTE
        else:
            header = "VZCZC%s%04d\n%s" % ("".join(rng.choice("ABCDEFGHIJKLMNOPQRSTUVWXYZ") for _ in range(3)),
                                         int(rng.random() * 10000), t.precedence_line)
            julian = datetime_julian(year, month, day)
            section_mark = "/01" if t.sections > 1 else ""
            routing = [f"DE {route} #{number % 10000:04d}{section_mark} {julian:03d}{hour:02d}{minute:02d}",
                       ZNY_LINE.get(base_class, "ZNY CCCCC ZZH"),
                       f"{t.dtg_precedence} {day:02d}{hour:02d}{minute:02d}Z {MONTHS[month - 1]} {yy}",
                       fm_line]
            routing += t.to_lines or ["TO RUEHC/SECSTATE WASHDC PRIORITY %04d" % int(rng.random() * 10000)]
            routing += t.info_lines
            routing.append("")

        # classification line, captions, E.O., TAGS, SUBJECT, REF, Classified By
        section = f"SECTION 01 OF {t.sections:02d} " if t.sections > 1 else ""
        lines = [f"{SPACED_CLASS.get(base_class, 'UNCLAS')} {section}{station_name} {number:06d} ", " "]
        captions = list(t.captions)
        if "NOFORN" in classification and not any("NOFORN" in c for c in captions):
            captions.insert(0, "NOFORN")  # the text must carry the caveat the container column shows
        for caption in captions:
            lines += [caption + " ", " "]
        if t.eo_decl:
            lines.append(f"E.O. {t.eo_number}: DECL: {month:02d}/{day:02d}/{year + 10} ")
        else:
            lines.append(f"E.O. {t.eo_number}: N/A ")
        tags = list(t.tags)
        if tags and rng.random() < 0.5:  # vary the template's tag set with the corpus-wide frequencies
            tags[int(rng.random() * len(tags))] = p.tag_pool[int(rng.random() * len(p.tag_pool))]
            tags = list(dict.fromkeys(tags))
        if tags:
            lines.append("TAGS: " + " ".join(tags))
        subject = " ".join(p.subjects.words(rng, max(2, t.subject_words), sentence=False)).upper()
        subject_lines = _wrap("SUBJECT: " + subject, 60).split("\n") if t.wrapped else ["SUBJECT: " + subject + " "]
        lines += subject_lines + [" "]
        references: list[str] = []
        if t.refs:
            references = _fake_references(rng, p, year, t.refs, index)
            items = []
            for k, rid in enumerate(references):
                r_year, r_station, r_number = split_reference_id(rid)
                written = p.class_station.get(r_station, r_station)
                if r_year != year:
                    written = f"{r_year % 100:02d} {written}"
                label = f"{chr(ord('A') + k)}. " if len(references) > 1 else ""
                items.append(f"{label}{written} {r_number}")
            lines += [f"{t.ref_word}: " + "  ".join(items) + " ", " "]
        if t.classified_by:
            lines += [t.classified_by + " ", " ", " "]

        # numbered paragraphs with markings, or unnumbered text
        model = p.body
        paragraphs = []
        counts = t.para_words
        if t.markings:
            for k, marking in enumerate(t.markings):
                n = max(3, int(counts[k] * scale)) if k < len(counts) else 20
                text = " ".join(model.words(rng, n))
                if t.upper:
                    text = text.upper()
                mark = f"({marking}) " if marking else ""
                paragraphs.append(f"¶{k + 1}. {mark}{text}")
        else:
            n = max(3, int(sum(counts) * scale))
            text = " ".join(model.words(rng, n))
            paragraphs.append(text.upper() if t.upper else text)
        if t.wrapped:
            paragraphs = [_wrap(para) for para in paragraphs]
        if t.page_breaks and len(paragraphs) > 2:
            pages = min(t.page_breaks + 1, len(paragraphs))
            step = len(paragraphs) / pages
            for page in range(pages - 1, 0, -1):
                at = int(page * step)
                paragraphs.insert(at, f"{station_name} {number:08d} {page + 1:03d} OF {pages:03d}")
        body = "\n".join(routing + lines) + "\n" + "\n \n".join(paragraphs) + " \n"
        if t.signer:
            body += f" \n{t.signer}\n"
        created = f"{month:02d}/{day:02d}/{year} {hour:02d}:{minute:02d}"
        return [str(row_number), created, ref_id, origin_name, classification, "|".join(references),
                header, body]


def template_weights(profile: Profile) -> list[float]:
    """How many cables of the whole release draw each template, in expectation (see template_pool).

    Far from uniform: a station with many ids in the release but few real cables weights those few
    heavily, and the templates drawn this way run longer than the average real cable."""
    weights = [0.0] * len(profile.templates)
    cables = Counter(split_reference_id(ref_id)[:2] for ref_id, _month in profile.months)
    for (year, station), n in cables.items():
        pool = template_pool(profile, station, year)
        for i in pool:
            weights[i] += n / len(pool)
    return weights


def release_mean_row_bytes(profile: Profile, scale: float, weights: list[float] | None = None) -> float:
    """The expected CSV row size of the whole release at paragraph length scale `scale`: each template
    rendered once (for its own reference id, with a fixed seed) and weighted by template_weights."""
    weights = template_weights(profile) if weights is None else weights
    generator = CableGenerator(profile, seed=0, length_scale=scale)
    position = {ref_id: i for i, (ref_id, _month) in enumerate(profile.months)}
    month_of = dict(profile.months)
    buffer = io.StringIO()
    writer = csv.writer(buffer, **csv_dialect_kwargs())
    total = 0.0
    for t, weight in zip(profile.templates, weights):
        if not weight:
            continue
        index = position.get(t.reference_id, len(profile.months) - 1)
        rng = random.Random(f"calibrate:{t.reference_id}")
        row = generator.render(rng, t, index + 1, index, t.reference_id, month_of.get(t.reference_id, 1), scale)
        buffer.seek(0)
        buffer.truncate()
        writer.writerow(row)
        total += weight * len(buffer.getvalue().encode("utf-8"))
    return total / max(1e-9, sum(weights))


def default_length_scale(profile: Profile, target: float = REAL_RELEASE_MEAN_ROW_BYTES) -> float:
    """The paragraph length scale at which the release's mean CSV row is `target` bytes.

    Only paragraph text scales; the routing and header lines, the other columns and the CSV quoting do
    not, and each paragraph runs on to the end of a sentence. So the scale is solved for on rendered
    rows: release_mean_row_bytes at scales 0.5 and 1, then one secant step (the mean is close to linear
    in the scale). Depends on the profile only, not on the seed or the count, so smaller corpora stay
    subsets of larger ones. Takes about 10 s for the full profile."""
    weights = template_weights(profile)
    lo, hi = 0.5, 1.0
    at_lo, at_hi = release_mean_row_bytes(profile, lo, weights), release_mean_row_bytes(profile, hi, weights)
    slope = (at_hi - at_lo) / (hi - lo)
    return max(0.05, hi + (target - at_hi) / slope) if slope > 0 else 1.0


def datetime_julian(year: int, month: int, day: int) -> int:
    return sum(calendar.monthrange(year, m)[1] for m in range(1, month)) + day


def generate_rows(profile: Profile, *, count: int | None, seed: int,
                  length_scale: float | None = None) -> Iterator[list[str]]:
    """Yield cables.csv rows (lists of 8 strings) for the selected ids, lazily."""
    generator = CableGenerator(profile, seed, length_scale)
    for row_number, (index, ref_id, month) in enumerate(select_ids(profile, count, seed), start=1):
        yield generator.row(row_number, index, ref_id, month)


def write_corpus(out: IO[str], profile: Profile, *, count: int | None, seed: int,
                 length_scale: float | None = None, progress: bool = False) -> int:
    """Write the CSV to `out`; returns the number of rows."""
    writer = csv.writer(out, **csv_dialect_kwargs())
    started = time.monotonic()
    n = 0
    for n, row in enumerate(generate_rows(profile, count=count, seed=seed, length_scale=length_scale), 1):
        writer.writerow(row)
        if progress and n % 10000 == 0:
            print(f"gen_corpus: {n} cables, {time.monotonic() - started:.0f}s", file=sys.stderr)
    return n


def default_output(count: int | None, seed: int) -> Path:
    return DEFAULT_WORKDIR / f"cables-{count or 'all'}-s{seed}.csv"


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--count", type=int, default=None,
                    help="number of cables (default: all 251,287; more repeats the archive with new serials)")
    ap.add_argument("--seed", type=int, default=1)
    ap.add_argument("--out", default=None, help="CSV to write ('-' = stdout; default %s)" % default_output(None, 1))
    ap.add_argument("--corpus", type=Path, default=DEFAULT_CORPUS, help="the real corpus folder")
    ap.add_argument("--length-scale", type=float, default=None,
                    help="multiply paragraph lengths (default: match the 1.7 GB of the real release)")
    args = ap.parse_args(argv)
    started = time.monotonic()
    profile = load_profile(args.corpus)
    print(f"gen_corpus: profile of {len(profile.templates)} real cables in {time.monotonic() - started:.1f}s",
          file=sys.stderr)
    length_scale = args.length_scale
    if length_scale is None:
        length_scale = default_length_scale(profile)
        print(f"gen_corpus: paragraph length scale {length_scale:.4f} (mean row "
              f"{REAL_RELEASE_MEAN_ROW_BYTES:,.0f} bytes) in {time.monotonic() - started:.1f}s", file=sys.stderr)
    out_path = args.out or str(default_output(args.count, args.seed))
    if out_path == "-":
        n = write_corpus(sys.stdout, profile, count=args.count, seed=args.seed, length_scale=length_scale)
    else:
        Path(out_path).parent.mkdir(parents=True, exist_ok=True)
        tmp = Path(out_path + ".part")
        with open(tmp, "w", encoding="utf-8", newline="") as f:
            n = write_corpus(f, profile, count=args.count, seed=args.seed, length_scale=length_scale,
                             progress=True)
        tmp.replace(out_path)
    print(f"gen_corpus: wrote {n} cables to {out_path} in {time.monotonic() - started:.1f}s", file=sys.stderr)
    return 0


if __name__ == "__main__":
    sys.exit(main())
