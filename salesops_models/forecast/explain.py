"""What a forecast rests on: each open deal's drivers, the reps' table, and the behaviour the prior implies (the model's own words for a report)."""

from __future__ import annotations

import numpy as np
import pandas as pd

from .data import (
    COVARIATES,
    DURATION_EDGES,
)


def deal_drivers(model, od: pd.DataFrame, top: int = 2) -> list[str]:
    """The ``top`` terms that move each deal's odds of advancing versus being lost the most
    (posterior means of log hazard advance minus log hazard lost, against the reference)."""
    post = model.idata.posterior
    terms = {}
    for name, (col, levels, _) in COVARIATES.items():
        if name == "age":
            continue
        eff = post[f"effect_{name}"].mean(("chain", "draw")).to_numpy()
        diff = eff[0] - eff[1]
        terms[name] = (
            diff[od[col].to_numpy()],
            [f"{name} {levels[i]}" for i in od[col].to_numpy()],
        )
    rep = post["rep_effect"].mean(("chain", "draw")).to_numpy()
    terms["rep"] = (rep[0, od["rep"].to_numpy()] - rep[1, od["rep"].to_numpy()], ["rep"] * len(od))
    base = post["base"].mean(("chain", "draw")).to_numpy()  # (2, S, K, B)
    g, k = od["segment"].to_numpy(), od["stage"].to_numpy()
    b = np.clip(
        np.searchsorted(DURATION_EDGES, od["time_in_stage"].to_numpy(), side="right") - 1,
        0,
        len(DURATION_EDGES) - 1,
    )
    odds = base[0, g, k, b] - base[1, g, k, b]
    ref = base[0, g, k, 0] - base[1, g, k, 0]
    terms["time in stage"] = (
        odds - ref,
        [f"{int(x)}d in stage" for x in od["time_in_stage"].to_numpy()],
    )
    names = list(terms)
    vals = np.column_stack([terms[n][0] for n in names]) if len(od) else np.zeros((0, len(names)))
    out = []
    order = np.argsort(-np.abs(vals), axis=1)[:, :top] if len(od) else np.zeros((0, top), int)
    for i in range(len(od)):
        parts = []
        for j in order[i]:
            v = vals[i, j]
            if abs(v) < 0.05:
                continue
            parts.append(f"{terms[names[j]][1][i]} ({'+' if v > 0 else '-'}{abs(v):.2f})")
        out.append(", ".join(parts) if parts else "typical")
    return out


def rep_table(crm, lv) -> pd.DataFrame:
    reps = crm.reps.set_index("id")
    names = reps["name"] if "name" in reps else pd.Series(dtype=object)
    mgr = reps["manager_id"].map(names)
    out = pd.DataFrame({"rep_id": lv.reps})
    out["name"] = out["rep_id"].map(names).fillna(out["rep_id"])
    out["team"] = out["rep_id"].map(reps["team"]).fillna("(none)")
    out["manager"] = out["rep_id"].map(mgr).fillna("(none)")
    out["region"] = out["rep_id"].map(reps["region"]).fillna("(none)")
    out["segment"] = np.array(lv.segments, dtype=object)[lv.rep_segment]
    return out
