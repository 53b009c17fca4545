"""Reading what the real program writes to a pseudo-terminal, for the end-to-end tests."""
from __future__ import annotations

import os
import re
import select
import time

ANSI = re.compile(r"\x1b\[[0-9;?]*[A-Za-z]|\x1b[()][A-Z0-9]|\x1b[=>]|\r")


def plain(raw: str) -> str:
    """The text without escape codes and carriage returns."""
    return ANSI.sub("", raw)


def read_terminal(fd: int, deadline: float, until: str | None = None) -> str:
    """Raw output from the terminal `fd` until the regex `until` appears in its plain text, the
    program closes the terminal, or the deadline passes. Answers cursor-position requests."""
    seen = b""
    while time.monotonic() < deadline:
        if not select.select([fd], [], [], 0.2)[0]:
            continue
        try:
            chunk = os.read(fd, 65536)
        except OSError:  # the child exited and the terminal closed
            break
        if not chunk:
            break
        if b"\x1b[6n" in chunk:
            os.write(fd, b"\x1b[1;1R")
        seen += chunk
        if until is not None and re.search(until, plain(seen.decode("utf-8", "replace"))):
            break
    return seen.decode("utf-8", "replace")
