"""Bad model input gives a ModelInputError naming the problem, never a linear-algebra traceback."""

from __future__ import annotations

import csv
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from analysis.data import datapackage, datasets, simulate
from analysis.errors import ModelInputError, NotAvailable
from analysis.topics import audience, engagement, modelframe, responsiveness


@pytest.fixture(scope="module")
def provinces() -> pd.DataFrame:
    return datasets.load("provinces")


@pytest.fixture(scope="module")
def sample(provinces) -> tuple[pd.DataFrame, pd.DataFrame]:
    """A small generated sample (accounts, posts) that the tests damage copies of."""
    return simulate.generate(seed=99, scale=0.5, provinces=provinces)


def cells_of(posts, accounts, provinces) -> modelframe.Cells:
    return modelframe.prepare(posts, accounts, provinces)


def raises(*fragments: str):
    """pytest.raises(ModelInputError) whose message must contain every fragment."""

    class _Check:
        def __enter__(self):
            self._ctx = pytest.raises(ModelInputError)
            self._info = self._ctx.__enter__()
            return self._info

        def __exit__(self, *exc):
            suppressed = self._ctx.__exit__(*exc)
            message = str(self._info.value)
            for fragment in fragments:
                assert fragment in message, f"{fragment!r} not in {message!r}"
            return suppressed

    return _Check()


def test_the_undamaged_sample_fits(sample, provinces):
    accounts, posts = sample
    cells = cells_of(posts, accounts, provinces)
    for outcome in engagement.OUTCOMES:
        engagement.count_data(cells, outcome)
    responsiveness.binomial_data(cells)


def test_missing_column_is_named(sample, provinces):
    accounts, posts = sample
    with raises("posts", "missing column", "'comments'"):
        cells_of(posts.drop(columns="comments"), accounts, provinces)
    with raises("accounts", "missing column", "'region'"):
        cells_of(posts, accounts.drop(columns="region"), provinces)
    with raises("provinces", "'gdp_per_capita_yuan_2013'"):
        cells_of(posts, accounts, provinces.drop(columns="gdp_per_capita_yuan_2013"))


def test_category_level_without_posts_is_dropped_with_a_note(sample, provinces):
    accounts, posts = sample
    fewer = posts[posts["category"] != "interaction"]
    assert "interaction" in fewer["category"].cat.categories  # the codebook level still exists
    cells = cells_of(fewer, accounts, provinces)
    data = engagement.count_data(cells, "comments")
    assert "category[interaction]" not in data.design.columns
    assert "category[services]" in data.design.columns
    result = engagement.fit_outcome(cells, "comments")
    assert result["notes"] == ["Category: interaction not estimated, no posts there in these data"]
    assert "category[interaction]" not in set(result["irr"]["term"])


def test_constant_factor_is_dropped_and_its_test_is_not_available(sample, provinces):
    accounts, posts = sample
    regions = accounts["region"].cat.categories
    east = accounts.assign(region=pd.Categorical(["east"] * len(accounts), categories=regions))
    cells = cells_of(posts, east, provinces)
    result = engagement.fit_outcome(cells, "comments")
    assert result["dropped"] == ["region"]
    assert result["notes"][0].startswith("Region: not estimated, all posts in these data are east")
    assert not result["irr"]["term"].str.startswith("region").any()
    test = result["regional_test"]
    assert test["wald_df"] == 0 and np.isnan(test["wald_p"]) and np.isnan(test["lr_chi2"])
    assert set(result["predictions"]["region"]) == {"east"}
    assert np.isnan(result["region_range"]["ratio"])
    answers = responsiveness.fit_responsiveness(cells)
    assert answers["notes"][0].startswith("Region: not estimated")
    assert answers["answer_rates"]["region"].tolist() == ["east"]
    assert answers["regional_test"]["wald_df"] == 0


def test_constant_numeric_column_is_dropped_with_a_note(sample, provinces):
    accounts, posts = sample
    same = accounts.copy()
    weibo = same["platform"] == "weibo"
    same.loc[weibo, "followers"] = modelframe.FOLLOWERS_CENTRE  # every log_followers becomes 0
    cells = cells_of(posts, same, provinces)
    data = engagement.count_data(cells, "comments")
    assert "log_followers" not in data.design.columns
    assert data.design.notes == (
        "Followers, per doubling (Weibo): not estimated, the same value (0) in every row of "
        "these data",
    )


def test_empty_group_is_named_and_an_outcome_without_posts_is_not_available(sample, provinces):
    accounts, posts = sample
    weibo_ids = set(accounts.loc[accounts["platform"] == "weibo", "account_id"].astype(str))
    only_weibo = accounts[accounts["account_id"].astype(str).isin(weibo_ids)]
    weibo_posts = posts[posts["account_id"].astype(str).isin(weibo_ids)]
    cells = cells_of(weibo_posts, only_weibo, provinces)
    with raises("Page views (WeChat) model", "empty group"):
        engagement.count_data(cells, "page_views")
    fits = engagement.fit_all(cells)
    assert fits["page_views"] == {
        "outcome": "page_views",
        "label": "Page views (WeChat)",
        "available": False,
        "reason": "no WeChat posts in these data",
    }
    assert fits["comments"]["available"] and "platform" in fits["comments"]["dropped"]
    with pytest.raises(NotAvailable, match="Page views \\(WeChat\\) model: no WeChat posts"):
        engagement.outcome_results(fits, "page_views")
    assert engagement.outcome_results(fits, "comments") is fits["comments"]
    silent = posts.assign(comments=0, comments_answered=0)
    with raises("responsiveness model", "empty group"):
        responsiveness.binomial_data(cells_of(silent, accounts, provinces))
    with raises("posts", "empty group"):
        cells_of(posts.iloc[:0], accounts, provinces)


def test_weibo_bureau_sample_fits_every_model_without_the_missing_terms(sample, provinces):
    """No WeChat, no officer accounts: the models drop platform and account type, say so, and
    estimate the rest exactly as a model specified without those terms would."""
    accounts, posts = sample
    keep = (accounts["platform"] == "weibo") & (accounts["account_type"] == "bureau")
    ids = set(accounts.loc[keep, "account_id"].astype(str))
    cells = cells_of(posts[posts["account_id"].astype(str).isin(ids)], accounts[keep], provinces)

    fits = engagement.fit_all(cells)
    assert list(engagement.available(fits)) == ["comments", "likes", "reposts"]
    comments = fits["comments"]
    assert comments["dropped"] == ["platform", "account_type"]
    assert [n.split(":")[0] for n in comments["notes"]] == ["Platform", "Account type"]
    assert set(comments["predictions"]["account_type"]) == {"bureau"}
    assert comments["regional_test"]["wald_df"] == 3
    explicit = engagement.count_data(
        cells, "comments", factors=("region", "level", "category"), numerics=("log_followers",)
    )
    reference = engagement.fit(explicit)
    irr = comments["irr"].set_index("term")["ratio"]
    np.testing.assert_allclose(
        irr.loc[list(explicit.design.columns[1:])], np.exp(reference.params[1:]), rtol=1e-9
    )

    answers = responsiveness.fit_responsiveness(cells)
    assert answers["dropped"] == ["platform", "account_type"]
    assert len(answers["answer_rates"]) == 4

    people = audience.fit_audience(cells)
    assert people["statistics"]["page_views"] == {
        "available": False,
        "reason": "no WeChat posts in these data",
    }
    assert set(people["ratios"]["outcome"]) == {"followers"}
    assert any(n.startswith("Followers model: Account type") for n in people["notes"])
    assert people["by_region"]["page_views_per_post"].isna().all()


def test_collinear_columns_are_named(sample, provinces):
    accounts, posts = sample
    tied = accounts.copy()
    wechat = (tied["platform"] == "wechat").to_numpy()
    tied["account_type"] = pd.Categorical(
        np.where(wechat, "officer", "bureau"), categories=["bureau", "officer"]
    )
    cells = cells_of(posts, tied, provinces)
    with raises("collinear columns", "'account_type[officer]'", "'platform[wechat]'"):
        engagement.count_data(cells, "comments")


def test_level_with_an_all_zero_outcome_is_named(sample, provinces):
    accounts, posts = sample
    county = set(accounts.loc[accounts["level"] == "county", "account_id"].astype(str))
    quiet = posts.copy()
    mask = quiet["account_id"].astype(str).isin(county).to_numpy()
    quiet.loc[mask, "likes"] = 0
    cells = cells_of(quiet, accounts, provinces)
    with raises("'county'", "'level'", "total of 0"):
        engagement.count_data(cells, "likes")


def test_level_where_no_comment_is_answered_is_named(sample, provinces):
    accounts, posts = sample
    west = set(accounts.loc[accounts["region"] == "west", "account_id"].astype(str))
    unanswered = posts.copy()
    unanswered.loc[unanswered["account_id"].astype(str).isin(west), "comments_answered"] = 0
    cells = cells_of(unanswered, accounts, provinces)
    with raises("'region'", "'west'", "not identified"):
        responsiveness.binomial_data(cells)


def test_row_level_problems_name_file_row_and_field(sample, provinces):
    accounts, posts = sample
    stranger = posts.copy()
    stranger["account_id"] = stranger["account_id"].astype(str)
    stranger.loc[stranger.index[3], "account_id"] = "SYN-A9999"
    with raises("posts, row 4, field 'account_id'", "'SYN-A9999'"):
        cells_of(stranger, accounts, provinces)

    too_many = posts.copy()
    too_many.loc[too_many.index[0], "comments_answered"] = too_many["comments"].iloc[0] + 1
    with raises("posts, row 1, field 'comments_answered'", "at most"):
        cells_of(too_many, accounts, provinces)

    negative = posts.copy()
    negative.loc[negative.index[1], "likes"] = -2
    with raises("posts, row 2, field 'likes'", "found -2"):
        cells_of(negative, accounts, provinces)

    nowhere = accounts.copy()
    nowhere["province_code"] = nowhere["province_code"].astype(str)
    nowhere.loc[nowhere.index[0], "province_code"] = "990000"
    with raises("accounts, row 1, field 'province_code'", "'990000'"):
        cells_of(posts, nowhere, provinces)

    unknown_size = accounts.copy()
    first_weibo = unknown_size.index[unknown_size["platform"] == "weibo"][0]
    unknown_size.loc[first_weibo, "followers"] = pd.NA
    with raises(f"accounts, row {first_weibo + 1}, field 'followers'", "Weibo"):
        cells_of(posts, unknown_size, provinces)


def test_fit_command_reports_bad_input_without_traceback(package_copy: Path, capsys):
    """A schema-valid sample the responsiveness model cannot identify: exit 1, a clear message."""
    from analysis.__main__ import main

    descriptor = datapackage.read_descriptor(package_copy / "datapackage.json")
    entry = datapackage.resource(descriptor, "posts")
    path = datapackage.resource_path(entry, package_copy)
    with path.open(encoding="utf-8", newline="") as handle:
        rows = list(csv.reader(handle))
    column = rows[0].index("comments_answered")
    for row in rows[1:]:
        row[column] = "0"
    with path.open("w", encoding="utf-8", newline="") as handle:
        csv.writer(handle, lineterminator="\n").writerows(rows)
    datapackage.update_resources(
        [datapackage.stamp(entry, package_copy)], package_copy / "datapackage.json"
    )

    assert main(["fit", "--data", str(package_copy)]) == 1
    err = capsys.readouterr().err
    assert "error: responsiveness model" in err and "not identified" in err
    assert "Traceback" not in err and "LinAlgError" not in err
