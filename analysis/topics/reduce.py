"""The one reduction of posts, in DuckDB SQL: every artifact that reads posts starts from it.

Every statistic the book reports about posts (the content mix and its tests, the sample's
description, the engagement, responsiveness, audience and robustness models, their figures) is
a function of small aggregates computed here by SQL over the posts:

- ``cells_sql``: one GROUP BY over (account_id, category) giving per cell the number of posts
  and, per count outcome, the posts where it is observed, its sum and sum of squares (exact
  integer arithmetic: counts are squared as BIGINT, which overflows, loudly, only beyond 3
  billion, and DuckDB sums BIGINT into a 128-bit integer), the answered comments, and what
  shows a row breaking a model input rule (the smallest count, to find negative ones; the
  number of posts with more answers than comments);
- ``histogram_sql``: the frequency table of each outcome's values (the part of the likelihoods,
  and of "the tenth of posts with the most comments", that cells cannot hold);
- ``posted_sql``: the first and last post's time, read off the Parquet footers' statistics
  instead where every row group records them (no scan).

A statistic that needs account-level data (the content tests' permutations across accounts)
reads the per-account rows of the cells, never posts. The posts relation is either the Parquet
parts, streamed out of core (``read_parquet`` of the literal part paths), or a CSV resource's
validated frame (CSV resources are validated in memory, at most ``files.limits`` bytes), so
both formats go through the same SQL and give the same ``Reduced``. The in-memory numpy path
(analysis.topics.modelframe.prepare) stays as the reference the tests compare with and for the
power simulation's generated samples.

The SQL is plain (GROUP BY, FILTER, CAST, coalesce, UNION ALL): only the reader is DuckDB's, so
the same queries run on an engine that spans machines (tests/test_scale.py runs them on SQLite).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
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


def cells_sql(source: str, nonnegative: Sequence[str] = ()) -> str:
    """The cell aggregate over ``source`` (a relation of posts). The smallest value of each
    count is aggregated to find negative ones, except for the ``nonnegative`` fields: those the
    posts were validated against a minimum of at least 0 for (the codebook's constraint)."""
    per_outcome = []
    for outcome in COUNT_OUTCOMES:
        col = parquet.ident(outcome)
        per_outcome += [
            f"count({col}) AS {outcome}_n",
            f"CAST(coalesce(sum({col}), 0) AS DOUBLE) AS {outcome}_sum",
            f"CAST(coalesce(sum(CAST({col} AS BIGINT) * {col}), 0) AS DOUBLE) AS {outcome}_sumsq",
        ]
    smallest = [
        f"min({parquet.ident(name)}) AS {name}_min"
        for name in (*COUNT_OUTCOMES, ANSWERED)
        if name not in nonnegative
    ]
    answered, comments = parquet.ident(ANSWERED), parquet.ident("comments")
    return f"""
        SELECT CAST(account_id AS VARCHAR) AS account_id,
               CAST(category AS VARCHAR) AS category,
               count(*) AS n_posts,
               {", ".join(per_outcome)},
               CAST(coalesce(sum({answered}), 0) AS DOUBLE) AS {ANSWERED}_sum,
               {"".join(f"{m}, " for m in smallest)}
               count(*) FILTER (WHERE coalesce({answered}, 0) > coalesce({comments}, 0))
                   AS over_answered
        FROM {source}
        GROUP BY account_id, category
    """


def posted_sql(source: str) -> str:
    """The first and last ``posted_at`` over ``source``."""
    return f"SELECT min(posted_at), max(posted_at) FROM {source}"


def _posted_range(con: Any, relation: str, files: list[Path]) -> tuple[Any, Any]:
    """(first, last) post time: from the footers' min/max statistics of ``posted_at`` where
    every row group of every part records them, else with ``posted_sql``."""
    import pyarrow.parquet as pq

    lows, highs = [], []
    for file in files:
        meta = pq.ParquetFile(file).metadata
        column = meta.schema.names.index("posted_at")
        for group in range(meta.num_row_groups):
            chunk = meta.row_group(group).column(column)
            stats = chunk.statistics
            if chunk.num_values == 0:
                continue
            if stats is None or not stats.has_min_max:
                return con.execute(posted_sql(relation)).fetchone()
            lows.append(stats.min)
            highs.append(stats.max)
    if not lows:
        return con.execute(posted_sql(relation)).fetchone()
    return min(lows), max(highs)


def histogram_sql(source: str) -> str:
    """Each outcome's distinct observed values and their frequencies over ``source``."""
    parts = [
        f"SELECT '{outcome}' AS outcome, CAST({parquet.ident(outcome)} AS BIGINT) AS value, "
        f"count(*) AS freq FROM {source} WHERE {parquet.ident(outcome)} IS NOT NULL "
        f"GROUP BY {parquet.ident(outcome)}"
        for outcome in COUNT_OUTCOMES
    ]
    return " UNION ALL ".join(parts) + " ORDER BY outcome, value"


@dataclass
class Reduced:
    """Posts reduced to account x category cells and per-outcome frequency tables.

    ``columns`` hold one array of length accounts x levels per statistic (``n_posts`` first),
    indexed by account position (in ``account_ids``) x len(levels) + level.
    """

    account_ids: tuple[str, ...]
    levels: tuple[str, ...]
    columns: dict[str, np.ndarray]
    histograms: dict[str, tuple[np.ndarray, np.ndarray]]
    first_post: pd.Timestamp
    last_post: pd.Timestamp

    def per_account(self, name: str = "n_posts") -> np.ndarray:
        """A statistic as an accounts x levels matrix."""
        return self.columns[name].reshape(len(self.account_ids), len(self.levels))

    def tally(self) -> pd.DataFrame:
        """Posts per account and category (non-empty cells only): ``account_id``, ``category``
        (categorical, in level order) and ``posts``."""
        n_posts = self.columns["n_posts"]
        keep = np.flatnonzero(n_posts > 0)
        n_levels = len(self.levels)
        return pd.DataFrame(
            {
                "account_id": np.asarray(self.account_ids, dtype=object)[keep // n_levels],
                "category": pd.Categorical.from_codes(keep % n_levels, list(self.levels)),
                "posts": n_posts[keep],
            }
        )


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
    source: Path | pd.DataFrame,
    account_ids: Sequence[str],
    *,
    categories: Sequence[str] | None = None,
    temp_dir: Path | None = None,
    label: str = "posts",
    nonnegative: Sequence[str] = (),
) -> Reduced:
    """The posts reduced in DuckDB: ``source`` is a Parquet file or folder of parts (streamed
    out of core) or a frame of posts (a validated CSV resource; ``label`` names its file).

    ``categories`` fixes the category levels and their order (the codebook's enum); by default
    the sorted distinct values, as the in-memory path does for non-categorical text.
    ``nonnegative`` names the counts validation has already held to a minimum of 0
    (``nonnegative_fields``): the reduction does not look for negative values there again.
    """
    con = parquet.connect(temp_dir)
    try:
        files = [] if isinstance(source, pd.DataFrame) else parquet.parts(source)
        if isinstance(source, pd.DataFrame):
            rows = np.arange(len(source), dtype=np.int64)
            con.register("posts_frame", source.assign(file_row_number=rows))
            located = f"(SELECT *, {parquet.literal(label)} AS filename FROM posts_frame)"
            relation = "posts_frame"
        else:
            # the aggregates read the bare parts; only a refusal locates rows (file, row)
            located = parquet.source_sql(files)
            relation = parquet.source_sql(files, located=False)
        sums = con.execute(cells_sql(relation, nonnegative)).df()
        if sums.empty:
            raise ModelInputError("posts is an empty group: expected at least one row, found 0")
        _check(con, located, sums, account_ids, categories)
        table = con.execute(histogram_sql(relation)).df()
        first, last = _posted_range(con, relation, files)
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
    return Reduced(
        tuple(account_ids),
        levels,
        columns,
        histograms,
        pd.Timestamp(first),
        pd.Timestamp(last),
    )


def package_reduction(base: Path | None = None, temp_dir: Path | None = None) -> Reduced:
    """The posts of a data package reduced, after validation: Parquet posts streamed (never
    loaded), CSV posts from their validated frame; accounts in the accounts file's order."""
    from analysis import paths
    from analysis.data import datapackage, datasets
    from analysis.errors import DataValidationError

    base = base or paths.data
    entry = datapackage.resource(datapackage.read_descriptor(base / "datapackage.json"), "posts")
    account_ids = datasets.load("accounts", base=base)["account_id"].astype(str).tolist()
    spec = next((f for f in entry["schema"]["fields"] if f["name"] == "category"), {})
    categories = spec.get("constraints", {}).get("enum")
    nonnegative = nonnegative_fields(entry)  # both routes below validate against the codebook
    if entry.get("format") == "parquet":
        # the render's validate has usually just checked them: its verdict is reused
        checked = datasets.check("posts", base=base, reuse=True)
        if not checked.ok:
            raise DataValidationError(checked.problems)
        source: Path | pd.DataFrame = datapackage.resource_path(entry, base)
    else:
        source = datasets.load("posts", base=base)
    return statistics(
        source,
        account_ids,
        categories=categories,
        temp_dir=temp_dir,
        label=Path(entry["path"]).name,
        nonnegative=nonnegative,
    )


def nonnegative_fields(entry: dict[str, Any]) -> tuple[str, ...]:
    """The fields of a resource's schema held to a minimum of at least 0: once the resource is
    validated, none of their values is negative."""
    out = []
    for spec in entry.get("schema", {}).get("fields", []):
        minimum = spec.get("constraints", {}).get("minimum")
        if isinstance(minimum, int | float) and not isinstance(minimum, bool) and minimum >= 0:
            out.append(spec["name"])
    return tuple(out)


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
    known = pd.Index(account_ids).get_indexer(sums["account_id"]) >= 0
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
        if f"{name}_min" in sums and (sums[f"{name}_min"] < 0).any():
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
