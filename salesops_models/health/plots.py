"""Pictures of the health scorecard: executive tiles with inline SVG sparklines (HTML), and
matplotlib charts for the per-metric sections (trend against the band, attainment
distribution, ramp by cohort, hygiene by group)."""

from __future__ import annotations

import html

import matplotlib.pyplot as plt
import numpy as np
import pandas as pd

from ..display import STATUS_COLORS
from ..draws import interval_of
from .bands import fmt
from .metrics import Metric
from .scorecard import Scorecard

COLORS = {
    **STATUS_COLORS,  # the workbench's one palette (cards, KPI tiles, reports)
    "n/a": "#8a8a8a",
    "error": "#6a1b9a",
}
BACKGROUNDS = {
    "healthy": "#e8f5e9",
    "watch": "#fff4e0",
    "act": "#fdecea",
    "n/a": "#f3f3f3",
    "error": "#f3e5f5",
}


def sparkline_svg(values, color: str = "#444", width: int = 150, height: int = 36) -> str:
    """A small inline SVG line of ``values`` (NaN gaps skipped); the last point is marked."""
    v = np.asarray([np.nan if x is None else x for x in values], float)
    ok = np.isfinite(v)
    if ok.sum() < 2:
        return f'<svg width="{width}" height="{height}" role="img" aria-label="no trend"></svg>'
    x = np.linspace(4, width - 4, len(v))
    lo, hi = np.nanmin(v), np.nanmax(v)
    span = hi - lo if hi > lo else 1.0
    y = height - 4 - (v - lo) / span * (height - 8)
    pts = " ".join(f"{a:.1f},{b:.1f}" for a, b, k in zip(x, y, ok, strict=True) if k)
    last = np.flatnonzero(ok)[-1]
    return (
        f'<svg width="{width}" height="{height}" role="img" aria-label="trend">'
        f'<polyline fill="none" stroke="{color}" stroke-width="1.8" points="{pts}"/>'
        f'<circle cx="{x[last]:.1f}" cy="{y[last]:.1f}" r="2.8" fill="{color}"/></svg>'
    )


TILE_CSS = """
<style>
.hs-grid{display:grid;grid-template-columns:repeat(auto-fill,minmax(250px,1fr));gap:12px;
 font-family:system-ui,-apple-system,Segoe UI,Roboto,sans-serif;margin:8px 0 16px}
.hs-tile{border-radius:8px;padding:10px 12px;border-left:6px solid #888;min-height:150px}
.hs-title{font-size:13px;color:#333;font-weight:600;display:flex;justify-content:space-between}
.hs-badge{font-size:11px;color:#fff;border-radius:10px;padding:1px 8px;text-transform:uppercase}
.hs-value{font-size:26px;font-weight:700;margin:4px 0 0}
.hs-sub{font-size:11px;color:#555}
.hs-action{font-size:11.5px;color:#222;margin-top:4px;line-height:1.3}
.hs-summary{font-family:system-ui,sans-serif;font-size:15px;margin:4px 0}
</style>
"""


def tile_html(m: Metric) -> str:
    color, bg = COLORS.get(m.status, "#888"), BACKGROUNDS.get(m.status, "#f3f3f3")
    sub = [f"healthy {html.escape(m.band.text())}"] if m.status not in ("n/a", "error") else []
    if m.interval is not None:
        sub.append(f"90%: {html.escape(m.interval_text)}")
    if m.also:
        sub.append(
            f"{html.escape(m.also['name'])}: {fmt(m.also['value'], m.also['unit'])} "
            f"({m.also['status']})"
        )
    p_out = m.details.get("p_outside_healthy")
    if p_out is not None and m.status not in ("n/a", "error"):
        sub.append(
            f"P(outside healthy) {p_out:.0%}; flagged from {m.details.get('confidence', 0.9):.0%}"
        )
    spark = sparkline_svg(m.trend["value"].tolist(), color) if len(m.trend) else ""
    span = ""
    if len(m.trend) >= 2:
        span = f"{html.escape(str(m.trend['period'].iloc[0]))} to {html.escape(str(m.trend['period'].iloc[-1]))}"
    return (
        f'<div class="hs-tile" style="background:{bg};border-left-color:{color}">'
        f'<div class="hs-title"><span>{html.escape(m.title)}</span>'
        f'<span class="hs-badge" style="background:{color}">{html.escape(m.status)}</span></div>'
        f'<div class="hs-value">{html.escape(m.value_text)}</div>'
        f'<div class="hs-sub">{"<br>".join(sub)}</div>'
        f"<div>{spark}</div><div class='hs-sub'>{span}</div>"
        f'<div class="hs-action">{html.escape(m.action)}</div></div>'
    )


def tiles_html(card: Scorecard) -> str:
    """The executive page: a summary line and one tile per metric (value, status, band,
    interval, sparkline of the trend, action)."""
    c = card.counts()
    summary = (
        f'<p class="hs-summary"><b>Sales-ops health as of {card.as_of.date()}</b>: '
        f'<span style="color:{COLORS["act"]}">{c["act"]} act</span>, '
        f'<span style="color:{COLORS["watch"]}">{c["watch"]} watch</span>, '
        f'<span style="color:{COLORS["healthy"]}">{c["healthy"]} healthy</span>'
        + (f", {c['n/a']} not graded" if c["n/a"] else "")
        + (f", {c['error']} failed" if c.get("error") else "")
        + "</p>"
    )
    order = {"act": 0, "watch": 1, "error": 2, "healthy": 3, "n/a": 4}
    ms = sorted(card.metrics, key=lambda m: order.get(m.status, 5))
    return TILE_CSS + summary + '<div class="hs-grid">' + "".join(map(tile_html, ms)) + "</div>"


def metric_header_html(m: Metric) -> str:
    """Status line, definition, benchmark and its source, action and contributors."""
    color = COLORS.get(m.status, "#888")
    rows = "".join(
        f"<tr><td>{html.escape(str(c['name']))}</td><td>{html.escape(str(c['value']))}</td>"
        f"<td>{html.escape(str(c['detail']))}</td></tr>"
        for c in m.contributors
    )
    table = (
        "<table><tr><th>Top contributors</th><th>value</th><th></th></tr>" + rows + "</table>"
        if rows
        else ""
    )
    also = (
        f"<br>{html.escape(m.also['name'])}: <b>{fmt(m.also['value'], m.also['unit'])}</b> "
        f"(healthy {html.escape(m.also['band_text'])}; {m.also['status']})"
        if m.also
        else ""
    )
    interval = f" (90% interval {html.escape(m.interval_text)})" if m.interval else ""
    band = f"; healthy {html.escape(m.band.text())}" if m.status not in ("n/a", "error") else ""
    note = f"<br><i>{html.escape(m.note)}</i>" if m.note else ""
    return (
        f'<p style="font-size:15px"><span style="background:{color};color:#fff;border-radius:10px;'
        f'padding:1px 9px">{html.escape(m.status)}</span> <b>{html.escape(m.value_text)}</b>'
        f"{interval}{band}{also}</p>"
        f"<p><b>Action:</b> {html.escape(m.action)}</p>"
        f"<p style='font-size:12px;color:#555'>Measure: {html.escape(m.measure)}. "
        f"Benchmark: {html.escape(m.source)}{note}</p>" + table
    )


def plot_trend(m: Metric, ax=None):
    """The metric's trend with the healthy band shaded green and the watch band amber."""
    ax = ax or plt.subplots(figsize=(7, 2.6))[1]
    t = m.trend.dropna()
    if t.empty:
        ax.text(0.5, 0.5, "no trend available", ha="center", va="center", transform=ax.transAxes)
        ax.set_axis_off()
        return ax
    level = bool(m.trend_label)  # a level behind a graded change: no band to shade
    if level:
        scale = 100 if "win rate" in m.trend_label else (1e-3 if "$" in m.trend_label else 1)
    else:
        scale = 100 if m.unit in ("percent", "points") else 1
    y = t["value"].to_numpy(float) * scale
    x = np.arange(len(t))
    limits = (
        [] if level else [v * scale for v in (*m.band.healthy, *m.band.watch) if np.isfinite(v)]
    )
    lo_all, hi_all = min([y.min(), *limits]), max([y.max(), *limits])
    pad = 0.1 * ((hi_all - lo_all) or 1.0)
    bottom, top = lo_all - pad, hi_all + pad
    for which, color, alpha in (
        ("watch", COLORS["watch"], 0.12),
        ("healthy", COLORS["healthy"], 0.18),
    ):
        if level:
            break
        lo, hi = getattr(m.band, which)
        ax.axhspan(
            lo * scale if np.isfinite(lo) else bottom,
            hi * scale if np.isfinite(hi) else top,
            color=color,
            alpha=alpha,
            lw=0,
        )
    ax.plot(x, y, marker="o", color=COLORS.get(m.status, "#333"))
    ax.set_xticks(x, t["period"].astype(str), rotation=30, ha="right", fontsize=8)
    ax.set_ylim(bottom, top)
    if level:
        ax.set_ylabel(m.trend_label.replace("$ per", "$k per"), fontsize=8)
        ax.set_title(f"{m.title}: {m.trend_label}", fontsize=10)
    else:
        units = {"percent": "%", "points": "pts", "ratio": "x", "months": "months"}
        ax.set_ylabel(units.get(m.unit, ""))
        ax.set_title(f"{m.title}: trend (healthy band green, watch amber)", fontsize=10)
    ax.grid(alpha=0.3)
    return ax


def plot_attainment(table: pd.DataFrame, ax=None):
    """Distribution of rep attainment with the 100% line."""
    ax = ax or plt.subplots(figsize=(7, 2.8))[1]
    a = 100 * table["attainment"].to_numpy(float)
    ax.hist(np.clip(a, 0, 250), bins=np.arange(0, 260, 10), color="#5c6bc0", edgecolor="white")
    ax.axvline(100, color="k", lw=1)
    ax.set_xlabel("attainment % (last 4 quarters; 250+ shown at 250)")
    ax.set_ylabel("reps")
    ax.set_title(f"{(a >= 100).mean():.0%} of {len(a)} reps at quota", fontsize=10)
    return ax


def plot_ramp(table: pd.DataFrame, healthy_hi: float, watch_hi: float, ax=None):
    """Ramp months per hire cohort: posterior median and 90% interval; ungraded cohorts grey."""
    ax = ax or plt.subplots(figsize=(7, 2.8))[1]
    t = table.reset_index(drop=True)
    y = np.arange(len(t))
    colors = [COLORS.get(s, "#8a8a8a") for s in t["status"]]
    ax.axvspan(0, healthy_hi, color=COLORS["healthy"], alpha=0.12, lw=0)
    ax.axvspan(healthy_hi, watch_hi, color=COLORS["watch"], alpha=0.12, lw=0)
    p_lo, p_hi = interval_of(t)
    ax.hlines(y, t[p_lo], t[p_hi], colors=colors, lw=3)
    ax.scatter(t["median"], y, color=colors, zorder=3)
    ax.set_yticks(
        y, [f"{c} ({h} hires)" for c, h in zip(t["cohort"], t["hires"], strict=True)], fontsize=8
    )
    ax.set_xlabel("months to full productivity (posterior median, 90% interval)")
    ax.set_xlim(0, max(float(t[p_hi].max()) + 1, watch_hi + 2))
    ax.set_title("New-rep ramp by hire cohort (grey: too early to grade)", fontsize=10)
    return ax


def plot_groups(table: pd.DataFrame, value: str, label: str, limit: float | None = None, ax=None):
    """Horizontal bars of ``value`` per ``group`` (e.g. stale share by region)."""
    ax = ax or plt.subplots(figsize=(7, 2.6))[1]
    t = table.sort_values(value)
    ax.barh(t["group"].astype(str), 100 * t[value], color="#78909c")
    if limit is not None:
        ax.axvline(100 * limit, color=COLORS["act"], lw=1, ls="--")
    ax.set_xlabel(label)
    return ax


def plot_territory_spread(table: pd.DataFrame, ax=None):
    """Territory potential relative to its segment's mean, one histogram per segment."""
    ax = ax or plt.subplots(figsize=(7, 2.8))[1]
    for seg, g in table.groupby("segment"):
        ax.hist(g["relative"], bins=20, alpha=0.6, label=str(seg))
    ax.axvline(1, color="k", lw=1)
    ax.set_xlabel("territory potential / segment mean")
    ax.set_ylabel("territories")
    ax.legend(fontsize=8)
    return ax


def details_html(m: Metric) -> str:
    """The metric's details as one readable line (shares in %, money in $, counts plain)."""
    money_words = ("amount", "pay", "bookings", "target", "pipeline", "velocity_per", "close_date")
    pct_words = ("share", "change", "rate", "coverage_80", "attainment", "completeness")
    parts = []
    for k, v in m.details.items():
        name = k.replace("_", " ")
        if isinstance(v, str):
            parts.append(f"{name}: {html.escape(v)}")
        elif v is None or not np.isfinite(v):
            continue
        elif k.startswith("p_") or k == "confidence":
            parts.append(f"{name}: {v:.0%}")
        elif "error" in k or k == "bias":
            parts.append(f"{name}: {v:+.1%}")
        elif any(w in k for w in pct_words):
            parts.append(f"{name}: {v:.1%}")
        elif any(w in k for w in money_words):
            parts.append(f"{name}: ${v:,.0f}")
        elif float(v).is_integer():
            parts.append(f"{name}: {v:,.0f}")
        else:
            parts.append(f"{name}: {v:,.3g}")
    return "<p style='font-size:12px;color:#333'>" + "; ".join(parts) + "</p>"
