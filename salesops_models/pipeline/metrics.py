"""Pipeline health: coverage, stage conversion, win rates, velocity, cycle length, waterfall
and at-risk deals, each computed from as-of snapshots so a past date sees only what was
known then.

Conventions (standard sales-ops definitions):

- **Coverage** = open pipeline expected to close in the period / target. *Gross* coverage
  uses the whole target; *remaining* coverage uses the target left after closed-won to date
  (the ratio a mid-quarter forecast call watches). Healthy: 3-4x (below 3x: at risk; above
  4x: often inflated or unqualified pipeline).
- **Stage conversion**: among deals closed in a window, the share of those that reached stage
  k which went on to reach stage k+1 (a deal that skipped a stage counts as having passed it);
  from Negotiation, the share won.
- **Win rate** = won / (won + lost) over deals closed in the window, with a Jeffreys interval
  (Beta(w + 1/2, l + 1/2) quantiles), the usual choice for small counts.
- **Sales velocity** = (open opportunities x win rate x average won deal) / average cycle
  length in days: expected bookings per day flowing from the current pipeline.
- **Waterfall** between two as-of dates for one period: starting pipeline + new + pulled in
  + reopened - pushed out - won - lost +/- amount changes = ending pipeline, exactly.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
from scipy import stats

from .. import config
from ..crm import CRM
from ..draws import interval_columns, tails
from ..schema import OPEN_STAGES, STAGE_ORDER

COVERAGE_BAND = (3.0, 4.0)
WATERFALL_BUCKETS = (
    "start",
    "new",
    "pulled_in",
    "reopened",
    "pushed_out",
    "won",
    "lost",
    "amount_change",
    "end",
)


def _period(crm: CRM, period, as_of):
    return crm.period(period) if period else crm.quarter(as_of)


def enrich(crm: CRM, deals: pd.DataFrame) -> pd.DataFrame:
    """Add the owner's name (``rep_name``), team, region and role, and a ``segment`` (the
    account's, else the rep's)."""
    reps = crm.reps[["id", "name", "team", "region", "segment", "role"]].rename(
        columns={"id": "owner_rep_id", "name": "rep_name", "segment": "rep_segment"}
    )
    acc = crm.accounts[["id", "segment"]].rename(
        columns={"id": "account_id", "segment": "account_segment"}
    )
    out = deals.merge(reps, on="owner_rep_id", how="left").merge(acc, on="account_id", how="left")
    out["segment"] = out["account_segment"].fillna(out["rep_segment"])
    return out


def _status(ratio: float, band=COVERAGE_BAND) -> str:
    if not np.isfinite(ratio):
        return "n/a"
    return "low" if ratio < band[0] else ("healthy" if ratio <= band[1] else "high")


def quota_target(crm: CRM, period, by: str | None = None):
    """Sum of quotas whose period lies inside ``period`` (optionally by a rep column)."""
    p = crm.period(period)
    q = crm.quotas
    q = q[(q["period_start"] >= p.start) & (q["period_end"] <= p.end)]
    if by is None:
        return float(q["amount"].sum())
    reps = crm.reps[["id", by]].rename(columns={"id": "rep_id"})
    return q.merge(reps, on="rep_id", how="left").groupby(by)["amount"].sum()


def default_target(crm: CRM, period) -> tuple[float, str]:
    """The period's target: the sum of quotas in it; without quotas, the same period a year
    earlier's closed-won bookings (a common stand-in), else the previous period's."""
    p = crm.period(period)
    q = quota_target(crm, p)
    if q > 0:
        return q, "sum of quotas"
    year_ago = (
        crm.calendar.quarter(p.start - pd.DateOffset(years=1)) if p.kind == "quarter" else None
    )
    for label, prior in (
        ("bookings a year earlier", year_ago),
        ("previous period's bookings", crm.calendar.previous(p)),
    ):
        if prior is not None:
            b = crm.bookings(prior)
            if b > 0:
                return b, f"{label} ({prior.label})"
    return 0.0, "none (no quotas, no prior bookings)"


def forecast_target(crm: CRM, period, given: float | None = None) -> tuple[float, str]:
    """The target a forecast is measured against: the one ``given``, else the sum of the
    period's quotas; without either, no target (``0.0`` and a sentence asking for one).

    Unlike :func:`default_target` (coverage's stand-in), a forecast never invents a target:
    last year's bookings as the goal of a growing org reads "P(reach target) 100%".
    """
    if given:
        return float(given), "given"
    q = quota_target(crm, crm.period(period))
    if q > 0:
        return q, "sum of quotas"
    return 0.0, (
        "this store has no quotas for the period; give one (salesops forecast run --target "
        "AMOUNT, or the report parameter target)"
    )


def coverage(
    crm: CRM, as_of, period=None, *, target: float | None = None, by: str | None = "team"
) -> pd.DataFrame:
    """Pipeline coverage of ``period`` as of ``as_of``, overall and by ``by``.

    Columns: target, won_to_date, remaining, open_pipeline, open_deals,
    open_without_close_date (open amount that cannot be placed in any period), gross_coverage,
    remaining_coverage, status (against the 3-4x band on remaining coverage).
    ``target`` defaults to :func:`default_target` (quotas; group rows use quotas only).

    Examples
    --------
    >>> from salesops_models.synthetic import generate_org
    >>> crm = generate_org(n_reps=8, years=1, seed=1).crm
    >>> cov = coverage(crm, "2026-06-30", "2026-Q3")      # the day before Q3 starts
    >>> cov.loc[0, "group"], bool(cov.loc[0, "remaining_coverage"] > 0)
    ('Total', True)
    """
    p = _period(crm, period, as_of)
    if target is None or target <= 0:
        total_target, target_source = default_target(crm, p)
    else:
        total_target, target_source = float(target), "given"
    snap = enrich(crm, crm.as_of(as_of))
    in_p = snap["close_date"].between(p.start, p.end)
    parts = {
        "open": snap[~snap["is_closed"] & in_p],
        "won": snap[snap["is_won"] & in_p],
        "undated": snap[~snap["is_closed"] & snap["close_date"].isna()],
    }
    total = pd.Series(
        {
            "won_to_date": parts["won"]["amount"].sum(),
            "won_deals": len(parts["won"]),
            "open_pipeline": parts["open"]["amount"].sum(),
            "open_deals": len(parts["open"]),
            "open_without_close_date": parts["undated"]["amount"].sum(),
        }
    )
    groups = tgt = None
    if by:
        tgt = quota_target(crm, p, by) if target_source == "sum of quotas" else pd.Series()
        groups = pd.DataFrame(
            {
                "won_to_date": parts["won"].groupby(by)["amount"].sum(),
                "won_deals": parts["won"].groupby(by).size(),
                "open_pipeline": parts["open"].groupby(by)["amount"].sum(),
                "open_deals": parts["open"].groupby(by).size(),
                "open_without_close_date": parts["undated"].groupby(by)["amount"].sum(),
            }
        )
    out = coverage_table(total, total_target, groups, tgt)
    out.attrs.update(
        period=p.label, as_of=str(pd.Timestamp(as_of).date()), target_source=target_source
    )
    return out


def coverage_table(
    total: pd.Series,
    total_target: float,
    groups: pd.DataFrame | None = None,
    group_targets: pd.Series | None = None,
) -> pd.DataFrame:
    """:func:`coverage`'s rows from sums (``total`` and, per group, ``groups``: won_to_date,
    won_deals, open_pipeline, open_deals, open_without_close_date), however they were
    computed (pandas here, SQL in :mod:`salesops_models.pipeline.pushdown`). A group appears
    when it has an open or won deal in the period or a target."""
    entries = [("Total", total, total_target)]
    if groups is not None:
        groups = groups.fillna(0.0)
        targets = group_targets if group_targets is not None else pd.Series(dtype=float)
        active = groups.index[(groups["open_deals"] > 0) | (groups["won_deals"] > 0)]
        for key in sorted(set(active.dropna()) | set(targets.index.dropna())):
            g = groups.loc[key] if key in groups.index else pd.Series(0.0, index=groups.columns)
            entries.append((key, g, float(targets.get(key, 0.0))))
    rows = []
    for key, g, t in entries:
        g = g.fillna(0.0)
        won_amt, pipe = float(g["won_to_date"]), float(g["open_pipeline"])
        remaining = max(t - won_amt, 0.0)
        rows.append(
            {
                "group": key,
                "target": t,
                "won_to_date": won_amt,
                "remaining": remaining,
                "open_pipeline": pipe,
                "open_deals": int(g["open_deals"]),
                "open_without_close_date": float(g["open_without_close_date"]),
                "gross_coverage": pipe / t if t > 0 else np.nan,
                "remaining_coverage": pipe / remaining if remaining > 0 else np.nan,
            }
        )
    out = pd.DataFrame(rows)
    out["status"] = [_status(r) for r in out["remaining_coverage"]]
    return out


def max_stage_reached(crm: CRM, as_of=None) -> pd.Series:
    """Highest open-stage index (0-4) each deal reached by ``as_of``; 5 if won."""
    h = crm._history()
    if as_of is not None:
        from ..crm import as_of_cutoff

        h = h[h["changed_at"] < as_of_cutoff(as_of)]
    order = h["stage"].map(STAGE_ORDER).where(h["stage"] != "Closed Lost", -1)
    return order.groupby(h["opportunity_id"]).max().rename("max_stage")


def stage_conversion(crm: CRM, start, end, *, by: str | None = None) -> pd.DataFrame:
    """Stage-to-stage conversion of deals closed in ``[start, end]`` (as of ``end``).

    Stages the CRM never uses (absent from its whole history) are left out, so a CRM with
    a shorter sales process (e.g. Prospecting > Engaging > Won) shows only its own steps;
    "advanced" from the last stage used means won.
    """
    snap = enrich(crm, crm.as_of(end))
    closed = snap[
        snap["is_closed"] & snap["close_date"].between(pd.Timestamp(start), pd.Timestamp(end))
    ]
    reached = closed["id"].map(max_stage_reached(crm, end)).fillna(0).to_numpy()
    rows = []
    keys = [("All", np.ones(len(closed), bool))]
    if by:
        keys += [(k, (closed[by] == k).to_numpy()) for k in sorted(closed[by].dropna().unique())]
    used = [
        k
        for k, st in enumerate(OPEN_STAGES)
        if st in set(crm.opportunity_history["stage"].unique())
    ]
    for key, m in keys:
        r = reached[m]
        won = closed["is_won"].to_numpy()[m]
        for i, k in enumerate(used):
            stage = OPEN_STAGES[k]
            nxt = used[i + 1] if i + 1 < len(used) else 5
            n_k = int((r >= k).sum())
            adv = int((r >= nxt).sum())
            rows.append(
                {
                    "group": key,
                    "stage": stage,
                    "reached": n_k,
                    "advanced": adv,
                    "conversion": adv / n_k if n_k else np.nan,
                    "win_rate_from_stage": float(won[r >= k].mean()) if n_k else np.nan,
                }
            )
    return pd.DataFrame(rows)


def jeffreys_interval(wins, losses, cred: float = 0.9) -> tuple[np.ndarray, np.ndarray]:
    """Equal-tailed Jeffreys interval for a binomial rate (Beta(w+1/2, l+1/2))."""
    a = np.asarray(wins, float) + 0.5
    b = np.asarray(losses, float) + 0.5
    lo_q, hi_q = tails(cred)
    lo = stats.beta.ppf(lo_q, a, b)
    hi = stats.beta.ppf(hi_q, a, b)
    return np.where(np.asarray(wins) == 0, 0.0, lo), np.where(np.asarray(losses) == 0, 1.0, hi)


def closed_deals(crm: CRM, start, end) -> pd.DataFrame:
    """Deals closed in ``[start, end]`` as recorded by ``end``, enriched."""
    snap = enrich(crm, crm.as_of(end))
    m = snap["is_closed"] & snap["close_date"].between(pd.Timestamp(start), pd.Timestamp(end))
    d = snap[m].copy()
    d["cycle_days"] = (d["close_date"] - d["created_date"]).dt.days
    return d


def win_rates(
    crm: CRM, start, end, by: str = "segment", cred: float = 0.9, min_closed: int = 1
) -> pd.DataFrame:
    """Win rate with a Jeffreys ``cred`` interval per ``by`` over deals closed in the window
    (columns named by :func:`~salesops_models.draws.interval_columns`: ``p05`` / ``p95`` for
    the default 90%)."""
    d = closed_deals(crm, start, end)
    d[by] = d[by].fillna("(none)")
    g = d.groupby(by).agg(
        won=("is_won", "sum"),
        closed=("is_won", "size"),
        won_amount=("amount", lambda s: float(s[d.loc[s.index, "is_won"]].sum())),
        closed_amount=("amount", "sum"),
    )
    g["lost"] = g["closed"] - g["won"]
    g = g[g["closed"] >= min_closed]
    g["win_rate"] = g["won"] / g["closed"]
    g[list(interval_columns(cred))] = np.column_stack(jeffreys_interval(g["won"], g["lost"], cred))
    g["value_win_rate"] = g["won_amount"] / g["closed_amount"].where(g["closed_amount"] > 0)
    return g.reset_index().sort_values("win_rate", ascending=False).reset_index(drop=True)


def velocity(crm: CRM, as_of, lookback_days: int = 365, by: str | None = None) -> pd.DataFrame:
    """Sales velocity as of ``as_of`` (win rate, deal size, cycle from the lookback window)."""
    as_of = pd.Timestamp(as_of)
    d = closed_deals(crm, as_of - pd.Timedelta(days=lookback_days), as_of)
    open_ = enrich(crm, crm.as_of(as_of, include_closed=False))
    keys = [("All", d, open_)]
    if by:
        keys += [
            (k, d[d[by] == k], open_[open_[by] == k]) for k in sorted(open_[by].dropna().unique())
        ]
    rows = []
    for key, c, o in keys:
        won = c[c["is_won"]]
        wr = len(won) / len(c) if len(c) else np.nan
        avg = float(won["amount"].mean()) if len(won) else np.nan
        cyc = float(won["cycle_days"].mean()) if len(won) else np.nan
        v = len(o) * wr * avg / cyc if cyc and np.isfinite(cyc) and cyc > 0 else np.nan
        rows.append(
            {
                "group": key,
                "as_of": as_of.date(),
                "open_deals": len(o),
                "win_rate": wr,
                "avg_won_deal": avg,
                "cycle_days": cyc,
                "velocity_per_day": v,
                "velocity_per_30d": v * 30,
            }
        )
    return pd.DataFrame(rows)


def velocity_trend(crm: CRM, dates, lookback_days: int = 365) -> pd.DataFrame:
    """Sales velocity (All) at several as-of dates."""
    return pd.concat([velocity(crm, d, lookback_days) for d in dates], ignore_index=True)


def waterfall(crm: CRM, start, end, period=None) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Pipeline waterfall of ``period`` between as-of dates ``start`` and ``end``.

    Let S be the deals open at ``start`` with a close date in the period and E those open at
    ``end``. Each deal of S is, at ``end``, still in the period (its amount change counts), or
    pushed out of it (open, close date moved outside or cleared), won, or lost. Each deal of
    E not in S is new (created after ``start``), pulled in (open at ``start`` with a close date
    outside the period), or reopened (closed at ``start``). Hence, exactly::

        end = start + new + pulled_in + reopened - pushed_out - won - lost + amount_change

    Missing amounts count as 0. Returns (buckets, per-deal detail with its bucket).
    """
    p = _period(crm, period, end)
    a = crm.as_of(start).set_index("id")
    b = crm.as_of(end).set_index("id")
    in_a = ~a["is_closed"] & a["close_date"].between(p.start, p.end)
    in_b = ~b["is_closed"] & b["close_date"].between(p.start, p.end)
    S, E = a.index[in_a], b.index[in_b]
    amt_a = a["amount"].fillna(0.0)
    amt_b = b["amount"].fillna(0.0)
    rows = []
    for oid in S:
        if oid in E:
            bucket, value = "amount_change", amt_b[oid] - amt_a[oid]
        elif b.at[oid, "is_won"]:
            bucket, value = "won", -amt_a[oid]
        elif b.at[oid, "is_closed"]:
            bucket, value = "lost", -amt_a[oid]
        else:
            bucket, value = "pushed_out", -amt_a[oid]
        rows.append((oid, bucket, value, amt_a[oid], amt_b.get(oid, np.nan)))
    for oid in E.difference(S):
        if oid not in a.index:
            bucket = "new"
        elif a.at[oid, "is_closed"]:
            bucket = "reopened"
        else:
            bucket = "pulled_in"
        rows.append((oid, bucket, amt_b[oid], amt_a.get(oid, np.nan), amt_b[oid]))
    detail = pd.DataFrame(rows, columns=["id", "bucket", "value", "amount_start", "amount_end"])
    start_total = float(amt_a[S].sum())
    end_total = float(amt_b[E].sum())
    sums = detail.groupby("bucket")["value"].sum()
    values = {
        "start": start_total,
        **{k: float(sums.get(k, 0.0)) for k in WATERFALL_BUCKETS[1:-1]},
        "end": end_total,
    }
    counts = detail["bucket"].value_counts()
    buckets = pd.DataFrame(
        {
            "bucket": list(WATERFALL_BUCKETS),
            "amount": [values[k] for k in WATERFALL_BUCKETS],
            "deals": [len(S)] + [int(counts.get(k, 0)) for k in WATERFALL_BUCKETS[1:-1]] + [len(E)],
        }
    )
    buckets.attrs.update(
        period=p.label, start=str(pd.Timestamp(start).date()), end=str(pd.Timestamp(end).date())
    )
    detail = detail.merge(
        b[["name", "owner_rep_id", "stage", "close_date"]].reset_index(), on="id", how="left"
    )
    return buckets, detail


def stage_durations(crm: CRM, as_of=None) -> pd.DataFrame:
    """Days spent in each open stage by every completed stage visit (from history)."""
    h = crm._history()
    if as_of is not None:
        from ..crm import as_of_cutoff

        h = h[h["changed_at"] < as_of_cutoff(as_of)]
    same_next = h["opportunity_id"].eq(h["opportunity_id"].shift(-1))
    stage_changes = same_next & h["stage"].ne(h["stage"].shift(-1))
    new_run = ~h["opportunity_id"].eq(h["opportunity_id"].shift()) | h["stage"].ne(
        h["stage"].shift()
    )
    run_start = h["changed_at"].where(new_run).ffill()
    end = h["changed_at"].shift(-1)
    d = pd.DataFrame(
        {
            "opportunity_id": h["opportunity_id"],
            "stage": h["stage"],
            "days": (end - run_start).dt.total_seconds() / 86400,
        }
    )[stage_changes]
    return d[d["stage"].isin(OPEN_STAGES)]


def at_risk_deals(
    crm: CRM, as_of, period=None, stale_days: int = config.STALE_DAYS
) -> pd.DataFrame:
    """Open deals of the period with the reasons they are at risk.

    Reasons: stale (no change, and no activity when the CRM logs them, in ``stale_days``),
    past due, pushed twice or more, stuck (in its stage more than twice the historical median
    for that stage), no amount. ``last_activity_at`` shows when the deal was last worked
    (a column only when the CRM logs activities).
    """
    from ..quality import deal_flags

    p = _period(crm, period, as_of)
    f = deal_flags(crm, as_of, stale_days)
    f = f[f["close_date"].between(p.start, p.end) | f["close_date"].isna()]
    med = stage_durations(crm, as_of).groupby("stage")["days"].median()
    in_stage = (
        pd.Timestamp(as_of) + pd.Timedelta(days=1) - f["stage_entered_at"]
    ).dt.total_seconds() / 86400
    stuck = in_stage > 2 * f["stage"].map(med).fillna(np.inf)
    reasons = {
        f"stale > {stale_days}d": f["stale"],
        "past due": f["past_due"],
        "pushed 2+": f["push_count"] >= 2,
        "stuck in stage": stuck,
        "no amount": f["amount"].isna(),
    }
    r = pd.DataFrame(reasons)
    f = f.assign(
        days_in_stage=in_stage.round(0),
        risk_score=r.sum(axis=1),
        reasons=r.apply(lambda row: ", ".join(k for k, v in row.items() if v), axis=1),
    )
    f = f[f["risk_score"] > 0]
    cols = [
        "id",
        "name",
        "owner_rep_id",
        "stage",
        "amount",
        "close_date",
        "push_count",
        "days_since_change",
        "last_activity_at",
        "days_in_stage",
        "risk_score",
        "reasons",
    ]
    if not crm.has_activities:
        cols.remove("last_activity_at")
    return f.sort_values(["risk_score", "amount"], ascending=False)[cols].reset_index(drop=True)


# --- plots ---------------------------------------------------------------------------------
