"""The claims of the five source documents: each with its source, evidence, test and section.

Each claim has a stable id (``S<seed>-<letter><n>``), the source it comes from, a paraphrase in
our own words, the kind of evidence the project can bring (documented data, the synthetic
sample, or none beyond the qualitative source), the artifact and values that carry the
evidence with the rule that decides (analysis.findings.rules), and the chapter section that
shows it. An author adds or edits a claim here; the rules stay apart.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Literal

from analysis.findings.rules import (
    SYNTHETIC_WORDS,
    AllOf,
    Bound,
    Compare,
    Equals,
    EveryRecord,
    EvidenceKind,
    IfDocumented,
    Independence,
    Near,
    NoRecord,
    OnRecord,
    Precedes,
    Rule,
    SourcesAgree,
    Verdict,
    each,
)

# --- the registry ---------------------------------------------------------------------------


@dataclass(frozen=True)
class Source:
    seed: str  # file name in the seed collection
    bibkey: str  # key in references.bib
    title: str
    dated: str = ""  # the text's date (YYYY-MM-DD) where it carries or implies one, else ""
    date_words: str = ""  # that date as a reader should meet it, with its certainty


SOURCES: dict[str, Source] = {
    "000": Source(
        "000_f061ba9e37932346.txt",
        "seed000participation",
        "Study abstract: citizen participation in police Weibo and WeChat",
    ),
    "001": Source(
        "001_74697f81b3c6d634.txt",
        "mattis2011public",
        "Mattis, 'Public Security Officially Joins the Blogosphere', China Brief 2011",
        "2011-09-30",
        "30 September 2011",
    ),
    "002": Source(
        "002_ec13df98ce14cd10.txt",
        "seed002micropolicing",
        "Study abstract: 'micropolicing' and the Nanjing Public Security Bureau",
    ),
    "003": Source(
        "003_1be2842a34887ad7.txt",
        "ma2014chinadaily",
        "Ma, 'Govt blogs have work to do', China Daily op-ed 2014",
        "2014-02-18",
        "18 February 2014",
    ),
    "004": Source(
        "004_c4f695a2d5570ccb.txt",
        "yin2010jinan",
        "Ji'nan Times interview with deputy director Xu Chunhua",
        "2010-08-01",
        "no earlier than August 2010 (inferred from the events it reports)",
    ),
}

ClaimKind = Literal[
    "finding", "characteristic", "obstacle", "recommendation", "practice", "aim", "figure"
]


@dataclass(frozen=True)
class Evidence:
    artifact: str
    rule: Rule

    def describe(self) -> str:
        """The artifact and the values it reads (interval bounds left out)."""
        keys = self.rule.headline()
        shown = ", ".join(keys) if len(keys) <= 3 else f"{keys[0]}, ... ({len(keys)} values)"
        return f"{self.artifact}: {shown}"


@dataclass(frozen=True)
class Claim:
    id: str
    seed: str
    kind: ClaimKind
    paraphrase: str
    evidence_kind: EvidenceKind
    evidence: Evidence | None = None
    chapter: str = ""  # "chapters/<file>.qmd#sec-<anchor>" where the book shows the claim
    needs: str = ""  # for qualitative claims: what data could test it
    caveat: str = ""  # what the evidence cannot show, appended to the result
    reading: str = ""  # how the claim's words become a test (thresholds and their reasons)
    independence: Independence | None = None  # documented claims: how independent the evidence
    shares_test_with: str = ""  # id of an earlier claim decided by the very same test

    @property
    def test(self) -> str:
        """How the claim is tested, in words: the reading, else the rule itself."""
        if self.evidence is None:
            return "none: qualitative source only"
        return self.reading or self.evidence.rule.describe()

    @property
    def source(self) -> Source:
        return SOURCES[self.seed]


@dataclass(frozen=True)
class Finding:
    """A claim with its evaluated evidence."""

    claim: Claim
    verdict: Verdict
    result: dict[str, Any]
    summary: str
    observed: bool = False  # a sample claim decided on observed data, not the synthetic sample

    @property
    def evidence_kind(self) -> EvidenceKind:
        """The kind of evidence this finding rests on: the claim's, or "observed sample" when a
        claim declared on the engagement sample was decided on observed data."""
        return EvidenceKind.OBSERVED if self.observed else self.claim.evidence_kind

    @property
    def decided(self) -> bool:
        """Whether a rule decided the claim (not qualitative, not pending)."""
        return self.verdict not in (Verdict.PENDING, Verdict.NOT_TESTABLE)

    @property
    def verdict_text(self) -> str:
        """The verdict as a reader meets it: a synthetic verdict in its own words (never
        "supported"), a documented one with the independence of its evidence."""
        if not self.decided:
            return str(self.verdict)
        if self.evidence_kind is EvidenceKind.OBSERVED:
            return f"{self.verdict} (observed sample)"
        if self.evidence_kind is EvidenceKind.SYNTHETIC:
            return SYNTHETIC_WORDS[self.verdict]
        if self.claim.independence is not None:
            return f"{self.verdict} ({self.claim.independence})"
        return str(self.verdict)


D, S, Q = EvidenceKind.DOCUMENTED, EvidenceKind.SYNTHETIC, EvidenceKind.QUALITATIVE
INDEPENDENT, SAME, DERIVED = (
    Independence.INDEPENDENT,
    Independence.SAME_SOURCE,
    Independence.DERIVED,
)
REGIONS = ("east", "central", "west", "northeast")

# Chapter sections (the book's `#sec-` ids) where each claim is shown.
_CONTEXT = "chapters/01-context.qmd"
CH_JINAN = f"{_CONTEXT}#sec-context-jinan"
CH_FIRST = f"{_CONTEXT}#sec-context-first"
CH_AIMS = f"{_CONTEXT}#sec-context-aims"
CH_DATED = f"{_CONTEXT}#sec-context-verdicts"
CH_DIFFUSION = "chapters/02-diffusion.qmd#sec-diffusion-claims"
CH_GROWTH = "chapters/02-diffusion.qmd#sec-diffusion-verdicts"
CH_TENCENT = "chapters/02-diffusion.qmd#sec-diffusion-tencent"
CH_SECTORS = "chapters/02-diffusion.qmd#sec-diffusion-police"
CH_AUDIENCE = "chapters/02-diffusion.qmd#sec-diffusion-audience"
CH_NANJING = f"{_CONTEXT}#sec-context-nanjing"
CH_COVERAGE = "chapters/03-coverage.qmd#sec-coverage-verdict"
CH_CONTENT = "chapters/05-content.qmd#sec-content-verdict"
CH_ENGAGEMENT = "chapters/06-engagement.qmd#sec-engagement-verdict"
CH_RESPONSIVENESS = "chapters/07-responsiveness.qmd#sec-responsiveness-verdict"
_CHARACTERISTICS = "chapters/08-characteristics.qmd"
CH_DIRECTION = f"{_CHARACTERISTICS}#sec-characteristics-direction"
CH_COMBINED = f"{_CHARACTERISTICS}#sec-characteristics-platforms"
CH_OFFLINE = f"{_CHARACTERISTICS}#sec-characteristics-offline"
_OBSTACLES = "chapters/09-obstacles-recommendations.qmd"
CH_OBSTACLES = f"{_OBSTACLES}#sec-obstacles"
CH_AWARENESS = f"{_OBSTACLES}#sec-obstacles-awareness"
CH_DESIGN = f"{_OBSTACLES}#sec-obstacles-design"
CH_IDEAS = f"{_OBSTACLES}#sec-obstacles-ideas"
CH_SHARING = f"{_OBSTACLES}#sec-obstacles-sharing"
CH_RULES = f"{_OBSTACLES}#sec-obstacles-rules"
CH_REC_000 = f"{_OBSTACLES}#sec-recommendations-000"
CH_REC_002 = f"{_OBSTACLES}#sec-recommendations-002"
CH_REC_004 = f"{_OBSTACLES}#sec-recommendations-004"

_NO_COUNT = "oped_platforms_without_documented_count"  # diffusion.values lists gaps here
NEARLY_EVERY = 0.9  # S000-F1: "almost all" read as at least 90% (of provinces, of divisions)
MORE_THAN_HALF = 0.5  # S000-F6: police "among the most influential" of government accounts
MIN_CONTENT_SHARE = 0.05  # S000-F2: a kind of content rarer than 1 post in 20 is not "posted"
MIN_RANKING_SOURCES = 2  # S002-F2: rankings by at least two sources besides the seed
FOLLOWED = 10_000  # S000-F3: "they follow": every recorded following of an account at least this
WEIBO_FOLLOWING = "Weibo following"  # S000-F3: the label of its Weibo half (the summary reads it)
# S001-F2: the forces seed 001 says the Ministry highlighted besides Foshan (value key, name)
HIGHLIGHTED = (
    ("beijing", "Beijing"),
    ("xiamen", "Xiamen"),
    ("jinan", "Ji'nan"),
    ("kunming", "Kunming"),
    ("hebei", "Hebei"),
)
_RECOMMENDATION_NEEDS = (
    "outcomes of departments that adopted the measure compared with those that did not"
)

# fmt: off
CLAIMS: tuple[Claim, ...] = (
    # --- seed 000: citizen participation in police Weibo and WeChat ---------------------------
    Claim(
        "S000-F1", "000", "finding",
        "Nearly every police department, in every region and at every level from the Ministry "
        "down to prefecture bureaus, runs Weibo and WeChat accounts.",
        D,
        Evidence(
            "coverage.values",
            AllOf((
                ("provinces", Bound("provincial_share", NEARLY_EVERY, "lower", "at least")),
                *each(Bound("prefecture_coverage_{group}", NEARLY_EVERY, "lower", "at least"),
                      REGIONS).parts,
            )),
        ),
        CH_COVERAGE,
        reading="'nearly every' read as at least 90%: of provinces with a provincial police "
        "Weibo account, and in each region of prefecture-level divisions with one. The list is "
        "one curator's attempt at every account, not a sample: no sampling interval applies, "
        "and because an account missing from the list may still exist, each share is a lower "
        "bound on coverage. A share at or above 90% supports the claim at "
        "that level; a share below it cannot decide, since the accounts the list misses could "
        "make up the difference",
        caveat="Weibo only (no coverage data exist for WeChat); the list was compiled in "
        "2022-2023 and seed 000 is undated, so it shows coverage by 2022-2023, not when the "
        "accounts opened",
        independence=INDEPENDENT,
    ),
    Claim(
        "S000-F2", "000", "finding",
        "Police accounts post four kinds of content: news of police work, services, exchanges "
        "with citizens and everyday safety tips.",
        S,
        Evidence(
            "content.values",
            each(Compare("share_{group}", MIN_CONTENT_SHARE, "above", inclusive=True,
                         low="share_{group}_low", high="share_{group}_high"),
                 ("publicity", "services", "interaction", "daily_tips")),
        ),
        CH_CONTENT,
        reading="'post four kinds of content' read as each kind making up at least 5% of posts "
        "(a kind rarer than one post in twenty is not a kind the accounts post) over the whole "
        "Wilson 95% interval; an interval wholly below 5% contradicts the claim",
    ),
    Claim(
        "S000-F3", "000", "finding",
        "Citizens do take part: they follow police Weibo accounts and read and comment on "
        "police WeChat posts.",
        D,
        Evidence(
            "reach.values",
            AllOf((
                (WEIBO_FOLLOWING,
                 EveryRecord("following_records", "following_smallest", "following_largest",
                             FOLLOWED, "recorded followings")),
                ("WeChat reading and commenting",
                 NoRecord("reading or commenting on police WeChat posts")),
            )),
        ),
        CH_AUDIENCE,
        reading="the seed reads participation from Weibo fans and from WeChat page views and "
        "comments, so the claim has two halves. 'They follow police Weibo accounts' read as "
        "police accounts followed by the public at large, not by a handful: every following "
        "that a source records for a single police microblog account (the figure as printed; "
        "counts from an account's first days left out) at least 10,000 followers, far more than "
        "an account has when it opens and far fewer than the leading police accounts had at "
        "the time. A recorded following below that makes the claim mixed; all of them below it "
        "would contradict it. 'Read and comment on police WeChat posts' has no documented "
        "figure, so that half is not testable and the claim can at best be mixed",
        caveat="the records name accounts that the press and the rankers singled out, so they "
        "show that citizens follow prominent police accounts, not that a typical one is "
        "followed; a follower is an account, not a person, and some followers are fake. "
        "Reading and commenting on WeChat are illustrated by the engagement sample only, which "
        "does not count",
        independence=INDEPENDENT,
    ),
    Claim(
        "S000-F4", "000", "finding",
        "How much citizens take part differs clearly from one region of China to another.",
        S,
        Evidence(
            "engagement.regions",
            Compare("max_min_ratio", 1.25, "above", low="max_min_ratio_low",
                    high="max_min_ratio_high"),
        ),
        CH_ENGAGEMENT,
        reading="'clearly' read as the highest region's expected comments per post more than "
        "25% above the lowest region's over the whole 95% interval; an interval at or below "
        "1.25 means no clear difference",
    ),
    Claim(
        "S000-F5", "000", "finding",
        "In every region police departments answer too few of the comments citizens leave.",
        S,
        Evidence(
            "responsiveness.regions",
            each(Compare("answer_rate_{group}", 0.5, "below", low="answer_rate_{group}_low",
                         high="answer_rate_{group}_high"), REGIONS),
        ),
        CH_RESPONSIVENESS,
        reading="'too few' read as fewer than half of comments answered over the whole 95% "
        "interval, in each of the four regions",
    ),
    Claim(
        "S000-F6", "000", "finding",
        "Police accounts are among the most influential of all government social media "
        "accounts.",
        D,
        Evidence(
            "diffusion.values", Compare("police_share_most_followed", MORE_THAN_HALF, "above")
        ),
        CH_SECTORS,
        reading="'extremely influential among all government accounts' read through the "
        "audience accounts reach: police accounts make up more than half of the government "
        "microblogs with the most followers in a published ranking",
        caveat="one ranking, of the government microblogs with the most followers at the "
        "national launch; followers measure reach, not what the accounts change. On "
        "WeChat at the end of 2013 police also held more government accounts than any other "
        "sector, a count of accounts that does not measure influence",
        independence=INDEPENDENT,
    ),
    Claim(
        "S000-C1", "000", "characteristic",
        "Participation grows both from below (local bureaus experimenting) and from above "
        "(the Ministry's national programme).",
        D,
        Evidence("timeline.values", Precedes("first_local_date", "mandate_date")),
        CH_DIRECTION,
        reading="local police microblogs documented before the Ministry's national launch",
        caveat="the dates show local adoption first and a national mandate after; they cannot "
        "say how much of the growth each force caused; S001-F1 rests on the same test",
        independence=INDEPENDENT,
    ),
    Claim(
        "S000-C2", "000", "characteristic",
        "Departments combine several channels (Weibo, WeChat, QQ groups, forums, websites) "
        "rather than relying on one.",
        Q, None, CH_COMBINED,
        needs="a list matching each department to its accounts on every platform",
    ),
    Claim(
        "S000-C3", "000", "characteristic",
        "Online contact is joined to offline service: matters raised online are settled by "
        "officers on the ground, and offline work is organised online.",
        Q, None, CH_OFFLINE,
        needs="records linking online requests to offline case handling",
    ),
    Claim(
        "S000-O1", "000", "obstacle",
        "Both police and citizens misunderstand what citizen participation means.",
        Q, None, CH_AWARENESS, needs="surveys of officers and citizens",
    ),
    Claim(
        "S000-O2", "000", "obstacle",
        "Top-level design of police social media is incomplete.",
        Q, None, CH_DESIGN, needs="a review of national and provincial policy documents",
    ),
    Claim(
        "S000-O3", "000", "obstacle",
        "Management systems inside and outside departments are not yet sound.",
        Q, None, CH_DESIGN, needs="a review of departments' account-management rules",
    ),
    Claim(
        "S000-R1", "000", "recommendation",
        "Awareness: departments should put service first, and citizens should see taking part "
        "as their political right and role.",
        Q, None, CH_REC_000, needs="surveys of officers and citizens over time",
    ),
    Claim(
        "S000-R2", "000", "recommendation",
        "Improve top-level design for police social media.",
        Q, None, CH_REC_000, needs=_RECOMMENDATION_NEEDS,
    ),
    Claim(
        "S000-R3", "000", "recommendation",
        "Build a sound management system for running the accounts.",
        Q, None, CH_REC_000, needs=_RECOMMENDATION_NEEDS,
    ),
    Claim(
        "S000-R4", "000", "recommendation",
        "Make named officers answerable for their accounts through a responsibility system.",
        Q, None, CH_REC_000, needs=_RECOMMENDATION_NEEDS,
    ),
    Claim(
        "S000-R5", "000", "recommendation",
        "Give citizens incentives to take part.",
        Q, None, CH_REC_000, needs=_RECOMMENDATION_NEEDS,
    ),
    Claim(
        "S000-R6", "000", "recommendation",
        "Set up channels through which police departments communicate with one another.",
        Q, None, CH_REC_000, needs=_RECOMMENDATION_NEEDS,
    ),
    Claim(
        "S000-R7", "000", "recommendation",
        "Publicise the accounts more and train the officers who run them.",
        Q, None, CH_REC_000, needs=_RECOMMENDATION_NEEDS,
    ),
    Claim(
        "S000-R8", "000", "recommendation",
        "Adopt new ways of working that let police and citizens collaborate.",
        Q, None, CH_REC_000, needs=_RECOMMENDATION_NEEDS,
    ),
    Claim(
        "S000-R9", "000", "recommendation",
        "Strengthen community policing alongside the online work.",
        Q, None, CH_REC_000, needs=_RECOMMENDATION_NEEDS,
    ),
    # --- seed 001: the Ministry's national launch (Mattis 2011) ------------------------------
    Claim(
        "S001-D1", "001", "figure",
        "The Ministry of Public Security announced the nationwide launch of police "
        "microblogging on 27 September 2011.",
        D,
        Evidence("timeline.values", Equals("mandate_date", "2011-09-27")),
        CH_DATED,
        caveat="the date in the data comes from Mattis and from People's Daily of 27 September "
        "2011, which Mattis cites: not an independent check",
        independence=SAME,
    ),
    Claim(
        "S001-D2", "001", "figure",
        "The launch followed roughly eighteen months of trials below the national level.",
        D,
        Evidence(
            "timeline.values",
            Near("gap_months", 18.0, low="gap_months_low", high="gap_months"),
        ),
        CH_DATED,
        reading="months from the first documented local police microblog to the launch "
        "within 10% of 18; the first accounts are dated to the month, so the span is a range",
        caveat="no source dates the start of the trial itself",
        independence=DERIVED,
    ),
    Claim(
        "S001-D3", "001", "figure",
        "The Ministry credited Foshan's bureau in Guangdong with taking the first steps in using "
        "microblogs to communicate with local citizens.",
        D,
        Evidence(
            "timeline.values",
            SourcesAgree(
                ("sources_crediting_only_foshan", "sources_crediting_both"),
                ("sources_crediting_only_zhaoqing",),
                own_source="mattis2011public",
            ),
        ),
        CH_DATED,
        reading="the seed reports what the Ministry credited, and that the Ministry did so rests "
        "on the seed alone; what other sources can check is whether Foshan was first: sources "
        "other than the seed that credit Foshan (alone or jointly) against those that credit "
        "Zhaoqing alone",
        caveat="what the sources dispute is who was first; that the Ministry credited Foshan "
        "rests on Mattis's report alone and is not in question",
        independence=INDEPENDENT,
    ),
    Claim(
        "S001-A1", "001", "aim",
        "Police microblogs aim at openness, at steering online opinion (countering rumours) "
        "and at two-way information service.",
        Q, None, CH_AIMS, needs="stated objectives in policy documents, coded against content",
    ),
    Claim(
        "S001-F1", "001", "finding",
        "The central government used local experiments as a testing ground before adopting "
        "the practice nationally.",
        D,
        Evidence("timeline.values", Precedes("first_local_date", "mandate_date")),
        CH_DATED,
        reading="local police microblogs documented before the Ministry's national launch",
        caveat="the order of events fits the reading; it does not show that the Ministry "
        "learned from the pilots; the same test as S000-C1, counted once",
        independence=INDEPENDENT,
        shares_test_with="S000-C1",
    ),
    Claim(
        "S001-F2", "001", "finding",
        "Besides Foshan, the Ministry singled out Beijing, Xiamen, Ji'nan, Kunming and Hebei "
        "as innovators.",
        D,
        Evidence(
            "reach.values",
            AllOf(tuple(
                (name, OnRecord(f"highlighted_{key}_rankings", "mattis2011public",
                                f"highlighted_{key}_followings", "ranked by",
                                "a following only, recorded by"))
                for key, name in HIGHLIGHTED
            )),
        ),
        CH_FIRST,
        needs="the Ministry's own launch documents, for its choice of forces",
        reading="that the Ministry singled these forces out rests on the seed alone; what other "
        "sources can check is whether the forces' microblogs stood out at the time. For each "
        "force, records dated no later than the national launch, from sources other than the "
        "seed: one that places an account of the force's bureau in a published ranking supports "
        "that part; one that records only its following leaves it mixed (a following alone does "
        "not rank it); with no record the part is not testable, never contradicted, because a "
        "record the sources lack is not evidence against",
        caveat="the Ministry's choice itself needs its launch documents; the one ranking before "
        "the launch is a page that summarises a report on 2010 whose publisher is not certain; "
        "standing out in a ranking is not the same as innovating",
        independence=INDEPENDENT,
    ),
    Claim(
        "S001-F3", "001", "finding",
        "The Ministry presented police microblogging as the newest tool of its social "
        "management and of making public security work information-based.",
        Q, None, CH_AIMS, needs="the Ministry's launch documents and its other social-management "
        "programmes, to place the microblogs among them",
    ),
    # --- seed 002: micropolicing and Nanjing -------------------------------------------------
    Claim(
        "S002-F1", "002", "finding",
        "Police have built 'micropolicing', moving services onto Weibo and WeChat, with clear "
        "achievements but also underlying problems.",
        Q, None, CH_OBSTACLES, needs="service-level records before and after the move online",
    ),
    Claim(
        "S002-O1", "002", "obstacle",
        "Officers' administrative thinking lags and their sense of service is weak, a legacy "
        "of the traditional control-oriented police model.",
        Q, None, CH_IDEAS, needs="surveys of officers' attitudes",
    ),
    Claim(
        "S002-O2", "002", "obstacle",
        "Departments share information poorly, because the internal hierarchy is linear and "
        "departments' interests conflict.",
        Q, None, CH_SHARING, needs="data on information flows between departments",
    ),
    Claim(
        "S002-O3", "002", "obstacle",
        "Rules and regulations are incomplete, so micropolicing lacks an institutional "
        "guarantee.",
        Q, None, CH_RULES, needs="a review of the regulations in force",
    ),
    Claim(
        "S002-R1", "002", "recommendation",
        "Strengthen officers' own understanding of micropolicing.",
        Q, None, CH_REC_002, needs=_RECOMMENDATION_NEEDS,
    ),
    Claim(
        "S002-R2", "002", "recommendation",
        "Improve collaborative governance across departments.",
        Q, None, CH_REC_002, needs=_RECOMMENDATION_NEEDS,
    ),
    Claim(
        "S002-R3", "002", "recommendation",
        "Establish a system that safeguards the operation of the accounts.",
        Q, None, CH_REC_002, needs=_RECOMMENDATION_NEEDS,
    ),
    Claim(
        "S002-R4", "002", "recommendation",
        "Complete the legal framework for micropolicing.",
        Q, None, CH_REC_002, needs=_RECOMMENDATION_NEEDS,
    ),
    Claim(
        "S002-F2", "002", "finding",
        "Nanjing's public security bureau offers transferable experience in managing "
        "micropolicing.",
        D,
        Evidence("timeline.values",
                 Compare("nanjing_ranking_sources_n", MIN_RANKING_SOURCES, "above",
                         inclusive=True)),
        CH_NANJING,
        reading="'advanced experience' read as Nanjing police accounts (the city bureau's or "
        "its Jiangning sub-bureau's) placed in the published rankings of at least two sources "
        "other than the seed",
        caveat="rankings measure reach and activity as each ranker defines them; they cannot "
        "show that Nanjing's way of managing the accounts would work elsewhere",
        independence=INDEPENDENT,
    ),
    # --- seed 003: the China Daily op-ed's figures (Ma 2014) ---------------------------------
    Claim(
        "S003-D1", "003", "figure",
        "At the end of 2013 about 160,000 verified government accounts existed on Tencent "
        "Weibo.",
        D,
        Evidence("diffusion.values", Bound("tencent_room", 160_000, "upper")),
        CH_TENCENT,
        reading="no Tencent count is documented for 2013, so the claim is checked for room: "
        "the documented four-platform total minus the documented Sina count is an upper bound "
        "on the Tencent count; the op-ed's figure is contradicted only if it exceeds that "
        "bound by more than 20%, and a figure within it cannot be confirmed by it",
        caveat="the bound also holds People's Daily Online and Xinhua accounts, so it can show "
        "the figure is too large, not that it is right; the Sina count subtracted comes from "
        "the monitoring office the op-ed cites, so the check is not independent of the op-ed",
        independence=SAME,
    ),
    Claim(
        "S003-D2", "003", "figure",
        "Sina Weibo held about 100,000 government accounts at the same time.",
        D,
        Evidence(
            "diffusion.values",
            IfDocumented(Near("documented_sina", 100_000), _NO_COUNT, "sina"),
        ),
        CH_GROWTH,
        reading="the latest documented count for the platform within 10% of the op-ed's",
        caveat="the documented count (South China Morning Post, October 2013) cites the People's "
        "Daily Online public opinion monitoring office, the office the op-ed cites: the two "
        "agree, but this is not an independent check",
        independence=SAME,
    ),
    Claim(
        "S003-D3", "003", "figure",
        "Counting all platforms, government microblogs numbered about 300,000 at the end of "
        "2013.",
        D,
        Evidence(
            "diffusion.values",
            IfDocumented(Bound("documented_all_platforms", 300_000, "lower"), _NO_COUNT,
                         "all_platforms"),
        ),
        CH_GROWTH,
        reading="the documented four-platform count is a lower bound on a count over all "
        "platforms: the op-ed's figure is contradicted only if that bound exceeds it by more "
        "than 20%; a bound below it cannot confirm it",
        caveat="the documented count covers four platforms (Sina, Tencent, People's Daily "
        "Online, Xinhua) and the op-ed counts more; the op-ed's own Sina and Tencent figures "
        "already add up to more than the four-platform count",
        independence=INDEPENDENT,
    ),
    Claim(
        "S003-D4", "003", "figure",
        "Government microblog numbers grew on average by more than 100% a year over the five "
        "years to 2013.",
        D,
        Evidence(
            "diffusion.values",
            Bound("cagr_five_year_floor", 1.0, "lower", "more than"),
        ),
        CH_GROWTH,
        reading="no count exists for the end of 2008, so the five-year average cannot be "
        "computed; it can be bounded. If the count never fell, the end-2008 count was at most "
        "the earliest documented count, so the five-year average growth is at least the rate "
        "that takes that earliest count to the end-2013 count in five years; that floor above "
        "100% supports the claim, a floor below it cannot decide",
        caveat="rests on the count never falling before the earliest documented count, which "
        "is itself derived from a later report's growth figure; chapter 2 gives the floor from "
        "printed counts alone",
        independence=DERIVED,
    ),
    Claim(
        "S003-D5", "003", "figure",
        "More than 3,000 government agencies were using WeChat at the end of 2013.",
        D,
        Evidence(
            "diffusion.values",
            IfDocumented(Compare("documented_wechat", 3000, "above"), _NO_COUNT, "wechat"),
        ),
        CH_GROWTH,
        reading="the documented count of government WeChat accounts at the end of 2013 "
        "above 3,000",
        independence=INDEPENDENT,
    ),
    Claim(
        "S003-F1", "003", "finding",
        "China has more government microblog accounts than any other country.",
        Q, None, CH_DIFFUSION, needs="comparable counts for other countries",
    ),
    Claim(
        "S003-F2", "003", "finding",
        "Social media make government more open and let citizens help shape policy "
        "('Government 2.0').",
        Q, None, CH_AIMS, needs="measures of policy input received through accounts",
    ),
    Claim(
        "S003-F3", "003", "finding",
        "Bureaucratic habits make social media hard for agencies to use well, and problems "
        "have appeared.",
        Q, None, CH_RULES, needs="activity and response data on government accounts",
    ),
    Claim(
        "S003-F4", "003", "finding",
        "Social media have loosened the authorities' control over media channels: anyone can "
        "voice an opinion or a concern online.",
        Q, None, CH_AIMS, needs="measures of who publishes on which channels before and after "
        "social media, and of what the authorities remove",
    ),
    # --- seed 004: Ji'nan's practice (interview with Xu Chunhua) -----------------------------
    Claim(
        "S004-D1", "004", "figure",
        "Ji'nan's bureau opened its online public security service in July 2008.",
        Q, None, CH_DATED,
        needs="an independent dated source: the milestone rests on this interview alone",
    ),
    Claim(
        "S004-F1", "004", "finding",
        "On top of the website, Ji'nan opened a forum, community-police QQ groups and a "
        "real-name microblog.",
        D,
        Evidence(
            "reach.values",
            AllOf((
                ("forum", OnRecord("jinan_forum_sources", "yin2010jinan")),
                ("community-police QQ groups", OnRecord("jinan_qq_sources", "yin2010jinan")),
                ("real-name microblog", OnRecord("jinan_microblog_sources", "yin2010jinan")),
            )),
        ),
        CH_JINAN,
        needs="dated records of when each channel opened",
        reading="each channel looked for in sources other than the interview: the forum and the "
        "QQ groups among the dated milestones, the microblog also among the audience records "
        "(the bureau's own account or its officers' real-name accounts, ranked or with a "
        "recorded following). A channel that another source records is supported; one that "
        "only the interview reports is not testable",
        caveat="the other sources show that the bureau and its officers ran microblogs, not when "
        "they opened or whether the interview's 'real-name' microblog is one of them; only the "
        "interview reports the forum and the QQ groups",
        independence=INDEPENDENT,
    ),
    Claim(
        "S004-P1", "004", "practice",
        "An intention: the bureau says it will sort online criticism by the type of problem it "
        "raises, in time.",
        Q, None, CH_REC_004, needs="logs of criticism received and how it was handled",
    ),
    Claim(
        "S004-P2", "004", "practice",
        "An intention: the bureau says it will pass each problem to the department responsible "
        "for solving it.",
        Q, None, CH_REC_004, needs="logs of criticism received and how it was handled",
    ),
    Claim(
        "S004-P3", "004", "practice",
        "An intention: the bureau says it will then answer the citizen online or by telephone "
        "as soon as possible.",
        Q, None, CH_REC_004, needs="reply records including telephone replies",
    ),
    Claim(
        "S004-P4", "004", "aim",
        "An intention: for sudden incidents the bureau says it will have an 'online spokesman' "
        "post the facts on the forum and microblog at once.",
        Q, None, CH_REC_004, needs="timing of incident posts relative to the incidents",
    ),
    Claim(
        "S004-A1", "004", "aim",
        "The channels exist to strengthen police-public interaction, hear criticism and "
        "suggestions, and improve enforcement and service.",
        Q, None, CH_JINAN, needs="measures of service quality before and after",
    ),
    Claim(
        "S004-A2", "004", "aim",
        "The forum and microblog are opened to accept netizens' supervision: harsh criticism "
        "online is taken as a sign of real problems in the force.",
        Q, None, CH_JINAN, needs="logs of criticism received and what it changed",
    ),
    Claim(
        "S004-A3", "004", "aim",
        "An intention: the bureau says it will add service functions to the community-police "
        "QQ groups and the microblog.",
        Q, None, CH_JINAN, needs="dated records of the services offered on each channel",
    ),
    Claim(
        "S004-F2", "004", "finding",
        "Beijing's bureau set up a public relations leading group and then opened its "
        "official blog and microblog on 1 August.",
        D,
        Evidence(
            "timeline.values",
            SourcesAgree(("beijing_launch_sources_agree",),
                         ("beijing_launch_sources_disagree",), own_source="yin2010jinan"),
        ),
        CH_JINAN,
        reading="sources other than the interview whose own date is documented and that date the "
        "opening of a Beijing police microblog: within the eight weeks before 1 August (an "
        "announcement or test run ahead of the formal opening) they agree, at any other time "
        "they disagree; a source whose own date is uncertain counts neither way, so with no "
        "other source the verdict is mixed",
        caveat="the only other source, a Beijing News page, is dated by its web address to July "
        "2010 while a mirror shows 3 June 2011; and the interview's year is itself inferred "
        "from these Beijing events, so agreement on the year would be circular",
        independence=INDEPENDENT,
    ),
    Claim(
        "S004-F3", "004", "finding",
        "Shenzhen's bureau renamed its office a police public relations office, moving from "
        "one-way propaganda to interaction and disclosure.",
        Q, None, CH_JINAN, needs="Shenzhen's posting and reply records before and after",
    ),
)
# fmt: on


def registry() -> tuple[Claim, ...]:
    """Every claim, in source order (tests swap this for a small registry)."""
    return CLAIMS


def evidence_artifacts(claims: tuple[Claim, ...] | None = None) -> tuple[str, ...]:
    """The artifacts the claims read, sorted, whether or not they exist yet."""
    claims = registry() if claims is None else claims
    return tuple(sorted({c.evidence.artifact for c in claims if c.evidence}))
