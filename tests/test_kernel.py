"""Reading .qmd files as Quarto does, and executing them in a real Jupyter kernel."""

from __future__ import annotations

import os
import textwrap
from pathlib import Path

import pytest

from analysis import paths
from analysis.pipeline import kernel, qmd

CHAPTER = textwrap.dedent(
    """\
    ---
    title: "Fixture"
    execute:
      echo: false
    ---

    # Start {#sec-start}

    Before any cell: `{python} "x" in dir()` and `{python} 6 * 7`.

    ```{python}
    #| label: first
    #| fig-cap: "A caption: with a colon"
    x = 41
    x += 1
    ```

    Now x is `{python} x`; ``{python} not an expression`` is quoted code.

    ```python
    raise RuntimeError("a plain block is never executed")
    ```

    ````{python}
    #| label: skipped
    #| eval: false
    raise RuntimeError("eval: false")
    ````

    ```{mermaid}
    graph LR; A-->B
    ```

    ```{python}
    #| error: true
    1 / 0
    ```

    ```{python}
    import os
    print(os.environ["ANALYSIS_CACHE_DIR"], os.getcwd())
    from analysis import book
    ```

    Last: `{python} book.Text("plain text")`.
    """
)

FAILING = textwrap.dedent(
    """\
    # Failing

    ```{python}
    #| label: helpers
    def ratio(a, b):
        return a / b
    ```

    ```{python}
    #| label: tbl-broken
    values = [1, 2]
    ratio(values[0], 0)
    ```

    ```{python}
    raise AssertionError("never reached: execution stops at the first error")
    ```
    """
)


@pytest.fixture
def chapter(tmp_path: Path) -> Path:
    path = tmp_path / "chapters" / "fixture.qmd"
    path.parent.mkdir()
    path.write_text(CHAPTER, encoding="utf-8")
    return path


def test_parse_finds_front_matter_cells_options_and_inline_expressions(chapter):
    doc = qmd.parse(chapter)
    assert doc.front_matter["title"] == "Fixture"
    assert doc.execute_options == {"echo": False}
    cells = doc.cells
    assert [c.label for c in cells] == ["first", "skipped", None, None]
    first = cells[0]
    assert first.line == 11 and first.code_line == 14
    assert first.options == {"label": "first", "fig-cap": "A caption: with a colon"}
    assert first.code == "x = 41\nx += 1"
    assert [c.number for c in doc.executable_cells()] == [1, 3, 4]
    assert [(i.line, i.expression) for i in doc.inlines] == [
        (9, '"x" in dir()'),
        (9, "6 * 7"),
        (18, "x"),
        (45, 'book.Text("plain text")'),
    ]
    assert cells[1].describe() == "cell 'skipped' (line 24)"
    assert cells[2].describe() == "cell 3 (line 34)"


def test_parse_reports_malformed_files_with_their_line(tmp_path):
    bad = tmp_path / "bad.qmd"
    bad.write_text("text\n\n```{python}\nx = 1\n", encoding="utf-8")
    with pytest.raises(qmd.QmdError, match=r"bad.qmd, line 3: code cell is never closed"):
        qmd.parse(bad)
    bad.write_text("```{python}\n#| label: [unclosed\nx = 1\n```\n", encoding="utf-8")
    with pytest.raises(qmd.QmdError, match=r"line 2: cell options \(#\| lines\) are not valid"):
        qmd.parse(bad)
    bad.write_text("---\ntitle: [\n---\n", encoding="utf-8")
    with pytest.raises(qmd.QmdError, match="front matter is not valid YAML"):
        qmd.parse(bad)


def test_book_chapters_follow_parts_and_appendices_in_order(tmp_path):
    config = tmp_path / "_quarto.yml"
    config.write_text(
        textwrap.dedent(
            """\
            project: {type: book}
            book:
              chapters:
                - index.qmd
                - part: "One"
                  chapters: [a.qmd, b.qmd]
                - part: part-two.qmd
                  chapters: [c.qmd]
              appendices: [z.qmd]
            execute: {freeze: auto}
            """
        ),
        encoding="utf-8",
    )
    names = [p.name for p in qmd.book_chapters(config)]
    assert names == ["index.qmd", "a.qmd", "b.qmd", "part-two.qmd", "c.qmd", "z.qmd"]
    assert qmd.project_execute_options(config) == {"freeze": "auto"}
    config.write_text("project: {type: website}\n", encoding="utf-8")
    with pytest.raises(qmd.QmdError, match="no 'book:' section"):
        qmd.book_chapters(config)


def test_a_chapter_runs_in_a_kernel_in_document_order(chapter):
    run = kernel.run_chapter(chapter, quarto_setup=False)
    assert run.ok, "\n".join(map(str, run.failures))
    assert run.cells == 3 and run.inlines == 4
    # inline expressions see the state of the kernel at their place in the document
    assert [text for _, text in run.inline_values()] == ["False", "42", "42", "plain text"]
    printed = "".join(o.text for o in run.outputs if o.kind == "stream")
    assert printed.split() == [str(paths.cache), str(chapter.parent)]
    errors = [o for o in run.outputs if o.step.startswith("cell 3")]
    assert errors == []  # the error of the error: true cell is tolerated, not an output


def test_a_failing_chapter_names_the_cell_line_and_traceback(tmp_path):
    path = tmp_path / "failing.qmd"
    path.write_text(FAILING, encoding="utf-8")
    run = kernel.run_chapter(path, quarto_setup=True)
    assert not run.ok
    assert run.cells == 2  # the third cell never ran
    (failure,) = run.failures
    assert failure.where == "cell 'tbl-broken' (line 9), in code from cell 'helpers' (line 3)"
    assert failure.line == 6  # `return a / b` in the helpers cell
    assert failure.error == "ZeroDivisionError: division by zero"
    assert failure.traceback[-1] == "ZeroDivisionError: division by zero"
    assert any("ratio(values[0], 0)" in line for line in failure.traceback)
    assert str(failure).startswith(f"{path}:6: cell 'tbl-broken'")


def test_a_failing_inline_expression_is_located(tmp_path):
    path = tmp_path / "inline.qmd"
    path.write_text("# T\n\nfine `{python} 1`\n\nbroken `{python} undefined_name`\n")
    run = kernel.run_chapter(path, quarto_setup=False)
    (failure,) = run.failures
    assert failure.where == "inline expression `undefined_name` (line 5)"
    assert failure.line == 5
    assert failure.error == "NameError: name 'undefined_name' is not defined"
    assert run.inline_values() == [("inline expression `1` (line 3)", "1")]


def _running(pid: int) -> bool:
    """Whether a process exists and is not a zombie (Linux /proc; elsewhere a signal probe)."""
    stat = Path(f"/proc/{pid}/stat")
    if stat.parent.parent.exists():
        return stat.exists() and stat.read_text().split(") ")[-1][:1] != "Z"
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    return True


def test_a_cell_that_hangs_times_out_and_its_kernel_is_stopped(tmp_path):
    path = tmp_path / "slow.qmd"
    path.write_text(
        "```{python}\nimport os\nprint(os.getpid())\n```\n\n"
        "```{python}\n#| label: slow\nimport threading\nthreading.Event().wait()\n```\n",
        encoding="utf-8",
    )
    run = kernel.run_chapter(path, quarto_setup=False, timeout=2)
    (failure,) = run.failures
    assert failure.where == "cell 'slow' (line 6)"
    assert failure.error == "TimeoutError: no answer within 2 s"
    pid = int(run.outputs[0].text)
    assert not _running(pid)


def test_a_kernel_that_dies_is_reported_not_waited_for(tmp_path):
    path = tmp_path / "dies.qmd"
    path.write_text(
        "```{python}\n#| label: exit\nimport os\nos._exit(3)\n```\n",
        encoding="utf-8",
    )
    run = kernel.run_chapter(path, quarto_setup=False, timeout=60)
    (failure,) = run.failures
    assert failure.where == "cell 'exit' (line 1)"
    # with a 60 s timeout, a death not noticed would end as a TimeoutError, not this
    assert failure.error.startswith("KernelError: the kernel died")


def test_outputs_record_every_representation_the_kernel_sent(tmp_path):
    """What the chapter test checks for text/html and application/javascript is recorded."""
    path = tmp_path / "mimes.qmd"
    path.write_text(
        "```{python}\n#| label: html\nfrom IPython.display import HTML\nHTML('<b>x</b>')\n```\n\n"
        "```{python}\n#| label: tbl-md\nfrom analysis import book\n"
        "book.Text('| a |\\n|---|\\n| 1 |')\n```\n",
        encoding="utf-8",
    )
    run = kernel.run_chapter(path, quarto_setup=False)
    assert run.ok, run.failures
    html, table = run.outputs
    assert "text/html" in html.mimetypes
    assert set(table.mimetypes) == {"text/plain", "text/markdown"}
    assert table.text == "| a |\n|---|\n| 1 |"


def test_setup_cells_never_take_the_place_of_the_chapter_s_last_cell(tmp_path):
    path = tmp_path / "ends-with-code.qmd"
    path.write_text(
        "# Ends with code\n\n```{python}\nx = 1\n```\n\n```{python}\nprint('last cell', x)\n```\n",
        encoding="utf-8",
    )
    run = kernel.run_chapter(path, setup="print('SETUP-OUTPUT')")
    assert run.ok, "\n".join(map(str, run.failures))
    printed = [(o.step, o.text) for o in run.outputs if o.kind == "stream"]
    assert len(printed) == 1 and printed[0][1] == "last cell 1\n"
    assert all("SETUP-OUTPUT" not in text and "site-packages" not in text for _, text in printed)
