"""Accounts of a CRM prepared for territory work: location, potential, current owner, and
the cost of moving each account."""

from __future__ import annotations

import pandas as pd

from ..crm import CRM, REVENUE_SPEND_SHARE, account_potential  # noqa: F401 - territory API
from .geocode import centroid_places


def territory_accounts(crm: CRM, segment: str | None = None) -> tuple[pd.DataFrame, list[str]]:
    """Accounts with ``lat``, ``lon``, ``potential`` and ``current`` territory (owner), plus
    notes on every estimate made.

    - potential: the account's ``potential``; else ``annual_revenue x 0.5%``; else its
      trailing-year closed-won bookings;
    - current: ``owner_rep_id``; else the rep owning most of the account's opportunities;
    - location: ``lat``/``lon``; else the centroid of the account's ZIP code, else of its US
      state, else its country's centre (:func:`~.geocode.centroid_places`, counted in the
      notes);
    - accounts that cannot be placed or have no owner are left out, each cause counted.
    """
    notes = []
    a = crm.accounts.copy()
    if segment:
        seg = a["segment"].astype(object)
        if seg.isna().any() and "segment" in crm.reps:
            owner_seg = a["owner_rep_id"].map(crm.reps.set_index("id")["segment"])
            filled = seg.isna() & owner_seg.notna()
            if filled.any():
                notes.append(f"{int(filled.sum())} accounts without a segment: their owner's")
            seg = seg.where(seg.notna(), owner_seg)
        if not (seg == segment).any():
            from ..errors import TerritoryInputError

            known = sorted(map(str, seg.dropna().unique()))
            raise TerritoryInputError(
                f"no accounts in segment {segment!r}"
                + (f" (segments: {', '.join(known)})" if known else " (no account has a segment)")
                + "; an empty segment designs over all accounts"
            )
        a = a[seg == segment]
    a["potential"] = account_potential(crm, a, notes)
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
    no_coords = a["lat"].isna() | a["lon"].isna()
    if no_coords.any():
        lat, lon, how = centroid_places(a[no_coords])
        a.loc[no_coords, "lat"], a.loc[no_coords, "lon"] = lat, lon
        for kind, words in (
            ("zip", "their ZIP code's"),
            ("state", "their state's"),
            ("country", "their country's"),
        ):
            n = int((how == kind).sum())
            if n:
                notes.append(f"{n} accounts without coordinates placed at {words} centroid")
    no_place = a["lat"].isna() | a["lon"].isna()
    no_owner = a["current"].isna()
    for mask, why in (
        (no_place, "no coordinates, ZIP code, US state or known country"),
        (no_owner, "no owner and no deals to infer one from"),
    ):
        if mask.any():
            notes.append(f"{int(mask.sum())} accounts left out: {why}")
    a = a[~(no_place | no_owner)].reset_index(drop=True)
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


__all__ = ["account_potential", "move_weights", "territory_accounts"]
