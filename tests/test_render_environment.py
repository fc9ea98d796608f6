"""The environment Quarto's Jupyter engine needs is the project's own (issue 11).

Quarto runs every chapter through its ``jupyter.py`` and ``notebook.py`` (quarto-cli
src/resources/jupyter/) with QUARTO_PYTHON, the render session's interpreter. They import
``yaml``, ``nbformat``, ``nbclient`` and ``jupyter_client`` (and ``asyncio`` and
``socketserver`` from the standard library); the kernel they start runs ``ipykernel``. A
missing one fails the render at the first chapter ("No module named 'nbclient'"). The
``python3`` kernelspec the render session installs (``python -m analysis.build.kernel
install``) must start this interpreter, whatever other kernelspecs the machine has, and keep
the kernel's log quiet.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from analysis.build import kernel

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


def test_the_render_session_prepares_then_renders_then_records() -> None:
    noxfile = (Path(kernel.__file__).parents[2] / "noxfile.py").read_text(encoding="utf-8")
    render = noxfile[noxfile.index("def render(") : noxfile.index("def find_quarto(")]
    prepare = render.index('"python", "-m", "analysis", "prepare-render"')
    quarto = render.index('session.run(quarto, "render"')
    record = render.index('"python", "-m", "analysis", "freeze", "--record"')
    assert prepare < quarto < record
    assert render.index('session.env["JUPYTER_PATH"]') < prepare


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
        [sys.executable, "-m", "analysis.build.kernel", "install", "--prefix", str(tmp_path)],
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
