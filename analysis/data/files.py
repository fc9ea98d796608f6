"""Confined, bounded access to the files of a data package, checked before anything is parsed.

Every resource path is resolved against the package folder and refused unless it is relative,
stays inside the folder once ``..`` and symlinks are resolved, and names a regular file (not a
directory, a device such as /dev/zero or a pipe). Size and longest line are checked against
limits before the bytes are handed to a parser, so a huge or single-line file is refused in
milliseconds. Messages name the path as written in the descriptor and never quote the content
of a file, so nothing outside the project leaks through an error.

Limits default to ``DEFAULT_LIMITS`` and may be raised per resource in the descriptor with a
project extension: ``"limits": {"bytes": N, "lineBytes": N}``.

Schema ``pattern`` constraints are evaluated on every cell, and a backtracking matcher has no
match timeout, so ``check_pattern`` admits only a safe subset that matches in time linear in
the cell: no nested or alternated repetition, at most one unbounded repeat, no backreferences
or lookaround. The cells are pyarrow strings, so RE2 runs the pattern: a pattern RE2 refuses
(``x*+``) or reads otherwise than Python (``{,n}``, literal text to RE2) is refused too.
"""

from __future__ import annotations

import hashlib
import os
import re
import shutil
import stat
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path, PurePosixPath
from typing import Any, BinaryIO

from analysis.errors import DataProblem, DataValidationError

DEFAULT_LIMITS = {"bytes": 1 << 30, "lineBytes": 1 << 16}  # 1 GiB per file, 64 KiB per line
DESCRIPTOR_MAX_BYTES = 16 << 20
TEXT_MAX_BYTES = 16 << 20  # descriptor, CHANGELOG.md, simulation.toml, references.bib, records
_CHUNK = 1 << 20
PATTERN_MAX_LENGTH = 200
PATTERN_MAX_REPEAT = 1000


def confined(base: Path, relative: Any, label: str) -> tuple[Path | None, DataProblem | None]:
    """The file ``relative`` names inside ``base``, or the problem that refuses it."""
    expected = "a relative path inside the data folder"
    if not isinstance(relative, str) or not relative.strip():
        return None, DataProblem(
            label, "resource path is not a file path", expected, repr(relative)
        )
    pure = PurePosixPath(relative)
    if "\\" in relative or pure.is_absolute() or Path(relative).is_absolute():
        return None, DataProblem(label, "resource path is absolute", expected, repr(relative))
    if ".." in pure.parts:
        return None, DataProblem(
            label, "resource path leaves the data folder", expected, repr(relative)
        )
    root = base.resolve()
    target = (root / pure).resolve()
    if target != root and root not in target.parents:
        return None, DataProblem(
            label,
            "resource path leaves the data folder through a symbolic link",
            expected,
            f"{relative!r} (a link pointing outside {base})",
        )
    return target, None


def regular_file(path: Path, label: str) -> DataProblem | None:
    """None when ``path`` is an existing regular file; else what is there instead."""
    try:
        mode = os.stat(path).st_mode
    except OSError as exc:
        return _unreadable(exc, label)
    return _not_regular(mode, label)


def _unreadable(exc: OSError, label: str) -> DataProblem:
    if isinstance(exc, FileNotFoundError):
        return DataProblem(label, "file missing", "a data file", "no file")
    found = exc.strerror or "error"
    return DataProblem(label, "file cannot be read", "a readable data file", found)


def _not_regular(mode: int, label: str) -> DataProblem | None:
    if stat.S_ISREG(mode):
        return None
    kind = "a directory" if stat.S_ISDIR(mode) else "a device, pipe or socket"
    return DataProblem(label, "not a regular file", "a regular data file", kind)


def _too_large(label: str, limit: int, found: str) -> DataProblem:
    return DataProblem(label, "file larger than its limit", f"at most {limit:,} bytes", found)


@contextmanager
def open_regular(path: Path, label: str) -> Iterator[tuple[BinaryIO, int]]:
    """The open file and its size, for regular files only: every file the project reads comes
    through here. Opened without blocking (a pipe never stalls the open) and checked on the
    open descriptor (nothing can be swapped in between); DataValidationError otherwise."""
    try:
        fd = os.open(path, os.O_RDONLY | os.O_NONBLOCK | os.O_CLOEXEC)
    except OSError as exc:
        raise DataValidationError([_unreadable(exc, label)]) from None
    try:
        status = os.fstat(fd)
        problem = _not_regular(status.st_mode, label)
        if problem:
            raise DataValidationError([problem])
        handle = os.fdopen(fd, "rb")
    except BaseException:
        os.close(fd)
        raise
    with handle:
        yield handle, status.st_size


def read_regular(path: Path, label: str, limit: int = TEXT_MAX_BYTES) -> bytes:
    """The bytes of a regular file of at most ``limit`` bytes (size checked before reading)."""
    with open_regular(path, label) as (handle, size):
        if size > limit:
            raise DataValidationError([_too_large(label, limit, f"{size:,} bytes")])
        raw = handle.read(limit + 1)
    if len(raw) > limit:  # the file grew while being read
        raise DataValidationError([_too_large(label, limit, "more")])
    return raw


def read_text(path: Path, label: str, limit: int = TEXT_MAX_BYTES) -> str:
    """``read_regular`` decoded as UTF-8, a located problem when it is not."""
    raw = read_regular(path, label, limit)
    try:
        return raw.decode("utf-8")
    except UnicodeDecodeError as exc:
        raise DataValidationError(
            [DataProblem(label, "file is not UTF-8", "UTF-8 text", f"byte offset {exc.start}")]
        ) from None


def sha256_file(path: Path, label: str | None = None, limit: int | None = None) -> str:
    """``sha256:<hex>`` of a regular file, streamed (never held in memory whole); a file above
    ``limit`` bytes is refused before it is read."""
    digest = hashlib.sha256()
    label = label or str(path)
    with open_regular(path, label) as (handle, size):
        if limit is not None and size > limit:
            raise DataValidationError([_too_large(label, limit, f"{size:,} bytes")])
        read = 0
        while chunk := handle.read(_CHUNK):
            read += len(chunk)
            if limit is not None and read > limit:
                raise DataValidationError([_too_large(label, limit, "more")])
            digest.update(chunk)
    return "sha256:" + digest.hexdigest()


def copy_regular(source: Path, target: Path, label: str, limit: int) -> None:
    """Copy a regular file of at most ``limit`` bytes (size checked before a byte is copied)."""
    with open_regular(source, label) as (handle, size):
        if size > limit:
            raise DataValidationError([_too_large(label, limit, f"{size:,} bytes")])
        with target.open("wb") as out:
            shutil.copyfileobj(_Capped(handle, limit, label), out, _CHUNK)


class _Capped:
    """A reader that refuses to go past ``limit`` bytes (a file growing while it is copied)."""

    def __init__(self, handle: BinaryIO, limit: int, label: str):
        self.handle, self.left, self.label, self.limit = handle, limit + 1, label, limit

    def read(self, size: int = -1) -> bytes:
        chunk = self.handle.read(min(size, self.left) if size >= 0 else self.left)
        self.left -= len(chunk)
        if self.left <= 0:
            raise DataValidationError([_too_large(self.label, self.limit, "more")])
        return chunk


def limits(entry: dict[str, Any]) -> dict[str, int]:
    """The resource's limits: the defaults, raised or lowered by its ``limits`` entry."""
    out = dict(DEFAULT_LIMITS)
    given = entry.get("limits")
    if isinstance(given, dict):
        for key in out:
            if isinstance(given.get(key), int) and not isinstance(given.get(key), bool):
                out[key] = given[key]
    return out


def read_bounded(
    path: Path, label: str, limit: dict[str, int]
) -> tuple[bytes | None, list[DataProblem]]:
    """The bytes of a regular file within the size and line-length limits, else the problem."""
    try:
        raw = read_regular(path, label, limit["bytes"])
    except DataValidationError as exc:
        problem = exc.problems[0]
        if problem.problem == "file larger than its limit" and problem.found != "more":
            problem.expected += " (raise limits.bytes in datapackage.json)"
        return None, [problem]
    line, length = longest_line(raw)
    if length > limit["lineBytes"]:
        return None, [
            DataProblem(
                label,
                "line longer than its limit",
                f"at most {limit['lineBytes']:,} bytes per line (raise limits.lineBytes)",
                f"{length:,} bytes at line {line}",
                row=line - 1 or None,
            )
        ]
    return raw, []


def longest_line(raw: bytes) -> tuple[int, int]:
    """(1-based line number, length in bytes) of the longest line, vectorised."""
    import numpy as np  # here, not at the top: chapters read the descriptor without numpy

    if not raw:
        return 1, 0
    ends = np.flatnonzero(np.frombuffer(raw, dtype=np.uint8) == 10)
    bounds = np.concatenate(([-1], ends, [len(raw)]))
    lengths = np.diff(bounds) - 1
    i = int(np.argmax(lengths))
    return i + 1, int(lengths[i])


_UNSAFE = {"GROUPREF", "GROUPREF_EXISTS", "ASSERT", "ASSERT_NOT", "ATOMIC_GROUP"}
_REPEATS = {"MAX_REPEAT", "MIN_REPEAT", "POSSESSIVE_REPEAT"}


def check_pattern(pattern: Any) -> str | None:
    """None when ``pattern`` is in the safe subset; else why it is refused."""
    if not isinstance(pattern, str):
        return f"a pattern must be text, found {type(pattern).__name__}"
    if len(pattern) > PATTERN_MAX_LENGTH:
        return f"pattern longer than {PATTERN_MAX_LENGTH} characters"
    try:
        import re._parser as sre_parse  # Python 3.11+
    except ImportError:  # pragma: no cover
        import sre_parse  # type: ignore[no-redef]
    try:
        parsed = sre_parse.parse(pattern)
    except re.error as exc:
        return f"not a valid regular expression ({exc})"
    unbounded = 0

    def walk(items: Any, in_repeat: bool) -> str | None:
        nonlocal unbounded
        for op, arg in items:
            name = str(op)
            if name in _UNSAFE:
                return "backreferences and lookaround are not allowed"
            if name in _REPEATS:
                _low, high, body = arg
                if in_repeat:
                    return "nested repetition is not allowed (it can take exponential time)"
                if high == sre_parse.MAXREPEAT:
                    unbounded += 1
                elif high > PATTERN_MAX_REPEAT:
                    return f"repeat counts above {PATTERN_MAX_REPEAT} are not allowed"
                problem = walk(body, True)
                if problem:
                    return problem
            elif name == "BRANCH":
                if in_repeat:
                    return "alternation inside a repetition is not allowed"
                for branch in arg[1]:
                    problem = walk(branch, in_repeat)
                    if problem:
                        return problem
            elif name == "SUBPATTERN":
                problem = walk(arg[-1], in_repeat)
                if problem:
                    return problem
        return None

    problem = walk(parsed, False)
    if problem:
        return problem
    if unbounded > 1:
        return "at most one unbounded repeat (*, +, {n,}) is allowed"
    return _re2_problem(pattern)


def _re2_problem(pattern: str) -> str | None:
    """Why RE2, which matches the cells (pyarrow strings), would read ``pattern`` otherwise
    than Python's ``re`` checked it, or refuse it (None: both read it alike)."""
    if _EMPTY_LOWER_BOUND.search(pattern):
        return "write {0,n}, not {,n}: RE2, which matches the cells, reads {,n} as literal text"
    import pyarrow as pa
    import pyarrow.compute as pc

    try:
        pc.match_substring_regex(pa.array([""], pa.string()), pattern)
    except pa.ArrowInvalid as exc:
        return f"not a regular expression RE2 accepts ({str(exc).split(': ', 1)[-1]})"
    return None


_EMPTY_LOWER_BOUND = re.compile(r"(?<!\\)\{,[0-9]")
