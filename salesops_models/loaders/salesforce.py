"""Salesforce exports (Data Loader / Workbench CSV, standard API field names).

Files: ``Opportunity.csv`` (required) and optionally ``OpportunityHistory.csv``,
``User.csv``, ``Account.csv``. Stage names of the default Salesforce sales process map onto the
workbench stages (see :data:`SALESFORCE_STAGE_MAP`); pass ``stage_map`` for custom stages.
"""

from __future__ import annotations

from pathlib import Path

from .. import config
from .common import LoadResult, read_raw, require_columns
from .pipeline import SourceTable, assemble

SALESFORCE_STAGE_MAP: dict[str, str] = {
    "Prospecting": "Prospecting",
    "Qualification": "Qualification",
    "Needs Analysis": "Discovery",
    "Value Proposition": "Discovery",
    "Id. Decision Makers": "Discovery",
    "Perception Analysis": "Proposal",
    "Proposal/Price Quote": "Proposal",
    "Negotiation/Review": "Negotiation",
    "Closed Won": "Closed Won",
    "Closed Lost": "Closed Lost",
}
SALESFORCE_TYPE_MAP: dict[str, str] = {
    "New Business": "new",
    "New Customer": "new",
    "Existing Customer - Upgrade": "expansion",
    "Existing Customer - Replacement": "expansion",
    "Existing Customer - Downgrade": "expansion",
    "Existing Business": "expansion",
    "Renewal": "renewal",
}
#: ForecastCategoryName (labels) and OpportunityHistory.ForecastCategory (API values).
SALESFORCE_FORECAST_MAP: dict[str, str] = {
    "Pipeline": "Pipeline",
    "Best Case": "Best Case",
    "BestCase": "Best Case",
    "Commit": "Commit",
    "Forecast": "Commit",
    "Closed": "Closed",
    "Omitted": "Omitted",
}

OPPORTUNITY_REQUIRED = [
    "Id",
    "AccountId",
    "OwnerId",
    "StageName",
    "Amount",
    "CloseDate",
    "CreatedDate",
]
OPPORTUNITY_COLUMNS = {
    "id": "Id",
    "account_id": "AccountId",
    "owner_rep_id": "OwnerId",
    "name": "Name",
    "type": "Type",
    "lead_source": "LeadSource",
    "created_date": "CreatedDate",
    "close_date": "CloseDate",
    "amount": "Amount",
    "stage": "StageName",
    "is_closed": "IsClosed",
    "is_won": "IsWon",
    "forecast_category": "ForecastCategoryName",
    "product": "Product__c",
}
HISTORY_REQUIRED = ["OpportunityId", "CreatedDate", "StageName"]
HISTORY_COLUMNS = {
    "opportunity_id": "OpportunityId",
    "changed_at": "CreatedDate",
    "stage": "StageName",
    "amount": "Amount",
    "close_date": "CloseDate",
    "forecast_category": "ForecastCategory",
}
USER_COLUMNS = {
    "id": "Id",
    "name": "Name",
    "manager_id": "ManagerId",
    "team": "Department",
    "region": "Division",
    "hire_date": "Hire_Date__c",
    "termination_date": "Termination_Date__c",
    "segment": "Segment__c",
    "base_salary": "Base_Salary__c",
    "ote": "OTE__c",
}
ACCOUNT_COLUMNS = {
    "id": "Id",
    "name": "Name",
    "industry": "Industry",
    "state": "BillingState",
    "zip": "BillingPostalCode",
    "lat": "BillingLatitude",
    "lon": "BillingLongitude",
    "employees": "NumberOfEmployees",
    "annual_revenue": "AnnualRevenue",
    "owner_rep_id": "OwnerId",
    "segment": "Segment__c",
    "region": "Region__c",
    "potential": "Potential__c",
}


def load_salesforce(
    opportunities: str | Path,
    *,
    history: str | Path | None = None,
    users: str | Path | None = None,
    accounts: str | Path | None = None,
    stage_map: dict[str, str] | None = None,
    fiscal_year_start_month: int = config.FISCAL_YEAR_START_MONTH,
) -> LoadResult:
    """Import Salesforce CSV exports. A folder may be passed as ``opportunities``: the
    standard file names (Opportunity.csv, OpportunityHistory.csv, User.csv, Account.csv)
    are then looked up inside it."""
    opportunities = Path(opportunities)
    if opportunities.is_dir():
        folder = opportunities
        opportunities = folder / "Opportunity.csv"
        history = history or _maybe(folder / "OpportunityHistory.csv")
        users = users or _maybe(folder / "User.csv")
        accounts = accounts or _maybe(folder / "Account.csv")
    stages = dict(SALESFORCE_STAGE_MAP) | dict(stage_map or {})
    notes: list[str] = []
    sources: dict[str, SourceTable] = {}

    def add(table, path, required, colmap, value_maps=None):
        raw, n = read_raw(path)
        notes.extend(n)
        require_columns(raw, path, required)
        if table == "reps" and "Name" not in raw.columns:
            require_columns(raw, path, ["FirstName", "LastName"])
            raw["Name"] = (
                raw["FirstName"].str.strip() + " " + raw["LastName"].str.strip()
            ).str.strip()
        sources[table] = SourceTable(table, path, raw, colmap, value_maps or {})

    forecast = {"forecast_category": SALESFORCE_FORECAST_MAP}
    add(
        "opportunities",
        opportunities,
        OPPORTUNITY_REQUIRED,
        OPPORTUNITY_COLUMNS,
        {"stage": stages, "type": SALESFORCE_TYPE_MAP} | forecast,
    )
    if history:
        add(
            "opportunity_history",
            history,
            HISTORY_REQUIRED,
            HISTORY_COLUMNS,
            {"stage": stages} | forecast,
        )
    if users:
        add("reps", users, ["Id"], USER_COLUMNS)
    if accounts:
        add("accounts", accounts, ["Id", "Name"], ACCOUNT_COLUMNS)
    return assemble(
        sources,
        source_name="salesforce",
        notes=notes,
        fiscal_year_start_month=fiscal_year_start_month,
    )


def _maybe(p: Path) -> Path | None:
    return p if p.exists() else None
