"""The parts of cache keys and chapter fingerprints that no other test moves on its own.

An artifact shown by a renderer (a figure) must be recomputed when the renderer's code changes,
although its own module did not; a frozen chapter must go stale when the code chapters call
(``analysis.book``) changes, although no artifact did. Each test changes the code hash of that
one module only and checks that exactly the keys that should move, move.
(The import closure of an artifact's own module is tested in tests/test_cache_integrity.py.)
"""

from __future__ import annotations

from pathlib import Path

import pytest

from analysis import paths
from analysis.pipeline import freeze, qmd
from analysis.pipeline.store import entries, keys, registry


def _code_hash_with_edit(monkeypatch: pytest.MonkeyPatch, edited: str) -> None:
    """Make ``edited`` look changed: its code hash differs, every other module's is the same."""
    real = keys.code_hash
    monkeypatch.setattr(
        keys, "code_hash", lambda module: f"edited-{module}" if module == edited else real(module)
    )


def test_a_figure_key_follows_its_renderer_and_others_do_not(monkeypatch):
    shown = [
        n
        for n, a in registry.REGISTRY.items()
        if a.kind in entries.RENDERERS and a.module != entries.RENDERERS[a.kind]
    ]
    plain = [
        n
        for n, a in registry.REGISTRY.items()
        if a.kind not in entries.RENDERERS
        and not a.depends
        and a.module not in entries.RENDERERS.values()
    ]
    assert shown and plain, "expected figures and plain artifacts in the registry"
    figure, values = shown[0], plain[0]
    renderer = entries.RENDERERS[registry.get(figure).kind]
    before = {figure: keys.key(figure), values: keys.key(values)}
    _code_hash_with_edit(monkeypatch, renderer)
    assert keys.key(figure) != before[figure], f"{figure} ignores its renderer {renderer}"
    assert keys.key(values) == before[values]


def test_a_chapter_fingerprint_follows_the_book_code(monkeypatch):
    chapter = paths.root / "chapters" / "03-coverage.qmd"
    use = freeze.usage(qmd.parse(chapter))
    assert use.has_code
    before = freeze.fingerprint(use)
    _code_hash_with_edit(monkeypatch, "analysis.other_module")
    assert freeze.fingerprint(use) == before
    _code_hash_with_edit(monkeypatch, "analysis.book")
    after = freeze.fingerprint(use)
    assert freeze.digest(after) != freeze.digest(before)
    assert "reader" in freeze.changed_parts(before, after)


def test_every_key_follows_the_code_that_writes_table_json(monkeypatch):
    """``entries`` writes table.json (its format: cells, note, the citing columns); a cached
    table of an earlier format must never be served, so every key moves when it changes."""
    tables = sorted(n for n, a in registry.REGISTRY.items() if a.kind == "table")
    before = {name: keys.key(name) for name in tables}
    writer = Path(entries.__file__).resolve()
    real = keys.file_hash
    monkeypatch.setattr(
        keys, "file_hash", lambda path: "edited" if path.resolve() == writer else real(path)
    )
    assert all(keys.key(name) != before[name] for name in tables)
