"""``python -m analysis check-book``: execute and lint every chapter without Quarto.

Like ``quarto render``, it executes every chapter listed in _quarto.yml, in book order, each in
its own fresh kernel (analysis/pipeline/kernel.py), after computing in this one process every
artifact the chapters read (so the kernels only read the cache, as they will under Quarto). Then
it runs the static checks of ``analysis.pipeline.book_lint`` (citations, cross-references, alt
text, hand-typed numbers) when that module exists. Exit 1 if any chapter fails or any check finds
a problem.

``--static`` runs only those static checks (and reads every chapter): what the render session
does before ``quarto render``, which executes the chapters itself.
"""

from __future__ import annotations

import argparse
import importlib
import importlib.util
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

from analysis import atomic, console
from analysis.errors import EXIT_CHECK_FAILED, EXIT_OK, AnalysisError
from analysis.pipeline import freeze, kernel, qmd

LINT_MODULE = "analysis.pipeline.book_lint"


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "chapters",
        nargs="*",
        type=Path,
        help="only these chapter files (default: every file _quarto.yml lists)",
    )
    parser.add_argument("--no-lint", action="store_true", help="skip the static checks")
    parser.add_argument(
        "--static",
        action="store_true",
        help="only read the chapters and run the static checks; execute nothing",
    )
    parser.add_argument(
        "--no-prefetch",
        action="store_true",
        help="let each chapter's kernel compute what it misses (as a cold Quarto render would)",
    )
    parser.add_argument(
        "--jobs",
        type=int,
        default=1,
        help="chapters executed at once, each in its own kernel (default 1, as Quarto does)",
    )
    parser.add_argument(
        "--no-quarto-setup",
        action="store_true",
        help="skip the cell Quarto runs before each chapter (figure defaults, importing "
        "matplotlib and pandas): about 1 s less per chapter when only what the chapters say "
        "matters, as with --text",
    )
    parser.add_argument(
        "--text",
        type=Path,
        metavar="DIR",
        help="write each executed chapter's text (prose with inline values, captions and text "
        "outputs) to DIR/<chapter>.md, to read what the book says with these data",
    )
    parser.add_argument(
        "--timeout",
        type=float,
        default=kernel.CELL_TIMEOUT,
        help="seconds a cell may run (default %(default)s)",
    )


def run(args: argparse.Namespace) -> int:
    if args.static:
        return _static(args)
    chapters = [p.resolve() for p in args.chapters] or qmd.book_chapters()
    rows, failures = [], []
    started = time.perf_counter()
    runnable = []
    for chapter in chapters:
        name = freeze.chapter_name(chapter)
        if not chapter.exists():
            rows.append((name, "-", "-", "-", "FAILED", "listed in _quarto.yml but missing"))
            failures.append(f"{name}: listed in _quarto.yml but the file does not exist")
        elif chapter.suffix != ".qmd":
            rows.append((name, "-", "-", "-", "skipped", "not a .qmd file"))
        else:
            runnable.append(chapter)
    docs, uses = {}, []
    for chapter in runnable:
        try:
            docs[chapter] = qmd.parse(chapter)
        except qmd.QmdError as exc:
            name = freeze.chapter_name(chapter)
            rows.append((name, "-", "-", "-", "FAILED", str(exc)))
            failures.append(str(exc))
            continue
        uses.append(freeze.usage(docs[chapter]))

    with console.progress() as bar:
        if not args.no_prefetch:
            names = freeze.needed_artifacts(uses)
            task = bar.add_task("computing artifacts", total=len(names))
            _, failed = freeze.prefetch(names, lambda _: bar.advance(task))
            for name, message in failed.items():
                failures.append(f"artifact {name}: {message}")
        task = bar.add_task("executing chapters", total=len(docs))
        project_execute = qmd.project_execute_options()

        def execute(chapter: Path) -> tuple[tuple[str, ...], list[str]]:
            name = freeze.chapter_name(chapter)
            bar.update(task, description=f"executing {name}")
            done = _execute(
                chapter,
                docs[chapter],
                name,
                project_execute,
                args.timeout,
                args.text,
                quarto_setup=not args.no_quarto_setup,
            )
            bar.advance(task)
            return done

        # Kernels are separate processes: with --jobs 2 two chapters run at once.
        with ThreadPoolExecutor(max_workers=max(1, args.jobs)) as pool:
            for row, problems in pool.map(execute, docs):
                rows.append(row)
                failures += problems
    order = {freeze.chapter_name(c): i for i, c in enumerate(chapters)}
    rows.sort(key=lambda row: order.get(row[0], len(order)))
    console.console.print(
        console.table(
            "Chapters executed in fresh kernels, in book order",
            ["chapter", "cells", "inline", "seconds", "status", "first problem"],
            rows,
        )
    )
    executed = sum(1 for row in rows if row[4] == "ok")
    lint_text = ""
    if not args.no_lint:
        problems, lint_text = _lint()
        failures += problems
    for failure in failures:
        console.errors.print(failure, markup=False)
    seconds = time.perf_counter() - started
    cells = sum(int(r[1]) for r in rows if str(r[1]).isdigit())
    inlines = sum(int(r[2]) for r in rows if str(r[2]).isdigit())
    console.summary(
        "check-book",
        not failures,
        f"{executed}/{len(docs)} chapters executed ({cells} cells, {inlines} inline "
        f"expressions) in {seconds:.1f} s" + lint_text,
    )
    return EXIT_CHECK_FAILED if failures else EXIT_OK


def _static(args: argparse.Namespace) -> int:
    """Parse every chapter and run the static checks, without a kernel."""
    started = time.perf_counter()
    chapters = [p.resolve() for p in args.chapters] or qmd.book_chapters()
    failures = []
    for chapter in chapters:
        if not chapter.exists():
            failures.append(f"{freeze.chapter_name(chapter)}: listed in _quarto.yml but missing")
        elif chapter.suffix == ".qmd":
            try:
                qmd.parse(chapter)
            except qmd.QmdError as exc:
                failures.append(str(exc))
    problems, lint_text = ([], "; lint skipped") if args.no_lint else _lint()
    failures += problems
    for failure in failures:
        console.errors.print(failure, markup=False)
    seconds = time.perf_counter() - started
    console.summary(
        "check-book",
        not failures,
        f"{len(chapters)} chapters read, none executed (--static) in {seconds:.1f} s" + lint_text,
    )
    return EXIT_CHECK_FAILED if failures else EXIT_OK


def _execute(
    chapter: Path,
    doc: qmd.Document,
    name: str,
    project_execute: dict,
    timeout: float,
    text: Path | None = None,
    *,
    quarto_setup: bool = True,
) -> tuple[tuple[str, ...], list[str]]:
    """One chapter in its own kernel: its table row and its failures; with ``text``, its
    executed text is written to ``text/<name>.md``."""
    if not doc.has_code():
        if text is not None:
            atomic.write_text(text / f"{name}.md", doc.text)
        return (name, "0", "0", "-", "ok", "no code"), []
    try:
        result = kernel.run_chapter(
            chapter, project_execute=project_execute, timeout=timeout, quarto_setup=quarto_setup
        )
    except AnalysisError as exc:
        return (name, "-", "-", "-", "FAILED", str(exc).splitlines()[0]), [f"{name}: {exc}"]
    if text is not None and result.ok:
        atomic.write_text(text / f"{name}.md", kernel.executed_markdown(doc, result))
    first = ""
    if result.failures:
        first = f"{result.failures[0].where}: {result.failures[0].error}"
    row = (
        name,
        str(result.cells),
        str(result.inlines),
        f"{result.seconds:.1f}",
        "ok" if result.ok else "FAILED",
        first,
    )
    return row, [str(f) for f in result.failures]


def _lint() -> tuple[list[str], str]:
    """Run analysis.pipeline.book_lint's checks if the module exists: (problems, summary text)."""
    if importlib.util.find_spec(LINT_MODULE) is None:
        return [], f"; lint skipped ({LINT_MODULE} not present)"
    lint = importlib.import_module(LINT_MODULE)
    check = getattr(lint, "lint_book", None)
    if check is None:
        return [f"{LINT_MODULE} has no lint_book() function"], "; lint not run"
    problems = [str(p) for p in check()]
    return problems, f"; lint: {len(problems)} problem" + ("s" if len(problems) != 1 else "")
