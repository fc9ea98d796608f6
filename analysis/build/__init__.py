"""The build tooling: artifact registry and cache, chapter execution, freeze, manifest, lint.

``artifacts`` lists every result the book shows (this report's entries) and ``cache`` stores
them by content; ``verdicts`` hands cached evidence to the findings; ``kernel`` and ``qmd``
execute and read chapters; ``freeze`` knows which frozen chapters are stale; ``manifest`` and
``reproduce`` give a reviewer the re-run verdict; ``book_lint`` and ``book_check`` check the
book without Quarto; ``bench`` and ``bench_models`` measure it.

Could it serve another report unchanged? All of it but ``artifacts.py`` (this report's list of
artifacts), ``verdicts.py`` (the glue to this report's findings) and ``bench_models.py`` (this
report's models) is generic: it reads chapters, artifacts and data through the registry and
``analysis.paths``.

May import: the base modules, ``analysis.data``, ``analysis.topics`` (bench_models only; the
registry names topic functions as strings), ``analysis.findings`` and this package. Never
``analysis.book`` or ``analysis.cli``.
"""
