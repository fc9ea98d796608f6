"""Documented audiences: which records each claim reads, and the claims' parts on the data.

Small frames in the codebook's columns pin what each function counts (first-days counts and
totals over many accounts left out of the followings; rankings after the launch, the seed's own
source and officers' accounts left out of seed 001's forces; the interview left out of Ji'nan's
channels); the last tests read the committed data.
"""

from __future__ import annotations

import pandas as pd
import pytest

from analysis import findings
from analysis.errors import ModelInputError
from analysis.topics import reach

LAUNCH = pd.Timestamp("2011-09-27")


def _records(rows: list[dict]) -> pd.DataFrame:
    """A minimal audience_records frame in the codebook's columns."""
    base = {
        "date_precision": "day",
        "platform": "sina",
        "account": "an account",
        "account_kind": "institutional",
        "force": "Hefei",
        "level": "prefecture",
        "province_code": "340000",
        "measure": "followers",
        "ranking": None,
        "value": 50_000,
        "bound": "exact",
        "at_opening": False,
        "certainty": "documented",
        "note": None,
        "source": "news2011",
    }
    frame = pd.DataFrame([base | {"record_id": f"A{i:03d}"} | row for i, row in enumerate(rows)])
    frame["date"] = pd.to_datetime(frame["date"])
    return frame


def test_followings_leave_out_first_days_totals_wechat_and_disputed_rows():
    records = _records(
        [
            {"date": "2010-02-27", "value": 32, "at_opening": True},
            {"date": "2011-01-15", "value": 33_000, "bound": "more_than"},
            {"date": "2011-01-31", "value": 83_000},
            {"date": "2011-09-27", "value": 10_000_000, "account_kind": "many", "force": None},
            {"date": "2014-01-01", "value": 5, "platform": "wechat"},
            {"date": "2012-01-01", "value": 7, "certainty": "disputed"},
            {"date": "2012-05-30", "measure": "rank", "value": 2, "ranking": "top 10"},
        ]
    )
    values = reach.following_values(records)
    assert values["following_records"] == 2
    assert (values["following_smallest"], values["following_largest"]) == (33_000, 83_000)
    assert values["following_smallest_words"] == "more than 33,000 followers"
    assert values["opening_following"] == 32
    assert values["police_total_first"] == 10_000_000
    assert values["wechat_records"] == 1


def test_a_force_counts_as_ranked_only_before_the_launch_and_not_on_the_seeds_word():
    records = _records(
        [
            {"date": "2011-04-08", "force": "Beijing", "measure": "listed", "value": None,
             "bound": None, "ranking": "leading accounts of 2010", "source": "report2011"},
            {"date": "2011-01-31", "force": "Xiamen", "source": "news2011"},
            {"date": "2012-05-30", "force": "Jinan", "measure": "rank", "value": 2,
             "ranking": "top 10", "source": "later2012"},
            {"date": "2011-04-08", "force": "Kunming", "measure": "rank", "value": 1,
             "ranking": "top 10", "source": "mattis2011public"},
            {"date": "2011-04-08", "force": "Hebei", "account_kind": "officer", "measure": "rank",
             "value": 1, "ranking": "officials", "source": "report2011"},
        ]
    )  # fmt: skip
    values = reach.highlighted_forces(records, LAUNCH)
    assert values["highlighted_beijing_rankings"] == ["report2011"]
    assert values["highlighted_xiamen_rankings"] == []
    assert values["highlighted_xiamen_followings"] == ["news2011"]
    assert values["highlighted_jinan_rankings"] == []  # after the launch
    assert values["highlighted_kunming_rankings"] == []  # the seed's own source
    assert values["highlighted_hebei_rankings"] == []  # an officer's account, not the bureau's
    assert values["highlighted_ranked_words"] == "Beijing"
    assert values["highlighted_following_only_words"] == "Xiamen"
    assert values["highlighted_unrecorded_words"] == "Ji'nan, Kunming and Hebei"
    assert values["highlighted_n"] == 5


def test_jinan_channels_leave_the_interview_out_and_take_officers_accounts_in():
    records = _records(
        [
            {"date": "2011-04-08", "force": "Jinan", "measure": "listed", "value": None,
             "bound": None, "ranking": "leading accounts", "source": "report2011"},
            {"date": "2013-12-31", "force": "Jinan", "account_kind": "officer", "measure": "rank",
             "value": 3, "ranking": "officials", "source": "list2014"},
            {"date": "2012-01-01", "force": "Jinan", "account_kind": "many", "source": "x2012"},
        ]
    )  # fmt: skip
    milestones = pd.DataFrame(
        {
            "milestone_id": ["M1", "M2", "M3"],
            "date": pd.to_datetime(["2010-01-01"] * 3),
            "date_precision": "year",
            "event": ["forum", "QQ groups", "microblog"],
            "place": "Jinan",
            "admin_level": "prefecture",
            "platform": ["forum", "qq", "weibo"],
            "actor_type": "police",
            "certainty": "uncertain",
            "conflict_group": None,
            "source": "yin2010jinan",
        }
    )
    values = reach.jinan_channels(records, milestones)
    assert values["jinan_forum_sources"] == ["yin2010jinan"]
    assert values["jinan_microblog_sources"] == ["list2014", "report2011", "yin2010jinan"]
    assert values["jinan_microblog_independent_n"] == 2
    assert values["jinan_microblog_first_date"] == "8 Apr 2011"
    assert values["jinan_recorded_words"] == "the microblog"
    assert values["jinan_unrecorded_words"] == "the forum and the community-police QQ groups"
    rule = next(c for c in findings.registry() if c.id == "S004-F1").evidence.rule
    assert rule.decide(values)[0] is findings.Verdict.MIXED
    only_interview = values | {"jinan_microblog_sources": ["yin2010jinan"]}
    assert rule.decide(only_interview)[0] is findings.Verdict.NOT_TESTABLE


def test_records_without_the_codebooks_columns_are_refused_by_name():
    with pytest.raises(ModelInputError, match="at_opening"):
        reach.followings(_records([{"date": "2011-01-01"}]).drop(columns="at_opening"))


# --- the committed data -----------------------------------------------------------------------


@pytest.fixture(scope="module")
def values() -> dict:
    return reach.reach_values()


def test_the_wechat_half_of_s000_f3_is_untested_because_no_record_concerns_wechat(values):
    """S000-F3's WeChat half is a NoRecord part: true only while the data hold no WeChat record.
    A documented WeChat figure added to the data fails this test, so the rule gets a real part."""
    assert values["wechat_records"] == 0
    rule = next(c for c in findings.registry() if c.id == "S000-F3").evidence.rule
    assert any(isinstance(part, findings.NoRecord) for _, part in rule.parts)


def test_committed_records_give_each_claim_its_parts(values):
    assert values["following_records"] >= 1
    assert values["following_smallest"] <= values["following_largest"]
    assert values["opening_following"] < values["following_smallest"]
    assert values["launch_date"] == "2011-09-27"
    named = {"beijing", "xiamen", "jinan", "kunming", "hebei"}
    for key in named:
        assert "mattis2011public" not in values[f"highlighted_{key}_rankings"]
    assert values["highlighted_ranked_n"] + values["highlighted_following_only_n"] + values[
        "highlighted_unrecorded_n"
    ] == len(named)


def test_records_table_marks_first_days_and_cites_every_row():
    table = reach.records_table()
    assert len(table) == reach.reach_values()["records"]
    assert table["Account"].str.endswith("(first days)").sum() == 1
    assert table["Source"].str.len().gt(0).all()
    assert "not a sample" in table.attrs["note"]
