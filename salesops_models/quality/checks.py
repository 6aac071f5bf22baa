"""CRM data quality: completeness, duplicates, stale and past-due deals, stage skips, pushes.

Conventions (common sales-ops hygiene rules):

- **completeness** of a key field = share of rows where it is filled; healthy is 95%+
  (:data:`~salesops_models.config.COMPLETENESS_GOAL`). Key opportunity fields are evaluated
  on deals open as of the date (what a forecast call relies on); account fields on all accounts;
- **stale**: an open deal with no recorded change in ``stale_days`` (default 30) days;
- **past due**: an open deal whose close date is before the as-of date;
- **duplicate**: another opportunity on the same account with the same normalized name and
  the same amount *as first entered* (from history: one copy is usually updated later while
  the other goes stale), created within ``window_days`` (default 7) days; the later one is
  flagged;
- **stage skip**: a forward move of more than one open stage in one change (e.g.
  Prospecting -> Proposal), counted in history up to the as-of date;
- **pushes**: times the close date was moved later (from history, as of the date).
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from .. import config
from ..crm import CRM, as_of_cutoff
from ..schema import OPEN_STAGES, STAGE_ORDER

KEY_OPPORTUNITY_FIELDS = (
    "amount",
    "close_date",
    "account_id",
    "product",
    "lead_source",
    "type",
    "forecast_category",
)
KEY_ACCOUNT_FIELDS = ("industry", "segment", "employees", "annual_revenue", "state", "owner_rep_id")


def completeness(crm: CRM, as_of=None) -> pd.DataFrame:
    """Share of filled values per key field (opportunities open as of ``as_of``; accounts).

    A field the import's source does not have at all (``crm.meta["fields_not_in_source"]``:
    Product on a Salesforce Opportunity export, where products live on line items) is not a
    hygiene gap: its row says ``in_source`` False, with completeness and ``healthy`` empty,
    and it is left out of every grade.
    """
    as_of = as_of or crm.data_end
    snap = crm.as_of(as_of, include_closed=False)
    absent = (crm.meta or {}).get("fields_not_in_source") or {}
    rows = []
    for f in KEY_OPPORTUNITY_FIELDS:
        n = len(snap)
        filled = int(snap[f].notna().sum()) if n else 0
        rows.append(
            ("opportunities (open)", f, n, filled, f not in absent.get("opportunities", ()))
        )
    for f in KEY_ACCOUNT_FIELDS:
        n = len(crm.accounts)
        rows.append(
            (
                "accounts",
                f,
                n,
                int(crm.accounts[f].notna().sum()),
                f not in absent.get("accounts", ()),
            )
        )
    out = pd.DataFrame(rows, columns=["table", "field", "rows", "filled", "in_source"])
    out["completeness"] = np.where(
        (out["rows"] > 0) & out["in_source"], out["filled"] / out["rows"].clip(lower=1), np.nan
    )
    out["healthy"] = (out["completeness"] >= config.COMPLETENESS_GOAL).where(out["in_source"], None)
    return out[["table", "field", "rows", "filled", "completeness", "healthy", "in_source"]]


def duplicate_opportunities(crm: CRM, window_days: int = 7) -> pd.DataFrame:
    """Likely duplicate opportunities (same account, normalized name and first-entered amount,
    created within ``window_days``). Returns the later deal with ``duplicate_of`` the earlier."""
    o = crm.opportunities[
        ["id", "account_id", "name", "amount", "created_date", "owner_rep_id", "stage"]
    ].copy()
    o = o[o["account_id"].notna()]
    o["_name"] = (
        o["name"].fillna("").str.lower().str.replace(r"[^a-z0-9]+", " ", regex=True).str.strip()
    )
    first = (
        crm._history()
        .drop_duplicates("opportunity_id", keep="first")
        .set_index("opportunity_id")["amount"]
    )
    o["_amt"] = o["id"].map(first).fillna(o["amount"]).fillna(-1.0)
    o = o.sort_values(["account_id", "_name", "_amt", "created_date", "id"], kind="stable")
    same = (
        o["account_id"].eq(o["account_id"].shift())
        & o["_name"].eq(o["_name"].shift())
        & o["_amt"].eq(o["_amt"].shift())
    )
    close = (o["created_date"] - o["created_date"].shift()).dt.days.le(window_days)
    dup = same & close
    out = o.loc[
        dup, ["id", "account_id", "name", "amount", "created_date", "owner_rep_id", "stage"]
    ].copy()
    out["duplicate_of"] = o["id"].shift()[dup].to_numpy()
    return out.reset_index(drop=True)


def stage_moves(crm: CRM, as_of=None) -> pd.DataFrame:
    """Per opportunity, from history up to ``as_of``: stage skips and close-date pushes."""
    h = crm._history()
    if as_of is not None:
        h = h[h["changed_at"] < as_of_cutoff(as_of)]
    same = h["opportunity_id"].eq(h["opportunity_id"].shift())
    order = h["stage"].map(STAGE_ORDER)
    prev_order = order.shift()
    is_open_to_open = h["stage"].isin(OPEN_STAGES) & h["stage"].shift().isin(OPEN_STAGES)
    skip = same & is_open_to_open & ((order - prev_order) > 1)
    pushed = same & (h["close_date"] > h["close_date"].shift())
    g = pd.DataFrame(
        {
            "opportunity_id": h["opportunity_id"],
            "stage_skips": skip.astype(int),
            "pushes": pushed.astype(int),
        }
    )
    return g.groupby("opportunity_id", sort=False).sum().reset_index()


def last_activity(crm: CRM, as_of, opportunity_ids: pd.Series) -> pd.Series:
    """Start of the last activity logged on each deal by ``as_of`` (NaT when none or when
    the CRM logs no activities), aligned with ``opportunity_ids``."""
    if not crm.has_activities:
        return pd.Series(pd.NaT, index=opportunity_ids.index, dtype="datetime64[ns]")
    a = crm.activities_as_of(as_of)
    a = a[a["opportunity_id"].notna() & (a["start"] < as_of_cutoff(as_of))]
    last = a.groupby("opportunity_id")["start"].max()
    return opportunity_ids.map(last).astype("datetime64[ns]")


def deal_flags(
    crm: CRM, as_of=None, stale_days: int = config.STALE_DAYS, *, moves: bool = True
) -> pd.DataFrame:
    """Open deals as of ``as_of`` with hygiene flags: stale, past_due, pushes, stage skips,
    days since last change, missing key fields. ``moves=False`` skips the history scan for
    stage skips and pushes (``push_count`` of the snapshot stays), for repeated calls.

    Stale means untouched for more than ``stale_days``: no field change and, when the CRM
    logs activities, no activity on the deal either (``last_activity_at``,
    ``days_since_touch``); a CRM without activities judges by field changes alone.
    """
    as_of = pd.Timestamp(as_of or crm.data_end)
    snap = crm.as_of(as_of, include_closed=False)
    if moves:
        snap = snap.merge(
            stage_moves(crm, as_of), left_on="id", right_on="opportunity_id", how="left"
        ).drop(columns="opportunity_id")
    day_end = as_of.normalize() + pd.Timedelta(days=1)
    snap["days_since_change"] = (day_end - snap["last_changed_at"]).dt.days
    snap["last_activity_at"] = last_activity(crm, as_of, snap["id"])
    touch = snap["last_changed_at"].where(
        snap["last_activity_at"].isna() | (snap["last_changed_at"] > snap["last_activity_at"]),
        snap["last_activity_at"],
    )
    snap["days_since_touch"] = (day_end - touch).dt.days
    snap["stale"] = snap["days_since_touch"] > stale_days
    snap["past_due"] = snap["close_date"].notna() & (snap["close_date"] < as_of.normalize())
    snap["missing_fields"] = snap[list(KEY_OPPORTUNITY_FIELDS)].isna().sum(axis=1)
    return snap


def quality_by(
    crm: CRM, as_of=None, by: str = "owner_rep_id", stale_days: int = config.STALE_DAYS
) -> pd.DataFrame:
    """Hygiene per rep (``by='owner_rep_id'``) or per team (``by='team'``)."""
    flags = deal_flags(crm, as_of, stale_days)
    dups = duplicate_opportunities(crm)
    flags["duplicate"] = flags["id"].isin(dups["id"])
    flags["complete"] = flags["missing_fields"] == 0
    if by != "owner_rep_id":
        flags = flags.merge(
            crm.reps[["id", by]].rename(columns={"id": "owner_rep_id"}),
            on="owner_rep_id",
            how="left",
        )
    g = flags.groupby(by, dropna=False)
    out = g.agg(
        open_deals=("id", "size"),
        open_amount=("amount", "sum"),
        stale=("stale", "mean"),
        past_due=("past_due", "mean"),
        pushed=("push_count", lambda s: float((s > 0).mean())),
        avg_pushes=("push_count", "mean"),
        stage_skips=("stage_skips", "sum"),
        duplicates=("duplicate", "sum"),
        complete_records=("complete", "mean"),
    )
    return out.sort_values("stale", ascending=False).reset_index()


def hygiene_scorecard(crm: CRM, as_of=None, stale_days: int = config.STALE_DAYS) -> pd.DataFrame:
    """One table of the headline hygiene measures with their healthy marks.

    Examples
    --------
    >>> from salesops_models.synthetic import generate_org
    >>> crm = generate_org(n_reps=8, years=1, seed=1).crm
    >>> card = hygiene_scorecard(crm, "2026-06-30")
    >>> card["measure"].iloc[0]
    'key-field completeness (min)'
    """
    as_of = as_of or crm.data_end
    comp = completeness(crm, as_of)
    flags = deal_flags(crm, as_of, stale_days)
    dups = duplicate_opportunities(crm)
    n_open = max(len(flags), 1)
    rows = [
        (
            "key-field completeness (min)",
            comp["completeness"].min(),
            f">= {config.COMPLETENESS_GOAL:.0%}",
            comp["completeness"].min() >= config.COMPLETENESS_GOAL,
        ),
        (
            "key-field completeness (mean)",
            comp["completeness"].mean(),
            f">= {config.COMPLETENESS_GOAL:.0%}",
            comp["completeness"].mean() >= config.COMPLETENESS_GOAL,
        ),
        (
            f"open deals stale (> {stale_days} days)",
            flags["stale"].sum() / n_open,
            "<= 10%",
            flags["stale"].sum() / n_open <= 0.10,
        ),
        (
            "open deals past due",
            flags["past_due"].sum() / n_open,
            "<= 5%",
            flags["past_due"].sum() / n_open <= 0.05,
        ),
        (
            "open deals pushed at least once",
            (flags["push_count"] > 0).sum() / n_open,
            "<= 30%",
            (flags["push_count"] > 0).sum() / n_open <= 0.30,
        ),
        (
            "duplicate opportunities (all time)",
            len(dups) / max(len(crm.opportunities), 1),
            "<= 1%",
            len(dups) / max(len(crm.opportunities), 1) <= 0.01,
        ),
        (
            "stage skips (share of open deals)",
            (flags["stage_skips"] > 0).sum() / n_open,
            "<= 10%",
            (flags["stage_skips"] > 0).sum() / n_open <= 0.10,
        ),
    ]
    out = pd.DataFrame(rows, columns=["measure", "value", "healthy", "ok"])
    out["as_of"] = pd.Timestamp(as_of).date()
    out["open_deals"] = len(flags)
    return out
