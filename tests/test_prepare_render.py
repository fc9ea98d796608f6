"""``prepare-render``: the render session's steps before ``quarto render``, in one process.

The steps run in order (kernelspec, validate --reuse, check-book --static, freeze --invalidate)
and the first that fails stops the rest with its exit code, so a package found invalid never
reaches the freezer and Quarto is never started on it.
"""

from __future__ import annotations

import argparse
from pathlib import Path

import pytest

from analysis.__main__ import main
from analysis.cli import validate
from analysis.errors import EXIT_CHECK_FAILED, EXIT_OK
from analysis.pipeline import book_check, freeze, kernel


class Calls(list):
    """The steps run, in order; ``codes`` says what a step returns (default: success)."""

    def __init__(self) -> None:
        super().__init__()
        self.codes: dict[str, int] = {}


@pytest.fixture
def calls(monkeypatch, tmp_path) -> Calls:
    """Each step replaced by a recorder."""
    made = Calls()
    codes = made.codes

    def fake(name):
        def run(args: argparse.Namespace) -> int:
            made.append(name + (" --reuse" if getattr(args, "reuse", False) else ""))
            if name == "check-book":
                assert args.static
            if name == "freeze":
                assert args.invalidate
            return codes.get(name, EXIT_OK)

        return run

    monkeypatch.setattr(validate, "run", fake("validate"))
    monkeypatch.setattr(book_check, "run", fake("check-book"))
    monkeypatch.setattr(freeze, "run", fake("freeze"))

    def install(prefix: Path | None = None) -> tuple[Path, bool]:
        made.append(f"kernelspec {prefix}")
        return tmp_path, False

    monkeypatch.setattr(kernel, "install_kernelspec", install)
    return made


def test_the_steps_run_in_order_in_one_process(calls, tmp_path, capsys) -> None:
    prefix = tmp_path / "prefix"
    assert main(["prepare-render", "--kernel-prefix", str(prefix)]) == EXIT_OK
    assert calls == [f"kernelspec {prefix}", "validate --reuse", "check-book", "freeze"]
    out = capsys.readouterr().out
    assert "prepare-render: ok ready for quarto render" in out


@pytest.mark.parametrize("failing", ["validate", "check-book", "freeze"])
def test_the_first_failing_step_stops_the_rest(calls, failing, capsys) -> None:
    calls.codes[failing] = EXIT_CHECK_FAILED
    assert main(["prepare-render"]) == EXIT_CHECK_FAILED
    order = ["validate", "check-book", "freeze"]
    ran = [c.split()[0] for c in calls[1:]]
    assert ran == order[: order.index(failing) + 1]
    assert "stopped at" in capsys.readouterr().out
