"""Process compliance: did deals meet the entry criteria of the stages they entered?

Criteria live in ``stage_criteria.yml`` (format in its header). A deal *enters* stage X the
first time its recorded stage is X or a later open stage, or Closed Won (so a skipped stage
is held to its criteria when the deal passes it); Closed Lost enters nothing. At that moment
(the history row's ``changed_at``):

- a ``fields`` criterion holds when the history row has the field filled;
- an ``activities`` criterion holds when at least ``min_count`` activities of the type (and
  outcome) were logged on the deal with a start before the entry (and, with
  ``within_days``, no earlier than that many days before it).

Only what was known by the as-of date counts (history rows and activities logged by then).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import pandas as pd
from scipy import stats

from .. import config
from ..crm import CRM, as_of_cutoff
from ..errors import CriteriaError
from ..schema import ACTIVITY_TYPES, OPEN_STAGES, STAGES, WON_STAGE

CRITERIA_FILE: Path = config.PROJECT_ROOT / "stage_criteria.yml"
_FIELDS = ("amount", "close_date", "forecast_category")


@dataclass(frozen=True)
class ActivityRule:
    type: str
    outcome: tuple[str, ...] = ()
    min_count: int = 1
    within_days: float | None = None
    description: str = ""

    def text(self) -> str:
        if self.description:
            return self.description
        what = f"{self.min_count} {self.type}" + ("s" if self.min_count > 1 else "")
        if self.outcome:
            what += f" ({'/'.join(self.outcome)})"
        if self.within_days:
            what += f" in the {self.within_days:g} days before"
        return what + " on the deal"


@dataclass(frozen=True)
class StageCriteria:
    stage: str
    fields: tuple[str, ...] = ()
    activities: tuple[ActivityRule, ...] = field(default_factory=tuple)


def load_criteria(path: str | Path | None = None) -> list[StageCriteria]:
    """Read and check a stage-criteria file (default ``stage_criteria.yml``).

    Examples
    --------
    >>> [c.stage for c in load_criteria()]
    ['Qualification', 'Proposal']
    """
    from ..yamlio import load_yaml

    path = Path(path) if path is not None else CRITERIA_FILE
    raw = load_yaml(path)
    where = str(path)
    if not isinstance(raw, dict) or not isinstance(raw.get("stages"), dict):
        raise CriteriaError(f"{where}: expected a mapping with `stages:`")
    out = []
    for stage, spec in raw["stages"].items():
        w = f"{where}: stages.{stage}"
        if stage not in OPEN_STAGES[1:]:
            raise CriteriaError(
                f"{w}: not an open stage after Prospecting ({', '.join(OPEN_STAGES[1:])})"
            )
        spec = spec or {}
        if not isinstance(spec, dict) or set(spec) - {"fields", "activities"}:
            raise CriteriaError(f"{w}: expected `fields:` and/or `activities:`")
        fields = tuple(spec.get("fields") or ())
        for f in fields:
            if f not in _FIELDS:
                raise CriteriaError(f"{w}.fields: {f!r} is not one of {', '.join(_FIELDS)}")
        rules = []
        for i, r in enumerate(spec.get("activities") or ()):
            wr = f"{w}.activities[{i}]"
            if not isinstance(r, dict) or r.get("type") not in ACTIVITY_TYPES:
                raise CriteriaError(f"{wr}: needs `type:` one of {', '.join(ACTIVITY_TYPES)}")
            extra = set(r) - {"type", "outcome", "min_count", "within_days", "description"}
            if extra:
                raise CriteriaError(f"{wr}: unknown keys {sorted(extra)}")
            outcome = r.get("outcome") or ()
            outcome = (outcome,) if isinstance(outcome, str) else tuple(outcome)
            n = r.get("min_count", 1)
            if isinstance(n, bool) or not isinstance(n, int) or n < 1:
                raise CriteriaError(f"{wr}.min_count: expected a whole number >= 1, got {n!r}")
            days = r.get("within_days")
            if days is not None and (
                isinstance(days, bool) or not isinstance(days, int | float) or not 0 < days < 3650
            ):
                raise CriteriaError(f"{wr}.within_days: expected days in (0, 3650), got {days!r}")
            rules.append(
                ActivityRule(
                    r["type"],
                    tuple(str(o).casefold() for o in outcome),
                    n,
                    days,
                    str(r.get("description") or ""),
                )
            )
        out.append(StageCriteria(stage, fields, tuple(rules)))
    return sorted(out, key=lambda c: STAGES.index(c.stage))


def stage_entries(crm: CRM, as_of, stages) -> pd.DataFrame:
    """First recorded entry of each deal into each of ``stages`` (as defined above), known
    by ``as_of``: opportunity_id, stage, entered_at and the history row's fields."""
    h = crm._history()
    h = h[h["changed_at"] < as_of_cutoff(as_of)]
    pos = h["stage"].map({s: i for i, s in enumerate(OPEN_STAGES)} | {WON_STAGE: len(OPEN_STAGES)})
    parts = []
    for stage in stages:
        k = OPEN_STAGES.index(stage)
        first = h[pos.to_numpy() >= k].drop_duplicates(
            "opportunity_id", keep="first"
        )  # sorted by time
        parts.append(first.assign(stage=stage, recorded_stage=first["stage"]))
    if not parts:
        return pd.DataFrame(columns=["opportunity_id", "stage", "entered_at", *_FIELDS])
    out = pd.concat(parts, ignore_index=True).rename(columns={"changed_at": "entered_at"})
    return out[["opportunity_id", "stage", "recorded_stage", "entered_at", *_FIELDS]]


def evaluate_compliance(
    crm: CRM, as_of, *, criteria: list[StageCriteria] | None = None, since=None
) -> pd.DataFrame:
    """Every stage entry with criteria (entered since ``since``, known by ``as_of``) and
    whether it met them.

    Returns one row per (deal, stage): ``opportunity_id``, ``owner_rep_id``, ``team``,
    ``stage``, ``entered_at``, ``compliant``, ``missing`` (the unmet criteria in words, e.g.
    "missing amount; missing a meeting with the buyer logged on the deal"),
    ``outcome`` (won / lost / open as of ``as_of``).

    Examples
    --------
    >>> from salesops_models.synthetic import generate_org
    >>> crm = generate_org(n_reps=6, years=1, seed=2).crm
    >>> ev = evaluate_compliance(crm, "2026-09-30", since="2026-04-01")
    >>> sorted(ev["stage"].unique())
    ['Proposal', 'Qualification']
    """
    criteria = load_criteria() if criteria is None else criteria
    e = stage_entries(crm, as_of, [c.stage for c in criteria])
    if since is not None:
        e = e[e["entered_at"] >= pd.Timestamp(since)]
    e = e.reset_index(drop=True)
    missing = [[] for _ in range(len(e))]
    by_stage = {c.stage: c for c in criteria}
    acts = crm.activities_as_of(as_of)
    acts = acts[acts["opportunity_id"].notna()]
    for stage, c in by_stage.items():
        rows = np.flatnonzero(e["stage"].to_numpy() == stage)
        if not len(rows):
            continue
        sub = e.iloc[rows]
        for f in c.fields:
            bad = sub[f].isna().to_numpy()
            for i in rows[bad]:
                missing[i].append(f"missing {f.replace('_', ' ')}")
        for rule in c.activities:
            a = acts[acts["type"] == rule.type]
            if rule.outcome:
                a = a[a["outcome"].str.casefold().isin(rule.outcome)]
            j = (
                sub[["opportunity_id", "entered_at"]]
                .reset_index()
                .merge(a[["opportunity_id", "start"]], on="opportunity_id", how="inner")
            )
            ok = j["start"] < j["entered_at"]
            if rule.within_days:
                ok &= j["start"] >= j["entered_at"] - pd.Timedelta(days=rule.within_days)
            n = j[ok].groupby("index").size().reindex(sub.index, fill_value=0)
            for i in n.index[n.to_numpy() < rule.min_count]:
                missing[i].append(f"missing {rule.text()}")
    opps = crm.as_of(as_of).set_index("id")
    e["owner_rep_id"] = e["opportunity_id"].map(opps["owner_rep_id"])
    e["team"] = e["owner_rep_id"].map(crm.reps.set_index("id")["team"])
    state = opps["stage"].reindex(e["opportunity_id"]).to_numpy()
    e["outcome"] = np.where(
        state == WON_STAGE, "won", np.where(state == "Closed Lost", "lost", "open")
    )
    e["missing"] = ["; ".join(m) for m in missing]
    e["compliant"] = e["missing"] == ""
    cols = [
        "opportunity_id",
        "owner_rep_id",
        "team",
        "stage",
        "entered_at",
        "compliant",
        "missing",
        "outcome",
    ]
    return e[cols]


def compliance_summary(evaluated: pd.DataFrame, by: str | list[str] = "stage") -> pd.DataFrame:
    """Share of stage entries meeting their criteria per group (Jeffreys 90% interval)."""
    keys = [by] if isinstance(by, str) else list(by)
    g = evaluated.groupby(keys, observed=True)["compliant"]
    out = pd.DataFrame({"entries": g.size(), "compliant": g.sum()}).reset_index()
    a, b = out["compliant"] + 0.5, out["entries"] - out["compliant"] + 0.5
    out["share"] = out["compliant"] / out["entries"]
    out["p05"], out["p95"] = stats.beta.ppf(0.05, a, b), stats.beta.ppf(0.95, a, b)
    return out


def conversion_by_compliance(evaluated: pd.DataFrame) -> pd.DataFrame:
    """Win rate of closed deals, compliant vs not, per stage (Jeffreys 90% intervals): does
    the process pay off?"""
    closed = evaluated[evaluated["outcome"] != "open"]
    g = closed.groupby(["stage", "compliant"], observed=True)["outcome"]
    out = pd.DataFrame(
        {"closed": g.size(), "won": g.apply(lambda s: int((s == "won").sum()))}
    ).reset_index()
    a, b = out["won"] + 0.5, out["closed"] - out["won"] + 0.5
    out["win_rate"] = out["won"] / out["closed"]
    out["p05"], out["p95"] = stats.beta.ppf(0.05, a, b), stats.beta.ppf(0.95, a, b)
    return out


__all__ = [
    "CRITERIA_FILE",
    "ActivityRule",
    "CriteriaError",
    "StageCriteria",
    "compliance_summary",
    "conversion_by_compliance",
    "evaluate_compliance",
    "load_criteria",
    "stage_entries",
]
