"""The metrics of the sales-ops health scorecard, one function each.

Every function takes the CRM, the as-of date and the metric's settings from the band file
(:mod:`.bands`) and returns a :class:`Metric`: value, interval where the value is estimated,
status against the benchmark band, the three biggest contributors, a one-line action built
from the numbers, and a quarterly trend (for the sparklines). Only data known on the as-of
date is used (``CRM.as_of``), except where noted (account ownership and quotas are not
historized).

Definitions (the conventions each follows are cited in ``health_bands.yml``):

- *complete quarters*: fiscal quarters ending on or before the as-of date; "the last 4
  quarters" are the last 4 complete ones;
- *forecast accuracy*: mean |P50 - actual| / actual over scored forecasts (the forecast
  ledger when it holds enough, else the backtest at its week-4 point), 90% bootstrap interval;
- *coverage*: open pipeline dated in the quarter of the day after the as-of date / (target -
  won to date), measured on the day before that quarter started (start-of-quarter coverage,
  what the 3-4x rule is for); target = sum of quotas (else bookings a year earlier);
- *hygiene*: open pipeline amount stale or past its close date / all open pipeline amount;
  stale = no recorded change for longer than both ``stale_days`` and the 90th percentile of
  the time deals of its segment spend in its stage (:func:`stuck_thresholds`);
- *attainment*: per AE with a quota in each of the last 4 quarters, won bookings / quota;
  share at >= 100% (Jeffreys interval) and mean attainment;
- *territory balance*: coefficient of variation (sd / mean) of account potential across the
  active AEs' territories within a segment, for the least balanced segment; structural share =
  R^2 of log attainment (or of bookings relative to the segment) on log relative potential;
- *data quality*: completeness of the least-filled key field; duplicates among opportunities
  created in the last 12 months;
- *ramp*: :mod:`.ramp` (exact grid posterior); a cohort is flagged when the posterior
  probability of a ramp beyond the band reaches ``confidence`` (default 90%);
- *cycle, velocity, win rate*: last 4 quarters against the 4 before (velocity: as of the date
  against a year earlier, :func:`~salesops_models.pipeline.velocity`); bootstrap or Beta
  posterior intervals of the change;
- *comp cost*: exact statements of the configured plan over the last 4 quarters
  (:func:`~salesops_models.comp.compute_statements`); cost of sales = (AE base prorated + all
  statement pay) / AE bookings; accelerators = the premium paid above the base rate on credit above quota
  (``StatementResult.accelerators``).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import pandas as pd

from .. import pipeline, quality
from ..crm import CRM
from .bands import Band, fmt, worse


@dataclass
class Metric:
    key: str
    title: str
    measure: str
    unit: str
    value: float | None
    status: str
    band: Band
    interval: tuple[float, float] | None = None
    also: dict | None = None  # name, value, unit, status, band (Band)
    contributors: list[dict] = field(default_factory=list)  # name, value (text), detail
    action: str = ""
    trend: pd.DataFrame = field(default_factory=lambda: pd.DataFrame(columns=["period", "value"]))
    details: dict = field(default_factory=dict)
    note: str = ""
    table: pd.DataFrame | None = None
    source: str = ""
    #: "" when the trend is the graded value itself; else what the trend shows instead (the
    #: level behind a graded change: "median days to win", "win rate", "$ per 30 days")
    trend_label: str = ""

    @property
    def value_text(self) -> str:
        return fmt(self.value, self.unit)

    @property
    def interval_text(self) -> str:
        if self.interval is None:
            return ""
        return f"{fmt(self.interval[0], self.unit)} to {fmt(self.interval[1], self.unit)}"

    def to_dict(self) -> dict:
        """JSON-ready record (numbers as floats, None for missing)."""

        def num(x):
            if x is None:
                return None
            try:
                x = float(x)
            except (TypeError, ValueError):
                return x
            return x if np.isfinite(x) else None

        also = None
        if self.also:
            also = {k: v for k, v in self.also.items() if k != "band"}
            also["value"] = num(also.get("value"))
            also["band"] = self.also["band"].to_dict()
        return {
            "key": self.key,
            "title": self.title,
            "measure": self.measure,
            "unit": self.unit,
            "value": num(self.value),
            "value_text": self.value_text,
            "interval": None if self.interval is None else [num(x) for x in self.interval],
            "status": self.status,
            "band": self.band.to_dict(),
            "band_text": self.band.text(),
            "also": also,
            "contributors": self.contributors,
            "action": self.action,
            "trend_label": self.trend_label or self.measure,
            "trend": [
                {"period": str(p), "value": num(v)}
                for p, v in zip(self.trend["period"], self.trend["value"], strict=True)
            ],
            "details": {
                k: num(v) if not isinstance(v, str) else v for k, v in self.details.items()
            },
            "note": self.note,
            "source": self.source,
        }


def _na(key: str, cfg: dict, note: str) -> Metric:
    return Metric(
        key, cfg["title"], cfg.get("measure", ""), cfg["band"].unit, None, "n/a", cfg["band"],
        note=note, action=f"Not graded: {note}", source=cfg.get("source", ""),
    )  # fmt: skip


def _metric(key: str, cfg: dict, value, **kw) -> Metric:
    band: Band = cfg["band"]
    status = kw.pop("status", None) or band.status(value)
    also = kw.get("also")
    if also is not None:
        also["band"] = cfg["also_band"]
        also["unit"] = cfg["also_band"].unit
        also["status"] = cfg["also_band"].status(also["value"])
        also["band_text"] = cfg["also_band"].text()
        status = worse(status, also["status"])
    return Metric(
        key, cfg["title"], cfg.get("measure", ""), band.unit, value, status, band,
        source=cfg.get("source", ""), **kw,
    )  # fmt: skip


def grade_draws(band: Band, draws, confidence: float = 0.9) -> tuple[str, float, float]:
    """Status from the uncertainty of an estimated value: **act** when the draws put it
    outside the watch band with probability >= ``confidence``, **watch** when outside the
    healthy band with that probability, else healthy (a change not yet distinguishable from
    noise is not flagged). Returns (status, P(outside healthy), P(outside watch))."""
    d = np.asarray(draws, float)
    d = d[np.isfinite(d)]
    if d.size == 0:
        return "n/a", np.nan, np.nan
    out_h = float(((d < band.healthy[0]) | (d > band.healthy[1])).mean())
    out_w = float(((d < band.watch[0]) | (d > band.watch[1])).mean())
    status = "act" if out_w >= confidence else ("watch" if out_h >= confidence else "healthy")
    return status, out_h, out_w


# --- periods ------------------------------------------------------------------------------
def complete_quarters(crm: CRM, as_of, n: int) -> list:
    """The last ``n`` fiscal quarters that ended on or before ``as_of`` (oldest first)."""
    as_of = pd.Timestamp(as_of).normalize()
    q = crm.quarter(as_of)
    if q.end > as_of:
        q = crm.calendar.previous(q)
    out = []
    for _ in range(n):
        out.append(q)
        q = crm.calendar.previous(q)
    return [p for p in out[::-1] if p.end >= crm.data_start]


def same_point_dates(crm: CRM, as_of, n: int) -> list[tuple[str, pd.Timestamp]]:
    """The as-of date and the same point (days into the quarter) of the ``n - 1`` quarters
    before, oldest first: (quarter label, date)."""
    as_of = pd.Timestamp(as_of).normalize()
    q = crm.quarter(as_of)
    offset = (as_of - q.start).days
    out = []
    for _ in range(n):
        d = min(q.start + pd.Timedelta(days=offset), q.end)
        if d >= crm.data_start:
            out.append((q.label, d))
        q = crm.calendar.previous(q)
    return out[::-1]


def _trend(rows) -> pd.DataFrame:
    return pd.DataFrame(rows, columns=["period", "value"])


def _money(x: float) -> str:
    x = float(x)
    if abs(x) >= 1e6:
        return f"${x / 1e6:,.1f}M"
    if abs(x) >= 1e3:
        return f"${x / 1e3:,.0f}k"
    return f"${x:,.0f}"


# --- forecast accuracy ----------------------------------------------------------------------
def forecast_accuracy(
    crm: CRM,
    as_of,
    cfg: dict,
    *,
    ledger_path: Path | str | None = None,
    ledger_source: str | None = None,
    backtest_csv: Path | str | None = None,
    seed: int = 0,
    **_,
) -> Metric:
    from ..forecast import ledger as fledger

    key = "forecast_accuracy"
    as_of = pd.Timestamp(as_of)
    rows = pd.DataFrame()
    used = ""
    if ledger_path is not None and Path(ledger_path).exists():
        led = fledger.scored(crm, ledger_path, ledger_source)
        if len(led):
            ends = led["period"].map(lambda p: crm.period(p).end)
            led = led[(ends <= as_of) & (pd.to_datetime(led["as_of"]) <= as_of)]
        if len(led) >= int(cfg.get("min_ledger_forecasts", 4)):
            rows = pd.DataFrame(
                {
                    "period": led["period"],
                    "as_of": led["as_of"],
                    "error": led["error_pct"] / 100,
                    "covered_80": led["covered_80"].astype(float),
                }
            )
            used = f"forecast ledger ({len(rows)} scored forecasts)"
    baseline = None
    if rows.empty and backtest_csv is not None and Path(backtest_csv).exists():
        bt = pd.read_csv(backtest_csv)
        point = cfg.get("point", "week 4")
        bt = bt[bt["point"] == point]
        ends = bt["period"].map(lambda p: crm.period(p).end)
        bt = bt[ends <= as_of]
        m = bt[bt["method"] == "model"]
        if len(m):
            rows = pd.DataFrame(
                {
                    "period": m["period"],
                    "as_of": m["as_of"],
                    "error": m["error_pct"] / 100,
                    "covered_80": m["covered_80"].astype(float),
                }
            )
            used = f"backtest at {point} ({len(rows)} quarters, {Path(backtest_csv).name})"
            sw = bt[bt["method"] == "stage-weighted"]
            if len(sw):
                baseline = float(sw["abs_error_pct"].mean() / 100)
    if rows.empty:
        return _na(
            key,
            cfg,
            "no scored forecasts: run scheduled forecasts (ledger) or `salesops forecast backtest`",
        )
    err = rows["error"].to_numpy(float)
    abs_err = np.abs(err)
    value = float(abs_err.mean())
    rng = np.random.default_rng(seed)
    boot = abs_err[rng.integers(0, len(abs_err), (2000, len(abs_err)))].mean(axis=1)
    interval = (float(np.quantile(boot, 0.05)), float(np.quantile(boot, 0.95)))
    worst = rows.assign(abs=abs_err).sort_values("abs", ascending=False).head(3)
    contributors = [
        {
            "name": f"{r.period} (as of {r.as_of})",
            "value": f"{r.error:+.1%}",
            "detail": "over-forecast" if r.error > 0 else "under-forecast",
        }
        for r in worst.itertuples(index=False)
    ]
    bias = float(err.mean())
    trend = rows.groupby("period", sort=True)["error"].apply(lambda s: float(np.abs(s).mean()))
    band = cfg["band"]
    status = band.status(value)
    direction = "high" if bias > 0 else "low"
    if status == "healthy":
        action = (
            f"Forecasts landed within {value:.1%} of actuals on average ({used}); keep the "
            f"cadence and watch the bias ({bias:+.1%})."
        )
    else:
        w = worst.iloc[0]
        action = (
            f"Forecasts missed by {value:.1%} on average, running {direction} ({bias:+.1%}); "
            f"review the worst call ({w.period}, {w.error:+.1%}) and recalibrate "
            + ("commit/stage probabilities." if abs(bias) > value / 2 else "the forecast inputs.")
        )
    details = {
        "bias": bias,
        "coverage_80": float(np.nanmean(rows["covered_80"])),
        "forecasts": float(len(rows)),
        "source_used": used,
    }
    if baseline is not None:
        details["stage_weighted_error"] = baseline
    return _metric(
        key,
        cfg,
        value,
        interval=interval,
        contributors=contributors,
        action=action,
        trend=_trend(list(trend.items())),
        details=details,
        table=rows.reset_index(drop=True),
    )


# --- pipeline coverage ----------------------------------------------------------------------
def pipeline_coverage(crm: CRM, as_of, cfg: dict, **_) -> Metric:
    """Coverage of the quarter holding the day after ``as_of``, measured when it started
    (the point the 3-4x rule is meant for; the remaining coverage today is a detail)."""
    key = "pipeline_coverage"
    as_of = pd.Timestamp(as_of).normalize()
    by = cfg.get("group_by", "team")
    q = crm.quarter(as_of + pd.Timedelta(days=1))
    start = q.start - pd.Timedelta(days=1)
    cov = pipeline.coverage(crm, start, q, by=by)
    total = cov.iloc[0]
    if not total["target"] > 0:
        return _na(key, cfg, f"no target for {q.label} (no quotas and no prior bookings)")
    value = float(total["remaining_coverage"]) if total["remaining"] > 0 else np.nan
    band: Band = cfg["band"]
    lo, hi = band.healthy
    groups = cov.iloc[1:].copy()
    if not (groups["target"] > 0).any():
        # no group quotas: each group's share of the total target is its share of the
        # bookings behind the total's stand-in (the same quarter a year earlier)
        ref = crm.calendar.quarter(q.start - pd.DateOffset(years=1))
        snap = pipeline.enrich(crm, crm.as_of(min(ref.end, as_of)))
        won = snap[snap["is_won"] & snap["close_date"].between(ref.start, ref.end)]
        share = won.groupby(by)["amount"].sum()
        share = share / share.sum() if share.sum() > 0 else share
        groups["target"] = groups["group"].map(share).astype(float).fillna(0.0) * float(
            total["target"]
        )
        groups["remaining"] = (groups["target"] - groups["won_to_date"]).clip(lower=0)
        groups["remaining_coverage"] = groups["open_pipeline"] / groups["remaining"].where(
            groups["remaining"] > 0
        )
    groups = groups[groups["target"] > 0]
    groups["shortfall"] = lo * groups["remaining"] - groups["open_pipeline"]
    if np.isfinite(value) and value > hi:
        top = groups.sort_values("remaining_coverage", ascending=False).head(3)
    else:
        top = groups.sort_values("shortfall", ascending=False).head(3)
    contributors = [
        {
            "name": str(r.group),
            "value": fmt(r.remaining_coverage, "ratio"),
            "detail": f"pipeline {_money(r.open_pipeline)} for {_money(r.remaining)} to go",
        }
        for r in top.itertuples(index=False)
    ]
    trend = []
    qq = q
    for _ in range(8):
        if qq.start <= crm.data_start:
            break
        c = pipeline.coverage(crm, qq.start - pd.Timedelta(days=1), qq, by=None).iloc[0]
        trend.append((qq.label, float(c["remaining_coverage"])))
        qq = crm.calendar.previous(qq)
    trend = trend[::-1]
    now = pipeline.coverage(crm, as_of, q, by=None).iloc[0] if as_of >= q.start else total
    status = band.status(value)
    need = max(lo * total["remaining"] - total["open_pipeline"], 0.0)
    names = ", ".join(c["name"] for c in contributors) or "the largest teams"
    undated = float(total["open_without_close_date"])
    today = (
        f"; today {fmt(now['remaining_coverage'], 'ratio')} of {_money(now['remaining'])} to go"
        if as_of >= q.start
        else ""
    )
    if status == "healthy":
        action = (
            f"{q.label} started with {fmt(value, 'ratio')} coverage{today}; keep pipeline "
            "generation at this pace for next quarter."
        )
    elif value < lo:
        action = (
            f"{q.label} started with {fmt(value, 'ratio')} coverage against {band.text()}{today}: "
            f"{_money(need)} more qualified pipeline was needed; start with {names}."
        )
        if undated > total["open_pipeline"]:
            action += f" {_money(undated)} of open pipeline has no close date: date it."
    else:
        action = (
            f"{q.label} started with {fmt(value, 'ratio')} coverage, above {band.text()}: the "
            f"pipeline is likely unqualified; scrub stale and past-due deals, starting with {names}."
        )
    return _metric(
        key,
        cfg,
        value,
        status=status,
        contributors=contributors,
        action=action,
        trend=_trend(trend),
        details={
            "period": q.label,
            "measured_on": str(start.date()),
            "target": float(total["target"]),
            "open_pipeline_at_start": float(total["open_pipeline"]),
            "target_source": cov.attrs.get("target_source", ""),
            "remaining_coverage_today": float(now["remaining_coverage"]),
            "open_without_close_date": undated,
        },
        table=cov,
    )


# --- pipeline hygiene ------------------------------------------------------------------------
def stuck_thresholds(crm: CRM, as_of, stale_days: int, percentile: float = 0.9) -> pd.Series:
    """Days without a change after which an open deal is stale, per (segment, stage):
    the larger of ``stale_days`` and the ``percentile`` of completed visits of that stage by
    deals of that segment (history before ``as_of``), so a long Enterprise stage is not
    stale at 30 days while a forgotten SMB deal is."""
    d = pipeline.stage_durations(crm, as_of)
    seg = pipeline.enrich(crm, crm.opportunities[["id", "account_id", "owner_rep_id"]])
    d = d.assign(segment=d["opportunity_id"].map(seg.set_index("id")["segment"]).fillna("(none)"))
    q = d.groupby(["segment", "stage"])["days"].quantile(percentile)
    return q.clip(lower=stale_days)


def _hygiene_flags(
    crm: CRM, as_of, stale_days: int, th: pd.Series, moves: bool = True
) -> pd.DataFrame:
    f = pipeline.enrich(crm, quality.deal_flags(crm, as_of, stale_days, moves=moves))
    f["amount"] = f["amount"].astype(float).fillna(0.0)
    key = pd.MultiIndex.from_arrays([f["segment"].fillna("(none)"), f["stage"]])
    f["stale_after"] = th.reindex(key).fillna(stale_days).to_numpy()
    f["stale"] = f["days_since_change"] > f["stale_after"]
    f["bad"] = f["stale"] | f["past_due"]
    return f


def _share(f: pd.DataFrame, col: str) -> float:
    tot = f["amount"].sum()
    return float(f.loc[f[col], "amount"].sum() / tot) if tot > 0 else np.nan


def pipeline_hygiene(crm: CRM, as_of, cfg: dict, **_) -> Metric:
    key = "pipeline_hygiene"
    stale_days = int(cfg.get("stale_days", 30))
    pct = float(cfg.get("stuck_percentile", 0.9))
    by = cfg.get("group_by", "region")
    th = stuck_thresholds(crm, as_of, stale_days, pct)  # also used for the trend points
    f = _hygiene_flags(crm, as_of, stale_days, th)
    if f.empty or f["amount"].sum() <= 0:
        return _na(key, cfg, "no open pipeline on the as-of date")
    value = _share(f, "bad")
    f["pushed"] = f["push_count"].fillna(0) > 0
    hi = cfg["band"].healthy[1]
    g = f.groupby(f[by].fillna("(none)"))
    grp = pd.DataFrame(
        {
            "open_amount": g["amount"].sum(),
            "bad_amount": g.apply(lambda d: d.loc[d["bad"], "amount"].sum(), include_groups=False),
            "stale_amount": g.apply(
                lambda d: d.loc[d["stale"], "amount"].sum(), include_groups=False
            ),
            "past_due_amount": g.apply(
                lambda d: d.loc[d["past_due"], "amount"].sum(), include_groups=False
            ),
            "open_deals": g.size(),
        }
    )
    grp["bad_share"] = grp["bad_amount"] / grp["open_amount"].where(grp["open_amount"] > 0)
    grp["excess"] = grp["bad_amount"] - hi * grp["open_amount"]
    grp = grp.sort_values("excess", ascending=False)
    contributors = [
        {
            "name": str(k),
            "value": fmt(r.bad_share, "percent"),
            "detail": f"{_money(r.bad_amount)} of {_money(r.open_amount)} stale or past due",
        }
        for k, r in grp.head(3).iterrows()
    ]
    trend = [
        (label, _share(_hygiene_flags(crm, d, stale_days, th, moves=False), "bad"))
        for label, d in same_point_dates(crm, as_of, 8)
    ]
    status = cfg["band"].status(value)
    bad_amt = float(f.loc[f["bad"], "amount"].sum())
    if status == "healthy":
        action = (
            f"{value:.1%} of open pipeline is stale or past due; keep the monthly pipeline "
            f"review (largest: {contributors[0]['name']} {contributors[0]['value']})."
        )
    else:
        action = (
            f"{_money(bad_amt)} ({value:.1%}) of open pipeline is stale or past due: have {', '.join(c['name'] for c in contributors[:2])} update or close "
            "those deals this week."
        )
    return _metric(
        key,
        cfg,
        value,
        status=status,
        contributors=contributors,
        action=action,
        trend=_trend(trend),
        details={
            "stale_share": _share(f, "stale"),
            "past_due_share": _share(f, "past_due"),
            "pushed_share": _share(f, "pushed"),
            "open_deals": float(len(f)),
            "open_amount": float(f["amount"].sum()),
            "stale_days": float(stale_days),
        },
        table=grp.reset_index().rename(columns={by: "group"}),
    )


# --- quota attainment ------------------------------------------------------------------------
def rep_attainment(crm: CRM, quarters: list) -> pd.DataFrame:
    """Per AE with a quota in every one of ``quarters``: quota, bookings (won, as known at
    the last quarter's end), attainment, team, segment."""
    if not quarters or crm.quotas.empty:
        return pd.DataFrame(columns=["rep_id", "quota", "bookings", "attainment"])
    start, end = quarters[0].start, quarters[-1].end
    q = crm.quotas[(crm.quotas["period_start"] >= start) & (crm.quotas["period_end"] <= end)]
    g = q.groupby("rep_id").agg(quota=("amount", "sum"), n=("period_start", "nunique"))
    g = g[(g["n"] == len(quarters)) & (g["quota"] > 0)]
    snap = crm.as_of(end)
    won = snap[snap["is_won"] & snap["close_date"].between(start, end)]
    b = won.groupby("owner_rep_id")["amount"].sum()
    g["bookings"] = b.reindex(g.index).fillna(0.0)
    g["attainment"] = g["bookings"] / g["quota"]
    reps = crm.reps.set_index("id")
    g["team"] = reps["team"].reindex(g.index)
    g["segment"] = reps["segment"].reindex(g.index)
    g["rep_name"] = reps["name"].reindex(g.index)
    return g.drop(columns="n").reset_index()


def quota_attainment(crm: CRM, as_of, cfg: dict, **_) -> Metric:
    key = "quota_attainment"
    n = int(cfg.get("window_quarters", 4))
    qs = complete_quarters(crm, as_of, n)
    att = rep_attainment(crm, qs)
    if len(qs) < n or att.empty:
        return _na(key, cfg, f"needs quotas for {n} complete quarters before the as-of date")
    at = att["attainment"].to_numpy(float)
    k = int((at >= 1).sum())
    value = k / len(at)
    lo_i, hi_i = pipeline.jeffreys_interval(np.array([k]), np.array([len(at) - k]), 0.9)
    mean_att = float(at.mean())
    by = cfg.get("group_by", "team")
    grp = att.groupby(by).agg(
        reps=("rep_id", "size"),
        at_quota=("attainment", lambda s: float((s >= 1).mean())),
        mean_attainment=("attainment", "mean"),
    )
    band: Band = cfg["band"]
    too_high = value > band.healthy[1]
    grp = grp.sort_values("mean_attainment", ascending=not too_high)
    contributors = [
        {
            "name": str(t),
            "value": fmt(r.at_quota, "percent"),
            "detail": f"mean attainment {r.mean_attainment:.0%} ({int(r.reps)} reps)",
        }
        for t, r in grp.head(3).iterrows()
    ]
    trend = []
    for p in complete_quarters(crm, as_of, 8):
        a = rep_attainment(crm, [p])
        if len(a):
            trend.append((p.label, float((a["attainment"] >= 1).mean())))
    window = f"{qs[0].label}..{qs[-1].label}"
    m = _metric(
        key,
        cfg,
        value,
        interval=(float(lo_i[0]), float(hi_i[0])),
        also={"name": cfg["also"]["name"], "value": mean_att},
        contributors=contributors,
        trend=_trend(trend),
        details={
            "window": window,
            "reps": float(len(at)),
            "median_attainment": float(np.median(at)),
            "mean_attainment": mean_att,
        },
        table=att,
    )
    if m.status == "healthy":
        m.action = (
            f"{value:.0%} of {len(at)} reps reached quota in {window} (mean {mean_att:.0%}); "
            "keep the quota method for the next plan."
        )
    elif too_high:
        m.action = (
            f"{value:.0%} of reps reached quota (mean {mean_att:.0%}), above {band.text()}: "
            f"quotas are likely too low; raise them for the next plan, starting with "
            f"{contributors[0]['name']}."
        )
    else:
        factor = float(np.quantile(at, 1 - 0.7))  # the cut that would put 70% at quota
        m.action = (
            f"Only {value:.0%} of {len(at)} reps reached quota (mean {mean_att:.0%}): quotas "
            f"look set too high; 70% at quota needs quotas near {factor:.0%} of today's. "
            f"Lowest: {', '.join(c['name'] for c in contributors[:2])}."
        )
    return m


# --- territory balance ------------------------------------------------------------------------
def territory_balance(crm: CRM, as_of, cfg: dict, **_) -> Metric:
    key = "territory_balance"
    as_of = pd.Timestamp(as_of)
    reps = crm.reps
    active = reps[
        (reps["role"] == "AE")
        & (reps["hire_date"].isna() | (reps["hire_date"] <= as_of))
        & (reps["termination_date"].isna() | (reps["termination_date"] > as_of))
    ].set_index("id")
    acc = crm.accounts[crm.accounts["owner_rep_id"].isin(active.index)]
    if acc.empty or acc["potential"].isna().all():
        return _na(key, cfg, "accounts have no owner among active AEs or no potential")
    pot = acc.groupby("owner_rep_id")["potential"].sum().rename("potential").to_frame()
    pot["segment"] = active["segment"].reindex(pot.index).fillna("(none)")
    pot["rep_name"] = active["name"].reindex(pot.index)
    pot["team"] = active["team"].reindex(pot.index)
    seg = pot.groupby("segment")["potential"]
    pot["relative"] = pot["potential"] / seg.transform("mean")
    cvs = seg.agg(lambda s: float(s.std(ddof=0) / s.mean()) if len(s) >= 3 else np.nan)
    seg.size()
    ok = cvs.notna()
    if not ok.any():
        return _na(key, cfg, "no segment has 3 or more territories")
    value = float(cvs[ok].max())
    # structural share: R^2 of log attainment on log relative potential (within segment)
    qs = complete_quarters(crm, as_of, 4)
    att = rep_attainment(crm, qs)
    if len(att):
        y = att.set_index("rep_id")["attainment"]
        basis = "attainment"
    else:
        snap = crm.as_of(as_of)
        won = snap[snap["is_won"] & (snap["close_date"] > as_of - pd.Timedelta(days=365))]
        y = won.groupby("owner_rep_id")["amount"].sum()
        y = y.reindex(pot.index)
        y = y / y.groupby(pot["segment"]).transform("mean")
        basis = "bookings relative to segment"
    d = pot.join(y.rename("y"), how="inner")
    d = d[(d["y"] > 0) & (d["relative"] > 0)]
    share = np.nan
    if len(d) >= 5:
        ly = np.log(d["y"]) - np.log(d["y"]).groupby(d["segment"]).transform("mean")
        lx = np.log(d["relative"]) - np.log(d["relative"]).groupby(d["segment"]).transform("mean")
        r = np.corrcoef(lx, ly)[0, 1] if lx.std() > 0 and ly.std() > 0 else 0.0
        share = float(r**2)
    pot["deviation"] = pot["relative"] - 1
    top = pot.reindex(pot["deviation"].abs().sort_values(ascending=False).index).head(3)
    contributors = [
        {
            "name": f"{r.rep_name} ({r.segment})",
            "value": f"{r.relative:.2f}x segment mean",
            "detail": f"potential {_money(r.potential)}",
        }
        for r in top.itertuples(index=False)
    ]
    m = _metric(
        key,
        cfg,
        value,
        also={"name": cfg["also"]["name"], "value": share},
        contributors=contributors,
        details={
            **{f"cv_{s}": float(v) for s, v in cvs.items()},
            "territories": float(len(pot)),
            "max_min_ratio": float(
                seg.agg(lambda s: s.max() / max(s.min(), 1e-9) if len(s) >= 3 else np.nan).max()
            ),
            "structural_basis": basis,
        },
        note="Account ownership is not historized, so there is no trend; the value is today's.",
        table=pot.reset_index().rename(columns={"owner_rep_id": "rep_id"}),
    )
    worst_seg = cvs.idxmax()
    if m.status == "healthy":
        m.action = (
            f"Territories are balanced (CV at most {value:.2f}, in {worst_seg}); "
            "re-check after the next hiring wave."
        )
    else:
        c0 = contributors[0]
        m.action = (
            f"{worst_seg} territory potential varies with CV {value:.2f}; "
            f"{c0['name']} holds {c0['value']}: rebalance with `territory_design` "
            "(moves the fewest accounts)."
        )
    return m


# --- data quality -------------------------------------------------------------------------------
def data_quality(crm: CRM, as_of, cfg: dict, **_) -> Metric:
    key = "data_quality"
    as_of = pd.Timestamp(as_of)
    comp = quality.completeness(crm, as_of)
    comp = comp[comp["rows"] > 0]
    if comp.empty:
        return _na(key, cfg, "no open opportunities or accounts")
    worst = comp.sort_values("completeness")
    value = float(worst["completeness"].iloc[0])
    dups = quality.duplicate_opportunities(crm)
    o = crm.opportunities
    recent = o["created_date"].between(as_of - pd.Timedelta(days=365), as_of)
    n_recent = int(recent.sum())
    dup_recent = dups[dups["created_date"].between(as_of - pd.Timedelta(days=365), as_of)]
    dup_share = len(dup_recent) / n_recent if n_recent else np.nan
    contributors = [
        {
            "name": f"{r.table}.{r.field}",
            "value": fmt(r.completeness, "percent"),
            "detail": f"{r.rows - r.filled:,} of {r.rows:,} empty",
        }
        for r in worst.head(3).itertuples(index=False)
    ]
    trend = []
    for label, d in same_point_dates(crm, as_of, 8):
        c = quality.completeness(crm, d)
        trend.append((label, float(c.loc[c["rows"] > 0, "completeness"].min())))
    m = _metric(
        key,
        cfg,
        value,
        also={"name": cfg["also"]["name"], "value": dup_share},
        contributors=contributors,
        trend=_trend(trend),
        details={
            "mean_completeness": float(comp["completeness"].mean()),
            "fields_below_goal": float((comp["completeness"] < cfg["band"].healthy[0]).sum()),
            "duplicates_last_12m": float(len(dup_recent)),
            "duplicates_all_time": float(len(dups)),
        },
        table=comp,
    )
    c0 = contributors[0]
    if m.status == "healthy":
        m.action = f"Every key field is {value:.0%}+ complete and duplicates are {dup_share:.1%}; keep the validation rules."
    else:
        parts = []
        if cfg["band"].status(value) != "healthy":
            parts.append(f"make {c0['name']} required ({c0['value']} filled)")
        if m.also["status"] != "healthy":
            parts.append(f"merge the {len(dup_recent)} duplicates of the last 12 months")
        m.action = "Data quality: " + " and ".join(parts) + "."
    return m


# --- new-rep ramp --------------------------------------------------------------------------------
def new_rep_ramp(crm: CRM, as_of, cfg: dict, **_) -> Metric:
    from .ramp import fit_ramp

    key = "new_rep_ramp"
    band: Band = cfg["band"]
    table, extra = fit_ramp(crm, as_of, cohort=cfg.get("cohort", "half-year"))
    if table.empty:
        return _na(key, cfg, "no AE hired during the data (hire dates needed)")
    conf = float(cfg.get("confidence", 0.9))
    min_t = int(cfg.get("min_tenure_months", 12))
    grid = extra["grid"]
    h_hi, w_hi = band.healthy[1], band.watch[1]
    table["p_over_healthy"] = [
        float(extra["posterior"][c][grid > h_hi].sum()) for c in table["cohort"]
    ]
    table["p_over_watch"] = [
        float(extra["posterior"][c][grid > w_hi].sum()) for c in table["cohort"]
    ]
    table["graded"] = table["max_tenure"] >= min_t
    table["status"] = np.where(
        ~table["graded"],
        "too early",
        np.where(
            table["p_over_watch"] >= conf,
            "act",
            np.where(table["p_over_healthy"] >= conf, "watch", "healthy"),
        ),
    )
    graded = table[table["graded"]]
    if graded.empty:
        return _na(key, cfg, f"no hire cohort has {min_t} months of tenure yet")
    worst = graded.sort_values(["p_over_healthy", "median"], ascending=False).iloc[0]
    status = worse(*graded["status"])
    value = float(worst["median"])
    contributors = [
        {
            "name": f"cohort {r.cohort}",
            "value": f"{r.median:.1f} mo",
            "detail": f"90% {r.lo:.1f}-{r.hi:.1f} mo, {r.hires} hires, P(> {h_hi:g} mo) {r.p_over_healthy:.0%}",
        }
        for r in graded.sort_values(["p_over_healthy", "median"], ascending=False)
        .head(3)
        .itertuples(index=False)
    ]
    if status == "healthy":
        action = (
            f"Hire cohorts ramp in {graded['median'].min():.1f}-{graded['median'].max():.1f} "
            f"months (slowest {worst['cohort']}); keep onboarding as is."
        )
    else:
        action = (
            f"Cohort {worst['cohort']} takes {value:.1f} months to ramp (90%: {worst['lo']:.1f}-"
            f"{worst['hi']:.1f}; {worst['p_over_healthy']:.0%} likely over {h_hi:g}): review its "
            "onboarding, territories and manager coverage; plan capacity with the slower ramp."
        )
    return _metric(
        key,
        cfg,
        value,
        status=status,
        interval=(float(worst["lo"]), float(worst["hi"])),
        contributors=contributors,
        action=action,
        trend=_trend(list(zip(graded["cohort"], graded["median"], strict=True))),
        details={
            "cohorts_graded": float(len(graded)),
            "hires": float(table["hires"].sum()),
            "confidence": conf,
            "p_outside_healthy": float(worst["p_over_healthy"]),
            "slowest_cohort": str(worst["cohort"]),
        },
        table=table,
    )


# --- sales cycle, velocity, win rate ---------------------------------------------------------------
def _closed_window(crm: CRM, quarters: list) -> pd.DataFrame:
    if not quarters:
        return pd.DataFrame()
    return pipeline.closed_deals(crm, quarters[0].start, quarters[-1].end)


def _two_windows(crm: CRM, as_of):
    """Closed deals of the last n complete quarters and of the n before, n = 4, or fewer
    (at least 1) when the data starts later; quarters the data only partly covers are left
    out. Returns (current, previous, quarters shown in the trend, window label)."""
    qs = [q for q in complete_quarters(crm, as_of, 8) if q.start >= crm.data_start.normalize()]
    n = min(4, len(qs) // 2)
    if n < 1:
        return None, None, qs, ""
    cur_q, prev_q = qs[-n:], qs[-2 * n : -n]
    label = f"{cur_q[0].label}..{cur_q[-1].label} vs {prev_q[0].label}..{prev_q[-1].label}"
    return _closed_window(crm, cur_q), _closed_window(crm, prev_q), qs, label


def sales_cycle(crm: CRM, as_of, cfg: dict, *, seed: int = 0, **_) -> Metric:
    key = "sales_cycle"
    cur, prev, qs, window = _two_windows(crm, as_of)
    if cur is None:
        return _na(key, cfg, "needs at least 2 complete quarters of closed deals")
    a = cur.loc[cur["is_won"], "cycle_days"].to_numpy(float)
    b = prev.loc[prev["is_won"], "cycle_days"].to_numpy(float)
    if len(a) < 10 or len(b) < 10:
        return _na(key, cfg, "fewer than 10 won deals in a window")
    value = float(np.median(a) / np.median(b) - 1)
    rng = np.random.default_rng(seed)
    ra = np.median(a[rng.integers(0, len(a), (500, len(a)))], axis=1)
    rb = np.median(b[rng.integers(0, len(b), (500, len(b)))], axis=1)
    draws = ra / rb - 1
    interval = tuple(np.quantile(draws, [0.05, 0.95]).astype(float))
    status, p_h, p_w = grade_draws(cfg["band"], draws, float(cfg.get("confidence", 0.9)))
    segs = []
    for s in sorted(set(cur["segment"].dropna()) | set(prev["segment"].dropna())):
        x = cur.loc[cur["is_won"] & (cur["segment"] == s), "cycle_days"]
        y = prev.loc[prev["is_won"] & (prev["segment"] == s), "cycle_days"]
        if len(x) >= 5 and len(y) >= 5:
            segs.append((s, float(x.median()), float(y.median())))
    segs.sort(key=lambda t: t[1] / t[2], reverse=True)
    contributors = [
        {"name": s, "value": f"{x / y - 1:+.0%}", "detail": f"median {y:.0f} -> {x:.0f} days"}
        for s, x, y in segs[:3]
    ]
    trend = []
    for p in qs:
        d = _closed_window(crm, [p])
        w = d.loc[d["is_won"], "cycle_days"] if len(d) else pd.Series(dtype=float)
        trend.append((p.label, float(w.median()) if len(w) else np.nan))
    m = _metric(
        key,
        cfg,
        value,
        status=status,
        interval=interval,
        contributors=contributors,
        trend=_trend(trend),
        trend_label="median days from creation to win, per quarter",
        details={
            "window": window,
            "median_days": float(np.median(a)),
            "median_days_previous_window": float(np.median(b)),
            "p_outside_healthy": p_h,
        },
    )
    if m.status == "healthy":
        m.action = (
            f"Median won cycle is {np.median(a):.0f} days ({value:+.0%}, {window}; "
            f"P(outside band) {p_h:.0%}); no action."
        )
    else:
        m.action = (
            f"Won deals take {np.median(a):.0f} days, {value:+.0%} ({window}); find where they "
            f"wait (stage durations), starting with {contributors[0]['name'] if contributors else 'the slowest segment'}."
        )
    return m


def _velocity_draws(crm: CRM, as_of, n_open: float, rng, n_boot: int = 200) -> np.ndarray:
    """Bootstrap draws of velocity per 30 days: closed deals of the 365-day lookback are
    resampled (win rate, average won deal and cycle move together); the open count is
    held at its value."""
    as_of = pd.Timestamp(as_of)
    d = pipeline.closed_deals(crm, as_of - pd.Timedelta(days=365), as_of)
    if len(d) == 0:
        return np.full(n_boot, np.nan)
    won = d["is_won"].to_numpy(bool)
    amt = d["amount"].astype(float).fillna(0.0).to_numpy()
    cyc = d["cycle_days"].astype(float).to_numpy()
    out = np.empty(n_boot)
    for i in range(0, n_boot, 50):  # chunks bound memory: 50 x n draws at a time
        idx = rng.integers(0, len(d), (min(50, n_boot - i), len(d)))
        w = won[idx]
        nw = np.maximum(w.sum(axis=1), 1)
        wr = w.mean(axis=1)
        avg = (amt[idx] * w).sum(axis=1) / nw
        cy = (cyc[idx] * w).sum(axis=1) / nw
        out[i : i + len(idx)] = n_open * wr * avg / np.where(cy > 0, cy, np.nan) * 30
    return out


def velocity(crm: CRM, as_of, cfg: dict, *, seed: int = 0, **_) -> Metric:
    key = "velocity"
    as_of = pd.Timestamp(as_of)
    before = as_of - pd.DateOffset(years=1)
    if before < crm.data_start + pd.Timedelta(days=365):
        return _na(key, cfg, "needs two years of history before the as-of date")
    now = pipeline.velocity(crm, as_of, by="segment").set_index("group")
    then = pipeline.velocity(crm, before, by="segment").set_index("group")
    v1, v0 = now.loc["All", "velocity_per_30d"], then.loc["All", "velocity_per_30d"]
    if not (np.isfinite(v0) and v0 > 0):
        return _na(key, cfg, "no velocity a year earlier")
    value = float(v1 / v0 - 1)
    rng = np.random.default_rng(seed)
    d1 = _velocity_draws(crm, as_of, now.loc["All", "open_deals"], rng)
    d0 = _velocity_draws(crm, before, then.loc["All", "open_deals"], rng)
    draws = d1 / d0 - 1
    interval = tuple(np.quantile(draws[np.isfinite(draws)], [0.05, 0.95]).astype(float))
    status, p_h, p_w = grade_draws(cfg["band"], draws, float(cfg.get("confidence", 0.9)))
    segs = []
    for s in now.index.drop("All"):
        if s in then.index and then.loc[s, "velocity_per_30d"] > 0:
            segs.append(
                (s, float(now.loc[s, "velocity_per_30d"] / then.loc[s, "velocity_per_30d"] - 1))
            )
    segs.sort(key=lambda t: t[1])
    contributors = [
        {
            "name": s,
            "value": f"{c:+.0%}",
            "detail": f"{_money(now.loc[s, 'velocity_per_30d'])} per 30 days",
        }
        for s, c in segs[:3]
    ]
    trend = []
    for label, d in same_point_dates(crm, as_of, 8):
        v = pipeline.velocity(crm, d).iloc[0]
        trend.append((label, float(v["velocity_per_30d"])))
    parts = {}
    for col in ("open_deals", "win_rate", "avg_won_deal", "cycle_days"):
        parts[f"{col}_change"] = float(now.loc["All", col] / then.loc["All", col] - 1)
    m = _metric(
        key,
        cfg,
        value,
        status=status,
        interval=interval,
        contributors=contributors,
        trend=_trend(trend),
        trend_label="sales velocity, $ per 30 days",
        details={
            "velocity_per_30d": float(v1),
            "velocity_per_30d_year_before": float(v0),
            "p_outside_healthy": p_h,
            **parts,
        },
    )
    driver = min(
        ("open_deals_change", "win_rate_change", "avg_won_deal_change"), key=lambda k: parts[k]
    )
    if m.status == "healthy":
        m.action = (
            f"Velocity is {_money(v1)} per 30 days ({value:+.0%} on a year ago; "
            f"P(outside band) {p_h:.0%}); no action."
        )
    else:
        m.action = (
            f"Velocity fell {value:.0%} on a year ago; the largest drag is "
            f"{driver.replace('_change', '').replace('_', ' ')} ({parts[driver]:+.0%}), "
            f"worst in {contributors[0]['name'] if contributors else 'all segments'}."
        )
    return m


def win_rate(crm: CRM, as_of, cfg: dict, *, seed: int = 0, **_) -> Metric:
    key = "win_rate"
    cur, prev, qs, window = _two_windows(crm, as_of)
    if cur is None:
        return _na(key, cfg, "needs at least 2 complete quarters of closed deals")
    w1, n1 = int(cur["is_won"].sum()), len(cur)
    w0, n0 = int(prev["is_won"].sum()), len(prev)
    if n1 < 20 or n0 < 20:
        return _na(key, cfg, "fewer than 20 closed deals in a window")
    value = w1 / n1 - w0 / n0
    rng = np.random.default_rng(seed)
    diff = rng.beta(w1 + 0.5, n1 - w1 + 0.5, 4000) - rng.beta(w0 + 0.5, n0 - w0 + 0.5, 4000)
    interval = tuple(np.quantile(diff, [0.05, 0.95]).astype(float))
    status, p_h, p_w = grade_draws(cfg["band"], diff, float(cfg.get("confidence", 0.9)))
    segs = []
    for s in sorted(set(cur["segment"].dropna())):
        c, p = cur[cur["segment"] == s], prev[prev["segment"] == s]
        if len(c) >= 10 and len(p) >= 10:
            segs.append((s, c["is_won"].mean(), p["is_won"].mean()))
    segs.sort(key=lambda t: t[1] - t[2])
    contributors = [
        {"name": s, "value": f"{100 * (a - b):+.1f} pts", "detail": f"{b:.1%} -> {a:.1%}"}
        for s, a, b in segs[:3]
    ]
    trend = []
    for p in qs:
        d = _closed_window(crm, [p])
        trend.append((p.label, float(d["is_won"].mean()) if len(d) else np.nan))
    m = _metric(
        key,
        cfg,
        float(value),
        status=status,
        interval=interval,
        contributors=contributors,
        trend=_trend(trend),
        trend_label="win rate (won / closed) per quarter",
        details={
            "window": window,
            "win_rate": w1 / n1,
            "win_rate_previous_window": w0 / n0,
            "closed": float(n1),
            "p_outside_healthy": p_h,
        },
    )
    if m.status == "healthy":
        m.action = (
            f"Win rate is {w1 / n1:.1%} ({100 * value:+.1f} pts, {window}; "
            f"P(outside band) {p_h:.0%}); no action."
        )
    else:
        m.action = (
            f"Win rate fell to {w1 / n1:.1%} ({100 * value:+.1f} pts, {window}); review lost reasons in "
            f"{contributors[0]['name'] if contributors else 'every segment'} and qualification at entry."
        )
    return m


# --- comp cost ------------------------------------------------------------------------------------------
def comp_cost(crm: CRM, as_of, cfg: dict, *, plan=None, **_) -> Metric:
    from ..comp import compute_statements, load_plan

    key = "comp_cost"
    if plan is None or plan == "":
        return _na(key, cfg, "no compensation plan configured (pass plan=)")
    plan = load_plan(plan) if isinstance(plan, str | Path) else plan
    qs = complete_quarters(crm, as_of, 4)
    if len(qs) < 4 or crm.quotas.empty:
        return _na(key, cfg, "needs quotas for 4 complete quarters")
    labels = [p.label for p in qs]
    lines, above = [], []
    years = {}
    for p in qs:
        years[crm.calendar.year(p.start).label] = p  # last quarter of each fiscal year
    for p in years.values():
        st = compute_statements(crm, plan, p)
        lines.append(st.lines[st.lines["period"].isin(labels)])
        above.append(st.accelerators[st.accelerators["period"].isin(labels)])
    lines = pd.concat(lines, ignore_index=True)
    above = pd.concat(above, ignore_index=True)
    lines["amount_f"] = lines["amount"].astype(float)
    variable = float(lines["amount_f"].sum())
    spiff = float(lines.loc[lines["kind"] == "spiff", "amount_f"].sum())
    acc = float(above["amount"].sum())
    reps = crm.reps[crm.reps["role"].isin(plan.roles)]
    start, end = qs[0].start, qs[-1].end
    hire = reps["hire_date"].fillna(start).clip(lower=start)
    term = reps["termination_date"].fillna(end).clip(upper=end)
    days = (term - hire).dt.days.clip(lower=0) + 1
    base = float((reps["base_salary"].fillna(0) * days / 365.25).sum())
    snap = crm.as_of(end)
    won = snap[
        snap["is_won"]
        & snap["close_date"].between(start, end)
        & snap["owner_rep_id"].isin(reps["id"])
    ]
    bookings = float(won["amount"].sum())
    if bookings <= 0:
        return _na(key, cfg, "no bookings in the last 4 quarters")
    value = (base + variable) / bookings
    lev = (acc + spiff) / variable if variable > 0 else np.nan
    per_rep = (
        pd.concat(
            [
                above.groupby("rep_id")["amount"].sum().rename("accelerators"),
                lines[lines["kind"] == "spiff"]
                .groupby("rep_id")["amount_f"]
                .sum()
                .rename("spiffs"),
                lines.groupby("rep_id")["amount_f"].sum().rename("variable"),
            ],
            axis=1,
        )
        .fillna(0.0)
        .assign(leverage=lambda d: d["accelerators"] + d["spiffs"])
        .sort_values("leverage", ascending=False)
    )
    names = crm.reps.set_index("id")["name"]
    contributors = [
        {
            "name": str(names.get(r, r)),
            "value": _money(row.leverage),
            "detail": f"accelerators {_money(row.accelerators)} + SPIFFs {_money(row.spiffs)} of {_money(row.variable)}",
        }
        for r, row in per_rep.head(3).iterrows()
    ]
    trend = []
    for p in qs:
        v = float(lines.loc[lines["period"] == p.label, "amount_f"].sum())
        b = float(won.loc[won["close_date"].between(p.start, p.end), "amount"].sum())
        h = reps["hire_date"].fillna(p.start).clip(lower=p.start)
        t = reps["termination_date"].fillna(p.end).clip(upper=p.end)
        bs = float(
            (reps["base_salary"].fillna(0) * ((t - h).dt.days.clip(lower=0) + 1) / 365.25).sum()
        )
        trend.append((p.label, (bs + v) / b if b > 0 else np.nan))
    m = _metric(
        key,
        cfg,
        value,
        also={"name": cfg["also"]["name"], "value": lev},
        contributors=contributors,
        trend=_trend(trend),
        details={
            "plan": plan.name,
            "window": f"{labels[0]}..{labels[-1]}",
            "bookings": bookings,
            "base_pay": base,
            "variable_pay": variable,
            "accelerator_pay": acc,
            "spiff_pay": spiff,
        },
        table=per_rep.reset_index().rename(columns={"index": "rep_id"}),
    )
    if m.status == "healthy":
        m.action = (
            f"Sales comp costs {value:.1%} of bookings ({labels[0]}..{labels[-1]}); accelerators "
            f"and SPIFFs are {lev:.0%} of variable pay: within plan."
        )
    elif cfg["band"].status(value) != "healthy":
        m.action = (
            f"Sales comp costs {value:.1%} of bookings: check quota-to-OTE (4-6x) and run "
            "`comp_cost` to price a leaner plan."
        )
    else:
        m.action = (
            f"{lev:.0%} of variable pay comes from accelerators and SPIFFs ({_money(acc + spiff)}): "
            f"review accelerator rates and SPIFF rules; largest: {contributors[0]['name']}."
        )
    return m


METRIC_FUNCTIONS = {
    "forecast_accuracy": forecast_accuracy,
    "pipeline_coverage": pipeline_coverage,
    "pipeline_hygiene": pipeline_hygiene,
    "quota_attainment": quota_attainment,
    "territory_balance": territory_balance,
    "data_quality": data_quality,
    "new_rep_ramp": new_rep_ramp,
    "sales_cycle": sales_cycle,
    "velocity": velocity,
    "win_rate": win_rate,
    "comp_cost": comp_cost,
}

__all__ = ["METRIC_FUNCTIONS", "Metric", "grade_draws", "stuck_thresholds"]
