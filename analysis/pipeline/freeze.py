"""``python -m analysis freeze``: frozen chapters follow their data and code, not only their text.

Quarto's ``freeze: auto`` re-executes a chapter only when the chapter's own text changes
(quarto-cli issue 6793), so a data or analysis edit would leave stale numbers in the book. This
command closes the gap around ``quarto render``:

- each chapter's *dependencies* are read from its code: the artifacts it names in
  ``book.value/raw/table/figure/made_by("name", ...)`` calls. A chapter that imports analysis in
  any other way, builds artifact names at run time or reads files itself depends on
  *everything* (every data file, all analysis code);
- its *fingerprint* hashes those artifacts' cache keys (which cover data hashes and schemas,
  analysis source, uv.lock; see analysis/pipeline/store/keys.py), the data package version, the
  reader code (analysis/book/), uv.lock and the Python version. A chapter without code has none;
- ``--invalidate`` (before ``quarto render``) deletes Quarto's frozen result
  ``_freeze/<chapter path without .qmd>/`` of every chapter whose fingerprint differs from the
  one recorded with its frozen result (or has none recorded), so Quarto re-executes exactly
  those; it also computes, in this one process, every artifact the chapters need, so the
  kernels Quarto starts only read the cache;
- ``--record`` (after a successful render) stores the fingerprints of the frozen results in
  ``_freeze/deps.json``, next to what they describe (both stay on the machine that rendered:
  git ignores ``_freeze/``). Only a chapter whose fingerprint is the one ``--invalidate`` saw is
  recorded, so an edit made during the render is caught next time;
- ``--status`` (the default) prints the table without changing anything.

A frozen result re-made outside this cycle (a bare ``quarto render``) no longer matches the
Quarto hash recorded beside its fingerprint and counts as unrecorded, hence stale.
"""

from __future__ import annotations

import argparse
import ast
import functools
import hashlib
import json
import os
import shutil
import sys
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from analysis import atomic, console, paths
from analysis.data import files, labels
from analysis.errors import EXIT_CHECK_FAILED, EXIT_OK, DataValidationError
from analysis.pipeline import qmd, store
from analysis.pipeline.store import keys, registry

RECORD_NAME = "deps.json"
RECORD_FORMAT = 1
# Names of calls that read files: a chapter making them depends on everything.
FILE_READERS = frozenset(
    {
        "open",
        "read_csv",
        "read_table",
        "read_excel",
        "read_json",
        "read_parquet",
        "read_text",
        "read_bytes",
        "loadtxt",
        "genfromtxt",
    }
)
# Book functions that read no artifact (analysis.book.HELPERS, restated: the book layer is above
# this one) and the environment variable the render session sets to the Quarto version, which
# ``rendered_by`` prints.
HELPERS = frozenset({"rendered_by"})
QUARTO_VERSION_ENV = "ANALYSIS_QUARTO_VERSION"
BOOK_NAMES = frozenset({*registry.READERS, *HELPERS, "Text"})


# --- what a chapter depends on ------------------------------------------------------------


@dataclass(frozen=True)
class Usage:
    """The artifacts a chapter reads, or why its dependencies cannot be told."""

    artifacts: tuple[str, ...] = ()
    unknown: str | None = None  # reason: the chapter then depends on everything
    has_code: bool = False
    helpers: tuple[str, ...] = ()  # artifact-free book functions it calls

    def describe(self) -> str:
        if not self.has_code:
            return "nothing (no code)"
        if self.unknown:
            return f"everything: {self.unknown}"
        if not self.artifacts:
            return "no artifacts"
        return f"{len(self.artifacts)} artifact" + ("s" if len(self.artifacts) != 1 else "")


def usage(doc: qmd.Document) -> Usage:
    """Scan a chapter's executable cells and inline expressions for the artifacts it reads."""
    sources = [c.code for c in doc.executable_cells()] + [i.expression for i in doc.inlines]
    if not sources:
        return Usage()
    trees = []
    for source in sources:
        tree = _parse_python(source)
        if tree is None:
            return Usage(unknown="code that does not parse", has_code=True)
        trees.append(tree)
    aliases: set[str] = set()  # names bound to the analysis.book module
    direct: set[str] = set()  # reader functions imported by name
    for tree in trees:
        reason = _imports(tree, aliases, direct)
        if reason:
            return Usage(unknown=reason, has_code=True)
    names: set[str] = set()
    helpers: set[str] = set()
    for tree in trees:
        reason = _reads(tree, aliases, direct, names, helpers)
        if reason:
            return Usage(unknown=reason, has_code=True)
    return Usage(tuple(sorted(names)), None, True, tuple(sorted(helpers)))


def _parse_python(source: str) -> ast.Module | None:
    """The syntax tree of a cell; IPython syntax (magics, !commands) is translated first."""
    try:
        return ast.parse(source)
    except SyntaxError:
        pass
    try:
        from IPython.core.inputtransformer2 import TransformerManager

        return ast.parse(TransformerManager().transform_cell(source))
    except (SyntaxError, ImportError):
        return None


def _imports(tree: ast.Module, aliases: set[str], direct: set[str]) -> str | None:
    """Record how the book module is bound; any other analysis import is a reason."""
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            for alias in node.names:
                if alias.name == "analysis.book" and alias.asname:
                    aliases.add(alias.asname)
                elif alias.name == "analysis" or alias.name.startswith("analysis."):
                    return f"imports {alias.name} (line {node.lineno})"
        elif isinstance(node, ast.ImportFrom):
            module = node.module or ""
            if node.level:
                return f"relative import (line {node.lineno})"
            if module == "analysis":
                for alias in node.names:
                    if alias.name != "book":
                        return f"imports analysis.{alias.name} (line {node.lineno})"
                    aliases.add(alias.asname or "book")
            elif module == "analysis.book":
                for alias in node.names:
                    if alias.name not in BOOK_NAMES:
                        return f"imports analysis.book.{alias.name} (line {node.lineno})"
                    if alias.name in registry.READERS or alias.name in HELPERS:
                        direct.add(alias.asname or alias.name)
            elif module.startswith("analysis."):
                return f"imports {module}.{node.names[0].name} (line {node.lineno})"
    return None


def _reads(
    tree: ast.Module, aliases: set[str], direct: set[str], names: set[str], helpers: set[str]
) -> str | None:
    """Collect artifact names from reader calls; anything the scan cannot follow is a reason."""
    calls: set[int] = set()  # ids of the function nodes of recognised reader calls
    for node in ast.walk(tree):
        if not isinstance(node, ast.Call):
            continue
        func = node.func
        helper = (
            isinstance(func, ast.Attribute)
            and isinstance(func.value, ast.Name)
            and func.value.id in aliases
            and func.attr in HELPERS
        ) or (isinstance(func, ast.Name) and func.id in direct and func.id in HELPERS)
        if helper:
            calls.add(id(func))
            helpers.add(func.attr if isinstance(func, ast.Attribute) else func.id)
            continue
        reader = (
            isinstance(func, ast.Attribute)
            and isinstance(func.value, ast.Name)
            and func.value.id in aliases
            and func.attr in registry.READERS
        ) or (isinstance(func, ast.Name) and func.id in direct)
        called = func.attr if isinstance(func, ast.Attribute) else getattr(func, "id", "")
        if not reader:
            if called in FILE_READERS:
                return f"reads files itself ({called}, line {node.lineno})"
            continue
        calls.add(id(func))
        argument = node.args[0] if node.args else None
        argument = argument or next((k.value for k in node.keywords if k.arg == "name"), None)
        if not (isinstance(argument, ast.Constant) and isinstance(argument.value, str)):
            return f"names an artifact at run time ({called}, line {node.lineno})"
        names.add(argument.value)
    bases = {id(node.value) for node in ast.walk(tree) if isinstance(node, ast.Attribute)}
    for node in ast.walk(tree):
        if id(node) in calls:
            continue
        if (
            isinstance(node, ast.Attribute)
            and isinstance(node.value, ast.Name)
            and node.value.id in aliases
            and node.attr != "Text"
        ):
            return f"uses book.{node.attr} other than by calling it (line {node.lineno})"
        if isinstance(node, ast.Name) and isinstance(node.ctx, ast.Load):
            if node.id in direct:
                return f"uses {node.id} other than by calling it (line {node.lineno})"
            if node.id in aliases and id(node) not in bases:
                return f"passes the book module around (line {node.lineno})"
    return None


# --- fingerprints -------------------------------------------------------------------------


def fingerprint(use: Usage, everything: Callable[[], str] | None = None) -> dict[str, str]:
    """What a chapter's executed output depends on, part by part (empty for no code);
    ``everything`` computes the hash of everything (default: everything_hash)."""
    if not use.has_code:
        return {}
    parts = {
        "data version": str(labels.descriptor().get("version", "unknown")),
        "reader": keys.code_hash("analysis.book"),
        "lock": keys.lock_hash(),
        "python": "{}.{}".format(*sys.version_info[:2]),
    }
    if use.unknown or "rendered_by" in use.helpers:
        parts["quarto"] = os.environ.get(QUARTO_VERSION_ENV, "none")
    if use.unknown:
        parts["everything"] = (everything or everything_hash)()
        return parts
    for name in use.artifacts:
        parts[f"artifact {name}"] = keys.key(name) if name in registry.REGISTRY else "unregistered"
    return parts


def digest(parts: Mapping[str, str]) -> str:
    """One hash for a fingerprint's parts."""
    return keys.text_hash(json.dumps(dict(parts), sort_keys=True))


def everything_hash() -> str:
    """Every data file, all analysis code (the package and every artifact's module), uv.lock.

    Artifact modules inside the package are covered by its files; only a module registered from
    elsewhere (a test project's) is hashed on its own, so nothing is imported here."""
    lines = []
    for file in sorted(p for p in paths.data.rglob("*") if p.is_file()):
        lines.append(f"data {file.relative_to(paths.data).as_posix()} {keys.file_hash(file)}")
    package = Path(registry.__file__).resolve().parents[1]  # analysis/
    for file in sorted(package.rglob("*.py")):
        lines.append(f"code {file.relative_to(package).as_posix()} {keys.file_hash(file)}")
    for module in sorted({a.module for a in registry.REGISTRY.values()}):
        if module != "analysis" and not module.startswith("analysis."):
            lines.append(f"artifact module {module} {keys.code_hash(module)}")
    lines.append(f"lock {keys.lock_hash()}")
    return keys.text_hash("\n".join(lines))


# --- Quarto's frozen results --------------------------------------------------------------


def project_root() -> Path:
    """The Quarto project folder (the one holding _quarto.yml)."""
    return paths.quarto_config.parent


def chapter_name(chapter: Path) -> str:
    """A chapter's path relative to the project, as Quarto names its freezer folder."""
    try:
        return chapter.resolve().relative_to(project_root().resolve()).as_posix()
    except ValueError:
        return chapter.as_posix()


def frozen_dir(chapter: Path) -> Path:
    """Quarto's freezer folder of a chapter: ``_freeze/<path without extension>/``."""
    return paths.freeze_dir / Path(chapter_name(chapter)).with_suffix("")


def frozen_result(chapter: Path) -> Path:
    """The JSON of a chapter's frozen HTML execution result."""
    return frozen_dir(chapter) / "execute-results" / "html.json"


def frozen_hash(chapter: Path) -> str | None:
    """The source hash Quarto stored with the frozen result (None when there is none)."""
    file = frozen_result(chapter)
    if not file.exists():
        return None
    try:
        return str(json.loads(files.read_text(file, str(file))).get("hash"))
    except (json.JSONDecodeError, DataValidationError, AttributeError):
        return "unreadable"


def record_file() -> Path:
    return paths.freeze_dir / RECORD_NAME


def read_record() -> dict[str, Any]:
    """The stored fingerprints: ``{"recorded": {chapter: ...}, "pending": {chapter: ...}}``."""
    file = record_file()
    if not file.exists():
        return {"format": RECORD_FORMAT, "recorded": {}, "pending": {}}
    try:
        data = json.loads(files.read_text(file, str(file)))
    except (json.JSONDecodeError, DataValidationError):
        data = {}
    if not isinstance(data, dict) or data.get("format") != RECORD_FORMAT:
        return {"format": RECORD_FORMAT, "recorded": {}, "pending": {}}
    data.setdefault("recorded", {})
    data.setdefault("pending", {})
    return data


# --- status -------------------------------------------------------------------------------


@dataclass
class Status:
    """Where one chapter stands."""

    chapter: Path
    name: str
    use: Usage | None
    parts: dict[str, str] = field(default_factory=dict)
    frozen: str | None = None  # Quarto's stored source hash, None when not frozen
    state: str = "current"  # current | stale | not frozen | no code | error
    detail: str = ""

    @property
    def fingerprint(self) -> str:
        return digest(self.parts)

    @property
    def stale(self) -> bool:
        return self.state == "stale"


def statuses(chapters: Iterable[Path] | None = None) -> list[Status]:
    """The state of every chapter of the book (or of ``chapters``)."""
    chapters = list(qmd.book_chapters() if chapters is None else chapters)
    recorded = read_record()["recorded"]
    everything = functools.cache(everything_hash)  # computed once for all opaque chapters
    out = []
    for chapter in chapters:
        name = chapter_name(chapter)
        frozen = frozen_hash(chapter)
        if chapter.suffix != ".qmd":
            out.append(Status(chapter, name, None, {}, frozen, "no code", "not a .qmd file"))
            continue
        try:
            use = usage(qmd.parse(chapter))
        except qmd.QmdError as exc:
            state = "stale" if frozen else "error"
            out.append(Status(chapter, name, None, {}, frozen, state, str(exc)))
            continue
        status = Status(chapter, name, use, fingerprint(use, everything), frozen)
        _judge(status, recorded.get(name))
        out.append(status)
    return out


def _judge(status: Status, recorded: dict[str, Any] | None) -> None:
    if not status.use or not status.use.has_code:
        status.state, status.detail = "no code", "Quarto does not execute it"
    elif status.frozen is None:
        status.state, status.detail = "not frozen", "Quarto will execute it"
    elif recorded is None:
        status.state, status.detail = "stale", "no fingerprint recorded for its frozen result"
    elif recorded.get("frozen") != status.frozen:
        status.state = "stale"
        status.detail = "frozen result re-made outside the render session; not verified"
    elif recorded.get("fingerprint") != status.fingerprint:
        status.state = "stale"
        status.detail = "changed: " + changed_parts(recorded.get("parts", {}), status.parts)
    else:
        status.state, status.detail = "current", ""


def changed_parts(before: Mapping[str, str], after: Mapping[str, str]) -> str:
    """Which parts of a fingerprint differ, readably."""
    changed = sorted(k for k in set(before) | set(after) if before.get(k) != after.get(k))
    return ", ".join(changed) or "fingerprint format"


# --- actions ------------------------------------------------------------------------------


def invalidate(found: list[Status]) -> list[str]:
    """Delete the frozen results of stale chapters; remember what the render will see."""
    removed = []
    for status in found:
        if status.stale and status.frozen is not None:
            shutil.rmtree(frozen_dir(status.chapter), ignore_errors=True)
            removed.append(status.name)
    data = read_record()
    data["pending"] = {s.name: s.fingerprint for s in found if s.use and s.use.has_code}
    _write_record(data)
    return removed


def record(found: list[Status]) -> tuple[list[str], list[str]]:
    """Store the fingerprints of frozen chapters whose inputs did not move since
    ``--invalidate``; returns (recorded, left unrecorded)."""
    data = read_record()
    pending = data.get("pending", {})
    recorded: dict[str, Any] = {}
    kept, dropped = [], []
    for status in found:
        if status.frozen is None or not status.use or not status.use.has_code:
            continue
        if pending.get(status.name) != status.fingerprint:
            dropped.append(status.name)
            continue
        recorded[status.name] = {
            "fingerprint": status.fingerprint,
            "frozen": status.frozen,
            "depends on": status.use.describe(),
            "parts": status.parts,
        }
        kept.append(status.name)
    _write_record({"format": RECORD_FORMAT, "recorded": recorded, "pending": {}})
    return kept, dropped


def _write_record(data: dict[str, Any]) -> None:
    atomic.write_json(record_file(), data)


def needed_artifacts(uses: Iterable[Usage]) -> list[str]:
    """The artifacts the chapters read (all registered ones if any chapter is opaque), with
    their dependencies, in an order that computes dependencies first."""
    wanted: set[str] = set()
    for use in uses:
        if use.unknown:
            wanted = set(registry.REGISTRY)
            break
        wanted |= {a for a in use.artifacts if a in registry.REGISTRY}
    ordered: list[str] = []

    def visit(name: str) -> None:
        if name in ordered or name not in registry.REGISTRY:
            return
        for dep in registry.get(name).depends:
            visit(dep)
        ordered.append(name)

    for name in sorted(wanted):
        visit(name)
    return ordered


def prefetch(
    names: list[str], on_step: Callable[[str], None] | None = None
) -> tuple[list[str], dict[str, str]]:
    """Compute every missing artifact in this process; returns (computed, failed: message).

    An ``object`` artifact (a fitted model) lives in a process's memory only, never on disk:
    it is computed here only when an artifact derived from it is missing (the cache computes
    dependencies on demand), not on every run."""
    computed, failed = [], {}
    for name in names:
        if name in registry.REGISTRY and registry.get(name).kind == "object":
            if on_step:
                on_step(name)
            continue
        try:
            if store.ensure(name):
                computed.append(name)
        except Exception as exc:  # reported per artifact; the chapter shows the traceback
            failed[name] = f"{type(exc).__name__}: {exc}"
        if on_step:
            on_step(name)
    return computed, failed


# --- command line -------------------------------------------------------------------------


def add_arguments(parser: argparse.ArgumentParser) -> None:
    action = parser.add_mutually_exclusive_group()
    action.add_argument(
        "--status", action="store_true", help="show each chapter's state (the default)"
    )
    action.add_argument(
        "--invalidate",
        action="store_true",
        help="before quarto render: delete stale frozen results and compute missing artifacts",
    )
    action.add_argument(
        "--record",
        action="store_true",
        help="after quarto render: store the fingerprints of the frozen results",
    )
    parser.add_argument(
        "--no-prefetch",
        action="store_true",
        help="with --invalidate: leave computing artifacts to the chapters' kernels",
    )


def run(args: argparse.Namespace) -> int:
    with keys.inputs_fixed():  # nothing edits data or code while this command runs
        return _run(args)


def _run(args: argparse.Namespace) -> int:
    found = statuses()
    errors = [s for s in found if s.state == "error"]
    if args.record:
        kept, dropped = record(found)
        _print(found, "Recorded fingerprints")
        note = f"; not recorded (inputs moved during the render): {', '.join(dropped)}"
        console.summary(
            "freeze", True, f"recorded {len(kept)} frozen chapters" + (note if dropped else "")
        )
        return EXIT_OK
    if args.invalidate:
        removed = invalidate(found)
        failed: dict[str, str] = {}
        computed: list[str] = []
        if not args.no_prefetch:
            names = needed_artifacts(s.use for s in found if s.use)
            with console.progress() as bar:
                task = bar.add_task("computing artifacts", total=len(names))
                computed, failed = prefetch(names, lambda _: bar.advance(task))
        _print(found, "Frozen chapters")
        for name, message in failed.items():
            console.errors.print(f"  artifact {name}: {message}")
        text = (
            f"invalidated {len(removed)} stale frozen chapters"
            + (f" ({', '.join(removed)})" if removed else "")
            + f"; computed {len(computed)} artifacts"
            + (f"; {len(failed)} failed: {', '.join(failed)}" if failed else "")
        )
        console.summary("freeze", not failed and not errors, text)
        return EXIT_CHECK_FAILED if failed or errors else EXIT_OK
    _print(found, "Frozen chapters")
    counts = {state: sum(s.state == state for s in found) for state in _STATES}
    text = ", ".join(f"{n} {state}" for state, n in counts.items() if n)
    console.summary("freeze", not errors, f"{len(found)} chapters: {text}")
    return EXIT_CHECK_FAILED if errors else EXIT_OK


_STATES = ("current", "stale", "not frozen", "no code", "error")


def _print(found: list[Status], title: str) -> None:
    rows = [
        (
            s.name,
            s.use.describe() if s.use else "-",
            "yes" if s.frozen else "no",
            s.state,
            s.detail,
        )
        for s in found
    ]
    columns = ["chapter", "depends on", "frozen", "state", "detail"]
    console.console.print(console.table(title, columns, rows))


# --- what quarto render does with frozen chapters (for the bench and the tests) ------------


def quarto_hash(text: str) -> str:
    """The source hash Quarto's freezer compares: md5 of the text with LF line endings."""
    return hashlib.md5(text.replace("\r\n", "\n").encode("utf-8")).hexdigest()


@dataclass
class Rendered:
    """What the emulated render did with one chapter."""

    chapter: str
    executed: bool
    run: Any = None  # kernel.ChapterRun when executed


def emulate_render(
    chapters: Iterable[Path],
    *,
    env: Mapping[str, str] | None = None,
    setup: str | None = None,
    quarto_setup: bool = True,
    on_chapter: Callable[[Rendered], None] | None = None,
) -> list[Rendered]:
    """Do what ``quarto render`` does for computations under ``freeze: auto``: reuse a frozen
    result whose source hash matches the chapter, otherwise execute the chapter in a fresh
    kernel and freeze the result (chapters without code are not executed). ``env`` and
    ``setup`` go to kernel.run_chapter."""
    from analysis.pipeline import kernel

    done = []
    for chapter in chapters:
        name = chapter_name(chapter)
        doc = qmd.parse(chapter)
        source_hash = quarto_hash(doc.text)
        if not doc.has_code() or frozen_hash(chapter) == source_hash:
            step = Rendered(name, False)
        else:
            run = kernel.run_chapter(chapter, env=env, setup=setup, quarto_setup=quarto_setup)
            if run.ok:
                result = {
                    "engine": "jupyter",
                    "markdown": kernel.executed_markdown(doc, run, code=True),
                    "supporting": [],
                    "filters": [],
                    "includes": {},
                }
                atomic.write_json(frozen_result(chapter), {"hash": source_hash, "result": result})
            step = Rendered(name, True, run)
        done.append(step)
        if on_chapter:
            on_chapter(step)
    return done
