"""HubSpot deals export (CSV or Excel from the Deals index page, default property labels).

Owners and companies appear by name in the export; ids are derived from the names in any
script (``rep:anna-snelling``, ``rep:王伟``, ``acct:acme-corp``). Distinct names always give
distinct ids: two names that reduce to the same id are a reject with the reason (never one
merged rep or account). Stages of HubSpot's default sales pipeline map
onto the workbench stages; pass ``stage_map`` for custom pipelines. The export has no field
history, so as-of views use each deal's current state from its creation (reported).

Activities come from an export of the Activities index (calls, emails, meetings, tasks;
:func:`hubspot_activities`), linked to deals by their record ids and to owners and companies
by name, the way the deals export names them.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd

from .. import config
from .column_map import ColumnMap, unused_columns_note
from .common import LoadResult, slug_ids
from .pipeline import SourceTable, assemble
from .reading import quarantine, read_raw, require_columns

HUBSPOT_STAGE_MAP: dict[str, str] = {
    "Appointment Scheduled": "Prospecting",
    "Qualified To Buy": "Qualification",
    "Presentation Scheduled": "Discovery",
    "Decision Maker Bought-In": "Proposal",
    "Contract Sent": "Negotiation",
    "Closed Won": "Closed Won",
    "Closed Lost": "Closed Lost",
    # internal values, as in API-based exports
    "appointmentscheduled": "Prospecting",
    "qualifiedtobuy": "Qualification",
    "presentationscheduled": "Discovery",
    "decisionmakerboughtin": "Proposal",
    "contractsent": "Negotiation",
    "closedwon": "Closed Won",
    "closedlost": "Closed Lost",
}
HUBSPOT_TYPE_MAP: dict[str, str] = {
    "New Business": "new",
    "newbusiness": "new",
    "Existing Business": "expansion",
    "existingbusiness": "expansion",
    "Renewal": "renewal",
}
HUBSPOT_FORECAST_MAP: dict[str, str] = {
    "Pipeline": "Pipeline",
    "Best Case": "Best Case",
    "Commit": "Commit",
    "Closed": "Closed",
    "Omit": "Omitted",
    "Omitted": "Omitted",
    "Closed won": "Closed",
    "Not forecasted": "Omitted",
}
REQUIRED = [
    "Record ID",
    "Deal Name",
    "Deal Stage",
    "Amount",
    "Close Date",
    "Create Date",
    "Deal owner",
]
COMPANY_COLUMNS = (
    "Associated Company (Primary)",
    "Associated Company",
    "Company name",
    "Associated Company IDs (Primary)",
)


#: HubSpot activity types (engagement types and their labels) onto the workbench's.
HUBSPOT_ACTIVITY_TYPE_MAP: dict[str, str] = {
    "CALL": "call",
    "Call": "call",
    "EMAIL": "email",
    "Email": "email",
    "INCOMING_EMAIL": "email",
    "FORWARDED_EMAIL": "email",
    "LINKEDIN_MESSAGE": "email",
    "SMS": "email",
    "WHATS_APP": "email",
    "MEETING": "meeting",
    "Meeting": "meeting",
    "TASK": "task",
    "Task": "task",
    "POSTAL_MAIL": "task",
}
ACTIVITY_REQUIRED = ["Record ID", "Activity type", "Activity date", "Activity assigned to"]
#: Meeting outcomes in which no time was spent with the customer.
NOT_HELD = ("NO_SHOW", "CANCELED", "CANCELLED", "RESCHEDULED")


def hubspot_activities(raw: pd.DataFrame, notes: list[str], name: str) -> dict:
    """Map a HubSpot activities export (in place) onto the activity columns.

    - type: ``Activity type`` (CALL, EMAIL, MEETING, TASK and their labels; messages count
      as emails); a NOTE is not an activity (no time is recorded) and is a reject;
    - duration: ``Call duration`` in milliseconds (HubSpot's ``hs_call_duration``) for calls,
      ``Meeting end time - Meeting start time`` for meetings;
    - outcome: ``Call outcome``, ``Meeting outcome`` or ``Task status``; a meeting that was
      not held (no show, canceled, rescheduled) is not customer-facing time;
    - deal: the first of ``Associated Deal IDs`` (more than one is noted); owner and company
      by name, with the ids the deals export gets (``rep:...``, ``acct:...``).
    """
    from .salesforce import _first_filled, _text

    ms = pd.to_numeric(_text(raw, "Call duration"), errors="coerce")
    start = pd.to_datetime(_text(raw, "Meeting start time"), errors="coerce")
    end = pd.to_datetime(_text(raw, "Meeting end time"), errors="coerce")
    meeting_min = (end - start).dt.total_seconds() / 60.0
    raw["Call duration/Meeting times"] = np.where(
        ms.notna(),
        (ms / 60_000.0).astype(str),
        np.where(meeting_min.notna(), meeting_min.astype(str), _text(raw, "Call duration")),
    )
    raw["Call/Meeting outcome, Task status"] = _first_filled(
        raw, ["Call outcome", "Meeting outcome", "Task status"]
    )
    outcome = raw["Call/Meeting outcome, Task status"].str.upper().str.replace(" ", "_")
    kind = _text(raw, "Activity type").map(HUBSPOT_ACTIVITY_TYPE_MAP)
    not_held = (kind == "meeting") & outcome.isin(NOT_HELD)
    raw["Activity type/Meeting outcome"] = np.where(
        not_held, "false", kind.isin(["call", "email", "meeting"]).astype(str)
    )
    if not_held.any():
        notes.append(
            f"{name}: {int(not_held.sum())} meetings not held count as not customer-facing"
        )
    raw["Subject/Title"] = _first_filled(
        raw, ["Subject", "Call title", "Meeting name", "Task title", "Email subject"]
    )
    deals = _text(raw, "Associated Deal IDs")
    parts = deals.str.split(";")
    raw["Associated Deal IDs (first)"] = parts.str[0].str.strip()
    many = parts.str.len() > 1
    if many.any():
        notes.append(
            f"{name}: {int(many.sum())} activities are associated with several deals; the first "
            "is used"
        )
    note = _text(raw, "Activity type").str.upper() == "NOTE"
    quarantine(
        raw, note.to_numpy(), "Activity type", "a note is not an activity (no time is recorded)"
    )
    owner_ids, owner_problem = slug_ids(raw["Activity assigned to"], "rep:")
    raw["_owner_id"] = owner_ids
    quarantine(
        raw, owner_problem.notna().to_numpy(), "Activity assigned to", owner_problem.to_numpy()
    )
    colmap = {
        "id": "Record ID",
        "rep_id": "_owner_id",
        "type": "Activity type",
        "start": "Activity date",
        "duration_minutes": "Call duration/Meeting times",
        "opportunity_id": "Associated Deal IDs (first)",
        "customer_facing": "Activity type/Meeting outcome",
        "outcome": "Call/Meeting outcome, Task status",
        "subject": "Subject/Title",
        "created_at": "Create date",
    }
    company_col = next((c for c in COMPANY_COLUMNS if c in raw.columns), None)
    if company_col:
        acc_ids, acc_problem = slug_ids(raw[company_col], "acct:")
        raw["_account_id"] = acc_ids
        quarantine(raw, acc_problem.notna().to_numpy(), company_col, acc_problem.to_numpy())
        colmap["account_id"] = "_account_id"
    return colmap


def load_hubspot(
    deals: str | Path,
    *,
    activities: str | Path | None = None,
    stage_map: dict[str, str] | None = None,
    columns: ColumnMap | str | Path | None = None,
    fiscal_year_start_month: int = config.FISCAL_YEAR_START_MONTH,
) -> LoadResult:
    """Import a HubSpot deals export (all pipelines; their counts are listed in the notes)
    and, optionally, an activities export (:func:`hubspot_activities`): activities on deals
    that are not loaded are rejects with the reason. ``columns`` (a
    :class:`~.column_map.ColumnMap` or its YAML file) names the export's columns for
    opportunity columns (``opportunities: {product: Line item}``) and its stage names;
    columns nothing reads are listed in the notes."""
    cmap = columns if isinstance(columns, ColumnMap) else ColumnMap.read(columns)
    deals = Path(deals)
    raw, notes = read_raw(deals)
    require_columns(raw, deals, REQUIRED)
    raw = raw.copy()
    owner_ids, owner_problem = slug_ids(raw["Deal owner"], "rep:")
    raw["_owner_id"] = owner_ids
    quarantine(raw, owner_problem.notna().to_numpy(), "Deal owner", owner_problem.to_numpy())
    company_col = next((c for c in COMPANY_COLUMNS if c in raw.columns), None)
    if company_col:
        acc_ids, acc_problem = slug_ids(raw[company_col], "acct:")
        raw["_account_id"] = acc_ids
        quarantine(raw, acc_problem.notna().to_numpy(), company_col, acc_problem.to_numpy())
    else:
        raw["_account_id"] = None
        notes.append(f"{deals.name}: no associated company column; deals have no account")
    colmap = {
        "id": "Record ID",
        "name": "Deal Name",
        "stage": "Deal Stage",
        "amount": "Amount",
        "close_date": "Close Date",
        "created_date": "Create Date",
        "owner_rep_id": "_owner_id",
        "account_id": "_account_id",
        "type": "Deal Type",
        "forecast_category": "Forecast category",
        "lead_source": "Original Source Type",
        "product": "Product",
    }
    cmap.check_tables({"opportunities"}, "HubSpot")
    colmap = cmap.apply("opportunities", colmap, raw, deals)
    read = set(colmap.values()) | {"Pipeline", "Deal owner", company_col}
    unused = unused_columns_note(raw, read, deals)
    if unused:
        notes.append(unused)
    src = SourceTable(
        "opportunities",
        deals,
        raw,
        colmap,
        {
            "stage": dict(HUBSPOT_STAGE_MAP) | dict(stage_map or {}) | cmap.stages,
            "type": HUBSPOT_TYPE_MAP,
            "forecast_category": HUBSPOT_FORECAST_MAP,
        },
    )
    if "Pipeline" in raw.columns:
        counts = raw["Pipeline"].value_counts()
        notes.append(
            f"{deals.name}: pipelines " + ", ".join(f"{k} ({v})" for k, v in counts.items())
        )
    sources = {"opportunities": src}
    if activities is not None:
        act_raw, act_notes = read_raw(activities)
        notes.extend(act_notes)
        require_columns(act_raw, activities, ACTIVITY_REQUIRED)
        act_raw = act_raw.copy()
        colmap_a = hubspot_activities(act_raw, notes, Path(activities).name)
        sources["activities"] = SourceTable(
            "activities", activities, act_raw, colmap_a, {"type": HUBSPOT_ACTIVITY_TYPE_MAP}
        )
        owners_a = act_raw[["_owner_id", "Activity assigned to"]].rename(
            columns={"Activity assigned to": "Deal owner"}
        )
    result = assemble(
        sources,
        source_name="hubspot",
        notes=notes,
        fiscal_year_start_month=fiscal_year_start_month,
    )
    owners = raw[["_owner_id", "Deal owner"]]
    if activities is not None:
        owners = pd.concat([owners, owners_a], ignore_index=True)
    owners = owners.dropna().drop_duplicates("_owner_id")
    reps = result.crm.reps.merge(
        owners.rename(columns={"_owner_id": "id", "Deal owner": "owner_name"}), on="id", how="left"
    )
    result.crm.reps["name"] = reps["owner_name"].fillna(reps["name"]).to_numpy()
    if company_col:
        comp = raw[["_account_id", company_col]].dropna().drop_duplicates("_account_id")
        acc = result.crm.accounts.merge(
            comp.rename(columns={"_account_id": "id", company_col: "cname"}), on="id", how="left"
        )
        result.crm.accounts["name"] = acc["cname"].fillna(acc["name"]).to_numpy()
    return result


__all__ = ["HUBSPOT_ACTIVITY_TYPE_MAP", "HUBSPOT_STAGE_MAP", "hubspot_activities", "load_hubspot"]
