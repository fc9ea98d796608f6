"""What kind of data a result rests on, said to the reader from the descriptor, never typed.

A resource entry in ``data/datapackage.json`` says ``"synthetic": true`` (simulated: the
bundled engagement sample) or false. A non-synthetic engagement sample (observed data a user
brought in) carries ``"collection": {"source", "period", "sampling"}`` describing how it was
collected; documented resources carry a source on every row instead. ``data_note`` turns that
into the callout a chapter shows above results, so "synthetic sample" appears exactly where a
synthetic resource was read. Which kind each resource is comes from
``analysis.data.labels.resource_kind`` through ``analysis.pipeline.store.registry.kinds``, the same
reading the cache key, captions, the manifest and the verdicts use.
"""

from __future__ import annotations

from typing import Any

from analysis.data.labels import SYNTHETIC_NOTE, collection_text
from analysis.pipeline.store import registry


def note_markdown(name: str, descriptor: dict[str, Any], escape) -> str:
    """A callout saying what the data behind ``name`` are (empty for documented data only).

    ``escape`` makes descriptor text inert for Markdown and HTML (the book's one policy).
    """
    found = registry.kinds(name, descriptor)  # the one reading of the descriptor
    entries = {r.get("name"): r for r in descriptor.get("resources", [])}
    synthetic = [r for r, k in found.items() if k == "synthetic"]
    observed = [r for r, k in found.items() if k == "observed"]
    parts = []
    if synthetic:
        parts.append(
            "::: {.callout-warning}\n## Synthetic sample\n\n"
            + escape(SYNTHETIC_NOTE)
            + f" Resources read: {escape(', '.join(synthetic))}.\n:::\n"
        )
    if observed:
        lines = []
        for resource in observed:
            described = collection_text(entries[resource]["collection"], escape)
            lines.append(f"- {escape(resource)}: {described or 'no collection details given'}")
        parts.append(
            "::: {.callout-note}\n## Observed sample\n\nThese results come from observed data "
            "declared in data/datapackage.json:\n\n" + "\n".join(lines) + "\n:::\n"
        )
    return "\n".join(parts)
