"""Child processes a test interrupts on purpose.

A process started in the background by a non-interactive shell (a CI runner, an agent, ``cmd
&``) inherits SIGINT *ignored*, and Python then installs no Ctrl-C handler: a test's SIGINT would
be dropped and the child would wait at its named stage for ever. ``interruptible`` starts the
child with SIGINT at its default, as a terminal would.
"""

from __future__ import annotations

import signal
import subprocess
from typing import Any


def _ctrl_c_restored() -> None:
    signal.signal(signal.SIGINT, signal.SIG_DFL)


def interruptible(argv: list[str], **options: Any) -> subprocess.Popen:
    """``subprocess.Popen(argv, **options)`` with SIGINT at its default in the child."""
    return subprocess.Popen(argv, preexec_fn=_ctrl_c_restored, **options)
