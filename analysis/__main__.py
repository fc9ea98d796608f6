"""Command line: ``python -m analysis <command>``.

Each command lives in its own module with ``add_arguments(parser)`` and ``run(args) -> int``;
only the chosen one is imported, so ``validate`` does not pay for statsmodels.
Exit codes: 0 success, 1 a check failed, 2 usage error, 3 a required tool is missing.
"""

from __future__ import annotations

import argparse
import importlib
import importlib.util
import sys

from analysis.cli import COMMANDS
from analysis.errors import EXIT_CHECK_FAILED, EXIT_USAGE, AnalysisError


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m analysis", description=__doc__.splitlines()[0])
    sub = parser.add_subparsers(dest="command", metavar="command")
    available = {}
    for name, (module_name, help_text) in COMMANDS.items():
        if importlib.util.find_spec(module_name) is None:
            continue
        available[name] = module_name
        sub.add_parser(name, help=help_text, description=help_text)
    argv = sys.argv[1:] if argv is None else argv
    if not argv or argv[0] not in available:
        parser.print_help(sys.stderr if argv else sys.stdout)
        return EXIT_USAGE if argv else 0
    module = importlib.import_module(available[argv[0]])
    command_parser = argparse.ArgumentParser(
        prog=f"python -m analysis {argv[0]}", description=COMMANDS[argv[0]][1]
    )
    module.add_arguments(command_parser)
    args = command_parser.parse_args(argv[1:])
    try:
        return int(module.run(args))
    except AnalysisError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return EXIT_CHECK_FAILED


if __name__ == "__main__":
    sys.exit(main())
