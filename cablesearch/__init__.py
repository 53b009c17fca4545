"""cablesearch: full-text search for diplomatic cables."""
__version__ = "0.1.0"
