"""Frozen chapters follow their data and code (quarto-cli issue 6793), and only those re-run.

The end-to-end test emulates ``freeze --invalidate`` + ``quarto render`` (freeze: auto) +
``freeze --record`` with real kernels on a tiny project: a data edit reaches the rendered
number, a prose-only edit re-executes no analysis.
"""

from __future__ import annotations

import json
import textwrap
from pathlib import Path

import pytest
from tiny_project import TinyProject

from analysis.pipeline import freeze, qmd


def usage_of(code: str, inline: str = "") -> freeze.Usage:
    text = f"```{{python}}\n{textwrap.dedent(code)}\n```\n"
    if inline:
        text += f"\nSee `{{python}} {inline}`.\n"
    return freeze.usage(qmd.parse(Path("chapter.qmd"), text))


@pytest.mark.parametrize(
    ("code", "inline", "expected"),
    [
        (
            'from analysis import book\nbook.table("a.t")',
            'book.value("b.v", "k", "{:.1f}")',
            ("a.t", "b.v"),
        ),
        ('from analysis import book as b\nb.figure(name="f.x")', "", ("f.x",)),
        ('import analysis.book as bk\nbk.made_by("m.x")', "", ("m.x",)),
        ('from analysis.book import raw, Text\nText(str(raw("r.x", "n")))', "", ("r.x",)),
        ('%matplotlib inline\nfrom analysis import book\nbook.figure("f.y")', "", ("f.y",)),
        ("import math\nmath.sqrt(2)", "", ()),
    ],
)
def test_the_artifacts_a_chapter_reads_are_found_in_its_code(code, inline, expected):
    use = usage_of(code, inline)
    assert use.unknown is None
    assert use.artifacts == expected
    assert use.has_code


@pytest.mark.parametrize(
    ("code", "reason"),
    [
        (
            'from analysis import book\nfor n in ["a", "b"]:\n    book.table(n)',
            "names an artifact at run time",
        ),
        ("from analysis import book\nbook.value(f'x.{1}', 'k')", "names an artifact at run time"),
        ('from analysis import cache\ncache.values("a")', "imports analysis.cache"),
        ("import analysis.findings", "imports analysis.findings"),
        ("from analysis.data.datasets import load", "imports analysis.data.datasets"),
        ("import pandas as pd\npd.read_csv('../data/x.csv')", "reads files itself (read_csv"),
        ("from analysis import book\nshow = book.table", "uses book.table other than by calling"),
        ("from analysis import book\nhelper(book)", "passes the book module around"),
        ("def broken(:\n    pass", "code that does not parse"),
    ],
)
def test_a_chapter_whose_dependencies_cannot_be_told_depends_on_everything(code, reason):
    use = usage_of(code)
    assert use.unknown is not None and use.unknown.startswith(reason)
    assert use.describe().startswith("everything: ")


def test_artifact_free_helpers_read_nothing_but_follow_the_quarto_version(monkeypatch):
    from analysis import book

    assert set(book.HELPERS) == freeze.HELPERS
    use = usage_of("from analysis import book", inline="book.rendered_by()")
    assert use.unknown is None and use.artifacts == () and use.helpers == ("rendered_by",)
    monkeypatch.setenv(freeze.QUARTO_VERSION_ENV, "1.10.18")
    before = freeze.fingerprint(use)
    assert before["quarto"] == "1.10.18"
    monkeypatch.setenv(freeze.QUARTO_VERSION_ENV, "1.11.0")
    assert freeze.digest(freeze.fingerprint(use)) != freeze.digest(before)
    assert "quarto" not in freeze.fingerprint(
        usage_of('from analysis import book\nbook.table("a.t")')
    )


def test_a_chapter_without_code_depends_on_nothing():
    use = usage_of("")
    text = "# Prose\n\nOnly `code` and ```python\nx = 1\n``` text.\n"
    assert not freeze.usage(qmd.parse(Path("p.qmd"), text)).has_code
    assert use.has_code  # an empty cell is still a cell
    assert freeze.fingerprint(freeze.Usage()) == {}


CHAPTERS = ("index.qmd", "chapters/alpha.qmd", "chapters/beta.qmd", "chapters/opaque.qmd")


@pytest.fixture
def book(tmp_path, monkeypatch) -> TinyProject:
    return TinyProject(tmp_path, CHAPTERS).activate(monkeypatch)


def prints(book: TinyProject) -> dict[str, str]:
    return {s.name: s.fingerprint for s in freeze.statuses()}


def changed(before: dict[str, str], after: dict[str, str]) -> set[str]:
    return {name for name in before if before[name] != after[name]}


def test_fingerprints_move_with_exactly_the_inputs_of_each_chapter(book):
    found = {s.name: s for s in freeze.statuses()}
    assert found["chapters/alpha.qmd"].use.artifacts == ("tiny.alpha",)
    assert found["chapters/opaque.qmd"].use.unknown == "imports analysis.pipeline.store (line 1)"
    assert found["index.qmd"].state == "no code"
    before = prints(book)
    book.edit("chapters/alpha.qmd", lambda t: t + "\nA new paragraph of prose.\n")
    assert changed(before, prints(book)) == set()
    book.write_csv("beta", [("c", 12)])
    assert changed(before, prints(book)) == {"chapters/beta.qmd", "chapters/opaque.qmd"}
    before = prints(book)
    book.touch_code()
    assert changed(before, prints(book)) == {
        "chapters/alpha.qmd",
        "chapters/beta.qmd",
        "chapters/opaque.qmd",
    }
    before = prints(book)
    book.edit_descriptor(lambda d: {**d, "version": "1.1.0"})
    assert changed(before, prints(book)) == {
        "chapters/alpha.qmd",
        "chapters/beta.qmd",
        "chapters/opaque.qmd",
    }


def freeze_all(book: TinyProject) -> None:
    """Pretend Quarto froze every chapter with code, as a render would."""
    for chapter in book.chapters:
        doc = qmd.parse(chapter)
        if doc.has_code():
            result = freeze.frozen_result(chapter)
            result.parent.mkdir(parents=True, exist_ok=True)
            result.write_text(json.dumps({"hash": freeze.quarto_hash(doc.text), "result": {}}))


def states(book: TinyProject) -> dict[str, str]:
    return {s.name: s.state for s in freeze.statuses()}


def test_invalidate_deletes_exactly_the_stale_frozen_results(book):
    freeze_all(book)
    found = freeze.statuses()
    assert {s.state for s in found if s.name != "index.qmd"} == {"stale"}  # nothing recorded
    freeze.invalidate(found)
    freeze_all(book)  # the render re-freezes them
    kept, dropped = freeze.record(freeze.statuses())
    assert sorted(kept) == ["chapters/alpha.qmd", "chapters/beta.qmd", "chapters/opaque.qmd"]
    assert dropped == []
    assert set(states(book).values()) == {"current", "no code"}
    recorded = json.loads((book.root / "_freeze" / "deps.json").read_text())
    assert recorded["recorded"]["chapters/beta.qmd"]["depends on"] == "1 artifact"

    book.write_csv("beta", [("c", 12)])
    found = freeze.statuses()
    stale = {s.name: s.detail for s in found if s.stale}
    assert stale == {
        "chapters/beta.qmd": "changed: artifact tiny.beta",
        "chapters/opaque.qmd": "changed: everything",
    }
    assert sorted(freeze.invalidate(found)) == ["chapters/beta.qmd", "chapters/opaque.qmd"]
    assert not (book.root / "_freeze" / "chapters" / "beta").exists()
    assert not (book.root / "_freeze" / "chapters" / "opaque").exists()
    assert freeze.frozen_result(book.root / "chapters" / "alpha.qmd").exists()
    assert states(book)["chapters/beta.qmd"] == "not frozen"


def test_record_refuses_fingerprints_that_moved_during_the_render(book):
    freeze_all(book)
    freeze.invalidate(freeze.statuses())
    freeze_all(book)
    book.write_csv("alpha", [("a", 7)])  # an edit while Quarto was rendering
    kept, dropped = freeze.record(freeze.statuses())
    assert sorted(dropped) == ["chapters/alpha.qmd", "chapters/opaque.qmd"]
    assert kept == ["chapters/beta.qmd"]
    assert states(book)["chapters/alpha.qmd"] == "stale"


def test_a_frozen_result_remade_outside_the_cycle_is_not_trusted(book):
    freeze_all(book)
    freeze.invalidate(freeze.statuses())
    freeze_all(book)
    freeze.record(freeze.statuses())
    result = freeze.frozen_result(book.root / "chapters" / "beta.qmd")
    result.write_text(json.dumps({"hash": "from a bare quarto render", "result": {}}))
    (beta,) = [s for s in freeze.statuses() if s.name == "chapters/beta.qmd"]
    assert beta.stale and "outside the render session" in beta.detail


def rendered_text(book: TinyProject, chapter: str) -> str:
    frozen = json.loads(freeze.frozen_result(book.root / chapter).read_text())
    return frozen["result"]["markdown"]


def test_a_data_edit_reaches_the_rendered_numbers_and_prose_edits_run_no_analysis(
    tmp_path, monkeypatch
):
    book = TinyProject(tmp_path, CHAPTERS[:3]).activate(monkeypatch)
    setup = book.kernel_setup()

    invalidated: list[list[str]] = []

    def render() -> tuple[list[str], list[str]]:
        """freeze --invalidate (with prefetch), quarto render, freeze --record: the chapters
        executed and the artifacts computed."""
        found = freeze.statuses()
        invalidated.append(freeze.invalidate(found))
        computed, failed = freeze.prefetch(freeze.needed_artifacts(s.use for s in found if s.use))
        assert not failed
        steps = freeze.emulate_render(book.chapters, setup=setup, quarto_setup=False)
        for step in steps:
            assert step.run is None or step.run.ok, step.run.failures
        freeze.record(freeze.statuses())
        return [step.chapter for step in steps if step.executed], computed

    executed, computed = render()
    assert executed == ["chapters/alpha.qmd", "chapters/beta.qmd"]
    assert computed == ["tiny.alpha", "tiny.beta"]
    assert "The beta total is 10, a share of\n25%." in rendered_text(book, "chapters/beta.qmd")
    assert book.calls() == ["tiny.alpha", "tiny.beta"]

    # prose-only edit: Quarto re-executes that chapter for its new text; nothing is recomputed
    before = prints(book)
    book.edit("chapters/alpha.qmd", lambda t: t.replace("# Alpha", "# Alpha, reworded"))
    executed, computed = render()
    assert invalidated[-1] == []
    assert executed == ["chapters/alpha.qmd"] and computed == []
    assert prints(book) == before
    assert book.calls() == ["tiny.alpha", "tiny.beta"]

    # data edit: plain freeze: auto would keep the stale number (issue 6793) ...
    book.write_csv("beta", [("c", 99)])
    plain = freeze.emulate_render(book.chapters, setup=setup, quarto_setup=False)
    assert not any(step.executed for step in plain)
    assert "The beta total is 10" in rendered_text(book, "chapters/beta.qmd")
    # ... the render session re-executes exactly the chapter that reads it
    executed, computed = render()
    assert invalidated[-1] == ["chapters/beta.qmd"]
    assert executed == ["chapters/beta.qmd"] and computed == ["tiny.beta"]
    assert "The beta total is 99" in rendered_text(book, "chapters/beta.qmd")
    assert book.calls() == ["tiny.alpha", "tiny.beta", "tiny.beta"]
    assert {s.state for s in freeze.statuses() if s.name != "index.qmd"} == {"current"}
