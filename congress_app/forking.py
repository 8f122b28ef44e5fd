"""The one forkserver the app's child processes are forked from.

A plain fork of a server process is unsafe (its other threads may hold locks the child then
waits on forever), and a fresh interpreter costs about half a second of imports; the
forkserver is a process without threads that has the readers and the PDF renderer loaded,
so a child starts in milliseconds. Python has one forkserver per process, started on first
use with the modules named before: every user names the same list, whichever comes first.
"""

from __future__ import annotations

import logging
import multiprocessing
import multiprocessing.forkserver
from multiprocessing.context import BaseContext

# Uploaded PDFs are read in children (services/pdf_inspection.py); long PDFs are rendered
# in parts in children (pdf/parallel.py).
PRELOAD = ["congress_app.services.pdf_inspection", "congress_app.pdf.render"]

log = logging.getLogger(__name__)


def forkserver_context() -> BaseContext:
    """The forkserver context, its server (when it starts) preloaded with PRELOAD."""
    context = multiprocessing.get_context("forkserver")
    context.set_forkserver_preload(PRELOAD)
    return context


def start() -> None:
    """Start the forkserver now unless it runs: it loads PRELOAD in the background, while
    the caller prepares what its first child will be given."""
    forkserver_context()
    try:
        multiprocessing.forkserver.ensure_running()
    except OSError as error:  # the children will not start either, and say so
        log.warning("the forkserver could not start: %s", error)
