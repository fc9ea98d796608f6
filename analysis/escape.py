"""The book's one escaping policy: text that comes from data reaches the page as inert text.

Every route by which data text enters a chapter goes through here: inline values
(``book.value``), table cells and notes (``book.table``), provenance lines and captions
(``book.made_by``), the data callouts (``book.data_note``) and text drawn into
figures (``figure_text``). Quarto inserts a ``text/markdown`` output into the document before
Pandoc reads it, and then runs its own shortcode and cross-reference processing, so data text
must be inert for three readers at once: HTML, Pandoc Markdown and Quarto.

The rule, for Markdown (``inline``): every ASCII punctuation character except ``,`` and ``%``
is backslash-escaped. Pandoc's Markdown (``all_symbols_escapable``) reads a backslash before any
ASCII punctuation as that character, literally, so nothing can open a tag (``<``), an entity
(``&``), a link or image (``[``, ``!``), a code span (backtick), math (``$``), a citation (``@``),
a shortcode (``{{<``), an attribute block (``{``), emphasis (``*``, ``_``) or a list or
heading at the start of a line. Line breaks become spaces (no new block can start), other
control characters and the Unicode bidirectional controls (which can reorder what a reader
sees) are shown as visible ``<U+202E>`` marks instead of acting. Letters, digits, spaces, ``,``
and ``%`` are never special, so "1,234", "45%" and "Beijing (北京)" read normally (the
brackets come back from their escapes). ``table_cell`` is the same for a pipe-table cell,
where ``|`` is already escaped. Hand-written because no library offers "make any text inert
for Pandoc Markdown and Quarto"; markdown-it or html.escape alone each cover one reader.

For the PDF (Typst), Pandoc escapes Typst's special characters, but not a line-start marker at
the start of a table cell or note (``[/ x]``): Typst would read ``/ term: definition`` as a
term list (``/ x`` alone stops it: "expected colon"), ``- x`` and ``+ x`` and ``1. x`` as lists,
``= x`` as a heading. Text starting with such a marker gets an invisible WORD JOINER (U+2060)
before it, so the marker no longer starts a line in any format.

For figures (``figure_text``), matplotlib reads text between two ``$`` as mathtext (a
``$\foo$`` in a source name stops the figure): every ``$`` is escaped.
"""

from __future__ import annotations

import re
import string

# Characters that reorder displayed text (bidi embeddings, overrides, isolates and marks).
BIDI_CONTROLS = frozenset(
    "\u061c\u200e\u200f\u202a\u202b\u202c\u202d\u202e\u2066\u2067\u2068\u2069"
)
# Never special in Pandoc Markdown, Quarto or HTML text, and common in numbers.
_PLAIN_PUNCTUATION = frozenset(",%")
_ESCAPED = frozenset(string.punctuation) - _PLAIN_PUNCTUATION
_LINE_BREAKS = re.compile(r"\r\n|[\r\n\u2028\u2029\x0b\x0c\x85]")
# Typst's markers at the start of a line: term list, bullet, numbered list, heading.
TYPST_LINE_START = re.compile(r"\s*(?:[-+/]|=+|[0-9]+\.)(?:\s|$)")
WORD_JOINER = "\u2060"


def _visible(char: str) -> str:
    return f"\\<U+{ord(char):04X}\\>"


def _inert(char: str) -> str:
    if char in _ESCAPED:
        return "\\" + char
    if char in BIDI_CONTROLS or (char != "\t" and _is_control(char)):
        return _visible(char)
    if char == "\t":
        return " "
    return char


def _is_control(char: str) -> bool:
    code = ord(char)
    return code < 0x20 or 0x7F <= code < 0xA0


def inline(text: object) -> str:
    """Data text as inert inline Pandoc Markdown that renders as the same characters."""
    flat = _LINE_BREAKS.sub(" ", str(text))
    guard = WORD_JOINER if TYPST_LINE_START.match(flat) else ""
    return guard + "".join(_inert(char) for char in flat)


def table_cell(text: object) -> str:
    """Data text for one cell of a pipe table (``|`` is escaped like all punctuation)."""
    return inline(text)


def figure_text(text: object) -> str:
    """Data text drawn into a matplotlib figure: ``$`` would start mathtext, control and
    bidirectional characters would reorder or garble the label."""
    flat = _LINE_BREAKS.sub(" ", str(text))
    out = []
    for char in flat:
        if char == "$":
            out.append(r"\$")
        elif char in BIDI_CONTROLS or _is_control(char):
            out.append(f"<U+{ord(char):04X}>")
        else:
            out.append(char)
    return "".join(out)
