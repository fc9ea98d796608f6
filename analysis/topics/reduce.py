"""Out-of-core reduction of posts to the models' sufficient statistics, in DuckDB SQL.

The in-memory path (analysis.topics.modelframe.prepare) sums posts into account x category cells
with numpy; this module computes the same statistics with two streaming SQL queries over Parquet
parts, so a crawl of hundreds of millions of posts never has to fit in memory:

- ``cells_sql``: one GROUP BY over (account_id, category) giving per cell the number of posts
  and, per count outcome, the posts where it is observed, its sum and sum of squares (exact
  integer arithmetic, HUGEINT), the answered comments, and counts of rows that break a model
  input rule (negative counts, more answers than comments);
- ``histogram_sql``: the frequency table of each outcome's values.

Both are plain SQL over a relation of posts (``read_parquet``), with nothing DuckDB-specific
but the reader, so they could run on a cluster engine unchanged. The small results (about four
cells per account) are then joined to the accounts in pandas and assembled by the same function
as the in-memory path (``modelframe.assemble``, called by ``modelframe.prepare_parquet``), so
both give identical Cells.

The bundled CSV sample stays on the in-memory path: on its 85,000 posts DuckDB takes about 1.2 s
against 0.3 s for numpy, so the SQL path is used where it pays, for Parquet posts.
"""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from analysis.data import parquet
from analysis.errors import ModelInputError

# The statistics' names, as analysis.topics.modelframe uses them (it imports this module, so the
# names are repeated here rather than imported; tests/test_scale.py checks that they agree).
COUNT_OUTCOMES = ("comments", "likes", "reposts", "page_views")
ANSWERED = "comments_answered"


def cells_sql(source: str) -> str:
    """The cell aggregate over ``source`` (a relation of posts)."""
    per_outcome = []
    for outcome in COUNT_OUTCOMES:
        col = parquet.ident(outcome)
        per_outcome += [
            f"count({col}) AS {outcome}_n",
            f"CAST(coalesce(sum({col}), 0) AS DOUBLE) AS {outcome}_sum",
            f"CAST(coalesce(sum(CAST({col} AS HUGEINT) * {col}), 0) AS DOUBLE) AS {outcome}_sumsq",
            f"count(*) FILTER (WHERE {col} < 0) AS {outcome}_negative",
        ]
    answered, comments = parquet.ident(ANSWERED), parquet.ident("comments")
    return f"""
        SELECT CAST(account_id AS VARCHAR) AS account_id,
               CAST(category AS VARCHAR) AS category,
               count(*) AS n_posts,
               {", ".join(per_outcome)},
               CAST(coalesce(sum({answered}), 0) AS DOUBLE) AS {ANSWERED}_sum,
               count(*) FILTER (WHERE {answered} < 0) AS {ANSWERED}_negative,
               count(*) FILTER (WHERE coalesce({answered}, 0) > coalesce({comments}, 0))
                   AS over_answered
        FROM {source}
        GROUP BY 1, 2
    """


def histogram_sql(source: str) -> str:
    """Each outcome's distinct observed values and their frequencies over ``source``."""
    parts = [
        f"SELECT '{outcome}' AS outcome, CAST({parquet.ident(outcome)} AS BIGINT) AS value, "
        f"count(*) AS freq FROM {source} WHERE {parquet.ident(outcome)} IS NOT NULL GROUP BY 2"
        for outcome in COUNT_OUTCOMES
    ]
    return " UNION ALL ".join(parts) + " ORDER BY outcome, value"


def _locate(con: Any, source: str, condition: str, field: str) -> tuple[str, int, Any]:
    """(file, 1-based row, value) of the first post that meets ``condition``."""
    file, row, value = con.execute(
        f"SELECT filename, file_row_number, {parquet.ident(field)} FROM {source} "
        f"WHERE {condition} ORDER BY filename, file_row_number LIMIT 1"
    ).fetchone()
    return Path(file).name, int(row) + 1, value


def _refuse(
    con: Any, source: str, condition: str, field: str, expected: str, show: str | None = None
) -> None:
    file, row, value = _locate(con, source, condition, field)
    found = "empty" if value is None else repr(value) if show is None else show
    raise ModelInputError(
        f"posts ({file}, row {row}), field '{field}': expected {expected}, found {found}"
    )


def statistics(
    source: Path,
    account_ids: Sequence[str],
    *,
    categories: Sequence[str] | None = None,
    temp_dir: Path | None = None,
) -> tuple[tuple[str, ...], dict[str, np.ndarray], dict[str, tuple[np.ndarray, np.ndarray]]]:
    """(category levels, per-cell statistics, frequency tables) of the posts in a Parquet file or
    folder, reduced in DuckDB out of core; cells are indexed account position x levels + level.

    ``categories`` fixes the category levels and their order (the codebook's enum); by default
    the sorted distinct values, as the in-memory path does for non-categorical text.
    """
    con = parquet.connect(temp_dir)
    try:
        relation = parquet.source_sql(parquet.parts(source))
        sums = con.execute(cells_sql(relation)).df()
        if sums.empty:
            raise ModelInputError("posts is an empty group: expected at least one row, found 0")
        _check(con, relation, sums, account_ids, categories)
        table = con.execute(histogram_sql(relation)).df()
    finally:
        con.close()
    histograms = {outcome: _empty() for outcome in COUNT_OUTCOMES}
    for outcome, rows in table.groupby("outcome", sort=False):
        histograms[str(outcome)] = (
            rows["value"].to_numpy(dtype=np.int64),
            rows["freq"].to_numpy(dtype=np.int64),
        )
    levels = tuple(categories) if categories else tuple(sorted(sums["category"].unique()))
    position = pd.Index(account_ids).get_indexer(sums["account_id"])
    code = pd.Index(levels).get_indexer(sums["category"])
    cell = position.astype(np.int64) * len(levels) + code
    size = len(account_ids) * len(levels)
    names = ["n_posts"]
    for outcome in COUNT_OUTCOMES:
        names += [f"{outcome}_n", f"{outcome}_sum", f"{outcome}_sumsq"]
    names.append(f"{ANSWERED}_sum")
    columns: dict[str, np.ndarray] = {}
    for name in names:
        integer = name == "n_posts" or name.endswith("_n")
        values = np.zeros(size, dtype=np.int64 if integer else float)
        values[cell] = sums[name].to_numpy(dtype=values.dtype)
        columns[name] = values
    return levels, columns, histograms


def _empty() -> tuple[np.ndarray, np.ndarray]:
    return np.zeros(0, dtype=np.int64), np.zeros(0, dtype=np.int64)


def _check(
    con: Any,
    relation: str,
    sums: pd.DataFrame,
    account_ids: Sequence[str],
    categories: Sequence[str] | None,
) -> None:
    """The in-memory path's input rules, read off the aggregate; offending rows located."""
    known = sums["account_id"].isin(set(account_ids))
    if not known.all():
        listed = ", ".join(parquet.literal(a) for a in account_ids)
        _refuse(
            con,
            relation,
            f"account_id IS NULL OR CAST(account_id AS VARCHAR) NOT IN ({listed})",
            "account_id",
            "an account listed in accounts",
        )
    if sums["category"].isna().any():
        _refuse(con, relation, "category IS NULL", "category", "a value")
    if categories is not None and not sums["category"].isin(list(categories)).all():
        allowed = ", ".join(parquet.literal(c) for c in categories)
        _refuse(
            con,
            relation,
            f"CAST(category AS VARCHAR) NOT IN ({allowed})",
            "category",
            "one of " + ", ".join(categories),
        )
    for name in (*COUNT_OUTCOMES, ANSWERED):
        if sums[f"{name}_negative"].any():
            _refuse(con, relation, f"{parquet.ident(name)} < 0", name, "a count >= 0")
    if sums["over_answered"].any():
        answered, comments = parquet.ident(ANSWERED), parquet.ident("comments")
        file, row, value = _locate(
            con,
            relation,
            f"coalesce({answered}, 0) > coalesce({comments}, 0)",
            ANSWERED,
        )
        raise ModelInputError(
            f"posts ({file}, row {row}), field '{ANSWERED}': expected at most the post's "
            f"comments, found {value}"
        )
