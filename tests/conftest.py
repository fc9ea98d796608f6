"""Shared fixtures: one artifact cache per test process, and a writable copy of the data.

The cache is the real one (the same keys over data, code and library versions), in a temporary
folder, so a test still fails when code changes a result, but nothing is computed twice in one
process: the tests that read the committed data, the null sample's default half and the user's
own-data route all share it (its keys keep results on different data apart). Each worker of a
parallel run (``pytest -n``, as ``python3 tasks.py tests`` runs it) fills its own as its tests
ask; warming one folder for every worker before they start was measured slower (the workers
then wait for artifacts some of them never read).
"""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from analysis import paths


@pytest.fixture(autouse=True, scope="session")
def isolated_cache(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """Tests never read or write an author's .cache/; they share one cache per test process."""
    folder = tmp_path_factory.mktemp("artifact-cache")
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
