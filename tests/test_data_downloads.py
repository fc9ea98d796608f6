"""Readers can take the data with them: the data chapter links every file of the package, the
descriptor and the changelog, and _quarto.yml copies each of them into the rendered book."""

from __future__ import annotations

import fnmatch
import json
import re

import yaml

from analysis import paths

CHAPTER = paths.root / "chapters" / "04-data.qmd"


def _published() -> list[str]:
    """Files under data/ that the book must publish: every resource, descriptor, changelog."""
    descriptor = json.loads((paths.data / "datapackage.json").read_text())
    files = [f"data/{r['path']}" for r in descriptor["resources"]]
    return [*files, "data/datapackage.json", "data/CHANGELOG.md", "data/simulation.toml"]


def test_every_data_file_is_linked_from_the_data_chapter() -> None:
    targets = set(re.findall(r"\]\(\.\./(data/[^)\s#]+)\)", CHAPTER.read_text()))
    missing = [f for f in _published() if f not in targets]
    assert not missing, f"chapters/04-data.qmd does not link {missing}"
    for target in targets:
        assert (paths.root / target).is_file(), f"link to a file that does not exist: {target}"


def test_every_data_file_is_copied_into_the_book() -> None:
    config = yaml.safe_load((paths.root / "_quarto.yml").read_text())
    patterns = config["project"].get("resources", [])
    missing = [f for f in _published() if not any(fnmatch.fnmatch(f, p) for p in patterns)]
    assert not missing, f"_quarto.yml project.resources does not copy {missing}"
