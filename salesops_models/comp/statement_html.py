"""One HTML statement per rep and period that a rep can read: every line with its deal, rule,
credit and amount; draws and clawbacks explained; the balances carried to the next period.

The files are self-contained (inline CSS, no script). Every CRM text (names, ids, rules that
quote them) is HTML-escaped, and file names are built from a sequence number and an ASCII
slug plus a short hash of the rep id, so two reps never share a file and no id can walk out
of the folder.
"""

from __future__ import annotations

import hashlib
import html
import re
from decimal import Decimal
from pathlib import Path

import pandas as pd

KIND_TEXT = {
    "commission": "Commission",
    "cap": "Payout cap",
    "gate": "Gate",
    "ytd": "Year-to-date adjustment",
    "spiff": "SPIFF",
    "clawback": "Clawback",
    "draw": "Draw",
    "draw_recovery": "Draw recovery",
    "true_up": "Annual true-up",
    "info": "Note",
}
EXPLAIN = {
    "clawback": "A deal cancelled or unpaid within the plan's clawback window gives back what "
    "was paid for it (after caps), in the period of the event.",
    "draw": "While the draw applies, earnings below it are topped up; a recoverable draw is "
    "an advance recovered from later earnings.",
    "draw_recovery": "Part of an earlier recoverable draw taken back from this period's earnings.",
    "cap": "The plan pays at most its cap; the cut falls on the period's last deals.",
    "ytd": "Year to date: pays what the year's attainment has earned minus what was already "
    "paid this year.",
    "true_up": "At the fiscal year end: the annual-basis payout minus what the year paid.",
}
CSS = """
body{font-family:system-ui,-apple-system,"Segoe UI",Roboto,sans-serif;margin:2rem;color:#212529}
h1{font-size:1.4rem;margin:0 0 .2rem} .sub{color:#555;margin-bottom:1rem}
.total{font-size:1.6rem;font-weight:600;margin:.5rem 0 1rem}
table{border-collapse:collapse;width:100%;font-size:.9rem}
th,td{border-bottom:1px solid #dee2e6;padding:.35rem .5rem;text-align:left;vertical-align:top}
td.num,th.num{text-align:right;white-space:nowrap} tr.neg td.num{color:#c92a2a}
tfoot td{font-weight:600;border-top:2px solid #212529}
dl{font-size:.85rem;color:#444} dt{font-weight:600;margin-top:.4rem}
@media print{body{margin:0}}
"""


def _e(v) -> str:
    if v is None or (isinstance(v, float) and v != v):
        return ""
    return html.escape(str(v), quote=True)


def _money(d) -> str:
    return "" if d is None or d != d else f"{Decimal(d):,.2f}"


def statement_file_name(i: int, rep_id: str) -> str:
    """``NNNN_<ascii slug>_<hash>.html``: distinct per rep id, safe in any file system."""
    slug = re.sub(r"[^A-Za-z0-9]+", "-", str(rep_id)).strip("-")[:40] or "rep"
    digest = hashlib.sha256(str(rep_id).encode("utf-8")).hexdigest()[:8]
    return f"{i:04d}_{slug}_{digest}.html"


def render_statement(
    lines: pd.DataFrame, *, plan_name: str, currency: str, balances: dict | None = None
) -> str:
    """The HTML page of one rep's lines for one period."""
    first = lines.iloc[0]
    total = sum(lines["amount"], Decimal(0))
    rows = []
    for ln in lines.itertuples(index=False):
        cls = ' class="neg"' if ln.amount < 0 else ""
        rows.append(
            f"<tr{cls}><td>{int(ln.line)}</td><td>{_e(KIND_TEXT.get(ln.kind, ln.kind))}</td>"
            f"<td>{_e(ln.measure)}</td><td>{_e(ln.opportunity_id)}</td>"
            f'<td class="num">{_money(ln.credit)}</td><td>{_e(ln.rule)}</td>'
            f'<td class="num">{_money(ln.amount)}</td></tr>'
        )
    kinds = [k for k in dict.fromkeys(lines["kind"]) if k in EXPLAIN]
    notes = "".join(f"<dt>{_e(KIND_TEXT[k])}</dt><dd>{_e(EXPLAIN[k])}</dd>" for k in kinds)
    bal = "".join(
        f"<dt>{_e(k)}</dt><dd>{_e(_money(v))} {_e(currency)}</dd>"
        for k, v in (balances or {}).items()
    )
    return (
        '<!DOCTYPE html><html lang="en"><head><meta charset="utf-8">'
        f"<title>Statement {_e(first.rep_name)} {_e(first.period)}</title>"
        f"<style>{CSS}</style></head><body>"
        f"<h1>Commission statement: {_e(first.rep_name)}</h1>"
        f'<div class="sub">Rep {_e(first.rep_id)} &middot; period {_e(first.period)} &middot; '
        f"plan {_e(plan_name)}</div>"
        f'<div class="total">Total this period: {_money(total)} {_e(currency)}</div>'
        "<table><thead><tr><th>#</th><th>Line</th><th>Measure</th><th>Deal</th>"
        '<th class="num">Credit</th><th>Rule</th><th class="num">Amount</th></tr></thead>'
        f"<tbody>{''.join(rows)}</tbody><tfoot><tr><td colspan=6>Total</td>"
        f'<td class="num">{_money(total)}</td></tr></tfoot></table>'
        + (f"<h2>What the lines mean</h2><dl>{notes}</dl>" if notes else "")
        + (f"<h2>Balances carried to the next period</h2><dl>{bal}</dl>" if bal else "")
        + "<p class=sub>Amounts are exact to the cent (each line rounded half up); the total "
        "is the sum of the lines.</p></body></html>"
    )


def write_statements(result, folder, *, plan_name: str = "", currency: str = "USD") -> list[Path]:
    """One file per rep and period of ``result`` plus ``index.html``; returns the files."""
    folder = Path(folder)
    folder.mkdir(parents=True, exist_ok=True)
    state = result.state
    files, links = [], []
    groups = result.lines.groupby(["period", "rep_id"], sort=False)
    for i, ((period, rep_id), g) in enumerate(groups, start=1):
        balances = {}
        if state is not None and state.draw_balance.get(rep_id):
            balances["Recoverable draw outstanding"] = state.draw_balance[rep_id]
        name = statement_file_name(i, f"{period}/{rep_id}")
        (folder / name).write_text(
            render_statement(
                g.sort_values("line"), plan_name=plan_name, currency=currency, balances=balances
            ),
            encoding="utf-8",
        )
        files.append(folder / name)
        total = sum(g["amount"], Decimal(0))
        links.append(
            f'<tr><td><a href="{_e(name)}">{_e(g["rep_name"].iloc[0])}</a></td>'
            f'<td>{_e(rep_id)}</td><td>{_e(period)}</td><td class="num">{_money(total)}</td></tr>'
        )
    index = (
        '<!DOCTYPE html><html lang="en"><head><meta charset="utf-8"><title>Statements</title>'
        f"<style>{CSS}</style></head><body><h1>Commission statements: {_e(plan_name)}</h1>"
        "<table><thead><tr><th>Rep</th><th>Id</th><th>Period</th>"
        f'<th class="num">Total</th></tr></thead><tbody>{"".join(links)}</tbody></table>'
        "</body></html>"
    )
    (folder / "index.html").write_text(index, encoding="utf-8")
    return [folder / "index.html", *files]
