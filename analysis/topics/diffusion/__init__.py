"""Diffusion of government and police accounts: documented counts, growth rates, a logistic curve.

Everything here reads documented data (``account_counts``; the WeChat tables for ``wechat``).
The checks follow the source claims: the op-ed's (ma2014chinadaily) "average annual growth of
more than 100 percent in the past five years" is tested on the longest documented window that
ends in 2013, and the result names that window, so a reader sees when five years of data do
not exist.

One module per thing computed, each importing only ``counts`` beside it: ``counts`` (the
documented counts, their labels and the op-ed's counts set against them), ``growth`` (step and
compound growth), ``logistic_fit`` (the curve and its figure), ``shares`` (police among
government accounts), ``wechat`` (government WeChat at the end of 2013) and ``values`` (every
number the chapter quotes, from all of them). This package holds the functions the artifact
registry names (``analysis.topics.diffusion:<function>``), so captions keep naming them so.
"""

from analysis.topics.diffusion.counts import claim_table, counts_table
from analysis.topics.diffusion.growth import growth_table
from analysis.topics.diffusion.logistic_fit import counts_figure
from analysis.topics.diffusion.shares import police_share_table
from analysis.topics.diffusion.values import diffusion_values
from analysis.topics.diffusion.wechat import wechat_sectors_table, wechat_values

__all__ = [
    "claim_table",
    "counts_figure",
    "counts_table",
    "diffusion_values",
    "growth_table",
    "police_share_table",
    "wechat_sectors_table",
    "wechat_values",
]
