"""The registry of every result the book shows: named artifacts, each with what it depends on.

An artifact is a parameterless computation over the bundled data: a table, a figure, a set of
named values (the numbers chapters quote inline and the manifest records) or an intermediate
object. Its entry names the producing function as ``"module:function"`` (so this registry can
be read without importing statsmodels or seaborn), the data resources it reads, and the other
artifacts it uses. The cache keys each result on exactly those inputs plus the source code of the
function's module and the analysis modules that module imports, so a data edit recomputes only
the artifacts that read the edited resource.

Topic owners add entries in their own section below; the functions live in the topic modules.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Literal

Kind = Literal["values", "table", "figure", "object"]


@dataclass(frozen=True)
class Artifact:
    name: str
    function: str  # "analysis.module:function", called with no arguments
    kind: Kind
    resources: tuple[str, ...]  # datapackage resources the function reads
    description: str
    depends: tuple[str, ...] = field(default=())  # other artifacts the function calls for
    synthetic: bool = False  # True when any input is the synthetic engagement sample

    @property
    def module(self) -> str:
        return self.function.split(":")[0]


REGISTRY: dict[str, Artifact] = {}

SYNTHETIC_RESOURCES = frozenset({"accounts", "posts"})


def register(
    name: str,
    function: str,
    kind: Kind,
    resources: tuple[str, ...],
    description: str,
    depends: tuple[str, ...] = (),
) -> None:
    if name in REGISTRY:
        raise ValueError(f"artifact {name!r} registered twice")
    synthetic = bool(SYNTHETIC_RESOURCES.intersection(resources)) or any(
        REGISTRY[d].synthetic for d in depends if d in REGISTRY
    )
    REGISTRY[name] = Artifact(name, function, kind, resources, description, depends, synthetic)


def get(name: str) -> Artifact:
    try:
        return REGISTRY[name]
    except KeyError:
        known = ", ".join(sorted(REGISTRY))
        raise KeyError(f"unknown artifact {name!r}; known: {known}") from None


# --- documented data: timeline, diffusion, coverage -------------------------------------

# --- synthetic sample: description and content ---------------------------------------------

# --- engagement, audience, responsiveness, robustness models ------------------------------

# --- findings registry --------------------------------------------------------------------
