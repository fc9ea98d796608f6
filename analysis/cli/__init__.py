"""Command-line entry points: ``python -m analysis <command>``, every command listed here.

Each command is a module with ``add_arguments(parser)`` and ``run(args) -> int``: the data and
findings commands live in this package; the pipeline commands (reproduce, freeze, check-book)
keep theirs beside the machinery they drive in analysis.pipeline. The benchmarks are not
commands of the package: they live in the top-level ``benchmarks/`` folder (``nox -s bench``).
Only the chosen command's module is imported, so ``validate`` does not pay for statsmodels. This
package may import every other part of analysis; nothing imports it but ``analysis.__main__``.
"""

from __future__ import annotations

import argparse
import importlib

COMMANDS = {
    "validate": ("analysis.cli.validate", "check every data resource against datapackage.json"),
    "simulate": (
        "analysis.cli.simulate",
        "regenerate or check the synthetic engagement sample",
    ),
    "data": (
        "analysis.cli.data",
        "bring your own data: init a data folder, add or stamp resource files",
    ),
    "fit": ("analysis.cli.fit", "fit every model on the bundled data and print the tables"),
    "findings": ("analysis.cli.findings", "evaluate every claim of the source documents"),
    "reproduce": ("analysis.pipeline.reproduce", "re-run every analysis and compare with results/"),
    "freeze": ("analysis.pipeline.freeze", "list chapters whose frozen results are stale"),
    "check-book": ("analysis.pipeline.book_check", "execute and lint every chapter without Quarto"),
    "prepare-render": (
        "analysis.cli.prepare_render",
        "before quarto render: kernelspec, validate, static checks, stale frozen chapters",
    ),
}


def run_command(name: str, argv: list[str]) -> int:
    """Run the command ``name`` of ``COMMANDS`` with its own arguments ``argv``, in this process
    (folders as ``analysis.paths`` has them)."""
    module = importlib.import_module(COMMANDS[name][0])
    parser = argparse.ArgumentParser(
        prog=f"python -m analysis {name}", description=COMMANDS[name][1]
    )
    module.add_arguments(parser)
    return int(module.run(parser.parse_args(argv)))
