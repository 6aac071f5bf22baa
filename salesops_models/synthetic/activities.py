"""The synthetic org's activity log: calls, emails, meetings, tasks, with known truth.

The model is :class:`~salesops_models.synthetic.params.ActivityParams` (read its docstring
first). Everything is drawn from its own random stream (``[seed, 19]``), after the deals, so
the CRM's other tables are the same with or without activities.

How the deal activities are drawn (exactly, without a day-by-deal grid): time is measured on
an *office clock* that runs only from 08:00 to 18:00 on working days (one unit per day). For
rep r on day d let ``lam[r, d]`` be the expected customer-facing activities of that day and
``W[r, d]`` the engagement weight of the deal-stages open then (office time they are open
that day x their weight). Deal-stage i of rep r receives activities as a Poisson process with
intensity ``w_i * kappa[r, d]`` on the office clock, ``kappa = deal_share * lam / max(W, 1)``,
and the rep's prospecting gets the rest, ``lam * (1 - deal_share * min(W, 1))``; so the rep's
expected customer-facing activities are ``lam`` whatever the pipeline, and the planted
selling-time share is the expected one. A deal-stage's count is Poisson with mean
``w_i * (F(b) - F(a))`` (F = the integrated intensity, a prefix sum over the rep's days) and
its times come from inverting F, all in one vectorized pass.

Reps are simulated in chunks of :data:`CHUNK_REPS`, each with its own random stream
(``[seed, 19, chunk]``), so memory stays bounded (1,000 reps x 3 years, about 11 million
activities, within the generator's 4 GB) and the same seed gives the same log on any machine.
Text columns are built as Arrow arrays from small vocabularies (no Python string per row).
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from ..runtime import release_memory
from ..schema import ACTIVITY_TYPES, CUSTOMER_FACING_TYPES, STAGES, TABLES

OFFICE_START, OFFICE_HOURS = 8.0 / 24, 10.0 / 24
_SUBJECTS = {
    "call": ("Call", "Discovery call", "Follow-up call", "Check-in call"),
    "email": ("Email: follow-up", "Email: intro", "Email: pricing", "Email: recap"),
    "meeting": ("Demo", "Meeting with buyer", "On-site meeting", "Business review"),
    "task": ("Update CRM", "Prepare proposal", "Research account", "Send contract"),
    "internal": ("Team meeting", "Pipeline review", "1:1 with manager", "Training"),
}
_OUTCOMES = {
    "call": (("connected", "voicemail", "no answer"), (0.5, 0.3, 0.2)),
    "email": (("sent",), (1.0,)),
    "meeting": (("held",), (1.0,)),
    "task": (("completed", "open"), (0.85, 0.15)),
    "internal": ((None,), (1.0,)),
}


def _sigmoid(x):
    return 1.0 / (1.0 + np.exp(-x))


def _office(t: np.ndarray) -> np.ndarray:
    """The office clock at time ``t`` (days): whole days plus the share of 08:00-18:00
    already past on the last one."""
    d = np.floor(t)
    return d + np.clip((t - d - OFFICE_START) / OFFICE_HOURS, 0.0, 1.0)


def engaged_probability(p: np.ndarray, advanced: np.ndarray, share: float, odds_ratio: float):
    """P(engaged | outcome) for deal-stages with marginal advance probability ``p``.

    Engagement is Bernoulli(``share``) and multiplies the odds of advancing by
    ``odds_ratio``: P(adv | low) = sigmoid(x), P(adv | high) = sigmoid(x + log OR), with x
    solved (bisection) so that share x P(adv | high) + (1 - share) x P(adv | low) = p. By
    Bayes, P(high | advanced) = share x P(adv | high) / p and P(high | not) = share x
    (1 - P(adv | high)) / (1 - p): drawing engagement from these after the outcome gives the
    same joint distribution as drawing it first.
    """
    beta = np.log(odds_ratio)
    lo, hi = np.full(p.shape, -40.0), np.full(p.shape, 40.0)
    for _ in range(60):
        mid = 0.5 * (lo + hi)
        f = share * _sigmoid(mid + beta) + (1 - share) * _sigmoid(mid) - p
        lo, hi = np.where(f < 0, mid, lo), np.where(f < 0, hi, mid)
    ph = _sigmoid(0.5 * (lo + hi) + beta)
    return np.where(advanced, share * ph / p, share * (1 - ph) / (1 - p))


def _lognormal_minutes(rng, mean: np.ndarray, sd: float) -> np.ndarray:
    x = rng.lognormal(np.log(mean) - 0.5 * sd**2, sd)
    return np.maximum(np.round(x), 1.0)


#: Reps simulated together (fixed, so the draws do not depend on the org's size).
CHUNK_REPS = 64


def simulate_activities(g) -> tuple[pd.DataFrame, dict[str, pd.DataFrame]]:
    """The activity table of generator ``g`` (after its deals) and the truth tables.

    Fills ``g.reps["weekly_hours"]``, adds ``weekly_hours``, ``selling_share`` and
    ``logging_week_rate`` to ``g.truth_reps``, and returns ``truth_engagement`` (every
    deal-stage: engaged, advanced) and ``truth_compliance`` (every deal that entered Proposal
    or later: when, planted non-compliant, eventual win).
    """
    ap = g.p.activities
    rng = np.random.default_rng([g.p.seed, 19])
    occ = g.occ
    R = len(occ)
    # --- reps: working time, selling share, logging ------------------------------------------
    weekly = rng.choice(
        np.asarray(ap.weekly_hours_choices, float),
        R,
        p=np.asarray(ap.weekly_hours_weights) / np.sum(ap.weekly_hours_weights),
    )
    m, sd = ap.selling_share_mean, ap.selling_share_sd
    k = m * (1 - m) / sd**2 - 1
    share = rng.beta(m * k, (1 - m) * k, R)
    low = rng.random(R) < ap.low_adopter_share
    week_rate = np.where(low, rng.uniform(*ap.low_adopter_week_rate, R), 1.0)
    reps = g.reps.set_index("id")
    reps.loc[occ["rep_id"].to_numpy(), "weekly_hours"] = weekly
    g.reps = reps.reset_index()
    g.truth_reps = g.truth_reps.assign(
        weekly_hours=weekly, selling_share=share, logging_week_rate=week_rate
    )
    term = np.nan_to_num(occ["term_day"].to_numpy(float), nan=np.inf)

    # --- deal-stage windows and their engagement -----------------------------------------------
    n = g.n_main
    fail = g.o_fail[:n]
    reached = np.arange(5)[None, :] <= np.minimum(fail, 4)[:, None]
    advanced = np.arange(5)[None, :] < fail[:, None]
    di, st = np.nonzero(reached)
    p_adv = g.o_prob[di, st]
    adv = advanced[di, st]
    p_eng = engaged_probability(p_adv, adv, ap.engaged_share, ap.advance_odds_ratio)
    engaged = rng.random(len(di)) < p_eng
    a = g.o_tentry[di, st]
    silence = rng.uniform(*ap.silence_days_before_loss, len(di))
    close = g.o_close_t[di]
    b = np.where(
        adv, g.o_tentry[di, np.minimum(st + 1, 5)], np.where(g.o_won[di], close, close - silence)
    )
    rep = g.o_rep[di]
    b = np.minimum(np.minimum(b, g.horizon), term[rep] + 1)
    a = np.maximum(a, 0.0)
    w = np.where(engaged, ap.engaged_weight, 1.0)
    truth_engagement = pd.DataFrame(
        {
            "opportunity_id": pd.Series(g.o_ids[di], dtype="str"),
            "stage": pd.Categorical.from_codes(st, STAGES[:5]),
            "engaged": engaged,
            "advanced": adv,
            "p_advance": p_adv,
        }
    )[g.o_created[di]].reset_index(drop=True)
    ok = b > a
    order = np.argsort(rep[ok], kind="stable")
    windows = {k_: v[ok][order] for k_, v in dict(deal=di, a=a, b=b, rep=rep, w=w).items()}

    # --- planted non-compliance: deals entering Proposal or later ------------------------------
    hist = g.history
    stage_pos = hist["stage"].map({s_: i for i, s_ in enumerate(STAGES)}).to_numpy()
    late = hist[(stage_pos >= 3) & (stage_pos <= 4)]
    entry = late.groupby("opportunity_id", sort=False)["changed_at"].min()
    opp_index = pd.Series(np.arange(len(g.o_ids)), index=g.o_ids)
    entered = opp_index.loc[entry.index].to_numpy()
    main = entered < n
    entered, entry = entered[main], entry[main.tolist()]
    won = g.o_won[entered]
    planted = rng.random(len(entered)) < np.where(
        won, ap.noncompliant_if_won, ap.noncompliant_if_lost
    )
    entry_day = (entry.to_numpy() - np.datetime64(g.start)) / np.timedelta64(1, "D")
    truth_compliance = pd.DataFrame(
        {
            "opportunity_id": g.o_ids[entered],
            "entered_proposal_at": entry.to_numpy(),
            "planted_noncompliant": planted,
            "will_win": won,
        }
    )
    order = np.argsort(g.o_rep[entered], kind="stable")
    entries = {"deal": entered[order], "day": entry_day[order], "planted": planted[order]}

    ctx = dict(weekly=weekly, share=share, week_rate=week_rate, term=term)
    parts = [
        _chunk(g, ctx, windows, entries, r0, min(R, r0 + CHUNK_REPS), [g.p.seed, 19, c])
        for c, r0 in enumerate(range(0, R, CHUNK_REPS))
    ]
    release_memory()
    out = _assemble(g, parts)
    return out, {"engagement": truth_engagement, "compliance": truth_compliance}


def _rows(sorted_rep: np.ndarray, r0: int, r1: int) -> slice:
    return slice(
        int(np.searchsorted(sorted_rep, r0, "left")), int(np.searchsorted(sorted_rep, r1, "left"))
    )


def _chunk(g, ctx, windows, entries, r0: int, r1: int, seed) -> dict[str, np.ndarray]:
    """Activities of reps ``r0 .. r1 - 1`` (codes and days; see :func:`_assemble`)."""
    ap = g.p.activities
    rng = np.random.default_rng(seed)
    occ = g.occ
    R, ND = r1 - r0, int(np.ceil(g.horizon))
    day = np.arange(ND)
    weekday = (g.start.day_of_week + day) % 7
    hire = np.floor(occ["hire_day"].to_numpy(float)[r0:r1])
    term = ctx["term"][r0:r1]
    working = (
        (weekday[None, :] < 5) & (day[None, :] >= hire[:, None]) & (day[None, :] <= term[:, None])
    )
    share = ctx["share"][r0:r1]
    daily_min = ctx["weekly"][r0:r1] * 60.0 / 5.0
    cf_types = list(ap.customer_facing_mix)
    cf_p = np.array([ap.customer_facing_mix[t] for t in cf_types])
    cf_p = cf_p / cf_p.sum()
    mean_cf = float(cf_p @ np.array([ap.duration_mean[t] for t in cf_types]))
    lam = np.where(working, (share * daily_min / mean_cf)[:, None], 0.0)  # R x ND

    sl = _rows(windows["rep"], r0, r1)
    deal, a, b, w = (windows[k][sl] for k in ("deal", "a", "b", "w"))
    rep = windows["rep"][sl] - r0
    # engagement weight open on each rep-day, on the office clock
    oa, ob = _office(a), _office(b)
    da, db = np.floor(a).astype(np.int64), np.floor(b).astype(np.int64)
    W = np.zeros(R * ND + 1)
    base = rep * ND
    same = da == db
    np.add.at(W, base[same] + da[same], w[same] * (ob[same] - oa[same]))
    x = ~same
    np.add.at(W, base[x] + da[x], w[x] * (da[x] + 1 - oa[x]))
    np.add.at(W, base[x] + np.minimum(db[x], ND), w[x] * (ob[x] - db[x]))  # 0 when b = ND
    full = np.zeros(R * ND + 1)
    np.add.at(full, base[x] + da[x] + 1, w[x])
    np.add.at(full, base[x] + db[x], -w[x])
    W = (W + np.cumsum(full))[: R * ND].reshape(R, ND) * working
    kappa = ap.deal_share * lam / np.maximum(W, 1.0)
    kflat = np.append(kappa.ravel(), 0.0)
    H = np.concatenate([[0.0], np.cumsum(kflat[:-1])])

    def F(t, r):
        d = np.floor(t).astype(np.int64)
        idx = r * ND + d
        return H[idx] + kflat[idx] * (_office(t) - d)

    Fa, Fb = F(a, rep), F(b, rep)
    cnt = rng.poisson(w * np.maximum(Fb - Fa, 0.0))
    src = np.repeat(np.arange(len(cnt)), cnt)
    y = Fa[src] + rng.random(len(src)) * (Fb - Fa)[src]
    idx = np.clip(np.searchsorted(H, y, side="right") - 1, 0, R * ND - 1)
    frac = np.clip((y - H[idx]) / np.where(kflat[idx] > 0, kflat[idx], 1.0), 0.0, 1.0 - 1e-9)
    t_deal = (idx - rep[src] * ND) + OFFICE_START + frac * OFFICE_HOURS
    t_deal = np.clip(t_deal, a[src], np.nextafter(b[src], -np.inf))
    deal_of = deal[src]

    # --- prospecting (customer-facing, no deal) and admin (not customer-facing) --------------
    def per_day(rate):
        c = rng.poisson(rate)
        r_, d_ = np.nonzero(c)
        rr = np.repeat(r_, c[r_, d_])
        t = np.repeat(d_, c[r_, d_]) + OFFICE_START + rng.random(len(rr)) * OFFICE_HOURS
        return rr, t

    p_rep, p_t = per_day(lam * (1.0 - ap.deal_share * np.minimum(W, 1.0)))
    ad_types = list(ap.admin_mix)
    ad_p = np.array([ap.admin_mix[t] for t in ad_types])
    ad_p = ad_p / ad_p.sum()
    mean_ad = float(ad_p @ np.array([ap.duration_mean[t] for t in ad_types]))
    admin_rate = ap.logged_admin_share * (1 - share) * daily_min / mean_ad
    a_rep, a_t = per_day(np.where(working, admin_rate[:, None], 0.0))

    # --- types, accounts ---------------------------------------------------------------------
    code = {t: i for i, t in enumerate(ACTIVITY_TYPES)}
    cf_codes = np.array([code[t] for t in cf_types], dtype=np.int8)
    ad_codes = np.array([code[t] for t in ad_types], dtype=np.int8)
    n_cf = len(deal_of) + len(p_rep)
    typ = np.concatenate(
        [
            cf_codes[rng.choice(len(cf_types), n_cf, p=cf_p)],
            ad_codes[rng.choice(len(ad_types), len(a_rep), p=ad_p)],
        ]
    )
    rep_all = np.concatenate([g.o_rep[deal_of] - r0, p_rep, a_rep])
    t_all = np.concatenate([t_deal, p_t, a_t])
    opp_all = np.concatenate([deal_of, np.full(len(p_rep) + len(a_rep), -1)])
    # prospecting: an account of the rep's seat, uniformly
    seat = occ["seat"].to_numpy()[r0:r1]
    first = np.searchsorted(g.acc_seat, np.arange(g.p.n_reps), side="left")
    last = np.searchsorted(g.acc_seat, np.arange(g.p.n_reps), side="right")
    s_p = seat[p_rep]
    n_acc = last[s_p] - first[s_p]
    pick_acc = np.floor(rng.random(len(p_rep)) * np.maximum(n_acc, 1)).astype(np.int64)
    acc_p = np.where(n_acc > 0, first[s_p] + pick_acc, -1)
    acc_all = np.concatenate([g.o_acc[deal_of], acc_p, np.full(len(a_rep), -1)])

    # --- process compliance --------------------------------------------------------------------
    # a compliant deal with no meeting before its entry takes the rep's last prospecting
    # meeting of the 30 days before it (with the deal's account): durations are untouched,
    # so the selling-time truth stays exact; a planted non-compliant deal's meetings before
    # its entry are unlinked from it (kept on its account)
    es = _rows(g.o_rep[entries["deal"]], r0, r1)
    entered, entry_day, planted = (entries[k][es] for k in ("deal", "day", "planted"))
    is_meeting = typ == code["meeting"]
    dm = np.flatnonzero(is_meeting & (opp_all >= 0))
    fm = pd.Series(t_all[dm]).groupby(opp_all[dm]).min()
    first_meet = fm.reindex(entered).fillna(np.inf).to_numpy()
    need = ~planted & (first_meet >= entry_day)
    cand = np.flatnonzero(is_meeting & (opp_all < 0) & (np.arange(len(t_all)) < n_cf))
    key = rep_all[cand] * 1e6 + t_all[cand]
    srt = np.argsort(key, kind="stable")
    cand, key = cand[srt], key[srt]
    d_need = entered[need]
    pos = np.searchsorted(key, (g.o_rep[d_need] - r0) * 1e6 + entry_day[need], side="left") - 1
    c = cand[np.maximum(pos, 0)] if len(cand) else np.zeros(len(d_need), dtype=np.int64)
    ok = (
        (pos >= 0)
        & (len(cand) > 0)
        & (rep_all[c] == g.o_rep[d_need] - r0)
        & (t_all[c] >= np.maximum(g.o_t0[d_need], entry_day[need] - 30.0))
    )
    c, d_need = c[ok], d_need[ok]
    c, first_use = np.unique(c, return_index=True)
    opp_all[c], acc_all[c] = d_need[first_use], g.o_acc[d_need[first_use]]
    cut = pd.Series(entry_day[planted], index=entered[planted])
    cut_of = cut.reindex(opp_all).fillna(-np.inf).to_numpy()
    strip = is_meeting & (opp_all >= 0) & (t_all < cut_of)
    opp_all = np.where(strip, -1, opp_all)

    # --- logging gaps, durations, outcomes, subjects, logging time -----------------------------
    week = (t_all.astype(np.int64) + g.start.day_of_week) // 7
    n_weeks = int(ND // 7 + 2)
    logged_week = rng.random((R, n_weeks)) < ctx["week_rate"][r0:r1][:, None]
    N = len(t_all)
    mean = np.array([ap.duration_mean.get(t, 1.0) for t in ACTIVITY_TYPES])[typ]
    dur = _lognormal_minutes(rng, mean, ap.duration_log_sd)
    missing = np.array([ap.missing_duration.get(t, 0.0) for t in ACTIVITY_TYPES])
    dur[rng.random(N) < missing[typ]] = np.nan
    outcome = np.full(N, -1, dtype=np.int8)
    u = rng.random(N)
    for j, tn in enumerate(ACTIVITY_TYPES):
        mj = typ == j
        vals, probs = _OUTCOMES[tn]
        k_ = np.minimum(np.searchsorted(np.cumsum(probs), u[mj]), len(vals) - 1)
        outcome[mj] = np.array([_OUTCOME_CODE[v] for v in vals], dtype=np.int8)[k_]
    subject = (typ.astype(np.int16) * 4 + rng.integers(0, 4, N)).astype(np.int16)
    lag = np.where(
        typ == code["meeting"],
        -rng.uniform(1, 10, N),  # scheduled ahead
        np.where(rng.random(N) < 0.1, rng.uniform(0, 3, N), rng.uniform(0, 0.02, N)),
    )
    created = t_all + lag
    keep = logged_week[rep_all, week] & (t_all < g.horizon) & (created < g.horizon)
    return {  # compact dtypes: the chunks of a large org are held until they are joined
        "rep": (rep_all[keep] + r0).astype(np.int32),
        "type": typ[keep],
        "t": t_all[keep],
        "duration": dur[keep].astype(np.float32),  # whole minutes
        "opp": opp_all[keep].astype(np.int32),
        "acc": acc_all[keep].astype(np.int32),
        "outcome": outcome[keep],
        "subject": subject[keep],
        "lag": (np.maximum(created[keep], 0.0) - t_all[keep]).astype(np.float32),
    }


_OUTCOME_VOCAB = sorted({v for vals, _ in _OUTCOMES.values() for v in vals if v is not None})
_OUTCOME_CODE = {v: i for i, v in enumerate(_OUTCOME_VOCAB)} | {None: -1}


def _assemble(g, parts: list[dict]) -> pd.DataFrame:
    """One table from the chunks, in order of start, ids ``A00000001...`` in that order.
    Columns are gathered one at a time and text is built as Arrow arrays from small
    vocabularies, which bounds the memory of a 10-million-row log."""
    import pyarrow as pa
    import pyarrow.compute as pc

    keys = list(parts[0])
    order = np.argsort(np.concatenate([p["t"] for p in parts]), kind="stable")
    cols = {}
    for k in keys:  # one column at a time: the chunks' copy is freed as it is joined
        cols[k] = np.concatenate([p.pop(k) for p in parts])[order]
    parts.clear()
    del order
    n = len(cols["t"])

    def text(vocab, codes):
        codes = np.asarray(codes)
        arr = pa.array(list(vocab), type=pa.string()).take(
            pa.array(np.maximum(codes, 0), mask=codes < 0)
        )
        return pd.Series(arr, dtype="str")

    def stamp(days):  # CRM clocks tick in seconds; 17:59:59.6 is 17:59:59
        secs = np.floor(days * 86_400).astype("int64").astype("timedelta64[s]")
        return pd.Series(np.datetime64(g.start, "s") + secs).astype("datetime64[ns]")

    width = max(8, len(str(n)))
    ids = pc.binary_join_element_wise(
        "A", pc.utf8_lpad(pc.cast(pa.array(np.arange(1, n + 1)), pa.string()), width, "0"), ""
    )
    subjects = [s_ for t in ACTIVITY_TYPES for s_ in _SUBJECTS[t]]
    out = pd.DataFrame(
        {
            "id": pd.Series(ids, dtype="str"),
            "rep_id": text(g.occ["rep_id"].to_numpy(), cols.pop("rep")),
            "type": text(ACTIVITY_TYPES, cols["type"]),
            "start": stamp(cols["t"]),
            "duration_minutes": cols.pop("duration").astype(np.float64),
            "opportunity_id": text(g.o_ids, cols.pop("opp")),
            "account_id": text(g.accounts["id"].to_numpy(), cols.pop("acc")),
            "customer_facing": np.isin(
                cols.pop("type"), [ACTIVITY_TYPES.index(t) for t in CUSTOMER_FACING_TYPES]
            ),
            "outcome": text(_OUTCOME_VOCAB, cols.pop("outcome")),
            "subject": text(subjects, cols.pop("subject")),
            "created_at": stamp(cols.pop("t") + cols.pop("lag")),
        }
    )
    assert list(out.columns) == [c.name for c in TABLES["activities"]]
    return out
