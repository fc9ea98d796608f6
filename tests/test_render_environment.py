"""The environment Quarto's Jupyter engine needs is the project's own (issue 11).

Quarto runs every chapter through its ``jupyter.py`` and ``notebook.py`` (quarto-cli
src/resources/jupyter/) with QUARTO_PYTHON, the render session's interpreter. They import
``yaml``, ``nbformat``, ``nbclient`` and ``jupyter_client`` (and ``asyncio`` and
``socketserver`` from the standard library); the kernel they start runs ``ipykernel``. A
missing one fails the render at the first chapter ("No module named 'nbclient'"). The
``python3`` kernelspec the render session installs (``python -m analysis.pipeline.kernel
install``) must start this interpreter, whatever other kernelspecs the machine has, and keep
the kernel's log quiet.
"""

from __future__ import annotations

import importlib.util
import json
import os
import shutil
import subprocess
import sys
import types
from pathlib import Path

import pytest

from analysis.pipeline import kernel

QUARTO_JUPYTER_IMPORTS = (
    "yaml",
    "nbformat",
    "nbclient",
    "nbclient.exceptions",
    "jupyter_client",
    "jupyter_client.kernelspec",
    "jupyter_core.paths",
    "ipykernel",
    "ipykernel_launcher",
    "asyncio",
    "socketserver",
)


@pytest.mark.parametrize("module", QUARTO_JUPYTER_IMPORTS)
def test_the_project_interpreter_imports_what_quarto_jupyter_engine_needs(module: str) -> None:
    done = subprocess.run(
        [
            sys.executable,
            "-c",
            f"import importlib.util, sys; sys.exit(importlib.util.find_spec({module!r}) is None)",
        ],
        capture_output=True,
        text=True,
        check=False,
    )
    assert done.returncode == 0, f"{sys.executable} cannot import {module}: {done.stderr}"


ROOT = Path(kernel.__file__).parents[2]


class FakeSession:
    """What noxfile.render uses of a nox session, recording the commands it runs."""

    def __init__(self, location: Path, posargs: list[str]) -> None:
        self.virtualenv = types.SimpleNamespace(location=str(location))
        self.posargs = posargs
        self.env: dict[str, str] = {}
        self.ran: list[tuple[str, ...]] = []

    def run(self, *args: str, **kwargs) -> str:
        self.ran.append(args)
        return "1.10.18" if args[1:] == ("--version",) else ""

    def run_install(self, *args: str, **kwargs) -> str:
        self.ran.append(args)
        return ""

    def log(self, *args) -> None:
        pass

    def error(self, message: str) -> None:
        raise AssertionError(message)


def _noxfile(monkeypatch):
    """noxfile.py imported with a stand-in for nox (not installed in the test environment)."""
    stub = types.ModuleType("nox")
    stub.options = types.SimpleNamespace()
    stub.Session = object
    stub.session = lambda *a, **k: a[0] if a and callable(a[0]) else (lambda f: f)
    monkeypatch.setitem(sys.modules, "nox", stub)
    spec = importlib.util.spec_from_file_location("noxfile_under_test", ROOT / "noxfile.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


@pytest.mark.parametrize(
    "posargs",
    [[], ["chapters/06-engagement.qmd", "--to", "html"]],
    ids=["the whole book", "one chapter in HTML (the author's quick loop)"],
)
def test_the_render_session_checks_then_renders_what_was_asked_then_records(
    monkeypatch, tmp_path: Path, posargs: list[str]
) -> None:
    """``python3 tasks.py render -- chapters/06-engagement.qmd --to html`` runs the same checks
    (prepare-render) as a whole render, then Quarto on that chapter only, then the record."""
    bin_dir = tmp_path / "bin"
    bin_dir.mkdir()
    quarto = bin_dir / "quarto"
    quarto.write_text("#!/bin/sh\n", encoding="utf-8")
    quarto.chmod(0o755)
    monkeypatch.setenv("PATH", f"{bin_dir}{os.pathsep}{os.environ.get('PATH', '')}")
    session = FakeSession(tmp_path / "venv", posargs)
    _noxfile(monkeypatch).render(session)
    commands = [" ".join(map(str, c)) for c in session.ran if c[:1] != ("uv",)]
    assert commands == [
        f"{quarto} --version",
        "python -m analysis prepare-render",
        " ".join([str(quarto), "render", *posargs]),
        "python -m analysis freeze --record",
    ]
    assert session.env["QUARTO_PYTHON"] == str(tmp_path / "venv" / "bin" / "python")


def test_tasks_py_hands_the_quick_loop_arguments_to_the_render_session(monkeypatch) -> None:
    spec = importlib.util.spec_from_file_location("tasks_under_test", ROOT / "tasks.py")
    tasks = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(tasks)
    seen = []
    monkeypatch.setattr(tasks, "tools_python", lambda: Path("/tools/bin/python"))
    monkeypatch.setattr(
        tasks.subprocess,
        "run",
        lambda command, **_: seen.append(command) or types.SimpleNamespace(returncode=0),
    )
    argv = ["tasks.py", "render", "--", "chapters/06-engagement.qmd", "--to", "html"]
    monkeypatch.setattr(sys, "argv", argv)
    assert tasks.main() == 0
    nox = ["/tools/bin/python", "-m", "nox", "-s", "render"]
    assert seen == [[*nox, "--", "chapters/06-engagement.qmd", "--to", "html"]]


def test_the_kernelspec_is_written_only_when_it_says_something_else(tmp_path: Path) -> None:
    folder, written = kernel.install_kernelspec(tmp_path)
    assert written and folder == kernel.installed_kernelspec(tmp_path)
    spec_file = folder / "kernel.json"
    before = spec_file.stat().st_mtime_ns
    assert kernel.install_kernelspec(tmp_path) == (folder, False)
    assert spec_file.stat().st_mtime_ns == before
    spec = json.loads(spec_file.read_text(encoding="utf-8"))
    spec["argv"][0] = "/usr/bin/some-other-python"
    spec_file.write_text(json.dumps(spec), encoding="utf-8")
    assert kernel.install_kernelspec(tmp_path) == (folder, True)
    assert json.loads(spec_file.read_text(encoding="utf-8")) == kernel.kernelspec()


def test_the_installed_python3_kernelspec_runs_this_interpreter(tmp_path: Path) -> None:
    done = subprocess.run(
        [sys.executable, "-m", "analysis.pipeline.kernel", "install", "--prefix", str(tmp_path)],
        capture_output=True,
        text=True,
        check=True,
    )
    folder = tmp_path / "share" / "jupyter" / "kernels" / kernel.KERNEL_NAME
    assert str(folder) in done.stdout
    spec = json.loads((folder / "kernel.json").read_text(encoding="utf-8"))
    assert Path(spec["argv"][0]) == Path(sys.executable)
    assert spec["argv"][1:5] == ["-m", "ipykernel_launcher", "-f", "{connection_file}"]
    assert "--IPKernelApp.log_level=ERROR" in spec["argv"]
    assert spec["language"] == "python"

    # Started the way Quarto does (jupyter_client, by name, found on the Jupyter path that the
    # render session puts first), the kernel reports this interpreter and prints nothing about
    # unencrypted TCP.
    probe = (
        "from jupyter_client.manager import start_new_kernel\n"
        "km, kc = start_new_kernel(kernel_name='python3')\n"
        "try:\n"
        "    expressions = {'e': 'sys.executable'}\n"
        "    reply = kc.execute_interactive('import sys', user_expressions=expressions)\n"
        "    print(reply['content']['user_expressions']['e']['data']['text/plain'])\n"
        "finally:\n"
        "    kc.stop_channels(); km.shutdown_kernel(now=True)\n"
    )
    env = {**os.environ, "JUPYTER_PATH": str(tmp_path / "share" / "jupyter")}
    run = subprocess.run(
        [sys.executable, "-c", probe],
        capture_output=True,
        text=True,
        check=False,
        timeout=600,  # a guard against a hang, not a timer
        env=env,
    )
    assert run.returncode == 0, run.stderr
    assert Path(run.stdout.strip().strip("'\"")) == Path(sys.executable)
    assert "without encryption" not in run.stderr


# --- a clean tree after a render ------------------------------------------------------------

# quarto-cli (src/project/project-gitignore.ts) compares .gitignore line by line (trimmed) and
# appends these when they are missing; "/_*.local" too when a "_*.local" file exists.
QUARTO_APPENDS = ("/.quarto/", "**/*.quarto_ipynb", "/_*.local")
# What `python3 tasks.py render` writes (seen in the render of main): the book, Quarto's frozen
# results with their site libraries and the fingerprints beside them, Quarto's scratch files.
RENDER_WRITES = (
    "_book/index.html",
    "_freeze/deps.json",
    "_freeze/index/execute-results/html.json",
    "_freeze/chapters/06-engagement/execute-results/html.json",
    "_freeze/chapters/06-engagement/figure-typst/cell-3-output-1.png",
    "_freeze/site_libs/quarto-listing/list.min.js",
    ".quarto/xref/INDEX",
    "chapters/06-engagement.quarto_ipynb",
)


def test_quarto_finds_nothing_to_append_to_gitignore() -> None:
    lines = [line.strip() for line in (ROOT / ".gitignore").read_text("utf-8").splitlines()]
    assert [entry for entry in QUARTO_APPENDS if entry not in lines] == []


def _git(*args: str) -> subprocess.CompletedProcess:
    return subprocess.run(["git", *args], cwd=ROOT, capture_output=True, text=True, check=False)


def test_everything_a_render_writes_is_ignored_and_none_of_it_is_tracked() -> None:
    """The README's policy: nothing a render writes is committed (not even _freeze/), so
    `git status` is clean after `python3 tasks.py render`."""
    if shutil.which("git") is None or _git("rev-parse", "--is-inside-work-tree").returncode:
        pytest.skip("not a git checkout")
    checked = _git("check-ignore", "--no-index", "--verbose", "--non-matching", *RENDER_WRITES)
    not_ignored = [line.split("\t")[-1] for line in checked.stdout.splitlines() if line[:2] == "::"]
    assert not_ignored == []
    tracked = _git("ls-files", "--", "_book", "_freeze", ".quarto", "*.quarto_ipynb").stdout
    assert tracked.split() == []
