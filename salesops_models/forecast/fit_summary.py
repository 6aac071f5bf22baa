"""What a fitted forecast keeps beside its posterior, so a saved model forecasts without its
CRM: the fit's training statistics (the open pipeline at the cutoff, the deals won so far,
the arrival counts, the stage transitions and amount statistics, the index spaces) and the
fit's reps (names, teams, managers, regions, for the roll-ups), in one InferenceData group.

The stage-exposure cells the likelihood read are not kept: a forecast does not read them
(they are the bulk of the data, and a refit rebuilds them from the CRM). A model loaded this
way forecasts and answers what-ifs; refitting needs the CRM.
"""

from __future__ import annotations

import json

import numpy as np
import pandas as pd
import xarray as xr

from ..crm import CRM
from ..schema import CRM_TABLE_NAMES, empty_table
from .data import Levels, TrainingData

#: the InferenceData group holding the fit's summary
GROUP = "fit_data"
#: training-data tables kept (``cells`` and ``pieces`` are not: see the module docstring)
FRAMES = ("amount_change", "won_amounts", "arrivals", "open_deals", "closed_won")
ARRAYS = ("transitions", "type_mix")
#: the rep columns a forecast's roll-ups read
REP_COLUMNS = ("id", "name", "manager_id", "team", "region", "segment", "role")


def _frame_vars(prefix: str, df: pd.DataFrame) -> dict:
    dim = f"{prefix}__row"
    out = {}
    for col in df.columns:
        values = df[col].to_numpy()
        if values.dtype == object or pd.api.types.is_string_dtype(df[col]):
            values = df[col].astype(object).where(df[col].notna(), "").astype(str).to_numpy()
        out[f"{prefix}__{col}"] = (dim, values)
    return out


def _frame(ds: xr.Dataset, prefix: str, columns: list[str]) -> pd.DataFrame:
    data = {c: ds[f"{prefix}__{c}"].to_numpy() for c in columns}
    return pd.DataFrame(data)


def fit_dataset(td: TrainingData, crm: CRM) -> xr.Dataset:
    """The fit's summary as a Dataset (see the module docstring)."""
    lv = td.levels
    data: dict = {}
    for name in FRAMES:
        data.update(_frame_vars(name, getattr(td, name)))
    data["transitions"] = (("stage_from", "stage_to"), np.asarray(td.transitions, float))
    data["type_mix"] = (("lv_segment", "lv_type"), np.asarray(td.type_mix, float))
    data["lv_rep_team"] = ("lv_rep", np.asarray(lv.rep_team, np.int64))
    data["lv_rep_segment"] = ("lv_rep", np.asarray(lv.rep_segment, np.int64))
    data["lv_quarter_starts"] = ("lv_quarter_edge", np.asarray(lv.quarter_starts, float))
    data["lv_size_cuts"] = (("lv_segment", "lv_cut"), np.asarray(lv.size_cuts, float))
    reps = crm.reps[crm.reps["id"].isin(lv.reps)]
    data.update(_frame_vars("reps", reps[[c for c in REP_COLUMNS if c in reps]]))
    coords = {
        "lv_segment": list(lv.segments),
        "lv_rep": list(lv.reps),
        "lv_team": list(lv.teams),
        "lv_quarter": list(lv.quarters),
        "lv_type": list(lv.types),
    }
    attrs = {
        "as_of": td.as_of.isoformat(),
        "cutoff_days": float(td.cutoff_days),
        "n_intervals": int(td.n_intervals),
        "n_pieces": int(td.n_pieces),
        "notes": json.dumps(list(td.notes)),
        "fiscal_year_start_month": int(crm.fiscal_year_start_month),
        "frames": json.dumps({n: list(getattr(td, n).columns) for n in FRAMES}),
        "rep_columns": json.dumps([c for c in REP_COLUMNS if c in reps]),
        "source": str(crm.meta.get("source", "")),
    }
    return xr.Dataset(data, coords=coords, attrs=attrs)


def restore_fit(ds: xr.Dataset) -> tuple[TrainingData, CRM]:
    """The training data and a CRM of the fit's reps (no deals: the fit's summary holds
    what a forecast reads) from :func:`fit_dataset`'s Dataset."""
    frames = json.loads(ds.attrs["frames"])
    tables = {n: _frame(ds, n, cols) for n, cols in frames.items()}
    for name in ("open_deals", "closed_won"):
        tables[name]["id"] = tables[name]["id"].astype(str)
    lv = Levels(
        segments=[str(x) for x in ds["lv_segment"].to_numpy()],
        reps=[str(x) for x in ds["lv_rep"].to_numpy()],
        rep_team=ds["lv_rep_team"].to_numpy(),
        teams=[str(x) for x in ds["lv_team"].to_numpy()],
        rep_segment=ds["lv_rep_segment"].to_numpy(),
        quarters=[str(x) for x in ds["lv_quarter"].to_numpy()],
        quarter_starts=ds["lv_quarter_starts"].to_numpy(),
        size_cuts=ds["lv_size_cuts"].to_numpy(),
        types=tuple(str(x) for x in ds["lv_type"].to_numpy()),
    )
    td = TrainingData(
        as_of=pd.Timestamp(ds.attrs["as_of"]),
        cutoff_days=float(ds.attrs["cutoff_days"]),
        levels=lv,
        cells=pd.DataFrame(),
        transitions=ds["transitions"].to_numpy(),
        type_mix=ds["type_mix"].to_numpy(),
        n_intervals=int(ds.attrs["n_intervals"]),
        n_pieces=int(ds.attrs["n_pieces"]),
        notes=json.loads(ds.attrs["notes"]),
        **tables,
    )
    rep_cols = json.loads(ds.attrs["rep_columns"])
    reps = _frame(ds, "reps", rep_cols).replace("", None)
    others = {t: empty_table(t) for t in CRM_TABLE_NAMES if t != "reps"}
    crm = CRM(
        reps=reps,
        **others,
        fiscal_year_start_month=int(ds.attrs["fiscal_year_start_month"]),
        meta={"source": ds.attrs.get("source", ""), "restored_from_model": True},
    )
    return td, crm
