"""The Pfizer Turkey sales-territory instances (22 bricks x 4 reps, 100 bricks x 10 reps).

Public benchmark data of the classic sales-representative territory problem, shipped beside
the repository in ``../shared/datasets/pfizer_territory`` (see its SOURCE.md for the
provenance and quirks). Each loader returns a :class:`~.exact.TerritoryProblem` on the
instance's own terms:

- **22x4**: distance = the instance's brick-to-center table ("brick-bureau", km, 2
  decimals; columns ``d_sr1..d_sr4``), workload = index value with every rep within
  [0.8, 1.2], center bricks fixed to their rep, disruption = index value of the bricks that
  leave their current rep. The brick-to-brick matrix is returned as ``brick_distances``.
- **100x10**: distance = Euclidean distance in the unit square from a brick to its rep's
  office brick (an ``office == 1`` brick; its ``current_sr`` names the rep; brick 98's
  ``10.1`` is read as rep 10), same bounds, fixing and disruption.

Examples
--------
>>> from salesops_models.territory import pfizer, solve
>>> prob = pfizer.load_22x4()  # doctest: +SKIP
>>> round(solve(prob).distance, 2)  # doctest: +SKIP
154.6
"""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pandas as pd

from .. import config
from .exact import BalanceBand, TerritoryProblem

PFIZER_DIR: Path = config.PROJECT_ROOT.parent / "shared" / "datasets" / "pfizer_territory"


def _dir(folder) -> Path:
    folder = Path(folder or PFIZER_DIR)
    if not folder.is_dir():
        raise FileNotFoundError(f"no Pfizer territory data at {folder}")
    return folder


def bricks_22x4(folder=None) -> tuple[pd.DataFrame, dict]:
    folder = _dir(folder)
    bricks = pd.read_csv(folder / "pfizer_22x4_bricks.csv")
    meta = json.loads((folder / "pfizer_22x4.json").read_text())
    bricks["id"] = bricks["brick"]
    bricks["current"] = "SR" + bricks["current_sr"].astype(int).astype(str)
    return bricks, meta


def load_22x4(folder=None) -> TerritoryProblem:
    """The 22-brick, 4-rep instance with its own distance table and bounds."""
    folder = _dir(folder)
    bricks, meta = bricks_22x4(folder)
    reps = list(meta["sr_center_brick"])
    dist = bricks[[f"d_sr{j}" for j in range(1, len(reps) + 1)]].to_numpy(float)
    lo, hi = meta["workload_bounds"]
    prob = TerritoryProblem.from_frame(
        bricks,
        reps,
        dist,
        balance={"index_value": BalanceBand(lower=lo, upper=hi)},
        current="current",
        disruption="index_value",
        fixed={brick: rep for rep, brick in meta["sr_center_brick"].items()},
    )
    return prob


def brick_distances_22x4(folder=None) -> pd.DataFrame:
    """The 22 x 22 brick-to-brick km matrix (sheet "brick-brick")."""
    return pd.read_csv(_dir(folder) / "pfizer_22x4_brick_distances.csv", index_col=0)


def bricks_100x10(folder=None) -> pd.DataFrame:
    b = pd.read_csv(_dir(folder) / "pfizer_100x10_bricks.csv")
    b["id"] = b["brick"]
    b["current"] = "SR" + b["current_sr"].astype(int).astype(str)
    return b


def load_100x10(folder=None) -> TerritoryProblem:
    """The 100-brick, 10-rep instance: Euclidean distance to each rep's office brick."""
    b = bricks_100x10(folder)
    offices = b[b["office"] == 1].sort_values("current_sr")
    reps = ["SR" + str(int(r)) for r in offices["current_sr"]]
    xy = b[["x", "y"]].to_numpy(float)
    oxy = offices[["x", "y"]].to_numpy(float)
    dist = np.sqrt(((xy[:, None, :] - oxy[None, :, :]) ** 2).sum(axis=2))
    return TerritoryProblem.from_frame(
        b,
        reps,
        dist,
        balance={"index_value": BalanceBand(lower=0.8, upper=1.2)},
        current="current",
        disruption="index_value",
        fixed={int(br): r for br, r in zip(offices["brick"], reps, strict=True)},
        unit="unit-square distance",
    )


__all__ = [
    "PFIZER_DIR",
    "brick_distances_22x4",
    "bricks_100x10",
    "bricks_22x4",
    "load_100x10",
    "load_22x4",
]
