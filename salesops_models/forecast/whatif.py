"""What-if edits of the open pipeline, forecast from an existing fit (no refit).

An analyst asks "what if the Acme deal is lost?", "what if these two reach Negotiation?",
"what if we add a 400k expansion for rep R-007?". The fitted posterior (hazards, rep and
covariate effects, amounts, arrivals) stays as it is; only the set of open deals the
simulation starts from changes:

- ``exclude``: open deals removed (lost, or taken out of the forecast);
- ``stage``: ``{deal id: open stage}``; the deal enters that stage at the as-of date (time in
  stage 0, the stage's default forecast category);
- ``add``: new open deals (``rep_id``, ``amount``, optional ``stage`` (default the first open
  stage), ``type`` (default ``new``), ``close_date``, ``id``), created at the as-of date.

The edit is the same model's forecast of another pipeline: compare its distribution with
:meth:`~salesops_models.forecast.BookingsForecastModel.forecast` at the same seed and draws.
Draws are not paired deal for deal (the simulation draws in a fixed order over the deal
list, so removing or adding a deal shifts the random numbers of the others); with no edit
the forecast is identical.

Examples
--------
>>> import pandas as pd
>>> from salesops_models.forecast.whatif import edit_open_deals
>>> from salesops_models.forecast.data import Levels
>>> import numpy as np
>>> lv = Levels(segments=["SMB"], reps=["r1"], rep_team=np.array([0]), teams=["t"],
...             rep_segment=np.array([0]), quarters=["2026-Q3"],
...             quarter_starts=np.array([0.0, 92.0]), size_cuts=np.array([[9.0, 11.0]]))
>>> od = pd.DataFrame({"id": ["d1", "d2"], "segment": [0, 0], "rep": [0, 0], "stage": [0, 1],
...     "time_in_stage": [3.0, 9.0], "entered": [7.0, 1.0], "created": [1.0, 1.0],
...     "type": [0, 0], "push": [0, 0], "push_count": [0, 0], "size": [1, 1], "call": [1, 1],
...     "amount": [20000.0, 50000.0], "close_day": [60.0, 40.0], "last_changed": [7.0, 1.0]})
>>> out = edit_open_deals(od, lv, cutoff_days=10.0, exclude=["d1"],
...                       add=[{"rep_id": "r1", "amount": 400000, "id": "big"}])
>>> out[["id", "stage", "time_in_stage", "size"]].to_dict("list")
{'id': ['d2', 'big'], 'stage': [1, 0], 'time_in_stage': [9.0, 0.0], 'size': [1, 2]}
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping

import numpy as np
import pandas as pd

from ..errors import WhatIfError
from ..schema import OPEN_STAGES, OPPORTUNITY_TYPES
from .data import Levels, call_level, push_level, to_days


def _stage_index(stage, where: str) -> int:
    if stage not in OPEN_STAGES:
        raise WhatIfError(f"{where}: {stage!r} is not an open stage (one of {list(OPEN_STAGES)})")
    return OPEN_STAGES.index(stage)


def edit_open_deals(
    open_deals: pd.DataFrame,
    levels: Levels,
    cutoff_days: float,
    *,
    exclude: Iterable[str] = (),
    stage: Mapping[str, str] | None = None,
    add: Iterable[Mapping] | None = None,
) -> pd.DataFrame:
    """The open deals with the what-if edits applied (see the module docstring).

    Unknown deal ids, reps, stages or types raise :class:`WhatIfError` naming the edit, so a
    typo cannot pass silently as "no change".
    """
    od = open_deals.reset_index(drop=True).copy()
    known = set(od["id"].astype(str))
    exclude = [str(i) for i in exclude]
    unknown = [i for i in exclude if i not in known]
    if unknown:
        raise WhatIfError(f"exclude: no open deal with id {unknown[:5]} as of the fit")
    od = od[~od["id"].astype(str).isin(exclude)].reset_index(drop=True)
    for deal, new_stage in (stage or {}).items():
        hit = od["id"].astype(str) == str(deal)
        if not hit.any():
            raise WhatIfError(f"stage: no open deal with id {deal!r} as of the fit")
        k = _stage_index(new_stage, f"stage[{deal!r}]")
        od.loc[hit, "stage"] = k
        od.loc[hit, "time_in_stage"] = 0.0
        od.loc[hit, "entered"] = cutoff_days
        od.loc[hit, "call"] = call_level(np.array([new_stage]), np.array([None]))[0]
    rows = []
    rep_index = {r: i for i, r in enumerate(levels.reps)}
    for n, deal in enumerate(add or ()):
        where = f"add[{n}]"
        rep = str(deal.get("rep_id", ""))
        if rep not in rep_index:
            raise WhatIfError(f"{where}: rep_id {rep!r} is not a rep of the fit")
        amount = float(deal.get("amount", np.nan))
        if not np.isfinite(amount) or amount <= 0:
            raise WhatIfError(f"{where}: amount must be a positive number, not {amount!r}")
        st = deal.get("stage", OPEN_STAGES[0])
        k = _stage_index(st, where)
        otype = deal.get("type", OPPORTUNITY_TYPES[0])
        if otype not in OPPORTUNITY_TYPES:
            raise WhatIfError(f"{where}: type {otype!r} is not one of {list(OPPORTUNITY_TYPES)}")
        r = rep_index[rep]
        g = int(levels.rep_segment[r])
        close = deal.get("close_date")
        rows.append(
            {
                "id": str(deal.get("id", f"what-if {n + 1}")),
                "segment": g,
                "rep": r,
                "stage": k,
                "time_in_stage": 0.0,
                "entered": cutoff_days,
                "created": cutoff_days,
                "type": OPPORTUNITY_TYPES.index(otype),
                "push": int(push_level(np.array([0]))[0]),
                "push_count": 0,
                "size": int(levels.size_level(np.array([g]), np.array([amount]))[0]),
                "call": int(call_level(np.array([st]), np.array([None]))[0]),
                "amount": amount,
                "close_day": float(to_days([close])[0]) if close is not None else np.nan,
                "last_changed": cutoff_days,
            }
        )
    if rows:
        new = pd.DataFrame(rows)
        clash = set(new["id"]) & set(od["id"].astype(str))
        if clash or new["id"].duplicated().any():
            raise WhatIfError(f"add: deal ids must be new and distinct, {sorted(clash)[:5]} exist")
        od = pd.concat([od, new.astype(od.dtypes.to_dict())], ignore_index=True)
    return od
