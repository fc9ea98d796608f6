"""Stage 2, topics: one module per chapter topic, pure functions from loaded data to results.

Documented data: ``timeline``, ``diffusion`` (a package: counts, growth, logistic fit, shares,
WeChat), ``reach`` (followers and ranking places of police accounts), ``coverage``. The
synthetic (or a real) engagement sample: ``sample`` (its description), ``content``,
``engagement``, ``responsiveness``, ``audience``, ``robustness``.
Shared model machinery sits beside them: ``modelframe`` (from posts to the models' cells),
``inference`` (tests and intervals), ``model_results`` (values, tables and figures from the
fits), ``figures`` (the book's one plotting style) and ``inputs`` (the shared missing-column
check).

May import: the base modules and ``analysis.data``. Never the findings, the pipeline or the book:
a function here receives what it needs as arguments and returns plain data.
"""
