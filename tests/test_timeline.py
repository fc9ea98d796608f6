"""Timeline: date precision, the mandate gap, the first-microblog dispute, the book's tables."""

from __future__ import annotations

import csv
import json
from datetime import date

import pandas as pd
import pytest

from analysis import paths
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
    # 1 Feb 2010 to 27 Sep 2011: 365 + 212 (Feb to Aug 2011) + 26 = 603 days; from the
    # month's last day (28 Feb 2010) 27 fewer, 576; a month is 365.25 / 12 = 30.4375 days
    assert gap["gap_days"] == 603
    assert gap["gap_months"] == pytest.approx(19.8111, abs=1e-4)
    assert gap["gap_months_low"] == pytest.approx(18.9240, abs=1e-4)
    assert gap["trial_months_stated"] == 18
    assert gap["gap_minus_trial_months"] == pytest.approx(1.8111, abs=1e-4)
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


def _milestone_rows() -> list[dict[str, str]]:
    path = paths.data / "documented" / "milestones.csv"
    with path.open(encoding="utf-8") as handle:
        return list(csv.DictReader(handle))


def test_values_on_the_documented_data_match_the_csv():
    """Mandate, first local police microblogs and the gap, read off milestones.csv with plain
    Python and dated with the standard library."""
    rows = _milestone_rows()
    launch = [
        r
        for r in rows
        if r["admin_level"] == "national"
        and r["actor_type"] == "police"
        and "announces the national launch" in r["event"].lower()
    ]
    assert len(launch) == 1
    mandate = date.fromisoformat(launch[0]["date"])
    local = [
        r
        for r in rows
        if r["admin_level"] in ("provincial", "prefecture", "county")
        and r["actor_type"] == "police"
        and r["platform"] == "weibo"
        and r["certainty"] != "uncertain"
    ]
    first = min(date.fromisoformat(r["date"]) for r in local)
    same_month = {r["place"] for r in local if r["date"].startswith(first.isoformat()[:7])}
    values = timeline.timeline_values()
    json.dumps(values, allow_nan=False)
    assert values["mandate_date"] == mandate.isoformat()
    assert values["first_local_date"] == first.isoformat()
    assert values["first_local_places"] == sorted(same_month)
    assert values["gap_days"] == (mandate - first).days
    assert values["gap_years"] == pytest.approx((mandate - first).days / 365.25, rel=1e-12)
    assert values["milestones"] == len(rows)
    assert set(values["first_microblog_candidates"]) == {
        r["place"] for r in rows if r["conflict_group"] == "first-police-microblog"
    }


def test_milestones_table_is_in_date_order():
    rows = sorted(_milestone_rows(), key=lambda r: (r["date"], r["milestone_id"]))
    table = timeline.milestones_table()
    assert table["Event"].tolist() == [r["event"] for r in rows]
    dispute = timeline.dispute_table()
    assert dispute.columns[0] == "Source" and len(dispute.columns) >= 3
