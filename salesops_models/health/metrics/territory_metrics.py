"""Territory balance: how unequal the AEs' territories are, and how much of attainment
that explains."""

from __future__ import annotations

import numpy as np
import pandas as pd

from ...crm import CRM, account_potential
from ...display import money
from .base import (
    Metric,
    _metric,
    _na,
    complete_quarters,
)
from .people import rep_attainment


# --- territory balance ------------------------------------------------------------------------
def territory_balance(crm: CRM, as_of, cfg: dict, **_) -> Metric:
    key = "territory_balance"
    as_of = pd.Timestamp(as_of)
    active = crm.active_reps(as_of).set_index("id")
    acc = crm.accounts[crm.accounts["owner_rep_id"].isin(active.index)].copy()
    if acc.empty:
        return _na(key, cfg, "no account is owned by an active AE (load Account.csv with OwnerId)")
    # the territory tools' estimate where the CRM has no potential field (revenue x 0.5%, else
    # trailing bookings): an export without Potential__c is still graded
    acc["potential"] = account_potential(crm, acc, [])
    pot = acc.groupby("owner_rep_id")["potential"].sum().rename("potential").to_frame()
    pot["segment"] = active["segment"].reindex(pot.index).fillna("(none)")
    pot["rep_name"] = active["name"].reindex(pot.index)
    pot["team"] = active["team"].reindex(pot.index)
    seg = pot.groupby("segment")["potential"]
    pot["relative"] = pot["potential"] / seg.transform("mean")
    cvs = seg.agg(lambda s: float(s.std(ddof=0) / s.mean()) if len(s) >= 3 else np.nan)
    seg.size()
    ok = cvs.notna()
    if not ok.any():
        return _na(key, cfg, "no segment has 3 or more territories")
    value = float(cvs[ok].max())
    # structural share: R^2 of log attainment on log relative potential (within segment)
    qs = complete_quarters(crm, 4, as_of)
    att = rep_attainment(crm, qs)
    if len(att):
        y = att.set_index("rep_id")["attainment"]
        basis = "attainment"
    else:
        snap = crm.as_of(as_of)
        won = snap[snap["is_won"] & (snap["close_date"] > as_of - pd.Timedelta(days=365))]
        y = won.groupby("owner_rep_id")["amount"].sum()
        y = y.reindex(pot.index)
        y = y / y.groupby(pot["segment"]).transform("mean")
        basis = "bookings relative to segment"
    d = pot.join(y.rename("y"), how="inner")
    d = d[(d["y"] > 0) & (d["relative"] > 0)]
    share = np.nan
    if len(d) >= 5:
        ly = np.log(d["y"]) - np.log(d["y"]).groupby(d["segment"]).transform("mean")
        lx = np.log(d["relative"]) - np.log(d["relative"]).groupby(d["segment"]).transform("mean")
        r = np.corrcoef(lx, ly)[0, 1] if lx.std() > 0 and ly.std() > 0 else 0.0
        share = float(r**2)
    pot["deviation"] = pot["relative"] - 1
    top = pot.reindex(pot["deviation"].abs().sort_values(ascending=False).index).head(3)
    contributors = [
        {
            "name": f"{r.rep_name} ({r.segment})",
            "value": f"{r.relative:.2f}x segment mean",
            "detail": f"potential {money(r.potential)}",
        }
        for r in top.itertuples(index=False)
    ]
    m = _metric(
        key,
        cfg,
        value,
        also={"name": cfg["also"]["name"], "value": share},
        contributors=contributors,
        details={
            **{f"cv_{s}": float(v) for s, v in cvs.items()},
            "territories": float(len(pot)),
            "max_min_ratio": float(
                seg.agg(lambda s: s.max() / max(s.min(), 1e-9) if len(s) >= 3 else np.nan).max()
            ),
            "structural_basis": basis,
        },
        note="Account ownership is not historized, so there is no trend; the value is today's.",
        table=pot.reset_index().rename(columns={"owner_rep_id": "rep_id"}),
    )
    worst_seg = cvs.idxmax()
    if m.status == "healthy":
        m.action = (
            f"Territories are balanced (CV at most {value:.2f}, in {worst_seg}); "
            "re-check after the next hiring wave."
        )
    else:
        c0 = contributors[0]
        m.action = (
            f"{worst_seg} territory potential varies with CV {value:.2f}; "
            f"{c0['name']} holds {c0['value']}: rebalance with `territory_design` "
            "(moves the fewest accounts)."
        )
    return m
