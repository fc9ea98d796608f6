"""Every chapter listed in _quarto.yml runs in a real Jupyter kernel, in document order, without
error, as Quarto would execute it (one fresh kernel per chapter).

The artifacts the chapters read are computed once, in this process, into the test run's
isolated cache first (as ``freeze --invalidate`` does before a render); the kernels then only
read the cache. An artifact that fails to compute makes its chapter fail with the traceback.

No output may be ``text/html`` or ``application/javascript`` (issue 11): either makes Quarto add
require.js and jQuery from a CDN to the page, which breaks every page offline, and HTML output
does not survive to the PDF. Tables are Markdown (``text/markdown``), figures PNG.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from analysis import paths
from analysis.pipeline import freeze, kernel, qmd


def _chapters() -> list[Path]:
    if not paths.quarto_config.exists():
        return []
    return [p for p in qmd.book_chapters() if p.suffix == ".qmd"]


CHAPTERS = _chapters()
FORBIDDEN = frozenset({"text/html", "application/javascript"})


@pytest.fixture(scope="module")
def prefetched() -> dict[str, str]:
    """Compute every artifact the book reads; returns the failures by artifact."""
    uses = [freeze.usage(qmd.parse(p)) for p in CHAPTERS if p.exists()]
    _, failed = freeze.prefetch(freeze.needed_artifacts(uses))
    return failed


def test_the_book_lists_chapters():
    assert CHAPTERS, "_quarto.yml lists no .qmd chapters"


@pytest.mark.parametrize("chapter", CHAPTERS, ids=[freeze.chapter_name(p) for p in CHAPTERS])
def test_chapter_executes_without_error_or_html_output(
    chapter: Path, prefetched: dict[str, str]
) -> None:
    assert chapter.exists(), f"{freeze.chapter_name(chapter)} is listed in _quarto.yml but missing"
    run = kernel.run_chapter(chapter, quarto_setup=False)
    assert run.ok, "\n".join(str(f) for f in run.failures)
    scripted = [
        f"{output.step}: {', '.join(sorted(FORBIDDEN & set(output.mimetypes)))}"
        for output in run.outputs
        if FORBIDDEN & set(output.mimetypes)
    ]
    assert not scripted, "outputs Quarto would load CDN scripts for:\n" + "\n".join(scripted)
