"""Execute a chapter the way Quarto's Jupyter engine does, in a real kernel, without Quarto.

One fresh ``python3`` kernel of the current environment per chapter, started in the chapter's
folder. Like Quarto, it first runs a setup cell (Quarto's imports matplotlib.pyplot and pandas
to configure figures; ours does the same so timings are honest), then walks the document in
order: each code cell without its ``#|`` option lines, and each markdown chunk's inline
expressions as ``user_expressions`` of an empty execute request. Execution stops at the first
error, as Quarto's does, unless the cell (or the document) sets ``error: true``. An error is
reported with the chapter, the cell's label or number, the .qmd line and the traceback's last
lines.
"""

from __future__ import annotations

import os
import queue
import re
import sys
import tempfile
import time
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from analysis import paths
from analysis.build import qmd
from analysis.errors import AnalysisError

KERNEL_NAME = "python3"
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
    """What one step displayed: ``kind`` is stream, result, display or inline."""

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


@dataclass
class Reply:
    """A kernel's answer to one execute request."""

    status: str
    execution_count: int | None
    outputs: list[tuple[str, str, tuple[str, ...]]]
    error: tuple[str, str, list[str]] | None = None
    user_expressions: dict[str, Any] = field(default_factory=dict)


def kernel_env(extra: Mapping[str, str] | None = None) -> dict[str, str]:
    """The environment a chapter's kernel gets: ours, with this process's cache folder."""
    env = dict(os.environ)
    env["ANALYSIS_CACHE_DIR"] = str(paths.cache)
    env.update(extra or {})
    return env


class Kernel:
    """A started ``python3`` kernel (of this interpreter) with a blocking client."""

    def __init__(self, cwd: Path, env: Mapping[str, str] | None = None) -> None:
        self.cwd = cwd
        self.env = kernel_env(env)
        self._manager: Any = None
        self._client: Any = None
        self._log: Any = None
        self._busy = False  # a request is unanswered (timed out): shut down by killing

    def __enter__(self) -> Kernel:
        self.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self.shutdown()

    def start(self) -> None:
        """Start the kernel and wait until it answers."""
        from jupyter_client import KernelManager

        manager = KernelManager(kernel_name=KERNEL_NAME, kernel_spec_manager=_this_interpreter())
        # The kernel process's own output (start-up warnings, a crash) goes to a log that
        # error messages quote, not into the terminal between progress bars.
        self._log = tempfile.NamedTemporaryFile(  # noqa: SIM115 (closed in shutdown)
            prefix="analysis-kernel-", suffix=".log", delete=False
        )
        try:
            manager.start_kernel(
                cwd=str(self.cwd), env=self.env, stdout=self._log, stderr=self._log
            )
        except Exception as exc:  # jupyter_client raises many types for a failed launch
            self.shutdown()
            raise KernelError(f"could not start a {KERNEL_NAME} kernel: {exc}") from exc
        self._manager = manager
        client = manager.client()
        client.start_channels()
        self._client = client
        try:
            client.wait_for_ready(timeout=STARTUP_TIMEOUT)
        except RuntimeError as exc:
            log = self.log_tail()
            self.shutdown()
            raise KernelError(f"the {KERNEL_NAME} kernel did not start: {exc}{log}") from exc

    def log_tail(self, lines: int = 10) -> str:
        """The last lines the kernel process printed (empty when it printed nothing)."""
        if self._log is None:
            return ""
        self._log.flush()
        text = Path(self._log.name).read_text(encoding="utf-8", errors="replace")
        tail = [line for line in text.splitlines() if "running over TCP" not in line]
        return ("\nkernel output:\n" + "\n".join(tail[-lines:])) if tail else ""

    def shutdown(self) -> None:
        """Ask the kernel to exit, then make sure it has (idempotent)."""
        if self._client is not None:
            self._client.stop_channels()
            self._client = None
        manager, self._manager = self._manager, None
        if manager is not None:
            if manager.is_alive():
                # A kernel still busy with a timed-out cell would not answer the request.
                manager.shutdown_kernel(now=self._busy)
            else:
                manager.cleanup_resources()
        log, self._log = self._log, None
        if log is not None:
            log.close()
            Path(log.name).unlink(missing_ok=True)

    def execute(
        self,
        code: str,
        *,
        user_expressions: dict[str, str] | None = None,
        timeout: float = CELL_TIMEOUT,
        store_history: bool = True,
    ) -> Reply:
        """Run code (or only evaluate ``user_expressions``) and collect what it displayed."""
        client = self._client
        if client is None:
            raise KernelError("the kernel is not running")
        self._busy = True
        msg_id = client.execute(
            code,
            store_history=store_history,
            allow_stdin=False,
            user_expressions=user_expressions or {},
            stop_on_error=True,
        )
        outputs: list[tuple[str, str, tuple[str, ...]]] = []
        deadline = time.monotonic() + timeout
        idle = False
        while not idle:
            message = self._next(client.get_iopub_msg, deadline, timeout)
            if message.get("parent_header", {}).get("msg_id") != msg_id:
                continue
            kind, content = message["msg_type"], message["content"]
            if kind == "status" and content.get("execution_state") == "idle":
                idle = True
            elif kind == "stream":
                outputs.append(("stream", content.get("text", ""), ()))
            elif kind in ("execute_result", "display_data"):
                data = content.get("data", {})
                text = data.get("text/markdown") or data.get("text/plain", "")
                name = "result" if kind == "execute_result" else "display"
                outputs.append((name, text, tuple(data)))
        while True:
            reply = self._next(client.get_shell_msg, deadline, timeout)
            if reply.get("parent_header", {}).get("msg_id") == msg_id:
                break
        self._busy = False
        content = reply["content"]
        error = None
        if content.get("status") == "error":
            error = (content.get("ename", "Error"), content.get("evalue", ""), content["traceback"])
        return Reply(
            content.get("status", "error"),
            content.get("execution_count"),
            outputs,
            error,
            content.get("user_expressions") or {},
        )

    def _next(self, get: Any, deadline: float, timeout: float) -> dict[str, Any]:
        """The next message, checking every second that the kernel is still alive."""
        while True:
            if time.monotonic() > deadline:
                raise TimeoutError(f"no answer within {timeout:.0f} s")
            try:
                return get(timeout=1.0)
            except queue.Empty:
                if not self._manager.is_alive():
                    raise KernelError("the kernel died" + self.log_tail()) from None


def _this_interpreter() -> Any:
    """A kernelspec manager whose ``python3`` is this interpreter, whatever specs are installed
    (a user-level python3 spec could point at another Python)."""
    from jupyter_client.kernelspec import KernelSpec, KernelSpecManager

    class ThisInterpreter(KernelSpecManager):
        def get_kernel_spec(self, kernel_name: str) -> KernelSpec:
            return KernelSpec(
                argv=[sys.executable, "-m", "ipykernel_launcher", "-f", "{connection_file}"],
                display_name=f"Python {sys.version_info.major} (ipykernel)",
                language="python",
                resource_dir=str(Path(sys.prefix)),
            )

    return ThisInterpreter()


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
    doc = qmd.parse(path)
    name = doc.display_name()
    execute = {**(project_execute or qmd.project_execute_options()), **doc.execute_options}
    allow_errors = bool(execute.get("error", False))
    cells = {c.number for c in doc.executable_cells(project_execute)}
    run = ChapterRun(name)
    if not doc.has_code():
        return run  # Quarto executes nothing here either
    started = time.perf_counter()
    by_count: dict[int, qmd.Cell] = {}
    with Kernel(path.parent.resolve(), env) as kernel:
        run.startup_seconds = time.perf_counter() - started
        for label, code in (
            ("quarto setup", QUARTO_SETUP if quarto_setup else ""),
            ("setup", setup),
        ):
            if code:
                reply = kernel.execute(code, store_history=False, timeout=timeout)
                if reply.error:
                    run.failures.append(_failure(name, label, 1, reply.error, None, by_count))
                    run.seconds = time.perf_counter() - started
                    return run
        for part in doc.parts:
            if isinstance(part, qmd.Cell):
                if part.number not in cells:
                    continue
                failure = _run_cell(kernel, part, name, run, by_count, timeout)
                allowed = allow_errors or part.options.get("error") is True
                if failure and (failure.fatal or not allowed):
                    run.failures.append(failure)
                    break
            elif part.inlines:
                failure = _run_inlines(kernel, part, name, run, by_count, timeout)
                if failure:
                    run.failures.append(failure)
                    break
    run.seconds = time.perf_counter() - started
    return run


def _run_cell(
    kernel: Kernel,
    cell: qmd.Cell,
    chapter: str,
    run: ChapterRun,
    by_count: dict[int, qmd.Cell],
    timeout: float,
) -> Failure | None:
    step = cell.describe()
    try:
        reply = kernel.execute(cell.code, timeout=timeout)
    except (TimeoutError, KernelError) as exc:
        return Failure(chapter, step, cell.code_line, f"{type(exc).__name__}: {exc}", fatal=True)
    run.cells += 1
    if reply.execution_count is not None:
        by_count[reply.execution_count] = cell
    run.outputs += [Output(step, kind, text, mimes) for kind, text, mimes in reply.outputs]
    if reply.error:
        return _failure(chapter, step, cell.code_line, reply.error, cell, by_count)
    return None


def _run_inlines(
    kernel: Kernel,
    chunk: qmd.Markdown,
    chapter: str,
    run: ChapterRun,
    by_count: dict[int, qmd.Cell],
    timeout: float,
) -> Failure | None:
    expressions = {str(i): inline.expression for i, inline in enumerate(chunk.inlines)}
    try:
        reply = kernel.execute("", user_expressions=expressions, timeout=timeout)
    except (TimeoutError, KernelError) as exc:
        inline = chunk.inlines[0]
        error = f"{type(exc).__name__}: {exc}"
        return Failure(chapter, inline.describe(), inline.line, error, fatal=True)
    if reply.error:
        return _failure(chapter, "inline expressions", chunk.line, reply.error, None, by_count)
    for i, inline in enumerate(chunk.inlines):
        result = reply.user_expressions.get(str(i), {})
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
        run.outputs.append(Output(inline.describe(), "inline", text, tuple(data)))
    return None


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
