"""Assemble parsed source tables into a CRM with all cross-table checks (shared by importers)."""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import pandas as pd

from .. import config
from ..schema import CUSTOMER_FACING_TYPES
from .common import (
    REJECT_COLUMNS,
    LoadResult,
    ParseStats,
    TableBuilder,
    check_opportunities,
    close_history,
    finish_opportunity_fields,
    load_summary,
    make_crm,
    reject_orphans,
)


@dataclass
class SourceTable:
    """One source file mapped onto one canonical table."""

    table: str
    file: str | Path
    raw: pd.DataFrame
    colmap: dict[str, str]
    value_maps: dict[str, dict[str, str]] = field(default_factory=dict)
    defaults: dict[str, object] = field(default_factory=dict)


def assemble(
    sources: dict[str, SourceTable],
    *,
    source_name: str,
    notes: list[str] | None = None,
    fiscal_year_start_month: int = config.FISCAL_YEAR_START_MONTH,
    date_format: str | None = None,
    dayfirst: bool | None = None,
) -> LoadResult:
    """Parse every source table, run the cross-table checks and build the CRM.

    Order matters for foreign keys: reps, then accounts (owner), opportunities (account,
    owner), history (opportunity), quotas (rep); a child row whose parent was rejected is
    rejected too, with that reason.
    """
    notes = list(notes or [])
    stats = ParseStats()
    builders: list[TableBuilder] = []
    accepted: dict[str, pd.DataFrame] = {}

    def build(name: str) -> tuple[TableBuilder, pd.DataFrame] | None:
        src = sources.get(name)
        if src is None:
            return None
        return build_source(src)

    def build_source(src: SourceTable) -> tuple[TableBuilder, pd.DataFrame]:
        b = TableBuilder(
            src.table,
            src.file,
            src.raw,
            src.colmap,
            stats,
            date_format=date_format,
            dayfirst=dayfirst,
        )
        b.parse_all(src.value_maps)
        for col, val in src.defaults.items():
            if col not in b.out:
                b.set(col, np.full(b.n, val, dtype=object))
        builders.append(b)
        return b, b.frame()

    # reps
    r = build("reps")
    if r:
        b, df = r
        b.reject_duplicates(df)
        accepted["reps"] = _finish_reps(b.accepted(df), notes)
    # accounts
    a = build("accounts")
    if a:
        b, df = a
        b.reject_duplicates(df)
        if "reps" in accepted and "owner_rep_id" in df:
            reject_orphans(b, df, "owner_rep_id", accepted["reps"]["id"], "reps")
        accepted["accounts"] = b.accepted(df)
    # opportunities
    o = build("opportunities")
    if o is None:
        raise ValueError("an import needs an opportunities table")
    b, df = o
    b.reject_duplicates(df)
    check_opportunities(b, df)
    if "accounts" in accepted:
        reject_orphans(b, df, "account_id", accepted["accounts"]["id"], "accounts")
    if "reps" in accepted:
        reject_orphans(b, df, "owner_rep_id", accepted["reps"]["id"], "reps")
    opps = finish_opportunity_fields(b.accepted(df))
    accepted["opportunities"] = opps
    if "reps" not in accepted:
        owners = opps["owner_rep_id"].dropna().unique()
        accepted["reps"] = pd.DataFrame({"id": owners, "name": owners, "role": "AE"})
        notes.append(
            f"no reps file: {len(owners)} reps created from opportunity owners (name = id)"
        )
    if "accounts" not in accepted:
        ids = opps["account_id"].dropna().unique()
        accepted["accounts"] = pd.DataFrame({"id": ids, "name": ids})
        notes.append(f"no accounts file: {len(ids)} accounts created from opportunity account ids")
    # history
    h = build("opportunity_history")
    hist = _history_table(h, opps, notes)
    accepted["opportunity_history"] = hist
    q = build("quotas")
    if q:
        b, df = q
        reject_orphans(b, df, "rep_id", accepted["reps"]["id"], "reps")
        accepted["quotas"] = b.accepted(df)
    _add_activities(sources, accepted, build_source, notes)
    meta = {"source": source_name, "fields_not_in_source": fields_not_in_source(sources)}
    crm = make_crm(accepted, meta, fiscal_year_start_month)
    rejects = (
        pd.concat([b.rejects_frame() for b in builders], ignore_index=True)
        if builders
        else pd.DataFrame(columns=REJECT_COLUMNS)
    )
    rejects = rejects.astype({"value": object})
    rejects["value"] = rejects["value"].map(
        lambda v: None if v is None or (isinstance(v, float) and np.isnan(v)) else str(v)
    )
    summary = load_summary(builders)
    return LoadResult(crm=crm, rejects=rejects, summary=summary, notes=notes + stats.notes)


def fields_not_in_source(sources: dict) -> dict[str, list[str]]:
    """Per table loaded, the workbench columns no source column fed (Product on a
    Salesforce Opportunity export, say): a data-quality check grades what the source could
    have filled, not a field the export never had."""
    from ..schema import TABLES

    out: dict[str, list[str]] = {}
    for table, src in sources.items():
        parts = src if isinstance(src, list) else [src]
        fed = {
            canon for part in parts for canon, col in part.colmap.items() if col in part.raw.columns
        } | {canon for part in parts for canon in part.defaults}
        missing = [c.name for c in TABLES.get(table, ()) if c.name not in fed]
        if missing:
            out[table] = missing
    return out


def _add_activities(sources: dict, accepted: dict, build_source, notes: list[str]) -> None:
    acts = sources.get("activities")
    if acts is None:
        return
    built = [build_source(src) for src in (acts if isinstance(acts, list) else [acts])]
    accepted["activities"] = _activities_table(
        built,
        accepted,
        has_reps="reps" in sources,
        has_accounts="accounts" in sources,
        notes=notes,
    )


def _activities_table(
    built: list, accepted: dict, *, has_reps: bool, has_accounts: bool, notes: list[str]
) -> pd.DataFrame:
    """The accepted activities of one or more files (Salesforce Task and Event).

    Rejects, with the reason: an id seen before (in the same or an earlier file), a
    negative duration, an opportunity that is not among the loaded opportunities (missing or
    rejected), and, when the load has a users (accounts) file, an owner (account) not in it.
    Without a users file, activity owners who own no deal are added as reps (role AE), as
    deal owners are; likewise accounts without an accounts file; both are noted.
    """
    seen: dict[str, str] = {}
    frames = []
    for b, df in built:
        b.reject_duplicates(df)
        earlier = df["id"].map(seen).astype(object)
        b.reject(
            earlier.notna().to_numpy(),
            b.colmap.get("id"),
            df["id"].to_numpy(dtype=object),
            ("duplicate id (also in " + earlier.fillna("") + ")").to_numpy(dtype=object),
        )
        if "duration_minutes" in df:
            d = pd.to_numeric(df["duration_minutes"], errors="coerce")
            b.reject(
                (d < 0).to_numpy(),
                b.colmap.get("duration_minutes"),
                df["duration_minutes"].to_numpy(dtype=object),
                f"negative duration in {b.colmap.get('duration_minutes')}",
            )
        if "opportunity_id" in df:
            reject_orphans(
                b,
                df,
                "opportunity_id",
                accepted["opportunities"]["id"],
                "the loaded opportunities (missing or rejected)",
            )
        if has_reps:
            reject_orphans(b, df, "rep_id", accepted["reps"]["id"], "reps")
        if has_accounts and "account_id" in df:
            reject_orphans(b, df, "account_id", accepted["accounts"]["id"], "accounts")
        ok = b.accepted(df)
        by_type = ok["type"].isin(CUSTOMER_FACING_TYPES)
        cf = ok["customer_facing"] if "customer_facing" in ok else pd.Series(None, index=ok.index)
        ok["customer_facing"] = cf.where(cf.notna(), by_type).astype(bool)
        for i in ok["id"]:
            seen.setdefault(i, Path(b.file).name)
        frames.append(ok)
    acts = pd.concat(frames, ignore_index=True) if frames else pd.DataFrame()
    if not has_reps and len(acts):
        new = pd.Index(acts["rep_id"].dropna().unique()).difference(accepted["reps"]["id"])
        if len(new):
            accepted["reps"] = pd.concat(
                [accepted["reps"], pd.DataFrame({"id": new, "name": new, "role": "AE"})],
                ignore_index=True,
            )
            notes.append(f"activities: {len(new)} activity owners with no deal added as reps")
    if not has_accounts and "account_id" in acts and len(acts):
        new = pd.Index(acts["account_id"].dropna().unique()).difference(accepted["accounts"]["id"])
        if len(new):
            accepted["accounts"] = pd.concat(
                [accepted["accounts"], pd.DataFrame({"id": new, "name": new})], ignore_index=True
            )
            notes.append(f"activities: {len(new)} accounts with no deal added from activities")
    return acts.drop(columns="_row", errors="ignore")


def _finish_reps(reps: pd.DataFrame, notes: list[str]) -> pd.DataFrame:
    """Default role: Manager for a user someone reports to (``manager_id``), else AE (noted);
    a manager_id pointing outside the file is emptied (with a note)."""
    if "role" not in reps or reps["role"].isna().all():
        reps["role"] = None
    if reps["role"].isna().any():
        managers = reps["id"].isin(reps["manager_id"].dropna()) if "manager_id" in reps else False
        guess = np.where(managers, "Manager", "AE")
        n_mgr = int((reps["role"].isna() & managers).sum())
        notes.append(
            f"reps: {int(reps['role'].isna().sum())} users without a role: {n_mgr} that others "
            "report to are Managers, the rest AEs (name a role column with --columns)"
        )
        reps["role"] = reps["role"].where(reps["role"].notna(), guess)
    bad_mgr = (
        reps["manager_id"].notna() & ~reps["manager_id"].isin(reps["id"])
        if "manager_id" in reps
        else pd.Series(False, index=reps.index)
    )
    if bad_mgr.any():
        notes.append(
            f"reps: {int(bad_mgr.sum())} manager_id values point to users not in the file; left empty"
        )
        reps.loc[bad_mgr, "manager_id"] = None
    return reps


def _history_table(h, opps: pd.DataFrame, notes: list[str]) -> pd.DataFrame:
    """The accepted field history, closed so its last state is each deal's current state
    (rows of unknown opportunities or dated before their creation are rejects)."""
    if h:
        b, df = h
        reject_orphans(
            b, df, "opportunity_id", opps["id"], "the loaded opportunities (missing or rejected)"
        )
        created = df["opportunity_id"].map(opps.set_index("id")["created_date"])
        early = (df["changed_at"].notna() & created.notna()).to_numpy() & (
            pd.to_datetime(df["changed_at"]).dt.normalize() < created
        ).to_numpy()
        b.reject(
            early,
            b.colmap.get("changed_at"),
            df["changed_at"].astype(str).to_numpy(dtype=object),
            "changed_at before the opportunity was created",
        )
        hist = b.accepted(df)
        fc = hist.get("forecast_category")
        from ..schema import DEFAULT_FORECAST_CATEGORY

        default = hist["stage"].map(DEFAULT_FORECAST_CATEGORY)
        hist["forecast_category"] = default if fc is None else fc.where(fc.notna(), default)
        hist, added = close_history(opps, hist)
        if added:
            notes.append(
                f"opportunity_history: {added} rows added so the last state equals the opportunity's current state"
            )
        no_hist = (~opps["id"].isin(df["opportunity_id"])).sum()
        if no_hist:
            notes.append(
                f"opportunity_history: {int(no_hist)} opportunities had no history; their current state is used from creation (as-of views before the extract may see later edits)"
            )
    else:
        hist, _ = close_history(opps, pd.DataFrame())
        notes.append(
            "no field history: as-of views use each deal's current state from its creation date (later edits leak into past views)"
        )
    return hist
