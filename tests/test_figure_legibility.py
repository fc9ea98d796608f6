"""Figures read well on the page: no text below 9 pt at display size, the colour-blind palette.

``analysis.topics.figures.to_png`` raises small text to the floor before saving; these tests
check the arithmetic, the floor on a deliberately bad figure, and every figure of the book.
"""

from __future__ import annotations

import importlib

import matplotlib.pyplot as plt
import pytest
import seaborn as sns

from analysis.pipeline import store
from analysis.pipeline.store import registry
from analysis.topics import figures


def test_display_scale_follows_the_text_column() -> None:
    narrow = figures.COLUMN_PX / figures.DPI  # shown at its own pixel size
    assert figures.display_scale(narrow) == pytest.approx(figures.DPI / 72 * 0.75)
    assert figures.display_scale(narrow / 2) == pytest.approx(figures.DPI / 72 * 0.75)
    # twice as wide: shrunk to the column, so every point shows at half the size
    assert figures.display_scale(2 * narrow) == pytest.approx(figures.display_scale(narrow) / 2)


def test_small_text_is_raised_to_the_floor() -> None:
    fig, ax = plt.subplots(figsize=(10, 4))
    ax.plot([1, 2, 3], [3, 1, 2])
    ax.set_title("A title", fontsize=6)
    ax.tick_params(labelsize=5)
    fig.text(0.01, 0.01, "a long note on the figure " * 8, fontsize=5)
    assert figures.smallest_display_pt(fig) < figures.MIN_DISPLAY_PT
    figures.legible(fig)
    assert figures.smallest_display_pt(fig) >= figures.MIN_DISPLAY_PT
    assert figures.saved_width(fig) < 12  # the note wrapped instead of widening the image
    plt.close(fig)


def test_the_palette_is_colour_blind_safe() -> None:
    assert figures.palette(4) == list(sns.color_palette("colorblind", 4))


@pytest.mark.parametrize(
    "name", sorted(n for n, a in registry.REGISTRY.items() if a.kind == "figure")
)
def test_every_book_figure_is_legible_at_display_size(name: str) -> None:
    art = registry.get(name)
    module, function = art.function.split(":")
    fig = getattr(importlib.import_module(module), function)(*map(store.get, art.depends))
    figures.legible(fig)
    smallest = figures.smallest_display_pt(fig)
    plt.close(fig)
    assert smallest >= figures.MIN_DISPLAY_PT, f"{name}: smallest text {smallest:.1f} pt"


LONG_FOOTER = (
    "Observed sample, as declared in datapackage.json: accounts (Weibo API crawl by the research "
    "team of a university department, 2016-01-01 to 2016-12-31, every police bureau account in "
    "the provincial lists of the Ministry of Public Security); posts (the same crawl)."
)


def test_a_long_footer_wraps_within_the_figure_under_its_legend(monkeypatch) -> None:
    """The sample's source under a figure with a legend placed on the figure (the content mix):
    every line of the footer stays inside the figure and clear of the legend and the axes."""
    from analysis.topics import content

    monkeypatch.setattr(figures, "SYNTHETIC_FOOTER", LONG_FOOTER)
    fig = content.mix_figure()
    figures.legible(fig)
    fig.canvas.draw()
    renderer = fig.canvas.get_renderer()
    (footer,) = [t for t in fig.texts if "Weibo API crawl" in t.get_text()]
    box = footer.get_window_extent(renderer)
    assert " ".join(footer.get_text().split()) == LONG_FOOTER  # wrapped, not shortened
    assert footer.get_text().count("\n") >= 1
    assert box.x0 >= 0 and box.y0 >= 0
    assert box.x1 <= fig.bbox.x1
    assert fig.legends, "the content mix places its legend on the figure"
    for other in [*fig.legends, *fig.axes]:
        assert not box.overlaps(other.get_window_extent(renderer)), other
    plt.close(fig)
