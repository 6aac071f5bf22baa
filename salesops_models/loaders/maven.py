"""The Maven Analytics "CRM Sales Opportunities" public sample (``shared/datasets/maven_crm``).

Mapping onto the workbench model, with every quirk counted in the load notes:

- stages: Prospecting -> Prospecting, Engaging -> Qualification, Won/Lost -> Closed Won/Lost;
- product ``GTXPro`` is renamed ``GTX Pro`` so it joins products.csv;
- typos ``technolgy`` and ``Philipines`` are corrected;
- open deals without an account keep an empty ``account_id``;
- ``created_date`` is the engage date; Prospecting deals have none and get the extract date
  (the last date in the file), so they only appear in as-of views from then on;
- amount: won deals their close_value; lost deals carry close_value 0 in the source, and
  open deals have none, so both take the product's list price (the value at stake);
- there is no field history: it is rebuilt as one row at engagement (Qualification, list
  price) and one at closing (final stage and value), which is exact for these fields;
- accounts: revenue is in millions of USD; segment is derived from employees (< 1,000 SMB,
  < 5,000 Mid-Market, else Enterprise); lat/lon are the country's centroid (no address).
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd

from .. import config
from ..schema import TABLES
from .common import LoadError, LoadResult, slug, slug_ids
from .pipeline import SourceTable, assemble
from .reading import (
    LINE_COLUMN,
    PROBLEM_COLUMN,
    PROBLEM_SOURCE,
    ROW_COLUMN,
    quarantine,
    read_raw,
    require_columns,
)

STAGE_MAP = {
    "Prospecting": "Prospecting",
    "Engaging": "Qualification",
    "Won": "Closed Won",
    "Lost": "Closed Lost",
}
PRODUCT_ALIASES = {"GTXPro": "GTX Pro"}
SECTOR_FIXES = {"technolgy": "technology"}
COUNTRY_FIXES = {"Philipines": "Philippines"}
#: Approximate geographic centroids (lat, lon) of the countries in the sample.
COUNTRY_CENTROIDS = {
    "United States": (39.8, -98.6),
    "Belgium": (50.6, 4.7),
    "Brazil": (-10.8, -52.9),
    "China": (35.0, 103.8),
    "Germany": (51.2, 10.4),
    "Italy": (42.8, 12.6),
    "Japan": (36.2, 138.3),
    "Jordan": (31.2, 36.5),
    "Kenya": (0.2, 37.9),
    "Korea": (36.4, 127.9),
    "Norway": (61.4, 8.8),
    "Panama": (8.5, -80.1),
    "Philippines": (12.9, 121.8),
    "Poland": (52.1, 19.4),
    "Romania": (45.9, 24.9),
}


def _fix(series: pd.Series, fixes: dict[str, str], label: str, notes: list[str]) -> pd.Series:
    hit = series.isin(list(fixes))
    if hit.any():
        pairs = ", ".join(f"{k!r} -> {v!r}" for k, v in fixes.items())
        notes.append(f"{label}: {int(hit.sum())} values corrected ({pairs})")
    return series.replace(fixes)


def _carry(frame: pd.DataFrame, source: pd.DataFrame) -> None:
    """Keep the source file's row numbers and read problems on a derived frame."""
    for col in (ROW_COLUMN, LINE_COLUMN, PROBLEM_COLUMN, PROBLEM_SOURCE):
        if col in source:
            frame[col] = source[col].to_numpy()


def _quarantine_ids(frame: pd.DataFrame, names: pd.Series, prefix: str, column: str) -> None:
    _, problem = slug_ids(names, prefix)
    quarantine(frame, problem.notna().to_numpy(), column, problem.to_numpy())


def load_maven(folder: str | Path = config.MAVEN_DIR) -> LoadResult:
    """Import the Maven CRM sample from its folder of CSVs."""
    folder = Path(folder)
    notes: list[str] = []
    files = {
        name: folder / f"{name}.csv"
        for name in ("sales_pipeline", "accounts", "sales_teams", "products")
    }
    raw = {}
    for name, path in files.items():
        raw[name], n = read_raw(path)
        notes += n
    require_columns(
        raw["sales_pipeline"],
        files["sales_pipeline"],
        [
            "opportunity_id",
            "sales_agent",
            "product",
            "account",
            "deal_stage",
            "engage_date",
            "close_date",
            "close_value",
        ],
    )
    require_columns(
        raw["accounts"],
        files["accounts"],
        ["account", "sector", "revenue", "employees", "office_location"],
    )
    require_columns(
        raw["sales_teams"], files["sales_teams"], ["sales_agent", "manager", "regional_office"]
    )
    require_columns(raw["products"], files["products"], ["product", "sales_price"])

    # reps: agents and their managers
    teams = raw["sales_teams"]
    managers = teams[["manager", "regional_office"]].drop_duplicates("manager")
    reps = pd.concat(
        [
            pd.DataFrame(
                {
                    "id": slug(managers["manager"], "rep:"),
                    "name": managers["manager"],
                    "manager_id": None,
                    "team": "Team " + managers["manager"],
                    "region": managers["regional_office"],
                    "role": "Manager",
                }
            ),
            pd.DataFrame(
                {
                    "id": slug(teams["sales_agent"], "rep:"),
                    "name": teams["sales_agent"],
                    "manager_id": slug(teams["manager"], "rep:"),
                    "team": "Team " + teams["manager"],
                    "region": teams["regional_office"],
                    "role": "AE",
                }
            ),
        ],
        ignore_index=True,
    )
    pipe = raw["sales_pipeline"].copy()
    idle = ~teams["sales_agent"].isin(pipe["sales_agent"])
    if idle.any():
        notes.append(f"sales_teams.csv: {int(idle.sum())} of {len(teams)} agents have no deals")
    notes.append(f"sales_teams.csv: {len(managers)} managers added as reps with role Manager")

    # accounts
    acc = raw["accounts"].copy()
    acc["sector"] = _fix(acc["sector"], SECTOR_FIXES, "accounts.csv:sector", notes)
    acc["office_location"] = _fix(
        acc["office_location"], COUNTRY_FIXES, "accounts.csv:office_location", notes
    )
    emp = pd.to_numeric(acc["employees"], errors="coerce")
    segment = np.select(
        [emp < 1000, emp < 5000, emp >= 5000], ["SMB", "Mid-Market", "Enterprise"], default=""
    )
    rev_m = pd.to_numeric(acc["revenue"], errors="coerce")
    cent = acc["office_location"].map(COUNTRY_CENTROIDS)
    accounts_raw = pd.DataFrame(
        {
            "id": slug(acc["account"], "acct:"),
            "name": acc["account"],
            "industry": acc["sector"],
            "segment": segment,
            "region": acc["office_location"],
            "country": acc["office_location"],
            "lat": cent.map(lambda c: "" if not isinstance(c, tuple) else str(c[0])),
            "lon": cent.map(lambda c: "" if not isinstance(c, tuple) else str(c[1])),
            "employees": acc["employees"],
            "annual_revenue": (rev_m * 1e6)
            .round(0)
            .map(lambda v: "" if pd.isna(v) else f"{v:.0f}"),
        }
    )
    notes.append(
        "accounts.csv: revenue is in millions of USD (multiplied by 1e6); segment derived from employees; lat/lon are country centroids"
    )

    # opportunities
    prices = raw["products"].set_index("product")["sales_price"]
    pipe["product"] = _fix(pipe["product"], PRODUCT_ALIASES, "sales_pipeline.csv:product", notes)
    unknown_product = ~pipe["product"].isin(prices.index) & (pipe["product"].str.strip() != "")
    if unknown_product.any():
        notes.append(
            f"sales_pipeline.csv: {int(unknown_product.sum())} deals name a product not in products.csv"
        )
    list_price = pipe["product"].map(prices).fillna("")
    stage = pipe["deal_stage"].str.strip()
    won, lost = stage == "Won", stage == "Lost"
    is_open = ~(won | lost)
    dates = pd.concat(
        [
            pd.to_datetime(pipe["engage_date"], errors="coerce"),
            pd.to_datetime(pipe["close_date"], errors="coerce"),
        ]
    )
    extract = dates.max()
    no_engage = pipe["engage_date"].str.strip() == ""
    created = pipe["engage_date"].where(~no_engage, extract.date().isoformat())
    if no_engage.any():
        notes.append(
            f"sales_pipeline.csv: {int(no_engage.sum())} deals without engage_date (all Prospecting) get created_date = extract date {extract.date()}"
        )
    no_account = pipe["account"].str.strip() == ""
    if no_account.any():
        notes.append(
            f"sales_pipeline.csv: {int(no_account.sum())} deals have no account ({int((no_account & is_open).sum())} of them open)"
        )
    amount = pipe["close_value"].where(won, list_price)
    notes.append(
        f"sales_pipeline.csv: amount of {int(lost.sum())} lost deals (close_value 0) and {int(is_open.sum())} open deals set to the product list price"
    )
    opps_raw = pd.DataFrame(
        {
            "id": pipe["opportunity_id"],
            "account_id": slug(pipe["account"].where(~no_account, None), "acct:"),
            "owner_rep_id": slug(pipe["sales_agent"], "rep:"),
            "name": pipe["opportunity_id"] + " " + pipe["product"],
            "product": pipe["product"],
            "created_date": created,
            "close_date": pipe["close_date"],
            "amount": amount,
            "stage": stage,
        }
    ).fillna("")
    # history rebuilt from engage and close dates
    engage_rows = pd.DataFrame(
        {
            "opportunity_id": pipe["opportunity_id"],
            "changed_at": created.where(created == "", created + "T09:00:00"),
            "stage": np.where(no_engage, "Prospecting", "Engaging"),
            "amount": list_price,
            "close_date": "",
        }
    )
    closed = won | lost
    close_rows = pd.DataFrame(
        {
            "opportunity_id": pipe["opportunity_id"][closed],
            "changed_at": pipe["close_date"][closed] + "T17:00:00",
            "stage": stage[closed],
            "amount": amount[closed],
            "close_date": pipe["close_date"][closed],
        }
    )
    hist_raw = pd.concat([engage_rows, close_rows], ignore_index=True).fillna("")
    notes.append(
        f"no field history in the source: {len(hist_raw)} history rows rebuilt from engage/close dates"
    )
    # malformed source rows and ids that collide are rejects with their reason
    _carry(opps_raw, pipe)
    _carry(accounts_raw, acc)
    _quarantine_ids(accounts_raw, acc["account"], "acct:", "account")
    _quarantine_ids(opps_raw, pipe["sales_agent"], "rep:", "owner_rep_id")
    _quarantine_ids(opps_raw, pipe["account"].where(~no_account, None), "acct:", "account_id")
    agents = reps["role"] == "AE"
    _, agent_problem = slug_ids(reps["name"], "rep:")
    quarantine(reps, agent_problem.notna().to_numpy() & agents.to_numpy(), "name", agent_problem)
    if PROBLEM_COLUMN in teams:
        bad = teams[PROBLEM_COLUMN].notna().to_numpy()
        rows = np.flatnonzero(bad)
        if len(rows):
            raise LoadError(
                files["sales_teams"],
                f"unreadable row: {teams[PROBLEM_COLUMN].iloc[rows[0]]}",
                row=int(teams[ROW_COLUMN].iloc[rows[0]]),
                line=int(teams[LINE_COLUMN].iloc[rows[0]]),
            )
    ident = {c.name: c.name for cols in TABLES.values() for c in cols}  # already canonical names
    sources = {
        "reps": SourceTable(
            "reps",
            f"{files['sales_teams']} ({len(teams)} agents + {len(managers)} managers)",
            reps.fillna(""),
            ident,
        ),
        "accounts": SourceTable("accounts", files["accounts"], accounts_raw.fillna(""), ident),
        "opportunities": SourceTable(
            "opportunities", files["sales_pipeline"], opps_raw, ident, {"stage": STAGE_MAP}
        ),
        "opportunity_history": SourceTable(
            "opportunity_history",
            f"{files['sales_pipeline']} (rebuilt history)",
            hist_raw,
            ident,
            {"stage": STAGE_MAP},
        ),
    }
    result = assemble(sources, source_name="maven_crm", notes=notes)
    result.crm.meta["extract_date"] = str(extract.date())
    return result
