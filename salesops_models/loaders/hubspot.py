"""HubSpot deals export (CSV or Excel from the Deals index page, default property labels).

Owners and companies appear by name in the export; ids are derived from the names in any
script (``rep:anna-snelling``, ``rep:王伟``, ``acct:acme-corp``). Distinct names always give
distinct ids: two names that reduce to the same id are a reject with the reason (never one
merged rep or account). Stages of HubSpot's default sales pipeline map
onto the workbench stages; pass ``stage_map`` for custom pipelines. The export has no field
history, so as-of views use each deal's current state from its creation (reported).
"""

from __future__ import annotations

from pathlib import Path

from .. import config
from .common import LoadResult, quarantine, read_raw, require_columns, slug_ids
from .pipeline import SourceTable, assemble

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


def load_hubspot(
    deals: str | Path,
    *,
    stage_map: dict[str, str] | None = None,
    fiscal_year_start_month: int = config.FISCAL_YEAR_START_MONTH,
) -> LoadResult:
    """Import a HubSpot deals export (all pipelines; their counts are listed in the notes)."""
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
    src = SourceTable(
        "opportunities",
        deals,
        raw,
        colmap,
        {
            "stage": dict(HUBSPOT_STAGE_MAP) | dict(stage_map or {}),
            "type": HUBSPOT_TYPE_MAP,
            "forecast_category": HUBSPOT_FORECAST_MAP,
        },
    )
    if "Pipeline" in raw.columns:
        counts = raw["Pipeline"].value_counts()
        notes.append(
            f"{deals.name}: pipelines " + ", ".join(f"{k} ({v})" for k, v in counts.items())
        )
    result = assemble(
        {"opportunities": src},
        source_name="hubspot",
        notes=notes,
        fiscal_year_start_month=fiscal_year_start_month,
    )
    owners = raw[["_owner_id", "Deal owner"]].dropna().drop_duplicates("_owner_id")
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


__all__ = ["HUBSPOT_STAGE_MAP", "load_hubspot"]
