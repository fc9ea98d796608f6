"""Static checks of the Quarto book that need neither Quarto nor a kernel.

Used by the test suite and by ``python -m analysis check-book``. Each check returns a list of
:class:`Problem` (file, line, check name, message) instead of raising, so one run reports every
mistake in the book at once:

- ``listing``: every ``.qmd`` is listed in ``_quarto.yml``, every listed file exists, and the
  configuration keeps the settings the build relies on (book type, freeze, kernel, bibliography,
  folded code, the repository link).
- ``citation``: every ``[@key]`` / ``@key`` in prose and captions resolves in references.bib.
- ``crossref``: every ``@fig-``/``@tbl-``/``@sec-`` reference has a target, and labels are unique.
- ``cell``: figure cells have ``fig-cap`` and ``fig-alt``, table cells ``tbl-cap``; a cell that
  shows ``book.figure``/``book.table`` carries a label of the matching kind; every artifact a
  chapter names is registered with the kind it is used as; a caption ends with the artifact's
  provenance exactly as ``book.made_by`` writes it (function, data read, data version), so a
  caption can never name stale provenance.
- ``synthetic``: a caption showing a synthetic artifact says "synthetic sample", and its section
  carries a callout that says the data are synthetic.
- ``statistic``: chapter prose carries no hand-typed statistic (see :func:`hand_typed_numbers`).
"""

from __future__ import annotations

import ast
import re
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import yaml

from analysis import artifacts, book, datapackage, paths

# --- problems and documents -----------------------------------------------------------------


@dataclass(frozen=True)
class Problem:
    """One mistake in the book, located to a line."""

    file: str
    line: int
    check: str
    message: str

    def __str__(self) -> str:
        return f"{self.file}:{self.line}: [{self.check}] {self.message}"


@dataclass(frozen=True)
class Cell:
    """An executable code cell: its options (from ``#|`` lines), code and position."""

    start: int  # 1-based line of the opening fence
    end: int  # 1-based line of the closing fence
    language: str
    options: dict[str, Any]
    code: str


@dataclass
class Document:
    """A .qmd file: raw text, its cells and masks that blank non-prose but keep every line.

    ``code_free`` blanks front matter, fenced blocks, inline code and HTML comments (so ids
    and attributes stay visible); ``prose`` also blanks URLs, link targets, attribute blocks
    and math, leaving only the words a reader reads.
    """

    path: Path
    name: str  # path relative to the book root, for messages
    text: str
    cells: list[Cell]
    code_free: str
    prose: str

    def line_of(self, offset: int) -> int:
        return self.text.count("\n", 0, offset) + 1


# --- parsing (fences, cell options, masking) ------------------------------------------------

_FENCE = re.compile(r"^(?P<indent> {0,3})(?P<fence>`{3,}|~{3,})\s*(?P<info>[^\n]*)$")
_ENGINE = re.compile(r"^\{(?P<lang>[A-Za-z0-9_+-]+)[^}]*\}")


def _blank(text: str, start: int, end: int) -> str:
    """Replace text[start:end] by spaces, keeping newlines so line numbers stay right."""
    return text[:start] + re.sub(r"[^\n]", " ", text[start:end]) + text[end:]


def _cell_options(lines: list[str]) -> tuple[dict[str, Any], str]:
    option_lines = []
    i = 0
    while i < len(lines) and lines[i].startswith("#|"):
        option_lines.append(lines[i][2:].removeprefix(" "))
        i += 1
    try:
        options = yaml.safe_load("\n".join(option_lines)) or {} if option_lines else {}
    except yaml.YAMLError as exc:
        options = {"__error__": str(exc).splitlines()[0]}
    return options if isinstance(options, dict) else {}, "\n".join(lines[i:])


def parse(path: Path, root: Path | None = None) -> Document:
    """Read a .qmd into cells and a prose mask (front matter, fences and inline code blanked)."""
    root = root or paths.root
    text = path.read_text(encoding="utf-8")
    try:
        name = str(path.relative_to(root))
    except ValueError:
        name = str(path)
    lines = text.split("\n")
    offsets = [0]
    for line in lines:
        offsets.append(offsets[-1] + len(line) + 1)
    masked = text
    cells: list[Cell] = []
    i = 0
    if lines and lines[0].strip() == "---":
        for j in range(1, len(lines)):
            if lines[j].strip() in ("---", "..."):
                masked = _blank(masked, 0, offsets[j + 1] - 1)
                i = j + 1
                break
    while i < len(lines):
        opening = _FENCE.match(lines[i])
        if not opening:
            i += 1
            continue
        fence = opening["fence"]
        j = i + 1
        while j < len(lines):
            closing = _FENCE.match(lines[j])
            if (
                closing
                and closing["fence"][0] == fence[0]
                and len(closing["fence"]) >= len(fence)
                and not closing["info"].strip()
            ):
                break
            j += 1
        engine = _ENGINE.match(opening["info"].strip())
        if engine:
            options, code = _cell_options(lines[i + 1 : j])
            cells.append(Cell(i + 1, j + 1, engine["lang"], options, code))
        masked = _blank(masked, offsets[i], min(offsets[min(j, len(lines) - 1) + 1], len(text)))
        i = j + 1
    code_free = _mask(masked, (_HTML_COMMENT, _INLINE_CODE))
    return Document(path, name, text, cells, code_free, _mask(code_free, _NON_PROSE))


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
    """(line, code) of every inline ``{python} ...`` expression outside code cells."""
    spans = [(c.start, c.end) for c in doc.cells]
    for match in _INLINE_CODE.finditer(doc.text):
        body = match.group(2).strip()
        if not body.startswith("{python}"):
            continue
        line = doc.line_of(match.start())
        if any(a <= line <= b for a, b in spans):
            continue
        yield line, body.removeprefix("{python}").strip()


# --- the book's files -----------------------------------------------------------------------


def _listed(book: dict[str, Any]) -> list[str]:
    """Every file named in the book's chapters (including parts) and appendices."""
    found: list[str] = []

    def walk(items: Iterable[Any]) -> None:
        for item in items or []:
            if isinstance(item, str):
                found.append(item)
            elif isinstance(item, dict):
                if isinstance(item.get("part"), str) and item["part"].endswith(".qmd"):
                    found.append(item["part"])
                walk(item.get("chapters", []))

    walk(book.get("chapters", []))
    walk(book.get("appendices", []))
    return found


def read_config(root: Path) -> dict[str, Any]:
    return yaml.safe_load((root / "_quarto.yml").read_text(encoding="utf-8")) or {}


def book_files(root: Path | None = None) -> list[Path]:
    """The .qmd files listed in _quarto.yml, in book order (missing ones included)."""
    root = root or paths.root
    return [root / name for name in _listed(read_config(root).get("book", {}))]


def check_listing(root: Path) -> list[Problem]:
    """Every .qmd listed and existing; the configuration keeps the settings the build needs."""
    problems: list[Problem] = []
    config_path = root / "_quarto.yml"
    if not config_path.exists():
        return [Problem("_quarto.yml", 1, "listing", "missing _quarto.yml")]
    config = read_config(root)
    book = config.get("book", {})
    listed = _listed(book)
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
        ("book", "repo-url"): paths.repository_url,
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
                yield cell.start, cell.options[option]


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
    found = [(c.start, str(c.options["label"])) for c in doc.cells if "label" in c.options]
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


# --- cells and artifacts --------------------------------------------------------------------

_BOOK_CALLS = {"figure": "figure", "table": "table", "value": "values", "raw": "values"}


def artifact_calls(code: str) -> list[tuple[str, str]]:
    """(function, artifact name) of every ``book.<function>("name", ...)`` call in code."""
    try:
        tree = ast.parse(code)
    except SyntaxError:
        return []
    calls = []
    for node in ast.walk(tree):
        if (
            isinstance(node, ast.Call)
            and isinstance(node.func, ast.Attribute)
            and isinstance(node.func.value, ast.Name)
            and node.func.value.id == "book"
            and node.func.attr in (*_BOOK_CALLS, "made_by")
            and node.args
            and isinstance(node.args[0], ast.Constant)
            and isinstance(node.args[0].value, str)
        ):
            calls.append((node.func.attr, node.args[0].value))
    return calls


def _check_artifact(doc: Document, line: int, function: str, name: str) -> list[Problem]:
    art = artifacts.REGISTRY.get(name)
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


def check_cells(doc: Document) -> list[Problem]:
    """Labels, captions, alt text and provenance of figure and table cells; known artifacts."""
    problems = []
    for cell in doc.cells:
        if "__error__" in cell.options:
            problems.append(
                Problem(
                    doc.name, cell.start, "cell", f"bad cell options: {cell.options['__error__']}"
                )
            )
        label = str(cell.options.get("label", ""))
        calls = artifact_calls(cell.code)
        for function, name in calls:
            problems += _check_artifact(doc, cell.start, function, name)
        shown = {f: [n for g, n in calls if g == f] for f in ("figure", "table")}
        if label.startswith("fig-"):
            for option in ("fig-cap", "fig-alt"):
                if not str(cell.options.get(option) or "").strip():
                    problems.append(
                        Problem(doc.name, cell.start, "cell", f"{label} has no {option}")
                    )
        if label.startswith("tbl-") and not str(cell.options.get("tbl-cap") or "").strip():
            problems.append(Problem(doc.name, cell.start, "cell", f"{label} has no tbl-cap"))
        for kind, prefix in (("figure", "fig-"), ("table", "tbl-")):
            if shown[kind] and not label.startswith(prefix):
                problems.append(
                    Problem(
                        doc.name,
                        cell.start,
                        "cell",
                        f"cell shows book.{kind}({shown[kind][0]!r}) but its label "
                        f"{label or '(none)'!r} does not start with {prefix}",
                    )
                )
            caption = str(cell.options.get(f"{prefix[:3]}-cap") or "")
            for name in shown[kind]:
                if name not in artifacts.REGISTRY or not caption:
                    continue
                provenance = str(book.made_by(name))
                if provenance not in caption:
                    problems.append(
                        Problem(
                            doc.name,
                            cell.start,
                            "cell",
                            f"caption of {label} lacks the provenance of {name!r}; "
                            f"end it with: {provenance}",
                        )
                    )
    for line, code in inline_expressions(doc):
        for function, name in artifact_calls(code):
            problems += _check_artifact(doc, line, function, name)
    return problems


# --- synthetic data -------------------------------------------------------------------------

_HEADING = re.compile(r"^(?P<hashes>#{1,6})\s", re.MULTILINE)
_CALLOUT = re.compile(r"^:::+\s*\{[^}\n]*\.callout-(?:note|warning|important|caution|tip)")


def _section_bounds(doc: Document, line: int) -> tuple[int, int]:
    """First and last line of the level-1 or level-2 section that contains ``line``."""
    lines = doc.prose.split("\n")
    start, end = 1, len(lines)
    for number in range(line - 1, 0, -1):
        match = _HEADING.match(lines[number - 1])
        if match and len(match["hashes"]) <= 2:
            start = number
            break
    for number in range(line + 1, len(lines) + 1):
        match = _HEADING.match(lines[number - 1])
        if match and len(match["hashes"]) <= 2:
            end = number - 1
            break
    return start, end


def _has_synthetic_callout(doc: Document, start: int, end: int) -> bool:
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


def check_synthetic(doc: Document) -> list[Problem]:
    """Synthetic artifacts carry "synthetic sample" in the caption and a callout in the section."""
    problems = []
    places = []
    for cell in doc.cells:
        for function, name in artifact_calls(cell.code):
            art = artifacts.REGISTRY.get(name)
            if art is None or not art.synthetic:
                continue
            places.append((cell.start, name))
            if function in ("figure", "table"):
                option = "fig-cap" if function == "figure" else "tbl-cap"
                caption = str(cell.options.get(option) or "")
                if "synthetic sample" not in caption.lower():
                    problems.append(
                        Problem(
                            doc.name,
                            cell.start,
                            "synthetic",
                            f"{option} of a cell showing {name!r} does not say 'synthetic sample'",
                        )
                    )
    places += [
        (line, name)
        for line, code in inline_expressions(doc)
        for _, name in artifact_calls(code)
        if name in artifacts.REGISTRY and artifacts.REGISTRY[name].synthetic
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


def check_statistics(doc: Document) -> list[Problem]:
    """Chapter prose carries no statistic typed by hand: numbers come from inline expressions."""
    return [
        Problem(
            doc.name,
            doc.line_of(offset),
            "statistic",
            f"hand-typed {rule} {token!r}: compute it with an inline `{{python}} book.value(...)`, "
            "or quote the source with a citation",
        )
        for offset, rule, token in hand_typed_numbers(doc.prose)
    ]


# --- all checks -----------------------------------------------------------------------------


def lint_book(root: Path | None = None) -> list[Problem]:
    """Every static check over the whole book; an empty list means the book is clean."""
    root = root or paths.root
    problems = check_listing(root)
    bib = root / "references.bib"
    keys = datapackage.bib_keys(bib) if bib.exists() else frozenset()
    files = [p for p in book_files(root) if p.exists()]
    docs = [parse(path, root) for path in files]
    problems += check_crossrefs(docs)
    for doc in docs:
        problems += check_citations(doc, keys)
        problems += check_cells(doc)
        problems += check_synthetic(doc)
        problems += check_statistics(doc)
    return problems
