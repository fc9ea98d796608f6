"""``python -m analysis reproduce``: re-run every analysis from raw data and compare with results/.

The artifact cache is not used for the re-run: every artifact is computed afresh in a
temporary cache folder, so the check exercises the code and the data, not stored results. The
new manifest is written to the results folder (``manifest.new.json``) and compared with the
committed one under the
tolerances documented in ``analysis.pipeline.manifest``. Any number that moved beyond its tolerance,
any number that appeared or disappeared, and any changed verdict is listed with the claims it
touches; the command then exits 1. ``--update`` accepts the re-run as the committed manifest
(and leaves the file untouched when nothing beyond tolerance and no data stamp changed); it
does not need the old manifest to be readable, so it is the remedy for a corrupted one.

It also checks what the book reads: the author's cache (``paths.cache``), at each artifact's
current key, must hold the re-run's numbers within tolerance and the same verdicts, and every
entry there must pass its digest check; an edited ``values.json`` is reported and exits 1.
The fresh manifest goes to the results folder (``paths.results``, configurable for a read-only
checkout); the committed one is read from the checkout.
"""

from __future__ import annotations

import argparse
import json
import tempfile
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from analysis import atomic, console, paths
from analysis.data import files
from analysis.errors import (
    EXIT_CHECK_FAILED,
    EXIT_OK,
    DataValidationError,
    NotAvailable,
    ReproductionError,
)
from analysis.pipeline import manifest, store
from analysis.pipeline.store import registry


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "--update",
        action="store_true",
        help="accept the re-run: write it as the committed manifest",
    )
    parser.add_argument(
        "--manifest",
        type=Path,
        default=None,
        help="the committed manifest to compare with (default: results/manifest.json)",
    )


@dataclass(frozen=True)
class Change:
    """One reported number or verdict that differs between the committed manifest and a re-run."""

    item: str  # "S003-D1 (estimate)" or "diffusion.growth:cagr"
    claims: tuple[str, ...]  # the claims this item belongs to or feeds
    old: Any
    new: Any
    verdict_old: str
    verdict_new: str
    reason: str


@contextmanager
def fresh_cache() -> Iterator[Path]:
    """Point the artifact cache at an empty temporary folder for the duration of a re-run."""
    with tempfile.TemporaryDirectory(prefix="reproduce-cache-") as folder, _cache_at(Path(folder)):
        yield paths.cache


def rebuild() -> dict[str, Any]:
    """Recompute the manifest from the raw data in a fresh cache, with a progress bar."""
    return _rebuild(None)[0]


def _rebuild(author: Path | None) -> tuple[dict[str, Any], list[Change]]:
    """The re-run's manifest and, with an author's cache ``author``, how the tables and figures
    stored there differ from the re-run's (compared while the fresh cache holds its fits)."""
    with fresh_cache(), console.progress() as bar:
        task = bar.add_task("re-running analyses", total=len(manifest.values_artifacts()))
        started: list[str] = []

        def step(name: str) -> None:
            if started:
                bar.advance(task)
            started.append(name)
            bar.update(task, description=f"re-running {name}")

        built = manifest.build(step)
        bar.update(task, completed=len(started))
        shown = check_displays(author) if author is not None else []
    return built, shown


def check_displays(author: Path) -> list[Change]:
    """Every table and figure the book would read from the cache ``author`` (an entry at its
    current key) must be byte for byte the re-run's: a forged ``table.json`` whose digest was
    recomputed in ``entry.json`` passes the digest check but not this one."""
    changes: list[Change] = []
    for name, art in sorted(registry.REGISTRY.items()):
        if art.kind not in ("table", "figure"):
            continue
        with _cache_at(author):
            state, stored = store.peek_bytes(name)
        if state == "damaged":
            changes.append(_damaged(name, stored, {}))
        if state != "stored":
            continue
        try:
            fresh = store.display_bytes(name)
        except NotAvailable:
            fresh = None
        if fresh != stored:
            why = f"cached {store.DISPLAY[art.kind]} differs from the re-run's"
            changes.append(Change(f"cache {name}", (), "-", "-", "-", "-", why))
    return changes


@contextmanager
def _cache_at(folder: Path) -> Iterator[None]:
    original = paths.cache
    paths.cache = folder
    try:
        yield
    finally:
        paths.cache = original


def read_manifest(path: Path) -> dict[str, Any] | None:
    """The committed manifest, None if absent; unreadable JSON is a reproduction error."""
    if not path.exists() and not path.is_symlink():
        return None
    try:
        text = files.read_text(path, str(path))
    except DataValidationError as exc:
        raise ReproductionError(f"cannot read the committed manifest: {exc}") from None
    fix = (
        f"restore it from version control (`git checkout -- {_shown(path)}`) or replace it "
        "with a fresh re-run (`python -m analysis reproduce --update`, which does not read it)"
    )
    try:
        loaded = json.loads(text)
    except json.JSONDecodeError as exc:
        raise ReproductionError(
            f"{path}: committed manifest is not valid JSON ({exc.msg} at line {exc.lineno}); " + fix
        ) from None
    if not isinstance(loaded, dict) or loaded.get("schema") != manifest.SCHEMA:
        found = loaded.get("schema") if isinstance(loaded, dict) else type(loaded).__name__
        raise ReproductionError(
            f"{path}: expected a manifest with schema {manifest.SCHEMA}, found {found}; {fix}"
        )
    return loaded


def _shown(path: Path) -> str:
    """A path relative to the repository when it is inside it."""
    try:
        return str(path.resolve().relative_to(paths.root))
    except ValueError:
        return str(path)


def _differs(old: Any, new: Any, tolerance: manifest.Tolerance) -> bool:
    """True when two stored values differ beyond the tolerance (numbers) or at all (others)."""
    if isinstance(old, int) and isinstance(new, int):  # counts: exact, whatever the artifact
        return old != new
    if _is_number(old) and _is_number(new):
        return not tolerance.close(float(old), float(new))
    if isinstance(old, list) and isinstance(new, list):
        return len(old) != len(new) or any(
            _differs(a, b, tolerance) for a, b in zip(old, new, strict=True)
        )
    if isinstance(old, dict) and isinstance(new, dict):
        return old.keys() != new.keys() or any(_differs(old[k], new[k], tolerance) for k in old)
    return old != new


def _is_number(x: Any) -> bool:
    return isinstance(x, int | float) and not isinstance(x, bool)


_MISSING = "(absent)"


def compare(old: dict[str, Any], new: dict[str, Any]) -> tuple[list[Change], int]:
    """Every change beyond tolerance, and how many numbers differed within tolerance."""
    changes: list[Change] = []
    drift = 0
    feeds = _claims_by_input(old) | _claims_by_input(new)
    old_values, new_values = old.get("values", {}), new.get("values", {})
    for name in sorted(old_values.keys() | new_values.keys()):
        before = old_values.get(name, {}).get("values", {})
        after = new_values.get(name, {}).get("values", {})
        entry = new_values.get(name) or old_values[name]
        tolerance = manifest.TOLERANCES.get(entry.get("tolerance"), manifest.ARITHMETIC)
        for key in sorted(before.keys() | after.keys()):
            a, b = before.get(key, _MISSING), after.get(key, _MISSING)
            claims = feeds.get((name, key), ())
            if _MISSING in (a, b) and a != b:
                reason = "missing from re-run" if b == _MISSING else "new: not in manifest"
                changes.append(Change(f"{name}:{key}", claims, a, b, "-", "-", reason))
            elif _differs(a, b, tolerance):
                why = _why(a, b, tolerance)
                changes.append(Change(f"{name}:{key}", claims, a, b, "-", "-", why))
            elif a != b:
                drift += 1
    old_claims, new_claims = old.get("claims", {}), new.get("claims", {})
    for claim_id in sorted(old_claims.keys() | new_claims.keys()):
        before, after = old_claims.get(claim_id), new_claims.get(claim_id)
        if before is None or after is None:
            reason = "new claim: not in manifest" if before is None else "claim missing from re-run"
            verdict_old = before["verdict"] if before else _MISSING
            verdict_new = after["verdict"] if after else _MISSING
            changes.append(
                Change(claim_id, (claim_id,), "-", "-", verdict_old, verdict_new, reason)
            )
            continue
        tolerance = manifest.TOLERANCES.get(after.get("tolerance"), manifest.ARITHMETIC)
        moved = [
            k
            for k in sorted(before["result"].keys() | after["result"].keys())
            if _differs(
                before["result"].get(k, _MISSING), after["result"].get(k, _MISSING), tolerance
            )
        ]
        drift += sum(
            1
            for k in before["result"].keys() & after["result"].keys()
            if k not in moved and before["result"][k] != after["result"][k]
        )
        verdict_changed = before["verdict"] != after["verdict"]
        if not moved and not verdict_changed:
            continue
        first = moved[0] if moved else None
        more = f" (+{len(moved) - 1} more)" if len(moved) > 1 else ""
        item = f"{claim_id} ({first}){more}" if first else claim_id
        reasons = (["verdict changed"] if verdict_changed else []) + (
            [_why(before["result"].get(first), after["result"].get(first), tolerance)]
            if first
            else []
        )
        changes.append(
            Change(
                item,
                (claim_id,),
                before["result"].get(first, _MISSING) if first else before["summary"],
                after["result"].get(first, _MISSING) if first else after["summary"],
                before["verdict"],
                after["verdict"],
                "; ".join(reasons),
            )
        )
    return changes, drift


def _first(items: list[str], shown: int = 8) -> str:
    """A list for a one-line summary: the first few items and how many more."""
    more = f" and {len(items) - shown} more" if len(items) > shown else ""
    return ", ".join(items[:shown]) + more


def _why(old: Any, new: Any, tolerance: manifest.Tolerance) -> str:
    """Why two stored values count as different."""
    if isinstance(old, int) and isinstance(new, int) and not isinstance(old, bool):
        return "count changed (counts must match exactly)"
    if _is_number(old) and _is_number(new):
        return f"beyond {tolerance.name} tolerance (relative {tolerance.relative:g})"
    return "changed (text, dates and lists must match; numbers in lists within tolerance)"


def _claims_by_input(built: dict[str, Any]) -> dict[tuple[str, str], tuple[str, ...]]:
    """(artifact, key) -> the claims whose evidence reads that value."""
    out: dict[tuple[str, str], list[str]] = {}
    for claim_id, entry in built.get("claims", {}).items():
        for key in entry.get("keys", []):
            out.setdefault((entry.get("artifact"), key), []).append(claim_id)
    return {k: tuple(v) for k, v in out.items()}


def stamp_notes(old: dict[str, Any], new: dict[str, Any]) -> list[str]:
    """What differs in the data and code stamps (information, not a failure by itself)."""
    notes = []
    old_data, new_data = old.get("data", {}), new.get("data", {})
    if old_data.get("version") != new_data.get("version"):
        notes.append(f"data package version {old_data.get('version')} -> {new_data.get('version')}")
    moved = sorted(
        k
        for k in old_data.keys() | new_data.keys()
        if k != "version" and old_data.get(k) != new_data.get(k)
    )
    if moved:
        notes.append("data files changed: " + ", ".join(moved))
    old_code, new_code = old.get("code", {}), new.get("code", {})
    for key in ("analysis_sources", "uv_lock"):
        if old_code.get(key) != new_code.get(key):
            notes.append(f"{key.replace('_', ' ')} changed since the committed manifest")
    return notes


def _show(x: Any) -> str:
    if isinstance(x, float):
        return repr(x)
    text = json.dumps(x, ensure_ascii=False) if isinstance(x, list | dict) else str(x)
    return text if len(text) <= 60 else text[:57] + "..."


# --- the cache the book reads ----------------------------------------------------------


def check_cache(built: dict[str, Any], folder: Path) -> list[Change]:
    """What the book would read from the cache ``folder`` (the entries at the current keys)
    against the re-run: every stored number within its tolerance, every verdict exact. An
    entry that fails its digest is reported too (the book recomputes it rather than serve it,
    but someone or something altered the cache)."""
    changes: list[Change] = []
    feeds = _claims_by_input(built)
    with _cache_at(folder):
        for name, entry in built.get("values", {}).items():
            if name not in registry.REGISTRY:
                continue
            state, stored = store.peek(name)
            tolerance = manifest.TOLERANCES.get(entry.get("tolerance"), manifest.ARITHMETIC)
            if state == "damaged":
                changes.append(_damaged(name, stored, feeds))
            elif state == "stored":
                fresh = entry.get("values", {})
                for key in sorted(stored.keys() | fresh.keys()):
                    a, b = stored.get(key, _MISSING), fresh.get(key, _MISSING)
                    if a != b and (_MISSING in (a, b) or _differs(a, b, tolerance)):
                        claims = feeds.get((name, key), ())
                        why = "cached value differs from the re-run: " + (
                            _why(a, b, tolerance) if _MISSING not in (a, b) else "key set differs"
                        )
                        changes.append(Change(f"cache {name}:{key}", claims, a, b, "-", "-", why))
        for claim_id, claim in built.get("claims", {}).items():
            name = f"{manifest.VERDICT_PREFIX}{claim_id}"
            if name not in registry.REGISTRY:
                continue
            state, stored = store.peek(name)
            if state == "damaged":
                changes.append(_damaged(name, stored, {(name, ""): (claim_id,)}, claim_id))
            elif state == "stored" and stored.get("verdict") != claim["verdict"]:
                changes.append(
                    Change(
                        f"cache {name}",
                        (claim_id,),
                        "-",
                        "-",
                        str(stored.get("verdict")),
                        claim["verdict"],
                        "cached verdict differs from the re-run",
                    )
                )
    return changes


def _damaged(
    name: str, problem: str, feeds: dict[tuple[str, str], tuple[str, ...]], claim: str = ""
) -> Change:
    claims = tuple(sorted({c for (n, _), ids in feeds.items() if n == name for c in ids}))
    return Change(
        f"cache {name}",
        claims or ((claim,) if claim else ()),
        "-",
        "-",
        "-",
        "-",
        f"entry fails its check ({problem}); not served, the book recomputes it",
    )


def _unchanged(committed: dict[str, Any], built: dict[str, Any]) -> bool:
    """Nothing to accept: no number or verdict beyond tolerance and the same data stamps (code
    stamps alone do not rewrite the committed file)."""
    changes, _drift = compare(committed, built)
    return not changes and committed.get("data") == built.get("data")


def _print_changes(changes: list[Change], title: str) -> None:
    if not changes:
        return
    console.console.print(
        console.table(
            title,
            ["claim / number", "claims", "old", "new", "verdict before", "verdict after", "why"],
            [
                (
                    c.item,
                    ", ".join(c.claims) or "-",
                    _show(c.old),
                    _show(c.new),
                    c.verdict_old,
                    c.verdict_new,
                    c.reason,
                )
                for c in changes
            ],
        )
    )


def run(args: argparse.Namespace) -> int:
    """Re-run, write the new manifest, compare, report; exit 1 on any change unless --update."""
    committed_path: Path = args.manifest or getattr(paths, "committed_manifest", paths.manifest)
    results_dir: Path = getattr(paths, "results", committed_path.parent)
    new_path = (
        results_dir / (committed_path.stem + ".new.json")
        if args.manifest is None
        else committed_path.with_name(committed_path.stem + ".new.json")
    )
    # --update writes where results go (--results / ANALYSIS_RESULTS_DIR), never elsewhere
    accepted_path: Path = args.manifest or paths.manifest
    started = time.perf_counter()
    built, shown = _rebuild(paths.cache)
    atomic.write_json(new_path, built)
    elapsed = time.perf_counter() - started
    try:
        committed = read_manifest(committed_path)
    except ReproductionError as exc:
        if not args.update:
            raise
        console.console.print(f"note: replacing the unreadable manifest ({exc})")
        committed = None
    n_values = sum(len(v["values"]) for v in built["values"].values())
    counted = (
        f"{n_values} numbers from {len(built['values'])} artifacts, {len(built['claims'])} claims"
    )
    cached = check_cache(built, paths.cache) + shown

    cache_note = (
        f"; {len(cached)} cache entries disagree with the re-run or fail their digest check: "
        + _first(
            [
                c.item + (" (damaged or edited)" if "check" in c.reason else " (differs)")
                for c in cached
            ]
        )
        + f" (delete them from {paths.cache}, or the whole folder, and they are recomputed)"
        if cached
        else ""
    )

    if committed is None:
        if args.update:
            _print_changes(cached, f"Cache entries that disagree: {paths.cache}")
            atomic.write_json(accepted_path, built)
            new_path.unlink(missing_ok=True)
            console.summary(
                "reproduce",
                not cached,
                f"wrote {accepted_path} ({counted}; {elapsed:.1f} s)" + cache_note,
            )
            return EXIT_CHECK_FAILED if cached else EXIT_OK
        console.summary(
            "reproduce",
            False,
            f"no committed manifest at {committed_path}; create it with "
            "`python -m analysis reproduce --update`",
        )
        return EXIT_CHECK_FAILED

    changes, drift = compare(committed, built)
    for note in stamp_notes(committed, built):
        console.console.print(f"note: {note}")
    _print_changes(
        changes + cached,
        f"Changed beyond tolerance: {committed_path.name} -> {new_path.name}"
        + (f"; cache {paths.cache}" if cached else ""),
    )
    within = f"; {drift} numbers differed within tolerance" if drift else ""
    claims_hit = sorted({cid for c in changes for cid in c.claims})
    if args.update:
        if _unchanged(committed, built):
            new_path.unlink(missing_ok=True)
            console.summary(
                "reproduce",
                not cached,
                f"nothing changed; {committed_path} left as it is ({counted}; {elapsed:.1f} s)"
                + cache_note,
            )
            return EXIT_CHECK_FAILED if cached else EXIT_OK
        atomic.write_json(accepted_path, built)
        new_path.unlink(missing_ok=True)
        accepted = f"accepted {len(changes)} changes" if changes else "accepted new data stamps"
        console.summary(
            "reproduce",
            not cached,
            f"{accepted}; wrote {accepted_path} ({counted}; {elapsed:.1f} s)" + cache_note,
        )
        return EXIT_CHECK_FAILED if cached else EXIT_OK
    if changes or cached:
        named = _first(claims_hit, shown=20) if claims_hit else "none"
        numbers = _first([c.item for c in changes if not c.claims])
        console.summary(
            "reproduce",
            False,
            (
                f"{len(changes)} changes beyond tolerance; claims affected: {named}"
                + (f"; other numbers: {numbers}" if numbers else "")
                if changes
                else f"the re-run matches {committed_path.name}"
            )
            + cache_note
            + f" ({elapsed:.1f} s)."
            + (" Accept deliberate changes with --update." if changes else ""),
        )
        return EXIT_CHECK_FAILED
    new_path.unlink(missing_ok=True)
    console.summary("reproduce", True, f"all reproduced: {counted}{within} ({elapsed:.1f} s)")
    return EXIT_OK
