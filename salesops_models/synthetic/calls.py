"""A synthetic forecast call with planted calling behaviours (the demo's and the tests' truth).

Every AE and manager of a generated org calls the quarter every Monday, in its own random
stream (the org's other tables are unchanged). A forecaster ``f`` with scope ``S`` (an AE's
own deals, a manager's whole subtree) calls, in week ``w = 1..13`` of quarter ``q``::

    log MostLikely[f, q, w] = log A[S, q] + log b_f + h_w (u[f, q] + e[f, q, w])
    h_w = (14 - w) / 13,   u ~ N(0, s_f / 2),   e ~ N(0, s_f)

``A`` is the scope's actual bookings of the quarter, ``b_f`` the planted **bias factor**
(call / actual: below 1 sandbags, above 1 over-calls), ``s_f`` the forecaster's noise; the
quarter term ``u`` is the judgment a forecaster carries from week to week, and ``h_w`` makes
calls tighten as the quarter goes on. A quarter whose actual is zero is called at the
forecaster's trailing mean (such quarters say nothing about the bias).

Categories: ``Closed`` (won so far), ``Commit = Closed + c_f x max(MostLikely - Closed, 0)``
(``c_f`` in 0.6-0.8: conservative by definition), ``Best Case = MostLikely x r_f``
(``r_f`` in 1.10-1.25). A forecaster misses a week with probability ``m_f``.

Behaviours (``truth_forecasters``): AEs are ``sandbagger`` (b 0.75-0.88, about 20%),
``over-caller`` (b 1.12-1.30, about 15%), ``noisy`` (accurate, b 0.98-1.02, s 0.30-0.40) or
``accurate`` (b 0.98-1.02, s 0.06-0.15); first-line managers are ``accurate`` except one who
``haircuts`` (b 0.85-0.90) and one who ``inflates`` (b 1.12-1.18); managers also adjust
their reps' numbers (the haircutter by x0.9, the inflater by x1.1, the others now and then).
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from ..crm import CRM, rep_scopes

#: weeks of a quarter with a call (Mondays from the quarter's first)
WEEKS = 13
#: the random stream of the calls (beside the org's seed)
STREAM = 0xCA11


def _behaviours(reps: pd.DataFrame, rng: np.random.Generator) -> pd.DataFrame:
    """One planted behaviour per forecaster (see the module docstring)."""
    n = len(reps)
    is_ae = (reps["role"] == "AE").to_numpy()
    first_line = (reps["role"] == "Manager").to_numpy() & reps["manager_id"].notna().to_numpy()
    u = rng.random(n)
    behaviour = np.where(
        u < 0.20,
        "sandbagger",
        np.where(u < 0.35, "over-caller", np.where(u < 0.55, "noisy", "accurate")),
    )
    behaviour = np.where(is_ae, behaviour, "accurate")
    managers = np.flatnonzero(first_line)
    if len(managers) >= 2:
        pick = rng.choice(managers, 2, replace=False)
        behaviour[pick[0]], behaviour[pick[1]] = "haircuts", "inflates"
    lo = {"sandbagger": 0.75, "over-caller": 1.12, "haircuts": 0.85, "inflates": 1.12}
    hi = {"sandbagger": 0.88, "over-caller": 1.30, "haircuts": 0.90, "inflates": 1.18}
    b = np.array([rng.uniform(lo.get(k, 0.98), hi.get(k, 1.02)) for k in behaviour], dtype=float)
    noise = np.where(
        behaviour == "noisy",
        rng.uniform(0.30, 0.40, n),
        np.where(is_ae, rng.uniform(0.06, 0.15, n), rng.uniform(0.04, 0.08, n)),
    )
    return pd.DataFrame(
        {
            "forecaster_id": reps["id"].to_numpy(),
            "role": reps["role"].to_numpy(),
            "behaviour": behaviour,
            "bias_factor": b,
            "noise_sd": noise,
            "miss_rate": np.where(
                rng.random(n) < 0.2, rng.uniform(0.1, 0.3, n), rng.uniform(0, 0.05, n)
            ),
            "commit_share": rng.uniform(0.6, 0.8, n),
            "best_case_ratio": rng.uniform(1.10, 1.25, n),
        }
    )


def _quarters(crm: CRM) -> list:
    cal = crm.calendar
    q, out = cal.quarter(crm.data_start), []
    while q.start <= crm.data_end:
        out.append(q)
        q = cal.next(q)
    return out


def simulate_calls(crm: CRM, seed: int) -> tuple[pd.DataFrame, pd.DataFrame]:
    """``(forecast_calls, truth_forecasters)`` of ``crm`` (see the module docstring): the
    Mondays of every quarter of the history up to the data's last day."""
    rng = np.random.default_rng([seed, STREAM])
    reps = crm.reps.sort_values("id", kind="stable").reset_index(drop=True)
    reps = reps[reps["role"].isin(["AE", "Manager"])].reset_index(drop=True)
    truth = _behaviours(reps, rng)
    scope = rep_scopes(crm.reps)
    won = crm.opportunities[crm.opportunities["is_won"] & crm.opportunities["close_date"].notna()]
    owner = won["owner_rep_id"].to_numpy()
    close_ns = won["close_date"].to_numpy("datetime64[ns]")
    amount = won["amount"].fillna(0).to_numpy(float)
    quarters = _quarters(crm)
    q_edges = np.array([q.start for q in quarters] + [quarters[-1].end_exclusive], "datetime64[ns]")
    rows = []
    for k, f in enumerate(reps["id"]):
        t = truth.iloc[k]
        mine = np.isin(owner, scope.get(f, []))
        order = np.argsort(close_ns[mine], kind="stable")
        days, cum = close_ns[mine][order], np.r_[0.0, np.cumsum(amount[mine][order])]

        def won_before(when, days=days, cum=cum) -> float:  # the scope's won before ``when``
            return float(cum[np.searchsorted(days, np.datetime64(when, "ns"), side="left")])

        edges = [won_before(e) for e in q_edges]
        actuals = np.diff(edges)
        u_q = rng.normal(0.0, t["noise_sd"] / 2, len(quarters))
        hired, left = reps.loc[k, "hire_date"], reps.loc[k, "termination_date"]
        for j, q in enumerate(quarters):
            if pd.notna(hired) and hired > q.start + pd.Timedelta(days=14):
                continue
            if pd.notna(left) and left < q.end:
                continue
            past = [x for x in actuals[max(0, j - 4) : j] if x > 0]
            base = actuals[j] if actuals[j] > 0 else float(np.mean(past) if past else 0.0)
            mondays = pd.date_range(q.start, q.end, freq="W-MON")[:WEEKS]
            e = rng.normal(0.0, t["noise_sd"], len(mondays))
            miss = rng.random(len(mondays)) < t["miss_rate"]
            minutes = rng.integers(8 * 60, 11 * 60, len(mondays))
            for w, day in enumerate(mondays, start=1):
                if day > crm.data_end or miss[w - 1] or base <= 0:
                    continue
                h = (14 - w) / 13
                closed = won_before(day) - edges[j]
                ml = base * t["bias_factor"] * np.exp(h * (u_q[j] + e[w - 1]))
                when = day + pd.Timedelta(minutes=int(minutes[w - 1]))
                for cat, value in (
                    ("Closed", closed),
                    ("Commit", closed + t["commit_share"] * max(ml - closed, 0.0)),
                    ("Most Likely", ml),
                    ("Best Case", ml * t["best_case_ratio"]),
                ):
                    rows.append((when, f, q.label, cat, round(value, 2), "own", None))
    calls = pd.DataFrame(
        rows,
        columns=[
            "submitted_at",
            "forecaster_id",
            "period",
            "category",
            "amount",
            "kind",
            "adjusted_id",
        ],
    )
    calls = pd.concat([calls, _adjustments(calls, reps, truth, rng)], ignore_index=True)
    calls["note"] = None
    calls["source"] = "synthetic"
    return calls.sort_values(["submitted_at", "forecaster_id", "kind"], kind="stable").reset_index(
        drop=True
    ), truth


def _adjustments(calls: pd.DataFrame, reps: pd.DataFrame, truth: pd.DataFrame, rng) -> pd.DataFrame:
    """Managers' adjustments of their direct reports' Most Likely numbers (one hour after the
    rep's call): the haircutter x0.9 every week, the inflater x1.1, the others about one call
    in ten by x0.9-1.1."""
    behaviour = dict(zip(truth["forecaster_id"], truth["behaviour"], strict=True))
    manager = dict(zip(reps["id"], reps["manager_id"], strict=True))
    ml = calls[(calls["category"] == "Most Likely") & (calls["kind"] == "own")]
    mgr = ml["forecaster_id"].map(manager)
    ml = ml[
        mgr.notna().to_numpy()
        & (
            ml["forecaster_id"].map(dict(zip(reps["id"], reps["role"], strict=True))) == "AE"
        ).to_numpy()
    ]
    mgr = ml["forecaster_id"].map(manager).to_numpy()
    kind = np.array([behaviour.get(m, "accurate") for m in mgr])
    factor = np.where(
        kind == "haircuts", 0.9, np.where(kind == "inflates", 1.1, rng.uniform(0.9, 1.1, len(ml)))
    )
    keep = (kind != "accurate") | (rng.random(len(ml)) < 0.1)
    out = pd.DataFrame(
        {
            "submitted_at": ml["submitted_at"].to_numpy() + np.timedelta64(1, "h"),
            "forecaster_id": mgr,
            "period": ml["period"].to_numpy(),
            "category": "Most Likely",
            "amount": np.round(ml["amount"].to_numpy() * factor, 2),
            "kind": "adjustment",
            "adjusted_id": ml["forecaster_id"].to_numpy(),
        }
    )
    return out[keep].reset_index(drop=True)
