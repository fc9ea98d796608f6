"""Robustness of the regional conclusions to province-level variation and province covariates.

Region is a property of the province, so accounts of one province may share unmeasured
conditions that standard errors clustered by account ignore. Each main model (comments
engagement, answered comments) is re-estimated with standard errors clustered by province (31
clusters), as a GEE with an exchangeable working correlation within provinces (engagement), and
with the province's log GDP per capita as a covariate. Internet penetration by province is not
used: no citable provincial series is bundled with the project, and none is invented.

A conclusion *holds* in a specification when its regional test gives the same verdict at the
5% level as the main model and every region ratio the main model distinguishes from 1 keeps
its side of 1.
"""

from __future__ import annotations

from typing import Any

import numpy as np
import pandas as pd

from analysis.topics import engagement, inference, responsiveness
from analysis.topics.modelframe import Cells

LEVEL = 0.05
GDP = "log_gdp_per_capita"
INTERNET_NOTE = (
    "Internet penetration by province is not included: no citable provincial series is bundled "
    "with the project's data, so that covariate is omitted rather than invented."
)


def _province_groups(frame: pd.DataFrame) -> np.ndarray:
    return pd.factorize(frame["province_code"].astype(str))[0]


def _region_rows(
    outcome: str, spec: str, model: inference.Fit, positions: list[int], columns: tuple[str, ...]
) -> list[dict[str, Any]]:
    test = inference.wald_test(model, positions)
    rows = []
    for j in positions:
        b, se = model.params[j], model.se[j]
        rows.append(
            {
                "outcome": outcome,
                "specification": spec,
                "region": columns[j].split("[")[1].rstrip("]"),
                "ratio": float(np.exp(b)),
                "ci_low": float(np.exp(b - inference.Z95 * se)),
                "ci_high": float(np.exp(b + inference.Z95 * se)),
                "wald_chi2": test["chi2"],
                "wald_df": test["df"],
                "wald_p": test["p"],
            }
        )
    return rows


def _gee_rows(data: engagement.CountData) -> list[dict[str, Any]]:
    """Poisson GEE on account x category cells, exchangeable within province, robust SEs."""
    import statsmodels.api as sm

    model = sm.GEE(
        data.total,
        data.x,
        groups=_province_groups(data.frame),
        offset=np.log(data.n),
        family=sm.families.Poisson(),
        cov_struct=sm.cov_struct.Exchangeable(),
    )
    result = model.fit(maxiter=100)
    fit = inference.Fit(
        data.design.columns,
        np.asarray(result.params),
        np.asarray(result.cov_params()),
        float("nan"),
        int(data.n.sum()),
        len(np.unique(_province_groups(data.frame))),
    )
    spec = "GEE Poisson, exchangeable within province"
    return _region_rows("comments", spec, fit, data.design.term("region"), data.design.columns)


def _verdicts(table: pd.DataFrame) -> pd.DataFrame:
    """Mark, per outcome and specification, whether the main model's conclusion holds."""
    out = []
    for _, rows in table.groupby("outcome", sort=False):
        main = rows[rows["specification"] == rows["specification"].iloc[0]].set_index("region")
        main_rejects = bool(main["wald_p"].iloc[0] < LEVEL)
        clear = main[(main["ci_low"] > 1) | (main["ci_high"] < 1)]
        for _, spec_rows in rows.groupby("specification", sort=False):
            spec_rows = spec_rows.set_index("region")
            same_test = bool(spec_rows["wald_p"].iloc[0] < LEVEL) == main_rejects
            same_side = all(
                (spec_rows.loc[r, "ratio"] < 1) == (clear.loc[r, "ratio"] < 1) for r in clear.index
            )
            out.append(spec_rows.assign(holds=same_test and same_side).reset_index())
    return pd.concat(out, ignore_index=True)[[*table.columns, "holds"]]


def robustness(cells: Cells | None = None) -> dict[str, Any]:
    """Every robustness specification of the regional results, with a verdict per conclusion."""
    from analysis.topics import modelframe

    cells = cells or modelframe.bundled()
    rows: list[dict[str, Any]] = []

    data = engagement.count_data(cells, "comments")
    main = engagement.fit(data)
    region = data.design.term("region")
    rows += _region_rows(
        "comments", "main: NB2, clustered by account", main, region, data.design.columns
    )
    by_province = engagement.fit(data, groups=_province_groups(data.frame))
    rows += _region_rows(
        "comments", "NB2, clustered by province", by_province, region, data.design.columns
    )
    rows += _gee_rows(data)
    spec = engagement.OUTCOMES["comments"]
    with_gdp = engagement.count_data(cells, "comments", numerics=(*spec.numerics, GDP))
    gdp_fit = engagement.fit(with_gdp)
    rows += _region_rows(
        "comments",
        "NB2 + log GDP per capita, clustered by account",
        gdp_fit,
        with_gdp.design.term("region"),
        with_gdp.design.columns,
    )

    answers = responsiveness.binomial_data(cells)
    positions = answers.design.term("region")
    main_b = responsiveness.fit(answers)
    rows += _region_rows(
        "answered", "main: logit, clustered by account", main_b, positions, answers.design.columns
    )
    prov_b = responsiveness.fit(answers, groups=_province_groups(answers.frame))
    rows += _region_rows(
        "answered", "logit, clustered by province", prov_b, positions, answers.design.columns
    )
    answers_gdp = responsiveness.binomial_data(cells, numerics=(GDP,))
    gdp_b = responsiveness.fit(answers_gdp)
    rows += _region_rows(
        "answered",
        "logit + log GDP per capita, clustered by account",
        gdp_b,
        answers_gdp.design.term("region"),
        answers_gdp.design.columns,
    )

    table = _verdicts(pd.DataFrame(rows))
    gdp_effects = {
        "comments": _ratio(gdp_fit, with_gdp.design.columns.index(GDP)),
        "answered": _ratio(gdp_b, answers_gdp.design.columns.index(GDP)),
    }
    survives = {
        outcome: bool(group["holds"].all())
        for outcome, group in table.groupby("outcome", sort=False)
    }
    return {
        "table": table,
        "gdp_effects": gdp_effects,
        "survives": survives,
        "main_finds": _main_finds(table),
        "statement": _statement(table, survives),
        "internet_note": INTERNET_NOTE,
        "n_provinces": int(cells.accounts["province_code"].nunique()),
    }


def _ratio(model: inference.Fit, j: int) -> dict[str, float]:
    b, se = model.params[j], model.se[j]
    return {
        "ratio": float(np.exp(b)),
        "ci_low": float(np.exp(b - inference.Z95 * se)),
        "ci_high": float(np.exp(b + inference.Z95 * se)),
    }


def _main_finds(table: pd.DataFrame) -> dict[str, bool]:
    """Per outcome, whether the main specification (the first listed) rejects equal regions."""
    out = {}
    for outcome, rows in table.groupby("outcome", sort=False):
        main = rows[rows["specification"] == rows["specification"].iloc[0]]
        out[str(outcome)] = bool(main["wald_p"].iloc[0] < LEVEL)
    return out


def _statement(table: pd.DataFrame, survives: dict[str, bool]) -> str:
    """One plain sentence per conclusion: whether the main model finds regional differences
    (its Wald test at ``LEVEL``) and whether every specification agrees with it."""
    names = {
        "comments": "comments per post",
        "answered": "answer rates",
    }
    parts = []
    for outcome, ok in survives.items():
        rows = table[table["outcome"] == outcome]
        found = _main_finds(rows)[outcome]
        failed = rows[~rows["holds"]]["specification"].unique()
        if found and ok:
            parts.append(
                f"The regional differences in {names[outcome]} survive every specification."
            )
        elif found:
            parts.append(
                f"The regional differences in {names[outcome]} do not survive: "
                f"{'; '.join(failed)} gives a different verdict."
            )
        elif ok:
            parts.append(
                f"The main model finds no clear regional differences in {names[outcome]}, and "
                "every other specification agrees: the differences are absent."
            )
        else:
            parts.append(
                f"The main model finds no clear regional differences in {names[outcome]}, but "
                f"{'; '.join(failed)} finds them."
            )
    return " ".join([*parts, INTERNET_NOTE])
