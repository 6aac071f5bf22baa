"""Chart of the CRM hygiene scorecard (matplotlib)."""

from __future__ import annotations

import numpy as np

from .. import config
from ..crm import CRM
from .checks import completeness, quality_by


def plot_quality(crm: CRM, as_of=None, stale_days: int = config.STALE_DAYS, ax=None):
    """Completeness per key field against the 95% mark, and stale/past-due share per team."""
    import matplotlib.pyplot as plt

    comp = completeness(crm, as_of)
    comp = comp[comp["in_source"]]  # a field the export does not have is not a hygiene gap
    teams = quality_by(crm, as_of, by="team", stale_days=stale_days).head(15)
    if ax is None:
        fig, ax = plt.subplots(1, 2, figsize=(13, 4.8))
    else:
        fig = ax[0].figure
    labels = comp["table"].str.split(" ").str[0].str[:4] + "." + comp["field"]
    colors = np.where(comp["healthy"], "#2b8a3e", "#c92a2a")
    ax[0].barh(labels, comp["completeness"], color=colors)
    ax[0].axvline(
        config.COMPLETENESS_GOAL,
        color="k",
        ls="--",
        lw=1,
        label=f"goal {config.COMPLETENESS_GOAL:.0%}",
    )
    ax[0].set_xlim(0, 1)
    ax[0].set_title("Completeness of key fields")
    ax[0].legend(loc="lower left")
    y = np.arange(len(teams))
    ax[1].barh(
        y - 0.2, teams["stale"], height=0.4, label=f"stale (> {stale_days} d)", color="#e67700"
    )
    ax[1].barh(y + 0.2, teams["past_due"], height=0.4, label="past due", color="#5f3dc4")
    ax[1].set_yticks(y, teams.iloc[:, 0].astype(str))
    ax[1].set_title("Open deals: stale and past-due share by team")
    ax[1].legend(loc="lower right")
    fig.tight_layout()
    return fig
