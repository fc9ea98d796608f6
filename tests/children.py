"""Child processes a test stops at a named stage and interrupts on purpose.

``started`` runs ``argv`` from the project root with the project on ``PYTHONPATH``, told to
pause at ``pause_at`` (``analysis.atomic.checkpoint``) or at no stage, and with SIGINT at its
default: a process started in the background by a non-interactive shell (a CI runner, an agent,
``cmd &``) inherits SIGINT *ignored*, and Python then installs no Ctrl-C handler, so a test's
SIGINT would be dropped and the child would wait at its stage for ever. ``wait_for`` reads the
child's stderr until it says something: the observable event a test waits for, never a timer.
"""

from __future__ import annotations

import os
import signal
import subprocess
from collections.abc import Mapping
from typing import Any

from analysis import atomic, paths


def _ctrl_c_restored() -> None:
    signal.signal(signal.SIGINT, signal.SIG_DFL)


def started(
    argv: list[str],
    *,
    pause_at: str | None = None,
    env: Mapping[str, str] | None = None,
    stdout: Any = subprocess.PIPE,
) -> subprocess.Popen:
    """``argv`` started from the project root, stderr piped as text, SIGINT at its default."""
    environment = {**os.environ, "PYTHONPATH": str(paths.root), **(env or {})}
    environment.pop(atomic.PAUSE_ENV, None)
    if pause_at:
        environment[atomic.PAUSE_ENV] = pause_at
    return subprocess.Popen(
        argv,
        cwd=paths.root,
        env=environment,
        stdout=stdout,
        stderr=subprocess.PIPE,
        text=True,
        preexec_fn=_ctrl_c_restored,
    )


def wait_for(process: subprocess.Popen, said: str, *, whole_line: bool = False) -> None:
    """Read the process's stderr until a line contains ``said`` (is exactly ``said`` with
    ``whole_line``); fail, quoting what it said, if it ends first."""
    assert process.stderr is not None
    heard = []
    for line in process.stderr:
        heard.append(line)
        if line.rstrip("\n") == said if whole_line else said in line:
            return
    raise AssertionError(
        f"the process ended (exit {process.wait()}) without saying {said!r}:\n{''.join(heard)}"
    )
