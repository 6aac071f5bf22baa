"""Vectorized generator of a realistic synthetic sales org with known ground truth.

Model (all parameters in :class:`~salesops_models.synthetic.params.OrgParams`):

- **Org**: seats (AE positions) by segment and Census region, grouped in teams under
  first-line managers under one regional VP each. Seats are filled by reps; a rep leaves
  with a monthly hazard and the seat is backfilled after a gap by a new hire who ramps.
- **Volume**: opportunities per rep-month ~ Poisson(rate[segment] x seasonality[month] x
  ramp(tenure) x volume[rep] x active share of the month), ramp(m) = min(1, (m+1)/(R+1)).
- **Funnel**: a deal in open stage k advances with probability
  ``sigmoid(logit(c[segment, k]) + skill[rep] + shift[type] + shift[lead source]
  + 1{k >= 3} * period_effect[quarter due])``; it is won after advancing from Negotiation.
  Days in each stage are lognormal. A lost deal is lost part-way through the stage it failed.
  Won deals due in a quarter's last 30 days slide to its last week with probability
  ``quarter_end_pull`` (quarter-end concentration).
- **CRM behaviour**: the rep enters an expected close date at creation (optimistic); while a
  deal runs late the close date is pushed (up to four times), except for a share of deals
  whose close date is left past due; the amount is revised at Proposal and discounted at
  signature; hygiene problems (zombie deals never closed, duplicates, empty fields) are
  injected at the configured rates. Every change is a row of ``opportunity_history``.
- **Accounts** sit at population-weighted real ZIP centroids of their region; potential =
  revenue x spend share. Opportunities pick accounts of their seat in proportion to
  potential. **Quotas** per AE and fiscal quarter = expected productivity of the segment
  x ramp x active share x ``quota_stretch``.

The generator simulates every deal to its end, past the data's end date; the CRM holds only
what was recorded by then, while ``truth_opportunities`` keeps each deal's eventual outcome,
so forecasts made as of the end date can be scored.
"""

from __future__ import annotations

import json
import time
from dataclasses import dataclass, field, replace
from pathlib import Path

import numpy as np
import pandas as pd

from .. import config
from ..crm import CRM
from ..runtime import release_memory
from ..schema import STAGES
from .generator_constants import (
    _CO_A,
    _CO_B,
    _CO_C,
    AMOUNT_DRIFT,
)
from .generator_history import _HistoryMixin
from .generator_people import _PeopleMixin
from .geography import sample_zips
from .params import OrgParams


@dataclass
class SyntheticOrg:
    """A generated org: the CRM, its ground truth and the parameters that made it."""

    crm: CRM
    truth: dict[str, pd.DataFrame]
    params: OrgParams
    timings: dict[str, float] = field(default_factory=dict)

    def truth_json(self) -> dict:
        return {"params": self.params.to_dict()}

    def comp_adjustments(self, rate: float = 0.02, unpaid: float = 0.005) -> pd.DataFrame:
        """Post-close events for the ``comp_adjustments`` table: a ``rate`` share of won deals
        cancelled and an ``unpaid`` share unpaid, 5-80 days after the close (events after the
        data's last day are not known yet). Seeded by the org's seed, so the same org gets
        the same events."""
        rng = np.random.default_rng([self.params.seed, 15])
        won = self.crm.opportunities[self.crm.opportunities["is_won"]]
        won = won.sort_values("id", kind="stable")
        u = rng.random(len(won))
        event = np.where(u < rate, "cancelled", np.where(u < rate + unpaid, "unpaid", ""))
        days = rng.integers(5, 81, len(won))
        out = pd.DataFrame(
            {
                "opportunity_id": won["id"].to_numpy(),
                "event": event,
                "date": (won["close_date"] + pd.to_timedelta(days, unit="D")).to_numpy(),
            }
        )
        out = out[(out["event"] != "") & (out["date"] <= self.crm.data_end)]
        return out.reset_index(drop=True)

    def forecast_calls(self) -> tuple[pd.DataFrame, pd.DataFrame]:
        """The weekly forecast call of every AE and manager with planted calling behaviours
        (:func:`~salesops_models.synthetic.calls.simulate_calls`, its own random stream):
        ``(forecast_calls, truth_forecasters)``."""
        from .calls import simulate_calls

        return simulate_calls(self.crm, self.params.seed)

    def save(self, path: str | Path = config.DEFAULT_DB) -> Path:
        """Write the CRM, the ``comp_adjustments`` table (:meth:`comp_adjustments`), the
        ``forecast_calls`` table (:meth:`forecast_calls`) and the ``truth_*`` tables to a
        DuckDB file (and ``<name>.truth.json`` beside) or a database URL."""
        from ..schema import conform
        from ..store import is_database_url, save_store

        extra = {f"truth_{k}": v for k, v in self.truth.items()}
        extra["comp_adjustments"] = conform("comp_adjustments", self.comp_adjustments())
        calls, forecasters = self.forecast_calls()
        extra["forecast_calls"] = conform("forecast_calls", calls)
        extra["truth_forecasters"] = forecasters
        save_store(self.crm, path, extra=extra)
        if is_database_url(path):
            return path
        path = Path(path)
        truth_file = path.with_suffix(".truth.json")
        truth_file.write_text(json.dumps(self.truth_json(), indent=2, default=str))
        return path


def generate_org(
    n_reps: int = config.SAMPLE_REPS,
    years: float = config.SAMPLE_YEARS,
    seed: int = config.SAMPLE_SEED,
    *,
    end_date: str = config.SAMPLE_END_DATE,
    fiscal_year_start_month: int = config.FISCAL_YEAR_START_MONTH,
    params: OrgParams | None = None,
    progress: bool = False,
) -> SyntheticOrg:
    """Generate a synthetic org; the same arguments always give identical tables.

    Parameters
    ----------
    n_reps : int
        Number of AE seats (quota-carrying positions); managers come on top.
    years : float
        Length of the recorded history, ending at ``end_date``.
    seed : int
        Seed of the ``np.random.Generator`` driving every draw.
    params : OrgParams, optional
        Full parameter set; ``n_reps``, ``years``, ``seed``, ``end_date`` and
        ``fiscal_year_start_month`` override its fields.
    progress : bool
        Show a progress bar of the generation steps.

    Examples
    --------
    >>> org = generate_org(n_reps=10, years=1, seed=3)
    >>> org.crm.summary()["rows"].gt(0).all()
    np.True_
    """
    p = replace(
        params or OrgParams(),
        n_reps=n_reps,
        years=years,
        seed=seed,
        end_date=end_date,
        fiscal_year_start_month=fiscal_year_start_month,
    )
    p.validate()
    return _Generator(p, progress).run()


def _sigmoid(x):
    return 1.0 / (1.0 + np.exp(-x))


def _logit(p):
    p = np.asarray(p, dtype=float)
    return np.log(p) - np.log1p(-p)


def _categorical(rng, cum_probs: np.ndarray, row: np.ndarray) -> np.ndarray:
    """Draw one category per element; ``cum_probs[row[i]]`` is that element's CDF."""
    u = rng.random(len(row))
    c = cum_probs[row]
    return np.minimum((u[:, None] > c).sum(axis=1), cum_probs.shape[1] - 1)


class _Generator(_PeopleMixin, _HistoryMixin):
    def __init__(self, p: OrgParams, progress: bool):
        self.p = p
        self.rng = np.random.default_rng(p.seed)
        self.end = pd.Timestamp(p.end_date).normalize()
        self.start = (
            self.end - pd.DateOffset(days=round(p.years * 365.25)) + pd.Timedelta(days=1)
        ).normalize()
        self.horizon = float((self.end - self.start).days + 1)  # first day after the data
        self.seg_names = [s.name for s in p.segments]
        self.timings: dict[str, float] = {}
        self.progress = progress

    # --- helpers ------------------------------------------------------------------------
    def _days_to_ts(self, days: np.ndarray) -> np.ndarray:
        base = self.start.to_datetime64().astype("datetime64[s]")
        secs = np.round(np.asarray(days, dtype=float) * 86_400).astype(
            "int64"
        )  # CRM clocks tick in seconds
        return (base + secs.astype("timedelta64[s]")).astype("datetime64[ns]")

    def _days_to_date(self, days: np.ndarray) -> np.ndarray:
        base = self.start.to_datetime64().astype("datetime64[D]")
        out = base + np.floor(np.nan_to_num(days, nan=0)).astype("int64").astype("timedelta64[D]")
        out = out.astype("datetime64[ns]")
        out[np.isnan(days)] = np.datetime64("NaT")
        return out

    def _quarter_index(self, days: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """Fiscal quarter of each day: (index from the first quarter, start day, end day)."""
        d = self.start.to_datetime64().astype("datetime64[D]") + np.floor(days).astype("int64")
        months = d.astype("datetime64[M]").astype("int64")  # months since 1970-01
        fs = self.p.fiscal_year_start_month - 1
        qstart_m = months - ((months - fs) % 3)
        sim_start = self.start - pd.Timedelta(days=self.p.burn_in_days)
        first_m = np.datetime64(sim_start.date(), "M").astype("int64")
        first_q = first_m - ((first_m - fs) % 3)
        qidx = (qstart_m - first_q) // 3
        base = self.start.to_datetime64().astype("datetime64[D]")
        qs = (qstart_m.astype("datetime64[M]").astype("datetime64[D]") - base).astype(float)
        qe = ((qstart_m + 3).astype("datetime64[M]").astype("datetime64[D]") - base).astype(
            float
        ) - 1
        return qidx, qs, qe

    def _step(self, name: str, t0: float) -> float:
        t = time.perf_counter()
        self.timings[name] = t - t0
        if self._bar is not None:
            self._bar.set_postfix_str(name)
            self._bar.update(1)
        return t

    # --- main ---------------------------------------------------------------------------
    def run(self) -> SyntheticOrg:
        self._bar = None
        if self.progress:
            from tqdm.auto import tqdm

            self._bar = tqdm(
                total=7 + (self.p.activities is not None), desc="generate org", unit="step"
            )
        t = time.perf_counter()
        self._seats_and_reps()
        t = self._step("reps", t)
        self._accounts()
        t = self._step("accounts", t)
        self._opportunities()
        t = self._step("opportunities", t)
        self._outcomes()
        t = self._step("outcomes", t)
        self._history()
        t = self._step("history", t)
        self._opportunity_table()
        t = self._step("opportunity table", t)
        self._quotas()
        t = self._step("quotas", t)
        activities, activity_truth = None, {}
        if self.p.activities is not None:
            from .activities import simulate_activities

            release_memory()
            activities, activity_truth = simulate_activities(self)
            self._step("activities", t)
        if self._bar is not None:
            self._bar.close()
        crm = CRM(
            reps=self.reps,
            accounts=self.accounts,
            opportunities=self.opps,
            opportunity_history=self.history,
            quotas=self.quotas,
            activities=activities,
            fiscal_year_start_month=self.p.fiscal_year_start_month,
            meta={
                "source": "synthetic",
                "generator": {
                    "n_reps": self.p.n_reps,
                    "years": self.p.years,
                    "seed": self.p.seed,
                    "end_date": self.p.end_date,
                },
                "data_start": str(self.start.date()),
                "data_end": str(self.end.date()),
            },
        )
        truth = {
            "reps": self.truth_reps,
            "opportunities": self.truth_opps,
            "period_effects": self.truth_periods,
            "segments": self._truth_segments(),
            **activity_truth,
        }
        return SyntheticOrg(crm, truth, self.p, self.timings)

    # --- org ----------------------------------------------------------------------------
    def _accounts(self) -> None:
        p, rng = self.p, self.rng
        n_seats = p.n_reps
        per_seat = np.array([p.segments[s].accounts_per_rep for s in self.seat_seg], dtype=float)
        per_seat = np.maximum(3, np.round(per_seat * np.exp(rng.normal(0, 0.15, n_seats)))).astype(
            int
        )
        acc_seat = np.repeat(np.arange(n_seats), per_seat)
        n = len(acc_seat)
        seg = self.seat_seg[acc_seat]
        region = self.seat_region[acc_seat]
        zips = sample_zips(region, rng)
        ind_names = list(p.industries)
        ind_share = np.array([p.industries[i][0] for i in ind_names])
        ind_share = ind_share / ind_share.sum()
        ind = rng.choice(len(ind_names), n, p=ind_share)
        rev_per_emp = np.array([p.industries[i][1] for i in ind_names])[ind]
        lo = np.array([p.segments[s].employees_range[0] for s in seg], dtype=float)
        hi = np.array([p.segments[s].employees_range[1] for s in seg], dtype=float)
        employees = np.round(np.exp(rng.uniform(np.log(lo), np.log(hi)))).astype(int)
        revenue = np.round(employees * rev_per_emp * np.exp(rng.normal(0, 0.3, n)), -3)
        potential = np.round(revenue * 0.008 * np.exp(rng.normal(0, 0.3, n)), -2)
        names = [
            f"{_CO_A[a]}{_CO_B[b]} {_CO_C[c]}"
            for a, b, c in zip(
                rng.integers(0, len(_CO_A), n),
                rng.integers(0, len(_CO_B), n),
                rng.integers(0, len(_CO_C), n),
                strict=True,
            )
        ]
        # current owner: the rep in the seat at the end of the data (None if vacant)
        occ = self.occ
        current = occ[occ["term_day"].isna()].set_index("seat")["rep_id"]
        owner = pd.Series(acc_seat).map(current).to_numpy(dtype=object)
        miss = p.hygiene.missing
        industry = np.array(ind_names, dtype=object)[ind]
        industry[rng.random(n) < miss.get("account_industry", 0)] = None
        emp = pd.array(employees, dtype="Int64")
        emp[rng.random(n) < miss.get("account_employees", 0)] = pd.NA
        width = max(6, len(str(n)))
        self.accounts = pd.DataFrame(
            {
                "id": [f"A{i + 1:0{width}d}" for i in range(n)],
                "name": names,
                "industry": industry,
                "segment": np.array(self.seg_names, dtype=object)[seg],
                "region": region,
                "state": zips["state"].to_numpy(dtype=object),
                "zip": zips["zip"].to_numpy(dtype=object),
                "lat": zips["lat"].to_numpy(float),
                "lon": zips["lon"].to_numpy(float),
                "employees": emp,
                "annual_revenue": revenue,
                "potential": potential,
                "owner_rep_id": owner,
            }
        )
        self.acc_seat = acc_seat
        self.acc_potential = potential
        seat_pot = np.bincount(acc_seat, weights=potential, minlength=n_seats)
        seg_mean = np.array(
            [
                seat_pot[self.seat_seg == s].mean() if (self.seat_seg == s).any() else 1.0
                for s in range(len(p.segments))
            ]
        )
        self.seat_territory = (seat_pot / seg_mean[self.seat_seg]) ** p.territory_elasticity

    # --- opportunities ------------------------------------------------------------------
    def _opportunities(self) -> None:
        p, rng = self.p, self.rng
        self.truth_reps["territory_factor"] = self.seat_territory[
            self.truth_reps["seat"].to_numpy()
        ]
        occ = self.occ
        sim_start = self.start - pd.Timedelta(days=self.p.burn_in_days)
        months = pd.date_range(sim_start.to_period("M").to_timestamp(), self.end, freq="MS")
        ms = np.array([(m - self.start).days for m in months], dtype=float)
        me = np.array(
            [(m + pd.offsets.MonthBegin(1) - self.start).days for m in months], dtype=float
        )
        moy = months.month.to_numpy() - 1
        hire = occ["hire_day"].to_numpy(float)[:, None]
        term = np.nan_to_num(occ["term_day"].to_numpy(float), nan=np.inf)[:, None] + 1
        a = np.maximum(np.maximum(ms[None, :], hire), -float(self.p.burn_in_days))
        b = np.minimum(np.minimum(me[None, :], term), self.horizon)
        active = np.clip(b - a, 0, None)
        tenure_m = np.floor(((ms + me)[None, :] / 2 - hire) / 30.44)
        R = occ["ramp_months"].to_numpy(float)[:, None]
        ramp = np.clip((tenure_m + 1) / (R + 1), 0, 1)
        rate = np.array([p.segments[s].opps_per_rep_month for s in occ["segment_idx"]])[:, None]
        season = np.asarray(p.seasonality, dtype=float)
        season = season / season.mean()
        lam = (
            rate
            * season[moy][None, :]
            * ramp
            * occ["volume"].to_numpy()[:, None]
            * active
            / (me - ms)[None, :]
        )
        counts = rng.poisson(lam)
        r_idx, m_idx = np.nonzero(counts)
        c = counts[r_idx, m_idx]
        rep = np.repeat(r_idx, c)
        mon = np.repeat(m_idx, c)
        t0 = a[rep, mon] + rng.random(len(rep)) * active[rep, mon]
        # office hours: creation between 08:00 and 18:00 of that day
        t0 = np.floor(t0) + (8 + 10 * rng.random(len(rep))) / 24
        order = np.argsort(t0, kind="stable")
        self.o_rep, self.o_t0 = rep[order], t0[order]
        self.o_tenure = (self.o_t0 - occ["hire_day"].to_numpy()[self.o_rep]) / 30.44
        self.lam_grid = (lam, ramp, active, ms, me)

    def _outcomes(self) -> None:
        p, rng = self.p, self.rng
        occ = self.occ
        rep, t0 = self.o_rep, self.o_t0
        n = len(rep)
        seat = occ["seat"].to_numpy()[rep]
        seg = occ["segment_idx"].to_numpy()[rep]
        # account in proportion to potential among the seat's accounts
        pot = self.acc_potential.astype(float) + 1.0
        cum = np.cumsum(pot)
        seat_first = np.searchsorted(self.acc_seat, np.arange(p.n_reps), side="left")
        seat_last = np.searchsorted(self.acc_seat, np.arange(p.n_reps), side="right") - 1
        lo = np.where(seat_first > 0, cum[np.maximum(seat_first - 1, 0)], 0.0)[seat]
        hi = cum[seat_last][seat]
        acc = np.searchsorted(cum, lo + rng.random(n) * (hi - lo), side="right")
        acc = np.clip(acc, seat_first[seat], seat_last[seat])
        # type, product, lead source
        type_cdf = np.cumsum([s.type_mix for s in p.segments], axis=1)
        otype = _categorical(rng, type_cdf, seg)
        prod_names = list(p.products)
        prod_cdf = np.cumsum([p.product_mix[s] for s in self.seg_names], axis=1)
        prod = _categorical(rng, prod_cdf / prod_cdf[:, -1:], seg)
        src_names = list(p.lead_sources)
        src_share = np.array([p.lead_sources[s][0] for s in src_names])
        src = rng.choice(len(src_names), n, p=src_share / src_share.sum())
        # amounts
        med = np.array([s.amount_median for s in p.segments])[seg]
        sd = np.array([s.amount_log_sd for s in p.segments])[seg]
        rnd = np.array([s.amount_rounding for s in p.segments], dtype=float)[seg]
        mult = np.array([p.products[x] for x in prod_names])[prod]
        amount0 = np.maximum(rnd, np.round(med * mult * np.exp(rng.normal(0, sd)) / rnd) * rnd)
        # funnel
        conv = np.array([s.stage_conversion for s in p.segments])
        days_med = np.array([s.stage_days_median for s in p.segments])
        days_sd = np.array([s.stage_days_log_sd for s in p.segments])
        d = np.exp(np.log(days_med[seg]) + days_sd[seg][:, None] * rng.standard_normal((n, 5)))
        t_entry = t0[:, None] + np.concatenate([np.zeros((n, 1)), np.cumsum(d, axis=1)], axis=1)
        due = t_entry[:, 5]
        qidx_due, _, _ = self._quarter_index(due)
        n_q = int(qidx_due.max()) + 1
        shocks = rng.normal(0, p.period_effect_sd, n_q)
        type_shift = np.array([p.type_logit_shift[t] for t in ("new", "expansion", "renewal")])[
            otype
        ]
        src_shift = np.array([p.lead_sources[s][1] for s in src_names])[src]
        skill = occ["skill"].to_numpy()[rep]
        eta = _logit(conv[seg]) + (skill + type_shift + src_shift)[:, None]
        eta[:, 3:] += shocks[qidx_due][:, None]
        prob = _sigmoid(eta)
        self.o_prob = prob  # advance probability of each deal-stage (the activity log's truth)
        adv = rng.random((n, 5)) < prob
        fail = np.where(adv.all(axis=1), 5, np.argmin(adv, axis=1))
        won = fail == 5
        p_win = prob.prod(axis=1)
        # close time: won at the end of Negotiation (quarter-end pull); lost part-way
        close_t = due.copy()
        _, _, qend = self._quarter_index(due)
        pull = won & (qend - due <= 30) & (rng.random(n) < p.quarter_end_pull)
        target = np.floor(qend - rng.uniform(0, 6, n)) + (9 + 8 * rng.random(n)) / 24
        close_t = np.where(pull, np.maximum(due, target), close_t)
        fi = np.minimum(fail, 4)
        lost_t = t_entry[np.arange(n), fi] + rng.uniform(0.2, 1.0, n) * d[np.arange(n), fi]
        close_t = np.where(won, close_t, lost_t)

        # duplicates: copies of random deals that go stale at Prospecting
        hyg = p.hygiene
        n_dup = rng.binomial(n, hyg.duplicate_rate)
        src_idx = np.sort(rng.choice(n, n_dup, replace=False))
        dup_t0 = t0[src_idx] + rng.uniform(0.1, 3.0, n_dup)

        def cat(x, y):
            return np.concatenate([x, y])

        self.n_main = n
        self.o_rep = cat(rep, rep[src_idx])
        self.o_t0 = cat(t0, dup_t0)
        self.o_seg = cat(seg, seg[src_idx])
        self.o_acc = cat(acc, acc[src_idx])
        self.o_type = cat(otype, otype[src_idx])
        self.o_prod = cat(prod, prod[src_idx])
        self.o_src = cat(src, src[src_idx])
        self.o_amount0 = cat(amount0, amount0[src_idx])
        self.o_fail = cat(fail, np.zeros(n_dup, dtype=fail.dtype))
        self.o_won = self.o_fail == 5
        self.o_pwin = cat(p_win, np.zeros(n_dup))
        self.o_tentry = np.concatenate([t_entry, np.repeat(dup_t0[:, None], 6, axis=1)])
        self.o_close_t = cat(close_t, dup_t0 + rng.uniform(10, 120, n_dup))
        self.o_dup_of = cat(np.full(n, -1), src_idx)
        self.o_pulled = cat(pull, np.zeros(n_dup, dtype=bool))
        self.o_qshock = cat(shocks[qidx_due], np.zeros(n_dup))
        N = len(self.o_rep)
        zombie = ~self.o_won & (rng.random(N) < hyg.zombie_rate)
        zombie[n:] = rng.random(n_dup) < 0.7
        self.o_zombie = zombie
        self.shocks = shocks

        self.truth_periods = pd.DataFrame(
            {"quarter": FiscalLabeler(self).labels(np.arange(n_q)), "logit_shift": shocks}
        )

    def _expected_productivity(self) -> np.ndarray:
        """Expected monthly bookings of a ramped average rep, per segment (truth)."""
        p = self.p
        out = np.zeros(len(p.segments))
        main = slice(0, self.n_main)
        for s, sp in enumerate(p.segments):
            m = self.o_seg[main] == s
            exp_win_amount = (
                float(np.mean(self.o_pwin[main][m] * self.o_amount0[main][m])) if m.any() else 0.0
            )
            exp_win_amount *= AMOUNT_DRIFT
            out[s] = sp.opps_per_rep_month * exp_win_amount
        return out

    def _quotas(self) -> None:
        p = self.p
        cal_quarters = FiscalLabeler(self).quarters()
        lam, ramp, active, ms, me = self.lam_grid
        prod = self._expected_productivity()
        self.expected_productivity = prod
        occ = self.occ
        seg = occ["segment_idx"].to_numpy()
        month_days = me - ms
        rows = []
        for q in cal_quarters:
            qs = float((q.start - self.start).days)
            qe = float((q.end - self.start).days) + 1
            in_q = (ms >= qs) & (ms < qe)
            if not in_q.any():
                continue
            # expected bookings share: ramp x active share of each month of the quarter
            share = (ramp[:, in_q] * active[:, in_q] / month_days[in_q][None, :]).sum(axis=1)
            amount = np.round(prod[seg] * share * p.quota_stretch, -3)
            has = amount > 0
            for rid, amt in zip(occ["rep_id"].to_numpy()[has], amount[has], strict=True):
                rows.append((rid, q.start, q.end, float(amt)))
        self.quotas = pd.DataFrame(rows, columns=["rep_id", "period_start", "period_end", "amount"])

    def _truth_segments(self) -> pd.DataFrame:
        p = self.p
        prod = getattr(self, "expected_productivity", self._expected_productivity())
        rows = []
        for s, sp in enumerate(p.segments):
            main = self.o_seg[: self.n_main] == s
            rows.append(
                {
                    "segment": sp.name,
                    "win_rate_from_creation": sp.win_rate_from_creation,
                    "mean_true_p_win": float(self.o_pwin[: self.n_main][main].mean())
                    if main.any()
                    else np.nan,
                    **{f"conversion_{STAGES[k]}": sp.stage_conversion[k] for k in range(5)},
                    **{f"median_days_{STAGES[k]}": sp.stage_days_median[k] for k in range(5)},
                    "stage_days_log_sd": sp.stage_days_log_sd,
                    "amount_median": sp.amount_median,
                    "amount_log_sd": sp.amount_log_sd,
                    "opps_per_rep_month": sp.opps_per_rep_month,
                    "expected_monthly_bookings_ramped_rep": float(prod[s]),
                }
            )
        return pd.DataFrame(rows)


class FiscalLabeler:
    """Maps the generator's quarter indexes to fiscal periods."""

    def __init__(self, g: _Generator):
        from ..periods import FiscalCalendar

        self.cal = FiscalCalendar(g.p.fiscal_year_start_month)
        self.first = self.cal.quarter(g.start - pd.Timedelta(days=g.p.burn_in_days))
        self.g = g

    def labels(self, idx: np.ndarray) -> list[str]:
        out, q = [], self.first
        for _ in range(int(np.max(idx)) + 1 if len(idx) else 0):
            out.append(q.label)
            q = self.cal.next(q)
        return [out[i] for i in idx]

    def quarters(self):
        return self.cal.quarters_between(self.g.start, self.g.end)
