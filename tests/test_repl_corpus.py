"""REPL completion on the real corpus (the session-wide `real_corpus` index of conftest.py): the
origin names offered for `from:"...` find cables of the stations their menu entries name."""
from __future__ import annotations

from string import ascii_uppercase

from prompt_toolkit.completion import CompleteEvent
from prompt_toolkit.document import Document

from cablesearch.repl import CableCompleter


def completions(completer: CableCompleter, text: str) -> list:
    return list(completer.get_completions(Document(text, len(text)), CompleteEvent(text_inserted=True)))


def test_offered_origin_names_find_cables_of_their_stations(real_corpus):
    index = real_corpus.index
    completer = CableCompleter(index.values)
    offered = {}  # name -> (stations, their cable count)
    for prefix in [f"Embassy {letter}" for letter in ascii_uppercase] + ["Consulate ", "U", "M", "R", "S", "I"]:
        for completion in completions(completer, f'from:"{prefix}'):
            if " · " not in completion.display_meta_text:
                continue  # a station, not a name
            *stations, _, count, _ = completion.display_meta_text.split()
            offered[completion.text] = (stations, int(count.replace(",", "")))
    assert len(offered) > 150  # the corpus comes from about two hundred posts
    for name, (stations, count) in offered.items():
        found = index.search(f"from:{name}", limit=0, facets=()).total
        by_station = sum(index.search(f"from:{s}", limit=0, facets=()).total for s in stations)
        assert by_station == count, name
        # a name finds cables, never more than its stations sent (one station may have two names:
        # BRUSSELS sends as "Embassy Brussels" and as "USEU Brussels")
        assert 0 < found <= count, (name, found, count)
