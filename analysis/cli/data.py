"""``python -m analysis data``: bring your own data into a data package.

- ``data init DIR``: copy the project's data package (descriptor, codebook, documented data,
  the synthetic sample, CHANGELOG, simulation.toml) to a new folder DIR, to
  work on outside the repository (then pass ``--data DIR`` to every command).
- ``data add FILE|FOLDER ... --observed --source S --period P --sampling S``: bring in files
  for resources of the codebook (named after them: ``accounts.csv``, ``posts.csv``; a folder's
  such files), validated against the codebook before anything changes; records hash, bytes
  and rows, marks them observed (``collection``) or ``--synthetic``, bumps the package version
  by the rules of CHANGELOG.md and adds a changelog entry.
- ``data stamp NAME ...``: after editing a resource's file in place, validate it and record
  its new hash, bytes and rows (with a version bump and changelog entry).

Every command works on the data folder (``--data DIR`` or ``ANALYSIS_DATA_DIR``; default
data/). Exit 0 when recorded, 1 when the data do not validate (every problem listed, nothing
changed), 2 on a usage error.
"""

from __future__ import annotations

import argparse
import shutil
from pathlib import Path

from analysis import console, paths
from analysis.cli import folders
from analysis.data import datapackage, incoming
from analysis.errors import EXIT_OK, UsageError


def add_arguments(parser: argparse.ArgumentParser) -> None:
    sub = parser.add_subparsers(dest="action", metavar="action", required=True)
    init = sub.add_parser("init", help="copy the project's data package to a new folder")
    init.add_argument("folder", type=Path, help="new folder (must not exist or be empty)")

    add = sub.add_parser("add", help="bring in resource files, validated and recorded")
    add.add_argument("files", type=Path, nargs="+", help="CSV files or folders of them")
    kind = add.add_mutually_exclusive_group(required=True)
    kind.add_argument("--observed", action="store_true", help="the files are observations")
    kind.add_argument("--synthetic", action="store_true", help="the files are simulated")
    add.add_argument("--source", default="", help="who collected the data, and how (observed)")
    add.add_argument("--period", default="", help="collection dates, e.g. 2016-01-01 to 2016-12-31")
    add.add_argument("--sampling", default="", help="how accounts were chosen (observed)")
    add.add_argument(
        "--licence", default="", help="licence name of the data (default: source terms)"
    )
    add.add_argument("--as", dest="alias", help="resource name of a single file not named after it")
    _common(add)

    stamp = sub.add_parser("stamp", help="record the new hash of resources edited in place")
    stamp.add_argument("names", nargs="+", help="resource names")
    _common(stamp)


def _common(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--bump", choices=incoming.BUMPS, help="override the semver step")
    parser.add_argument("--note", default="", help="a sentence for the changelog entry")


def run(args: argparse.Namespace) -> int:
    if args.action == "init":
        return _init(args.folder)
    note = incoming.one_line("--note", args.note)
    if note:
        raise UsageError(note)
    if args.action == "add":
        declared = incoming.Declared(
            args.observed, args.source, args.period, args.sampling, args.licence
        )
        missing = declared.problems()
        if missing:
            raise UsageError("; ".join(missing))
        descriptor = datapackage.read_descriptor()
        files = incoming.collect(args.files, descriptor, args.alias)
        outcome = incoming.add(files, declared, bump=args.bump, note=args.note)
    else:
        outcome = incoming.stamp(args.names, bump=args.bump, note=args.note)
    rows = [
        (c.name, c.kind, c.path, f"{c.rows:,}", f"{c.bytes:,}", c.hash[:19])
        for c in outcome.changes
    ]
    console.console.print(
        console.table(
            f"Recorded in {paths.datapackage}",
            ["resource", "kind", "file", "rows", "bytes", "sha256"],
            rows,
        )
    )
    for path in outcome.kept:
        console.console.print(
            f"kept {path} (no longer listed in the descriptor; not deleted)",
            soft_wrap=True,
            markup=False,
        )
    if any(c.kind == "observed" for c in outcome.changes):
        console.console.print(
            "observed data have no generator entry: `simulate --check` now skips them"
        )
    console.summary(
        f"data {args.action}",
        True,
        f"{len(outcome.changes)} resource(s) recorded; version {outcome.old_version} -> "
        f"{outcome.new_version} ({outcome.bump}); changelog entry added",
    )
    return EXIT_OK


def _init(folder: Path) -> int:
    """Copy the current data package (every listed file and its companions) to ``folder``."""
    target = folders.output_folder(folder, "data init")
    if target.exists() and any(target.iterdir()):
        raise UsageError(f"data init {folder}: expected a new or empty folder, found files in it")
    descriptor = datapackage.read_descriptor()
    copied = 0
    for entry in descriptor.get("resources", []):
        source = datapackage.resource_path(entry)
        if source.is_file():
            destination = target / entry["path"]
            destination.parent.mkdir(parents=True, exist_ok=True)
            shutil.copyfile(source, destination)
            copied += 1
    for name in ("datapackage.json", "CHANGELOG.md", "simulation.toml"):
        if (paths.data / name).is_file():
            shutil.copyfile(paths.data / name, target / name)
    # references.bib stays in the repository (the loader falls back to it): the bibliography is
    # the book's, not data, and the artifact cache only lets analyses read the data files.
    console.summary(
        "data init",
        True,
        f"copied {copied} resources and the descriptor to {target}; "
        f"use it with `python -m analysis --data {target} <command>`",
    )
    return EXIT_OK
