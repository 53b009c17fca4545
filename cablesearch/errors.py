"""The base of every error cablesearch reports to a user (CLI and REPL print these without a traceback)."""


class CablesearchError(Exception):
    """An error with a message meant for the user."""
