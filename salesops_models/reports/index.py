"""``reports/index.html``: every run, newest first, linking each report; failures shown."""

from __future__ import annotations

import html
import os
from pathlib import Path

from .. import config
from ..jsonl import locked
from .ledger import read_ledger

_STYLE = """
body{font-family:system-ui,-apple-system,Segoe UI,Roboto,sans-serif;margin:2rem;color:#212529}
table{border-collapse:collapse;width:100%}th,td{padding:.4rem .6rem;border-bottom:1px solid #dee2e6;text-align:left;font-size:.9rem}
th{background:#f1f3f5}.ok{color:#2b8a3e;font-weight:600}.failed{color:#c92a2a;font-weight:600}
tr.failed-row{background:#fff5f5}code{font-size:.8rem}
"""


def write_index(reports_dir: Path = config.REPORTS_DIR) -> Path:
    reports_dir = Path(reports_dir)
    runs = read_ledger(reports_dir)
    problems = list(runs.attrs.get("problems", []))
    rows = []
    if len(runs):
        runs = runs.sort_values("started", ascending=False, key=lambda s: s.astype(str))
        for r in runs.itertuples(index=False):
            pdict = r.parameters if isinstance(r.parameters, dict) else {}
            params = ", ".join(f"{k}={v}" for k, v in pdict.items())
            seconds = float(r.seconds) if isinstance(r.seconds, int | float) else 0.0
            if r.status == "ok" and r.html:
                link = f'<a href="{html.escape(str(r.html))}">{html.escape(str(r.name))}</a>'
            else:
                link = html.escape(str(r.name))
            detail = html.escape(str(r.error or "")) if r.status != "ok" else ""
            if r.status != "ok" and r.notebook:
                detail += f' (<a href="{html.escape(str(r.notebook))}">executed notebook</a>)'
            rows.append(
                f'<tr class="{"failed-row" if r.status != "ok" else ""}"><td>{html.escape(str(r.started))}</td>'
                f'<td>{link}</td><td class="{html.escape(str(r.status))}">{html.escape(str(r.status))}</td>'
                f"<td>{seconds:.1f}s</td><td><code>{html.escape(params)}</code></td>"
                f"<td><code>{html.escape(str(r.data_fingerprint))}</code></td><td>{detail}</td></tr>"
            )
    body = (
        f"<!doctype html><html><head><meta charset='utf-8'><title>salesops reports</title><style>{_STYLE}</style></head>"
        f"<body><h1>Report runs</h1><p>{len(rows)} runs, newest first. Ledger: <code>runs.jsonl</code>.</p>"
        + "".join(f"<p class='failed'>{html.escape(p)}</p>" for p in problems)
        + "<table><thead><tr><th>started</th><th>report</th><th>status</th><th>time</th><th>parameters</th>"
        "<th>data</th><th>error</th></tr></thead><tbody>"
        + "".join(rows)
        + "</tbody></table></body></html>"
    )
    out = reports_dir / "index.html"
    tmp = reports_dir / f".index.{os.getpid()}.tmp"
    with locked(reports_dir / ".index.lock"):
        tmp.write_text(body, encoding="utf-8")
        os.replace(tmp, out)
    return out
