"""Interrupting ``simulate`` (issue 14, item 7): the previous files stay intact and consistent.

``simulate`` stages every file (both CSVs, the descriptor, the package copy) and swaps them in
together at the end with SIGINT/SIGTERM held back, so a run stopped at any point before the
swap leaves the earlier sample, and a finished run leaves the new one: never a mixture.
"""

from __future__ import annotations

import hashlib
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from analysis import atomic, paths
from analysis.data import datasets, sample_files


def _hashes(folder: Path) -> dict[str, str]:
    return {
        str(p.relative_to(folder)): hashlib.sha256(p.read_bytes()).hexdigest()
        for p in sorted(folder.rglob("*"))
        if p.is_file()
    }


def _simulate(out: Path, seed: int) -> subprocess.Popen:
    return subprocess.Popen(
        [sys.executable, "-m", "analysis", "simulate", "--seed", str(seed), "--out", str(out)],
        cwd=paths.root,
        env={**os.environ, "PYTHONPATH": str(paths.root)},
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )


def test_interrupted_simulate_leaves_one_whole_sample_never_a_mixture(tmp_path: Path) -> None:
    """Stopped mid-run, the folder holds the earlier sample; after the swap, the new one."""
    out, reference = tmp_path / "alt", tmp_path / "reference"
    for folder, seed in ((out, 3), (reference, 5)):
        run = _simulate(folder, seed)
        assert run.wait(timeout=300) == 0, run.stderr.read()
    before, finished = _hashes(out), _hashes(reference)
    assert before != finished

    second = _simulate(out, 5)
    time.sleep(1.0)  # the run loads, draws and renders for several seconds
    second.send_signal(signal.SIGINT)
    code = second.wait(timeout=300)
    assert code in (130, -signal.SIGINT), f"the run was not interrupted (exit {code})"
    after = _hashes(out)
    assert after in (before, finished), "files from two different runs"
    assert not [p for p in out.rglob("*.tmp")], "staged files left behind"
    assert all(c.ok for c in datasets.check_all(out))


def test_interruption_while_staging_changes_no_file(
    package_copy: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    built = sample_files.build(seed=7, scale=0.05)
    before = _hashes(package_copy)
    calls = {"n": 0}
    real_fsync = os.fsync

    def interrupted_fsync(fd: int) -> None:
        calls["n"] += 1
        if calls["n"] == 2:  # after the first file is staged, before the swap
            raise KeyboardInterrupt
        real_fsync(fd)

    monkeypatch.setattr(atomic.os, "fsync", interrupted_fsync)
    with pytest.raises(KeyboardInterrupt):
        sample_files.write(built, package_copy)
    assert _hashes(package_copy) == before
    assert not list(package_copy.rglob("*.tmp"))


def test_a_finished_write_changes_every_file_together(package_copy: Path) -> None:
    built = sample_files.build(seed=7, scale=0.05)
    monkeypatch_data = paths.data
    paths.data = package_copy
    try:
        sample_files.write(built, package_copy)
    finally:
        paths.data = monkeypatch_data
    for name in sample_files.RESOURCES:
        checked = datasets.check(name, base=package_copy)
        assert checked.ok, checked.problems[:1]
    assert datasets.check("accounts", base=package_copy).rows == built.accounts


def test_signals_are_held_during_the_swap(tmp_path: Path) -> None:
    received = []
    previous = signal.signal(signal.SIGINT, lambda *_: received.append("int"))
    try:
        with atomic._signals_held():
            os.kill(os.getpid(), signal.SIGINT)
            assert received == []  # delayed until the block ends
        assert received == ["int"]
    finally:
        signal.signal(signal.SIGINT, previous)
