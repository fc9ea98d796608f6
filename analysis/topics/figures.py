"""Figures: one seaborn theme for the whole book, PNG export for the cache, the model figures.

Every figure function returns a matplotlib Figure with a title, labelled axes and English text
only; figures drawn from the synthetic engagement sample carry a footer saying so. The cache
stores figures as PNG through ``to_png``.
"""

from __future__ import annotations

import io
from typing import Any

import numpy as np
import pandas as pd

from analysis.data.labels import SYNTHETIC_FOOTER

STYLE = "whitegrid"
CONTEXT = "notebook"
PALETTE = "colorblind"
FONT_SCALE = 0.9
DPI = 150
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
        rc={"figure.dpi": 100, "axes.titleweight": "bold", "axes.titlesize": "medium"},
    )


def palette(n: int) -> list[tuple[float, float, float]]:
    """``n`` colours of the book's palette."""
    import seaborn as sns

    return list(sns.color_palette(PALETTE, n))


def to_png(fig: Any) -> bytes:
    """The figure as PNG bytes (the cache's storage format); closes the figure."""
    import matplotlib.pyplot as plt

    buffer = io.BytesIO()
    fig.savefig(buffer, format="png", dpi=DPI, bbox_inches="tight")
    plt.close(fig)
    return buffer.getvalue()


def synthetic_footer(fig: Any) -> None:
    """Write the synthetic-sample notice under the figure."""
    fig.text(0.01, 0.005, SYNTHETIC_FOOTER, ha="left", va="bottom", fontsize=7, color="0.35")


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
    ax.legend(frameon=False, fontsize="small", loc="lower left")
    fig.tight_layout(rect=(0, 0.04, 1, 1))
    synthetic_footer(fig)
    return fig
