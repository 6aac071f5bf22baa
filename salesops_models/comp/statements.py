"""Exact commission statements: line items per deal and rule, in Decimal, to the cent.

Rounding rule (one, documented): every line is computed in exact decimal arithmetic from
amounts taken to the cent, then rounded **half up to the cent**; a statement's total is the
sum of its lines, so lines always add up exactly to the total. Same inputs, same cents.

One engine runs the plan periods in order from the plan's start and carries one
:class:`CompState` across periods *and fiscal years*: what was paid for each deal after caps,
recoverable draw balances, deals already clawed back, and the fiscal year's basis for true-ups
and year-to-date plans. Running periods one at a time (passing ``state``) gives the same cents
as one run. Per rep and plan period, in order:

1. **clawback** lines for deals paid in earlier periods (and, after stage 3, for deals closed
   in this one): a deal cancelled or unpaid within its window (``clawback.days``, or per
   measure) gives back ``clawback.share`` of what was *paid for it after caps* (never more),
   in the period of the event, also across the fiscal-year end; the deal's credit leaves
   the year's attainment. With ``on_termination`` deals still inside their window are clawed
   back in the rep's last period;
2. **commission** lines per measure and credited deal (marginal: the deal's credit slices
   across tiers; retroactive: the whole credit at the rate of the tier reached;
   interpolated: at the rate interpolated between tier points; tiers restart per deal with
   ``per: transaction``), with the discount multiplier; a **gate** line if attainment stays
   below the gate (no commission); **cap** lines per deal bringing the measure to its payout
   cap (the last deals of the period are cut first, so a later clawback returns what the
   deal really paid). With ``attainment: ytd`` the deals sit on the year-to-date credit
   against the year-to-date quota, and a **ytd** line brings the measure to *YTD earned minus
   YTD paid* (when positive; an excess paid is carried and recovered from later earnings);
3. **spiff** lines (per qualifying deal, recorded as paid for the deal so a clawback returns
   them, or once when a milestone attainment is reached);
4. **draw** lines: inside the guarantee window (``draw.periods`` from hire; empty: every
   period) earnings below the draw are topped up; a recoverable draw's top-ups are a balance
   recovered from later earnings, carried across periods and years;
5. **true-up** at the end of the fiscal year (``annual_true_up``): the annual-basis payout of
   each measure (credit net of clawed-back deals) minus what the year's lines paid for it
   (net of clawbacks), when positive.

Credit: won deals closing in the period, owner credited 100% unless ``splits`` say otherwise
(percentages of kind ``split`` must add to exactly 100 per deal; kind ``overlay`` is credited on
top to overlay reps). Values: ACV (amount x 12 / term for multi-year deals) or TCV; margin =
amount x margin; new logos = first won deal of an account; renewals = renewal deals.
Proration: target incentive, a fixed quota *and quotas-table quotas* scale with the days of
the period the rep was active (hire, termination, leaves), so the commission rate stays the
plan's rate. Base salary is not in these statements.
"""

from __future__ import annotations

import gc
from contextlib import contextmanager

import pandas as pd

from ..crm import CRM
from ..periods import Period
from .crediting import _default_start, check_plan_inputs, credit_deals, plan_periods, plan_reps
from .inputs import CompInputs
from .parallel import Job, merge, run_job, worker_count
from .plan import Plan
from .result import StatementResult
from .state import CompState


def compute_statements(
    crm: CRM,
    plan: Plan,
    period,
    inputs: CompInputs | None = None,
    *,
    start=None,
    state: CompState | None = None,
    progress: bool = False,
    workers: int | None = None,
) -> StatementResult:
    """Statements of every rep on the plan for every plan period from ``start`` through
    ``period``, with one :class:`CompState` carried across periods and fiscal years.

    Parameters
    ----------
    period : label or Period
        The last plan period to compute.
    start : date, optional
        First day to compute; default the plan's ``effective_from``, else the start of the
        fiscal year of the first credited deal (balances before it are zero).
    state : CompState, optional
        The state a previous run returned (``result.state``): the run continues from the
        period after it, so running periods one at a time gives the same cents as one run.
    progress : bool
        Show a progress bar over the periods.
    workers : int, optional
        Processes sharing the reps (each rep's statements depend only on its own deals and
        balances, so the result is the same for any number). Default: two on a machine with
        two cores or more when there are at least ``PARALLEL_MIN_ROWS`` credited deal rows,
        else one.

    Examples
    --------
    >>> from salesops_models import config
    >>> from salesops_models.comp import load_plan
    >>> from salesops_models.synthetic import generate_org
    >>> crm = generate_org(n_reps=8, years=1, seed=1).crm
    >>> plan = load_plan(config.PROJECT_ROOT / "plans" / "ae_standard.yml")
    >>> res = compute_statements(crm, plan, "2026-Q2")        # Q1 and Q2 of the fiscal year
    >>> sum(res.lines["amount"]) == sum(res.totals["total"])  # Decimal cents, exactly
    True
    >>> q3 = compute_statements(crm, plan, "2026-Q3", state=res.state)  # Q3 only, continued
    >>> list(q3.totals["period"].unique())
    ['2026-Q3']
    """
    inputs = inputs or CompInputs()
    with _cyclic_gc_paused():
        return _compute(crm, plan, period, inputs, start, state, progress, workers)


@contextmanager
def _cyclic_gc_paused():
    """The engine builds millions of small acyclic objects (Decimals, tuples, line dicts);
    Python's cyclic collector would rescan them again and again (a quarter of the run time).
    Reference counting still frees them; the collector runs again afterwards."""
    was = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if was:
            gc.enable()


def _compute(crm, plan, period, inputs, start, state, progress, workers=None) -> StatementResult:
    check_plan_inputs(crm, plan)
    prepared = credit_deals(crm, plan, inputs)
    last = crm.period(period) if not isinstance(period, Period) else period
    if state is not None:
        state = state.copy()
        if state.next_start is None:
            raise ValueError("the state given has never run a period")
        first = state.next_start
    else:
        state = CompState()
        first = (
            pd.Timestamp(start)
            if start is not None
            else _default_start(crm, plan, prepared[1], last)
        )
    periods = plan_periods(crm, plan, last, start=first)
    reps = plan_reps(crm, plan)
    job = Job(crm, plan, inputs, prepared, periods, state, progress)
    parts = run_job(job, reps, worker_count(workers, len(prepared[1]), len(reps)))
    return merge(parts, periods, reps, state)
