"""Command-line entry point (placeholder until the CLI lands)."""
import sys


def main(argv=None) -> int:
    print("cablesearch: not yet", file=sys.stderr)
    return 2
