"""Shared fixtures: one pre-warmed artifact cache per test run, and a writable copy of the data.

The cache is the real one (the same keys over data, code and library versions), in a temporary
folder, so a test still fails when code changes a result, but nothing expensive is computed more
than once per run. When the suite runs on several workers (``pytest -n``, as ``python3 tasks.py
tests`` does), the controlling process warms that folder before the workers start, in two
processes at once (the power study in one, every other artifact the book reads in the other),
and every worker reads it. A single-process run fills the cache as tests ask.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

import pytest

from analysis import paths

SHARED_CACHE_ENV = "ANALYSIS_TEST_SHARED_CACHE"  # set by the controller, read by the workers
SLOWEST = "design.power"  # the one artifact as costly as all the others together
WARM = """
import sys
from pathlib import Path
from analysis import paths
paths.cache = Path(sys.argv[1])
from analysis.pipeline import freeze
from analysis.pipeline.store import registry
slow = {a.name for a in registry.closure(sys.argv[2])}
names = [n for n in registry.REGISTRY if (sys.argv[3] == "slow") == bool(
    {a.name for a in registry.closure(n)} & slow)]
computed, failed = freeze.prefetch(names)
for name, message in failed.items():
    print(f"{name}: {message}", file=sys.stderr)
"""


def _runs_workers(config: pytest.Config) -> bool:
    return bool(getattr(config.option, "numprocesses", None)) and not hasattr(config, "workerinput")


def pytest_configure(config: pytest.Config) -> None:
    """On the controller of a multi-worker run: warm one cache for every worker."""
    if not _runs_workers(config) or os.environ.get(SHARED_CACHE_ENV):
        return
    folder = Path(tempfile.mkdtemp(prefix="analysis-test-cache-"))
    os.environ[SHARED_CACHE_ENV] = str(folder)
    config._analysis_shared_cache = folder  # type: ignore[attr-defined]
    env = {**os.environ, "PYTHONPATH": str(paths.root)}
    runs = [
        subprocess.Popen(
            [sys.executable, "-c", WARM, str(folder), SLOWEST, part],
            cwd=paths.root,
            env=env,
        )
        for part in ("slow", "rest")
    ]
    for run in runs:
        run.wait()  # a failure here shows again, located, in the tests that need the artifact


def pytest_unconfigure(config: pytest.Config) -> None:
    folder = getattr(config, "_analysis_shared_cache", None)
    if folder is not None:
        os.environ.pop(SHARED_CACHE_ENV, None)
        shutil.rmtree(folder, ignore_errors=True)


@pytest.fixture(autouse=True, scope="session")
def isolated_cache(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """Tests never read or write an author's .cache/; they share one cache per test run."""
    shared = os.environ.get(SHARED_CACHE_ENV)
    folder = Path(shared) if shared else tmp_path_factory.mktemp("artifact-cache")
    original = paths.cache
    paths.cache = folder
    yield folder
    paths.cache = original


@pytest.fixture
def package_copy(tmp_path: Path) -> Path:
    """A copy of data/ (and references.bib beside it) that a test may damage; returns data/."""
    shutil.copytree(paths.data, tmp_path / "data")
    shutil.copy(paths.references_bib, tmp_path / "references.bib")
    return tmp_path / "data"
