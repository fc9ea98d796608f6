"""Timeline: date precision, the mandate gap, the first-microblog dispute, the book's tables."""

from __future__ import annotations

import json

import pandas as pd
import pytest

from analysis.errors import ModelInputError
from analysis.topics import timeline


def _milestones(rows: list[dict]) -> pd.DataFrame:
    base = {
        "date_precision": "day",
        "place": "China",
        "admin_level": "prefecture",
        "platform": "weibo",
        "actor_type": "police",
        "certainty": "documented",
        "conflict_group": None,
        "source": "key",
    }
    frame = pd.DataFrame([base | {"milestone_id": f"M{i:03d}"} | r for i, r in enumerate(rows)])
    frame["date"] = pd.to_datetime(frame["date"])
    return frame


LAUNCH = {
    "date": "2011-09-27",
    "event": "Ministry of Public Security announces the national launch after an 18-month trial.",
    "admin_level": "national",
}


def test_dates_are_written_as_precisely_as_the_source_gives_them():
    day = pd.Timestamp("2010-02-25")
    assert timeline.date_text(day, "day") == "25 Feb 2010"
    assert timeline.date_text(day, "month") == "Feb 2010"
    assert timeline.date_text(day, "year") == "2010"


def test_mandate_gap_counts_from_the_first_dated_local_account():
    frame = _milestones(
        [
            LAUNCH,
            {"date": "2010-02-01", "date_precision": "month", "event": "A opens", "place": "A"},
            {"date": "2010-02-25", "event": "B opens", "place": "B"},
            # an implied year is not evidence of being first
            {
                "date": "2010-01-01",
                "date_precision": "year",
                "event": "C opens",
                "place": "C",
                "certainty": "uncertain",
            },
            {
                "date": "2008-07-01",
                "date_precision": "month",
                "event": "website",
                "platform": "website",
                "place": "D",
            },
        ]
    )
    gap = timeline.mandate_gap(frame)
    assert gap["first_local_date"] == "2010-02-01"
    assert gap["first_local_places"] == ["A", "B"]
    assert gap["gap_days"] == (pd.Timestamp("2011-09-27") - pd.Timestamp("2010-02-01")).days
    end_of_month = (pd.Timestamp("2011-09-27") - pd.Timestamp("2010-02-28")).days
    assert gap["gap_months_low"] == pytest.approx(end_of_month / (365.25 / 12))
    assert gap["trial_months_stated"] == 18
    assert gap["gap_minus_trial_months"] == pytest.approx(gap["gap_months"] - 18)
    assert gap["earliest_local_police_channel_text"] == "Jul 2008"
    assert gap["local_police_milestones_before_mandate"] == 4


def test_mandate_must_be_unique():
    with pytest.raises(ModelInputError, match="found 0"):
        timeline.mandate(_milestones([{"date": "2010-02-01", "event": "A opens"}]))
    with pytest.raises(ModelInputError, match="found 2"):
        timeline.mandate(_milestones([LAUNCH, LAUNCH]))


def test_dispute_lists_what_each_source_says():
    frame = _milestones(
        [
            {
                "date": "2010-02-01",
                "event": "F",
                "place": "Foshan",
                "certainty": "disputed",
                "conflict_group": "first-police-microblog",
                "source": "mps;daily",
            },
            {
                "date": "2010-02-25",
                "event": "Z",
                "place": "Zhaoqing",
                "certainty": "disputed",
                "conflict_group": "first-police-microblog",
                "source": "enorth; daily",
            },
        ]
    )
    table = timeline.dispute(frame).set_index("source")
    assert table.loc["mps", "Foshan"] == "yes" and table.loc["mps", "Zhaoqing"] == ""
    assert table.loc["enorth", "Zhaoqing"] == "yes" and table.loc["enorth", "Foshan"] == ""
    assert bool(table.loc["daily", "shared"])
    assert table.loc["daily", "credits"] == "Foshan and Zhaoqing"
    with pytest.raises(ModelInputError, match="no milestones"):
        timeline.dispute(frame, group="other")


def test_values_on_the_documented_data():
    values = timeline.timeline_values()
    json.dumps(values, allow_nan=False)
    assert values["first_local_year"] < values["mandate_year"]
    assert values["gap_months_low"] <= values["gap_months"]
    assert set(values["first_microblog_candidates"]) == set(values["first_local_places"])
    assert values["sources_crediting_both"] or len(values["first_microblog_candidates"]) == 1


def test_milestones_table_is_in_date_order():
    table = timeline.milestones_table()
    frame = timeline.ordered(timeline._load())
    assert len(table) == len(frame)
    assert frame["date"].is_monotonic_increasing
    assert table["Event"].tolist() == frame["event"].tolist()
    dispute = timeline.dispute_table()
    assert dispute.columns[0] == "Source" and len(dispute.columns) >= 3
