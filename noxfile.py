"""Every project task is a nox session; each builds its environment from uv.lock and reuses it.

Sessions other tools call by name: tests, lint, validate, render, reproduce, bench, bench-models.
"""

from __future__ import annotations

import os
import shutil
import sys
import time
from pathlib import Path

import nox

nox.options.default_venv_backend = "uv"
nox.options.reuse_existing_virtualenvs = True
nox.options.sessions = ["tests"]
nox.options.error_on_external_run = True

ROOT = Path(__file__).resolve().parent
PYTHON = f"{sys.version_info.major}.{sys.version_info.minor}"
QUARTO_HELP = (
    "Quarto is not installed and could not be installed into this session.\n"
    "Install Quarto 1.9 or newer from https://quarto.org/docs/get-started/ (or, on a machine "
    "with internet access, `pip install quarto-cli`), make sure `quarto --version` works, then "
    "run `python3 tasks.py render` again. Every analysis and chapter was executed and checked "
    "above, so only the render itself (HTML and PDF) is missing."
)


def install(session: nox.Session, *, dev: bool = False) -> None:
    """Install the project and its locked dependencies into the session's environment."""
    command = ["uv", "sync", "--locked", "--no-default-groups"]
    if dev:
        command.append("--group=dev")
    # Compiled bytecode: imports in every kernel and test process are about 3x faster than
    # compiling from source each time (PYTHONDONTWRITEBYTECODE is set on these machines).
    env = {"UV_PROJECT_ENVIRONMENT": session.virtualenv.location, "UV_COMPILE_BYTECODE": "1"}
    session.run_install(*command, env=env, external=True)


def session_python(session: nox.Session) -> str:
    return str(Path(session.virtualenv.location) / "bin" / "python")


@nox.session(python=PYTHON)
def lint(session: nox.Session) -> None:
    """ruff: lint and formatting."""
    install(session, dev=True)
    session.run("ruff", "check", ".")
    session.run("ruff", "format", "--check", ".")


@nox.session(python=PYTHON)
def tests(session: nox.Session) -> None:
    """Lint, then the test suite (pass pytest options after --, e.g. -- -m slow)."""
    install(session, dev=True)
    session.run("ruff", "check", ".")
    session.run("ruff", "format", "--check", ".")
    # One worker per core (pytest-xdist); a test file stays on one worker, so its module
    # fixtures (a generated sample, a data folder) are built once.
    session.run("python", "-m", "pytest", "-n", "auto", "--dist", "loadfile", *session.posargs)


@nox.session(python=PYTHON)
def validate(session: nox.Session) -> None:
    """Check every data resource and that the synthetic sample regenerates byte for byte."""
    install(session)
    session.run("python", "-m", "analysis", "validate")
    session.run("python", "-m", "analysis", "simulate", "--check")


@nox.session(python=PYTHON)
def reproduce(session: nox.Session) -> None:
    """Re-run every analysis from raw data and compare with results/manifest.json (-- --update)."""
    install(session)
    session.run("python", "-m", "analysis", "reproduce", *session.posargs)


@nox.session(python=PYTHON)
def bench(session: nox.Session) -> None:
    """Time chapter execution as Quarto runs it (cold, warm after edits, floor)."""
    install(session)
    session.run("python", "-m", "benchmarks.bench", *session.posargs)


@nox.session(name="bench-models", python=PYTHON)
def bench_models(session: nox.Session) -> None:
    """Time and peak memory of the models on the bundled sample and at 1M and 10M posts."""
    install(session)
    session.run("python", "-m", "benchmarks.bench_models", *session.posargs)


@nox.session(python=PYTHON)
def mutation(session: nox.Session) -> None:
    """Mutation score: each mutant of tools/mutants.toml on a copy of the tree, its tests run."""
    install(session, dev=True)
    session.run("python", "tools/mutation.py", *session.posargs)


@nox.session(name="bench-scale", python=PYTHON)
def bench_scale(session: nox.Session) -> None:
    """Posts at scale: generate N posts to Parquet, validate, reduce in DuckDB, fit (--posts N)."""
    install(session)
    session.run("python", "-m", "benchmarks.bench_scale", *session.posargs)


@nox.session(python=PYTHON)
def render(session: nox.Session) -> None:
    """Render the book (HTML and the PDF) with Quarto into _book/; Quarto executes each stale
    chapter once. Without Quarto: execute and check every chapter, then stop (exit 1)."""
    install(session)
    python = session_python(session)
    quarto = find_quarto(session, python)
    if quarto is None:
        # Nothing can render: at least execute and check every chapter, then say what to do.
        session.run("python", "-m", "analysis", "validate")
        jobs = str(min(4, os.cpu_count() or 1))  # chapters checked at once, one kernel each
        session.run("python", "-m", "analysis", "check-book", "--jobs", jobs)
        session.error(QUARTO_HELP)
    version = str(session.run(quarto, "--version", external=True, silent=True) or "").strip()
    session.log(f"Quarto {version}")
    session.env["QUARTO_PYTHON"] = python
    # Quarto looks up the python3 kernelspec on the Jupyter path: this environment's comes first.
    session.env["JUPYTER_PATH"] = str(Path(session.virtualenv.location) / "share" / "jupyter")
    # Frozen chapters that print the Quarto version are re-executed when it changes.
    session.env["ANALYSIS_QUARTO_VERSION"] = version
    started = time.perf_counter()
    # One process (analysis.cli.prepare_render): the python3 kernelspec of this environment
    # (quiet kernel log), validate (re-read only what changed), the book's static checks (no
    # kernel: Quarto executes the chapters), and stale frozen chapters deleted so Quarto
    # re-executes exactly those.
    session.run("python", "-m", "analysis", "prepare-render")
    own = time.perf_counter() - started
    session.log(f"render: the project's own steps took {own:.1f} s before quarto render")
    session.run(quarto, "render", *session.posargs, external=True)
    session.run("python", "-m", "analysis", "freeze", "--record")


def find_quarto(session: nox.Session, python: str) -> str | None:
    """The quarto on PATH, else one installed into the session from PyPI (None offline)."""
    quarto = shutil.which("quarto", path=os.environ.get("PATH"))
    if quarto is not None:
        return quarto
    # A failed install is expected offline (quarto-cli downloads its binary at install time):
    # keep its long build log out of the way and end with what to do instead.
    output = session.run_install(
        "uv",
        "pip",
        "install",
        "--python",
        python,
        "quarto-cli",
        external=True,
        silent=True,
        success_codes=range(256),
    )
    quarto = shutil.which("quarto", path=str(Path(python).parent))
    if quarto is None:
        lines = [line.strip() for line in str(output or "").splitlines() if line.strip()]
        said = [line for line in lines if line.startswith(("×", "error"))] or lines[-1:]
        if said:
            session.warn(f"`uv pip install quarto-cli`: {said[0]}")
    return quarto
