"""A tiny temporary project for the cache, freeze and kernel tests: two CSV resources, a module
of artifacts that logs every computation, optional chapters and a _quarto.yml.

``activate(monkeypatch)`` points analysis.paths at it and registers its artifacts for the test;
``kernel_setup()`` is the code that does the same inside a chapter's kernel.
"""

from __future__ import annotations

import json
import textwrap
import uuid
from pathlib import Path

import pytest

from analysis import atomic, paths
from analysis.pipeline.store import registry

MODULE_SOURCE = '''\
"""Artifacts of a tiny test project; every computation is logged to count recomputations."""

import csv

from analysis.pipeline import store
from analysis.pipeline.store import registry
from analysis import paths

LOG = {log!r}


def _log(name):
    with open(LOG, "a", encoding="utf-8") as handle:
        handle.write(name + "\\n")


def _total(resource):
    with (paths.data / (resource + ".csv")).open(encoding="utf-8") as handle:
        return sum(int(row["value"]) for row in csv.DictReader(handle))


def alpha():
    _log("tiny.alpha")
    return {{"total": _total("alpha")}}


def beta():
    _log("tiny.beta")
    return {{"total": _total("beta"), "share": 0.25}}


def both(alpha):
    _log("tiny.both")
    return {{"sum": alpha["total"] + _total("beta")}}


def table():
    import pandas as pd

    _log("tiny.table")
    return pd.DataFrame({{"label": ["<script>x</script>"], "total": [_total("alpha")]}})


def sneaky():
    return {{"total": _total("beta")}}


def greedy():
    return {{"total": store.get("tiny.beta")["total"]}}


def register():
    m = __name__
    registry.register("tiny.alpha", m + ":alpha", "values", ("alpha",), "alpha total")
    registry.register("tiny.beta", m + ":beta", "values", ("beta",), "beta total")
    registry.register(
        "tiny.both", m + ":both", "values", ("beta",), "alpha + beta", depends=("tiny.alpha",)
    )
    registry.register("tiny.table", m + ":table", "table", ("alpha",), "alpha table")
    registry.register("tiny.sneaky", m + ":sneaky", "values", ("alpha",), "reads beta unsaid")
    registry.register("tiny.greedy", m + ":greedy", "values", (), "reads tiny.beta unsaid")
'''

DESCRIPTOR = {
    "name": "tiny",
    "version": "1.0.0",
    "resources": [
        {
            "name": name,
            "path": f"{name}.csv",
            "description": f"the {name} numbers",
            "schema": {
                "fields": [
                    {"name": "label", "type": "string"},
                    {"name": "value", "type": "integer"},
                ]
            },
        }
        for name in ("alpha", "beta")
    ],
}

CHAPTERS = {
    "index.qmd": "# Preface\n\nOnly prose here.\n",
    "chapters/alpha.qmd": textwrap.dedent(
        """\
        # Alpha

        ```{python}
        #| label: setup-alpha
        from analysis import book
        ```

        The alpha total is `{python} book.value("tiny.alpha", "total")`.
        """
    ),
    "chapters/beta.qmd": textwrap.dedent(
        """\
        # Beta

        ```{python}
        #| label: setup-beta
        from analysis import book
        ```

        The beta total is `{python} book.value("tiny.beta", "total")`, a share of
        `{python} book.value("tiny.beta", "share", "{:.0%}")`.
        """
    ),
    "chapters/opaque.qmd": textwrap.dedent(
        """\
        # Opaque

        ```{python}
        from analysis.pipeline import store
        total = store.values("tiny.alpha")["total"]
        ```

        Total `{python} total`.
        """
    ),
}


class TinyProject:
    """Files of the tiny project under ``root``; nothing is activated until ``activate``."""

    def __init__(self, root: Path, chapters: tuple[str, ...] = ()) -> None:
        self.root = root
        self.data = root / "data"
        self.cache = root / "cache"
        self.log = root / "calls.log"
        self.module = f"tiny_artifacts_{uuid.uuid4().hex[:10]}"
        self.module_dir = root / "modules"
        self.module_file = self.module_dir / f"{self.module}.py"
        atomic.write_text(self.module_file, MODULE_SOURCE.format(log=str(self.log)))
        atomic.write_json(self.data / "datapackage.json", DESCRIPTOR)
        self.write_csv("alpha", [("a", 1), ("b", 2)])
        self.write_csv("beta", [("c", 10)])
        atomic.write_text(root / "uv.lock", "version = 1\n")
        self.chapters = [root / name for name in chapters]
        for name in chapters:
            atomic.write_text(root / name, CHAPTERS[name])
        listed = "\n".join(f"    - {name}" for name in chapters)
        atomic.write_text(
            root / "_quarto.yml",
            f"project:\n  type: book\nbook:\n  chapters:\n{listed}\nexecute:\n  freeze: auto\n",
        )

    def activate(self, monkeypatch: pytest.MonkeyPatch) -> TinyProject:
        """Point analysis.paths here and register the artifacts (both undone after the test)."""
        for name, value in self._paths().items():
            monkeypatch.setattr(paths, name, value)
        monkeypatch.syspath_prepend(str(self.module_dir))
        monkeypatch.setattr(registry, "REGISTRY", dict(registry.REGISTRY))
        __import__(self.module).register()
        return self

    def _paths(self) -> dict[str, Path]:
        return {
            "root": self.root,
            "data": self.data,
            "datapackage": self.data / "datapackage.json",
            "cache": self.cache,
            "quarto_config": self.root / "_quarto.yml",
            "chapters": self.root / "chapters",
            "index_qmd": self.root / "index.qmd",
            "freeze_dir": self.root / "_freeze",
        }

    def kernel_setup(self) -> str:
        """Code that activates the project inside a chapter's kernel."""
        lines = [
            "import sys",
            "from pathlib import Path",
            "from analysis import paths",
            f"sys.path.insert(0, {str(self.module_dir)!r})",
            *(f"paths.{name} = Path({str(value)!r})" for name, value in self._paths().items()),
            f"import {self.module}",
            f"{self.module}.register()",
        ]
        return "\n".join(lines)

    def write_csv(self, resource: str, rows: list[tuple[str, int]]) -> None:
        body = "label,value\n" + "".join(f"{label},{value}\n" for label, value in rows)
        atomic.write_text(self.data / f"{resource}.csv", body)

    def edit(self, relative: str, transform) -> None:
        """Rewrite a file of the project through ``transform(text) -> text`` (atomically)."""
        path = self.root / relative
        atomic.write_text(path, transform(path.read_text(encoding="utf-8")))

    def edit_descriptor(self, transform) -> None:
        path = self.data / "datapackage.json"
        atomic.write_json(path, transform(json.loads(path.read_text(encoding="utf-8"))))

    def touch_code(self) -> None:
        """An analysis-code edit: the artifact module's source changes, not its behaviour."""
        text = self.module_file.read_text(encoding="utf-8")
        atomic.write_text(self.module_file, text + "\n# edited\n")

    def calls(self) -> list[str]:
        """Artifacts computed so far (in any process), in order."""
        if not self.log.exists():
            return []
        return self.log.read_text(encoding="utf-8").split()
