"""The pipeline: what runs the stages and checks their output, from a registered computation
to a verified number on a page.

Named for what it does, not ``build/``: that is the conventional name of a build-output folder
(the standard Python ``.gitignore`` ignores every folder called ``build/``, and tools that skip
build outputs would skip this source), and nothing here is an output.

``store`` is the artifact store: its ``registry`` lists every result the book shows (this
report's entries), and the store looks them up, computes what is missing (keyed by content) and
verifies what it serves; ``verdicts`` hands cached evidence to the findings; ``kernel`` and ``qmd``
execute and read chapters; ``freeze`` knows which frozen chapters are stale; ``manifest`` and
``reproduce`` give a reviewer the re-run verdict; ``book_lint`` and ``book_check`` check the
book without Quarto. The benchmarks that measure all this live outside the package, in the
top-level ``benchmarks/`` folder.

Could it serve another report unchanged? All of it but ``store/registry.py`` (this report's list
of artifacts) and ``verdicts.py`` (the glue to this report's findings) is generic: it reads
chapters, artifacts and data through the registry and ``analysis.paths``.

May import: the base modules, ``analysis.data``, ``analysis.topics`` (only ``figures``, which
turns a figure into PNG: the registry names topic functions as strings, imported by name when
computed), ``analysis.findings`` and this package. Never ``analysis.book``, ``analysis.cli`` or
``benchmarks``.
"""
