"""Accounts of a CRM prepared for territory work: location, potential, current owner, and
the cost of moving each account."""

from __future__ import annotations

import pandas as pd

from ..crm import CRM

#: Share of annual revenue assumed spendable on us when an account has no potential field.
REVENUE_SPEND_SHARE = 0.005


def territory_accounts(crm: CRM, segment: str | None = None) -> tuple[pd.DataFrame, list[str]]:
    """Accounts with ``lat``, ``lon``, ``potential`` and ``current`` territory (owner), plus
    notes on every estimate made.

    - potential: the account's ``potential``; else ``annual_revenue x 0.5%``; else its
      trailing-year closed-won bookings;
    - current: ``owner_rep_id``; else the rep owning most of the account's opportunities;
    - accounts that cannot be placed (no lat/lon) are left out and counted in the notes.
    """
    notes = []
    a = crm.accounts.copy()
    if segment:
        a = a[a["segment"] == segment]
    pot = a["potential"].copy()
    miss = pot.isna()
    if miss.any():
        est = a["annual_revenue"] * REVENUE_SPEND_SHARE
        pot = pot.fillna(est)
        notes.append(
            f"{int((miss & est.notna()).sum())} accounts without potential: annual revenue x {REVENUE_SPEND_SHARE:.1%}"
        )
        still = pot.isna()
        if still.any():
            o = crm.opportunities
            won = o[o["is_won"] & (o["close_date"] > crm.data_end - pd.Timedelta(days=365))]
            pot = pot.fillna(a["id"].map(won.groupby("account_id")["amount"].sum()))
            notes.append(
                f"{int(still.sum())} accounts without potential or revenue: trailing-year bookings"
            )
    a["potential"] = pot.fillna(0.0)
    cur = a["owner_rep_id"].copy()
    if cur.isna().any():
        o = crm.opportunities.dropna(subset=["account_id"])
        top = (
            o.groupby(["account_id", "owner_rep_id"])
            .size()
            .reset_index(name="n")
            .sort_values("n")
            .drop_duplicates("account_id", keep="last")
        )
        cur = cur.fillna(a["id"].map(top.set_index("account_id")["owner_rep_id"]))
        notes.append(
            f"{int(a['owner_rep_id'].isna().sum())} accounts without an owner: current territory = the rep with most of their deals"
        )
    a["current"] = cur
    unplaced = a["lat"].isna() | a["lon"].isna() | a["current"].isna()
    if unplaced.any():
        notes.append(f"{int(unplaced.sum())} accounts left out: no location or no current owner")
    a = a[~unplaced].reset_index(drop=True)
    dup = a.duplicated(["lat", "lon"], keep=False)
    if dup.mean() > 0.5:
        notes.append(
            f"{int(dup.sum())} of {len(a)} accounts share a location (e.g. country centroids): compactness is coarse"
        )
    return a, notes


def move_weights(crm: CRM, accounts: pd.DataFrame) -> pd.Series:
    """Cost of moving each account: 1 + open pipeline / mean open pipeline + relationship years."""
    o = crm.opportunities
    open_amt = (
        accounts["id"].map(o[~o["is_closed"]].groupby("account_id")["amount"].sum()).fillna(0.0)
    )
    first = accounts["id"].map(o.groupby("account_id")["created_date"].min())
    years = ((crm.data_end - first).dt.days / 365.25).fillna(0.0).clip(lower=0)
    mean_open = open_amt[open_amt > 0].mean() if (open_amt > 0).any() else 1.0
    return (1.0 + open_amt / mean_open + years).rename("move_weight")


__all__ = ["move_weights", "territory_accounts"]
