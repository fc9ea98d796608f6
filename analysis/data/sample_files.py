"""The synthetic sample as files: byte-stable CSVs, their codebook entries, writing and checking.

``render`` turns generated frames into the exact bytes committed in ``data/synthetic/``
(fixed number formats, stable row order, ``\\n`` line endings), ``entries`` builds their
``data/datapackage.json`` resources (schema = codebook, ``synthetic: true``, generator
provenance), ``write`` stores both atomically, and ``compare`` finds the first difference
between a regenerated sample and the committed files for ``simulate --check``.
"""

from __future__ import annotations

import io
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from analysis import atomic, paths
from analysis.data import datapackage, files, simulate
from analysis.errors import DataValidationError, UsageError

RESOURCES = ("accounts", "posts")
FILES = {"accounts": "synthetic/accounts.csv", "posts": "synthetic/posts.csv"}
CHUNK_ROWS = 250_000
_DATE_UNITS = {"opened": "D", "posted_at": "s"}  # date -> YYYY-MM-DD, datetime -> ...Thh:mm:ss

SYNTHETIC_WARNING = (
    "SIMULATED DATA, NOT OBSERVATIONS: every row was drawn by analysis.data.simulate from the "
    "assumptions stated in data/simulation.toml; no row describes a real police account or post."
)


# --- CSV bytes ----------------------------------------------------------------------------


def render(frame: pd.DataFrame, progress: Callable[[int], None] | None = None) -> bytes:
    """The CSV bytes of one sample table: UTF-8, ``\\n`` line endings, fixed formats."""
    out = io.StringIO()
    for start in range(0, max(len(frame), 1), CHUNK_ROWS):
        chunk = frame.iloc[start : start + CHUNK_ROWS]
        columns = {}
        for name in frame.columns:
            values = chunk[name]
            if name in _DATE_UNITS:
                columns[name] = np.datetime_as_string(
                    values.to_numpy().astype(f"datetime64[{_DATE_UNITS[name]}]"),
                    unit=_DATE_UNITS[name],
                )
            elif isinstance(values.dtype, pd.CategoricalDtype):
                columns[name] = values.astype(str).to_numpy()
            else:
                columns[name] = values
        pd.DataFrame(columns, index=chunk.index).to_csv(
            out,
            index=False,
            header=start == 0,
            lineterminator="\n",
            na_rep="",
            float_format="%.10g",
        )
        if progress is not None:
            progress(len(chunk))
    return out.getvalue().encode("utf-8")


# --- descriptor entries -------------------------------------------------------------------


def _field(name: str, kind: str, description: str, **constraints: Any) -> dict[str, Any]:
    spec: dict[str, Any] = {"name": name, "type": kind, "description": description}
    if constraints:
        spec["constraints"] = constraints
    return spec


def _enum(name: str, values: tuple[str, ...], description: str) -> dict[str, Any]:
    return _field(name, "string", description, required=True, enum=list(values))


def _fields_accounts() -> list[dict[str, Any]]:
    return [
        _field(
            "account_id",
            "string",
            "Account identifier (SYN-A and a number in the simulated sample, which never uses "
            "a real account name).",
            required=True,
            unique=True,
            pattern="SYN-A[0-9]{4,}",
        ),
        _enum(
            "platform",
            simulate.PLATFORMS,
            "Platform: weibo (Sina Weibo microblog) or wechat (WeChat public account).",
        ),
        _enum(
            "level",
            simulate.LEVELS,
            "Administrative level of the police organ: ministry (Ministry of Public Security), "
            "provincial (provincial public security department), prefecture (prefecture-level "
            "bureau) or county (county-level bureau or district sub-bureau).",
        ),
        _enum(
            "account_type",
            simulate.ACCOUNT_TYPES,
            "bureau: the organ's official account; officer: a police officer's real-name "
            "work account.",
        ),
        _field(
            "province_code",
            "string",
            "GB/T 2260 code of the account's province (provinces.adcode); the Ministry's "
            "accounts are placed in Beijing (110000).",
            required=True,
            pattern="[1-8][0-9]0000",
        ),
        _enum(
            "region",
            simulate.REGIONS,
            "NBS four-region group of the province (provinces.region_nbs4).",
        ),
        _field(
            "opened",
            "date",
            "Date the account opened (Weibo from February 2010, WeChat from 2013); no post "
            "predates it.",
            required=True,
        ),
        _field(
            "followers",
            "integer",
            "Weibo followers at the end of the observation window; empty for WeChat accounts, "
            "whose follower counts are not public.",
            minimum=0,
        ),
        _field(
            "sampling_stratum",
            "string",
            "Sampling stratum: level/platform/account_type, plus /region for the stratified "
            "prefecture and county samples (Ministry and provincial bureaus are censuses).",
            required=True,
        ),
        _field(
            "sampling_weight",
            "number",
            "Sampling weight: accounts in the stratum's frame per sampled account (inverse "
            "inclusion probability); 1 in a census.",
            required=True,
            minimum=0,
        ),
    ]


def _fields_posts() -> list[dict[str, Any]]:
    return [
        _field(
            "post_id",
            "string",
            "Post identifier (SYN-P and a number in the simulated sample).",
            required=True,
            unique=True,
            pattern="SYN-P[0-9]{7,}",
        ),
        _field(
            "account_id",
            "string",
            "The posting account (accounts.account_id).",
            required=True,
            pattern="SYN-A[0-9]{4,}",
        ),
        _field(
            "posted_at",
            "datetime",
            "Publication time, China Standard Time (UTC+8), within the observation window "
            "and not before the account opened.",
            required=True,
        ),
        _enum(
            "category",
            simulate.CATEGORIES,
            "Content category (seed 000's four types): publicity (publicity of police "
            "affairs), services (business services), interaction (police-citizen "
            "interaction), daily_tips (daily-life tips).",
        ),
        _field(
            "reposts",
            "integer",
            "Reposts (forwards) of the post; Weibo only, empty for WeChat posts.",
            minimum=0,
        ),
        _field(
            "page_views",
            "integer",
            "Page views (reads) of the post; WeChat only, empty for Weibo posts.",
            minimum=0,
        ),
        _field("likes", "integer", "Likes of the post (both platforms).", required=True, minimum=0),
        _field(
            "comments",
            "integer",
            "Comments on the post (both platforms).",
            required=True,
            minimum=0,
        ),
        _field(
            "comments_answered",
            "integer",
            "Comments the police account answered; never more than comments.",
            required=True,
            minimum=0,
        ),
    ]


# Parameter sections of simulation.toml that shape each resource (for its sources list).
_SECTIONS = {
    "accounts": ("window", "sample", "opening", "followers"),
    "posts": ("window", "reference", "posting", "content", "engagement", "answer"),
}


def _sources(params: dict[str, Any], sections: tuple[str, ...], bib: frozenset[str]) -> list:
    """The references.bib keys the parameters of ``sections`` cite, with the citing tables."""
    cited: dict[str, list[str]] = {}

    def walk(node: Any, where: str) -> None:
        if not isinstance(node, dict):
            return
        for key in node.get("sources", []) if isinstance(node.get("sources"), list) else []:
            cited.setdefault(key, []).append(where)
        for key, value in node.items():
            walk(value, f"{where}.{key}")

    for section in sections:
        walk(params.get(section), section)
    return [
        {"title": "Basis of simulation.toml " + ", ".join(f"[{w}]" for w in where), "bibkey": key}
        for key, where in cited.items()
        if key in bib
    ]


def entries(
    payloads: dict[str, bytes],
    params: dict[str, Any],
    seed: int,
    parameters_sha256: str,
    variant: dict[str, Any] | None = None,
) -> list[dict[str, Any]]:
    """The two synthetic resource entries of the descriptor, with hashes of ``payloads``.

    ``variant`` records how an alternative sample departs from the committed one (scale,
    target sizes); it is empty for the committed sample.
    """
    start, end = params["window"]["start"], params["window"]["end"]
    generator = {
        "module": "analysis.data.simulate",
        "version": simulate.GENERATOR_VERSION,
        "parameters": "simulation.toml",
        "parameters_sha256": parameters_sha256,
        "seed": seed,
        **(variant or {}),
    }
    bib = datapackage.bib_keys()
    common = {
        "profile": "tabular-data-resource",
        "format": "csv",
        "mediatype": "text/csv",
        "encoding": "utf-8",
        "synthetic": True,
        "generator": generator,
        "licenses": [
            {
                "name": "CC-BY-4.0",
                "path": "https://creativecommons.org/licenses/by/4.0/",
                "title": "Creative Commons Attribution 4.0 (generated by this project)",
            }
        ],
    }
    accounts = {
        "name": "accounts",
        "path": FILES["accounts"],
        **common,
        "title": "SYNTHETIC police Weibo and WeChat accounts (simulated sample, not real accounts)",
        "sources": _sources(params, _SECTIONS["accounts"], bib),
        "description": (
            f"{SYNTHETIC_WARNING} Police accounts on Weibo and WeChat at ministry, provincial, "
            "prefecture and county level, bureau and officer real-name accounts, drawn as a "
            "researcher would: a census of the Ministry's and every province's bureau accounts "
            "and a stratified random sample of prefecture and county accounts in each NBS "
            "region, with sampling strata and weights. Replace this file and its entry with a "
            "real sample in the same codebook to run the report on real data."
        ),
        "schema": {
            "fields": _fields_accounts(),
            "primaryKey": ["account_id"],
            "foreignKeys": [
                {
                    "fields": ["province_code"],
                    "reference": {"resource": "provinces", "fields": ["adcode"]},
                }
            ],
        },
    }
    posts = {
        "name": "posts",
        "path": FILES["posts"],
        **common,
        "title": f"SYNTHETIC posts of the synthetic accounts, {start} to {end} (simulated)",
        "sources": _sources(params, _SECTIONS["posts"], bib),
        "description": (
            f"{SYNTHETIC_WARNING} One row per post from {start} to {end}: time, content "
            "category and engagement counts (Weibo: reposts, likes, comments; WeChat: page "
            "views, likes, comments) drawn negative binomial from a log-linear model, and the "
            "comments the department answered, drawn binomial (comments_answered <= comments)."
        ),
        "schema": {
            "fields": _fields_posts(),
            "primaryKey": ["post_id"],
            "foreignKeys": [
                {
                    "fields": ["account_id"],
                    "reference": {"resource": "accounts", "fields": ["account_id"]},
                }
            ],
        },
    }
    for entry in (accounts, posts):
        entry["hash"] = datapackage.sha256_bytes(payloads[entry["name"]])
        entry["bytes"] = len(payloads[entry["name"]])
    return [accounts, posts]


# --- building, writing and checking -------------------------------------------------------


@dataclass
class Built:
    """A rendered sample: file bytes per resource, their descriptor entries and sizes."""

    payloads: dict[str, bytes]
    entries: list[dict[str, Any]]
    accounts: int
    posts: int
    seed: int
    scale: float
    parameters_path: Path


def build(
    seed: int | None = None,
    scale: float = 1.0,
    *,
    accounts: int | None = None,
    posts: int | None = None,
    parameters_path: Path | None = None,
    progress: Callable[[str, int, int], None] | None = None,
    memory_limit: int = simulate.MEMORY_LIMIT_BYTES,
) -> Built:
    """Generate a sample from a parameter file and render it to bytes and descriptor entries.

    Nothing is written. The parameters come from the file only, so the recorded
    ``parameters_sha256`` always describes what generated the bytes.
    """
    parameters_path = parameters_path or paths.simulation_parameters
    params = simulate.load_parameters(parameters_path)
    drawn = simulate.simulate(
        params, seed, scale, accounts=accounts, posts=posts, memory_limit=memory_limit
    )
    if drawn.accounts.empty or drawn.posts.empty:  # the codebook asks for rows in each file
        raise UsageError(
            f"the sample drew {len(drawn.accounts):,} accounts and {len(drawn.posts):,} posts: "
            "expected at least one of each (a file with a header only does not validate); "
            "ask for more with --accounts, --posts or --scale"
        )
    payloads = {}
    for name, frame in (("accounts", drawn.accounts), ("posts", drawn.posts)):
        step = None
        if progress is not None:

            def step(rows: int, name: str = name, total: int = len(frame)) -> None:
                progress(name, rows, total)

        payloads[name] = render(frame, step)
    variant: dict[str, Any] = {}
    if drawn.scale != 1.0:
        variant["scale"] = round(drawn.scale, 6) if accounts is not None else drawn.scale
    if accounts is not None:
        variant["accounts_target"] = accounts
    if posts is not None:
        variant["posts_target"] = posts
    sha = simulate.parameters_sha256(parameters_path)
    return Built(
        payloads,
        entries(payloads, params, drawn.seed, sha, variant),
        len(drawn.accounts),
        len(drawn.posts),
        drawn.seed,
        drawn.scale,
        parameters_path,
    )


def write(built: Built, data_dir: Path | None = None) -> None:
    """Write the CSVs and record their entries in ``data_dir``'s descriptor, all together.

    For a folder other than data/, the project's descriptor, the documented files it lists and
    the parameter file used are copied there too, so the folder is a complete data package.
    Every file is staged first and swapped in at the end (``atomic.write_together``): an
    interrupted run leaves the previous sample and descriptor intact and consistent.
    """
    data_dir = data_dir or paths.data
    data_dir.mkdir(parents=True, exist_ok=True)
    with datapackage.writing(data_dir):
        _write(built, data_dir)


def _write(built: Built, data_dir: Path) -> None:
    descriptor_path = data_dir / "datapackage.json"
    payloads: dict[Path, bytes] = {}
    if data_dir.resolve() != paths.data.resolve():
        descriptor = _package_payloads(data_dir, payloads)
        payloads[data_dir / "simulation.toml"] = _read(built.parameters_path)
    else:
        descriptor = datapackage.read_descriptor(descriptor_path)
    for name in RESOURCES:
        payloads[datapackage.resource_path({"name": name, "path": FILES[name]}, data_dir)] = (
            built.payloads[name]
        )
    datapackage.merge_resources(descriptor, built.entries)
    payloads[descriptor_path] = datapackage.dumps(descriptor)
    atomic.write_together(payloads)


def _package_payloads(target: Path, payloads: dict[Path, bytes]) -> dict[str, Any]:
    """Stage the descriptor's non-synthetic files and CHANGELOG for ``target``.

    references.bib is not copied: the loader falls back to the repository's, and the artifact
    cache lets analyses open only the data files of a data folder.
    """
    descriptor = datapackage.read_descriptor()
    for entry in descriptor.get("resources", []):
        if entry.get("synthetic") or entry.get("name") in RESOURCES:
            continue
        source = datapackage.resource_path(entry)
        if source.is_file():
            payloads[datapackage.resource_path(entry, target)] = _read(source, entry)
    if paths.changelog.is_file():
        payloads[target / "CHANGELOG.md"] = _read(paths.changelog)
    return descriptor


def _read(path: Path, entry: dict[str, Any] | None = None) -> bytes:
    """A file through the bounded reader: a resource within its limits, else a text file."""
    limit = files.TEXT_MAX_BYTES if entry is None else files.limits(entry)["bytes"]
    return files.read_regular(path, str(path), limit)


@dataclass
class Difference:
    """Where a committed sample differs from its regeneration."""

    resource: str
    file: str
    detail: str
    line: int | None = None

    def __str__(self) -> str:
        where = f"{self.file}, line {self.line}" if self.line else self.file
        return f"resource '{self.resource}' ({where}): {self.detail}"


def compare(built: Built, data_dir: Path | None = None) -> list[Difference]:
    """Differences between ``built`` and the committed files and entries (empty: identical)."""
    data_dir = data_dir or paths.data
    descriptor = datapackage.read_descriptor(data_dir / "datapackage.json")
    found: list[Difference] = []
    for expected in built.entries:
        name = expected["name"]
        file = data_dir / FILES[name]
        label = str(Path(data_dir.name) / FILES[name])
        if not file.exists():
            found.append(Difference(name, label, "file missing; run `python -m analysis simulate`"))
            continue
        actual = _read(file, {})
        wanted = built.payloads[name]
        if actual != wanted:
            line, detail = first_difference(actual, wanted)
            found.append(Difference(name, label, detail, line))
            continue
        try:
            entry = datapackage.resource(descriptor, name)
        except DataValidationError:
            found.append(Difference(name, label, "no entry in datapackage.json"))
            continue
        for key in ("hash", "bytes"):
            if entry.get(key) != expected[key]:
                found.append(
                    Difference(
                        name,
                        label,
                        f"datapackage.json records {key} {entry.get(key)!r}, "
                        f"the regenerated file has {expected[key]!r}",
                    )
                )
                break
        else:
            recorded = entry.get("generator", {})
            for key in ("version", "parameters_sha256", "seed"):
                if recorded.get(key) != expected["generator"][key]:
                    found.append(
                        Difference(
                            name,
                            label,
                            f"generator {key} recorded as {recorded.get(key)!r}, "
                            f"current is {expected['generator'][key]!r}",
                        )
                    )
                    break
    return found


def first_difference(actual: bytes, wanted: bytes) -> tuple[int, str]:
    """The first differing line (1-based) of two files and a short description."""
    a_lines, w_lines = _lines(actual), _lines(wanted)
    for number, (a, w) in enumerate(zip(a_lines, w_lines, strict=False), start=1):
        if a != w:
            return number, (f"committed {_show(a)} but regenerated {_show(w)}")
    shorter = min(len(a_lines), len(w_lines))
    if len(a_lines) == len(w_lines):
        return shorter, "the files differ only in the final line ending"
    if len(a_lines) > len(w_lines):
        return shorter + 1, f"committed file has {len(a_lines) - len(w_lines)} extra lines"
    return shorter + 1, f"committed file ends {len(w_lines) - len(a_lines)} lines early"


def _lines(data: bytes) -> list[bytes]:
    lines = data.split(b"\n")
    return lines[:-1] if lines and lines[-1] == b"" else lines


def _show(line: bytes, limit: int = 80) -> str:
    text = line.decode("utf-8", errors="replace")
    return repr(text if len(text) <= limit else text[:limit] + "...")
