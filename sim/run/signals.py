"""Ctrl-C (SIGINT) and SIGTERM end a command-line run one documented way, whenever they come.

Python's default turns SIGINT into a ``KeyboardInterrupt`` wherever the
interpreter happens to be: half-way through an import, inside numba loading
its compiled loops, or while Hydra writes ``.hydra/config.yaml``. That gave a
raw traceback, a 0-byte config file, an interrupt swallowed by a library (the
run then finished with exit 0) and once a segmentation fault. SIGTERM (what
``kill``, ``timeout`` and SLURM send) ended the process with no clean-up at all.

So the command line installs :func:`install` as its very first step. From then
on a signal is only **recorded**; the run acts on it at safe points
(:func:`check`): after start-up, when its task starts, and between days.
The run then stops the documented way (``sim.cli.run``): one line, exit status
``128 + signal`` (130 for Ctrl-C, 143 for SIGTERM), the run's own files
removed and the user's kept. A second signal stops at once: the registered
clean-up runs (:func:`on_forced_stop`) and the process exits with the same status.

A sweep's main process waits on its workers instead of stepping days, so it
asks for signals to act at once (:func:`act_at_once`): the wait is interrupted
and the finished runs are aggregated. Library users (notebooks, tests) never
call :func:`install`: nothing here changes their Ctrl-C.
"""

from __future__ import annotations

import os
import signal
import sys
from collections.abc import Callable
from types import FrameType

__all__ = [
    "SIGNALS",
    "Stop",
    "act_at_once",
    "check",
    "ignore_from_now",
    "install",
    "on_forced_stop",
    "pending",
    "stop_of",
]

SIGNALS = (signal.SIGINT, signal.SIGTERM)


class Stop(KeyboardInterrupt):
    """A run stopped by a signal: ``signum`` and the exit status it ends with."""

    def __init__(self, signum: int) -> None:
        super().__init__(signal.Signals(signum).name)
        self.signum = signum

    @property
    def status(self) -> int:
        """The exit status, ``128 + signal`` as shells report a signalled process."""
        return 128 + self.signum

    @property
    def name(self) -> str:
        """``SIGINT`` or ``SIGTERM``."""
        return signal.Signals(self.signum).name


_pending: int | None = None
_at_once = False
_ignoring = False
_forced_stop: Callable[[], None] | None = None


def _record(signum: int, frame: FrameType | None) -> None:
    global _pending
    if _ignoring:
        return
    if _pending is not None:  # a second signal: stop now
        if _forced_stop is not None:
            _forced_stop()
        print(f"sim: stopped at once ({signal.Signals(signum).name})", file=sys.stderr)
        os._exit(128 + signum)
    _pending = signum
    if _at_once:
        raise Stop(signum)


def install() -> None:
    """Record SIGINT and SIGTERM from now on, to be acted on at safe points.

    Installing again (``sim.cli.entry`` after ``sim.__main__``) keeps a signal
    that already arrived: it is still acted on at the next safe point.
    """
    global _pending, _at_once, _ignoring
    if all(signal.getsignal(signum) is _record for signum in SIGNALS):
        return
    _pending, _at_once, _ignoring = None, False, False
    for signum in SIGNALS:
        signal.signal(signum, _record)


def pending() -> int | None:
    """Return the signal received and not yet acted on, if any."""
    return _pending


def check() -> None:
    """Raise :class:`Stop` if a signal has arrived (a safe point)."""
    if _pending is not None and not _ignoring:
        raise Stop(_pending)


def act_at_once() -> None:
    """From now on a signal raises :class:`Stop` where it lands (a sweep's waiting parent)."""
    global _at_once
    _at_once = True
    check()


def ignore_from_now() -> None:
    """Ignore signals from now on: the run's results are being written, nothing is left to stop."""
    global _ignoring
    _ignoring = True


def on_forced_stop(cleanup: Callable[[], None] | None) -> None:
    """Run ``cleanup`` before exiting on a second signal (removing the run's files)."""
    global _forced_stop
    _forced_stop = cleanup


def stop_of(error: BaseException | None) -> KeyboardInterrupt | None:
    """Return the interrupt behind ``error``: itself, or one in its chain of causes.

    numba turns a ``KeyboardInterrupt`` that lands while it loads compiled code
    into a ``SystemError`` whose cause is the interrupt.
    """
    seen: set[int] = set()
    while error is not None and id(error) not in seen:
        if isinstance(error, KeyboardInterrupt):
            return error
        seen.add(id(error))
        error = error.__cause__ or error.__context__
    return None
