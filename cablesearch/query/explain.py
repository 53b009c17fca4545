"""`explain(text)`: how a query was read, as the AST outline and the Whoosh query it compiles to."""
from __future__ import annotations

from whoosh import query as wq

from .ast import dump
from .compiler import compile_query
from .paragraph import SameParagraph
from .parser import parse_query_with_warnings


def explain(text: str) -> str:
    """A readable account of the query for `cablesearch explain`; raises QueryError if malformed."""
    node, warnings = parse_query_with_warnings(text)
    compiled = compile_query(node)
    lines = [f"query:    {text}", f"read as:  {node}"]
    lines += [f"warning:  {w}" for w in warnings]
    lines += ["", "syntax tree:", dump(node, "  "), "", "whoosh query:", format_whoosh(compiled, "  ")]
    return "\n".join(lines)


def format_whoosh(q: wq.Query, indent: str = "") -> str:
    """An indented rendering of a whoosh query tree (its repr is one long line)."""
    boost = f", boost={q.boost:g}" if getattr(q, "boost", 1.0) != 1.0 else ""
    inner = indent + "  "
    if isinstance(q, SameParagraph):
        return f"{indent}SameParagraph(\n{format_whoosh(q.child, inner)}\n{indent}){boost}"
    if isinstance(q, wq.Not):
        return f"{indent}Not(\n{format_whoosh(q.query, inner)}\n{indent})"
    if isinstance(q, wq.compound.CompoundQuery) and not isinstance(q, wq.compound.BinaryQuery):
        body = ",\n".join(format_whoosh(s, inner) for s in q.subqueries)
        return f"{indent}{type(q).__name__}([\n{body}\n{indent}]{boost})"
    return indent + repr(q)
