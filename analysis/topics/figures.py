"""Figures: one seaborn theme for the whole book, PNG export for the cache, the model figures.

Every figure function returns a matplotlib Figure with a title, labelled axes and English text
only; figures drawn from the synthetic engagement sample carry a footer saying so. The cache
stores figures as PNG through ``to_png``.

Legibility. The palette is seaborn's ``colorblind`` (distinguishable with the common forms of
colour-vision deficiency). A PNG is shown at its pixel width, or shrunk to the text column
(``COLUMN_PX`` CSS pixels in a 1280 px window), so a font of ``s`` points in the figure is seen
at ``s x display_scale(width)`` points. ``to_png`` raises every text below ``MIN_DISPLAY_PT`` at
display size to that floor before saving (``legible``), whatever size a figure function asked
for, and a test checks every figure of the book. On a phone the whole column is narrower, so the
figure shrinks with it; readers there zoom the image.
"""

from __future__ import annotations

import io
import itertools
from typing import Any

import numpy as np
import pandas as pd

from analysis import escape
from analysis.data.labels import SYNTHETIC_FOOTER

STYLE = "whitegrid"
CONTEXT = "notebook"
PALETTE = "colorblind"
FONT_SCALE = 1.0
DPI = 150
COLUMN_PX = 680  # width of the book's text column at a 1280 px window (Quarto, cosmo theme)
MIN_DISPLAY_PT = 9.0  # no text smaller than this at display size
CSS_PT_PER_PX = 0.75  # CSS: 1pt = 4/3 px
SAVE_PAD_INCHES = 0.1  # matplotlib's default pad around a tight bounding box
REGION_ORDER = ("east", "central", "west", "northeast")
LOG_TICKS = (0.05, 0.1, 0.2, 0.25, 0.5, 0.75, 1, 1.5, 2, 3, 4, 5, 10, 20, 50, 100)
TYPE_LABELS = {"bureau": "Bureau account", "officer": "Officer's real-name account"}


def theme() -> None:
    """Apply the book's single seaborn theme (idempotent)."""
    import seaborn as sns

    sns.set_theme(
        style=STYLE,
        context=CONTEXT,
        palette=PALETTE,
        font_scale=FONT_SCALE,
        # text.parse_math off: a label from data ("$5") is drawn as written, never as math.
        rc={
            "figure.dpi": 100,
            "axes.titleweight": "bold",
            "axes.titlesize": "medium",
            "text.parse_math": False,
        },
    )


def palette(n: int) -> list[tuple[float, float, float]]:
    """``n`` colours of the book's palette."""
    import seaborn as sns

    return list(sns.color_palette(PALETTE, n))


def display_scale(width_inches: float) -> float:
    """Points seen on the page per point in a figure saved ``width_inches`` wide at ``DPI``."""
    image_px = width_inches * DPI
    shown_px = min(image_px, COLUMN_PX)
    return shown_px / image_px * DPI / 72 * CSS_PT_PER_PX


def saved_width(fig: Any) -> float:
    """Width in inches of the PNG ``to_png`` writes (tight bounding box plus its pad)."""
    renderer = fig.canvas.get_renderer()
    return fig.get_tightbbox(renderer).width + 2 * SAVE_PAD_INCHES


def texts(fig: Any) -> list[Any]:
    """Every visible, non-empty text of the figure (titles, labels, ticks, legends, notes)."""
    from matplotlib.text import Text

    return [
        t
        for t in fig.findobj(Text)
        if t.get_visible() and t.get_text().strip() and t.get_figure() is not None
    ]


def smallest_display_pt(fig: Any) -> float:
    """The smallest text of the figure as seen on the page, in points."""
    sizes = [t.get_fontsize() for t in texts(fig)]
    return min(sizes) * display_scale(saved_width(fig)) if sizes else float("inf")


def legible(fig: Any, rounds: int = 4) -> Any:
    """Raise every text below ``MIN_DISPLAY_PT`` at display size to that floor.

    Larger text can widen the saved image (and so shrink it on the page), so the floor is
    recomputed until no text is below it; notes written on the figure itself wrap at its edge,
    under the legends placed on the figure (``fit_notes``).
    """
    if fit_notes(fig):
        _relayout(fig)
    for _ in range(rounds):
        floor = MIN_DISPLAY_PT / display_scale(saved_width(fig))
        small = [t for t in texts(fig) if t.get_fontsize() < floor]
        if not small:
            break
        for text in small:
            text.set_fontsize(floor * 1.05)
        _relayout(fig)
    return fig


NOTE_MARGIN = 0.01  # figure fraction kept free right of a note written on the figure
NOTE_GAP_PX = 4  # pixels between a note and a legend above it


def _lay_out(fig: Any) -> None:
    """Lay the figure out (text extents, tight layout) without rasterising it: the extents the
    loops below read are those a full draw gives, at a fraction of its cost (no glyph is
    painted; the PNG is drawn once, by ``to_png``)."""
    fig.draw_without_rendering()


def fit_notes(fig: Any) -> bool:
    """Break each note written on the figure (a footer such as the sample's source) into lines
    that fit between its left edge and the figure's right edge, and lift a legend placed on the
    figure that the note's lines would overlap. Returns whether anything moved.

    Matplotlib's own ``wrap`` applies when drawing only: the extents that ``tight_layout`` and
    ``bbox_inches="tight"`` measure are the unwrapped line's, so a long note ran past the edge
    and over the legend. Here the line breaks are in the text itself."""
    _lay_out(fig)
    renderer = fig.canvas.get_renderer()
    width = fig.bbox.width
    changed = False
    notes = [t for t in fig.texts if t.get_visible() and t.get_text().strip()]
    for note in notes:
        x0 = note.get_window_extent(renderer).x0
        room = width * (1 - NOTE_MARGIN) - max(x0, 0.0)
        lines = _lines(note.get_text().split(), room, note, renderer)
        text = "\n".join(lines)
        if text != note.get_text() or note.get_wrap():
            note.set_text(text)
            note.set_wrap(False)
            changed = True
    _lay_out(fig)
    for note in notes:
        top = note.get_window_extent(renderer).y1
        for legend in fig.legends:
            box = legend.get_window_extent(renderer)
            if box.y0 < top + NOTE_GAP_PX and box.y1 > note.get_window_extent(renderer).y0:
                _lift(legend, box, top + NOTE_GAP_PX, fig)
                changed = True
    if changed:
        _lay_out(fig)
    return changed


def _lines(words: list[str], room: float, note: Any, renderer: Any) -> list[str]:
    """Greedy line breaking of ``words`` at ``room`` pixels in the note's font."""
    font = note.get_fontproperties()

    def width(line: str) -> float:
        return renderer.get_text_width_height_descent(line, font, ismath=False)[0]

    lines: list[str] = []
    for word in words:
        if lines and width(f"{lines[-1]} {word}") <= room:
            lines[-1] = f"{lines[-1]} {word}"
        else:
            lines.append(word)
    return lines


def _lift(legend: Any, box: Any, bottom: float, fig: Any) -> None:
    """Move a figure legend up so that its lower edge is at ``bottom`` (display pixels)."""
    anchor = legend.get_bbox_to_anchor()
    shift = bottom - box.y0
    moved = fig.transFigure.inverted().transform(
        [(anchor.x0, anchor.y0 + shift), (anchor.x1, anchor.y1 + shift)]
    )
    (left, low), (right, high) = moved
    legend.set_bbox_to_anchor((left, low, right - left, high - low), transform=fig.transFigure)


def _relayout(fig: Any) -> None:
    """Lay the figure out again after its text grew: notes re-wrapped at the figure's edge,
    room at the bottom for the notes and legends placed on the figure itself, and tick labels
    tilted where they would overlap."""
    fit_notes(fig)
    _lay_out(fig)
    renderer = fig.canvas.get_renderer()
    height = fig.bbox.height
    below = [t for t in fig.texts if t.get_window_extent(renderer).y0 < 0.1 * height]
    notes_top = max((t.get_window_extent(renderer).y1 for t in below), default=0.0)
    legend_limit = max(0.2 * height, notes_top + 2 * NOTE_GAP_PX)
    below += [g for g in fig.legends if g.get_window_extent(renderer).y0 < legend_limit]
    bottom = max((a.get_window_extent(renderer).y1 / height for a in below), default=0.0)
    rect = (0, min(bottom + 0.01, 0.4), 1, 1)
    fig.tight_layout(rect=rect)
    _lay_out(fig)
    for ax in fig.axes:
        labels = [t for t in ax.get_xticklabels() if t.get_visible() and t.get_text()]
        boxes = [t.get_window_extent(renderer) for t in labels]
        if any(a.x1 > b.x0 for a, b in itertools.pairwise(boxes)):
            for label in labels:
                label.set_rotation(30)
                label.set_horizontalalignment("right")
            fig.tight_layout(rect=rect)


def to_png(fig: Any) -> bytes:
    """The figure as PNG bytes (the cache's storage format), every text legible; closes it."""
    import matplotlib.pyplot as plt

    legible(fig)
    buffer = io.BytesIO()
    fig.savefig(buffer, format="png", dpi=DPI, bbox_inches="tight", pad_inches=SAVE_PAD_INCHES)
    plt.close(fig)
    return buffer.getvalue()


def synthetic_footer(fig: Any, resources: tuple[str, ...] = ("accounts", "posts")) -> None:
    """Write under the figure what kind of sample it shows, read from the descriptor: the
    synthetic-sample notice, or the observed sample's collection details (nothing for
    documented data)."""
    from analysis.data import labels

    descriptor = labels.descriptor()
    kinds = labels.kinds_of(resources, descriptor)
    text = (
        SYNTHETIC_FOOTER if "synthetic" in kinds.values() else labels.table_note(kinds, descriptor)
    )
    if text:
        shown = escape.figure_text(text)  # data text: never mathtext
        fig.text(0.01, 0.005, shown, ha="left", va="bottom", fontsize=10, color="0.3", wrap=True)


def forest_plot(
    table: pd.DataFrame, title: str, xlabel: str = "Incidence-rate ratio", few_accounts: int = 0
) -> Any:
    """Forest plot of ratios with 95% intervals on a log axis, one row per term.

    ``table`` needs columns label, ratio, ci_low, ci_high and optionally accounts; terms resting
    on fewer than ``few_accounts`` accounts are drawn hollow, as their interval is unreliable.
    """
    import matplotlib.pyplot as plt

    theme()
    rows = table.reset_index(drop=True)
    few = (
        rows["accounts"].to_numpy() < few_accounts
        if "accounts" in rows
        else np.zeros(len(rows), bool)
    )
    fig, ax = plt.subplots(figsize=(7.5, 0.32 * len(rows) + 1.6))
    y = np.arange(len(rows))[::-1]
    color = palette(1)[0]
    ax.errorbar(
        rows["ratio"],
        y,
        xerr=[rows["ratio"] - rows["ci_low"], rows["ci_high"] - rows["ratio"]],
        fmt="none",
        ecolor=color,
        elinewidth=1.4,
        capsize=2,
    )
    ax.scatter(rows["ratio"][~few], y[~few], color=color, zorder=3, s=28)
    if few.any():
        ax.scatter(rows["ratio"][few], y[few], facecolor="white", edgecolor=color, zorder=3, s=28)
    accounts = rows["accounts"] if "accounts" in rows else pd.Series(0, index=rows.index)
    labels = [
        f"{label} ({n} accounts)" if small else label
        for label, n, small in zip(rows["label"], accounts, few, strict=True)
    ]
    ax.set_yticks(y, labels)
    ax.axvline(1.0, color="0.3", linewidth=1, linestyle="--")
    ax.set_xscale("log")
    low = min(rows["ci_low"].min(), 1.0) / 1.15
    high = max(rows["ci_high"].max(), 1.0) * 1.15
    ax.set_xlim(low, high)
    ticks = [t for t in LOG_TICKS if low <= t <= high]
    ax.set_xticks(ticks, [f"{t:g}" for t in ticks])
    ax.xaxis.set_minor_formatter(plt.NullFormatter())
    ax.set_xlabel(f"{xlabel}, 95% interval (log scale; 1 = no difference)")
    ax.set_title(title, loc="left")
    fig.tight_layout(rect=(0, 0.04, 1, 1))
    synthetic_footer(fig)
    return fig


def predictions_plot(predictions: pd.DataFrame, title: str, ylabel: str) -> Any:
    """Predicted count per post by region (x) and account type (colour) with 95% intervals."""
    import matplotlib.pyplot as plt

    theme()
    fig, ax = plt.subplots(figsize=(7.5, 4.2))
    kinds = list(dict.fromkeys(predictions["account_type"]))
    regions = [r for r in REGION_ORDER if r in set(predictions["region"])]
    width = 0.8 / max(len(kinds), 1)
    for i, (kind, color) in enumerate(zip(kinds, palette(len(kinds)), strict=True)):
        part = predictions[predictions["account_type"] == kind].set_index("region").loc[regions]
        x = np.arange(len(regions)) + (i - (len(kinds) - 1) / 2) * width
        ax.bar(
            x,
            part["predicted"],
            width=width * 0.9,
            color=color,
            alpha=0.85,
            label=TYPE_LABELS.get(kind, kind),
        )
        ax.errorbar(
            x,
            part["predicted"],
            yerr=[part["predicted"] - part["ci_low"], part["ci_high"] - part["predicted"]],
            fmt="none",
            ecolor="0.2",
            capsize=3,
            linewidth=1.2,
        )
    ax.set_xticks(np.arange(len(regions)), [r.capitalize() for r in regions])
    ax.set_xlabel("Region (NBS four-region scheme)")
    ax.set_ylabel(ylabel)
    ax.set_title(title, loc="left")
    ax.legend(title="Account type", frameon=False)
    fig.tight_layout(rect=(0, 0.04, 1, 1))
    synthetic_footer(fig)
    return fig


def answer_rates_plot(rates: pd.DataFrame, title: str) -> Any:
    """Model-based answer rate by region with 95% intervals, observed rates as crosses."""
    import matplotlib.pyplot as plt

    theme()
    fig, ax = plt.subplots(figsize=(7.0, 3.8))
    regions = [r for r in REGION_ORDER if r in set(rates["region"])]
    part = rates.set_index("region").loc[regions]
    x = np.arange(len(regions))
    model_color, observed_color = palette(2)
    ax.errorbar(
        x,
        100 * part["answer_rate"],
        yerr=[
            100 * (part["answer_rate"] - part["ci_low"]),
            100 * (part["ci_high"] - part["answer_rate"]),
        ],
        fmt="o",
        color=model_color,
        capsize=4,
        label="Model-based rate (other covariates as in the sample), 95% interval",
    )
    ax.scatter(
        x,
        100 * part["observed_rate"],
        marker="x",
        color=observed_color,
        zorder=3,
        label="Observed share of comments answered",
    )
    ax.set_xticks(x, [r.capitalize() for r in regions])
    ax.set_xlabel("Region (NBS four-region scheme)")
    ax.set_ylabel("Comments answered (%)")
    ax.set_ylim(0, max(100 * part["ci_high"].max(), 100 * part["observed_rate"].max()) * 1.25)
    ax.set_title(title, loc="left")
    ax.legend(frameon=False, loc="lower left")
    fig.tight_layout(rect=(0, 0.04, 1, 1))
    synthetic_footer(fig)
    return fig
