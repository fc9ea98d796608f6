"""The timeline of police social media: dated milestones, the disputed first account, the gap
between local innovation and the national mandate.

Reads the documented ``milestones`` resource. Seed 001 (Mattis) describes the Ministry's
national launch of 27 September 2011 as Beijing "leveraging local-level government innovation"
after an 18-month sub-national trial; seed 004 describes Ji'nan's earlier online channels.
This module measures how long local accounts preceded the mandate, and lays out what each
source says about which city opened the first police microblog (Zhaoqing or Foshan).
"""

from __future__ import annotations

import re
from typing import Any

import pandas as pd

from analysis.errors import ModelInputError
from analysis.topics.inputs import require_columns

MILESTONE_COLUMNS = (
    "milestone_id",
    "date",
    "date_precision",
    "event",
    "place",
    "admin_level",
    "platform",
    "actor_type",
    "certainty",
    "conflict_group",
    "source",
)
FIRST_MICROBLOG_GROUP = "first-police-microblog"
MANDATE_PATTERN = r"announces the national launch"  # the Ministry's launch (seed 001)
TRIAL_PATTERN = r"(\d+)-month (?:sub-national )?trial"
LOCAL_LEVELS = ("provincial", "prefecture", "county")
DAYS_PER_MONTH = 365.25 / 12
PLATFORM_LABELS = {
    "weibo": "Weibo / microblog",
    "wechat": "WeChat",
    "website": "website",
    "forum": "forum",
    "qq": "QQ groups",
    "blog": "blog",
    "multiple": "several",
    "other": "other",
}


def date_text(date: pd.Timestamp, precision: str) -> str:
    """A date written only as precisely as its source gives it (2008, Jul 2008, 25 Feb 2010)."""
    date = pd.Timestamp(date)
    if precision == "year":
        return f"{date.year}"
    if precision == "month":
        return f"{date:%b} {date.year}"
    return f"{date.day} {date:%b} {date.year}"


def _period_end(date: pd.Timestamp, precision: str) -> pd.Timestamp:
    """The last day a date of the given precision can mean (end of its month or year)."""
    date = pd.Timestamp(date)
    if precision == "year":
        return pd.Timestamp(year=date.year, month=12, day=31)
    if precision == "month":
        return date + pd.offsets.MonthEnd(0)
    return date


def ordered(milestones: pd.DataFrame) -> pd.DataFrame:
    """Milestones sorted by date (then identifier), the order the book tells them in."""
    require_columns(milestones, MILESTONE_COLUMNS, "timeline: milestones")
    return milestones.sort_values(["date", "milestone_id"]).reset_index(drop=True)


def mandate(milestones: pd.DataFrame) -> pd.Series:
    """The national launch of police microblogging (the top-down mandate)."""
    require_columns(milestones, MILESTONE_COLUMNS, "timeline: milestones")
    hits = milestones.loc[
        (milestones["admin_level"] == "national")
        & (milestones["actor_type"] == "police")
        & milestones["event"].str.contains(MANDATE_PATTERN, case=False, regex=True)
    ]
    if len(hits) != 1:
        raise ModelInputError(
            f"timeline: expected exactly one national police milestone whose event mentions "
            f"'{MANDATE_PATTERN}', found {len(hits)}"
        )
    return hits.iloc[0]


def first_local_accounts(milestones: pd.DataFrame) -> pd.DataFrame:
    """The earliest local police microblogs that the sources date without doubt about the year
    (rows marked uncertain are left out; disputed rows, competing claims, are kept)."""
    require_columns(milestones, MILESTONE_COLUMNS, "timeline: milestones")
    local = milestones.loc[
        milestones["admin_level"].isin(LOCAL_LEVELS)
        & (milestones["actor_type"] == "police")
        & (milestones["platform"] == "weibo")
        & (milestones["certainty"] != "uncertain")
    ]
    if local.empty:
        raise ModelInputError(
            "timeline: expected at least one dated local police microblog milestone, found none"
        )
    first = local["date"].min()
    same_month = local.loc[
        (local["date"].dt.year == first.year) & (local["date"].dt.month == first.month)
    ]
    return same_month.sort_values(["date", "milestone_id"]).reset_index(drop=True)


def _months_words(low: float, high: float) -> str:
    """A span in whole months, as a range where the first date is known only to the month."""
    low_text, high_text = f"{low:.0f}", f"{high:.0f}"
    return f"{high_text} months" if low_text == high_text else f"{low_text} to {high_text} months"


def mandate_gap(milestones: pd.DataFrame) -> dict[str, Any]:
    """How long local police microblogs preceded the national mandate, and the trial it cites."""
    launch = mandate(milestones)
    first = first_local_accounts(milestones)
    earliest = first.iloc[0]
    days = int((launch["date"] - earliest["date"]).days)
    latest_start = _period_end(earliest["date"], str(earliest["date_precision"]))
    days_low = int((launch["date"] - latest_start).days)
    trial = re.search(TRIAL_PATTERN, str(launch["event"]))
    local_before = milestones.loc[
        milestones["admin_level"].isin(LOCAL_LEVELS)
        & (milestones["actor_type"] == "police")
        & (milestones["date"] < launch["date"])
    ]
    earliest_any = ordered(
        milestones.loc[
            milestones["admin_level"].isin(LOCAL_LEVELS) & (milestones["actor_type"] == "police")
        ]
    ).iloc[0]
    out: dict[str, Any] = {
        "mandate_date": launch["date"].strftime("%Y-%m-%d"),
        "mandate_text": date_text(launch["date"], str(launch["date_precision"])),
        "mandate_year": int(launch["date"].year),
        "first_local_date": earliest["date"].strftime("%Y-%m-%d"),
        "first_local_text": date_text(earliest["date"], str(earliest["date_precision"])),
        "first_local_year": int(earliest["date"].year),
        "first_local_places": sorted(set(first["place"].astype(str))),
        "first_local_disputed": "yes" if (first["certainty"] == "disputed").any() else "no",
        "gap_days": days,
        "gap_months": days / DAYS_PER_MONTH,
        "gap_years": days / 365.25,
        "gap_months_low": days_low / DAYS_PER_MONTH,
        "gap_months_words": _months_words(days_low / DAYS_PER_MONTH, days / DAYS_PER_MONTH),
        "local_police_milestones_before_mandate": len(local_before),
        "earliest_local_police_channel": str(earliest_any["event"]),
        "earliest_local_police_channel_text": date_text(
            earliest_any["date"], str(earliest_any["date_precision"])
        ),
        "earliest_local_police_channel_place": str(earliest_any["place"]),
        "years_from_earliest_local_channel_to_mandate": (
            (launch["date"] - earliest_any["date"]).days / 365.25
        ),
    }
    if trial:
        months = int(trial.group(1))
        out["trial_months_stated"] = months
        out["gap_minus_trial_months"] = out["gap_months"] - months
    return out


def dispute(milestones: pd.DataFrame, group: str = FIRST_MICROBLOG_GROUP) -> pd.DataFrame:
    """What each source says in a conflict group: one row per source, the places it credits."""
    require_columns(milestones, MILESTONE_COLUMNS, "timeline: milestones")
    rows = milestones.loc[milestones["conflict_group"] == group]
    if rows.empty:
        raise ModelInputError(f"timeline: no milestones in conflict group {group!r}")
    claims: dict[str, list[str]] = {}
    for row in rows.sort_values(["date", "milestone_id"]).itertuples():
        for key in str(row.source).split(";"):
            claims.setdefault(key.strip(), []).append(str(row.place))
    places = list(dict.fromkeys(rows.sort_values("date")["place"].astype(str)))
    out = []
    for source, named in claims.items():
        record: dict[str, Any] = {"source": source}
        for place in places:
            record[place] = "yes" if place in named else ""
        record["credits"] = " and ".join(named)
        out.append(record)
    frame = pd.DataFrame(out)
    frame["shared"] = frame[places].ne("").sum(axis=1) > 1
    return frame.sort_values(["shared", "source"]).reset_index(drop=True)


SAFE_BEIJING_PATTERN = r"Safe Beijing"  # seed 004's 1 August opening of Beijing's accounts
SAFE_BEIJING_SOURCE = "yin2010jinan"  # seed 004 itself: never its own corroboration
ANNOUNCEMENT_WINDOW = pd.Timedelta(weeks=8)  # an announcement or test run ahead of an opening
OPENING_PATTERN = r"\bopen|\bannounce|\blaunch"  # an opening, not later activity
RANKING_PATTERN = r"\brank"  # milestones recording a published ranking
NANJING_PATTERN = r"Nanjing"
NANJING_SOURCE = "seed002micropolicing"


def _sources(rows: pd.DataFrame) -> list[str]:
    return sorted({k.strip() for cell in rows["source"].astype(str) for k in cell.split(";")})


def safe_beijing_corroboration(milestones: pd.DataFrame) -> dict[str, Any]:
    """Sources other than seed 004 that date a Beijing police microblog: those whose own date is
    documented agree with seed 004 within the eight weeks up to its 1 August opening and
    disagree at any other date; those whose own date is uncertain are listed apart."""
    require_columns(milestones, MILESTONE_COLUMNS, "timeline: milestones")
    stated = milestones.loc[
        milestones["event"].str.contains(SAFE_BEIJING_PATTERN, regex=True)
        & milestones["source"].str.contains(SAFE_BEIJING_SOURCE, regex=False)
    ]
    if len(stated) != 1:
        raise ModelInputError(
            f"timeline: expected one milestone from {SAFE_BEIJING_SOURCE} whose event mentions "
            f"'{SAFE_BEIJING_PATTERN}', found {len(stated)}"
        )
    opening = stated["date"].iloc[0]
    others = milestones.loc[
        (milestones["place"] == "Beijing")
        & (milestones["actor_type"] == "police")
        & milestones["platform"].isin(["weibo", "blog", "multiple"])
        & ~milestones["source"].str.contains(SAFE_BEIJING_SOURCE, regex=False)
        & milestones["event"].str.contains(OPENING_PATTERN, case=False, regex=True)
    ]
    inside = others["date"].between(opening - ANNOUNCEMENT_WINDOW, opening)
    # A source whose own date is uncertain cannot place the event in or out of the window (the
    # Beijing News page is dated only by its web address, and a mirror shows another date), and
    # seed 004's year is inferred from these same events: such a source is listed apart.
    dated = (others["certainty"] == "documented").to_numpy()
    return {
        "safe_beijing_date": opening.strftime("%Y-%m-%d"),
        "beijing_launch_sources_agree": _sources(others.loc[inside & dated]),
        "beijing_launch_sources_disagree": _sources(others.loc[~inside & dated]),
        "beijing_launch_sources_date_uncertain": _sources(others.loc[~dated]),
        "beijing_launch_corroborating_uncertain": (
            "yes" if (others.loc[inside, "certainty"] != "documented").any() else "no"
        ),
    }


def nanjing_rankings(milestones: pd.DataFrame) -> dict[str, Any]:
    """Published rankings that place Nanjing police accounts, by source (seed 002 left out)."""
    require_columns(milestones, MILESTONE_COLUMNS, "timeline: milestones")
    rows = milestones.loc[
        milestones["place"].str.contains(NANJING_PATTERN, regex=True)
        & (milestones["actor_type"] == "research_body")
        & milestones["event"].str.contains(RANKING_PATTERN, case=False, regex=True)
    ]
    sources = [s for s in _sources(rows) if s != NANJING_SOURCE]
    return {
        "nanjing_ranking_sources": sources,
        "nanjing_ranking_sources_n": len(sources),
        "nanjing_ranking_first_year": int(rows["date"].min().year) if len(rows) else None,
        "nanjing_ranking_last_year": int(rows["date"].max().year) if len(rows) else None,
    }


def _load() -> pd.DataFrame:
    from analysis.data import datasets

    return datasets.load("milestones")


def timeline_values() -> dict[str, Any]:
    """Every timeline number the chapter and the findings registry quote."""
    milestones = _load()
    out = mandate_gap(milestones)
    conflict = dispute(milestones)
    places = [c for c in conflict.columns if c not in ("source", "credits", "shared")]
    for place in places:
        alone = conflict.loc[(conflict[place] != "") & ~conflict["shared"]]
        out[f"sources_crediting_only_{place.lower()}"] = sorted(alone["source"])
    out["sources_crediting_both"] = sorted(conflict.loc[conflict["shared"], "source"])
    out["first_microblog_candidates"] = places
    out |= safe_beijing_corroboration(milestones)
    out |= nanjing_rankings(milestones)
    out["milestones"] = len(milestones)
    out["milestones_uncertain_or_disputed"] = int(
        milestones["certainty"].isin(["uncertain", "disputed"]).sum()
    )
    out["first_milestone_year"] = int(milestones["date"].min().year)
    out["last_milestone_year"] = int(milestones["date"].max().year)
    return out


def milestones_table() -> pd.DataFrame:
    """Table: every milestone in date order, with precision, level, medium and source."""
    rows = ordered(_load())
    table = pd.DataFrame(
        {
            "Date": [
                date_text(d, str(p))
                for d, p in zip(rows["date"], rows["date_precision"], strict=True)
            ],
            "Event": rows["event"],
            "Place": rows["place"],
            "Level": rows["admin_level"].astype(str),
            "Medium": rows["platform"].astype(str).map(PLATFORM_LABELS),
            "Certainty": rows["certainty"].astype(str),
            "Source": rows["source"].str.replace(";", "; "),
        }
    )
    table.attrs["cite"] = ["Source"]  # the milestones' source field: bibliography keys
    table.attrs["note"] = (
        "Dates are given only as precisely as the sources give them. 'Uncertain' marks a year or "
        "date that a source implies but does not state; 'disputed' marks competing claims."
    )
    return table


def dispute_table() -> pd.DataFrame:
    """Table: which city each source names as opening the first police microblog."""
    milestones = _load()
    conflict = dispute(milestones)
    places = [c for c in conflict.columns if c not in ("source", "credits", "shared")]
    table = pd.DataFrame({"Source": conflict["source"]})
    for place in places:
        table[f"Names {place} as first"] = conflict[place].replace("", "-")
    table.attrs["cite"] = ["Source"]  # one key of the milestones' source field per row
    rows = milestones.loc[milestones["conflict_group"] == FIRST_MICROBLOG_GROUP]
    dated = "; ".join(
        f"{place}: {date_text(d, str(p))}"
        for place, d, p in zip(rows["place"], rows["date"], rows["date_precision"], strict=True)
    )
    table.attrs["note"] = (
        "From the milestones marked disputed (conflict group first-police-microblog); "
        f"dates in the data: {dated}. "
        + " ".join(str(n) for n in rows.sort_values("date")["note"].dropna())
    )
    return table
