"""Execute a chapter the way Quarto's Jupyter engine does, with the library Quarto uses.

Quarto turns a ``.qmd`` into a notebook (markdown cells between code cells), inserts a setup
cell and runs it through ``nbclient.NotebookClient`` in a fresh ``python3`` kernel started in
the chapter's folder; inline `` `{python} expr` `` expressions are evaluated chunk by chunk as
``user_expressions`` of an empty execute request (quarto-cli src/resources/jupyter/notebook.py).
This module does the same with nbformat and nbclient. What stays ours: reading the ``.qmd``
(analysis.pipeline.qmd), the inline expressions, and errors located by chapter, cell (label or
number) and .qmd line, with the traceback's last lines. Execution stops at the first error, as
Quarto's does, unless the cell (or the document) sets ``error: true``.

The kernel runs this interpreter whatever kernelspecs are installed (``kernelspec()``), with
``--IPKernelApp.log_level=ERROR``: ipykernel 7 logs a warning that the kernel "is running over
TCP without encryption" at every start. The connection is on localhost, between processes of
the same user, exactly as for every Jupyter kernel Quarto starts; the warning says nothing about
the chapter and would be printed 13 times per render. ``install_kernelspec`` writes the same
spec for Quarto (the render session installs it into its environment).
"""

from __future__ import annotations

import argparse
import contextlib
import json
import os
import re
import sys
import tempfile
import time
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from analysis import paths
from analysis.errors import AnalysisError
from analysis.pipeline import qmd

KERNEL_NAME = "python3"
KERNEL_ARGUMENTS = ("--IPKernelApp.log_level=ERROR",)
STARTUP_TIMEOUT = 120.0
CELL_TIMEOUT = 600.0
TRACEBACK_LINES = 8

# What Quarto's Python setup cell does (figure defaults for HTML: 7 x 5 in, retina, 96 dpi),
# restated: its imports are part of what every chapter costs under Quarto.
QUARTO_SETUP = """\
import json as _json, os as _os, sys as _sys, types as _types
try:
    import matplotlib.pyplot as _plt
    _plt.rcParams["figure.figsize"] = (7, 5)
    _plt.rcParams["figure.dpi"] = 96
    _plt.rcParams["savefig.dpi"] = 96
    from IPython.display import set_matplotlib_formats as _formats
    _formats("retina")
except Exception:
    pass
try:
    import pandas as _pd
except Exception:
    pass
print(_json.dumps({
    _m.__file__: _os.stat(_m.__file__).st_mtime
    for _m in list(_sys.modules.values())
    if isinstance(_m, _types.ModuleType) and getattr(_m, "__file__", None)
    and _os.path.exists(_m.__file__)
}))
%reset -f
"""

_ANSI = re.compile(r"\x1b\[[0-9;]*[A-Za-z]")
_CELL_FRAME = re.compile(r"Cell In\[(\d+)\], line (\d+)")


class KernelError(AnalysisError):
    """The kernel could not be started or died; not an error in the chapter's code."""


@dataclass
class Failure:
    """One error raised by a chapter's code, located in the .qmd."""

    chapter: str
    where: str  # "cell 'fig-growth' (line 40)" or "inline expression `...` (line 12)"
    line: int  # .qmd line of the failing statement (the cell's first code line if unknown)
    error: str  # "KeyError: 'unknown artifact'"
    traceback: list[str] = field(default_factory=list)  # last lines, colour codes removed
    fatal: bool = False  # the kernel timed out or died: nothing after it can run

    def __str__(self) -> str:
        head = f"{self.chapter}:{self.line}: {self.where}: {self.error}"
        return "\n".join([head, *("    " + line for line in self.traceback)])


@dataclass
class Output:
    """What one step displayed: ``kind`` is stream, result, display or inline; ``mimetypes``
    lists every representation the kernel sent (``text/markdown``, ``image/png``, ...)."""

    step: str
    kind: str
    text: str
    mimetypes: tuple[str, ...] = ()


@dataclass
class ChapterRun:
    """The outcome of executing one chapter."""

    chapter: str
    seconds: float = 0.0
    startup_seconds: float = 0.0
    cells: int = 0
    inlines: int = 0
    failures: list[Failure] = field(default_factory=list)
    outputs: list[Output] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return not self.failures

    def inline_values(self) -> list[tuple[str, str]]:
        """Each evaluated inline expression with the text Quarto would put in the prose."""
        return [(o.step, o.text) for o in self.outputs if o.kind == "inline"]


def kernel_env(extra: Mapping[str, str] | None = None) -> dict[str, str]:
    """The environment a chapter's kernel gets: ours, with this process's cache folder."""
    env = dict(os.environ)
    env["ANALYSIS_CACHE_DIR"] = str(paths.cache)
    env.update(extra or {})
    return env


def kernelspec(python: str | None = None) -> dict[str, Any]:
    """The ``kernel.json`` of the ``python3`` kernel: ``python`` (default: this interpreter)."""
    return {
        "argv": [
            python or sys.executable,
            "-m",
            "ipykernel_launcher",
            "-f",
            "{connection_file}",
            *KERNEL_ARGUMENTS,
        ],
        "display_name": f"Python {sys.version_info.major} (ipykernel)",
        "language": "python",
        "metadata": {"debugger": True},
    }


def installed_kernelspec(prefix: Path | None = None) -> Path:
    """Where ``install_kernelspec`` puts the spec: ``<prefix>/share/jupyter/kernels/python3``."""
    return Path(prefix or sys.prefix) / "share" / "jupyter" / "kernels" / KERNEL_NAME


def install_kernelspec(prefix: Path | None = None) -> tuple[Path, bool]:
    """Install the ``python3`` kernelspec of this interpreter under ``prefix`` (default: this
    environment, as ``ipykernel install --sys-prefix`` does); returns its folder and whether
    anything was written (a spec that already says the same is left alone)."""
    folder = installed_kernelspec(prefix)
    try:
        current = json.loads((folder / "kernel.json").read_text(encoding="utf-8"))
    except (OSError, ValueError):
        current = None
    if current == kernelspec():
        return folder, False
    from jupyter_client.kernelspec import KernelSpecManager

    with tempfile.TemporaryDirectory() as folder:
        source = Path(folder) / KERNEL_NAME
        source.mkdir()
        (source / "kernel.json").write_text(json.dumps(kernelspec(), indent=1), encoding="utf-8")
        installed = KernelSpecManager().install_kernel_spec(
            str(source), KERNEL_NAME, prefix=str(prefix or sys.prefix)
        )
    return Path(installed), True


def _spec_manager() -> Any:
    """A kernelspec manager whose ``python3`` is this interpreter, whatever specs are installed
    (a user-level python3 spec could point at another Python)."""
    from jupyter_client.kernelspec import KernelSpec, KernelSpecManager

    class ThisInterpreter(KernelSpecManager):
        def get_kernel_spec(self, kernel_name: str) -> KernelSpec:
            spec = kernelspec()
            return KernelSpec(resource_dir=str(Path(sys.prefix)), **spec)

    return ThisInterpreter()


def notebook(doc: qmd.Document, cells: set[int]) -> tuple[Any, list[qmd.Cell | qmd.Markdown]]:
    """The notebook Quarto builds from a .qmd: a markdown cell per chunk, a code cell per
    executable cell (option lines stripped, as Quarto sends it); returns it with the .qmd part
    behind each notebook cell."""
    import nbformat

    nb = nbformat.v4.new_notebook()
    nb.metadata["kernelspec"] = {
        "name": KERNEL_NAME,
        "language": "python",
        "display_name": kernelspec()["display_name"],
    }
    parts: list[qmd.Cell | qmd.Markdown] = []
    for part in doc.parts:
        if isinstance(part, qmd.Cell):
            if part.number not in cells:
                continue
            tags = ["raises-exception"] if part.options.get("error") is True else []
            node = nbformat.v4.new_code_cell(part.code, metadata={"tags": tags} if tags else {})
        else:
            node = nbformat.v4.new_markdown_cell(part.text)
        nb.cells.append(node)
        parts.append(part)
    return nb, parts


def run_chapter(
    path: Path,
    *,
    env: Mapping[str, str] | None = None,
    setup: str | None = None,
    quarto_setup: bool = True,
    project_execute: dict[str, Any] | None = None,
    timeout: float = CELL_TIMEOUT,
) -> ChapterRun:
    """Execute one chapter in its own fresh kernel; the result lists failures, never raises
    for errors in the chapter's code (a kernel that cannot start raises KernelError).

    ``setup`` is code run before the chapter and not counted as part of it (tests use it to
    point the kernel at a temporary project); ``quarto_setup`` runs Quarto's setup cell first.
    """
    from jupyter_client.manager import AsyncKernelManager
    from nbclient import NotebookClient

    doc = qmd.parse(path)
    name = doc.display_name()
    execute = {**(project_execute or qmd.project_execute_options()), **doc.execute_options}
    cells = {c.number for c in doc.executable_cells(project_execute)}
    run = ChapterRun(name)
    if not doc.has_code():
        return run  # Quarto executes nothing here either
    nb, parts = notebook(doc, cells)
    manager = AsyncKernelManager(kernel_name=KERNEL_NAME, kernel_spec_manager=_spec_manager())
    client = NotebookClient(
        nb,
        km=manager,
        timeout=int(max(1, timeout)),
        startup_timeout=int(STARTUP_TIMEOUT),
        allow_errors=bool(execute.get("error", False)),
        record_timing=False,
        resources={"metadata": {"path": str(path.parent.resolve())}},
    )
    started = time.perf_counter()
    # The kernel process's own output (a crash) goes to a log that messages quote.
    with (
        tempfile.NamedTemporaryFile(prefix="analysis-kernel-", suffix=".log") as log,
        contextlib.ExitStack() as stack,
    ):
        try:
            stack.enter_context(
                client.setup_kernel(env=kernel_env(env), stdout=log, stderr=log, cleanup_kc=True)
            )
        except Exception as exc:  # jupyter_client raises many types for a failed launch
            raise KernelError(f"could not start a {KERNEL_NAME} kernel: {exc}{_tail(log)}") from exc
        run.startup_seconds = time.perf_counter() - started
        _run_cells(client, nb, parts, run, name, setup, quarto_setup, timeout, log)
        if any(f.fatal for f in run.failures):
            client.shutdown_kernel = "immediate"  # a timed-out kernel would not answer
    run.seconds = time.perf_counter() - started
    return run


def _run_cells(
    client: Any,
    nb: Any,
    parts: list[qmd.Cell | qmd.Markdown],
    run: ChapterRun,
    name: str,
    setup: str | None,
    quarto_setup: bool,
    timeout: float,
    log: Any,
) -> None:
    import nbformat

    by_count: dict[int, qmd.Cell] = {}
    for label, code in (("quarto setup", QUARTO_SETUP if quarto_setup else ""), ("setup", setup)):
        if code:
            # nbclient stores an executed cell back at its index: a setup cell gets a place of
            # its own past the chapter's cells (index -1 would overwrite the chapter's last cell
            # with the setup cell and its output), removed once it has run.
            node = nbformat.v4.new_code_cell(code)
            nb.cells.append(node)
            try:
                index = len(nb.cells) - 1
                failure = _execute(
                    client, node, index, label, 1, None, by_count, name, timeout, log
                )
            finally:
                nb.cells.pop()
            if failure:
                run.failures.append(failure)
                return
    for index, (node, part) in enumerate(zip(nb.cells, parts, strict=True)):
        if isinstance(part, qmd.Cell):
            step = part.describe()
            failure = _execute(
                client, node, index, step, part.code_line, part, by_count, name, timeout, log
            )
            run.cells += 1
            run.outputs += _outputs(step, node)
        elif part.inlines:
            failure = _inlines(client, node, part, run, name, by_count, timeout, log)
        else:
            continue
        if failure:
            run.failures.append(failure)
            return


def _execute(
    client: Any,
    node: Any,
    index: int,
    step: str,
    line: int,
    cell: qmd.Cell | None,
    by_count: dict[int, qmd.Cell],
    chapter: str,
    timeout: float,
    log: Any,
) -> Failure | None:
    """Run one code cell through nbclient; a Failure if it raised (and errors are not allowed),
    timed out or killed the kernel."""
    from nbclient.exceptions import CellExecutionError, CellTimeoutError, DeadKernelError

    history = cell is not None  # Quarto runs its setup cell without storing history
    try:
        client.execute_cell(node, index, store_history=history)
    except CellTimeoutError:
        return Failure(
            chapter, step, line, f"TimeoutError: no answer within {timeout:g} s", fatal=True
        )
    except DeadKernelError:
        return Failure(chapter, step, line, "KernelError: the kernel died" + _tail(log), fatal=True)
    except CellExecutionError as exc:
        _remember(node, cell, by_count)
        traceback = str(exc.traceback).splitlines()
        return _failure(chapter, step, line, (exc.ename, exc.evalue, traceback), cell, by_count)
    _remember(node, cell, by_count)
    return None


def _remember(node: Any, cell: qmd.Cell | None, by_count: dict[int, qmd.Cell]) -> None:
    if cell is not None and node.get("execution_count") is not None:
        by_count[node["execution_count"]] = cell


def _outputs(step: str, node: Any) -> list[Output]:
    """A code cell's outputs (errors tolerated by ``error: true`` are not outputs)."""
    found = []
    for output in node.get("outputs", []):
        kind = output.get("output_type")
        if kind == "stream":
            found.append(Output(step, "stream", output.get("text", "")))
        elif kind in ("execute_result", "display_data"):
            data = output.get("data", {})
            text = data.get("text/markdown") or data.get("text/plain", "")
            name = "result" if kind == "execute_result" else "display"
            found.append(Output(step, name, str(text), tuple(data)))
    return found


def _inlines(
    client: Any,
    node: Any,
    chunk: qmd.Markdown,
    run: ChapterRun,
    chapter: str,
    by_count: dict[int, qmd.Cell],
    timeout: float,
    log: Any,
) -> Failure | None:
    """Evaluate a markdown chunk's inline expressions as Quarto does: one empty execute
    request carrying them as ``user_expressions``."""
    from nbclient.exceptions import CellTimeoutError, DeadKernelError

    expressions = {str(i): inline.expression for i, inline in enumerate(chunk.inlines)}
    first = chunk.inlines[0]
    try:
        msg_id = client.kc.execute("", user_expressions=expressions, allow_stdin=False)
        reply = client.wait_for_reply(msg_id, node)
    except CellTimeoutError:
        error = f"TimeoutError: no answer within {timeout:g} s"
        return Failure(chapter, first.describe(), first.line, error, fatal=True)
    except DeadKernelError:
        error = "KernelError: the kernel died" + _tail(log)
        return Failure(chapter, first.describe(), first.line, error, fatal=True)
    content = (reply or {}).get("content", {})
    if content.get("status") != "ok":
        error = (
            content.get("ename", "Error"),
            content.get("evalue", ""),
            content.get("traceback", []),
        )
        return _failure(chapter, "inline expressions", chunk.line, error, None, by_count)
    results = content.get("user_expressions") or {}
    for i, inline in enumerate(chunk.inlines):
        result = results.get(str(i), {})
        run.inlines += 1
        if result.get("status") != "ok":
            error = (
                result.get("ename", "Error"),
                result.get("evalue", ""),
                result.get("traceback", []),
            )
            return _failure(chapter, inline.describe(), inline.line, error, None, by_count)
        data = result.get("data", {})
        text = data.get("text/markdown") or data.get("text/plain", "")
        run.outputs.append(Output(inline.describe(), "inline", str(text), tuple(data)))
    return None


def _tail(log: Any, lines: int = 10) -> str:
    """The last lines the kernel process printed (empty when it printed nothing)."""
    log.flush()
    text = Path(log.name).read_text(encoding="utf-8", errors="replace")
    tail = [line for line in text.splitlines() if line.strip()]
    return ("\nkernel output:\n" + "\n".join(tail[-lines:])) if tail else ""


def _failure(
    chapter: str,
    where: str,
    line: int,
    error: tuple[str, str, list[str]],
    cell: qmd.Cell | None,
    by_count: dict[int, qmd.Cell],
) -> Failure:
    """A Failure whose line points at the chapter's failing statement where the traceback
    shows it (the innermost frame in one of the chapter's cells)."""
    ename, evalue, traceback = error
    lines = [
        stripped
        for chunk in traceback
        for stripped in _ANSI.sub("", chunk).splitlines()
        if stripped.strip()
    ]
    for text in reversed(lines):
        frame = _CELL_FRAME.search(text)
        if frame and int(frame.group(1)) in by_count:
            owner = by_count[int(frame.group(1))]
            line = owner.code_line + int(frame.group(2)) - 1
            if cell is not None and owner is not cell:
                where += f", in code from {owner.describe()}"
            break
    message = f"{ename}: {evalue}" if evalue else ename
    return Failure(chapter, where, line, message, lines[-TRACEBACK_LINES:])


def main(argv: list[str] | None = None) -> int:
    """``python -m analysis.pipeline.kernel install [--prefix DIR]``: install the kernelspec."""
    parser = argparse.ArgumentParser(prog="python -m analysis.pipeline.kernel")
    sub = parser.add_subparsers(dest="command", required=True)
    install = sub.add_parser("install", help="install the python3 kernelspec of this interpreter")
    install.add_argument("--prefix", type=Path, help="environment prefix (default: this one)")
    args = parser.parse_args(argv)
    folder, written = install_kernelspec(args.prefix)
    print(f"{'Installed' if written else 'Unchanged:'} kernelspec {KERNEL_NAME} in {folder}")
    return 0


if __name__ == "__main__":
    sys.exit(main())


def executed_markdown(doc: qmd.Document, run: ChapterRun, *, code: bool = False) -> str:
    """The chapter as a reader gets it before pandoc: its markdown with each inline expression
    replaced by its value, and each cell's caption and alt text (``fig-cap``, ``tbl-cap``,
    ``fig-alt``) and text outputs in its place; with ``code`` the cell's code too, as a fenced
    block (what ``freeze`` stores). Images are left out: their words are in the caption."""
    values = iter(text for _, text in run.inline_values())
    pieces = []
    for part in doc.parts:
        if isinstance(part, qmd.Markdown):
            text, end = "", 0
            for match in qmd.INLINE.finditer(part.text):
                start = match.start(1) - len("`{python} ")
                text += part.text[end:start] + next(values, "")
                end = match.end()
            pieces.append(text + part.text[end:])
            continue
        shown = [o.text for o in run.outputs if o.step == part.describe()]
        said = [
            str(part.options[k]) for k in ("fig-cap", "tbl-cap", "fig-alt") if k in part.options
        ]
        pieces.append(
            "\n".join([*(["```python", part.code, "```"] if code else []), *shown, *said])
        )
    return "\n".join(pieces)
