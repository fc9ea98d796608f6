"""The documented audience of police accounts: followers and places in published rankings.

Reads the documented ``audience_records`` resource, and ``milestones`` for the date of the
Ministry's national launch and for Ji'nan's channels. Three claims of the seeds meet these
records:

- seed 000's "citizens follow police Weibo accounts" (S000-F3): the followings the sources
  record for single police accounts, leaving out counts from an account's first days;
- seed 001's list of forces the Ministry highlighted besides Foshan (S001-F2): whether
  records dated no later than the launch place each force's accounts in a ranking, or only
  record a following, or say nothing;
- seed 004's channels of the Ji'nan bureau (S004-F1): which sources other than the interview
  record each channel.

The sources are the press and research centres, which name the accounts that stand out: every
number here describes prominent accounts, never a typical one. No record gives the reading or
commenting of police WeChat posts, and none concerns WeChat alone (``wechat_records``).
"""

from __future__ import annotations

from typing import Any

import pandas as pd

from analysis.topics.inputs import require_columns
from analysis.topics.timeline import MILESTONE_COLUMNS, date_text, mandate

RECORD_COLUMNS = (
    "record_id",
    "date",
    "date_precision",
    "platform",
    "account",
    "account_kind",
    "force",
    "level",
    "measure",
    "ranking",
    "value",
    "bound",
    "at_opening",
    "certainty",
    "source",
)
MICROBLOG_PLATFORMS = ("sina", "tencent", "unspecified_microblogs")
SINGLE_ACCOUNT = ("institutional", "officer")
BOUND_WORDS = {"exact": "", "about": "about ", "more_than": "more than ", "at_least": "at least "}
PLATFORM_WORDS = {
    "sina": "Sina Weibo",
    "tencent": "Tencent Weibo",
    "unspecified_microblogs": "microblogs",
    "wechat": "WeChat",
    "weibo_and_wechat": "Weibo and WeChat together",
}

# Seed 001: the forces the Ministry highlighted for their microblog experiments besides Foshan
# (value key: force as the records name it, and as a reader meets it).
HIGHLIGHTED_FORCES = {
    "beijing": ("Beijing", "Beijing"),
    "xiamen": ("Xiamen", "Xiamen"),
    "jinan": ("Jinan", "Ji'nan"),
    "kunming": ("Kunming", "Kunming"),
    "hebei": ("Hebei", "Hebei"),
}
HIGHLIGHT_SOURCE = "mattis2011public"  # seed 001: never its own corroboration
# Seed 004: the Ji'nan bureau's channels besides its website (milestone platform per channel).
JINAN_FORCE, JINAN_PLACE, JINAN_SOURCE = "Jinan", "Jinan", "yin2010jinan"
JINAN_CHANNELS = {"forum": "forum", "qq": "qq", "microblog": "weibo"}
JINAN_CHANNEL_WORDS = {
    "forum": "the forum",
    "qq": "the community-police QQ groups",
    "microblog": "the microblog",
}


def _sources(cells: pd.Series) -> list[str]:
    """The references.bib keys in a column of ';'-separated keys, sorted, each once."""
    return sorted({k.strip() for cell in cells.astype(str) for k in cell.split(";") if k.strip()})


def _and(names: list[str]) -> str:
    if not names:
        return "none"
    return names[0] if len(names) == 1 else ", ".join(names[:-1]) + " and " + names[-1]


def figure_text(row: Any) -> str:
    """A record's figure as the source gives it ("more than 330,000 followers", "rank 2")."""
    if row.measure == "followers":
        return f"{BOUND_WORDS.get(str(row.bound), '')}{int(row.value):,} followers"
    if row.measure == "rank":
        return f"rank {int(row.value)}"
    return "listed, no place given"


def followings(records: pd.DataFrame) -> pd.DataFrame:
    """The followings sources record for single police microblog accounts, without counts from
    an account's first days and without disputed rows; figures as printed ("more than N" is
    read as N, which can only understate a following)."""
    require_columns(records, RECORD_COLUMNS, "reach: audience_records")
    return records.loc[
        (records["measure"] == "followers")
        & records["account_kind"].isin(SINGLE_ACCOUNT)
        & records["platform"].isin(MICROBLOG_PLATFORMS)
        & ~records["at_opening"].astype(bool)
        & (records["certainty"] != "disputed")
    ].sort_values(["value", "record_id"])


def following_values(records: pd.DataFrame) -> dict[str, Any]:
    """Seed 000's "they follow police Weibo accounts": how many single-account followings the
    sources record and their range, the count at an account's opening, and the followers of
    police accounts added up nationally."""
    found = followings(records)
    out: dict[str, Any] = {
        "following_records": len(found),
        "following_sources": _sources(found["source"]),
    }
    if len(found):
        for end, row in (("smallest", found.iloc[0]), ("largest", found.iloc[-1])):
            out[f"following_{end}"] = int(row["value"])
            out[f"following_{end}_words"] = figure_text(row)
            out[f"following_{end}_account"] = str(row["account"])
            out[f"following_{end}_date"] = date_text(row["date"], str(row["date_precision"]))
    opening = records.loc[(records["measure"] == "followers") & records["at_opening"].astype(bool)]
    out["opening_records"] = len(opening)
    if len(opening):
        row = opening.sort_values("date").iloc[0]
        out["opening_following"] = int(row["value"])
        out["opening_account"] = str(row["account"])
        out["opening_date"] = date_text(row["date"], str(row["date_precision"]))
    many = records.loc[
        (records["measure"] == "followers") & (records["account_kind"] == "many")
    ].sort_values("date")
    out["police_total_records"] = len(many)
    if len(many):
        for end, row in (("first", many.iloc[0]), ("latest", many.iloc[-1])):
            out[f"police_total_{end}"] = int(row["value"])
            out[f"police_total_{end}_words"] = figure_text(row)
            out[f"police_total_{end}_year"] = int(row["date"].year)
            out[f"police_total_{end}_platform"] = PLATFORM_WORDS[str(row["platform"])]
    out["wechat_records"] = int((records["platform"] == "wechat").sum())
    out["wechat_records_words"] = (
        "none concerns WeChat alone"
        if not out["wechat_records"]
        else f"{out['wechat_records']:,} concern WeChat alone"
    )
    return out


def highlighted_forces(records: pd.DataFrame, launch: pd.Timestamp) -> dict[str, Any]:
    """Seed 001's forces: the sources (other than seed 001) that, no later than the launch,
    place an institutional account of the force in a ranking, or only record its following."""
    require_columns(records, RECORD_COLUMNS, "reach: audience_records")
    then = records.loc[
        (records["date"] <= launch)
        & (records["account_kind"] == "institutional")
        & (records["certainty"] != "disputed")
    ]
    out: dict[str, Any] = {
        "highlighted_forces": [name for _, name in HIGHLIGHTED_FORCES.values()],
        "highlighted_n": len(HIGHLIGHTED_FORCES),
    }
    ranked, following_only, unrecorded = [], [], []
    for key, (force, name) in HIGHLIGHTED_FORCES.items():
        rows = then.loc[then["force"] == force]
        ranking = _sources(rows.loc[rows["measure"].isin(["rank", "listed"]), "source"])
        following = _sources(rows.loc[rows["measure"] == "followers", "source"])
        ranking = [s for s in ranking if s != HIGHLIGHT_SOURCE]
        following = [s for s in following if s != HIGHLIGHT_SOURCE]
        out[f"highlighted_{key}_rankings"] = ranking
        out[f"highlighted_{key}_followings"] = following
        (ranked if ranking else following_only if following else unrecorded).append(name)
    for what, names in (
        ("ranked", ranked),
        ("following_only", following_only),
        ("unrecorded", unrecorded),
    ):
        out[f"highlighted_{what}_n"] = len(names)
        out[f"highlighted_{what}_words"] = _and(names)
    return out


def jinan_channels(records: pd.DataFrame, milestones: pd.DataFrame) -> dict[str, Any]:
    """Seed 004's channels of the Ji'nan bureau: the sources recording each one, from the
    milestones and, for the microblog, from the audience records (the bureau's account or its
    officers' real-name accounts), with the earliest record from a source besides seed 004."""
    require_columns(records, RECORD_COLUMNS, "reach: audience_records")
    require_columns(milestones, MILESTONE_COLUMNS, "reach: milestones")
    jinan = milestones.loc[
        (milestones["place"] == JINAN_PLACE) & (milestones["actor_type"] == "police")
    ]
    out: dict[str, Any] = {}
    for channel, platform in JINAN_CHANNELS.items():
        out[f"jinan_{channel}_sources"] = _sources(
            jinan.loc[jinan["platform"] == platform, "source"]
        )
    accounts = records.loc[
        (records["force"] == JINAN_FORCE)
        & records["account_kind"].isin(SINGLE_ACCOUNT)
        & records["platform"].isin([*MICROBLOG_PLATFORMS, "weibo_and_wechat"])
        & (records["certainty"] != "disputed")
    ]
    out["jinan_microblog_sources"] = sorted(
        set(out["jinan_microblog_sources"]) | set(_sources(accounts["source"]))
    )
    others = accounts.loc[~accounts["source"].str.contains(JINAN_SOURCE, regex=False)]
    out["jinan_microblog_records"] = len(others)
    out["jinan_microblog_independent_n"] = len(
        [s for s in out["jinan_microblog_sources"] if s != JINAN_SOURCE]
    )
    if len(others):
        first = others.sort_values(["date", "record_id"]).iloc[0]
        out["jinan_microblog_first_date"] = date_text(first["date"], str(first["date_precision"]))
        out["jinan_microblog_first_year"] = int(first["date"].year)
    for channel in ("forum", "qq"):
        out[f"jinan_{channel}_independent_n"] = len(
            [s for s in out[f"jinan_{channel}_sources"] if s != JINAN_SOURCE]
        )
    recorded = [c for c in JINAN_CHANNELS if out[f"jinan_{c}_independent_n"]]
    out["jinan_recorded_words"] = _and([JINAN_CHANNEL_WORDS[c] for c in recorded])
    out["jinan_unrecorded_words"] = _and(
        [JINAN_CHANNEL_WORDS[c] for c in JINAN_CHANNELS if c not in recorded]
    )
    return out


def _load(name: str) -> pd.DataFrame:
    from analysis.data import datasets

    return datasets.load(name)


def reach_values() -> dict[str, Any]:
    """Every number about documented audiences that the chapters and the findings quote."""
    records, milestones = _load("audience_records"), _load("milestones")
    launch = mandate(milestones)
    out: dict[str, Any] = {
        "records": len(records),
        "records_uncertain": int((records["certainty"] != "documented").sum()),
        "record_sources": len(_sources(records["source"])),
        "rankings": int(records["ranking"].dropna().nunique()),
        "first_year": int(records["date"].min().year),
        "last_year": int(records["date"].max().year),
        "launch_date": launch["date"].strftime("%Y-%m-%d"),
        "launch_text": date_text(launch["date"], str(launch["date_precision"])),
    }
    out |= following_values(records)
    out |= highlighted_forces(records, launch["date"])
    out |= jinan_channels(records, milestones)
    return out


def records_table() -> pd.DataFrame:
    """Table: every documented audience record in date order, figure and ranking as given."""
    rows = _load("audience_records").sort_values(["date", "record_id"])
    table = pd.DataFrame(
        {
            "Date": [
                date_text(d, str(p))
                for d, p in zip(rows["date"], rows["date_precision"], strict=True)
            ],
            "Account": [
                account + (" (first days)" if opening else "")
                for account, opening in zip(rows["account"], rows["at_opening"], strict=True)
            ],
            "Platform": rows["platform"].astype(str).map(PLATFORM_WORDS),
            "Figure": [figure_text(row) for row in rows.itertuples()],
            "Ranking": rows["ranking"].fillna("-"),
            "Certainty": rows["certainty"].astype(str),
            "Source": rows["source"].str.replace(";", "; "),
        }
    )
    table.attrs["cite"] = ["Source"]  # the records' source field: bibliography keys
    table.attrs["note"] = (
        "Figures as the sources print them; 'at least' can also mark the smallest number a "
        "source's words allow, as for the 'tens of millions' of followers reported at the "
        "national launch. 'First days' marks a count taken when the account had just opened. "
        "Rows that count many accounts together add up their followers, so a "
        "person who follows several accounts counts several times. The sources name accounts "
        "that stand out, so these are prominent accounts, not a sample. 'Uncertain' marks a "
        "date, ranker or measure the source does not state."
    )
    return table
