"""Command line: ``python -m analysis [--data DIR] [--cache DIR] [--results DIR] [--debug] CMD``.

Each command lives in its own module with ``add_arguments(parser)`` and ``run(args) -> int``;
only the chosen one is imported, so ``validate`` does not pay for statsmodels.
Exit codes: 0 success, 1 a check failed, 2 usage error, 3 a required tool is missing, 130
interrupted (Ctrl-C), 143 terminated (SIGTERM); either way staged files are removed.

The folder options are accepted before or after the command name, by every command: they set
``analysis.paths`` (and the environment variables it reads, so chapter kernels and other child
processes use the same folders). Every failure is one located message on stderr; a traceback
is printed only with ``--debug``.
"""

from __future__ import annotations

import argparse
import importlib
import importlib.util
import os
import signal
import sys
import traceback

from analysis import atomic
from analysis.cli import COMMANDS, run_command
from analysis.errors import (
    EXIT_CHECK_FAILED,
    EXIT_USAGE,
    AnalysisError,
    UsageError,
)

PROBLEMS_SHOWN = 20
FOLDER_OPTIONS = {
    "--data": "data package folder (datapackage.json and its files); env ANALYSIS_DATA_DIR",
    "--cache": "artifact cache folder; env ANALYSIS_CACHE_DIR",
    "--results": "folder results are written to; env ANALYSIS_RESULTS_DIR",
}


def split_global(argv: list[str]) -> tuple[dict[str, str], bool, list[str]]:
    """Take the folder options and ``--debug`` out of ``argv``, wherever they stand.

    Everything after a bare ``--`` is left alone (it belongs to the command).
    """
    folders: dict[str, str] = {}
    debug = False
    rest: list[str] = []
    i = 0
    while i < len(argv):
        arg = argv[i]
        if arg == "--":
            rest += argv[i:]
            break
        name, eq, value = arg.partition("=")
        if name in FOLDER_OPTIONS:
            if not eq:
                if i + 1 >= len(argv) or argv[i + 1].startswith("--"):
                    raise UsageError(f"{name} needs a folder, e.g. {name} DIR")
                value = argv[i + 1]
                i += 1
            if not value:
                raise UsageError(f"{name} needs a folder, found an empty value")
            folders[name] = value
        elif arg == "--debug":
            debug = True
        else:
            rest.append(arg)
        i += 1
    return folders, debug, rest


def main(argv: list[str] | None = None) -> int:
    argv = sys.argv[1:] if argv is None else list(argv)
    debug = "--debug" in argv or os.environ.get("ANALYSIS_DEBUG") == "1"
    previous = os.environ.get("ANALYSIS_DEBUG")
    on_term = atomic.terminate_like_ctrl_c()
    try:
        return _main(argv)
    except KeyboardInterrupt as exc:  # Ctrl-C, or SIGTERM as Terminated
        return atomic.stopped(exc)
    except UsageError as exc:
        _report(exc, debug)
        return EXIT_USAGE
    except AnalysisError as exc:
        _report(exc, debug)
        return EXIT_CHECK_FAILED
    except (OSError, MemoryError, RecursionError) as exc:
        _report(exc, debug, kind=type(exc).__name__)
        return EXIT_CHECK_FAILED
    except Exception as exc:  # the last line of defence: one message, no traceback
        _report(exc, debug, kind=f"unexpected {type(exc).__name__}")
        if not debug:
            print("(this is a bug: re-run with --debug and report the traceback)", file=sys.stderr)
        return EXIT_CHECK_FAILED
    finally:  # main() called in-process (tests) leaves the environment as it found it
        if on_term is not None:
            signal.signal(signal.SIGTERM, on_term)
        if previous is None:
            os.environ.pop("ANALYSIS_DEBUG", None)
        else:
            os.environ["ANALYSIS_DEBUG"] = previous


def _report(exc: BaseException, debug: bool, kind: str | None = None) -> None:
    if debug:
        traceback.print_exception(exc, file=sys.stderr)
    prefix = f"error ({kind})" if kind else "error"
    problems = getattr(exc, "problems", None)
    if problems and len(problems) > 1:
        for problem in problems[:PROBLEMS_SHOWN]:
            print(f"{prefix}: {problem}", file=sys.stderr)
        if len(problems) > PROBLEMS_SHOWN:
            print(f"{prefix}: ... and {len(problems) - PROBLEMS_SHOWN} more", file=sys.stderr)
        return
    print(f"{prefix}: {exc}", file=sys.stderr)


def _main(argv: list[str]) -> int:
    from analysis import paths
    from analysis.cli import folders as folder_checks

    folders, debug, argv = split_global(argv)
    if debug:
        os.environ["ANALYSIS_DEBUG"] = "1"
    parser = argparse.ArgumentParser(
        prog="python -m analysis",
        description=__doc__.splitlines()[0],
        epilog="Options accepted by every command: "
        + "; ".join(f"{k} DIR: {v}" for k, v in FOLDER_OPTIONS.items())
        + "; --debug: print tracebacks.",
    )
    sub = parser.add_subparsers(dest="command", metavar="command")
    available = {}
    for name, (module_name, help_text) in COMMANDS.items():
        if importlib.util.find_spec(module_name) is None:
            continue
        available[name] = module_name
        sub.add_parser(name, help=help_text, description=help_text)
    if not argv or argv[0] not in available:
        parser.print_help(sys.stderr if argv else sys.stdout)
        if argv and argv[0] not in ("-h", "--help"):
            print(f"\nunknown command {argv[0]!r}", file=sys.stderr)
            return EXIT_USAGE
        return 0
    data, cache, results = folder_checks.checked(folders)
    saved = paths.settings()
    # options override; otherwise the current folders (environment or defaults) are kept
    paths.configure(data or paths.data, cache or paths.cache, results or paths.results, export=True)
    try:
        return run_command(argv[0], argv[1:])
    finally:  # main() called in-process (tests) leaves the folders as it found them
        paths.restore(saved)


if __name__ == "__main__":
    sys.exit(main())
