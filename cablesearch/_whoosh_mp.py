"""Whoosh's multi-process writer, made safe to kill; imported only to index with several processes.

Whoosh's sub-writers block on their job queue forever if the parent dies, and they inherit the
parent's lock file descriptors, so a killed indexer would leave orphans holding the lock. Here
each sub-writer dies with its parent (Linux PR_SET_PDEATHSIG, else a watchdog thread), ignores
Ctrl-C (the parent handles it), and cancel() kills the sub-writers instead of abandoning them.
"""
from __future__ import annotations

import os
import signal
import threading
import time

import whoosh.multiproc
from whoosh.multiproc import MpWriter, SubWriterTask
from whoosh.writing import SegmentWriter

from ._whoosh import FastSegmentWriter, _FastFlush


def _die_with_parent(parent_pid: int) -> None:
    try:
        import ctypes
        libc = ctypes.CDLL(None, use_errno=True)
        PR_SET_PDEATHSIG = 1
        if libc.prctl(PR_SET_PDEATHSIG, signal.SIGKILL, 0, 0, 0) != 0:
            raise OSError
    except (OSError, AttributeError):
        def watch():
            while os.getppid() == parent_pid:
                time.sleep(0.5)
            os._exit(1)
        threading.Thread(target=watch, daemon=True).start()
    if os.getppid() != parent_pid:  # the parent died before we asked to follow it
        os._exit(1)


class _SubWriter(SubWriterTask):
    parent_pid = 0

    def run(self):
        _die_with_parent(self.parent_pid)
        signal.signal(signal.SIGINT, signal.SIG_IGN)
        whoosh.multiproc.SegmentWriter = FastSegmentWriter  # this process's writer (run() names no other)
        super().run()


class ChildSafeMpWriter(_FastFlush, MpWriter):
    """MpWriter whose sub-processes never outlive the indexing process."""

    def _new_task(self):
        task = _SubWriter(self.storage, self.indexname, self.jobqueue, self.resultqueue,
                          self.subargs, self.multisegment)
        task.parent_pid = os.getpid()
        task.daemon = True
        self.tasks.append(task)
        task.start()
        return task

    def end_group(self):
        # MpWriter only hands a job file to a sub-writer from add_document outside a group, so
        # with every document in a group it never would until commit; hand it over here.
        super().end_group()
        if not self._grouping and len(self.docbuffer) >= self.batchsize:
            self._enqueue()

    def cancel(self):
        try:
            for task in self.tasks:
                if task.is_alive():
                    task.kill()
                task.join()
        finally:
            SegmentWriter.cancel(self)
