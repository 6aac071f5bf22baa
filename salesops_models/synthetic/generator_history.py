"""The generator's stage history and opportunity table: each deal's path through the stages (pushes, slips, forecast categories) and its row as the CRM holds it."""

from __future__ import annotations

import numpy as np
import pandas as pd

from ..schema import DEFAULT_FORECAST_CATEGORY, STAGES
from .generator_constants import (
    MAX_PUSHES,
    PUSH_STEP_DAYS,
)


class _HistoryMixin:
    """Part of the generator (:class:`~salesops_models.synthetic.generator._Generator`)."""

    def _history(self) -> None:
        p, rng = self.p, self.rng
        N = len(self.o_rep)
        seg = self.o_seg
        t0, tentry, close_t = self.o_t0, self.o_tentry, self.o_close_t
        fail = self.o_fail
        hyg = p.hygiene
        is_dup = self.o_dup_of >= 0
        # expected close at creation (reps are optimistic) and pushes while running late
        cycle = np.array([s.cycle_days_median_sum for s in p.segments])[seg]
        e0_src = np.ceil(t0 + cycle * np.exp(rng.normal(-0.15, 0.3, N)))
        e0 = e0_src.copy()
        # a duplicate copies its source's expected close date
        e0[is_dup] = e0_src[self.o_dup_of[is_dup]]
        end_t = close_t  # zombies: the rep stops caring when the deal is really lost
        gap = end_t - e0
        step = np.array([PUSH_STEP_DAYS[s] for s in self.seg_names])[seg]
        n_push = np.where(gap > 0, np.minimum(np.ceil(gap / step), MAX_PUSHES), 0).astype(int)
        n_push[(rng.random(N) < hyg.no_push_rate) | is_dup] = 0
        # amounts: missing at creation, filled at Qualification; revised at Proposal; discounted at signature
        amount0 = self.o_amount0
        miss0 = rng.random(N) < hyg.missing.get("amount_at_creation", 0)
        miss0[is_dup] = miss0[self.o_dup_of[is_dup]]
        revise = rng.random(N) < 0.3
        a3 = np.where(revise, np.round(amount0 * np.exp(rng.normal(-0.05, 0.2, N)), -1), amount0)
        a3 = np.maximum(a3, 10.0)
        disc = rng.random(N) < 0.5
        final = np.where(disc, np.round(a3 * rng.uniform(0.85, 1.0, N), -1), a3)
        final = np.where(self.o_won, final, a3)
        reached = fail  # highest open stage index reached (0..4), 5 = won

        ev_opp, ev_t, ev_stage, ev_amt, ev_amt_set, ev_close = [], [], [], [], [], []

        def add(opp, t, stage, amt, amt_set, close):
            ev_opp.append(opp)
            ev_t.append(t)
            ev_stage.append(stage)
            ev_amt.append(amt)
            ev_amt_set.append(amt_set)
            ev_close.append(close)

        allidx = np.arange(N)
        add(allidx, t0, np.zeros(N, int), np.where(miss0, np.nan, amount0), np.ones(N, bool), e0)
        # stage skips: one intermediate stage (1..3, below the highest reached) never recorded
        skip = np.zeros(N, dtype=int)
        can = (reached >= 2) & (rng.random(N) < hyg.stage_skip_rate)
        skip[can] = rng.integers(1, np.minimum(reached[can], 4))
        self.o_skip = skip
        for k in range(1, 5):
            m = (reached >= k) & (skip != k)
            idx = allidx[m]
            amt = np.full(len(idx), np.nan)
            amt_set = np.zeros(len(idx), bool)
            if k == 1:
                amt_set = miss0[m]
                amt = np.where(amt_set, amount0[m], np.nan)
            if k == 3:
                amt_set = revise[m] | miss0[m]
                amt = np.where(amt_set, a3[m], np.nan)
            add(
                idx,
                tentry[m, k] + rng.uniform(0, 0.3, len(idx)),
                np.full(len(idx), k),
                amt,
                amt_set,
                np.full(len(idx), np.nan),
            )
        for i in range(1, MAX_PUSHES + 1):
            m = n_push >= i
            idx = allidx[m]
            prev = e0[m] + (i - 1) * gap[m] / n_push[m]
            lag = np.minimum(rng.uniform(0, 5, len(idx)), 0.5 * (end_t[m] - prev))
            new_close = np.ceil(
                e0[m]
                + i * gap[m] / n_push[m]
                + np.where(i == n_push[m], rng.uniform(0, 15, len(idx)), 0)
            )
            add(
                idx,
                prev + np.maximum(lag, 0.01),
                np.full(len(idx), -1),
                np.full(len(idx), np.nan),
                np.zeros(len(idx), bool),
                new_close,
            )
        # zombies: most are closed lost in a later pipeline clean-up, the rest never
        cleaned = self.o_zombie & (rng.random(N) < hyg.zombie_cleanup_rate)
        close_rec = np.where(cleaned, close_t + rng.uniform(*hyg.zombie_cleanup_days, N), close_t)
        m = ~self.o_zombie | cleaned
        idx = allidx[m]
        add(
            idx,
            close_rec[m],
            np.where(self.o_won[m], 5, 6),
            np.where(self.o_won[m], final[m], np.nan),
            self.o_won[m],
            np.floor(close_rec[m]),
        )
        self.o_cleanup = np.where(cleaned, close_rec, np.nan)

        opp = np.concatenate(ev_opp)
        t = np.concatenate(ev_t)
        stage = np.concatenate(ev_stage)
        amt = np.concatenate(ev_amt)
        amt_set = np.concatenate(ev_amt_set)
        close = np.concatenate(ev_close)
        keep = t < self.horizon
        opp, t, stage, amt, amt_set, close = (x[keep] for x in (opp, t, stage, amt, amt_set, close))
        order = np.lexsort((t, opp))
        opp, t, stage, amt, amt_set, close = (
            x[order] for x in (opp, t, stage, amt, amt_set, close)
        )
        ar = np.arange(len(opp))
        stage_src = np.maximum.accumulate(np.where(stage >= 0, ar, 0))
        amt_src = np.maximum.accumulate(np.where(amt_set, ar, 0))
        close_src = np.maximum.accumulate(np.where(~np.isnan(close), ar, 0))
        stage, amt, close = stage[stage_src], amt[amt_src], close[close_src]

        stage_names = np.array(STAGES, dtype=object)[stage]
        fc = pd.Series(stage_names).map(DEFAULT_FORECAST_CATEGORY).to_numpy(dtype=object)
        # final truths per opportunity
        self.o_e0, self.o_npush, self.o_final = e0, n_push, final
        self.history_raw = pd.DataFrame(
            {
                "opp": opp,
                "changed_at": self._days_to_ts(t),
                "stage": stage_names,
                "amount": amt,
                "close_date": self._days_to_date(close),
                "forecast_category": fc,
            }
        )

    def _opportunity_table(self) -> None:
        p, rng = self.p, self.rng
        h = self.history_raw
        del self.history_raw  # the history table below replaces it (memory of large orgs)
        created = self.o_t0 < self.horizon
        N = len(self.o_rep)
        # ids in order of creation (duplicates were appended: order all by t0)
        order = np.argsort(self.o_t0, kind="stable")
        rank = np.empty(N, dtype=np.int64)
        rank[order] = np.arange(N)
        width = max(7, len(str(N)))
        ids = np.array([f"O{r + 1:0{width}d}" for r in rank], dtype=object)
        self.o_ids, self.o_created = ids, created
        h = h.assign(opportunity_id=ids[h["opp"].to_numpy()])
        h = h.iloc[np.lexsort((h["changed_at"].to_numpy(), rank[h["opp"].to_numpy()]))]
        last = h.drop_duplicates("opp", keep="last").set_index("opp")
        sel = np.flatnonzero(created)
        sel = sel[np.argsort(rank[sel])]
        acc_ids = self.accounts["id"].to_numpy()[self.o_acc]
        acc_names = self.accounts["name"].to_numpy()[self.o_acc]
        prod_names = np.array(list(p.products), dtype=object)
        src_names = np.array(list(p.lead_sources), dtype=object)
        product = prod_names[self.o_prod].copy()
        source = src_names[self.o_src].copy()
        miss = p.hygiene.missing
        product[rng.random(N) < miss.get("product", 0)] = None
        source[rng.random(N) < miss.get("lead_source", 0)] = None
        types = np.array(["new", "expansion", "renewal"], dtype=object)[self.o_type]
        name = (
            pd.Series(acc_names)
            .str.cat(pd.Series(prod_names[self.o_prod]), sep=" - ")
            .to_numpy(dtype=object)
        )
        rep_ids = self.occ["rep_id"].to_numpy()[self.o_rep]
        L = last.loc[sel]
        self.opps = pd.DataFrame(
            {
                "id": ids[sel],
                "account_id": acc_ids[sel],
                "owner_rep_id": rep_ids[sel],
                "name": name[sel],
                "type": types[sel],
                "product": product[sel],
                "lead_source": source[sel],
                "created_date": self._days_to_date(np.floor(self.o_t0[sel])),
                "close_date": L["close_date"].to_numpy(),
                "amount": L["amount"].to_numpy(),
                "stage": L["stage"].to_numpy(),
                "is_closed": np.isin(L["stage"].to_numpy(), ["Closed Won", "Closed Lost"]),
                "is_won": L["stage"].to_numpy() == "Closed Won",
                "forecast_category": L["forecast_category"].to_numpy(),
            }
        )
        self.history = h[
            ["opportunity_id", "changed_at", "stage", "amount", "close_date", "forecast_category"]
        ].reset_index(drop=True)
        lost_stage = np.where(
            self.o_won, None, np.array(STAGES, dtype=object)[np.minimum(self.o_fail, 4)]
        )
        self.truth_opps = pd.DataFrame(
            {
                "opportunity_id": ids[sel],
                "p_win": self.o_pwin[sel],
                "will_win": self.o_won[sel],
                "eventual_close_date": self._days_to_date(np.floor(self.o_close_t[sel])),
                "eventual_amount": np.where(self.o_won, self.o_final, np.nan)[sel],
                "lost_at_stage": lost_stage[sel],
                "is_zombie": self.o_zombie[sel],
                "zombie_closed_on": self._days_to_date(self.o_cleanup[sel]),
                "is_duplicate": (self.o_dup_of >= 0)[sel],
                "duplicate_of": np.where(
                    self.o_dup_of >= 0, ids[np.maximum(self.o_dup_of, 0)], None
                )[sel],
                "quarter_end_pulled": self.o_pulled[sel],
                "skipped_stage": np.where(
                    self.o_skip > 0, np.array(STAGES, dtype=object)[self.o_skip], None
                )[sel],
                "period_logit_shift": self.o_qshock[sel],
                "initial_expected_close": self._days_to_date(self.o_e0[sel]),
                "n_pushes_planned": self.o_npush[sel],
                "rep_skill": self.occ["skill"].to_numpy()[self.o_rep][sel],
            }
        )
