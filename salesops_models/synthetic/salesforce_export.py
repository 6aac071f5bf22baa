"""Write a CRM as a Salesforce Data Loader export shaped like a real org's, not the sample's.

The day-one test bed: what a new user brings is not the sample org, so the export carries
the traits of a real Salesforce export that the sample org never has:

- 18-character record ids with the standard key prefixes (005 users, 001 accounts,
  006 opportunities, 008 history rows);
- ``User.csv`` with ``UserRole.Name`` (custom role names such as ``"AE - Northeast"``) and
  ``CreatedDate`` but no Department, Division or hire-date field, plus columns nothing reads
  (``Email``, ``Title``, ``IsActive``, ``TimeZoneSidKey``);
- ``Account.csv`` with ``BillingState`` / ``BillingPostalCode`` / ``BillingCountry`` and no
  coordinates;
- ``Opportunity.csv`` with the standard fields only (no product: Product is not an
  Opportunity field in Salesforce), ``Probability`` and ``IsDeleted``;
- a custom ``Segment__c`` on users with exactly one AE in Mid-Market;
- no quotas and no comp data;
- optionally non-Latin and hostile names.

The tables' numbers are the CRM's own, so every analysis of the loaded export can be checked
against the same analysis of the CRM.

Examples
--------
>>> import tempfile, pathlib
>>> from salesops_models.synthetic import generate_org
>>> crm = generate_org(n_reps=4, years=1, seed=2).crm
>>> folder = write_salesforce_export(crm, pathlib.Path(tempfile.mkdtemp()))
>>> sorted(p.name for p in folder.iterdir())
['Account.csv', 'Opportunity.csv', 'OpportunityHistory.csv', 'User.csv']
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd

from ..crm import CRM

#: Key prefixes of the record ids written (Salesforce's standard ones).
PREFIXES = {"reps": "005", "accounts": "001", "opportunities": "006", "history": "008"}
_ALPHABET = "ABCDEFGHIJKLMNOPQRSTUVWXYZ012345"


def _sf_ids(prefix: str, n: int) -> list[str]:
    """``n`` distinct 18-character ids: prefix, pod ``5g0000``, a 6-digit serial, checksum."""
    from ..loaders.salesforce import sf_id18

    return [sf_id18(f"{prefix}5g0000{k:06d}") for k in range(1, n + 1)]


def _stamp(ts: pd.Series) -> pd.Series:
    """Datetimes as Data Loader writes them (``2024-01-05T14:02:11.000+0000``)."""
    return pd.to_datetime(ts).dt.strftime("%Y-%m-%dT%H:%M:%S.000+0000")


def _day(ts: pd.Series) -> pd.Series:
    return pd.to_datetime(ts).dt.strftime("%Y-%m-%d").fillna("")


def write_salesforce_export(
    crm: CRM, folder: str | Path, *, names: dict[str, str] | None = None, seed: int = 0
) -> Path:
    """Write ``crm`` as ``User.csv``, ``Account.csv``, ``Opportunity.csv`` and
    ``OpportunityHistory.csv`` into ``folder`` (created) and return it.

    Parameters
    ----------
    crm : CRM
        The org to export (its quotas and comp fields are left out, as a real export has none).
    folder : path
        Where the files go.
    names : dict, optional
        Rep id -> display name replacements (non-Latin or hostile names).
    seed : int
        Seed of the random parts (users' creation times within their hire day).
    """
    folder = Path(folder)
    folder.mkdir(parents=True, exist_ok=True)
    rng = np.random.default_rng(seed)
    reps = crm.reps.reset_index(drop=True)
    rep_id = dict(zip(reps["id"], _sf_ids(PREFIXES["reps"], len(reps)), strict=True))
    acc = crm.accounts.reset_index(drop=True)
    acc_id = dict(zip(acc["id"], _sf_ids(PREFIXES["accounts"], len(acc)), strict=True))
    opp = crm.opportunities.reset_index(drop=True)
    opp_id = dict(zip(opp["id"], _sf_ids(PREFIXES["opportunities"], len(opp)), strict=True))

    role = np.where(
        reps["role"].eq("Manager"),
        "Sales Manager - " + reps["region"].fillna("Global").astype(str),
        "AE - " + reps["region"].fillna("Global").astype(str),
    )
    hire = pd.to_datetime(reps["hire_date"]) + pd.to_timedelta(
        rng.integers(8 * 3600, 18 * 3600, len(reps)), unit="s"
    )
    shown = reps["id"].map(names or {}).fillna(reps["name"])
    users = pd.DataFrame(
        {
            "Id": reps["id"].map(rep_id),
            "Name": shown,
            "Email": reps["id"].str.lower() + "@example.com",
            "Title": np.where(reps["role"].eq("Manager"), "Sales Manager", "Account Executive"),
            "ManagerId": reps["manager_id"].map(rep_id).fillna(""),
            "UserRole.Name": role,
            "IsActive": np.where(reps["termination_date"].isna(), "true", "false"),
            "CreatedDate": _stamp(hire),
            "TimeZoneSidKey": "America/New_York",
            "Segment__c": _lone_segment(reps),
        }
    )
    accounts = pd.DataFrame(
        {
            "Id": acc["id"].map(acc_id),
            "Name": acc["name"],
            "Industry": acc["industry"].fillna(""),
            "BillingState": acc["state"].fillna(""),
            "BillingPostalCode": acc["zip"].fillna("").astype(str),
            "BillingCountry": np.where(acc["state"].notna(), "United States", ""),
            "NumberOfEmployees": acc["employees"].astype("Int64").astype(str).replace("<NA>", ""),
            "AnnualRevenue": acc["annual_revenue"].map(lambda v: "" if pd.isna(v) else f"{v:.0f}"),
            "OwnerId": acc["owner_rep_id"].map(rep_id).fillna(""),
        }
    )
    type_names = {"new": "New Business", "expansion": "Existing Business", "renewal": "Renewal"}
    opportunities = pd.DataFrame(
        {
            "Id": opp["id"].map(opp_id),
            "AccountId": opp["account_id"].map(acc_id),
            "OwnerId": opp["owner_rep_id"].map(rep_id),
            "Name": opp["name"],
            "StageName": opp["stage"].map(_SF_STAGE),
            "Amount": opp["amount"].map(lambda v: "" if pd.isna(v) else f"{v:.2f}"),
            "Probability": opp["stage"].map(_SF_PROBABILITY).astype(str),
            "CloseDate": _day(opp["close_date"]),
            "CreatedDate": _stamp(pd.to_datetime(opp["created_date"]) + pd.Timedelta(hours=9)),
            "IsClosed": np.where(opp["is_closed"], "true", "false"),
            "IsWon": np.where(opp["is_won"], "true", "false"),
            "IsDeleted": "false",
            "ForecastCategoryName": opp["forecast_category"].fillna(""),
            "Type": opp["type"].map(type_names).fillna(""),
            "LeadSource": opp["lead_source"].fillna(""),
        }
    )
    h = crm.opportunity_history.reset_index(drop=True)
    history = pd.DataFrame(
        {
            "Id": _sf_ids(PREFIXES["history"], len(h)),
            "OpportunityId": h["opportunity_id"].map(opp_id),
            "CreatedDate": _stamp(h["changed_at"]),
            "StageName": h["stage"].map(_SF_STAGE),
            "Amount": h["amount"].map(lambda v: "" if pd.isna(v) else f"{v:.2f}"),
            "CloseDate": _day(h["close_date"]),
            "Probability": h["stage"].map(_SF_PROBABILITY).astype(str),
            "ForecastCategory": h["forecast_category"].map(_SF_FORECAST_API).fillna(""),
        }
    )
    for name, df in (
        ("User.csv", users),
        ("Account.csv", accounts),
        ("Opportunity.csv", opportunities),
        ("OpportunityHistory.csv", history),
    ):
        df.to_csv(folder / name, index=False, quoting=1)  # QUOTE_ALL, as Data Loader writes
    return folder


def _lone_segment(reps: pd.DataFrame) -> pd.Series:
    """The reps' segments with exactly one AE in Mid-Market (the others moved to SMB): a
    rep alone in a segment, whose effect centred within it is exactly 0 in every draw."""
    seg = reps["segment"].fillna("").astype(str).copy()
    ae = reps["role"].eq("AE")
    mid = reps.index[ae & seg.eq("Mid-Market")]
    if len(mid) == 0:
        mid = reps.index[ae][:1]
    seg[mid[1:]] = "SMB"
    seg[mid[:1]] = "Mid-Market"
    return seg


#: The workbench's stages as the default Salesforce sales process names them.
_SF_STAGE = {
    "Prospecting": "Prospecting",
    "Qualification": "Qualification",
    "Discovery": "Needs Analysis",
    "Proposal": "Proposal/Price Quote",
    "Negotiation": "Negotiation/Review",
    "Closed Won": "Closed Won",
    "Closed Lost": "Closed Lost",
}
_SF_PROBABILITY = {
    "Prospecting": 10,
    "Qualification": 10,
    "Discovery": 20,
    "Proposal": 75,
    "Negotiation": 90,
    "Closed Won": 100,
    "Closed Lost": 0,
}
#: OpportunityHistory.ForecastCategory holds API values, not labels.
_SF_FORECAST_API = {
    "Pipeline": "Pipeline",
    "Best Case": "BestCase",
    "Commit": "Forecast",
    "Closed": "Closed",
    "Omitted": "Omitted",
}
