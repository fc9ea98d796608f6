"""Run a project task on a machine that has only Python: ``python3 tasks.py <nox session>``.

It creates ``.tools/`` (a virtual environment holding the pinned nox and uv from
tools/requirements.txt) on first use, then hands over to nox, which builds each session's
environment from uv.lock. Examples: ``python3 tasks.py tests``, ``python3 tasks.py render``.
"""

from __future__ import annotations

import ast
import os
import subprocess
import sys
import venv
from pathlib import Path

ROOT = Path(__file__).resolve().parent
TOOLS = ROOT / ".tools"
REQUIREMENTS = ROOT / "tools" / "requirements.txt"
STAMP = TOOLS / "requirements.installed"
NOXFILE = ROOT / "noxfile.py"
EXIT_USAGE = 2  # README: 0 ok, 1 a check failed, 2 usage error, 3 a required tool is missing


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


def sessions(noxfile: Path = NOXFILE) -> list[str]:
    """Names of the sessions noxfile.py defines (read with ast: nothing is installed first)."""
    names = []
    for node in ast.parse(noxfile.read_text(encoding="utf-8")).body:
        if not isinstance(node, ast.FunctionDef):
            continue
        for decorator in node.decorator_list:
            call = decorator if isinstance(decorator, ast.Call) else None
            target = call.func if call else decorator
            if ast.unparse(target) not in ("nox.session", "session"):
                continue
            named = [k.value for k in (call.keywords if call else []) if k.arg == "name"]
            names.append(
                named[0].value if named and isinstance(named[0], ast.Constant) else node.name
            )
    return names


def main() -> int:
    if len(sys.argv) < 2 or sys.argv[1] in {"-h", "--help"}:
        print(__doc__)
        print("sessions: " + ", ".join(sessions()))
        return 0 if len(sys.argv) >= 2 else EXIT_USAGE
    session, extra = sys.argv[1], sys.argv[2:]
    if extra[:1] == ["--"]:  # ``tasks.py reproduce -- --update``: the separator is ours to add
        extra = extra[1:]
    known = sessions()
    if session not in known:
        print(
            f"tasks: unknown session {session!r}; expected one of: {', '.join(known)}",
            file=sys.stderr,
        )
        return EXIT_USAGE
    python = tools_python()
    env = dict(os.environ, PATH=f"{python.parent}{os.pathsep}{os.environ.get('PATH', '')}")
    command = [str(python), "-m", "nox", "-s", session]
    if extra:
        command += ["--", *extra]
    return subprocess.run(command, cwd=ROOT, env=env).returncode


if __name__ == "__main__":
    sys.exit(main())
