"""The search engine: queries executed over NumPy arrays of each segment's postings.

postings.py writes and maps each segment's postings as arrays; matching.py evaluates a compiled
`whoosh.query` over them (sets as boolean masks, phrases and para: as position joins), scoring.py
ranks with Whoosh's BM25F and picks the top hits, facets.py counts facet values by bincount.
"""
