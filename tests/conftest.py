"""Shared fixtures: the real corpus of ../shared/corpus, parsed and indexed once per test session."""
from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import pytest

CORPUS = Path(__file__).resolve().parents[1].parent / "shared" / "corpus"
CABLES_DIR = CORPUS / "cables"


@dataclass
class RealCorpus:
    index: object      # CableIndex over every file of CABLES_DIR
    items: list        # what the readers gave, in file order: Cable or ReadError
    cables: list       # the Cable items
    summary: object    # the IndexSummary of building the index

    def latest(self) -> dict:
        """What the index must hold: the last cable read for each reference id."""
        return {c.reference_id: c for c in self.cables}


def create_reference_index(path: Path):
    """An empty index whose Whoosh postings keep the positions too (build_schema(whoosh_positions=True)),
    as indexes did before the postings arrays: Whoosh's own matchers can run its phrases and
    para:(...), the reference the array engine is checked against."""
    from cablesearch import CableIndex
    from cablesearch._whoosh import INDEX_NAME, storage
    from cablesearch.fields import build_schema
    path.mkdir(parents=True)
    storage(path).create_index(build_schema(whoosh_positions=True), indexname=INDEX_NAME)
    return CableIndex.open(path)


def _real_corpus(tmp_path_factory, name: str, create) -> RealCorpus:
    if not CABLES_DIR.is_dir():
        pytest.skip(f"the real corpus folder {CABLES_DIR} is absent")
    from cablesearch.model import Cable
    from cablesearch.readers import read_cables
    items = list(read_cables([CABLES_DIR]))
    index = create(tmp_path_factory.mktemp(name) / "index")
    summary = index.add(items, procs=2)
    return RealCorpus(index, items, [c for c in items if isinstance(c, Cable)], summary)


@pytest.fixture(scope="session")
def real_corpus(tmp_path_factory) -> RealCorpus:
    """The whole real corpus indexed with both cores (built once: it takes a minute or two)."""
    from cablesearch import CableIndex
    corpus = _real_corpus(tmp_path_factory, "real-corpus", CableIndex.create)
    yield corpus
    corpus.index.close()


@pytest.fixture(scope="session")
def reference_corpus(tmp_path_factory) -> RealCorpus:
    """The real corpus indexed as `real_corpus` is, with Whoosh's postings keeping positions too."""
    corpus = _real_corpus(tmp_path_factory, "reference-corpus", create_reference_index)
    yield corpus
    corpus.index.close()


# --- shared by the CLI and REPL tests: the fixture cables, their index, isolated user folders ----

FRONT_END_ROOT = Path(__file__).resolve().parents[1]
FIXTURE_DATA_DIR = FRONT_END_ROOT / "tests" / "data"
EXAMPLES_DIR = FRONT_END_ROOT / "cablesearch" / "examples"
XDG_VARIABLES = ("XDG_DATA_HOME", "XDG_STATE_HOME", "XDG_CACHE_HOME", "XDG_CONFIG_HOME")


@pytest.fixture(scope="session")
def fixture_cables() -> list:
    """The hand-written fixtures (text, HTML page, CSV rows) and the bundled example cables, parsed."""
    from cablesearch.model import Cable
    from cablesearch.readers import read_cables
    return [item for item in read_cables([FIXTURE_DATA_DIR, EXAMPLES_DIR]) if isinstance(item, Cable)]


@pytest.fixture(scope="session")
def small_index(tmp_path_factory, fixture_cables) -> Path:
    """The folder of an index of `fixture_cables`, built once; tests only read it."""
    from cablesearch import CableIndex
    path = tmp_path_factory.mktemp("small-index") / "index"
    with CableIndex.create(path) as index:
        index.add(fixture_cables, procs=1)
    return path


@pytest.fixture(scope="session")
def reference_small_index(tmp_path_factory, fixture_cables) -> Path:
    """`small_index` with Whoosh's postings keeping positions too (see create_reference_index)."""
    path = tmp_path_factory.mktemp("reference-small-index") / "index"
    with create_reference_index(path) as index:
        index.add(fixture_cables, procs=1)
    return path


@pytest.fixture()
def isolated_home(monkeypatch, tmp_path) -> Path:
    """Every per-user (XDG) folder inside tmp_path, no $CABLESEARCH_INDEX and no $NO_COLOR."""
    for name in XDG_VARIABLES:
        monkeypatch.setenv(name, str(tmp_path / name.lower()))
    monkeypatch.delenv("CABLESEARCH_INDEX", raising=False)
    monkeypatch.delenv("NO_COLOR", raising=False)
    return tmp_path


# --- the web tests: the fixture cables plus a hostile cable that cites 07BAKU595 -----------------

@pytest.fixture(scope="session")
def web_index(tmp_path_factory, fixture_cables) -> Path:
    """The folder of an index for the web tests, built once; tests only read it."""
    from cablesearch import CableIndex
    from webserver import hostile_cable
    path = tmp_path_factory.mktemp("web-index") / "index"
    with CableIndex.create(path) as index:
        index.add([*fixture_cables, hostile_cable()], procs=1)
    return path
