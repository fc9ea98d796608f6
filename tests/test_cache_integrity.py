"""The cache is not trusted: every entry carries digests checked on read, nothing on disk is
unpickled, damage means a recomputation with a warning, and "synthetic" follows the descriptor.

Also: results that cannot be computed on the data (``NotAvailable``) are recorded and shown as
"not available", and the cache key follows a module's whole import closure.
"""

from __future__ import annotations

import importlib
import json
import os
import pickle
import subprocess
import sys
import textwrap
import uuid
import warnings
from pathlib import Path

import pytest
from tiny_project import TinyProject

import analysis.topics
from analysis import book
from analysis.data import labels
from analysis.errors import NotAvailable
from analysis.pipeline import store
from analysis.pipeline.store import keys, registry

EXTRA_SOURCE = '''\
"""More tiny artifacts: an in-memory object, values derived from it, one that cannot run."""

from analysis.errors import NotAvailable

LOG = {log!r}


def _log(name):
    with open(LOG, "a", encoding="utf-8") as handle:
        handle.write(name + "\\n")


def model():
    _log("tiny.model")
    return {{"coefficient": 2.5, "payload": object()}}


def derived(model):
    _log("tiny.derived")
    return {{"coefficient": model["coefficient"]}}


def missing():
    _log("tiny.missing")
    raise NotAvailable("the sample has no WeChat accounts")


def missing_table():
    raise NotAvailable("the sample has no officer accounts")


def after_missing(missing):
    return {{"never": True}}


def verdict(claim, missing):
    return {{"claim": claim, "available": not isinstance(missing, NotAvailable),
             "reason": str(missing)}}
'''


@pytest.fixture
def tiny(tmp_path, monkeypatch) -> TinyProject:
    project = TinyProject(tmp_path).activate(monkeypatch)
    extra = f"tiny_extra_{uuid.uuid4().hex[:10]}"
    (project.module_dir / f"{extra}.py").write_text(
        EXTRA_SOURCE.format(log=str(project.log)), encoding="utf-8"
    )
    project.extra = extra
    reg = registry.register
    reg("tiny.model", f"{extra}:model", "object", ("alpha",), "a fit")
    reg("tiny.derived", f"{extra}:derived", "values", (), "from the fit", depends=("tiny.model",))
    reg("tiny.missing", f"{extra}:missing", "values", ("alpha",), "cannot run")
    reg("tiny.missing_table", f"{extra}:missing_table", "table", ("alpha",), "cannot run")
    reg("tiny.after", f"{extra}:after_missing", "values", (), "x", depends=("tiny.missing",))
    reg(
        "tiny.verdict",
        f"{extra}:verdict",
        "values",
        (),
        "a verdict",
        depends=("tiny.missing",),
        args=("C-1",),
        accepts_unavailable=True,
    )
    return project


def _entry(name: str) -> Path:
    return store.entry_dir(name)


# --- digests ---------------------------------------------------------------------------------


def test_an_edited_values_file_is_recomputed_with_a_warning_never_served(tiny):
    assert store.values("tiny.alpha") == {"total": 3}
    (_entry("tiny.alpha") / "values.json").write_text('{"total": 999}', encoding="utf-8")
    with pytest.warns(store.CacheWarning, match="does not match its digest"):
        assert store.values("tiny.alpha") == {"total": 3}
    assert tiny.calls() == ["tiny.alpha", "tiny.alpha"]
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # the rewritten entry is intact again
        assert book.value("tiny.alpha", "total") == "3"


@pytest.mark.parametrize(
    ("damage", "message"),
    [
        (lambda folder: (folder / "entry.json").write_bytes(b"\x00\xff{"), "unreadable"),
        (lambda folder: (folder / "entry.json").unlink(), "entry.json is missing"),
        (lambda folder: (folder / "values.json").unlink(), "values.json is missing"),
        (lambda folder: (folder / "values.json").write_bytes(b'{"tot'), "does not match"),
        (
            lambda folder: (folder / "entry.json").write_text(
                json.dumps({"artifact": "tiny.alpha", "key": "0" * 20, "files": {}})
            ),
            "names key",
        ),
        (
            lambda folder: (folder / "entry.json").write_text(
                json.dumps({"artifact": "tiny.beta", "key": folder.name, "files": {}})
            ),
            "does not describe",
        ),
    ],
    ids=["garbage-record", "no-record", "no-values", "truncated", "wrong-key", "wrong-artifact"],
)
def test_damaged_entries_are_recomputed_not_tracebacks(tiny, damage, message):
    store.values("tiny.alpha")
    damage(_entry("tiny.alpha"))
    with pytest.warns(store.CacheWarning, match=message):
        assert not store.is_cached("tiny.alpha")
    with pytest.warns(store.CacheWarning, match=message):
        assert store.values("tiny.alpha") == {"total": 3}
    assert store.is_cached("tiny.alpha")


def test_damaged_tables_and_figures_are_recomputed(tiny):
    store.table("tiny.table")
    (_entry("tiny.table") / "table.json").write_text('{"columns": ["forged"]', encoding="utf-8")
    with pytest.warns(store.CacheWarning):
        assert store.table("tiny.table")["columns"] == ["label", "total"]


def test_no_pickle_is_ever_written_or_loaded(tiny, tmp_path):
    marker = tmp_path / "pwned"
    store.values("tiny.derived")
    store.table("tiny.table")
    store.values("tiny.alpha")

    class Exploit:
        def __reduce__(self):
            return (Path.touch, (marker,))

    for folder in (_entry("tiny.alpha"), _entry("tiny.table"), _entry("tiny.derived")):
        (folder / "object.pkl").write_bytes(pickle.dumps(Exploit()))
    store._MEMORY.clear()  # a new process: only the disk is left
    assert store.values("tiny.alpha") == {"total": 3}
    assert store.get("tiny.alpha") == {"total": 3}
    assert store.table("tiny.table")["rows"]
    assert store.get("tiny.derived") == {"coefficient": 2.5}
    assert not marker.exists()
    written = {p.suffix for p in tiny.cache.rglob("*") if p.is_file() and p.name != "object.pkl"}
    assert written <= {".json", ".png"}
    assert not (tiny.cache / "tiny.model").exists()  # objects live in memory only


def test_a_fit_is_computed_once_and_values_from_it_need_no_refit(tiny):
    assert store.values("tiny.derived") == {"coefficient": 2.5}
    assert store.get("tiny.model")["coefficient"] == 2.5  # in memory: not recomputed
    assert tiny.calls() == ["tiny.model", "tiny.derived"]
    code = tiny.kernel_setup() + textwrap.dedent(
        f"""
        import {tiny.extra}
        from analysis.pipeline.store import registry
        registry.register("tiny.model", "{tiny.extra}:model", "object", ("alpha",), "a fit")
        registry.register(
            "tiny.derived", "{tiny.extra}:derived", "values", (), "x", depends=("tiny.model",)
        )
        from analysis import book
        print(book.value("tiny.derived", "coefficient"))
        """
    )
    env = dict(os.environ, ANALYSIS_CACHE_DIR=str(tiny.cache))
    done = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, env=env, check=True
    )
    assert done.stdout.strip().replace("\\", "") == "2.5"  # escaped for Markdown
    assert tiny.calls() == ["tiny.model", "tiny.derived"]  # another process: no refit
    tiny.write_csv("alpha", [("a", 5)])  # stale: the fit is recomputed for the new values
    assert store.values("tiny.derived") == {"coefficient": 2.5}
    assert tiny.calls()[2:] == ["tiny.model", "tiny.derived"]


# --- not available with these data ---------------------------------------------------------


def test_a_result_not_available_is_recorded_and_shown_as_such(tiny):
    with pytest.raises(NotAvailable, match="no WeChat"):
        store.values("tiny.missing")
    with pytest.raises(NotAvailable, match="no WeChat"):  # read from its entry: not rerun
        store.values("tiny.missing")
    assert tiny.calls() == ["tiny.missing"]
    assert store.is_cached("tiny.missing")
    text = book.value("tiny.missing", "anything")
    assert text == "*not available with these data*" and "no WeChat" in text.reason
    assert isinstance(book.raw("tiny.missing", "anything"), book.NotAvailableText)
    note = book.table("tiny.missing_table")
    assert "Not available with these data" in note and "no officer accounts" in note
    assert "callout" in note


def test_a_dependant_of_an_unavailable_result_is_unavailable_unless_it_accepts_that(tiny):
    with pytest.raises(NotAvailable, match=r"needs tiny\.missing.*no WeChat"):
        store.values("tiny.after")
    verdict = store.values("tiny.verdict")
    assert verdict == {
        "claim": "C-1",
        "available": False,
        "reason": "the sample has no WeChat accounts",
    }


# --- synthetic follows the descriptor ------------------------------------------------------


def test_synthetic_follows_the_descriptor_at_run_time(tiny):
    assert not registry.get("tiny.both").synthetic
    before = keys.key("tiny.both")
    plain = book.made_by("tiny.both")
    assert "synthetic" not in plain

    def mark(kind):
        def edit(descriptor):
            entry = descriptor["resources"][0]  # alpha
            entry.pop("collection", None)
            entry["synthetic"] = kind == "synthetic"
            if kind == "observed":
                entry["collection"] = {"source": "a crawl", "period": "2020", "sampling": "all"}
            return descriptor

        return edit

    tiny.edit_descriptor(mark("synthetic"))
    assert registry.get("tiny.alpha").synthetic
    assert registry.get("tiny.both").synthetic  # through its dependency on tiny.alpha
    assert not registry.get("tiny.beta").synthetic
    assert keys.key("tiny.both") != before
    assert "(synthetic sample)" in registry.provenance("tiny.both", "1.0.0")
    assert "Synthetic sample" in book.data_note("tiny.both")
    assert store.table("tiny.table")["note"].startswith("Synthetic sample")

    tiny.edit_descriptor(mark("observed"))
    assert not registry.get("tiny.both").synthetic
    assert registry.kinds("tiny.both", labels.descriptor()) == {
        "beta": "documented",
        "alpha": "observed",
    }
    made = registry.provenance("tiny.both", "1.0.0")
    assert "synthetic" not in made.lower() and "(observed sample)" in made
    note = book.data_note("tiny.both")
    assert "synthetic" not in note.lower() and "a crawl" in note
    assert not (store.table("tiny.table")["note"] or "").lower().count("synthetic")


# --- the key follows the import closure ----------------------------------------------------


def test_the_key_changes_when_any_module_of_the_import_closure_changes(tiny, tmp_path, monkeypatch):
    """An artifact's module imports a helper which imports another: editing either helper
    (not the artifact's own module) changes the key, as an edit to a shared statistics
    module must."""
    folder = tmp_path / "closure"
    folder.mkdir()
    tag = uuid.uuid4().hex[:8]
    top, middle, leaf = f"closure_top_{tag}", f"closure_mid_{tag}", f"closure_leaf_{tag}"
    files = {
        leaf: "def scale():\n    return 2\n",
        middle: f"from analysis.topics.{leaf} import scale\n\ndef twice(x):\n"
        "    return x * scale()\n",
        top: f"from analysis.topics import {middle}\n\ndef result():\n"
        f"    return {{'value': {middle}.twice(21)}}\n",
    }
    for module, source in files.items():
        (folder / f"{module}.py").write_text(source, encoding="utf-8")
    monkeypatch.setattr(analysis.topics, "__path__", [*analysis.topics.__path__, str(folder)])
    registry.register("tiny.closure", f"analysis.topics.{top}:result", "values", (), "closure")
    assert set(keys.module_closure(f"analysis.topics.{top}")) >= {
        f"analysis.topics.{top}",
        f"analysis.topics.{middle}",
        f"analysis.topics.{leaf}",
    }
    assert store.values("tiny.closure") == {"value": 42}
    found = [keys.key("tiny.closure")]
    for module in (leaf, middle):
        path = folder / f"{module}.py"
        path.write_text(path.read_text(encoding="utf-8") + "# an edit\n", encoding="utf-8")
        found.append(keys.key("tiny.closure"))
    assert len(set(found)) == 3
    (folder / f"{leaf}.py").write_text("def scale():\n    return 3\n", encoding="utf-8")
    for module in (leaf, middle, top):  # a new process would import the edited source
        sys.modules.pop(f"analysis.topics.{module}", None)
        if hasattr(analysis.topics, module):
            delattr(analysis.topics, module)
    importlib.invalidate_caches()
    assert store.values("tiny.closure") == {"value": 63}  # the stale entry is not served
