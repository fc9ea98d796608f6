"""What an artifact is, and the registry of every result the book shows (the store's base).

An artifact is a parameterless computation over the bundled data: a table, a figure, a set of
named values (the numbers chapters quote inline and the manifest records) or an intermediate
object. Its entry names the producing function as ``"module:function"`` (so this registry can
be read without importing statsmodels or seaborn), the data resources it reads, and the other
artifacts it uses. The store keys each result on exactly those inputs plus the source code of
the function's module and the analysis modules that module imports (``keys``), so a data edit
recomputes only the artifacts that read the edited resource. ``resources`` holds datapackage
resource names; an input under ``data/`` that is not a resource is named by its file name there
(``"simulation.toml"``), and ``WHOLE_PACKAGE`` (``"datapackage.json"``) declares the whole data
package (the descriptor and every resource file), for functions that describe the package.
While an artifact computes, the store refuses reads of undeclared data files and of artifacts
missing from ``depends`` (``guards``), so a stale result cannot slip through.

Whether an artifact rests on synthetic data is not registered: ``Artifact.synthetic``,
``kinds`` and ``provenance`` read the descriptor in use at run time (a resource marked
``"synthetic": true``, or observed with a ``collection``, or documented), so bringing in
observed data relabels every caption, callout, cache key, manifest entry and verdict. Each
claim's verdict is an artifact of its own (``verdict.<id>``, see analysis/pipeline/verdicts.py).

Topic owners add entries in their own section below; the functions live in the topic modules.
May import the base modules, ``analysis.data`` and ``analysis.findings`` (pure data); nothing
else of the store.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Literal

from analysis.data import labels

Kind = Literal["values", "table", "figure", "object"]


@dataclass(frozen=True)
class Artifact:
    name: str
    function: str  # "analysis.module:function", called with no arguments
    kind: Kind
    resources: tuple[str, ...]  # datapackage resources (or data/ file names) the function reads
    description: str
    depends: tuple[str, ...] = field(default=())  # other artifacts the function calls for
    # Constant arguments passed before the dependencies' values (a claim's id for its verdict).
    args: tuple[str, ...] = field(default=())
    # Called even when a dependency is not available with these data: that argument is then
    # the NotAvailable error instead of a value (verdicts say "not available" and why).
    accepts_unavailable: bool = False

    @property
    def module(self) -> str:
        return self.function.split(":")[0]

    @property
    def synthetic(self) -> bool:
        """Whether the artifact reads, itself or through its dependencies, a resource that the
        current descriptor marks ``"synthetic": true`` (read at run time, never registered)."""
        return synthetic(self.name, labels.descriptor())


REGISTRY: dict[str, Artifact] = {}

# The analysis.book functions by which chapters name artifacts; each takes the name first
# (freeze and the book lint find a chapter's artifacts by these calls).
READERS = (
    "value",
    "raw",
    "table",
    "figure",
    "made_by",
    "data_note",
    "kind",
    "either",
    "sample_words",
    "collection",
)

WHOLE_PACKAGE = "datapackage.json"  # as a resource: the descriptor and every resource file


def register(
    name: str,
    function: str,
    kind: Kind,
    resources: tuple[str, ...],
    description: str,
    depends: tuple[str, ...] = (),
    *,
    args: tuple[str, ...] = (),
    accepts_unavailable: bool = False,
) -> None:
    """Add an artifact to the registry (names are unique; resources and depends are tuples)."""
    if name in REGISTRY:
        raise ValueError(f"artifact {name!r} registered twice")
    for what, names in (("resources", resources), ("depends", depends)):
        if isinstance(names, str):
            raise TypeError(f"artifact {name!r}: {what} must be a tuple, not the string {names!r}")
    REGISTRY[name] = Artifact(
        name, function, kind, resources, description, depends, args, accepts_unavailable
    )


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


def resources_read(name: str) -> list[str]:
    """Resources an artifact reads itself or through the artifacts it depends on, in order."""
    seen: list[str] = []
    for each in closure(name):
        seen += [r for r in each.resources if r not in seen]
    return seen


def kinds(name: str, descriptor: dict[str, Any]) -> dict[str, str]:
    """``{resource: "synthetic" | "observed" | "documented"}`` for every descriptor resource the
    artifact reads, as the descriptor declares it now (``analysis.data.labels.resource_kind``);
    the whole-package pseudo-resource is left out, and ``simulation.toml`` counts as synthetic."""
    return labels.kinds_of(resources_read(name), descriptor)


def synthetic(name: str, descriptor: dict[str, Any]) -> bool:
    """Whether the artifact reads a resource the descriptor marks synthetic."""
    return "synthetic" in kinds(name, descriptor).values()


def sample_kind(name: str, descriptor: dict[str, Any]) -> str:
    """``"synthetic"`` when the artifact reads a synthetic resource, else ``"observed"`` when it
    reads an observed one, else ``"documented"``: the one word prose choices are made on."""
    found = kinds(name, descriptor).values()
    return next((k for k in ("synthetic", "observed") if k in found), "documented")


def provenance(name: str, data_version: str) -> str:
    """The provenance line of captions: the function, the data it read (labelled synthetic or
    observed from the descriptor) and the data version."""
    art = get(name)
    found = kinds(name, labels.descriptor())
    said = [f"{k} sample" for k in ("synthetic", "observed") if k in found.values()]
    label = f" ({', '.join(said)})" if said else ""
    read = ", ".join(resources_read(name)) or "no data files"
    return f"Made by `{art.function}` from {read}{label}, data package v{data_version}."


def get(name: str) -> Artifact:
    try:
        return REGISTRY[name]
    except KeyError:
        known = ", ".join(sorted(REGISTRY))
        raise KeyError(f"unknown artifact {name!r}; known: {known}") from None


# --- documented data: timeline, diffusion, audience records, coverage ------------------------

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
    "reach.values",
    "analysis.topics.reach:reach_values",
    "values",
    ("audience_records", "milestones"),
    "Documented followings of single police accounts (range, first-days count, national totals), "
    "which forces of seed 001 records before the launch rank or follow, and which sources record "
    "each of Ji'nan's channels.",
)
register(
    "reach.records_table",
    "analysis.topics.reach:records_table",
    "table",
    ("audience_records",),
    "Every documented audience record: followers, ranking places and mentions, with sources.",
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

# The posts are read once, by the reduction every artifact below computes from (DuckDB SQL over
# the CSV's validated frame or the Parquet parts, out of core): ``posts.reduced`` holds account
# x category cells and frequency tables, ``sample.cells`` joins them to the model covariates.
_REDUCED = ("posts.reduced",)

register(
    "posts.reduced",
    "analysis.topics.reduce:package_reduction",
    "object",
    ("accounts", "posts"),
    "The posts reduced in DuckDB to account x category cells (counts, sums, first and last "
    "post) and each count outcome's frequency table.",
)
register(
    "sample.summary",
    "analysis.topics.sample:summary",
    "values",
    ("accounts", "posts"),
    "Size, composition, time window, content shares and answer rates of the synthetic sample.",
    depends=_REDUCED,
)
register(
    "sample.assumptions",
    "analysis.topics.sample:assumptions",
    "values",
    ("simulation.toml",),
    "What the simulation assumed (regional engagement ratios, answer probabilities), read from "
    "the parameter file, with the sentences chapters quote about it.",
)
register(
    "sample.description",
    "analysis.topics.sample:description",
    "table",
    ("accounts", "posts"),
    "Synthetic accounts by level and type, per platform and region, with their posts.",
    depends=_REDUCED,
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
    depends=_REDUCED,
)
register(
    "content.by_level",
    "analysis.topics.content:by_level",
    "table",
    ("accounts", "posts"),
    "Content mix (four categories of seed 000) by administrative level.",
    depends=_REDUCED,
)
register(
    "content.by_platform",
    "analysis.topics.content:by_platform",
    "table",
    ("accounts", "posts"),
    "Content mix (four categories of seed 000) by platform.",
    depends=_REDUCED,
)
register(
    "content.by_region",
    "analysis.topics.content:by_region",
    "table",
    ("accounts", "posts"),
    "Content mix (four categories of seed 000) by NBS region.",
    depends=_REDUCED,
)
register(
    "content.mix_figure",
    "analysis.topics.content:mix_figure",
    "figure",
    ("accounts", "posts"),
    "Stacked shares of the four content categories by level and by platform.",
    depends=_REDUCED,
)

# --- engagement, audience, responsiveness, robustness models ------------------------------

_MODEL_DATA = ("accounts", "posts", "provinces")
_R = "analysis.topics.model_results"
_CELLS = ("sample.cells",)

register(
    "sample.cells",
    "analysis.topics.modelframe:bundled",
    "object",
    _MODEL_DATA,
    "The reduced posts joined to the accounts' and provinces' model covariates (model cells).",
    depends=_REDUCED,
)

register(
    "engagement.fits",
    "analysis.topics.engagement:fit_all",
    "object",
    _MODEL_DATA,
    "NB2 and Poisson fits of comments, likes, reposts and page views per post (plain tables).",
    depends=_CELLS,
)
register(
    "responsiveness.fit",
    "analysis.topics.responsiveness:fit_responsiveness",
    "object",
    _MODEL_DATA,
    "Binomial logit of answered comments: odds ratios, answer rates per region, regional test.",
    depends=_CELLS,
)
register(
    "audience.fit",
    "analysis.topics.audience:fit_audience",
    "object",
    _MODEL_DATA,
    "Followers (Weibo) and page views per post (WeChat) by region, level and account type.",
    depends=_CELLS,
)
register(
    "robustness.fit",
    "analysis.topics.robustness:robustness",
    "object",
    _MODEL_DATA,
    "Regional results with province clustering, province GEE and log GDP per capita.",
    depends=_CELLS,
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

# --- collection design: power of the regional comparison (simulated) ------------------------

register(
    "design.power",
    "analysis.topics.design:power_values",
    "values",
    ("provinces", "simulation.toml"),
    "Simulated power of the regional engagement comparison at several sample sizes, with the "
    "effect assumed, alpha, replicates and Monte Carlo errors (generator + NB2 model).",
)
register(
    "design.power_table",
    "analysis.topics.design:power_table",
    "table",
    (),
    "Accounts, posts and simulated power with Monte Carlo errors at each sample size.",
    depends=("design.power",),
)

# --- findings registry --------------------------------------------------------------------

# Each claim's verdict is its own artifact (``verdict.<claim id>``), depending only on the
# claim's evidence artifact, so a claim whose analysis cannot run on the data says "not
# available" without touching the others, and a chapter on documented data depends on
# documented evidence only. The tables assemble the verdicts. Verdicts are registered after
# every evidence artifact above this line; a test checks that none is registered below it.
from analysis import findings as _findings  # noqa: E402  (pure data, no import of this module)


def register_verdicts(claims: tuple[Any, ...]) -> tuple[str, ...]:
    """Register ``verdict.<id>`` for each claim (evidence artifact as its one dependency)."""
    names = []
    for claim in claims:
        evidence = claim.evidence.artifact if claim.evidence else None
        register(
            f"verdict.{claim.id}",
            "analysis.pipeline.verdicts:claim_verdict",
            "values",
            (),
            f"Verdict on claim {claim.id} (seed {claim.seed}), with its result and evidence.",
            depends=(evidence,) if evidence in REGISTRY else (),
            args=(claim.id,),
            accepts_unavailable=True,
        )
        names.append(f"verdict.{claim.id}")
    return tuple(names)


_VERDICTS = register_verdicts(_findings.registry())

register(
    "findings.registry",
    "analysis.pipeline.verdicts:registry_table",
    "table",
    (),
    "Every claim of the seeds: source, paraphrase, evidence, result, verdict and chapter.",
    depends=_VERDICTS,
)
register(
    "findings.summary",
    "analysis.pipeline.verdicts:summary_values",
    "values",
    (),
    "How many claims got each verdict and evidence kind; each claim's verdict and result.",
    depends=_VERDICTS,
)
register(
    "findings.key_table",
    "analysis.pipeline.verdicts:key_findings_table",
    "table",
    (),
    "The claims data can test, in four short columns: claim, verdict, evidence, where shown.",
    depends=_VERDICTS,
)
from analysis.findings import report as _report  # noqa: E402  (pure data and text)

register(
    "findings.report",
    "analysis.pipeline.verdicts:report_values",
    "values",
    ("milestones",),
    "One block per claim, and every seed recommendation with its five parts and priority "
    "(analysis/findings/recommendations.toml).",
    depends=_VERDICTS,
)
register(
    "findings.words",
    "analysis.pipeline.verdicts:summary_words",
    "values",
    (),
    "Words and counts of the executive summary computed from documented values and the "
    "verdicts of a few documented claims (growth direction, police rank, op-ed gaps).",
    depends=tuple(f"verdict.{c}" for c in _report.WORD_CLAIMS) + _report.FACTS,
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
