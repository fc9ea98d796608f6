"""Static checks of the Quarto book that need neither Quarto nor a kernel.

Used by the test suite and by ``python -m analysis check-book``. Each check returns a list of
:class:`Problem` (file, line, check name, message) instead of raising, so one run reports every
mistake in the book at once:

- ``listing``: every ``.qmd`` is listed in ``_quarto.yml``, every listed file exists, and the
  configuration keeps the settings the build relies on (book type, freeze, kernel, bibliography,
  folded code, the repository link).
- ``citation``: every ``[@key]`` / ``@key`` in prose and captions resolves in references.bib.
- ``crossref``: every ``@fig-``/``@tbl-``/``@sec-`` reference has a target, labels are unique,
  and every claim of the findings registry points at a section that exists.
- ``cell``: figure cells have ``fig-cap`` and ``fig-alt``, table cells ``tbl-cap``; a cell that
  shows ``book.figure``/``book.table`` carries a label of the matching kind; every artifact a
  chapter names is registered with the kind it is used as; every figure or table shown has its
  provenance printed by ``book.made_by`` (function, data read, data version, computed where it
  is shown), and no caption or alt text names what depends on the data (synthetic, observed,
  the data version), so no data change can make a caption stale.
- ``synthetic``: typed prose never says synthetic, simulated or observed sample (the kind of
  sample is computed: ``book.either``, ``book.sample_words``) except in a ``.bundled-sample``
  div describing the bundled generator, and a section showing a synthetic artifact carries a
  callout that says the data are synthetic.
- ``statistic``: chapter prose carries no hand-typed statistic (see :func:`hand_typed_numbers`),
  no number word or quantifier about the data (:func:`hand_typed_quantities`), and no typed
  direction, size judgement, count of the book's own items or claim that the book links, shows
  or computes something without what backs it in the same sentence (:func:`typed_claims`).
"""

from __future__ import annotations

import ast
import re
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import yaml

# --- problems and documents -----------------------------------------------------------------
from analysis import paths
from analysis.data import datapackage
from analysis.pipeline import qmd
from analysis.pipeline.store import registry


@dataclass(frozen=True)
class Problem:
    """One mistake in the book, located to a line."""

    file: str
    line: int
    check: str
    message: str

    def __str__(self) -> str:
        return f"{self.file}:{self.line}: [{self.check}] {self.message}"


@dataclass
class Document:
    """A parsed .qmd (cells from :mod:`analysis.pipeline.qmd`) with masks that keep every line.

    ``code_free`` keeps only the markdown of the document, with plain fenced blocks, inline
    code and HTML comments blanked (ids and attributes stay visible); ``prose`` also blanks
    URLs, link targets, attribute blocks and math, leaving the words a reader reads.
    """

    path: Path
    name: str  # path relative to the book root, for messages
    text: str
    cells: list[qmd.Cell]
    inlines: list[qmd.Inline]
    code_free: str
    prose: str

    def line_of(self, offset: int) -> int:
        return self.text.count("\n", 0, offset) + 1


# --- masking: what a reader reads -----------------------------------------------------------

_PLAIN_FENCE = re.compile(r"^[ \t>]*(`{3,}|~{3,})")


def _blank(text: str, start: int, end: int) -> str:
    """Replace text[start:end] by spaces, keeping newlines so line numbers stay right."""
    return text[:start] + re.sub(r"[^\n]", " ", text[start:end]) + text[end:]


def _markdown_only(doc: qmd.Document) -> str:
    """The document with every line that is not markdown prose blanked (cells, front matter,
    plain fenced blocks such as shell listings)."""
    lines = doc.text.split("\n")
    keep = [False] * len(lines)
    for chunk in doc.markdown:
        fence: str | None = None
        for i, line in enumerate(chunk.text.split("\n")):
            number = chunk.line - 1 + i
            opened = _PLAIN_FENCE.match(line)
            if fence is None and opened:
                fence = opened.group(1)
            elif fence is not None and opened and opened.group(1).startswith(fence[0] * len(fence)):
                fence = None
            elif fence is None and number < len(lines):
                keep[number] = True
    return "\n".join(
        line if kept else " " * len(line) for line, kept in zip(lines, keep, strict=True)
    )


def parse(path: Path, root: Path | None = None) -> Document:
    """Read a .qmd with :func:`analysis.pipeline.qmd.parse` and build its prose masks."""
    root = root or paths.root
    parsed = qmd.parse(path)
    try:
        name = path.relative_to(root).as_posix()
    except ValueError:
        name = path.as_posix()
    code_free = _mask(_markdown_only(parsed), (_HTML_COMMENT, _INLINE_CODE))
    return Document(
        path,
        name,
        parsed.text,
        parsed.cells,
        parsed.inlines,
        code_free,
        _mask(code_free, _NON_PROSE),
    )


_INLINE_CODE = re.compile(r"(`+)(?!`)(.+?)(?<!`)\1(?!`)", re.DOTALL)
_HTML_COMMENT = re.compile(r"<!--.*?-->", re.DOTALL)
_URL = re.compile(r"<?https?://[^\s)>\]]+>?")
_LINK_TARGET = re.compile(r"\]\([^)]*\)")
_ATTRIBUTES = re.compile(r"\{[#.][^}\n]*\}|\{\s*\}")
_MATH = re.compile(r"\$\$.*?\$\$|\$[^$\n]+\$", re.DOTALL)
_NON_PROSE = (_URL, _LINK_TARGET, _ATTRIBUTES, _MATH)


def _mask(text: str, patterns: Iterable[re.Pattern[str]]) -> str:
    for pattern in patterns:
        for match in reversed(list(pattern.finditer(text))):
            text = _blank(text, match.start(), match.end())
    return text


def prose_text(text: str) -> str:
    """A caption or fragment reduced to prose (inline code, URLs, attributes, math blanked)."""
    return _mask(text, (_HTML_COMMENT, _INLINE_CODE, *_NON_PROSE))


def inline_expressions(doc: Document) -> Iterator[tuple[int, str]]:
    """(line, code) of every inline ``{python} ...`` expression."""
    for inline in doc.inlines:
        yield inline.line, inline.expression


# --- the book's files -----------------------------------------------------------------------


def read_config(root: Path) -> dict[str, Any]:
    return yaml.safe_load((root / "_quarto.yml").read_text(encoding="utf-8")) or {}


def book_files(root: Path | None = None) -> list[Path]:
    """The .qmd files listed in _quarto.yml, in book order (missing ones included)."""
    root = root or paths.root
    return qmd.book_chapters(root / "_quarto.yml")


def check_listing(root: Path) -> list[Problem]:
    """Every .qmd listed and existing; the configuration keeps the settings the build needs."""
    problems: list[Problem] = []
    config_path = root / "_quarto.yml"
    if not config_path.exists():
        return [Problem("_quarto.yml", 1, "listing", "missing _quarto.yml")]
    config = read_config(root)
    try:
        listed = [p.relative_to(root).as_posix() for p in book_files(root)]
    except qmd.QmdError as exc:
        return [Problem("_quarto.yml", 1, "listing", str(exc))]
    for name in listed:
        if not (root / name).exists():
            problems.append(Problem("_quarto.yml", 1, "listing", f"listed file {name} is missing"))
    seen: set[str] = set()
    for name in listed:
        if name in seen:
            problems.append(Problem("_quarto.yml", 1, "listing", f"{name} is listed twice"))
        seen.add(name)
    on_disk = [root / "index.qmd", *sorted((root / "chapters").glob("*.qmd"))]
    for path in on_disk:
        name = str(path.relative_to(root))
        if path.exists() and name not in seen:
            problems.append(Problem(name, 1, "listing", "not listed in _quarto.yml"))
    expected = {
        ("project", "type"): "book",
        ("execute", "freeze"): "auto",
        ("jupyter",): "python3",
        ("bibliography",): "references.bib",
        ("format", "html", "code-fold"): True,
    }
    for keys, wanted in expected.items():
        found: Any = config
        for key in keys:
            found = found.get(key) if isinstance(found, dict) else None
        if found != wanted:
            where = ".".join(keys)
            problems.append(
                Problem(
                    "_quarto.yml", 1, "listing", f"{where}: expected {wanted!r}, found {found!r}"
                )
            )
    return problems


# --- citations and cross-references ---------------------------------------------------------

_CROSSREF_PREFIXES = ("fig-", "tbl-", "sec-", "eq-", "lst-", "thm-", "lem-", "cor-", "def-")
_REFERENCE = re.compile(r"(?<![\w@.])-?@(?P<key>[A-Za-z0-9_][\w:.#$%&+?<>~/-]*)")


def _references(text: str) -> Iterator[tuple[int, str]]:
    for match in _REFERENCE.finditer(text):
        yield match.start(), match["key"].rstrip(".:,;?/-")


def _captions(doc: Document) -> Iterator[tuple[int, str]]:
    for cell in doc.cells:
        for option in ("fig-cap", "tbl-cap", "fig-alt"):
            if isinstance(cell.options.get(option), str):
                yield cell.line, cell.options[option]


def check_citations(doc: Document, keys: frozenset[str]) -> list[Problem]:
    """Every citation in prose or captions names an entry of references.bib."""
    problems = []
    for offset, key in _references(doc.prose):
        if not key.startswith(_CROSSREF_PREFIXES) and key not in keys:
            problems.append(
                Problem(doc.name, doc.line_of(offset), "citation", f"@{key} not in references.bib")
            )
    for line, caption in _captions(doc):
        for _, key in _references(prose_text(caption)):
            if not key.startswith(_CROSSREF_PREFIXES) and key not in keys:
                problems.append(
                    Problem(doc.name, line, "citation", f"@{key} not in references.bib")
                )
    return problems


_ID = re.compile(r"\{[^}\n]*?#(?P<id>[A-Za-z][\w-]*)[^}\n]*\}")


def labels(doc: Document) -> list[tuple[int, str]]:
    """(line, label) of every cross-reference target: cell labels and ``{#id}`` attributes."""
    found = [(c.line, str(c.options["label"])) for c in doc.cells if "label" in c.options]
    found += [(doc.line_of(m.start()), m["id"]) for m in _ID.finditer(doc.code_free)]
    return found


def check_crossrefs(docs: list[Document]) -> list[Problem]:
    """Every @fig-/@tbl-/@sec- reference has a target somewhere in the book; labels are unique."""
    problems = []
    targets: dict[str, str] = {}
    for doc in docs:
        for line, label in labels(doc):
            if label in targets:
                problems.append(
                    Problem(doc.name, line, "crossref", f"label {label} also in {targets[label]}")
                )
            targets.setdefault(label, doc.name)
    for doc in docs:
        for offset, key in _references(doc.prose):
            if key.startswith(("fig-", "tbl-", "sec-")) and key not in targets:
                problems.append(
                    Problem(doc.name, doc.line_of(offset), "crossref", f"@{key} has no target")
                )
        for line, caption in _captions(doc):
            for _, key in _references(prose_text(caption)):
                if key.startswith(("fig-", "tbl-", "sec-")) and key not in targets:
                    problems.append(Problem(doc.name, line, "crossref", f"@{key} has no target"))
    return problems


def check_findings_locations(docs: list[Document]) -> list[Problem]:
    """Every claim of the findings registry points at a book section that exists."""
    import importlib.util

    if importlib.util.find_spec("analysis.findings") is None:
        return []
    from analysis import findings

    targets = {(doc.name, label) for doc in docs for _, label in labels(doc)}
    pages = {doc.name for doc in docs}
    problems = []
    for claim in findings.registry():
        page, _, anchor = claim.chapter.partition("#")
        if page not in pages or (anchor and (page, anchor) not in targets):
            problems.append(
                Problem(
                    "analysis/findings/claims.py",
                    1,
                    "crossref",
                    f"claim {claim.id} is shown in {claim.chapter!r}, which is not a section "
                    "of the book",
                )
            )
    return problems


# --- cells and artifacts --------------------------------------------------------------------

_BOOK_CALLS = {"figure": "figure", "table": "table", "value": "values", "raw": "values"}


def _book_call(node: ast.AST) -> tuple[str, str] | None:
    """(function, artifact name) when ``node`` is a ``book.<reader>("name", ...)`` call."""
    if (
        isinstance(node, ast.Call)
        and isinstance(node.func, ast.Attribute)
        and isinstance(node.func.value, ast.Name)
        and node.func.value.id == "book"
        and node.func.attr in registry.READERS
        and node.args
        and isinstance(node.args[0], ast.Constant)
        and isinstance(node.args[0].value, str)
    ):
        return node.func.attr, node.args[0].value
    return None


def artifact_calls(code: str, *, shown_always: bool = False) -> list[tuple[str, str]]:
    """(function, artifact name) of every ``book.<function>("name", ...)`` call in code; with
    ``shown_always``, leave out calls inside a ``book.either`` (shown for one kind of data only,
    which the ``either`` call's own artifact decides)."""
    try:
        tree = ast.parse(code)
    except SyntaxError:
        return []
    inside_either: set[int] = set()
    if shown_always:
        for node in ast.walk(tree):
            found = _book_call(node)
            if found and found[0] == "either":
                inside_either |= {id(n) for arg in node.args[1:] for n in ast.walk(arg)}
                inside_either |= {id(n) for kw in node.keywords for n in ast.walk(kw.value)}
    return [
        found
        for node in ast.walk(tree)
        if id(node) not in inside_either and (found := _book_call(node))
    ]


def _check_artifact(doc: Document, line: int, function: str, name: str) -> list[Problem]:
    art = registry.REGISTRY.get(name)
    if art is None:
        return [Problem(doc.name, line, "cell", f"artifact {name!r} is not registered")]
    wanted = _BOOK_CALLS.get(function)
    if wanted and art.kind != wanted:
        return [
            Problem(
                doc.name, line, "cell", f"book.{function}({name!r}) but {name!r} is a {art.kind}"
            )
        ]
    return []


# Words whose truth depends on the data in use: never typed into a caption or the prose.
_DATA_DEPENDENT = re.compile(
    r"(?<![-\w])(?:synthetic|simulat(?!ion\.toml)\w*|observed sample|data package v\d\S*"
    r"|made by)\b",
    re.I,
)
# Readers that show an artifact's results (the others label themselves from the descriptor).
_SHOWS_RESULTS = ("figure", "table", "value", "raw")
# A div that describes the bundled sample's generator as such (true whatever the data in use).
_GENERATOR_DIV = re.compile(r"^(:{3,})\s*\{[^}\n]*\.bundled-sample\b")


def check_cells(doc: Document) -> list[Problem]:
    """Labels, captions, alt text and provenance of figure and table cells; known artifacts."""
    problems = []
    provenance_shown = {
        name
        for code in [c.code for c in doc.cells] + [code for _, code in inline_expressions(doc)]
        for function, name in artifact_calls(code)
        if function == "made_by"
    }
    for cell in doc.cells:
        label = str(cell.options.get("label", ""))
        calls = artifact_calls(cell.code)
        for function, name in calls:
            problems += _check_artifact(doc, cell.line, function, name)
        shown = {f: [n for g, n in calls if g == f] for f in ("figure", "table")}
        if label.startswith("fig-"):
            for option in ("fig-cap", "fig-alt"):
                if not str(cell.options.get(option) or "").strip():
                    problems.append(
                        Problem(doc.name, cell.line, "cell", f"{label} has no {option}")
                    )
        if label.startswith("tbl-") and not str(cell.options.get("tbl-cap") or "").strip():
            problems.append(Problem(doc.name, cell.line, "cell", f"{label} has no tbl-cap"))
        for kind, prefix in (("figure", "fig-"), ("table", "tbl-")):
            if shown[kind] and not label.startswith(prefix):
                problems.append(
                    Problem(
                        doc.name,
                        cell.line,
                        "cell",
                        f"cell shows book.{kind}({shown[kind][0]!r}) but its label "
                        f"{label or '(none)'!r} does not start with {prefix}",
                    )
                )
            for name in shown[kind]:
                if name in registry.REGISTRY and name not in provenance_shown:
                    problems.append(
                        Problem(
                            doc.name,
                            cell.line,
                            "cell",
                            f"{label} shows {name!r} but the chapter never prints where it comes "
                            f'from: add `{{python}} book.made_by("{name}")` below it',
                        )
                    )
        for option in ("fig-cap", "tbl-cap", "fig-alt"):
            said = _DATA_DEPENDENT.search(prose_text(str(cell.options.get(option) or "")))
            if said:
                problems.append(
                    Problem(
                        doc.name,
                        cell.line,
                        "cell",
                        f"{option} of {label or 'a cell'} says {said.group(0)!r}: a caption is "
                        "static text, so what depends on the data (synthetic or observed, the "
                        "data version, the files read) belongs in book.made_by or book.either",
                    )
                )
    for line, code in inline_expressions(doc):
        for function, name in artifact_calls(code):
            problems += _check_artifact(doc, line, function, name)
    return problems


# --- synthetic data -------------------------------------------------------------------------

_HEADING = re.compile(r"^(?P<hashes>#{1,6})\s", re.MULTILINE)
_CALLOUT = re.compile(r"^:::+\s*\{[^}\n]*\.callout-(?:note|warning|important|caution|tip)")


_DIV_FENCE = re.compile(r"^(:{3,})\s*(\S.*)?$")


def _top_level_headings(doc: Document) -> dict[int, int]:
    """Line -> level of every heading outside fenced divs (a callout's title is not a section)."""
    found = {}
    depth = 0
    for number, line in enumerate(doc.code_free.split("\n"), start=1):
        div = _DIV_FENCE.match(line)
        if div:
            depth = depth + 1 if div.group(2) else max(depth - 1, 0)
            continue
        heading = _HEADING.match(line)
        if heading and depth == 0:
            found[number] = len(heading["hashes"])
    return found


def _section_bounds(doc: Document, line: int) -> tuple[int, int]:
    """First and last line of the level-1 or level-2 section that contains ``line``."""
    headings = [n for n, level in _top_level_headings(doc).items() if level <= 2]
    start = max((n for n in headings if n <= line), default=1)
    end = min((n - 1 for n in headings if n > line), default=doc.text.count("\n") + 1)
    return start, end


def _has_synthetic_callout(doc: Document, start: int, end: int) -> bool:
    """A typed callout mentioning synthetic data, or a ``book.data_note`` cell on a synthetic
    artifact (which writes that callout from the descriptor), within the lines."""
    for cell in doc.cells:
        if start <= cell.line <= end and any(
            function in ("data_note", "either")
            and name in registry.REGISTRY
            and registry.REGISTRY[name].synthetic
            for function, name in artifact_calls(cell.code)
        ):
            return True
    lines = doc.text.split("\n")[start - 1 : end]
    prose = doc.prose.split("\n")[start - 1 : end]
    for i, line in enumerate(lines):
        if _CALLOUT.match(line) and prose[i].strip():
            depth = len(line) - len(line.lstrip(":"))
            for body in lines[i + 1 :]:
                if re.match(rf"^:{{{depth},}}\s*$", body):
                    break
                if "synthetic" in body.lower():
                    return True
    return False


def _generator_lines(doc: Document) -> set[int]:
    """Lines inside ``::: {.bundled-sample}`` divs, which describe the bundled generator."""
    inside: set[int] = set()
    depth: str | None = None
    for number, line in enumerate(doc.text.split("\n"), start=1):
        if depth is None:
            opened = _GENERATOR_DIV.match(line)
            if opened:
                depth = opened.group(1)
        elif re.match(rf"^:{{{len(depth)}}}\s*$", line):
            depth = None
        else:
            inside.add(number)
    return inside


def check_synthetic(doc: Document) -> list[Problem]:
    """Typed prose never assumes the kind of sample (``book.either`` and ``book.sample_words``
    say it from the descriptor), except inside ``.bundled-sample`` divs; a section showing a
    synthetic artifact carries a callout saying so (``book.data_note`` writes it)."""
    problems = []
    generator = _generator_lines(doc)
    for match in _DATA_DEPENDENT.finditer(doc.prose):
        line = doc.line_of(match.start())
        if line not in generator:
            problems.append(
                Problem(
                    doc.name,
                    line,
                    "synthetic",
                    f"typed prose says {match.group(0)!r}, which is true of one kind of data "
                    "only: say it with book.either or book.sample_words, or inside a "
                    "::: {.bundled-sample} div if it describes the bundled generator",
                )
            )
    places = []
    for cell in doc.cells:
        for function, name in artifact_calls(cell.code, shown_always=True):
            art = registry.REGISTRY.get(name)
            if art is None or not art.synthetic or function not in _SHOWS_RESULTS:
                continue
            places.append((cell.line, name))
    places += [
        (line, name)
        for line, code in inline_expressions(doc)
        for function, name in artifact_calls(code)
        if function in _SHOWS_RESULTS
        and name in registry.REGISTRY
        and registry.REGISTRY[name].synthetic
    ]
    flagged: set[tuple[int, int]] = set()
    for line, name in places:
        bounds = _section_bounds(doc, line)
        if bounds in flagged or _has_synthetic_callout(doc, *bounds):
            continue
        flagged.add(bounds)
        problems.append(
            Problem(
                doc.name,
                line,
                "synthetic",
                f"section showing synthetic {name!r} (lines {bounds[0]}-{bounds[1]}) has no "
                "callout saying the data are synthetic",
            )
        )
    return problems


# --- hand-typed statistics ------------------------------------------------------------------

_YEAR = r"(?:1[89]|20)\d\d"
_COUNT_NOUNS = (
    r"(?:accounts?|posts?|followers?|fans?|users?|microblogs?|agencies|departments|bureaus|"
    r"comments?|reposts?|likes?|views?|people|persons|officers|cases|messages|rows)\b"
)
_EDGE_BEFORE = r"(?<![\w.])(?<!\d,)"
_EDGE_AFTER = r"(?!\w|[.,]\d)"
_NUMBER_RULES = (
    (
        "percentage",
        re.compile(
            _EDGE_BEFORE
            + r"\d[\d,]*(?:\.\d+)?\s*(?:%|percent\b|per\s+cent\b|percentage\s+points?\b)",
            re.I,
        ),
    ),
    (
        "number with a magnitude word",
        re.compile(_EDGE_BEFORE + r"\d[\d,.]*\s*(?:thousand|million|billion|trillion|万|亿)", re.I),
    ),
    ("decimal", re.compile(_EDGE_BEFORE + r"\d*\.\d+" + _EDGE_AFTER)),
    ("large number", re.compile(_EDGE_BEFORE + r"\d{1,3}(?:,\d{3})+" + _EDGE_AFTER)),
    ("large number", re.compile(_EDGE_BEFORE + r"\d{4,}" + _EDGE_AFTER)),
)
_VERSION = re.compile(
    r"(?:version|Python|Quarto|pandas|numpy|v|release|Section|Chapter|§)\s*$", re.I
)
_INTERVAL_LEVEL = re.compile(
    r"[\s-]*(?:(?:confidence|credible|prediction)[\s-]+)?(?:intervals?|level|CI)\b"
)
_ISO_DATE = re.compile(r"\b" + _YEAR + r"-\d\d(?:-\d\d)?\b")
_QUOTE = re.compile(r"“[^”]*”|\"[^\"]*\"")
_CITATION = re.compile(r"(?<![\w@.])-?@(?!(?:fig|tbl|sec|eq)-)[A-Za-z0-9_]")
_SENTENCE_END = re.compile(r"[.!?](?=\s|$)")


def _exempt_quotations(prose: str) -> str:
    """Blank quotations of a source: a quoted span whose sentence cites, or a cited blockquote."""
    for paragraph in re.finditer(r"(?:[^\n]+\n?)+", prose):
        block = paragraph.group(0)
        base = paragraph.start()
        lines = block.split("\n")
        if all(line.lstrip().startswith(">") for line in lines if line.strip()):
            if _CITATION.search(block):
                prose = _blank(prose, base, base + len(block))
            continue
        for quote in _QUOTE.finditer(block):
            before = [m.end() for m in _SENTENCE_END.finditer(block, 0, quote.start())]
            after = _SENTENCE_END.search(block, quote.end())
            sentence = block[before[-1] if before else 0 : after.end() if after else len(block)]
            if _CITATION.search(sentence):
                prose = _blank(prose, base + quote.start(), base + quote.end())
    return prose


def hand_typed_numbers(prose: str) -> list[tuple[int, str, str]]:
    """(offset, rule, text) of every statistic typed into prose by hand.

    Flagged: percentages ("45%", "45 percent"), decimals ("0.42"), numbers with a magnitude word
    ("300 million"), and large numbers (four digits or more, "3,611", "160000"). Allowed: years
    (1800-2099 written as four digits, unless followed by a count noun such as "accounts"),
    ISO dates, the level of an interval ("95% confidence interval"), small whole numbers
    (counts of chapters, seeds, levels, days of the month), version and section numbers
    ("Quarto 1.6"), anything in inline code (where computed numbers live) and figures inside a
    quotation of a source whose sentence carries a citation.
    """
    text = _exempt_quotations(prose)
    for match in reversed(list(_ISO_DATE.finditer(text))):
        text = _blank(text, match.start(), match.end())
    found: list[tuple[int, str, str]] = []
    taken: list[tuple[int, int]] = []
    for rule, pattern in _NUMBER_RULES:
        for match in pattern.finditer(text):
            if any(a <= match.start() < b for a, b in taken):
                continue
            token = match.group(0)
            if rule == "decimal" and _VERSION.search(
                text[max(0, match.start() - 12) : match.start()]
            ):
                continue
            if rule == "percentage" and _INTERVAL_LEVEL.match(text, match.end()):
                continue
            if rule == "large number" and re.fullmatch(_YEAR, token):
                following = text[match.end() : match.end() + 40]
                if not re.match(
                    r"\s+(?:new\s+|more\s+|verified\s+|government\s+)?" + _COUNT_NOUNS, following
                ):
                    continue
            taken.append((match.start(), match.end()))
            found.append((match.start(), rule, token.strip()))
    return sorted(found)


# Spelled-out statements about the data count as numbers: "nine in ten", "hundreds of
# thousands of comments", "a few posts draw most of it", "every recommendation is among them".
_SMALL = r"(?:one|two|three|four|five|six|seven|eight|nine|ten|a|an)"
_DATA_NOUNS = (
    r"(?:accounts?|posts?|followers?|fans?|users?|microblogs?|articles?|comments?|reposts?|"
    r"likes?|page\s+views|views|answers?|replies|recommendations?|claims?|verdicts?|provinces|"
    r"prefectures?|bureaus|departments|agencies|officers|divisions)\b"
)
_WORD_RULES = (
    (
        "proportion in words",
        re.compile(
            r"\b" + _SMALL + r"\s+(?:in|out\s+of)\s+(?:two|three|four|five|ten|twenty|"
            r"(?:a\s+)?hundred|a\s+thousand)\b"
            r"|\b(?:a|one|two)\s+(?:thirds?|quarters?|fifths?|tenths?)\s+of\b"
            r"|\b(?:three\s+quarters|two\s+thirds)\b"
            r"|\bhalf\s+(?:of\s+)?(?:the|all|its|their)\b",
            re.I,
        ),
    ),
    (
        "magnitude in words",
        re.compile(
            r"\b(?:dozens|hundreds|thousands|tens\s+of\s+thousands|millions|billions)\s+of"
            r"(?:\s+(?:thousands|millions))?(?:\s+of)?\s+" + _DATA_NOUNS,
            re.I,
        ),
    ),
    (
        "quantifier about the data",
        re.compile(
            r"\b(?:a\s+few|a\s+handful\s+of|(?<!the\s)(?<!at\s)most|the\s+majority\s+of|a\s+minority\s+of|"
            r"nearly\s+all|almost\s+all|all\s+but|the\s+bulk\s+of)\s+(?:of\s+)?(?:the\s+)?"
            + _DATA_NOUNS
            + r"|\b(?:draws?|gets?|receives?|holds?|takes?)\s+(?:most|the\s+bulk|nearly\s+all)"
            r"\s+of\s+(?:it|them)\b"
            r"|\bevery\s+" + _DATA_NOUNS + r"\s+(?:is|are|was|were)\s+among\b",
            re.I,
        ),
    ),
)


def hand_typed_quantities(prose: str) -> list[tuple[int, str, str]]:
    """(offset, rule, text) of every statement about the data's numbers spelled out in words:
    proportions ("nine in ten", "a third of", "half of the"), magnitudes ("hundreds of
    thousands of comments") and quantifiers over data ("a few posts", "most of them", "every
    recommendation is among"), outside quotations of a source and sentences citing one (a
    statement about a source's own data)."""
    text = _exempt_quotations(prose)
    found = []
    for rule, pattern in _WORD_RULES:
        for match in pattern.finditer(text):
            if _CITATION.search(_sentence(text, match.start(), match.end())):
                continue  # a cited statement about a source's data, not about ours
            found.append((match.start(), rule, " ".join(match.group(0).split())))
    return sorted(found)


def _sentence_span(text: str, start: int, end: int) -> tuple[int, int]:
    """Where the sentence around text[start:end] (within its paragraph) begins and ends."""
    para_start = text.rfind("\n\n", 0, start) + 1
    para_end = text.find("\n\n", end)
    para_end = len(text) if para_end < 0 else para_end
    before = [m.end() for m in _SENTENCE_END.finditer(text, para_start, start)]
    after = _SENTENCE_END.search(text, end, para_end)
    return (before[-1] if before else para_start, after.end() if after else para_end)


def _sentence(text: str, start: int, end: int) -> str:
    """The sentence around text[start:end] (within its paragraph)."""
    begin, finish = _sentence_span(text, start, end)
    return text[begin:finish]


# Words that judge the data (a direction, a size) or count the book's own items, and words that
# say the book does something (links, shows, computes). Each needs, in its own sentence, the
# inline expression, cross-reference, link or citation that makes it true; typed, it goes stale.
_COUNTED_ITEMS = (
    r"(?:headings|countermeasures|measures|recommendations|obstacles|claims|verdicts|findings|"
    r"steps|practices|aims|problems)\b"
)
_CLAIM_RULES = (
    (
        "direction or size in words",
        re.compile(
            r"\b(?:grew|grows|rose|rises|fell|falls|slowed|slows|declined|increased|decreased|"
            r"accelerated)\b(?:\s+\w+)?\s+(?:sharply|steeply|slightly|strongly|quickly|rapidly|"
            r"slowly|markedly)\b"
            r"|\b(?:is|are|was|were)\s+(?:explosive|narrow|wide|tiny|huge|negligible)\b"
            r"|\bexplosive\s+at\s+first\b",
            re.I,
        ),
    ),
    (
        "count of the book's own items in words",
        re.compile(
            r"\b(?:two|three|four|five|six|seven|eight|nine|ten|eleven|twelve)\s+"
            + _COUNTED_ITEMS
            + r"|\b(?:first|second|third|fourth)\s+and\s+(?:second|third|fourth|fifth)\b"
            r"[^.]*?\b(?:testable|supported|mixed|recovered)\b",
            re.I,
        ),
    ),
    (
        "claim that the book links, shows or computes something",
        re.compile(
            r"\blinked\s+(?:at|from|on|in)\b"
            r"|\b(?:is|are)\s+shown\s+(?:in|on|at|below|above)\b"
            r"|\b(?:is|are)\s+computed\s+(?:by|from|in|when)\b",
            re.I,
        ),
    ),
)
# What makes such a sentence true where it stands: inline code (a computed value or a file
# name), a cross-reference, a link or a citation.
_BACKED = re.compile(r"`|@(?:sec|fig|tbl|eq)-|\]\(|https?://|\[@|(?<![\w.])@[A-Za-z]")


def typed_claims(prose: str, source: str) -> list[tuple[int, str, str]]:
    """(offset, rule, text) of every typed direction, size judgement or count of the book's own
    items, and every claim that the book links, shows or computes something, whose sentence
    carries nothing that backs it. ``prose`` is the masked text the rules read, ``source`` the
    same text unmasked (same offsets), where inline code and references are still visible;
    quotations of a source are exempt."""
    text = _exempt_quotations(prose)
    found = []
    for rule, pattern in _CLAIM_RULES:
        for match in pattern.finditer(text):
            begin, end = _sentence_span(text, match.start(), match.end())
            if _BACKED.search(source[begin:end]):
                continue
            found.append((match.start(), rule, " ".join(match.group(0).split())))
    return sorted(found)


def check_statistics(doc: Document) -> list[Problem]:
    """Chapter prose carries no statistic typed by hand, in digits or in words: numbers and the
    words that state them come from inline expressions."""
    return [
        Problem(
            doc.name,
            doc.line_of(offset),
            "statistic",
            f"hand-typed {rule} {token!r}: compute it with an inline `{{python}} book.value(...)`, "
            "or quote the source with a citation",
        )
        for offset, rule, token in [
            *hand_typed_numbers(doc.prose),
            *hand_typed_quantities(doc.prose),
        ]
    ] + [
        Problem(
            doc.name,
            doc.line_of(offset),
            "statistic",
            f"unbacked {rule} {token!r}: compute it with an inline `{{python}} book.value(...)`, "
            "or back it in the same sentence with a cross-reference, link or citation",
        )
        for offset, rule, token in typed_claims(doc.prose, doc.text)
    ]


# --- all checks -----------------------------------------------------------------------------


def lint_book(root: Path | None = None) -> list[Problem]:
    """Every static check over the whole book; an empty list means the book is clean."""
    root = root or paths.root
    problems = check_listing(root)
    bib = root / "references.bib"
    keys = datapackage.bib_keys(bib) if bib.exists() else frozenset()
    try:
        files = [p for p in book_files(root) if p.exists()]
    except qmd.QmdError:
        files = []  # check_listing has reported it
    docs = []
    for path in files:
        try:
            docs.append(parse(path, root))
        except qmd.QmdError as exc:
            problems.append(Problem(path.relative_to(root).as_posix(), 1, "cell", str(exc)))
    problems += check_crossrefs(docs)
    if root == paths.root:
        problems += check_findings_locations(docs)
    for doc in docs:
        problems += check_citations(doc, keys)
        problems += check_cells(doc)
        problems += check_synthetic(doc)
        problems += check_statistics(doc)
    return problems
