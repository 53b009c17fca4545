"""cablesearch: full-text search for diplomatic cables."""
__version__ = "0.1.0"

__all__ = ["CableIndex", "open_index", "__version__"]


def __getattr__(name: str):
    # Imported on first use so that `import cablesearch` (and CLI start-up) stays cheap.
    if name in ("CableIndex", "open_index"):
        from . import index
        return getattr(index, name)
    raise AttributeError(f"module 'cablesearch' has no attribute {name!r}")
