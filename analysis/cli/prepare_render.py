"""``python -m analysis prepare-render``: what the render session does before ``quarto render``.

Four steps in one process, stopping at the first that fails (its exit code is returned):

1. the ``python3`` kernelspec of this environment, which Quarto starts for every chapter
   (analysis.pipeline.kernel: it runs this interpreter with a quiet kernel log); it is written only
   when the installed one says something else;
2. ``validate --reuse``: the package's verdict, re-read only when a data file, references.bib or
   the checking code changed (analysis.cli.validate);
3. ``check-book --static``: the book's static checks, no kernel (Quarto executes the chapters);
4. ``freeze --invalidate``: frozen chapters whose data or code changed are deleted, so Quarto
   re-executes exactly those, and the artifacts they read are computed here, once.

One process rather than one per step: the interpreter starts and the shared imports (the
artifact registry, the cache) are paid once. ``python -m benchmarks.bench`` (``nox -s bench``)
prints what these steps and ``freeze --record`` add to ``quarto render`` after a prose edit
(``overhead=``).
"""

from __future__ import annotations

import argparse
import time
from collections.abc import Callable
from pathlib import Path

from analysis import console, paths
from analysis.cli import run_command
from analysis.errors import EXIT_OK


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "--kernel-prefix",
        type=Path,
        help="environment prefix that receives the python3 kernelspec (default: this one)",
    )


def run(args: argparse.Namespace) -> int:
    from analysis.pipeline import kernel

    started = time.perf_counter()
    timings: list[tuple[str, str, float]] = []

    def step(name: str, action: Callable[[], tuple[int, str]]) -> int:
        begun = time.perf_counter()
        code, text = action()
        timings.append((name, text, time.perf_counter() - begun))
        return code

    def kernelspec() -> tuple[int, str]:
        folder, written = kernel.install_kernelspec(args.kernel_prefix)
        return EXIT_OK, ("written to " if written else "unchanged in ") + str(folder)

    steps: list[tuple[str, Callable[[], tuple[int, str]]]] = [
        ("kernelspec", kernelspec),
        ("validate --reuse", _command("validate", ["--data", str(paths.data), "--reuse"])),
        ("check-book --static", _command("check-book", ["--static"])),
        ("freeze --invalidate", _command("freeze", ["--invalidate"])),
    ]
    for name, action in steps:
        code = step(name, action)
        if code != EXIT_OK:
            console.summary("prepare-render", False, f"stopped at {name} (exit {code})")
            return code
    rows = [(name, text, f"{seconds:.2f}") for name, text, seconds in timings]
    console.console.print(console.table("Before quarto render", ["step", "result", "s"], rows))
    seconds = time.perf_counter() - started
    console.summary("prepare-render", True, f"ready for quarto render in {seconds:.1f} s")
    return EXIT_OK


def _command(name: str, argv: list[str]) -> Callable[[], tuple[int, str]]:
    """A command of ``python -m analysis`` run in this process with ``argv``."""

    def action() -> tuple[int, str]:
        code = run_command(name, argv)
        return code, "ok" if code == EXIT_OK else f"exit {code}"

    return action
