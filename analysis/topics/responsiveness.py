"""Responsiveness: how often departments answer comments, by region, level, platform and type.

A binomial logit of answered comments out of comments received (exact post-level fit from
account x category cells, analysis.topics.inference), with standard errors clustered by account.
Effects are odds ratios; the test of regional difference is the cluster-robust Wald test that
the three region odds ratios equal one; each region's answer rate is the share of all comments
that would be answered if every account were in that region (the sample's other covariates
kept), with a delta-method 95% interval.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd

from analysis.topics import inference
from analysis.topics.engagement import term_label
from analysis.topics.modelframe import ANSWERED, Cells, Design, build_design

FACTORS = ("region", "level", "platform", "account_type")
WHAT = "responsiveness model (answered comments)"


@dataclass
class BinomialData:
    """Cells with at least one comment, and the checked design of the answer model."""

    frame: pd.DataFrame
    design: Design
    x: np.ndarray
    answered: np.ndarray
    comments: np.ndarray
    groups: np.ndarray


def binomial_data(
    cells: Cells, factors: tuple[str, ...] = FACTORS, numerics: tuple[str, ...] = ()
) -> BinomialData:
    """Select cells with comments and build the checked design of the answer model."""
    frame = cells.frame[cells.frame["comments_sum"] > 0].reset_index(drop=True)
    comments = frame["comments_sum"].to_numpy(dtype=float)
    answered = frame[f"{ANSWERED}_sum"].to_numpy(dtype=float)
    design = build_design(
        frame,
        factors,
        numerics,
        what=WHAT,
        weight=comments,
        outcome=answered,
        trials=comments,
        unit="comments",
    )
    return BinomialData(
        frame, design, design.matrix(frame), answered, comments, frame["account"].to_numpy()
    )


def fit(data: BinomialData, groups: np.ndarray | None = None) -> inference.Fit:
    """Binomial logit of answered comments, clustered by account unless ``groups`` is given."""
    return inference.fit_binomial(
        data.x,
        data.design.columns,
        data.answered,
        data.comments,
        data.groups if groups is None else groups,
        what=WHAT,
    )


def answer_rates(data: BinomialData, model: inference.Fit) -> pd.DataFrame:
    """Each region's model-based answer rate (all comments given that region) and observed rate."""
    rows = []
    region = data.frame["region"].astype(str).to_numpy()
    for level in data.design.levels_or_observed("region"):
        x = data.design.matrix(data.design.counterfactual(data.frame, region=level))
        value, low, high = inference.average_prediction(model, x, data.comments, link="logit")
        mine = region == level
        rows.append(
            {
                "region": level,
                "answer_rate": value,
                "ci_low": low,
                "ci_high": high,
                "observed_rate": float(data.answered[mine].sum() / data.comments[mine].sum()),
                "comments": int(data.comments[mine].sum()),
                "answered": int(data.answered[mine].sum()),
                "accounts": int(np.unique(data.groups[mine]).size),
            }
        )
    return pd.DataFrame(rows)


def odds_ratio_table(data: BinomialData, model: inference.Fit) -> pd.DataFrame:
    """Tidy odds-ratio table with 95% interval, p-value and accounts behind each term."""
    labels = {c: term_label(c, data.design) for c in data.design.columns}
    table = inference.ratio_table(model, labels)
    carriers = {
        c: int(np.unique(data.groups[data.x[:, j] != 0]).size)
        for j, c in enumerate(data.design.columns)
    }
    table["accounts"] = table["term"].map(carriers)
    return table


def regional_test(data: BinomialData, model: inference.Fit) -> dict[str, float]:
    """Cluster-robust Wald and model-based LR tests that answer rates do not differ by region;
    NaN where the data have one region only."""
    if "region" not in data.design.levels:
        return inference.no_test()
    positions = data.design.term("region")
    wald = inference.wald_test(model, positions)
    keep = [j for j in range(len(data.design.columns)) if j not in positions]
    restricted = inference.fit_binomial(
        data.x[:, keep],
        tuple(data.design.columns[j] for j in keep),
        data.answered,
        data.comments,
        data.groups,
        what=f"{WHAT} without region",
    )
    lr = inference.lr_test(model.loglik, restricted.loglik, wald["df"])
    return inference.joint_tests(wald, lr)


def fit_responsiveness(cells: Cells | None = None) -> dict[str, Any]:
    """Every responsiveness result as plain data (the bundled sample by default)."""
    from analysis.topics import modelframe

    cells = cells or modelframe.bundled()
    data = binomial_data(cells)
    model = fit(data)
    reference = float(1 / (1 + np.exp(-model.params[0])))
    return {
        "odds_ratios": odds_ratio_table(data, model),
        "answer_rates": answer_rates(data, model),
        "regional_test": regional_test(data, model),
        "statistics": {
            "n_comments": model.n_obs,
            "n_answered": int(data.answered.sum()),
            "n_accounts": model.n_groups,
            "overall_rate": float(data.answered.sum() / data.comments.sum()),
            "reference_rate": reference,
            "loglik": model.loglik,
        },
        "reference": {f: lv[0] for f, lv in data.design.levels.items()},
        "dropped": list(data.design.dropped),
        "notes": list(data.design.notes),
    }
