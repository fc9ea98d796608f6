"""Interrupting ``simulate`` (issue 14, item 7): the previous files stay intact and consistent.

``simulate`` stages every file (both CSVs, the descriptor, the package copy) and swaps them in
together at the end with SIGINT/SIGTERM held back, so a run stopped at any point before the
swap leaves the earlier sample, and a finished run leaves the new one: never a mixture.
"""

from __future__ import annotations

import hashlib
import os
import shutil
import signal
import subprocess
import sys
from pathlib import Path

import pytest
from children import started, wait_for

from analysis import atomic, paths
from analysis.data import datasets, sample_files


def _hashes(folder: Path) -> dict[str, str]:
    return {
        str(p.relative_to(folder)): hashlib.sha256(p.read_bytes()).hexdigest()
        for p in sorted(folder.rglob("*"))
        if p.is_file()
    }


def _simulate(out: Path, seed: int, pause_at: str | None = None) -> subprocess.Popen:
    argv = [sys.executable, "-m", "analysis", "simulate", "--seed", str(seed), "--out", str(out)]
    return started(argv, pause_at=pause_at)


@pytest.fixture(scope="module")
def two_samples(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    """A folder holding a sample drawn with seed 3 and one holding a sample drawn with seed 5."""
    base = tmp_path_factory.mktemp("interrupt")
    for name, seed in (("before", 3), ("finished", 5)):
        run = _simulate(base / name, seed)
        assert run.wait() == 0, run.stderr.read()
    assert _hashes(base / "before") != _hashes(base / "finished")
    return {"before": base / "before", "finished": base / "finished"}


@pytest.mark.parametrize(
    ("stage", "number", "expected"),
    [
        ("staged", signal.SIGINT, "before"),  # every new file staged, none swapped in yet
        ("staged", signal.SIGTERM, "before"),
        ("swapping", signal.SIGINT, "finished"),  # the signal is held until the swap is done
        ("swapping", signal.SIGTERM, "finished"),
    ],
)
def test_interrupted_simulate_leaves_one_whole_sample_never_a_mixture(
    tmp_path: Path,
    two_samples: dict[str, Path],
    stage: str,
    number: signal.Signals,
    expected: str,
) -> None:
    """Stopped at a named stage, the folder holds the earlier sample or the new one, whole."""
    out = tmp_path / "alt"
    shutil.copytree(two_samples["before"], out)  # what a finished run with seed 3 wrote

    second = _simulate(out, 5, pause_at=stage)
    wait_for(second, f"paused at {stage}", whole_line=True)
    second.send_signal(number)
    code = second.wait()
    assert code in (128 + number, -number, 130), f"the run was not interrupted (exit {code})"
    after = _hashes(out)
    assert after == _hashes(two_samples[expected]), f"after a signal at {stage}: not {expected}"
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
