"""The generator's seats and reps: segments, teams, managers, hires, ramp, attrition and backfills."""

from __future__ import annotations

import numpy as np
import pandas as pd

from ..schema import TABLES
from .generator_constants import (
    _FIRST,
    _LAST,
)
from .geography import REGIONS, region_population_share


class _PeopleMixin:
    """Part of the generator (:class:`~salesops_models.synthetic.generator._Generator`)."""

    def _seats_and_reps(self) -> None:
        p, rng = self.p, self.rng
        n = p.n_reps
        shares = np.array([s.share_of_reps for s in p.segments])
        counts = np.floor(shares * n).astype(int)
        counts[np.argsort(-(shares * n - counts))[: n - counts.sum()]] += 1
        seat_seg = np.repeat(np.arange(len(shares)), counts)
        pop = region_population_share()
        rshare = np.array([pop[r] for r in REGIONS])
        seat_region = np.empty(n, dtype=object)
        for s in range(len(shares)):
            idx = np.flatnonzero(seat_seg == s)
            k = len(idx)
            rc = np.floor(rshare * k).astype(int)
            rc[np.argsort(-(rshare * k - rc))[: k - rc.sum()]] += 1
            seat_region[idx] = np.repeat(np.array(REGIONS, dtype=object), rc)
        # teams: chunks of team_size inside (region, segment)
        seat_team = np.empty(n, dtype=object)
        team_rows = []
        for region in REGIONS:
            for s, seg in enumerate(self.seg_names):
                idx = np.flatnonzero((seat_seg == s) & (seat_region == region))
                for k, chunk in enumerate(np.array_split(idx, max(1, -(-len(idx) // p.team_size)))):
                    if len(chunk) == 0:
                        continue
                    team = f"{region} {seg} {k + 1}"
                    seat_team[chunk] = team
                    team_rows.append((team, region, seg))
        # seat occupancy: initial reps hired up to 5 years before start; attrition + backfill
        hire = -rng.uniform(0, 5 * 365, n)
        rows = []  # seat, hire_day, term_day (nan = still there)
        active_seat = np.arange(n)
        cur_hire = hire
        h_day = p.attrition_monthly / 30.44
        while len(active_seat):
            from_day = np.maximum(cur_hire, 0.0)
            stay = (
                rng.exponential(1.0 / h_day, len(active_seat))
                if h_day > 0
                else np.full(len(active_seat), np.inf)
            )
            leave = from_day + stay
            gone = leave < self.horizon
            for s_, hd, lv, g in zip(active_seat, cur_hire, leave, gone, strict=True):
                rows.append((s_, hd, np.floor(lv) if g else np.nan))
            gap = rng.uniform(*p.backfill_gap_days, len(active_seat))
            nxt = np.floor(leave + gap)
            keep = gone & (nxt < self.horizon)
            active_seat, cur_hire = active_seat[keep], nxt[keep]
        occ = pd.DataFrame(rows, columns=["seat", "hire_day", "term_day"])
        occ = occ.sort_values(["hire_day", "seat"], kind="stable").reset_index(drop=True)
        k = len(occ)
        lo, hi = p.ramp_months_range
        occ["ramp_months"] = rng.integers(lo, hi + 1, k)
        if p.cohort_ramp is not None:
            first, last, months = p.cohort_ramp
            a = (pd.Timestamp(first) - self.start).days
            b = (pd.Timestamp(last) - self.start).days
            occ.loc[occ["hire_day"].between(a, b), "ramp_months"] = int(months)
        occ["skill"] = rng.normal(0, p.skill_sd, k)
        occ["volume"] = np.exp(rng.normal(-0.5 * p.volume_log_sd**2, p.volume_log_sd, k))
        occ["segment_idx"] = seat_seg[occ["seat"]]
        occ["rep_id"] = [f"R{i + 1:05d}" for i in range(k)]
        self.occ = occ
        self.seat_seg, self.seat_region, self.seat_team = seat_seg, seat_region, seat_team

        # managers: one per team, one VP per region
        vp_ids = {r: f"M{i + 1:04d}" for i, r in enumerate(REGIONS)}
        mgr_ids = {t[0]: f"M{i + 1 + len(REGIONS):04d}" for i, t in enumerate(team_rows)}
        names = self._person_names(len(vp_ids) + len(mgr_ids) + k)
        mrows = []
        for i, r in enumerate(REGIONS):
            mrows.append(
                dict(
                    id=vp_ids[r],
                    name=names[i],
                    manager_id=None,
                    team=f"{r} leadership",
                    region=r,
                    segment=None,
                    role="Manager",
                    hire_day=-rng.uniform(365, 8 * 365),
                    ote=380_000.0,
                    base_share=0.6,
                )
            )
        for j, (team, region, seg) in enumerate(team_rows):
            mrows.append(
                dict(
                    id=mgr_ids[team],
                    name=names[len(vp_ids) + j],
                    manager_id=vp_ids[region],
                    team=team,
                    region=region,
                    segment=seg,
                    role="Manager",
                    hire_day=-rng.uniform(180, 6 * 365),
                    ote=260_000.0,
                    base_share=0.6,
                )
            )
        m = pd.DataFrame(mrows)
        seg_params = [p.segments[s] for s in occ["segment_idx"]]
        ote = np.array([sp.ote for sp in seg_params]) * np.exp(rng.normal(0, 0.05, k))
        reps = pd.DataFrame(
            {
                "id": occ["rep_id"],
                "name": names[len(m) :],
                "manager_id": [mgr_ids[t] for t in seat_team[occ["seat"]]],
                "team": seat_team[occ["seat"]],
                "region": seat_region[occ["seat"]],
                "segment": [self.seg_names[s] for s in occ["segment_idx"]],
                "role": "AE",
                "hire_day": occ["hire_day"],
                "term_day": occ["term_day"],
                "ote": np.round(ote, -3),
                "base_share": [sp.base_share for sp in seg_params],
            }
        )
        m["term_day"] = np.nan
        allreps = pd.concat([m, reps], ignore_index=True)
        allreps["hire_date"] = self._days_to_date(np.floor(allreps["hire_day"].to_numpy(float)))
        allreps["termination_date"] = self._days_to_date(allreps["term_day"].to_numpy(float))
        allreps["base_salary"] = np.round(allreps["ote"] * allreps["base_share"], -3)
        allreps["weekly_hours"] = np.nan  # planted with the activity log
        self.reps = allreps[[c.name for c in TABLES["reps"]]]
        self.truth_reps = occ.assign(
            seat=occ["seat"], segment=[self.seg_names[s] for s in occ["segment_idx"]]
        )[["rep_id", "seat", "segment", "skill", "volume", "ramp_months", "hire_day", "term_day"]]
        # territory_factor is added in _opportunities, once accounts exist

    def _person_names(self, k: int) -> list[str]:
        f = self.rng.integers(0, len(_FIRST), k)
        last = self.rng.integers(0, len(_LAST), k)
        return [f"{_FIRST[a]} {_LAST[b]}" for a, b in zip(f, last, strict=True)]

    # --- accounts -----------------------------------------------------------------------
