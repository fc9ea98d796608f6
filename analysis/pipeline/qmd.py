"""Read a Quarto ``.qmd`` file the way Quarto's Jupyter engine sees it, without Quarto.

A document is its YAML front matter plus, in document order, markdown chunks and executable
code cells. A cell is a fenced block whose info string is in braces (```` ```{python} ````);
its leading ``#|`` lines are YAML options (``label``, ``eval``, ``error``, ...) that Quarto
strips before sending the code to the kernel. Inline expressions (`` `{python} expr` ``) are
found in the markdown with the same rule as Quarto's Jupyter engine, which evaluates them
chunk by chunk in document order. Book-level build tools (kernel, freeze, book_check, bench)
use this module; the analysis package proper never does.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml

from analysis import paths
from analysis.errors import AnalysisError

_CELL_OPEN = re.compile(r"^(?P<indent>[\t >]*)(?P<fence>`{3,})\s*\{(?P<info>[=A-Za-z][^}]*)\}\s*$")
_FENCE = re.compile(r"^(?P<indent>[\t >]*)(?P<fence>`{3,}|~{3,})(?P<rest>.*)$")
_OPTION = re.compile(r"^#\s*\| ?")
# Quarto's rule (src/resources/jupyter/notebook.py): a backtick not preceded by a backtick.
INLINE = re.compile(r"(?:^|[^`])`\{python\}[ \t]([^`]+)`", re.MULTILINE)


class QmdError(AnalysisError):
    """A .qmd file cannot be read: bad front matter, unclosed cell or malformed cell options."""


@dataclass(frozen=True)
class Cell:
    """One executable code cell."""

    number: int  # 1-based among the document's executable cells
    line: int  # 1-based line of the opening fence in the .qmd
    language: str
    source: str  # the cell's text, option lines included
    options: dict[str, Any]
    code_line: int  # 1-based .qmd line of the first line Quarto sends to the kernel

    @property
    def code(self) -> str:
        """The code Quarto sends to the kernel: the source without the leading option lines."""
        lines = self.source.splitlines()
        return "\n".join(lines[self.code_line - self.line - 1 :])

    @property
    def label(self) -> str | None:
        label = self.options.get("label")
        return None if label is None else str(label)

    def describe(self) -> str:
        """How error messages name the cell: its label if any, else its number, with the line."""
        name = f"cell '{self.label}'" if self.label else f"cell {self.number}"
        return f"{name} (line {self.line})"


@dataclass(frozen=True)
class Inline:
    """One inline expression, `` `{python} expr` ``."""

    line: int
    expression: str

    def describe(self) -> str:
        return f"inline expression `{self.expression}` (line {self.line})"


@dataclass(frozen=True)
class Markdown:
    """Markdown between two cells (what Quarto turns into one notebook markdown cell)."""

    line: int
    text: str
    inlines: tuple[Inline, ...]


@dataclass
class Document:
    """A parsed .qmd: front matter and markdown chunks and cells in document order."""

    path: Path
    text: str
    front_matter: dict[str, Any]
    parts: list[Cell | Markdown] = field(default_factory=list)

    @property
    def cells(self) -> list[Cell]:
        return [p for p in self.parts if isinstance(p, Cell)]

    @property
    def markdown(self) -> list[Markdown]:
        return [p for p in self.parts if isinstance(p, Markdown)]

    @property
    def inlines(self) -> list[Inline]:
        return [i for m in self.markdown for i in m.inlines]

    @property
    def language(self) -> str:
        """The kernel language; Quarto's ``jupyter:`` key names a kernel, python3 by default."""
        return "python"

    @property
    def execute_options(self) -> dict[str, Any]:
        options = self.front_matter.get("execute") or {}
        return options if isinstance(options, dict) else {}

    def executable_cells(self, project_execute: dict[str, Any] | None = None) -> list[Cell]:
        """The cells Quarto would run: python cells whose ``eval`` is not false."""
        default = {**(project_execute or {}), **self.execute_options}.get("eval", True)
        return [c for c in self.cells if c.options.get("eval", default) is not False]

    def has_code(self) -> bool:
        """Whether anything in the document runs in a kernel (cells or inline expressions)."""
        return bool(self.executable_cells() or self.inlines)

    def display_name(self) -> str:
        return relative_name(self.path)


def relative_name(path: Path) -> str:
    """A chapter's path relative to the project root when possible (for messages and keys)."""
    try:
        return path.resolve().relative_to(paths.root.resolve()).as_posix()
    except ValueError:
        return path.as_posix()


# libyaml's loader when the wheel has it: the same documents, several times faster (a render
# reads every cell's options three times: lint, static check, freeze).
_YAML_LOADER = getattr(yaml, "CSafeLoader", yaml.SafeLoader)
# Parsed files, by (path, mtime, size, inode): an edited or replaced file is parsed again.
_PARSED: dict[tuple[str, int, int, int], Document] = {}


def _load_yaml(text: str) -> Any:
    return yaml.load(text, Loader=_YAML_LOADER)  # a safe loader (libyaml or pure Python)


def parse(path: Path, text: str | None = None) -> Document:
    """Parse a .qmd file (or ``text`` given for it) into a Document. A file is parsed once per
    process while it is unchanged; nothing mutates a Document after parsing."""
    if text is not None:
        return _parse(path, text)
    try:
        stat = path.stat()
    except FileNotFoundError:
        raise QmdError(f"{path}: chapter file missing") from None
    memo = (str(path.resolve()), stat.st_mtime_ns, stat.st_size, stat.st_ino)
    if memo not in _PARSED:
        _PARSED[memo] = _parse(path, None)
    return _PARSED[memo]


def _parse(path: Path, text: str | None) -> Document:
    if text is None:
        try:
            text = path.read_text(encoding="utf-8")
        except FileNotFoundError:
            raise QmdError(f"{path}: chapter file missing") from None
        except UnicodeDecodeError as exc:
            raise QmdError(f"{path}: not UTF-8 text ({exc.reason} at byte {exc.start})") from None
    text = text.replace("\r\n", "\n")
    lines = text.split("\n")
    front, start = _front_matter(path, lines)
    doc = Document(path, text, front)
    language = "python"
    markdown: list[str] = []
    markdown_start = start + 1
    number = 0
    i = start
    while i < len(lines):
        line = lines[i]
        opened = _CELL_OPEN.match(line)
        if opened and not opened.group("info").startswith("="):
            end = _closing(lines, i, opened.group("indent"), opened.group("fence"))
            if end is None:
                raise QmdError(f"{path}, line {i + 1}: code cell is never closed")
            info = opened.group("info").strip()
            cell_language = re.split(r"[\s,]", info, maxsplit=1)[0].lower()
            if cell_language == language:
                _flush(doc, markdown, markdown_start)
                number += 1
                doc.parts.append(_cell(path, lines, i, end, opened.group("indent"), number))
                markdown, markdown_start = [], end + 2
            else:
                markdown += lines[i : end + 1]
            i = end + 1
            continue
        fenced = _FENCE.match(line)
        if fenced:
            # A plain fenced block (```python, ~~~): copied as markdown, never executed.
            end = _closing(lines, i, fenced.group("indent"), fenced.group("fence"))
            stop = len(lines) - 1 if end is None else end
            markdown += lines[i : stop + 1]
            i = stop + 1
            continue
        markdown.append(line)
        i += 1
    _flush(doc, markdown, markdown_start)
    return doc


def _front_matter(path: Path, lines: list[str]) -> tuple[dict[str, Any], int]:
    """The YAML header (empty when there is none) and the index of the first body line."""
    if not lines or lines[0].strip() != "---":
        return {}, 0
    for end in range(1, len(lines)):
        if lines[end].strip() in ("---", "..."):
            try:
                front = _load_yaml("\n".join(lines[1:end])) or {}
            except yaml.YAMLError as exc:
                raise QmdError(f"{path}: front matter is not valid YAML: {exc}") from None
            if not isinstance(front, dict):
                raise QmdError(f"{path}: front matter is not a YAML mapping")
            return front, end + 1
    raise QmdError(f"{path}, line 1: front matter is never closed with ---")


def _closing(lines: list[str], start: int, indent: str, fence: str) -> int | None:
    """Index of the line closing the fence opened at ``start``."""
    closer = re.compile(rf"^{re.escape(indent)}{re.escape(fence[0])}{{{len(fence)},}}\s*$")
    for j in range(start + 1, len(lines)):
        if closer.match(lines[j]):
            return j
    return None


def _cell(path: Path, lines: list[str], start: int, end: int, indent: str, number: int) -> Cell:
    body = [
        line[len(indent) :] if line.startswith(indent) else line for line in lines[start + 1 : end]
    ]
    option_lines = []
    for line in body:
        match = _OPTION.match(line)
        if not match:
            break
        option_lines.append(re.sub(r":\s+$", ":", line[match.end() :]))
    options: dict[str, Any] = {}
    if option_lines:
        try:
            loaded = _load_yaml("\n".join(option_lines))
        except yaml.YAMLError as exc:
            raise QmdError(
                f"{path}, line {start + 2}: cell options (#| lines) are not valid YAML: {exc}"
            ) from None
        if not isinstance(loaded, dict):
            raise QmdError(
                f"{path}, line {start + 2}: cell options (#| lines) must be 'key: value' pairs"
            )
        options = loaded
    return Cell(
        number=number,
        line=start + 1,
        language="python",
        source="\n".join(body),
        options=options,
        code_line=start + 2 + len(option_lines),
    )


def _flush(doc: Document, markdown: list[str], start: int) -> None:
    """Add a markdown chunk, with its inline expressions and their line numbers."""
    text = "\n".join(markdown)
    if not text.strip():
        return
    found = []
    for match in INLINE.finditer(text):
        line = start + text.count("\n", 0, match.start(1))
        found.append(Inline(line, match.group(1).strip()))
    doc.parts.append(Markdown(start, text, tuple(found)))


# --- the book's table of contents ---------------------------------------------------------


def book_chapters(config: Path | None = None) -> list[Path]:
    """Every file ``_quarto.yml`` lists (chapters, then appendices) in book order."""
    config = config or paths.quarto_config
    try:
        data = _load_yaml(config.read_text(encoding="utf-8")) or {}
    except FileNotFoundError:
        raise QmdError(f"{config}: Quarto project file missing") from None
    except yaml.YAMLError as exc:
        raise QmdError(f"{config}: not valid YAML: {exc}") from None
    book = data.get("book") if isinstance(data, dict) else None
    if not isinstance(book, dict):
        raise QmdError(f"{config}: no 'book:' section (expected a Quarto book project)")
    found: list[str] = []
    for section in ("chapters", "appendices"):
        _collect(book.get(section) or [], found, config, section)
    return [config.parent / name for name in found]


def _collect(entries: Any, found: list[str], config: Path, section: str) -> None:
    if not isinstance(entries, list):
        raise QmdError(f"{config}: book.{section} must be a list, found {type(entries).__name__}")
    for entry in entries:
        if isinstance(entry, str):
            found.append(entry)
        elif isinstance(entry, dict):
            part = entry.get("part")
            if isinstance(part, str) and part.endswith((".qmd", ".md", ".ipynb")):
                found.append(part)
            _collect(entry.get("chapters") or [], found, config, section)
        else:
            raise QmdError(f"{config}: unexpected entry in book.{section}: {entry!r}")


def project_execute_options(config: Path | None = None) -> dict[str, Any]:
    """The project-wide ``execute:`` options of _quarto.yml (empty when absent)."""
    config = config or paths.quarto_config
    if not config.exists():
        return {}
    data = _load_yaml(config.read_text(encoding="utf-8")) or {}
    options = data.get("execute") if isinstance(data, dict) else None
    return options if isinstance(options, dict) else {}
