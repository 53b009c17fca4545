"""The errors cablesearch reports to a user (the CLI, REPL and web page print these without a traceback)."""
from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from .results import IndexSummary


class CablesearchError(Exception):
    """An error with a message meant for the user."""


class IndexNotFoundError(CablesearchError):
    """No index at the given path (`reason` says why none was built there)."""

    def __init__(self, path: Path, reason: str = ""):
        self.path, self.reason = path, reason
        why = f" ({reason})" if reason else ""
        super().__init__(f"no cable index at {path}{why}; build one with: cablesearch index PATH --index {path}")


class IndexPathError(CablesearchError):
    """The index folder cannot be made or read (not a folder, no permission, read-only ...)."""

    def __init__(self, path: Path, action: str, error: OSError):
        self.path, self.error = path, error
        reason = error.strerror or str(error)
        where = f" ({error.filename})" if error.filename and str(error.filename) != str(path) else ""
        super().__init__(f"cannot {action} an index at {path}: {reason}{where}")


class InvalidSearchError(CablesearchError, ValueError):
    """A search argument out of range (negative offset or limit, unknown sort or facet)."""


class IndexExistsError(CablesearchError):
    """CableIndex.create on a folder that already holds an index."""


class IndexFormatError(CablesearchError):
    """The folder holds an index this version cannot read (another schema)."""


class IndexLockedError(CablesearchError):
    """Another process is writing to the index and did not finish within the wait."""

    def __init__(self, path: Path, pid: int | None, started: str | None, waited: float):
        self.path, self.pid, self.started, self.waited = path, pid, started, waited
        holder = f"process {pid} (started {started})" if pid else "another process"
        super().__init__(f"index {path} is being written by {holder}; gave up after waiting {waited:g}s. "
                         f"Try again when it has finished.")


class IndexWriteError(CablesearchError):
    """A commit did not hold what was written (e.g. a worker process died); rerun to finish."""


class IndexingInterrupted(CablesearchError, KeyboardInterrupt):
    """Ctrl-C during `add`: the index holds the cables of the last commit; `summary` says what was done."""

    def __init__(self, summary: IndexSummary):
        self.summary = summary
        super().__init__(f"interrupted; the index keeps the last commit ({summary}). "
                         f"Run the same command again to finish.")
