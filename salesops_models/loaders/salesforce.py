"""Salesforce exports (Data Loader / Workbench CSV, standard API field names).

Files: ``Opportunity.csv`` (required) and optionally ``OpportunityHistory.csv``,
``User.csv``, ``Account.csv`` and the activities, ``Task.csv`` and ``Event.csv``
(:func:`task_activities`, :func:`event_activities`). Stage names of the default Salesforce sales process map onto the
workbench stages (see :data:`SALESFORCE_STAGE_MAP`); pass ``stage_map`` for custom stages.
Record ids are read in their 18-character form (:func:`sf_id18`), so a 15-character id and
its 18-character form are one record in every file.
"""

from __future__ import annotations

import re
from pathlib import Path

import numpy as np
import pandas as pd

from .. import config
from .column_map import ColumnMap, first_present, unused_columns_note
from .common import LoadResult
from .pipeline import SourceTable, assemble
from .reading import read_raw, require_columns, require_one_of

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
#: Columns every Salesforce export carries that the workbench has no use for (not listed as
#: unread in the notes): record-keeping fields.
IGNORED_COLUMNS = frozenset(
    {
        "IsDeleted",
        "SystemModstamp",
        "LastModifiedDate",
        "LastModifiedById",
        "CreatedById",
        "LastActivityDate",
        "LastViewedDate",
        "LastReferencedDate",
    }
)
#: Where a standard source column is missing, the first of these the file has stands in
#: (noted): Salesforce has no standard team or hire-date field on User; the role name
#: (``UserRole.Name`` in a Data Loader export) and the user record's creation are the usual
#: stand-ins. A ``--columns`` map names others.
USER_FALLBACKS = {
    "team": ["UserRole.Name", "Role"],
    "hire_date": ["CreatedDate"],
}
ACCOUNT_COLUMNS = {
    "id": "Id",
    "name": "Name",
    "industry": "Industry",
    "state": "BillingState",
    "zip": "BillingPostalCode",
    "country": "BillingCountry",
    "lat": "BillingLatitude",
    "lon": "BillingLongitude",
    "employees": "NumberOfEmployees",
    "annual_revenue": "AnnualRevenue",
    "owner_rep_id": "OwnerId",
    "segment": "Segment__c",
    "region": "Region__c",
    "potential": "Potential__c",
}


_SUFFIX_ALPHABET = "ABCDEFGHIJKLMNOPQRSTUVWXYZ012345"
_SF_ID = re.compile(r"^[a-zA-Z0-9]{15}([a-zA-Z0-5]{3})?$")
#: Id columns (foreign keys included) of each Salesforce object file.
ID_COLUMNS = {
    "opportunities": ("Id", "AccountId", "OwnerId"),
    "opportunity_history": ("OpportunityId",),
    "reps": ("Id", "ManagerId"),
    "accounts": ("Id", "OwnerId"),
    "activities": ("Id", "OwnerId", "WhatId", "WhoId", "AccountId"),
}
#: Opportunity and Account record ids start with these key prefixes.
OPPORTUNITY_PREFIX, ACCOUNT_PREFIX = "006", "001"
TASK_REQUIRED = ["Id", "OwnerId", "Subject"]
EVENT_REQUIRED = ["Id", "OwnerId"]


def sf_id18(value: str) -> str:
    """The 18-character, case-insensitive-safe form of a Salesforce record id.

    Salesforce's checksum: split the 15-character id into three chunks of five; for each
    chunk, bit ``i`` is set when its ``i``-th character is an upper-case letter; the chunk's
    bits index ``ABCDEFGHIJKLMNOPQRSTUVWXYZ012345``. An 18-character id keeps its form
    (suffix upper-cased); if its case was flattened (all lower- or upper-case, as some
    spreadsheets do), the case is restored from the suffix, so it still matches. Other values
    are returned unchanged.

    >>> sf_id18("001A000000Ij7cB")
    '001A000000Ij7cBIAR'
    >>> sf_id18("001a000000ij7cbiar")
    '001A000000Ij7cBIAR'
    """
    if not isinstance(value, str) or not _SF_ID.match(value):
        return value
    if len(value) == 15:
        return value + _checksum(value)
    s15, suffix = value[:15], value[15:].upper()
    if _checksum(s15) == suffix or not (s15 == s15.lower() or s15 == s15.upper()):
        return s15 + suffix  # valid, or an id whose case we cannot vouch for: kept as written
    chars = list(s15)  # case flattened (e.g. by a spreadsheet): restore it from the suffix
    for k in range(3):
        bits = _SUFFIX_ALPHABET.index(suffix[k])
        for i in range(5):
            c = chars[5 * k + i]
            chars[5 * k + i] = c.upper() if bits >> i & 1 else c.lower()
    return "".join(chars) + suffix


def _checksum(id15: str) -> str:
    out = ""
    for k in range(3):
        chunk = id15[5 * k : 5 * k + 5]
        out += _SUFFIX_ALPHABET[sum(1 << i for i, c in enumerate(chunk) if "A" <= c <= "Z")]
    return out


def normalize_ids(raw, table: str, path: Path, notes: list[str]) -> None:
    """Rewrite every Salesforce id column of ``raw`` to the 18-character form (in place),
    noting how many 15-character ids were converted."""
    for col in ID_COLUMNS.get(table, ()):
        if col not in raw:
            continue
        vals = raw[col].astype(object)
        stripped = vals.map(lambda v: v.strip() if isinstance(v, str) else v)
        short = stripped.map(
            lambda v: isinstance(v, str) and len(v) == 15 and bool(_SF_ID.match(v))
        )
        raw[col] = stripped.map(sf_id18)
        if short.any():
            notes.append(
                f"{path.name}:{col}: {int(short.sum())} 15-character ids converted to the "
                "18-character form"
            )


def _text(raw: pd.DataFrame, col: str) -> pd.Series:
    """A source column as stripped text ("" when the column or the value is missing)."""
    if col not in raw:
        return pd.Series("", index=raw.index, dtype=object)
    return raw[col].astype(object).where(raw[col].notna(), "").astype(str).str.strip()


def _first_filled(raw: pd.DataFrame, cols: list[str]) -> pd.Series:
    out = pd.Series("", index=raw.index, dtype=object)
    for c in reversed(cols):
        t = _text(raw, c)
        out = out.where(t == "", t)
    return out


def _links(raw: pd.DataFrame) -> None:
    """``WhatId`` split by its key prefix: the opportunity, and the account (``AccountId``
    when the export has it, else a WhatId that is an account)."""
    what = _text(raw, "WhatId")
    raw["WhatId (opportunity)"] = what.where(what.str.startswith(OPPORTUNITY_PREFIX), "")
    acc = _text(raw, "AccountId")
    raw["AccountId or WhatId"] = acc.where(
        acc != "", what.where(what.str.startswith(ACCOUNT_PREFIX), "")
    )


def task_activities(raw: pd.DataFrame, notes: list[str], name: str = "Task.csv") -> dict:
    """Map a Salesforce ``Task`` export (in place) onto the activity columns.

    - type: ``TaskSubtype`` Call -> call, Email/ListEmail -> email; otherwise ``Type`` Call,
      Email, Meeting; anything else is a task;
    - start: ``CompletedDateTime``, else ``ActivityDate`` (the due date), else ``CreatedDate``;
    - duration: ``CallDurationInSeconds`` / 60 (empty for other tasks);
    - outcome: ``CallDisposition``, else ``Status``; opportunity/account from ``WhatId``.
    """
    sub = _text(raw, "TaskSubtype").str.lower()
    typ = _text(raw, "Type").str.lower()
    raw["TaskSubtype/Type"] = np.select(
        [
            sub == "call",
            sub.isin(["email", "listemail"]),
            typ == "call",
            typ == "email",
            typ == "meeting",
        ],
        ["call", "email", "call", "email", "meeting"],
        default="task",
    )
    raw["CompletedDateTime/ActivityDate/CreatedDate"] = _first_filled(
        raw, ["CompletedDateTime", "ActivityDate", "CreatedDate"]
    )
    undated = (_text(raw, "CompletedDateTime") == "") & (_text(raw, "ActivityDate") != "")
    if undated.any():
        notes.append(
            f"{name}: {int(undated.sum())} tasks have no CompletedDateTime; their ActivityDate "
            "(due date) is used as the day they happened"
        )
    secs = _text(raw, "CallDurationInSeconds")
    num = pd.to_numeric(secs, errors="coerce")
    raw["CallDurationInSeconds/60"] = np.where(
        num.notna(), (num / 60.0).astype(str), secs
    )  # an unparseable value stays as written and is rejected by the parser
    raw["CallDisposition/Status"] = _first_filled(raw, ["CallDisposition", "Status"])
    _links(raw)
    return {
        "id": "Id",
        "rep_id": "OwnerId",
        "type": "TaskSubtype/Type",
        "start": "CompletedDateTime/ActivityDate/CreatedDate",
        "duration_minutes": "CallDurationInSeconds/60",
        "opportunity_id": "WhatId (opportunity)",
        "account_id": "AccountId or WhatId",
        "outcome": "CallDisposition/Status",
        "subject": "Subject",
        "created_at": "CreatedDate",
    }


def event_activities(raw: pd.DataFrame, notes: list[str], name: str = "Event.csv") -> dict:
    """Map a Salesforce ``Event`` export (in place) onto the activity columns.

    - type: ``Type`` Call -> call, Email -> email; otherwise a meeting when it has a contact
      or a related record (``WhoId`` or ``WhatId``), else an internal meeting;
    - start: ``StartDateTime``, else ``ActivityDateTime``; duration ``DurationInMinutes``;
    - all-day events (``IsAllDayEvent``: conferences, offsites, time off) are not
      customer-facing time (noted), whatever their type.
    """
    typ = _text(raw, "Type").str.lower()
    linked = (_text(raw, "WhoId") != "") | (_text(raw, "WhatId") != "")
    raw["Type/WhoId/WhatId"] = np.select(
        [typ == "call", typ == "email", linked], ["call", "email", "meeting"], default="internal"
    )
    raw["StartDateTime/ActivityDateTime"] = _first_filled(
        raw, ["StartDateTime", "ActivityDateTime"]
    )
    all_day = _text(raw, "IsAllDayEvent").str.lower().isin(["true", "1", "yes"])
    raw["Type/IsAllDayEvent"] = np.where(
        all_day,
        "false",
        np.isin(raw["Type/WhoId/WhatId"], ["call", "email", "meeting"]).astype(str),
    )
    if all_day.any():
        notes.append(f"{name}: {int(all_day.sum())} all-day events count as not customer-facing")
    _links(raw)
    return {
        "id": "Id",
        "rep_id": "OwnerId",
        "type": "Type/WhoId/WhatId",
        "start": "StartDateTime/ActivityDateTime",
        "duration_minutes": "DurationInMinutes",
        "opportunity_id": "WhatId (opportunity)",
        "account_id": "AccountId or WhatId",
        "customer_facing": "Type/IsAllDayEvent",
        "subject": "Subject",
        "created_at": "CreatedDate",
    }


def load_salesforce(
    opportunities: str | Path,
    *,
    history: str | Path | None = None,
    users: str | Path | None = None,
    accounts: str | Path | None = None,
    tasks: str | Path | None = None,
    events: str | Path | None = None,
    stage_map: dict[str, str] | None = None,
    columns: ColumnMap | str | Path | None = None,
    fiscal_year_start_month: int = config.FISCAL_YEAR_START_MONTH,
) -> LoadResult:
    """Import Salesforce CSV exports. A folder may be passed as ``opportunities``: the
    standard file names (Opportunity.csv, OpportunityHistory.csv, User.csv, Account.csv,
    Task.csv, Event.csv) are then looked up inside it. Activities linked to an opportunity
    that is not loaded, duplicate ids and (with User.csv) unknown owners are rejects.

    ``columns`` (a :class:`~.column_map.ColumnMap` or its YAML file) renames or adds
    columns and stage names; without it, a User.csv without Department reads the team from
    ``UserRole.Name`` and one without a hire-date field the hire date from ``CreatedDate``
    (:data:`USER_FALLBACKS`, noted). Columns of a file that nothing reads are listed in the
    notes."""
    opportunities = Path(opportunities)
    if opportunities.is_dir():
        folder = opportunities
        opportunities = folder / "Opportunity.csv"
        history = history or _maybe(folder / "OpportunityHistory.csv")
        users = users or _maybe(folder / "User.csv")
        accounts = accounts or _maybe(folder / "Account.csv")
        tasks = tasks or _maybe(folder / "Task.csv")
        events = events or _maybe(folder / "Event.csv")
    cmap = columns if isinstance(columns, ColumnMap) else ColumnMap.read(columns)
    stages = dict(SALESFORCE_STAGE_MAP) | dict(stage_map or {}) | cmap.stages
    notes: list[str] = []
    sources: dict[str, SourceTable] = {}

    def add(table, path, required, colmap, value_maps=None):
        raw, n = read_raw(path)
        notes.extend(n)
        require_columns(raw, path, required)
        normalize_ids(raw, table, Path(path), notes)
        if table == "reps" and "Name" not in raw.columns:
            require_columns(raw, path, ["FirstName", "LastName"])
            raw["_FirstName LastName"] = (
                raw["FirstName"].str.strip() + " " + raw["LastName"].str.strip()
            ).str.strip()
            colmap = colmap | {"name": "_FirstName LastName"}
        if table == "reps":
            colmap = first_present(colmap, USER_FALLBACKS, raw, path, notes)
        colmap = cmap.apply(table, colmap, raw, path)
        used = set(colmap.values()) | {"FirstName", "LastName", "Id"}
        unused = unused_columns_note(raw, used | IGNORED_COLUMNS, path)
        if unused:
            notes.append(unused)
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
    activity_sources = []
    for path, required, mapper in (
        (tasks, TASK_REQUIRED, task_activities),
        (events, EVENT_REQUIRED, event_activities),
    ):
        if not path:
            continue
        raw, n = read_raw(path)
        notes.extend(n)
        require_columns(raw, path, required)
        if mapper is event_activities:
            require_one_of(raw, path, ["StartDateTime", "ActivityDateTime"])
        normalize_ids(raw, "activities", Path(path), notes)
        colmap = mapper(raw, notes, Path(path).name)
        activity_sources.append(SourceTable("activities", path, raw, colmap))
    if activity_sources:
        sources["activities"] = activity_sources
    cmap.check_tables(set(sources) - {"activities"}, "Salesforce")
    result = assemble(
        sources,
        source_name="salesforce",
        notes=notes,
        fiscal_year_start_month=fiscal_year_start_month,
    )
    forecasts = opportunities.parent / "forecasts"
    if forecasts.is_dir():  # Collaborative Forecasts snapshots: the forecast call
        from .sf_forecasts import load_collaborative_forecasts

        calls = load_collaborative_forecasts(result.crm, forecasts)
        result.extra["forecast_calls"] = calls.calls
        result.summary = pd.concat([result.summary, calls.summary], ignore_index=True)
        result.rejects = pd.concat([result.rejects, calls.rejects], ignore_index=True)
        result.notes += calls.notes
    return result


def _maybe(p: Path) -> Path | None:
    return p if p.exists() else None
