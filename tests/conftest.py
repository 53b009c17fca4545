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


@pytest.fixture(scope="session")
def real_corpus(tmp_path_factory) -> RealCorpus:
    """The whole real corpus indexed with both cores (built once: it takes a minute or two)."""
    if not CABLES_DIR.is_dir():
        pytest.skip(f"the real corpus folder {CABLES_DIR} is absent")
    from cablesearch import CableIndex
    from cablesearch.model import Cable
    from cablesearch.readers import read_cables
    items = list(read_cables([CABLES_DIR]))
    index = CableIndex.create(tmp_path_factory.mktemp("real-corpus") / "index")
    summary = index.add(items, procs=2)
    yield RealCorpus(index, items, [c for c in items if isinstance(c, Cable)], summary)
    index.close()
