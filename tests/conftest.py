"""Shared fixtures: an isolated artifact cache and a writable copy of the data package."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from analysis import paths


@pytest.fixture(autouse=True, scope="session")
def isolated_cache(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """Tests never read or write an author's .cache/; they share one cache per test run."""
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
