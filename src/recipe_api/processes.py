"""The worker's children come from one forkserver, which imports what each kind needs once.

A forkserver is a fresh interpreter that imports the listed modules once and
then forks a child per request in milliseconds, never a copy of a worker
running threads and an event loop. Each kind of child (the import's page
reader, the search process) adds the modules it needs; the list in force is
the one when the forkserver starts (a module added later is imported by the
child itself).
"""

from __future__ import annotations

import multiprocessing
import multiprocessing.context
import multiprocessing.forkserver
import threading

_PRELOAD: list[str] = []


def forkserver(*modules: str) -> multiprocessing.context.ForkServerContext:
    """The forkserver context, with ``modules`` added to what its server imports."""
    context = multiprocessing.get_context("forkserver")
    added = [name for name in modules if name not in _PRELOAD]
    if added:
        _PRELOAD.extend(added)
        context.set_forkserver_preload(list(_PRELOAD))
    return context


def start_forkserver(*modules: str) -> None:
    """The forkserver started in the background (about a second), ``modules`` added first."""
    forkserver(*modules)
    threading.Thread(
        target=multiprocessing.forkserver.ensure_running, name="forkserver-start", daemon=True
    ).start()
