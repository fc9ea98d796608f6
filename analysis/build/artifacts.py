"""The registry of every result the book shows: named artifacts, each with what it depends on.

An artifact is a parameterless computation over the bundled data: a table, a figure, a set of
named values (the numbers chapters quote inline and the manifest records) or an intermediate
object. Its entry names the producing function as ``"module:function"`` (so this registry can
be read without importing statsmodels or seaborn), the data resources it reads, and the other
artifacts it uses. The cache keys each result on exactly those inputs plus the source code of the
function's module and the analysis modules that module imports, so a data edit recomputes only
the artifacts that read the edited resource. ``resources`` holds datapackage resource names;
an input under ``data/`` that is not a resource is named by its file name there
(``"simulation.toml"``), and ``WHOLE_PACKAGE`` (``"datapackage.json"``) declares the whole data
package (the descriptor and every resource file), for functions that describe the package.
While an artifact computes, the cache refuses reads of undeclared data files and of artifacts
missing from ``depends`` (see analysis/build/cache.py), so a stale result cannot slip through.

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
    resources: tuple[str, ...]  # datapackage resources (or data/ file names) the function reads
    description: str
    depends: tuple[str, ...] = field(default=())  # other artifacts the function calls for
    synthetic: bool = False  # True when any input is the synthetic engagement sample

    @property
    def module(self) -> str:
        return self.function.split(":")[0]


REGISTRY: dict[str, Artifact] = {}

# The analysis.book functions by which chapters name artifacts; each takes the name first
# (freeze and the book lint find a chapter's artifacts by these calls).
READERS = ("value", "raw", "table", "figure", "made_by", "data_note")

SYNTHETIC_RESOURCES = frozenset({"accounts", "posts"})
WHOLE_PACKAGE = "datapackage.json"  # as a resource: the descriptor and every resource file


def register(
    name: str,
    function: str,
    kind: Kind,
    resources: tuple[str, ...],
    description: str,
    depends: tuple[str, ...] = (),
) -> None:
    """Add an artifact to the registry (names are unique; resources and depends are tuples)."""
    if name in REGISTRY:
        raise ValueError(f"artifact {name!r} registered twice")
    for what, names in (("resources", resources), ("depends", depends)):
        if isinstance(names, str):
            raise TypeError(f"artifact {name!r}: {what} must be a tuple, not the string {names!r}")
    synthetic = bool(SYNTHETIC_RESOURCES.intersection(resources)) or any(
        REGISTRY[d].synthetic for d in depends if d in REGISTRY
    )
    REGISTRY[name] = Artifact(name, function, kind, resources, description, depends, synthetic)


def closure(name: str) -> list[Artifact]:
    """The artifact and every artifact it depends on, transitively, each once, nearest first."""
    order: list[Artifact] = []
    todo = [name]
    while todo:
        current = todo.pop(0)
        if any(a.name == current for a in order):
            continue
        art = get(current)
        order.append(art)
        todo += art.depends
    return order


def provenance(name: str, data_version: str) -> str:
    """The provenance line of captions: the function, the data it read and the data version."""
    art = get(name)
    seen: list[str] = []
    for each in closure(name):
        seen += [r for r in each.resources if r not in seen]
    label = " (synthetic sample)" if art.synthetic else ""
    read = ", ".join(seen) or "no data files"
    return f"Made by `{art.function}` from {read}{label}, data package v{data_version}."


def get(name: str) -> Artifact:
    try:
        return REGISTRY[name]
    except KeyError:
        known = ", ".join(sorted(REGISTRY))
        raise KeyError(f"unknown artifact {name!r}; known: {known}") from None


# --- documented data: timeline, diffusion, coverage -------------------------------------

register(
    "timeline.values",
    "analysis.topics.timeline:timeline_values",
    "values",
    ("milestones",),
    "Gap between the first local police microblogs (2010) and the national launch (2011), the "
    "stated trial length, and which sources credit Zhaoqing or Foshan with the first account.",
)
register(
    "timeline.milestones_table",
    "analysis.topics.timeline:milestones_table",
    "table",
    ("milestones",),
    "Every documented milestone in date order, with date precision, level, medium, certainty.",
)
register(
    "timeline.dispute_table",
    "analysis.topics.timeline:dispute_table",
    "table",
    ("milestones",),
    "Which city (Zhaoqing or Foshan) each source names as opening the first police microblog.",
)
register(
    "diffusion.values",
    "analysis.topics.diffusion:diffusion_values",
    "values",
    ("account_counts",),
    "Yearly growth and CAGR over the longest documented window ending 2013 (vs the op-ed's five "
    "years at >100%), op-ed vs documented 2013 counts, logistic K/r/t0 with 95% intervals, "
    "police share of government accounts.",
)
register(
    "diffusion.counts_table",
    "analysis.topics.diffusion:counts_table",
    "table",
    ("account_counts",),
    "Every documented national or provincial count of government and police accounts.",
)
register(
    "diffusion.growth_table",
    "analysis.topics.diffusion:growth_table",
    "table",
    ("account_counts",),
    "Growth between consecutive documented counts of each series, raw and annualised.",
)
register(
    "diffusion.claim_table",
    "analysis.topics.diffusion:claim_table",
    "table",
    ("account_counts",),
    "The op-ed's (seed 003) 2013 counts beside the documented counts, difference and ratio.",
)
register(
    "diffusion.police_share_table",
    "analysis.topics.diffusion:police_share_table",
    "table",
    ("account_counts",),
    "Police accounts as a share of government accounts where both are counted together.",
)
register(
    "diffusion.counts_figure",
    "analysis.topics.diffusion:counts_figure",
    "figure",
    ("account_counts",),
    "Documented counts over time (log scale) with the logistic curve fitted to the CNSA series.",
)
register(
    "diffusion.wechat_values",
    "analysis.topics.diffusion:wechat_values",
    "values",
    ("wechat_sectors_2013", "wechat_provinces_2013", "provinces"),
    "Government WeChat at end 2013: police sector rank, share and lead over the next sector; "
    "share at county level and below; NBS regions of the ten leading provinces.",
)
register(
    "diffusion.wechat_sectors_table",
    "analysis.topics.diffusion:wechat_sectors_table",
    "table",
    ("wechat_sectors_2013", "wechat_provinces_2013", "provinces"),
    "Government WeChat accounts at end 2013 by sector, with the leading provinces in the note.",
)
register(
    "coverage.values",
    "analysis.topics.coverage:coverage_values",
    "values",
    ("police_weibo_coverage", "provinces"),
    "Provincial and prefecture coverage of police Weibo by region with Wilson 95% intervals, the "
    "lowest region and the thinnest provinces (seed 000's 'almost all ... east to west').",
)
register(
    "coverage.region_table",
    "analysis.topics.coverage:region_table",
    "table",
    ("police_weibo_coverage", "provinces"),
    "Coverage by NBS region and level (provincial, prefecture, county) with 95% intervals.",
)
register(
    "coverage.thinnest_table",
    "analysis.topics.coverage:thinnest_table",
    "table",
    ("police_weibo_coverage", "provinces"),
    "Provinces where not every prefecture-level division has a listed police Weibo account.",
)
register(
    "coverage.region_figure",
    "analysis.topics.coverage:region_figure",
    "figure",
    ("police_weibo_coverage", "provinces"),
    "Prefecture-level coverage by region, main and strict measure, with Wilson 95% intervals.",
)

# --- synthetic sample: description and content ---------------------------------------------

register(
    "sample.summary",
    "analysis.topics.sample:summary",
    "values",
    ("accounts", "posts"),
    "Size, composition, time window, content shares and answer rates of the synthetic sample.",
)
register(
    "sample.description",
    "analysis.topics.sample:description",
    "table",
    ("accounts", "posts"),
    "Synthetic accounts by level and type, per platform and region, with their posts.",
)
register(
    "sample.strata",
    "analysis.topics.sample:strata",
    "table",
    ("accounts",),
    "The synthetic sample's strata: sampled accounts, frame size and sampling weight.",
)
register(
    "content.values",
    "analysis.topics.content:content_values",
    "values",
    ("accounts", "posts"),
    "Share of posts per content category overall and by level, platform and region; chi-square "
    "tests with account-level permutation p-values; the publicity share with its interval.",
)
register(
    "content.by_level",
    "analysis.topics.content:by_level",
    "table",
    ("accounts", "posts"),
    "Content mix (four categories of seed 000) by administrative level.",
)
register(
    "content.by_platform",
    "analysis.topics.content:by_platform",
    "table",
    ("accounts", "posts"),
    "Content mix (four categories of seed 000) by platform.",
)
register(
    "content.by_region",
    "analysis.topics.content:by_region",
    "table",
    ("accounts", "posts"),
    "Content mix (four categories of seed 000) by NBS region.",
)
register(
    "content.mix_figure",
    "analysis.topics.content:mix_figure",
    "figure",
    ("accounts", "posts"),
    "Stacked shares of the four content categories by level and by platform.",
)

# --- engagement, audience, responsiveness, robustness models ------------------------------

_MODEL_DATA = ("accounts", "posts", "provinces")
_R = "analysis.topics.model_results"

register(
    "engagement.fits",
    "analysis.topics.engagement:fit_all",
    "object",
    _MODEL_DATA,
    "NB2 and Poisson fits of comments, likes, reposts and page views per post (plain tables).",
)
register(
    "responsiveness.fit",
    "analysis.topics.responsiveness:fit_responsiveness",
    "object",
    _MODEL_DATA,
    "Binomial logit of answered comments: odds ratios, answer rates per region, regional test.",
)
register(
    "audience.fit",
    "analysis.topics.audience:fit_audience",
    "object",
    _MODEL_DATA,
    "Followers (Weibo) and page views per post (WeChat) by region, level and account type.",
)
register(
    "robustness.fit",
    "analysis.topics.robustness:robustness",
    "object",
    _MODEL_DATA,
    "Regional results with province clustering, province GEE and log GDP per capita.",
)
register(
    "engagement.values",
    f"{_R}:engagement_values",
    "values",
    (),
    "IRRs with 95% intervals, regional Wald and LR tests, over-dispersion, N, predictions.",
    depends=("engagement.fits",),
)
register(
    "engagement.summary",
    f"{_R}:engagement_summary",
    "values",
    (),
    "Mean engagement per post by platform (comments, reposts, page views, likes).",
    depends=("engagement.fits",),
)
register(
    "engagement.regions",
    f"{_R}:engagement_regions",
    "values",
    (),
    "Highest over lowest region's expected comments per post (IRR ratio) with 95% interval.",
    depends=("engagement.fits",),
)
register(
    "engagement.irr_table",
    f"{_R}:engagement_irr_table",
    "table",
    (),
    "Incidence-rate ratios of comments per post (NB2 beside Poisson), 95% intervals, p-values.",
    depends=("engagement.fits",),
)
register(
    "engagement.all_outcomes_table",
    f"{_R}:engagement_all_outcomes_table",
    "table",
    (),
    "IRRs (95% intervals) of every term for comments, likes, reposts and page views.",
    depends=("engagement.fits",),
)
register(
    "engagement.fit_table",
    f"{_R}:engagement_fit_table",
    "table",
    (),
    "N, NB2 alpha, Poisson dispersion, AIC and the regional test for every outcome.",
    depends=("engagement.fits",),
)
register(
    "engagement.predictions_table",
    f"{_R}:engagement_predictions_table",
    "table",
    (),
    "Expected comments per post by region and account type with 95% intervals.",
    depends=("engagement.fits",),
)
register(
    "engagement.forest_figure",
    f"{_R}:engagement_forest_figure",
    "figure",
    (),
    "Forest plot of the comments model's incidence-rate ratios.",
    depends=("engagement.fits",),
)
register(
    "engagement.predictions_figure",
    f"{_R}:engagement_predictions_figure",
    "figure",
    (),
    "Expected comments per post by region and account type.",
    depends=("engagement.fits",),
)
register(
    "responsiveness.values",
    f"{_R}:responsiveness_values",
    "values",
    (),
    "Answer rates per region with 95% intervals, odds ratios, regional Wald and LR tests.",
    depends=("responsiveness.fit",),
)
register(
    "responsiveness.regions",
    f"{_R}:responsiveness_regions",
    "values",
    (),
    "Each region's model-based answer rate with its 95% interval.",
    depends=("responsiveness.fit",),
)
register(
    "responsiveness.table",
    f"{_R}:responsiveness_table",
    "table",
    (),
    "Odds ratios of answering a comment by region, level, platform and type.",
    depends=("responsiveness.fit",),
)
register(
    "responsiveness.answer_rates_table",
    f"{_R}:answer_rates_table",
    "table",
    (),
    "Model-based and observed answer rates by region.",
    depends=("responsiveness.fit",),
)
register(
    "responsiveness.answer_rates_figure",
    f"{_R}:answer_rates_figure",
    "figure",
    (),
    "Answer rates by region with 95% intervals.",
    depends=("responsiveness.fit",),
)
register(
    "audience.values",
    f"{_R}:audience_values",
    "values",
    (),
    "Audience ratios by region, level and type with 95% intervals; medians by region.",
    depends=("audience.fit",),
)
register(
    "audience.table",
    f"{_R}:audience_table",
    "table",
    (),
    "Ratios of geometric-mean followers and of mean page views per post.",
    depends=("audience.fit",),
)
register(
    "robustness.values",
    f"{_R}:robustness_values",
    "values",
    (),
    "Whether the regional conclusions survive; GDP per capita effects; data note.",
    depends=("robustness.fit",),
)
register(
    "robustness.table",
    f"{_R}:robustness_table",
    "table",
    (),
    "Region ratios and regional tests under every robustness specification.",
    depends=("robustness.fit",),
)

# --- findings registry --------------------------------------------------------------------

# The findings artifacts depend on every evidence artifact registered above this line; a test
# checks that none is registered below it (the cache key would then miss it).
from analysis import findings as _findings  # noqa: E402  (pure data, no import of this module)

_EVIDENCE = tuple(a for a in _findings.evidence_artifacts() if a in REGISTRY)

register(
    "findings.registry",
    "analysis.build.verdicts:registry_table",
    "table",
    (),
    "Every claim of the seeds: source, paraphrase, evidence, result, verdict and chapter.",
    depends=_EVIDENCE,
)
register(
    "findings.summary",
    "analysis.build.verdicts:summary_values",
    "values",
    (),
    "How many claims got each verdict and evidence kind; each claim's verdict and result.",
    depends=_EVIDENCE,
)
register(
    "findings.rules",
    "analysis.findings:rules_table",
    "table",
    (),
    "The verdict rules: when a claim is supported, not supported or mixed.",
)

# --- book: codebook ------------------------------------------------------------------------

register(
    "data.codebook",
    "analysis.data.codebook:codebook",
    "table",
    ("datapackage.json",),
    "Every field of every resource in data/datapackage.json: type, meaning, constraints.",
)
register(
    "data.resources",
    "analysis.data.codebook:resources",
    "table",
    ("datapackage.json",),
    "One row per data file: documented or synthetic, sources, rows and recorded sha256.",
)
register(
    "data.package",
    "analysis.data.codebook:package",
    "values",
    ("datapackage.json",),
    "The data package's name, version and how many resources are documented or synthetic.",
)
register(
    "book.environment",
    "analysis.data.codebook:environment",
    "table",
    (),
    "Python and the library versions that computed the book's numbers.",
)
