"""Worker processes that die with the process that started them.

A ``kill -9`` of a stage reaches only the stage's own process: workers waiting on a
``ProcessPoolExecutor`` queue never see the end of their input and would run on as orphans, and
a worker busy in MuPDF would finish its paper first. Each worker calls :func:`die_with_parent`
first thing, so the kernel (Linux) or a watcher thread (elsewhere) ends it when its parent goes.
"""

from __future__ import annotations

import os
import signal
import sys
import threading
import time

_PR_SET_PDEATHSIG = 1
#: How often the watcher thread (where prctl is not available) looks at the parent pid.
_POLL_S = 0.5


def die_with_parent(parent_pid: int) -> None:
    """End this process with SIGKILL as soon as ``parent_pid`` (the process that spawned it) dies.

    Args:
        parent_pid: ``os.getpid()`` of the parent, taken before the worker was started, so a
            parent that died before this call is noticed too.
    """
    if sys.platform.startswith("linux") and _set_pdeathsig():
        if os.getppid() != parent_pid:  # the parent died before the signal was armed
            os._exit(1)
        return
    threading.Thread(target=_watch_parent, args=(parent_pid,), name="die-with-parent", daemon=True).start()


def _set_pdeathsig() -> bool:
    try:
        import ctypes

        libc = ctypes.CDLL(None, use_errno=True)
        return libc.prctl(_PR_SET_PDEATHSIG, signal.SIGKILL, 0, 0, 0) == 0
    except (OSError, AttributeError):
        return False


def _watch_parent(parent_pid: int) -> None:
    while os.getppid() == parent_pid:
        time.sleep(_POLL_S)
    os._exit(1)
