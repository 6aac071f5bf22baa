"""The CRM data model: tables, typed columns, allowed values and validation.

One specification (:data:`TABLES`) drives the pandera schemas, the importers' parsers and the
data dictionary in ``data/README.md``, so the three cannot drift apart.

Stage model
-----------
Five open stages and two closed ones, in funnel order (the Salesforce default sales process,
condensed; importers map vendor stages onto these)::

    Prospecting > Qualification > Discovery > Proposal > Negotiation > Closed Won | Closed Lost

Forecast categories are Salesforce's standard names: Pipeline, Best Case, Commit, Closed,
Omitted. Amounts are in the org's currency as floats in the CRM tables; anything that pays a
person converts to exact cents (see the compensation module).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd
import pandera.pandas as pa

STAGES: tuple[str, ...] = (
    "Prospecting",
    "Qualification",
    "Discovery",
    "Proposal",
    "Negotiation",
    "Closed Won",
    "Closed Lost",
)
OPEN_STAGES: tuple[str, ...] = STAGES[:5]
CLOSED_STAGES: tuple[str, ...] = ("Closed Won", "Closed Lost")
WON_STAGE = "Closed Won"
LOST_STAGE = "Closed Lost"
#: Funnel position of each stage (0 = Prospecting); both closed stages sit after the last open one.
STAGE_ORDER: dict[str, int] = {s: i for i, s in enumerate(OPEN_STAGES)} | {
    WON_STAGE: 5,
    LOST_STAGE: 5,
}
#: The CRM's default stage probability (Salesforce-style), used by the stage-weighted pipeline.
DEFAULT_STAGE_PROBABILITY: dict[str, float] = {
    "Prospecting": 0.10,
    "Qualification": 0.20,
    "Discovery": 0.40,
    "Proposal": 0.60,
    "Negotiation": 0.80,
    "Closed Won": 1.0,
    "Closed Lost": 0.0,
}
FORECAST_CATEGORIES: tuple[str, ...] = ("Pipeline", "Best Case", "Commit", "Closed", "Omitted")
DEFAULT_FORECAST_CATEGORY: dict[str, str] = {
    "Prospecting": "Pipeline",
    "Qualification": "Pipeline",
    "Discovery": "Best Case",
    "Proposal": "Best Case",
    "Negotiation": "Commit",
    "Closed Won": "Closed",
    "Closed Lost": "Omitted",
}
OPPORTUNITY_TYPES: tuple[str, ...] = ("new", "expansion", "renewal")
SEGMENTS: tuple[str, ...] = ("SMB", "Mid-Market", "Enterprise")
ROLES: tuple[str, ...] = ("AE", "Manager", "Overlay", "SDR")
#: Activity types. Calls, emails and meetings are with the customer unless flagged otherwise;
#: tasks (admin, CRM updates, proposals written) and internal meetings are not.
ACTIVITY_TYPES: tuple[str, ...] = ("call", "email", "meeting", "task", "internal")
CUSTOMER_FACING_TYPES: tuple[str, ...] = ("call", "email", "meeting")
#: Working hours per week assumed for a rep whose ``weekly_hours`` is empty.
DEFAULT_WEEKLY_HOURS: float = 40.0


@dataclass(frozen=True)
class ColumnSpec:
    """One column of a canonical table.

    ``kind`` is one of ``id``, ``str``, ``date``, ``datetime``, ``money``, ``float``, ``int``,
    ``bool``; ``allowed`` restricts a string column to a set of values.
    """

    name: str
    kind: str
    nullable: bool
    description: str
    allowed: tuple[str, ...] | None = None
    required: bool = True  # the importer needs a source column for it


def _c(name, kind, nullable, description, allowed=None, required=True) -> ColumnSpec:
    return ColumnSpec(name, kind, nullable, description, allowed, required)


TABLES: dict[str, tuple[ColumnSpec, ...]] = {
    "reps": (
        _c("id", "id", False, "Unique rep (user) id."),
        _c("name", "str", False, "Full name."),
        _c(
            "manager_id", "id", True, "Id of the rep's manager (a row of `reps` with role Manager)."
        ),
        _c("team", "str", True, "Team name (one manager's reps).", required=False),
        _c("region", "str", True, "Sales region.", required=False),
        _c("segment", "str", True, "Customer segment the rep sells to.", SEGMENTS, False),
        _c("role", "str", False, "AE (quota carrier), Manager, Overlay or SDR.", ROLES, False),
        _c("hire_date", "date", True, "First day in role.", required=False),
        _c("termination_date", "date", True, "Last day (empty while employed).", required=False),
        _c("base_salary", "money", True, "Annual base salary.", required=False),
        _c(
            "ote",
            "money",
            True,
            "Annual on-target earnings (base + variable at 100%).",
            required=False,
        ),
        _c(
            "weekly_hours",
            "float",
            True,
            "Contracted working hours per week, the denominator of selling time (empty = 40).",
            required=False,
        ),
    ),
    "accounts": (
        _c("id", "id", False, "Unique account id."),
        _c("name", "str", False, "Account name."),
        _c("industry", "str", True, "Industry.", required=False),
        _c("segment", "str", True, "SMB / Mid-Market / Enterprise.", SEGMENTS, False),
        _c("region", "str", True, "Sales region.", required=False),
        _c("state", "str", True, "US state (2-letter) or empty outside the US.", required=False),
        _c("zip", "str", True, "Postal code (5-digit ZIP in the US).", required=False),
        _c("country", "str", True, "Country of the office (name or ISO code).", required=False),
        _c("lat", "float", True, "Latitude of the office (degrees).", required=False),
        _c("lon", "float", True, "Longitude of the office (degrees).", required=False),
        _c("employees", "int", True, "Employee count.", required=False),
        _c("annual_revenue", "money", True, "Annual revenue of the account.", required=False),
        _c(
            "potential",
            "money",
            True,
            "Estimated annual spend available to us (territory potential).",
            required=False,
        ),
        _c("owner_rep_id", "id", True, "Current account owner.", required=False),
    ),
    "opportunities": (
        _c("id", "id", False, "Unique opportunity id."),
        _c("account_id", "id", True, "Account (empty when the CRM has none)."),
        _c("owner_rep_id", "id", False, "Opportunity owner (not historized: the current owner)."),
        _c("name", "str", True, "Opportunity name.", required=False),
        _c("type", "str", True, "new / expansion / renewal.", OPPORTUNITY_TYPES, False),
        _c("product", "str", True, "Main product.", required=False),
        _c("lead_source", "str", True, "Where the lead came from.", required=False),
        _c("created_date", "date", False, "Day the opportunity was created."),
        _c("close_date", "date", True, "Expected close date (open) or actual close date (closed)."),
        _c("amount", "money", True, "Deal amount (current value)."),
        _c("stage", "str", False, "Current stage.", STAGES),
        _c("is_closed", "bool", False, "Stage is Closed Won or Closed Lost.", required=False),
        _c("is_won", "bool", False, "Stage is Closed Won.", required=False),
        _c(
            "forecast_category",
            "str",
            True,
            "Pipeline / Best Case / Commit / Closed / Omitted.",
            FORECAST_CATEGORIES,
            False,
        ),
    ),
    "opportunity_history": (
        _c("opportunity_id", "id", False, "The opportunity that changed."),
        _c(
            "changed_at",
            "datetime",
            False,
            "When the change was made (the row holds the state *after* it).",
        ),
        _c("stage", "str", False, "Stage after the change.", STAGES),
        _c("amount", "money", True, "Amount after the change."),
        _c("close_date", "date", True, "Close date after the change."),
        _c(
            "forecast_category",
            "str",
            True,
            "Forecast category after the change.",
            FORECAST_CATEGORIES,
            False,
        ),
    ),
    "quotas": (
        _c("rep_id", "id", False, "Quota carrier."),
        _c("period_start", "date", False, "First day of the quota period."),
        _c("period_end", "date", False, "Last day of the quota period (inclusive)."),
        _c("amount", "money", False, "Bookings quota for the period."),
    ),
}
#: The five CRM tables every store holds.
TABLE_NAMES: tuple[str, ...] = tuple(TABLES)

#: CRM tables a store may lack (a CRM without them holds them empty).
OPTIONAL_TABLES: dict[str, tuple[ColumnSpec, ...]] = {
    "activities": (
        _c(
            "id",
            "id",
            False,
            "Unique activity id (Salesforce Task/Event id, HubSpot engagement id).",
        ),
        _c("rep_id", "id", False, "The rep who did it (activity owner)."),
        _c("type", "str", False, "What it was.", ACTIVITY_TYPES),
        _c(
            "start",
            "datetime",
            False,
            "When it happened (start of a call or meeting; send time of an email).",
        ),
        _c(
            "duration_minutes",
            "float",
            True,
            "Length in minutes (empty when not logged; selling time imputes the type's mean).",
        ),
        _c("opportunity_id", "id", True, "Related opportunity (empty when none)."),
        _c("account_id", "id", True, "Related account (empty when none).", required=False),
        _c(
            "customer_facing",
            "bool",
            False,
            "Time spent with or for the customer (calls, emails, external meetings); counts as selling time.",
            required=False,
        ),
        _c(
            "outcome",
            "str",
            True,
            "Disposition: connected, voicemail, held, completed, ...",
            required=False,
        ),
        _c("subject", "str", True, "Subject line as typed in the CRM (free text).", required=False),
        _c(
            "created_at",
            "datetime",
            True,
            "When it was logged: the as-of views know an activity from then (empty = its start).",
            required=False,
        ),
    ),
}
OPTIONAL_TABLE_NAMES: tuple[str, ...] = tuple(OPTIONAL_TABLES)
#: Every CRM table of a :class:`~salesops_models.crm.CRM`, the optional ones last.
CRM_TABLE_NAMES: tuple[str, ...] = TABLE_NAMES + OPTIONAL_TABLE_NAMES
TABLES.update(OPTIONAL_TABLES)

#: Optional inputs of the compensation statements, stored beside the CRM tables (``salesops
#: comp load``); a store without them pays owners 100% with no cancellations or leaves.
COMP_TABLES: dict[str, tuple[ColumnSpec, ...]] = {
    "comp_splits": (
        _c("opportunity_id", "id", False, "The won deal whose credit is split."),
        _c("rep_id", "id", False, "A rep credited with part of the deal."),
        _c(
            "percent",
            "float",
            False,
            "Share of the deal credited to the rep, in percent; the `split` rows of a deal "
            "add to exactly 100.",
        ),
        _c(
            "kind",
            "str",
            True,
            "`split` (shares of the deal, default) or `overlay` (credited on top to overlay reps).",
            ("split", "overlay"),
            False,
        ),
    ),
    "comp_adjustments": (
        _c("opportunity_id", "id", False, "The won deal the event is about."),
        _c(
            "event",
            "str",
            False,
            "What happened after the close (clawback events of the plan).",
            ("cancelled", "unpaid"),
        ),
        _c("date", "date", False, "Day of the event; the clawback lands in that period."),
    ),
    "comp_deal_attributes": (
        _c("opportunity_id", "id", False, "The won deal."),
        _c(
            "term_months",
            "float",
            True,
            "Contract term in months (ACV = amount x 12 / term).",
            required=False,
        ),
        _c("margin", "float", True, "Gross margin as a share (0.35 = 35%).", required=False),
        _c("discount", "float", True, "Discount as a share of list (0.2 = 20%).", required=False),
    ),
    "comp_leaves": (
        _c("rep_id", "id", False, "The rep on leave."),
        _c("start", "date", False, "First day of the leave."),
        _c("end", "date", False, "Last day of the leave (inclusive)."),
    ),
}
COMP_TABLE_NAMES: tuple[str, ...] = tuple(COMP_TABLES)
TABLES.update(COMP_TABLES)

#: The forecast call's canonical categories (Salesforce's forecast categories; an org's own
#: names are mapped onto them when loading). With a cumulative roll-up, Commit includes
#: Closed and Best Case includes Commit.
CALL_CATEGORIES = ("Closed", "Commit", "Most Likely", "Best Case", "Pipeline")
#: Whether a call is the forecaster's own number or a manager's adjustment of a
#: subordinate's number.
CALL_KINDS = ("own", "adjustment")

#: The weekly forecast call (optional table of the store: ``salesops calls load``, or the
#: synthetic org's planted callers); a store without it keeps working everywhere, and the
#: call's analytics say what is missing.
CALL_TABLES: dict[str, tuple[ColumnSpec, ...]] = {
    "forecast_calls": (
        _c(
            "submitted_at",
            "datetime",
            False,
            "When the call was submitted, or the day of the snapshot it was read from; the "
            "call known on day D is the latest one at or before D.",
        ),
        _c("forecaster_id", "id", False, "Who submitted it (a `reps` row: AE, Manager, ...)."),
        _c("period", "str", False, "The fiscal period called (`2026-Q3`)."),
        _c("category", "str", False, "The forecast category.", CALL_CATEGORIES),
        _c("amount", "money", False, "The number called (>= 0)."),
        _c("kind", "str", False, "The forecaster's own number or an adjustment.", CALL_KINDS),
        _c(
            "adjusted_id",
            "id",
            True,
            "For an adjustment: the subordinate whose number the forecaster adjusted.",
        ),
        _c("note", "str", True, "The forecaster's note (free text).", required=False),
        _c(
            "source",
            "str",
            True,
            "Where it came from (`salesforce`, a file name, `synthetic`).",
            required=False,
        ),
    ),
}
CALL_TABLE_NAMES: tuple[str, ...] = tuple(CALL_TABLES)
TABLES.update(CALL_TABLES)

#: Text is pandas' Arrow-backed ``str`` dtype (pandas >= 3): compact and fast; missing is NaN.
_PANDAS_DTYPE = {
    "id": "str",
    "str": "str",
    "date": "datetime64[ns]",
    "datetime": "datetime64[ns]",
    "money": "float64",
    "float": "float64",
    "int": "Int64",
    "bool": "bool",
}


def empty_table(table: str) -> pd.DataFrame:
    """An empty frame with the canonical columns and dtypes of ``table``."""
    return pd.DataFrame({c.name: pd.Series(dtype=_PANDAS_DTYPE[c.kind]) for c in TABLES[table]})


def conform(table: str, df: pd.DataFrame) -> pd.DataFrame:
    """Return ``df`` with exactly the canonical columns, in order, with canonical dtypes.

    Missing optional columns are added empty; extra columns are dropped. Values are not
    re-parsed here (importers do that with row-level errors); this only fixes storage dtypes
    (e.g. ``datetime64[us]`` from Parquet to ``[ns]``, object text to ``str``).
    """
    out = {}
    n = len(df)
    for c in TABLES[table]:
        if c.name in df.columns:
            s = df[c.name]
        elif table == "activities" and c.name == "customer_facing" and "type" in df.columns:
            s = df["type"].isin(CUSTOMER_FACING_TYPES)  # the type's convention when not given
        else:
            s = pd.Series([None] * n, index=df.index)
        dtype = _PANDAS_DTYPE[c.kind]
        if c.kind in ("id", "str"):
            if s.dtype != "str":
                s = s.astype(object).where(s.notna(), np.nan).astype("str")
        elif c.kind == "date":
            s = pd.to_datetime(s).astype("datetime64[ns]").dt.normalize()
        elif c.kind == "datetime":
            s = pd.to_datetime(s).astype("datetime64[ns]")
        elif c.kind == "bool":
            s = s.astype(bool)
        else:
            s = s.astype(dtype)
        out[c.name] = s
    return pd.DataFrame(out, index=df.index).reset_index(drop=True)


def _column_schema(c: ColumnSpec) -> pa.Column:
    checks = []
    if c.allowed is not None:
        checks.append(pa.Check.isin(list(c.allowed)))
    if c.kind in ("money", "int") or c.name == "duration_minutes":
        checks.append(pa.Check.ge(0))
    if c.name == "lat":
        checks.append(pa.Check.in_range(-90, 90))
    if c.name == "lon":
        checks.append(pa.Check.in_range(-180, 180))
    dtype = None if c.kind in ("id", "str") else _PANDAS_DTYPE[c.kind]  # str: checked by conform
    return pa.Column(dtype, checks=checks, nullable=c.nullable, unique=False)


def _closed_flags_consistent(df: pd.DataFrame) -> pd.Series:
    closed = df["stage"].isin(CLOSED_STAGES)
    won = df["stage"] == WON_STAGE
    return (df["is_closed"] == closed) & (df["is_won"] == won)


def _close_not_before_create(df: pd.DataFrame) -> pd.Series:
    ok = df["close_date"] >= df["created_date"]
    return ok | df["close_date"].isna() | ~df["is_closed"]


SCHEMAS: dict[str, pa.DataFrameSchema] = {
    name: pa.DataFrameSchema(
        {c.name: _column_schema(c) for c in cols},
        strict=False,
        name=name,
    )
    for name, cols in TABLES.items()
}
SCHEMAS["reps"] = pa.DataFrameSchema(
    SCHEMAS["reps"].columns,
    checks=[
        pa.Check(lambda d: ~d["id"].duplicated(), error="duplicate rep id"),
        pa.Check(
            lambda d: (
                d["termination_date"].isna()
                | d["hire_date"].isna()
                | (d["termination_date"] >= d["hire_date"])
            ),
            error="termination_date before hire_date",
        ),
    ],
    name="reps",
)
SCHEMAS["accounts"] = pa.DataFrameSchema(
    SCHEMAS["accounts"].columns,
    checks=[pa.Check(lambda d: ~d["id"].duplicated(), error="duplicate account id")],
    name="accounts",
)
SCHEMAS["opportunities"] = pa.DataFrameSchema(
    SCHEMAS["opportunities"].columns,
    checks=[
        pa.Check(lambda d: ~d["id"].duplicated(), error="duplicate opportunity id"),
        pa.Check(_closed_flags_consistent, error="is_closed/is_won disagree with stage"),
        pa.Check(_close_not_before_create, error="closed before it was created"),
    ],
    name="opportunities",
)
SCHEMAS["activities"] = pa.DataFrameSchema(
    SCHEMAS["activities"].columns,
    checks=[pa.Check(lambda d: ~d["id"].duplicated(), error="duplicate activity id")],
    name="activities",
)
SCHEMAS["quotas"] = pa.DataFrameSchema(
    SCHEMAS["quotas"].columns,
    checks=[
        pa.Check(
            lambda d: d["period_end"] >= d["period_start"], error="period_end before period_start"
        )
    ],
    name="quotas",
)


def data_dictionary_markdown() -> str:
    """The data dictionary (Markdown) generated from :data:`TABLES` (the CRM tables, the
    compensation inputs, the forecast call)."""
    lines = []
    for table, cols in TABLES.items():
        if table == OPTIONAL_TABLE_NAMES[0]:
            lines += [
                "Activities (optional: a CRM export without them loads with none, and the "
                "activity metrics say so):",
                "",
            ]
        if table == COMP_TABLE_NAMES[0]:
            lines += [
                "Compensation inputs (optional tables of the store, loaded with `salesops comp "
                "load`; read by `salesops comp statements` and the comp-cost report):",
                "",
            ]
        if table == CALL_TABLE_NAMES[0]:
            lines += [
                "The forecast call (optional table of the store, loaded with `salesops calls "
                "load`; read by `salesops calls` and the forecast-call report):",
                "",
            ]
        lines += [
            f"### `{table}`",
            "",
            "| column | type | nullable | meaning |",
            "|---|---|---|---|",
        ]
        for c in cols:
            meaning = c.description
            if c.allowed:
                meaning += " One of: " + ", ".join(f"`{a}`" for a in c.allowed) + "."
            lines.append(f"| `{c.name}` | {c.kind} | {'yes' if c.nullable else 'no'} | {meaning} |")
        lines.append("")
    return "\n".join(lines)
