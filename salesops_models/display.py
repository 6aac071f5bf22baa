"""Compact HTML cards for the main result objects in JupyterLab (their ``_repr_html_``).

Evaluating a CRM, a forecast, a capacity or cost simulation, a health scorecard or a
territory design in a cell shows a small card with the figures people look at first, not a
dataclass dump. Every value that can come from the CRM is HTML-escaped here.
"""

from __future__ import annotations

import html

import numpy as np
import pandas as pd

from .settings import rcParams

#: The one set of status colours (the health scorecard's tiles and plots use the same).
STATUS_COLORS = {"healthy": "#2e7d32", "watch": "#ef8f00", "act": "#c62828"}


class Markup(str):
    """HTML this module built itself (a status badge): a card shows it as is; every other
    value is escaped."""


_STYLE = (
    "font-family:system-ui,-apple-system,Segoe UI,sans-serif;font-size:13px;"
    "border:1px solid #cfd8dc;border-radius:6px;padding:8px 12px;display:inline-block;"
    "min-width:280px;max-width:720px"
)


def money(x) -> str:
    """Currency as people read it: ``$21.3M``, ``$43.2k``, ``$950`` (the package's one money
    formatter for people; the sign is ``rcParams["money.symbol"]``; pay to the cent is
        :func:`salesops_models.comp.money`).

        >>> money(21_326_000), money(43_210), money(-950.4)
        ('$21.3M', '$43.2k', '-$950')
    """
    if x is None or not np.isfinite(x):
        return "n/a"
    sign, x = ("-" if x < 0 else ""), abs(float(x))
    cur = rcParams["money.symbol"]
    if x >= 1e9:
        return f"{sign}{cur}{x / 1e9:,.1f}B"
    if x >= 1e6:
        return f"{sign}{cur}{x / 1e6:,.1f}M"
    if x >= 1e3:
        return f"{sign}{cur}{x / 1e3:,.1f}k"
    return f"{sign}{cur}{x:,.0f}"


def money_axis(ax, axis: str = "y"):
    """Label an amount axis the way people read money (``$2M``, ``$500k``), not ``1e7``.

    >>> import matplotlib.pyplot as plt
    >>> fig, ax = plt.subplots()
    >>> _ = ax.plot([0, 1], [0, 2e7]); _ = money_axis(ax)
    >>> ax.yaxis.get_major_formatter()(1.5e7, 0)
    '$15.0M'
    """
    import matplotlib.ticker as mticker

    fmt = mticker.FuncFormatter(lambda v, _: money(v) if v else f"{rcParams['money.symbol']}0")
    (ax.yaxis if axis == "y" else ax.xaxis).set_major_formatter(fmt)
    return ax


#: Summary keys read as a share (shown as %), the rest of the numbers as money.
_SHARE_PREFIXES = ("p_", "share", "cost_of_sales", "attainment", "coverage_")


def readable_summary(summary) -> pd.DataFrame:
    """A ``summary()`` (dict, Series or rows of them) as text people read: amounts as money
    (``$21.3M``), probabilities and shares as percentages, counts as integers.

    >>> readable_summary({"p50": 2.1e7, "p_reach_target": 0.823}).iloc[0].tolist()
    ['$21.0M', '82.3%']
    """
    df = pd.DataFrame([summary]) if isinstance(summary, dict) else pd.DataFrame(summary)
    if isinstance(summary, pd.Series):
        df = summary.to_frame().T

    def cell(key: str, v):
        if not isinstance(v, int | float | np.number) or isinstance(v, bool):
            return v
        if not np.isfinite(v):
            return "n/a"
        if key.startswith(_SHARE_PREFIXES):
            return f"{v:.1%}"
        return money(v)

    return pd.DataFrame({c: [cell(str(c), v) for v in df[c]] for c in df.columns}, index=df.index)


#: Rep id columns of the package's tables and the name each takes when shown with names.
REP_ID_COLUMNS = {"owner_rep_id": "owner", "rep_id": "rep", "manager_id": "manager"}


def rep_names(crm) -> dict:
    """Rep id -> the name people know the rep by (two reps of one name keep their ids in
    brackets; a rep without a name keeps the id)."""
    reps = crm.reps[["id", "name"]].dropna(subset=["id"])
    names = reps["name"].astype(object).where(reps["name"].notna(), reps["id"])
    twice = names.duplicated(keep=False)
    names = names.where(~twice, names.astype(str) + " (" + reps["id"].astype(str) + ")")
    return dict(zip(reps["id"], names, strict=True))


def with_rep_names(df: pd.DataFrame, crm) -> pd.DataFrame:
    """A copy of ``df`` for people: each rep id column (``owner_rep_id``, ``rep_id``,
    ``manager_id``) replaced by the rep's name (``owner``, ``rep``, ``manager``); an id with
    no rep row stays as written, and two reps of one name keep their ids in brackets.

    >>> import pandas as pd
    >>> from types import SimpleNamespace
    >>> crm = SimpleNamespace(reps=pd.DataFrame({"id": ["0055g01", "0055g02"], "name": ["Ana", "Li"]}))
    >>> with_rep_names(pd.DataFrame({"owner_rep_id": ["0055g02", "x"], "amount": [1, 2]}), crm)
      owner  amount
    0    Li       1
    1     x       2
    """
    lookup = rep_names(crm)
    out = df.copy()
    for col, shown in REP_ID_COLUMNS.items():
        if col in out:
            ids = out[col]
            out[col] = ids.map(lambda v: lookup.get(v, v) if isinstance(v, str) else v)
            out = out.rename(columns={col: shown})
    return out


def status_badge(status: str) -> Markup:
    color = STATUS_COLORS.get(status, "#607d8b")
    return Markup(
        f'<span style="background:{color};color:#fff;border-radius:3px;padding:0 5px">'
        f"{html.escape(str(status))}</span>"
    )


def kpi_tiles_html(tiles: list[tuple]) -> str:
    """A row of KPI tiles for a report's headline: ``(label, value)`` or ``(label, value,
    status)`` or ``(label, value, status, detail)`` of plain text (escaped here); a status
    of healthy / watch / act colours the tile's edge.

    >>> html = kpi_tiles_html([("coverage", "3.2x", "healthy", "healthy 3-4x"), ("<b>", "1")])
    >>> "so-kpi" in html and "&lt;b&gt;" in html
    True
    """
    out = []
    for t in tiles:
        label, value = t[0], t[1]
        status = t[2] if len(t) > 2 else ""
        detail = t[3] if len(t) > 3 else ""
        color = STATUS_COLORS.get(status, "#90a4ae")
        sub = f'<div style="color:#78909c;font-size:11px">{html.escape(str(detail))}</div>'
        out.append(
            f'<div class="so-kpi" style="border-left:5px solid {color};background:#f7f9fa;'
            'border-radius:6px;padding:8px 12px;min-width:150px;flex:1 1 150px">'
            f'<div style="color:#546e7a;font-size:12px">{html.escape(str(label))}</div>'
            f'<div style="font-size:22px;font-weight:600">{html.escape(str(value))}</div>'
            f"{sub if detail else ''}</div>"
        )
    row = "".join(out)
    return f'<div style="display:flex;flex-wrap:wrap;gap:10px;margin:6px 0 12px">{row}</div>'


def card_html(
    title: str, rows: list[tuple[str, str]], *, subtitle: str = "", note: str = ""
) -> str:
    """A titled two-column card. ``rows`` are (label, value) pairs of *plain text*, escaped
    here; a :class:`Markup` value (a :func:`status_badge`) is kept as HTML, so text that only
    looks like a badge is still escaped.

    >>> "&lt;script&gt;" in card_html("CRM", [("source", "<script>")])
    True
    >>> fake = '<span style="background:red"><script>x</script></span>'
    >>> "<script>" in card_html("CRM", [("team", fake)])
    False
    """

    def cell(v) -> str:
        return v if isinstance(v, Markup) else html.escape(str(v))

    body = "".join(
        f'<tr><td style="color:#546e7a;padding:1px 12px 1px 0">{html.escape(str(k))}</td>'
        f'<td style="text-align:right">{cell(v)}</td></tr>'
        for k, v in rows
    )
    sub = f'<div style="color:#607d8b">{html.escape(subtitle)}</div>' if subtitle else ""
    foot = (
        f'<div style="color:#78909c;font-size:11px;margin-top:4px">{html.escape(note)}</div>'
        if note
        else ""
    )
    return (
        f'<div style="{_STYLE}"><div style="font-weight:600">{html.escape(title)}</div>{sub}'
        f'<table style="border-collapse:collapse;margin-top:4px">{body}</table>{foot}</div>'
    )


def crm_card(crm) -> str:
    rows = [(t, f"{n:,}") for t, n in crm.summary().itertuples(index=False)]
    start = crm.data_start.date() if len(crm.opportunities) else "n/a"
    end = crm.data_end.date() if len(crm.opportunity_history) else "n/a"
    rows.insert(0, ("history", f"{start} to {end}"))
    aes = int((crm.reps["role"] == "AE").sum())
    rows.insert(1, ("AEs (all time)", f"{aes:,}"))
    return card_html(
        "CRM",
        rows,
        subtitle=f"source {crm.meta.get('source', 'unknown')}; fiscal year starts in month "
        f"{crm.fiscal_year_start_month}",
        note="crm.as_of(date) rebuilds the pipeline of any day; crm.validate() checks it",
    )


def forecast_card(f) -> str:
    q = f.quantiles((0.1, 0.5, 0.9))
    rows = [
        ("P10 / P50 / P90", " / ".join(money(v) for v in q.to_numpy())),
        ("closed so far", money(f.closed)),
        ("expected from open deals", money(float(np.mean(f.from_open)))),
        ("expected from new deals", money(float(np.mean(f.from_new)))),
        ("expected to slip out", money(float(np.mean(f.slip)))),
        ("draws", f"{len(f.total):,}"),
    ]
    d = f.diagnostics or {}
    if "max_rhat" in d or "r_hat" in d:
        rows.append(("max r_hat", f"{d.get('max_rhat', d.get('r_hat')):.3f}"))
    return card_html(
        f"Bookings forecast {f.period.label}",
        rows,
        subtitle=f"as of {f.as_of.date()}",
        note="f.rollup('region'), f.p_reach(target), f.to_xarray()",
    )


def capacity_card(c) -> str:
    s = c.summary()
    return card_html(
        "Capacity plan",
        [
            ("target", money(s["target"])),
            ("bookings P10 / P50 / P90", " / ".join(money(s[k]) for k in ("p10", "p50", "p90"))),
            ("P(reach target)", f"{s['p_reach_target']:.0%}"),
            ("expected shortfall", money(s["expected_shortfall"])),
            ("seats", f"{len(c.seats):,}"),
            ("months", f"{c.months[0]} to {c.months[-1]}" if len(c.months) else "n/a"),
        ],
        note="c.fan(), c.to_xarray()",
    )


def cost_card(c) -> str:
    s = c.summary()
    rows = [
        ("total cost P10 / P50 / P90", " / ".join(money(s[k]) for k in ("p10", "p50", "p90"))),
        ("scenarios", f"{len(c.total):,}"),
        ("reps", f"{c.per_rep.shape[-1]:,}" if np.ndim(c.per_rep) > 1 else "n/a"),
    ]
    if "cost_of_sales_p50" in s:
        rows.append(("cost of sales (P50)", f"{s['cost_of_sales_p50']:.1%}"))
    rows += [
        (f"share: {k.replace('_', ' ')}", f"{v:.0%}")
        for k, v in ((k[6:], v) for k, v in s.items() if k.startswith("share_"))
    ]
    return card_html("Comp plan cost", rows, note="c.summary(budget=...), c.cash_by_period()")


def scorecard_card(card) -> str:
    counts = card.counts()
    summary = ", ".join(
        f"{counts[k]} {k}" for k in ("healthy", "watch", "act", "n/a", "error") if counts.get(k)
    )
    return card_html(
        "Sales-ops health scorecard",
        [(f"{m.title} ({m.value_text})", status_badge(m.status)) for m in card.metrics],
        subtitle=f"as of {card.as_of.date()}: {summary}",
        note="card.to_frame(), card.flagged(), card['selling_time'].action",
    )


def design_card(d) -> str:
    pot = d.accounts.groupby("territory")["potential"].sum() if "potential" in d.accounts else None
    rows = [
        ("territories", f"{d.accounts['territory'].nunique():,}"),
        ("accounts", f"{len(d.accounts):,}"),
        ("status", str(d.status)),
        ("compactness (potential x km)", f"{d.compactness:,.0f}"),
        ("gap to the bound", f"{d.gap:.2%}" if np.isfinite(d.gap) else "n/a"),
    ]
    if pot is not None and len(pot) and pot.mean() > 0:
        rows.insert(
            2,
            (
                "potential: min / max of mean",
                f"{pot.min() / pot.mean():.2f} / {pot.max() / pot.mean():.2f}",
            ),
        )
    if d.moves is not None:
        rows.append(("accounts moved", f"{len(d.moves):,}"))
    return card_html("Territory design", rows, note=f"bound: {d.bound_kind}")
