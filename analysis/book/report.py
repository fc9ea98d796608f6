"""The findings that read as prose, as Markdown: one block per claim, the recommendations, the
recommendations in brief (from the ``findings.report`` artifact, analysis.findings.report).

Every text from the registry or the data goes through the book's one escaping policy
(``analysis.escape.inline``); citations are emitted as ``[@key]`` from keys checked
against the bibliography-key pattern, and sections as ``@sec-...`` cross-references, so Quarto
resolves both and nothing else in the text can act as markup.
"""

from __future__ import annotations

import re
from typing import Any

from analysis.book import Text, escape
from analysis.book.tables import citation as cite
from analysis.book.tables import cited
from analysis.pipeline import store

ARTIFACT = "findings.report"
_SECTION = re.compile(r"sec-[A-Za-z0-9_-]+")


def _ref(section: str) -> str:
    return f"@{section}" if _SECTION.fullmatch(section or "") else ""


def _join(*parts: str) -> str:
    return " ".join(p for p in parts if p)


def claim_block(block: dict[str, Any]) -> str:
    """One claim as a paragraph and a list: verdict, evidence, test, result or needs, place."""
    e = escape.inline
    lines = [
        _join(
            f"**{e(block['id'])}** ({e(block['kind'])}).", e(block["claim"]), cite(block["sources"])
        )
        + "\n",
        f"- *Verdict:* {e(block['verdict'])}",
        f"- *Evidence:* {e(block['evidence'])}",
        f"- *Test:* {e(block['test'])}",
    ]
    if block["result"]:
        # a rule's result names its sources by key, as the registry table's result column does
        lines.append(f"- *Result:* {cited(block['result'], e)}")
    if block["needs"]:
        lines.append(f"- *What data could test it:* {e(block['needs'])}")
    if block["caveat"]:
        lines.append(f"- *Caveat:* {e(block['caveat'])}")
    if _ref(block["section"]):
        lines.append(f"- *Discussed in:* {_ref(block['section'])}")
    return "\n".join(lines) + "\n"


def claims_markdown(blocks: list[dict[str, Any]]) -> str:
    """Every claim block, under one heading per seed."""
    out: list[str] = []
    seen: set[str] = set()
    for block in blocks:
        if block["seed"] not in seen:
            seen.add(block["seed"])
            title = escape.inline(block["seed_title"])
            out.append(f"## Seed {escape.inline(block['seed'])}: {title} {{.unnumbered}}\n")
        out.append(claim_block(block))
    return "\n".join(out)


def recommendation_markdown(entry: dict[str, Any]) -> str:
    """One recommendation with its five parts."""
    e = escape.inline
    problem = _join(e(entry["problem"]), cite(entry["problem_sources"]))
    if entry["synthetic_only"]:
        problem += (
            " The synthetic sample's verdict on "
            + ", ".join(e(c) for c in entry["synthetic_only"])
            + " only illustrates how the problem would be measured and does not count."
        )
    since = "; ".join(
        _join(f"{e(m['date'])}: {e(m['event'])}", cite(m["sources"])) for m in entry["since"]
    )
    since = (since + ". " if since else "") + e(entry["since_text"])
    reasons = "; ".join(_join(e(r["text"]), cite(r["sources"])) for r in entry["priority_reasons"])
    priority = f"**{e(entry['priority'])}**: {e(entry['priority_meaning'])}"
    priority += f" ({reasons})" if reasons else ""
    return "\n".join(
        [
            f"#### {e(entry['title'])} ({e(entry['id'])}) {{.unnumbered}}\n",
            f"- *What it asks:* {_join(e(entry['asks']), cite(entry['asks_sources']))}",
            f"- *The problem it answers:* {problem}",
            f"- *What has happened (documented milestones):* {since}",
            f"- *How one would know it worked:* {e(entry['indicator'])}",
            f"- *Priority:* {priority}",
            "",
        ]
    )


def brief_markdown(entries: list[dict[str, Any]]) -> str:
    """The recommendations as a list grouped by priority, strongest evidence first."""
    out = []
    for priority in dict.fromkeys(x["priority"] for x in sorted(entries, key=_rank)):
        mine = [x for x in entries if x["priority"] == priority]
        names = "; ".join(
            f"{escape.inline(x['title'].lower())} ({escape.inline(x['id'])})" for x in mine
        )
        label = escape.inline(priority.capitalize())
        out.append(f"- **{label}** ({escape.inline(mine[0]['priority_meaning'])}): {names}.")
    return "\n".join(out) + "\n"


def _rank(entry: dict[str, Any]) -> int:
    order = ("first", "second", "third")
    return order.index(entry["priority"]) if entry["priority"] in order else len(order)


def claims() -> Text:
    """Every claim of the registry, one block each (the findings appendix)."""
    return Text(claims_markdown(store.values(ARTIFACT)["claims"]))


def recommendations(seed: str) -> Text:
    """One seed's recommendations with their five parts, in the seed's order (chapter 9)."""
    entries = [x for x in store.values(ARTIFACT)["recommendations"] if x["seed"] == seed]
    return Text("\n".join(recommendation_markdown(x) for x in entries))


def brief() -> Text:
    """The recommendations in brief, grouped by priority (the executive summary)."""
    return Text(brief_markdown(store.values(ARTIFACT)["recommendations"]))
