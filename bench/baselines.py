"""Baselines that bench/run.py measures cablesearch against, on the same cables and query mix.

- PlainWhoosh: what a developer writes in an afternoon: one document per cable, a straightforward schema,
  Whoosh's own MultifieldParser (+ date and fuzzy plugins), `hit.highlights()` for snippets.
- SqliteFts5: Python's sqlite3 with an FTS5 table over the same fields (porter stemming), a paragraph
  table for para:(...), a tag table for facets; queries translated by hand in bench/queries.txt.
- Ripgrep: `rg` over the cables as one text file each, for the queries it can express.

Every engine reads the same parsed records (`docs`, plain dicts from cablesearch's own parser), so the
comparison is between indexes and query engines, not parsers.
"""
from __future__ import annotations

import csv
import json
import re
import shlex
import shutil
import sqlite3
import subprocess
import sys
from dataclasses import dataclass, field
from datetime import datetime, timezone
from pathlib import Path
from typing import Any, Iterable, Iterator

CLASS_LEVELS = ("UNCLASSIFIED", "CONFIDENTIAL", "SECRET", "TOP SECRET")
ENGINES = ("whoosh", "fts5", "rg")
SECTION_RE = re.compile(r"^#\s*---\s*(.*?)\s*-*\s*$")  # "# --- multi-word AND -----": a query class


# --- the query mix -----------------------------------------------------------------------------

@dataclass(frozen=True)
class BenchQuery:
    """One line of bench/queries.txt: the cablesearch query, its options, and the baselines' versions."""
    text: str
    sort: str = "relevance"               # "relevance", "date" (oldest first) or "-date"
    facets: tuple[str, ...] = ()
    translations: dict[str, str | None] = field(default_factory=dict, hash=False)  # None: not expressible
    line: int = 0
    cls: str = ""                         # the "# --- NAME ---" section it sits in: the report's class

    @property
    def key(self) -> str:
        """The query line as written, options included: unique within the mix."""
        options = [f"sort={self.sort}"] if self.sort != "relevance" else []
        options += [f"facets={','.join(self.facets)}"] if self.facets else []
        return " ;; ".join([self.text, *options])

    def translation(self, engine: str) -> str | None:
        return self.translations.get(engine)


class QueryFileError(ValueError):
    pass


def load_queries(path: str | Path) -> list[BenchQuery]:
    """Read the query mix (format described at the top of bench/queries.txt)."""
    queries: list[BenchQuery] = []
    current: dict[str, Any] | None = None
    section = ""

    def finish() -> None:
        if current is None:
            return
        for engine in ("whoosh", "fts5"):
            if engine not in current["translations"]:
                raise QueryFileError(f"{path}:{current['line']}: no {engine} line for {current['text']!r}")
        queries.append(BenchQuery(**current))

    for number, raw in enumerate(Path(path).read_text(encoding="utf-8").splitlines(), 1):
        header = SECTION_RE.match(raw)
        if header:
            section = header.group(1)
            continue
        if not raw.strip() or raw.lstrip().startswith("#"):
            continue
        if raw[0].isspace():
            if current is None:
                raise QueryFileError(f"{path}:{number}: translation before any query")
            engine, _, text = raw.strip().partition(" ")
            if engine not in ENGINES:
                raise QueryFileError(f"{path}:{number}: unknown engine {engine!r} (expected {', '.join(ENGINES)})")
            text = text.strip()
            current["translations"][engine] = None if text in ("", "-") else text
            continue
        finish()
        parts = [p.strip() for p in raw.split(" ;; ")]
        current = {"text": parts[0], "translations": {}, "line": number, "cls": section or "other"}
        for option in parts[1:]:
            key, _, value = option.partition("=")
            if key == "sort" and value in ("date", "-date", "relevance"):
                current["sort"] = value
            elif key == "facets" and value:
                current["facets"] = tuple(v.strip() for v in value.split(","))
            else:
                raise QueryFileError(f"{path}:{number}: bad option {option!r} (sort=date|-date, facets=a,b)")
    finish()
    return queries


# --- the records every engine indexes ------------------------------------------------------------

def doc_from_cable(cable: Any) -> dict[str, Any]:
    """The fields the baselines index, from a cablesearch Cable."""
    created = cable.created.astimezone(timezone.utc).strftime("%Y-%m-%d %H:%M") if cable.created else ""

    def stations(recipients: Iterable[Any]) -> list[str]:
        return [v for r in recipients for v in (r.station, r.name) if v]

    return {
        "id": cable.reference_id,
        "date": created,
        "origin": [v for v in (cable.origin, cable.origin_name) if v],
        "to": stations(cable.to),
        "info": stations(cable.info),
        "tags": list(cable.tags),
        "classification": cable.classification,
        "captions": list(cable.captions),
        "subject": cable.subject,
        "body": cable.body,
        "refs": [r.id for r in cable.references if r.id],
        "signer": cable.signer,
        "classified_by": " ".join(v for v in (cable.classified_by_title, cable.classified_by) if v),
        "paragraphs": [[p.number, p.marking or "", p.text] for p in cable.paragraphs],
    }


def csv_rows(path: str | Path) -> Iterator[list[str]]:
    """Rows of a cables.csv file (the 2011 release's quoting)."""
    csv.field_size_limit(1 << 30)
    with open(path, encoding="utf-8", newline="") as f:
        yield from csv.reader(f, escapechar="\\", doublequote=False)


def parse_corpus(csv_path: str | Path) -> Iterator[Any]:
    """Cables of a cables.csv, through the project's reader when it exists, else its parser per row."""
    try:
        from cablesearch.readers import read_cables
    except ImportError:
        read_cables = None
    if read_cables is not None:
        for item in read_cables([str(csv_path)]):
            if hasattr(item, "reference_id"):
                yield item
        return
    from cablesearch.parser import CableParseError, parse_cable
    for row in csv_rows(csv_path):
        if len(row) < 8 or row[0] == "row":
            continue
        meta = {"reference_id": row[2], "created": row[1], "origin": row[3], "classification": row[4]}
        try:
            yield parse_cable(row[6] + "\n\n" + row[7], source=f"{csv_path}:{row[0]}", metadata=meta)
        except CableParseError:
            continue


def ensure_docs(csv_path: Path, docs_path: Path) -> Path:
    """Parse the corpus once into JSONL records shared by the baselines (reused when up to date)."""
    if docs_path.exists() and docs_path.stat().st_mtime >= csv_path.stat().st_mtime:
        return docs_path
    tmp = docs_path.with_suffix(".part")
    with open(tmp, "w", encoding="utf-8") as out:
        for cable in parse_corpus(csv_path):
            out.write(json.dumps(doc_from_cable(cable), ensure_ascii=False) + "\n")
    tmp.replace(docs_path)
    return docs_path


def read_docs(docs_path: Path) -> Iterator[dict[str, Any]]:
    with open(docs_path, encoding="utf-8") as f:
        for line in f:
            yield json.loads(line)


def class_level(classification: str) -> int:
    base = classification.split("//")[0].strip().upper()
    return CLASS_LEVELS.index(base) if base in CLASS_LEVELS else 0


@dataclass
class EngineAnswer:
    """What one engine returned for one query."""
    total: int | None                 # None when the engine does not count (e.g. rg counts files: same)
    ids: list[str]
    snippets: int = 0                 # how many of the top hits came with a snippet


# --- (a) plain Whoosh ------------------------------------------------------------------------------

class PlainWhoosh:
    """One Whoosh document per cable, default analyzers, Whoosh's QueryParser."""
    name = "whoosh"

    def __init__(self, path: Path):
        self.path = Path(path)
        self.ix = None
        self.searcher = None
        self.parser = None

    @staticmethod
    def schema():
        from whoosh import fields as f
        keywords = dict(lowercase=True, commas=True)
        return f.Schema(
            id=f.ID(stored=True, unique=True), date=f.DATETIME(stored=True, sortable=True),
            year=f.ID(stored=True), month=f.ID(stored=True),
            origin=f.KEYWORD(stored=True, **keywords), to=f.KEYWORD(**keywords), info=f.KEYWORD(**keywords),
            tags=f.KEYWORD(stored=True, **keywords), classification=f.ID(stored=True),
            captions=f.KEYWORD(stored=True, **keywords), subject=f.TEXT(stored=True), body=f.TEXT(stored=True),
            refs=f.KEYWORD(**keywords), signer=f.KEYWORD(**keywords), classified_by=f.TEXT(),
        )

    def build(self, docs: Iterable[dict[str, Any]], *, procs: int = 2) -> int:
        from whoosh import index
        if self.path.exists():
            shutil.rmtree(self.path)
        self.path.mkdir(parents=True)
        ix = index.create_in(str(self.path), self.schema())
        writer = ix.writer(procs=procs, limitmb=256) if procs > 1 else ix.writer(limitmb=256)
        n = 0
        for d in docs:
            fields = {k: ",".join(v.replace(",", " ") for v in d[k]) for k in
                      ("origin", "to", "info", "tags", "captions", "refs") if d[k]}
            for k in ("subject", "body", "classification", "signer", "classified_by"):
                if d[k]:
                    fields[k] = d[k].lower() if k == "signer" else d[k]
            if d["date"]:
                fields["date"] = datetime.strptime(d["date"], "%Y-%m-%d %H:%M")
                fields["year"], fields["month"] = d["date"][:4], d["date"][:7]
            writer.add_document(id=d["id"], **fields)
            n += 1
        writer.commit()
        ix.close()
        return n

    def open(self) -> None:
        from whoosh import index, qparser
        from whoosh.qparser.dateparse import DateParserPlugin
        self.ix = index.open_dir(str(self.path))
        self.searcher = self.ix.searcher()
        self.parser = qparser.MultifieldParser(["subject", "body"], self.ix.schema)
        self.parser.add_plugin(DateParserPlugin())
        self.parser.add_plugin(qparser.FuzzyTermPlugin())

    def close(self) -> None:
        if self.searcher is not None:
            self.searcher.close()
        if self.ix is not None:
            self.ix.close()

    def run(self, text: str, sort: str = "relevance", facets: tuple[str, ...] = ()) -> EngineAnswer:
        from whoosh import sorting
        q = self.parser.parse(text)
        kwargs: dict[str, Any] = {}
        if sort != "relevance":
            kwargs["sortedby"] = "date"
            kwargs["reverse"] = sort == "-date"
        if facets:
            names = {"tag": "tags", "origin": "origin", "year": "year", "month": "month",
                     "classification": "classification", "captions": "captions"}
            kwargs["groupedby"] = {n: sorting.FieldFacet(names[n], allow_overlap=names[n] in ("tags", "origin", "captions"))
                                   for n in facets}
            kwargs["maptype"] = sorting.Count
        results = self.searcher.search(q, limit=10, **kwargs)
        # len(results) of a limited search is an estimate that can be far off (262 instead of 3,514
        # for `date:[20090101 to] nuclear`), so count the matches the way a results page must.
        total = results.scored_length()
        if total >= 10:
            total = len(self.searcher.search(q, limit=None, scored=False))
        ids, snippets = [], 0
        for hit in results:
            ids.append(hit["id"])
            if hit.highlights("body", top=3):
                snippets += 1
        if facets:
            for n in facets:
                results.groups(n)
        return EngineAnswer(total, ids, snippets)


# --- (b) SQLite FTS5 -------------------------------------------------------------------------------

class SqliteFts5:
    """FTS5 over the same fields (porter + unicode61), with date/class columns in a plain table."""
    name = "fts5"
    TEXT_COLUMNS = ("subject", "body", "tags", "origin", "to", "info", "captions", "refs", "signer", "classified_by")

    def __init__(self, path: Path):
        self.path = Path(path)
        self.db: sqlite3.Connection | None = None

    @staticmethod
    def available() -> bool:
        try:
            con = sqlite3.connect(":memory:")
            con.execute("CREATE VIRTUAL TABLE t USING fts5(x)")
            con.close()
            return True
        except sqlite3.OperationalError:
            return False

    def build(self, docs: Iterable[dict[str, Any]]) -> int:
        if self.path.exists():
            self.path.unlink()
        self.path.parent.mkdir(parents=True, exist_ok=True)
        db = sqlite3.connect(str(self.path))
        db.executescript("""
            PRAGMA journal_mode = OFF; PRAGMA synchronous = OFF;
            CREATE TABLE cables(rowid INTEGER PRIMARY KEY, id TEXT UNIQUE, date TEXT, year TEXT, month TEXT,
                                day TEXT, origin TEXT, classification TEXT, class_level INTEGER);
            CREATE VIRTUAL TABLE cables_fts USING fts5(subject, body, tags, origin, "to", info, captions,
                                refs, signer, classified_by, tokenize = 'porter unicode61');
            CREATE VIRTUAL TABLE paras_fts USING fts5(cable UNINDEXED, marking, ptext,
                                tokenize = 'porter unicode61');
            CREATE TABLE cable_tags(cable INTEGER, tag TEXT);
        """)
        n = 0
        rows: dict[str, int] = {}  # id -> rowid: a repeated id (a repaired archive id) replaces its cable
        db.execute("BEGIN")
        for d in docs:
            rowid = rows.get(d["id"])
            if rowid is None:
                rowid = rows[d["id"]] = len(rows) + 1
            else:
                for table, key in (("cables_fts", "rowid"), ("paras_fts", "cable"), ("cable_tags", "cable")):
                    db.execute(f"DELETE FROM {table} WHERE {key} = ?", (rowid,))
            date = d["date"]
            db.execute("INSERT OR REPLACE INTO cables VALUES (?,?,?,?,?,?,?,?,?)",
                       (rowid, d["id"], date, date[:4], date[:7], date[:10], (d["origin"] or [""])[0],
                        d["classification"], class_level(d["classification"])))
            db.execute("INSERT INTO cables_fts(rowid, subject, body, tags, origin, \"to\", info, captions, refs, "
                       "signer, classified_by) VALUES (?,?,?,?,?,?,?,?,?,?,?)",
                       (rowid, d["subject"], d["body"], " ".join(d["tags"]), " ".join(d["origin"]),
                        " ".join(d["to"]), " ".join(d["info"]), " ".join(d["captions"]), " ".join(d["refs"]),
                        d["signer"], d["classified_by"]))
            db.executemany("INSERT INTO paras_fts(cable, marking, ptext) VALUES (?,?,?)",
                           [(rowid, marking.replace("/", " "), text) for _num, marking, text in d["paragraphs"]])
            db.executemany("INSERT INTO cable_tags VALUES (?,?)", [(rowid, t) for t in dict.fromkeys(d["tags"])])
            n = len(rows)
        db.execute("COMMIT")
        db.executescript("""
            CREATE INDEX cable_tags_cable ON cable_tags(cable);
            CREATE INDEX cables_date ON cables(date);
            INSERT INTO cables_fts(cables_fts) VALUES ('optimize');
            INSERT INTO paras_fts(paras_fts) VALUES ('optimize');
        """)
        db.close()
        return n

    def open(self) -> None:
        self.db = sqlite3.connect(str(self.path), check_same_thread=False)

    def close(self) -> None:
        if self.db is not None:
            self.db.close()

    @staticmethod
    def split(translation: str) -> tuple[bool, str, str]:
        """'[PARA ]MATCH [WHERE SQL]' -> (paragraph scope, match expression, where clause)."""
        para = translation.startswith("PARA ")
        if para:
            translation = translation[5:]
        match, _, where = translation.partition("WHERE ")
        return para, match.strip(), where.strip()

    @staticmethod
    def _from(para: bool, match: str, where: str, join: bool = False) -> tuple[str, list[str]]:
        """FROM ... WHERE ... of the matching rows (paragraphs with PARA), joined to cables c only when
        there is an SQL condition on its columns (or `join`: a date sort)."""
        table, key = ("paras_fts", "cable") if para else ("cables_fts", "rowid")
        if not match:
            return f"cables c WHERE {where or '1'}", []
        condition = f" AND ({where})" if where else ""
        if not (where or join):
            return f"{table} WHERE {table} MATCH ?", [match]
        return f"{table} JOIN cables c ON c.rowid = {table}.{key} WHERE {table} MATCH ?{condition}", [match]

    def matching_rowids_sql(self, translation: str) -> tuple[str, list[str]]:
        """SQL selecting the rowids of matching cables (for facets)."""
        para, match, where = self.split(translation)
        source, params = self._from(para, match, where)
        column = "DISTINCT paras_fts.cable" if para and match else (
            "cables_fts.rowid" if match else "c.rowid")
        return f"SELECT {column} FROM {source}", params

    def count(self, translation: str) -> int:
        """The number of matching cables, as a competent SQLite user counts them: count(*) over the
        MATCH (count(DISTINCT cable) over paragraphs), joined to cables only for an SQL condition."""
        para, match, where = self.split(translation)
        source, params = self._from(para, match, where)
        what = "count(DISTINCT paras_fts.cable)" if para and match else "count(*)"
        return self.db.execute(f"SELECT {what} FROM {source}", params).fetchone()[0]

    def run(self, translation: str, sort: str = "relevance", facets: tuple[str, ...] = ()) -> EngineAnswer:
        """Top 10 cables with one snippet each, the total, and the facets the query line asks for.

        By relevance, snippet() sits in the ranked query itself (FTS5 computes it for the rows stepped
        only); by date, the 10 rows are chosen first and then only they get a snippet, since a sort
        would compute the snippet of every match."""
        db = self.db
        para, match, where = self.split(translation)
        order = {"date": "c.date", "-date": "c.date DESC"}.get(sort)
        snippet = ("snippet(paras_fts, 2, '[', ']', '...', 16)" if para
                   else "snippet(cables_fts, 1, '[', ']', '...', 16)")
        if para and match:  # paragraphs best first; the first 10 distinct cables among them
            source, params = self._from(True, match, where, join=bool(order))
            if order:
                cursor = db.execute(f"SELECT paras_fts.cable, paras_fts.rowid FROM {source} ORDER BY {order}", params)
            else:
                cursor = db.execute(f"SELECT paras_fts.cable, {snippet} FROM {source} ORDER BY rank", params)
            best: dict[int, Any] = {}
            for cable, value in cursor:
                if cable not in best:
                    best[cable] = value
                    if len(best) == 10:
                        break
            cursor.close()
            if order and best:
                marks = ",".join("?" * len(best))
                texts = dict(db.execute(f"SELECT rowid, {snippet} FROM paras_fts WHERE paras_fts MATCH ? "
                                        f"AND rowid IN ({marks})", [match, *best.values()]))
                best = {cable: texts.get(rowid, "") for cable, rowid in best.items()}
            ids = self._ids(list(best))
            rows = [(ids[cable], text) for cable, text in best.items()]
        elif match:
            source, params = self._from(False, match, where, join=bool(order))
            if order:
                chosen = [r for (r,) in db.execute(f"SELECT cables_fts.rowid FROM {source} ORDER BY {order} "
                                                   "LIMIT 10", params)]
                rows = self._snippets(match, chosen)
            elif where:
                rows = db.execute(f"SELECT c.id, {snippet} FROM {source} ORDER BY rank LIMIT 10",
                                  params).fetchall()
            else:
                ranked = db.execute(f"SELECT rowid, {snippet} FROM {source} ORDER BY rank LIMIT 10",
                                    params).fetchall()
                ids = self._ids([r for r, _ in ranked])
                rows = [(ids[r], text) for r, text in ranked]
        else:
            rows = db.execute(
                "SELECT c.id, substr(f.body, 1, 200) FROM cables c JOIN cables_fts f ON f.rowid = c.rowid "
                f"WHERE {where} ORDER BY {order or 'c.rowid'} LIMIT 10").fetchall()
        total = self.count(translation)
        if facets:
            matching, params = self.matching_rowids_sql(translation)
        for name in facets:
            if name == "tag":
                db.execute(f"SELECT tag, count(*) FROM cable_tags WHERE cable IN ({matching}) "
                           "GROUP BY tag ORDER BY 2 DESC LIMIT 20", params).fetchall()
            else:
                column = {"origin": "origin", "year": "year", "month": "month",
                          "classification": "classification"}.get(name)
                if column:
                    db.execute(f"SELECT {column}, count(*) FROM cables WHERE rowid IN ({matching}) "
                               "GROUP BY 1 ORDER BY 2 DESC LIMIT 20", params).fetchall()
        return EngineAnswer(total, [r[0] for r in rows], sum(1 for r in rows if r[1]))

    def _ids(self, rowids: list[int]) -> dict[int, str]:
        """Reference ids of a page of rowids."""
        if not rowids:
            return {}
        marks = ",".join("?" * len(rowids))
        return dict(self.db.execute(f"SELECT rowid, id FROM cables WHERE rowid IN ({marks})", rowids))

    def _snippets(self, match: str, rowids: list[int]) -> list[tuple[str, str]]:
        """(id, snippet) of the chosen cables, in their order: one snippet per hit."""
        if not rowids:
            return []
        marks = ",".join("?" * len(rowids))
        texts = dict(self.db.execute(f"SELECT rowid, snippet(cables_fts, 1, '[', ']', '...', 16) FROM cables_fts "
                                     f"WHERE cables_fts MATCH ? AND rowid IN ({marks})", [match, *rowids]))
        ids = self._ids(rowids)
        return [(ids[r], texts.get(r, "")) for r in rowids]


# --- (c) ripgrep -----------------------------------------------------------------------------------

class Ripgrep:
    """rg over one text file per cable (header, blank line, body: the layout of shared/corpus/cables)."""
    name = "rg"

    def __init__(self, folder: Path):
        self.folder = Path(folder)
        self.exe = shutil.which("rg")

    def available(self) -> bool:
        return self.exe is not None

    @staticmethod
    def export(csv_path: Path, folder: Path) -> int:
        """Write each CSV row as <folder>/<reference id>.txt (reused when already complete)."""
        done = folder / ".complete"
        if done.exists() and done.stat().st_mtime >= csv_path.stat().st_mtime:
            return int(done.read_text() or 0)
        if folder.exists():
            shutil.rmtree(folder)
        folder.mkdir(parents=True)
        n = 0
        for row in csv_rows(csv_path):
            if len(row) < 8 or row[0] == "row":
                continue
            name = "".join(ch for ch in row[2] if ch.isalnum()) or f"row{row[0]}"
            (folder / f"{name}.txt").write_text(row[6] + "\n\n" + row[7], encoding="utf-8")
            n += 1
        done.write_text(str(n))
        return n

    def run(self, translation: str, sort: str = "relevance", facets: tuple[str, ...] = ()) -> EngineAnswer:
        args = shlex.split(translation)
        out = subprocess.run([self.exe, "--files-with-matches", "--no-messages", *args, str(self.folder)],
                             capture_output=True, text=True)
        if out.returncode not in (0, 1):
            raise RuntimeError(f"rg {translation}: {out.stderr.strip()}")
        files = [line for line in out.stdout.splitlines() if line.endswith(".txt")]
        return EngineAnswer(len(files), sorted(Path(f).stem for f in files)[:10], 0)


def main(argv: list[str] | None = None) -> int:
    """Check the translations parse: `python bench/baselines.py [bench/queries.txt]`."""
    argv = sys.argv[1:] if argv is None else argv
    path = Path(argv[0]) if argv else Path(__file__).with_name("queries.txt")
    queries = load_queries(path)
    from whoosh import qparser
    from whoosh.qparser.dateparse import DateParserPlugin
    parser = qparser.MultifieldParser(["subject", "body"], PlainWhoosh.schema())
    parser.add_plugin(DateParserPlugin())
    parser.add_plugin(qparser.FuzzyTermPlugin())
    for q in queries:
        w = q.translation("whoosh")
        print(f"{q.text:45} | {parser.parse(w) if w else '-'}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
