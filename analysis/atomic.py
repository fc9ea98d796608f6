"""Atomic file writes: a reader sees the old file or the new one, never half of either.

``checkpoint`` names the stages of a multi-file write, so that a test can stop a real process at
one of them (``ANALYSIS_PAUSE_AT=<stage>``) instead of guessing with a timer when it gets there.
"""

from __future__ import annotations

import json
import os
import signal
import sys
import tempfile
import threading
from collections.abc import Iterator, Mapping, Sequence
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from analysis.errors import EXIT_INTERRUPTED, EXIT_TERMINATED, Terminated

PAUSE_ENV = "ANALYSIS_PAUSE_AT"  # tests only: a stage name at which the process waits


def checkpoint(stage: str) -> None:
    """With ``ANALYSIS_PAUSE_AT=<stage>``, say ``paused at <stage>`` on stderr and wait there for
    a signal: the observable event a test waits for before it interrupts the process (SIGINT,
    SIGTERM) or lets it go on (SIGUSR1).

    The wait reads the signal wake-up pipe (``signal.set_wakeup_fd``), not ``signal.pause``: a
    signal sent right after the line is printed, before the process starts waiting, is still in
    the pipe, so it cannot be lost (``pause`` would then wait for ever). The signal's own handler
    runs as usual afterwards (Ctrl-C raises, a held signal is queued, SIGUSR1 does nothing)."""
    if os.environ.get(PAUSE_ENV) != stage:
        return
    previous = signal.signal(signal.SIGUSR1, lambda _number, _frame: None)
    read, write = os.pipe()
    os.set_blocking(write, False)
    old_fd = signal.set_wakeup_fd(write)
    try:
        print(f"paused at {stage}", file=sys.stderr, flush=True)
        os.read(read, 1)
    finally:
        signal.set_wakeup_fd(old_fd)
        os.close(read)
        os.close(write)
        signal.signal(signal.SIGUSR1, previous)


def terminate_like_ctrl_c() -> Any:
    """Make SIGTERM raise ``errors.Terminated`` (a KeyboardInterrupt), so every ``finally``
    runs and staged files are removed; main thread only. Returns the previous handler (None
    outside the main thread), for the caller to restore."""
    if threading.current_thread() is not threading.main_thread():
        return None

    def terminated(_number: int, _frame: object) -> None:
        raise Terminated

    return signal.signal(signal.SIGTERM, terminated)


def stopped(exc: KeyboardInterrupt) -> int:
    """Say on stderr how a command was stopped and return its exit code: 143 for SIGTERM
    (``Terminated``), 130 for Ctrl-C; staged files were removed as the exception unwound."""
    if isinstance(exc, Terminated):
        print("terminated", file=sys.stderr)
        return EXIT_TERMINATED
    print("interrupted", file=sys.stderr)
    return EXIT_INTERRUPTED


def write_bytes(path: Path, payload: bytes) -> None:
    """Write ``payload`` to ``path`` via a temporary file in the same folder and a rename."""
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=path.parent)
    try:
        with os.fdopen(fd, "wb") as handle:
            handle.write(payload)
            handle.flush()
            os.fsync(handle.fileno())
        os.chmod(tmp, 0o666 & ~_umask())  # mkstemp creates 0600; give the usual mode
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise


def _umask() -> int:
    mask = os.umask(0)
    os.umask(mask)
    return mask


def write_text(path: Path, text: str) -> None:
    """Write UTF-8 text atomically, with Unix line endings."""
    write_bytes(path, text.encode("utf-8"))


def write_json(path: Path, payload: Any) -> None:
    """Write JSON atomically: sorted keys would reorder the codebook, so key order is kept."""
    write_text(path, json.dumps(payload, indent=2, ensure_ascii=False) + "\n")


def write_together(payloads: Mapping[Path, bytes], moves: Sequence[tuple[Path, Path]] = ()) -> None:
    """Write several files (and move staged ones) so that they change together or not at all.

    Every payload is first written in full to a temporary file beside its destination (same
    filesystem, fsynced); ``moves`` are (staged file, destination) pairs on the same
    filesystem. Only then is everything renamed into place, one rename after another, with
    SIGINT and SIGTERM held back, so an interrupted or failed run leaves every previous file
    intact and an interruption cannot fall between the renames.
    """
    staged: list[tuple[str, Path]] = []
    try:
        for path, payload in payloads.items():
            path.parent.mkdir(parents=True, exist_ok=True)
            fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=path.parent)
            staged.append((tmp, path))
            with os.fdopen(fd, "wb") as handle:
                handle.write(payload)
                handle.flush()
                os.fsync(handle.fileno())
            os.chmod(tmp, 0o666 & ~_umask())
        for _, destination in moves:
            destination.parent.mkdir(parents=True, exist_ok=True)
        checkpoint("staged")
        with _signals_held():
            checkpoint("swapping")
            for source, destination in moves:
                os.replace(source, destination)
            for tmp, path in staged:
                os.replace(tmp, path)
            staged = []
    finally:
        for tmp, _ in staged:
            Path(tmp).unlink(missing_ok=True)


@contextmanager
def _signals_held() -> Iterator[None]:
    """Hold SIGINT/SIGTERM back until the block ends, then deliver them (main thread only).

    Python runs signal handlers in the main thread, so swapping the handlers there holds a
    signal whichever thread the operating system delivered it to.
    """
    if threading.current_thread() is not threading.main_thread():
        yield
        return
    pending: list[int] = []
    previous = {
        number: signal.signal(number, lambda received, _frame: pending.append(received))
        for number in (signal.SIGINT, signal.SIGTERM)
    }
    try:
        yield
    finally:
        for number, handler in previous.items():
            signal.signal(number, signal.SIG_DFL if handler is None else handler)
        for number in pending:
            signal.raise_signal(number)
