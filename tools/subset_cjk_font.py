"""Make the CJK fallback font the PDF uses: ``fonts/DroidSansFallback-GB2312.ttf``.

Typst, which builds the PDF, draws a character with the first font that has it and falls back to
any font it can find (``font-paths: [fonts]`` in _quarto.yml). Without a Chinese font on the
machine that renders the book, the Chinese terms in the chapters, the province names and the
Chinese titles in the bibliography would print as empty boxes, silently. This script keeps, from
Droid Sans Fallback (Apache-2.0; Debian package ``fonts-droid-fallback``), the 6,763 characters
of GB 2312 (the simplified Chinese characters in everyday use), CJK and full-width punctuation,
and every CJK character the book's sources contain today. ``tests/test_book_config.py`` fails if
a chapter, data file or reference ever holds a character the font lacks: run this again then.

    python tools/subset_cjk_font.py /usr/share/fonts/truetype/droid/DroidSansFallbackFull.ttf
"""

from __future__ import annotations

import sys
from pathlib import Path

from fontTools import subset

ROOT = Path(__file__).resolve().parents[1]
OUTPUT = ROOT / "fonts" / "DroidSansFallback-GB2312.ttf"
# Where text that reaches the PDF comes from.
SOURCES = ("index.qmd", "chapters", "data", "references.bib")


def gb2312() -> set[str]:
    """Every character of GB 2312's two hanzi levels (rows 16 to 87)."""
    found = set()
    for high in range(0xB0, 0xF8):
        for low in range(0xA1, 0xFF):
            try:
                found.add(bytes([high, low]).decode("gb2312"))
            except UnicodeDecodeError:
                continue
    return found


def is_cjk(char: str) -> bool:
    code = ord(char)
    return (
        0x3000 <= code <= 0x303F  # CJK punctuation
        or 0x3400 <= code <= 0x4DBF  # extension A
        or 0x4E00 <= code <= 0x9FFF  # unified ideographs
        or 0xF900 <= code <= 0xFAFF  # compatibility ideographs
        or 0xFF00 <= code <= 0xFFEF  # full-width forms
    )


def used_in_sources(root: Path = ROOT) -> set[str]:
    """The CJK characters in the book's chapters, data and references."""
    found: set[str] = set()
    for name in SOURCES:
        path = root / name
        files = [path] if path.is_file() else sorted(p for p in path.rglob("*") if p.is_file())
        for file in files:
            try:
                text = file.read_text(encoding="utf-8")
            except (UnicodeDecodeError, OSError):
                continue
            found |= {char for char in text if is_cjk(char)}
    return found


def main(argv: list[str]) -> int:
    if len(argv) != 1 or not Path(argv[0]).is_file():
        print(__doc__.strip().splitlines()[-1].strip(), file=sys.stderr)
        return 2
    wanted = gb2312() | used_in_sources()
    wanted |= {chr(c) for c in range(0x3000, 0x3040)} | {chr(c) for c in range(0xFF00, 0xFFF0)}
    options = subset.Options()
    options.name_IDs = ["*"]  # keep the family name and the licence notice
    options.notdef_outline = True
    font = subset.load_font(argv[0], options)
    subsetter = subset.Subsetter(options)
    subsetter.populate(unicodes=[ord(c) for c in wanted])
    subsetter.subset(font)
    OUTPUT.parent.mkdir(exist_ok=True)
    subset.save_font(font, str(OUTPUT), options)
    covered = set(map(chr, font.getBestCmap()))
    missing = "".join(sorted(used_in_sources() - covered))
    size = OUTPUT.stat().st_size / 1e6
    note = f"; missing: {missing}" if missing else ""
    print(f"wrote {OUTPUT.relative_to(ROOT)}: {len(covered):,} characters, {size:.2f} MB{note}")
    return 1 if missing else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
