"""Run a project task on a machine that has only Python: ``python3 tasks.py <nox session>``.

It creates ``.tools/`` (a virtual environment holding the pinned nox and uv from
tools/requirements.txt) on first use, then hands over to nox, which builds each session's
environment from uv.lock. Examples: ``python3 tasks.py tests``, ``python3 tasks.py render``.
"""

from __future__ import annotations

import os
import subprocess
import sys
import venv
from pathlib import Path

ROOT = Path(__file__).resolve().parent
TOOLS = ROOT / ".tools"
REQUIREMENTS = ROOT / "tools" / "requirements.txt"
STAMP = TOOLS / "requirements.installed"


def tools_python() -> Path:
    """The interpreter of .tools/, created or refreshed when tools/requirements.txt changed."""
    python = TOOLS / ("Scripts/python.exe" if os.name == "nt" else "bin/python")
    wanted = REQUIREMENTS.read_text(encoding="utf-8")
    if python.exists() and STAMP.exists() and STAMP.read_text(encoding="utf-8") == wanted:
        return python
    print(f"tasks: installing {', '.join(_pins(wanted))} into .tools/", file=sys.stderr)
    venv.EnvBuilder(with_pip=True, clear=True).create(TOOLS)
    subprocess.run(
        [
            str(python),
            "-m",
            "pip",
            "install",
            "--quiet",
            "--disable-pip-version-check",
            "-r",
            str(REQUIREMENTS),
        ],
        check=True,
    )
    STAMP.write_text(wanted, encoding="utf-8")
    return python


def _pins(text: str) -> list[str]:
    return [line for line in text.splitlines() if line and not line.startswith("#")]


def main() -> int:
    if len(sys.argv) < 2 or sys.argv[1] in {"-h", "--help"}:
        print(__doc__)
        return 0 if len(sys.argv) >= 2 else 2
    session, extra = sys.argv[1], sys.argv[2:]
    python = tools_python()
    env = dict(os.environ, PATH=f"{python.parent}{os.pathsep}{os.environ.get('PATH', '')}")
    command = [str(python), "-m", "nox", "-s", session]
    if extra:
        command += ["--", *extra]
    return subprocess.run(command, cwd=ROOT, env=env).returncode


if __name__ == "__main__":
    sys.exit(main())
