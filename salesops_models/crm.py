"""The :class:`CRM`: the five canonical tables, the as-of pipeline and period helpers.

``opportunity_history`` holds one row per change with the state *after* the change (stage,
amount, close date, forecast category), the first row being the state at creation. The
pipeline as it stood at any past moment is therefore rebuilt exactly by taking, for every
opportunity created by then, its last history row at or before that moment: no later edit
leaks into the view (Salesforce's "historical trending" semantics).
"""

from __future__ import annotations

import hashlib
from collections import OrderedDict
from contextlib import contextmanager
from dataclasses import dataclass, field

import numpy as np
import pandas as pd
import pandera.errors

from . import config
from .periods import RELATIVE_PERIODS, FiscalCalendar, Period, resolve_period
from .schema import (
    CLOSED_STAGES,
    CRM_TABLE_NAMES,
    OPTIONAL_TABLE_NAMES,
    SCHEMAS,
    STAGE_ORDER,
    TABLE_NAMES,
    WON_STAGE,
    conform,
    empty_table,
)

#: Columns of the opportunity that are not historized (taken from ``opportunities``).
STATIC_OPPORTUNITY_COLUMNS = (
    "id",
    "account_id",
    "owner_rep_id",
    "name",
    "type",
    "product",
    "lead_source",
    "created_date",
)


def as_of_cutoff(when) -> pd.Timestamp:
    """Exclusive upper bound for changes visible "as of" ``when``.

    A bare date means the end of that day (everything changed on that day is visible); a
    timestamp with a time of day is taken literally (changes at or before it).
    """
    ts = pd.Timestamp(when)
    if ts.tzinfo is not None:
        ts = ts.tz_convert(None)
    if ts == ts.normalize():
        return ts + pd.Timedelta(days=1)
    return ts + pd.Timedelta(microseconds=1)


@dataclass
class CRM:
    """Holds the canonical tables of one CRM org.

    Parameters
    ----------
    reps, accounts, opportunities, opportunity_history, quotas : pandas.DataFrame
        Tables in the canonical model (see :mod:`salesops_models.schema`).
    fiscal_year_start_month : int
        First month of the fiscal year (1 = calendar year).
    meta : dict
        Free-form provenance (source, generator parameters, load notes).
    activities : pandas.DataFrame, optional
        Calls, emails, meetings, tasks (:data:`~salesops_models.schema.OPTIONAL_TABLES`);
        ``None`` = the CRM has none (:attr:`has_activities` is False).

    Examples
    --------
    >>> from salesops_models.synthetic import generate_org
    >>> crm = generate_org(n_reps=8, years=1, seed=1).crm
    >>> snap = crm.as_of("2026-06-30")
    >>> bool((snap["created_date"] <= "2026-06-30").all())
    True
    """

    reps: pd.DataFrame
    accounts: pd.DataFrame
    opportunities: pd.DataFrame
    opportunity_history: pd.DataFrame
    quotas: pd.DataFrame
    fiscal_year_start_month: int = config.FISCAL_YEAR_START_MONTH
    meta: dict = field(default_factory=dict)
    activities: pd.DataFrame | None = None
    _sorted_history: pd.DataFrame | None = field(default=None, init=False, repr=False)
    _snapshots: OrderedDict | None = field(default=None, init=False, repr=False, compare=False)
    _snapshot_slots: int = field(default=0, init=False, repr=False, compare=False)

    def _repr_html_(self) -> str:
        """A compact card for JupyterLab (:mod:`salesops_models.display`)."""
        from .display import crm_card

        return crm_card(self)

    def __post_init__(self) -> None:
        for name in OPTIONAL_TABLE_NAMES:
            if getattr(self, name) is None:
                setattr(self, name, empty_table(name))
        for name in CRM_TABLE_NAMES:
            setattr(self, name, conform(name, getattr(self, name)))

    # --- tables -------------------------------------------------------------------------
    @property
    def tables(self) -> dict[str, pd.DataFrame]:
        """Every CRM table by name (the optional ``activities`` too, empty when there are
        none)."""
        return {name: getattr(self, name) for name in CRM_TABLE_NAMES}

    @property
    def has_activities(self) -> bool:
        """Whether the CRM logs activities (calls, emails, meetings, tasks)."""
        return len(self.activities) > 0

    def activities_as_of(self, when) -> pd.DataFrame:
        """Activities logged by ``when`` (known from ``created_at``, else their start; a
        meeting scheduled ahead is known before it happens).

        Examples
        --------
        >>> from salesops_models.synthetic import generate_org
        >>> crm = generate_org(n_reps=4, years=1, seed=1).crm
        >>> a = crm.activities_as_of("2026-03-31")
        >>> bool((a["created_at"] < "2026-04-01").all())
        True
        """
        a = self.activities
        known = a["created_at"].fillna(a["start"])
        return a[known < as_of_cutoff(when)].reset_index(drop=True)

    @property
    def calendar(self) -> FiscalCalendar:
        return FiscalCalendar(self.fiscal_year_start_month)

    def period(self, label) -> Period:
        """A fiscal period by label (``2026-Q3``, ``FY2027-Q1``, ``2026-07``), a Period, or
        a relative name (``current quarter``, ``previous quarter``, ``next quarter``,
        ``current month``, ``previous month``) taken at the data's last day."""
        if isinstance(label, str) and label.strip().lower() in RELATIVE_PERIODS:
            return resolve_period(label, self.data_end, self.calendar)
        return self.calendar.period(label)

    def breakdown(self, preferred: str = "region") -> str | None:
        """The rep column to break results down by: ``preferred`` if the reps differ in it,
        else the first of region, team and segment that they do (an export without regions
        still gets a breakdown, not one "(none)" row), else None."""
        for col in dict.fromkeys((preferred, "region", "team", "segment")):
            if col in self.reps and self.reps[col].dropna().nunique() > 1:
                return col
        return None

    def quarter(self, date) -> Period:
        return self.calendar.quarter(date)

    @property
    def data_start(self) -> pd.Timestamp:
        return self.opportunities["created_date"].min()

    @property
    def history_start(self) -> pd.Timestamp:
        """The first day from which the extract records every deal: the data's first day,
        or the day of the first close when no deal closes until more than
        :data:`TRUNCATION_GAP_DAYS` after the first one was created.

        An extract cut at its start keeps only the deals still open on the cut day (the
        Maven sample has deals created from 2016-10-20 but no close before 2017-03-01): before
        that day creations are undercounted (a ramp-up that never happened) and the deals
        present are the survivors (left truncation). The backtest's naive baselines count
        only quarters from this day (the forecast model does not use it yet: delayed entry
        and arrivals counted from it made Maven's day-1 forecast worse, see the README). An
        org's own CRM closes its first deal days after the first creation, and this is its
        first day.
        """
        o = self.opportunities
        first = self.data_start
        closed = o.loc[o["is_closed"].astype(bool), "close_date"].dropna()
        if closed.empty:
            return first
        first_close = closed.min().normalize()
        return first_close if (first_close - first).days > TRUNCATION_GAP_DAYS else first

    @property
    def data_end(self) -> pd.Timestamp:
        """The last day with any recorded change (the extract date of the data)."""
        return self.opportunity_history["changed_at"].max().normalize()

    def summary(self) -> pd.DataFrame:
        """Row counts per table (``activities`` only when the CRM has some)."""
        names = [t for t in CRM_TABLE_NAMES if t in TABLE_NAMES or len(getattr(self, t))]
        return pd.DataFrame({"table": names, "rows": [len(getattr(self, t)) for t in names]})

    def fingerprint(self) -> str:
        """A short content hash of all tables (changes when any value changes; an empty
        optional table hashes as if absent)."""
        h = hashlib.sha256()
        for name in CRM_TABLE_NAMES:
            df = getattr(self, name)
            if name not in TABLE_NAMES and df.empty:
                continue
            h.update(name.encode())
            h.update(str(len(df)).encode())
            if len(df):
                h.update(pd.util.hash_pandas_object(df, index=False).to_numpy().tobytes())
        return h.hexdigest()[:16]

    # --- history ------------------------------------------------------------------------
    def _history(self) -> pd.DataFrame:
        if self._sorted_history is None:
            h = self.opportunity_history
            order = np.lexsort((h["changed_at"].to_numpy(), h["opportunity_id"].to_numpy()))
            self._sorted_history = h.iloc[order].reset_index(drop=True)
        return self._sorted_history

    def as_of(self, when, *, include_closed: bool = True) -> pd.DataFrame:
        """The opportunities as they stood at ``when``, rebuilt from history.

        Returns one row per opportunity created on or before ``when`` with the static fields
        (account, owner, type, product, ...) and the historized ones as of then (stage,
        amount, close_date, forecast_category, is_closed, is_won), plus:

        - ``last_changed_at``: time of the last change at or before ``when`` (staleness);
        - ``stage_entered_at``: when the deal entered its stage of that moment;
        - ``push_count``: how many times the close date had been moved later by then.

        Parameters
        ----------
        when : date-like
            A date (end of that day) or a timestamp.
        include_closed : bool
            False keeps only deals open at ``when``.
        """
        cutoff = as_of_cutoff(when)
        if self._snapshots is not None:
            if cutoff in self._snapshots:
                self._snapshots.move_to_end(cutoff)
            else:
                self._snapshots[cutoff] = self._snapshot(cutoff)
                if len(self._snapshots) > self._snapshot_slots:
                    self._snapshots.popitem(last=False)
            out = self._snapshots[cutoff].copy()
        else:
            out = self._snapshot(cutoff)
        out["as_of"] = pd.Timestamp(when)
        if not include_closed:
            out = out[~out["is_closed"]]
        return out.reset_index(drop=True)

    def _snapshot(self, cutoff: pd.Timestamp) -> pd.DataFrame:
        """Every opportunity created before ``cutoff`` in its state of that moment."""
        h = self._history()
        visible = h[h["changed_at"] < cutoff]
        if visible.empty:
            state = visible.assign(
                last_changed_at=pd.Series(dtype="datetime64[ns]"),
                stage_entered_at=pd.Series(dtype="datetime64[ns]"),
                push_count=pd.Series(dtype="int64"),
            )
        else:
            state = _last_state(visible)
        opps = self.opportunities
        static = opps.loc[opps["created_date"] < cutoff, list(STATIC_OPPORTUNITY_COLUMNS)]
        out = static.merge(
            state.rename(columns={"opportunity_id": "id"}), on="id", how="inner", validate="1:1"
        )
        out["is_closed"] = out["stage"].isin(CLOSED_STAGES)
        out["is_won"] = out["stage"] == WON_STAGE
        return out.reset_index(drop=True)

    @contextmanager
    def cached_snapshots(self, max_rows: int = 2_000_000):
        """Inside this block :meth:`as_of` keeps its most recent snapshots.

        Analyses that ask for the same quarter ends and trend dates again and again (the
        health scorecard: 83 calls, 24 distinct dates on the sample org) rebuild each only
        once. At most about ``max_rows`` opportunity rows are kept (4-32 snapshots), which
        bounds memory on large orgs. Callers get copies; the tables must not change inside
        the block. Nested blocks share the outer cache.
        """
        if self._snapshots is not None:
            yield self
            return
        self._snapshot_slots = max(4, min(32, max_rows // max(len(self.opportunities), 1)))
        self._snapshots = OrderedDict()
        try:
            yield self
        finally:
            self._snapshots = None

    # --- people -------------------------------------------------------------------------
    def active_reps(self, as_of, role: str | tuple[str, ...] | None = "AE") -> pd.DataFrame:
        """Reps employed on ``as_of`` (in ``role``; ``None`` = any role).

        Employed means hired on or before the day (an unknown hire date counts as hired) and
        not yet gone: the termination date is the last day worked, so a rep leaving on
        ``as_of`` is still active that day (the convention the comp statements prorate
        with).

        Examples
        --------
        >>> from salesops_models.synthetic import generate_org
        >>> crm = generate_org(n_reps=8, years=1, seed=1).crm
        >>> set(crm.active_reps("2026-06-30")["role"])
        {'AE'}
        """
        day = pd.Timestamp(as_of).normalize()
        r = self.reps
        keep = (r["hire_date"].isna() | (r["hire_date"] <= day)) & (
            r["termination_date"].isna() | (r["termination_date"] >= day)
        )
        if role is not None:
            keep &= r["role"].isin([role] if isinstance(role, str) else list(role))
        return r[keep]

    def trailing_bookings(self, before, months: int = 12) -> float:
        """Closed-won amount in the ``months`` whole calendar months before ``before``'s
        month (the base of a "last year x (1 + growth)" target).

        Examples
        --------
        >>> from salesops_models.synthetic import generate_org
        >>> crm = generate_org(n_reps=8, years=1, seed=1).crm
        >>> crm.trailing_bookings("2026-07") >= crm.bookings("2026-Q2")
        True
        """
        start = pd.Period(pd.Timestamp(before), freq="M")
        first, last = (start - months).start_time, (start - 1).end_time.normalize()
        o = self.opportunities
        return float(o.loc[o["is_won"] & o["close_date"].between(first, last), "amount"].sum())

    def pipeline(self, when, period=None) -> pd.DataFrame:
        """Open deals as of ``when``; with ``period``, only those expected to close in it."""
        snap = self.as_of(when, include_closed=False)
        if period is not None:
            p = self.period(period)
            snap = snap[p.contains(snap["close_date"]) & snap["close_date"].notna()]
        return snap.reset_index(drop=True)

    def bookings(self, period, *, by: str | list[str] | None = None):
        """Closed-won amount with a close date inside ``period`` (current data)."""
        p = self.period(period)
        o = self.opportunities
        won = o[o["is_won"] & o["close_date"].between(p.start, p.end)]
        if by is None:
            return float(won["amount"].sum())
        return won.groupby(by)["amount"].sum()

    # --- validation ---------------------------------------------------------------------
    def validate(self, *, raise_on_error: bool = False) -> pd.DataFrame:
        """Check every table against its schema and the cross-table rules.

        Returns a frame of problems (``table, check, column, row, value``), empty when the
        CRM is valid. Cross-table rules: foreign keys resolve, every opportunity has history
        starting no earlier than its creation day, and the last history row agrees with the
        opportunity's current stage, amount and close date.
        """
        problems: list[dict] = []
        for name in CRM_TABLE_NAMES:
            try:
                SCHEMAS[name].validate(getattr(self, name), lazy=True)
            except pandera.errors.SchemaErrors as exc:
                fc = exc.failure_cases
                for r in fc.itertuples(index=False):
                    problems.append(
                        {
                            "table": name,
                            "check": str(r.check),
                            "column": None if pd.isna(r.column) else str(r.column),
                            "row": None if pd.isna(r.index) else int(r.index),
                            "value": None if pd.isna(r.failure_case) else str(r.failure_case),
                        }
                    )
        problems += _referential_problems(self)
        problems += _history_problems(self)
        out = pd.DataFrame(problems, columns=["table", "check", "column", "row", "value"])
        if raise_on_error and len(out):
            raise ValueError(f"CRM is invalid ({len(out)} problems):\n{out.head(20)}")
        return out


def _last_state(h: pd.DataFrame) -> pd.DataFrame:
    """Last row per opportunity of a history sorted by (opportunity_id, changed_at).

    Adds ``last_changed_at``, ``stage_entered_at`` and ``push_count`` (number of rows whose
    close date is later than the previous row's), computed in one O(n) pass.
    """
    opp = h["opportunity_id"].to_numpy()
    n = len(opp)
    same_as_prev = np.zeros(n, dtype=bool)
    same_as_prev[1:] = opp[1:] == opp[:-1]
    close = h["close_date"].to_numpy("datetime64[ns]")
    prev_close = np.empty_like(close)
    prev_close[0] = np.datetime64("NaT")
    prev_close[1:] = close[:-1]
    pushed = same_as_prev & (close > prev_close)  # NaT comparisons are False
    group_start = np.flatnonzero(~same_as_prev)
    csum = np.cumsum(pushed)
    group_id = np.cumsum(~same_as_prev) - 1
    base = csum[group_start] - pushed[group_start]
    push_count = csum - base[group_id]
    stage = h["stage"].to_numpy()
    new_run = ~same_as_prev
    new_run[1:] |= stage[1:] != stage[:-1]
    changed = h["changed_at"].to_numpy("datetime64[ns]")
    run_start_idx = np.maximum.accumulate(np.where(new_run, np.arange(n), 0))
    last = np.ones(n, dtype=bool)
    last[:-1] = opp[1:] != opp[:-1]
    out = h.loc[last, ["opportunity_id", "stage", "amount", "close_date", "forecast_category"]]
    out = out.assign(
        last_changed_at=changed[last],
        stage_entered_at=changed[run_start_idx[last]],
        push_count=push_count[last].astype("int64"),
    )
    return out.reset_index(drop=True)


def _fk(child: pd.DataFrame, col: str, parent: pd.DataFrame, table: str, parent_name: str):
    vals = child[col]
    bad = vals.notna() & ~vals.isin(parent["id"])
    return [
        {
            "table": table,
            "check": f"{col} must exist in {parent_name}.id",
            "column": col,
            "row": int(i),
            "value": str(v),
        }
        for i, v in vals[bad].items()
    ]


def _referential_problems(crm: CRM) -> list[dict]:
    p = []
    p += _fk(crm.reps, "manager_id", crm.reps, "reps", "reps")
    p += _fk(crm.accounts, "owner_rep_id", crm.reps, "accounts", "reps")
    p += _fk(crm.opportunities, "account_id", crm.accounts, "opportunities", "accounts")
    p += _fk(crm.opportunities, "owner_rep_id", crm.reps, "opportunities", "reps")
    p += _fk(crm.quotas, "rep_id", crm.reps, "quotas", "reps")
    p += _fk(crm.activities, "rep_id", crm.reps, "activities", "reps")
    p += _fk(crm.activities, "opportunity_id", crm.opportunities, "activities", "opportunities")
    p += _fk(crm.activities, "account_id", crm.accounts, "activities", "accounts")
    hist = crm.opportunity_history.rename(columns={"opportunity_id": "_oid"})
    p += _fk(hist, "_oid", crm.opportunities, "opportunity_history", "opportunities")
    for d in p:
        if d["column"] == "_oid":
            d["column"] = "opportunity_id"
            d["check"] = "opportunity_id must exist in opportunities.id"
    return p


def _history_problems(crm: CRM) -> list[dict]:
    opps = crm.opportunities
    if opps.empty:
        return []
    h = crm._history()
    first = h.drop_duplicates("opportunity_id", keep="first").set_index("opportunity_id")
    last = h.drop_duplicates("opportunity_id", keep="last").set_index("opportunity_id")
    o = opps.set_index("id")
    problems = []
    missing = o.index[~o.index.isin(first.index)]
    for oid in missing[:1000]:
        problems.append(
            {
                "table": "opportunity_history",
                "check": "every opportunity has at least one history row",
                "column": "opportunity_id",
                "row": None,
                "value": str(oid),
            }
        )
    common = o.index[o.index.isin(first.index)]
    early = first.loc[common, "changed_at"].dt.normalize() < o.loc[common, "created_date"]
    for oid in early[early].index[:1000]:
        problems.append(
            {
                "table": "opportunity_history",
                "check": "first history row is not before created_date",
                "column": "changed_at",
                "row": None,
                "value": str(oid),
            }
        )
    for col in ("stage", "amount", "close_date"):
        a = o.loc[common, col]
        b = last.loc[common, col]
        differ = ~((a == b) | (a.isna() & b.isna()))
        for oid in differ[differ].index[:1000]:
            problems.append(
                {
                    "table": "opportunities",
                    "check": f"current {col} equals the last history row",
                    "column": col,
                    "row": int(opps.index[opps["id"] == oid][0]),
                    "value": str(oid),
                }
            )
    return problems


def stage_index(stages: pd.Series) -> np.ndarray:
    """Funnel position of each stage (Prospecting = 0 ... closed = 5)."""
    return stages.map(STAGE_ORDER).to_numpy()


#: A first close more than this many days after the first creation marks an extract cut at
#: its start (:attr:`CRM.history_start`).
TRUNCATION_GAP_DAYS = 28


#: Share of annual revenue assumed spendable on us when an account has no potential field.
REVENUE_SPEND_SHARE = 0.005


def account_potential(crm: CRM, accounts: pd.DataFrame, notes: list[str]) -> pd.Series:
    """Each account's ``potential``; else ``annual_revenue x 0.5%``; else its trailing-year
    closed-won bookings; else 0 (each estimate counted in ``notes``)."""
    a = accounts
    pot = a["potential"].copy()
    miss = pot.isna()
    if miss.any():
        est = a["annual_revenue"] * REVENUE_SPEND_SHARE
        pot = pot.fillna(est)
        notes.append(
            f"{int((miss & est.notna()).sum())} accounts without potential: annual revenue x {REVENUE_SPEND_SHARE:.1%}"
        )
        still = pot.isna()
        if still.any():
            o = crm.opportunities
            won = o[o["is_won"] & (o["close_date"] > crm.data_end - pd.Timedelta(days=365))]
            pot = pot.fillna(a["id"].map(won.groupby("account_id")["amount"].sum()))
            notes.append(
                f"{int(still.sum())} accounts without potential or revenue: trailing-year bookings"
            )
    return pot.fillna(0.0)


def rep_scopes(reps: pd.DataFrame) -> dict[str, list[str]]:
    """Every rep id -> the AE ids whose deals it answers for: itself for an AE, every AE
    under a manager through ``manager_id`` (the hierarchy a forecast call rolls up; a cycle
    in ``manager_id`` stops the walk)."""
    children: dict[str, list[str]] = {}
    for rid, mid in zip(reps["id"], reps["manager_id"], strict=True):
        if isinstance(mid, str) and mid:
            children.setdefault(mid, []).append(rid)
    role = dict(zip(reps["id"], reps["role"], strict=True))
    out: dict[str, list[str]] = {}

    def walk(rid: str, seen: frozenset) -> list[str]:
        if rid in out:
            return out[rid]
        if rid in seen:  # a cycle in manager_id: stop (the loaders reject these)
            return []
        found = [rid] if role.get(rid) == "AE" else []
        for c in children.get(rid, []):
            found += walk(c, seen | {rid})
        out[rid] = found
        return found

    for rid in reps["id"]:
        walk(rid, frozenset())
    return out
