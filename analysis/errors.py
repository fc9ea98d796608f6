"""Project exception types and the exit codes the command line returns.

Every error about bad input names the file, and where there is one the row and the field, with
what was expected and what was found, so a reader can fix the input without a debugger.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

EXIT_OK = 0
EXIT_CHECK_FAILED = 1  # a check ran and found a problem (invalid data, changed number)
EXIT_USAGE = 2  # the command was called wrongly
EXIT_MISSING_TOOL = 3  # an external tool (Quarto) is not available
EXIT_INTERRUPTED = 130  # Ctrl-C (SIGINT); SIGTERM gives 143, as a shell reports it
EXIT_TERMINATED = 143


class Terminated(KeyboardInterrupt):
    """SIGTERM, raised like Ctrl-C so every ``finally`` runs and staged files are removed."""


class AnalysisError(Exception):
    """Base class of every error the project raises on purpose."""


@dataclass
class DataProblem:
    """One thing wrong with one data file, located as precisely as the check allows."""

    file: str
    problem: str
    expected: str
    found: str
    row: int | None = None  # 1-based data row (the header is row 0)
    field: str | None = None

    def __str__(self) -> str:
        where = self.file
        if self.row is not None:
            where += f", row {self.row} (line {self.row + 1})"
        if self.field is not None:
            where += f", field '{self.field}'"
        return f"{where}: {self.problem}: expected {self.expected}, found {self.found}"


class DataValidationError(AnalysisError):
    """A data file does not match its descriptor entry; carries every problem found."""

    def __init__(self, problems: list[DataProblem]):
        self.problems = problems
        first = str(problems[0]) if problems else "unknown problem"
        more = f" (and {len(problems) - 1} more problems)" if len(problems) > 1 else ""
        super().__init__(first + more)

    @classmethod
    def single(cls, file: str | Path, problem: str, expected: str, found: str, **where):
        return cls([DataProblem(str(file), problem, expected, found, **where)])


class UsageError(AnalysisError):
    """The command was called wrongly (a bad option value, a folder that cannot be used)."""


class NotAvailable(AnalysisError):
    """A result cannot be computed on these data (say, a sample without WeChat accounts): the
    book shows the reason in a callout and the claim's verdict says "not available"."""


class ModelInputError(NotAvailable):
    """The data handed to a model cannot identify it (empty group, constant column, ...): the
    result is not available with these data, and the book says so instead of failing."""


class ReproductionError(AnalysisError):
    """A re-run produced numbers that differ from the committed manifest."""
