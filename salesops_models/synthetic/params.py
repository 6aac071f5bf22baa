"""Parameters (the ground truth) of the synthetic sales org.

Every number that drives the generator lives here, so a model fitted on the generated data
can be checked against it. Defaults follow common B2B SaaS benchmarks: win rates from
creation of 10-20% (higher for renewals), sales cycles of ~1.5 months (SMB) to ~5 months
(enterprise), quota around 4-6x OTE, 3-6 month ramps and ~17% yearly attrition.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass, field


@dataclass(frozen=True)
class SegmentParams:
    """Truth for one customer segment.

    ``stage_conversion[k]`` is the probability that a deal in open stage ``k`` advances
    (from Negotiation: is won) for an average rep on a new-business deal in a neutral quarter.
    ``stage_days_median[k]`` is the median number of days spent in stage ``k``
    (lognormal with log-sd ``stage_days_log_sd``).
    """

    name: str
    share_of_reps: float
    accounts_per_rep: int
    opps_per_rep_month: float
    amount_median: float
    amount_log_sd: float
    stage_conversion: tuple[float, float, float, float, float]
    stage_days_median: tuple[float, float, float, float, float]
    stage_days_log_sd: float
    type_mix: tuple[float, float, float]  # new, expansion, renewal
    ote: float
    base_share: float  # base salary / OTE
    employees_range: tuple[int, int]
    amount_rounding: int

    @property
    def win_rate_from_creation(self) -> float:
        p = 1.0
        for c in self.stage_conversion:
            p *= c
        return p

    @property
    def cycle_days_median_sum(self) -> float:
        return float(sum(self.stage_days_median))


SEGMENT_DEFAULTS: tuple[SegmentParams, ...] = (
    SegmentParams(
        "SMB",
        0.45,
        150,
        40.0,
        7_000,
        0.6,
        (0.55, 0.65, 0.70, 0.75, 0.80),
        (7, 10, 12, 10, 7),
        0.5,
        (0.60, 0.25, 0.15),
        130_000,
        0.5,
        (10, 199),
        10,
    ),
    SegmentParams(
        "Mid-Market",
        0.35,
        60,
        18.0,
        35_000,
        0.7,
        (0.50, 0.60, 0.65, 0.70, 0.75),
        (12, 18, 25, 20, 15),
        0.5,
        (0.50, 0.30, 0.20),
        200_000,
        0.5,
        (200, 1_999),
        100,
    ),
    SegmentParams(
        "Enterprise",
        0.20,
        20,
        8.0,
        160_000,
        0.8,
        (0.45, 0.55, 0.60, 0.65, 0.70),
        (20, 30, 45, 35, 25),
        0.5,
        (0.40, 0.35, 0.25),
        300_000,
        0.5,
        (2_000, 50_000),
        1_000,
    ),
)

#: Relative volume of new opportunities by calendar month (mean 1).
SEASONALITY_DEFAULT: tuple[float, ...] = (
    0.85,
    0.95,
    1.10,
    0.95,
    1.00,
    1.10,
    0.85,
    0.85,
    1.10,
    1.05,
    1.05,
    1.15,
)

PRODUCTS_DEFAULT: dict[str, float] = {  # product -> amount multiplier
    "Core Platform": 1.0,
    "Analytics Add-on": 0.5,
    "Integrations Pack": 0.35,
    "Premium Support": 0.25,
    "Enterprise Suite": 2.0,
}
PRODUCT_MIX_DEFAULT: dict[str, tuple[float, ...]] = {
    "SMB": (0.55, 0.20, 0.12, 0.10, 0.03),
    "Mid-Market": (0.45, 0.22, 0.13, 0.08, 0.12),
    "Enterprise": (0.30, 0.18, 0.12, 0.05, 0.35),
}
LEAD_SOURCES_DEFAULT: dict[str, tuple[float, float]] = {  # source -> (share, logit shift)
    "Inbound": (0.35, 0.0),
    "Outbound": (0.30, -0.15),
    "Partner": (0.12, 0.10),
    "Event": (0.10, -0.05),
    "Referral": (0.13, 0.20),
}
TYPE_LOGIT_SHIFT_DEFAULT: dict[str, float] = {"new": 0.0, "expansion": 0.25, "renewal": 0.8}
INDUSTRIES_DEFAULT: dict[str, tuple[float, float]] = {  # industry -> (share, revenue/employee)
    "Software": (0.18, 300_000),
    "Financial Services": (0.14, 450_000),
    "Healthcare": (0.14, 180_000),
    "Manufacturing": (0.16, 250_000),
    "Retail": (0.12, 200_000),
    "Professional Services": (0.12, 150_000),
    "Education": (0.06, 120_000),
    "Media": (0.08, 220_000),
}


@dataclass(frozen=True)
class HygieneParams:
    """Rates of CRM hygiene problems injected into the data.

    - ``zombie_rate``: share of lost deals not closed in the CRM when lost (they go stale and
      past due); ``zombie_cleanup_rate`` of them are closed lost in a later clean-up,
      ``zombie_cleanup_days`` after the real loss, the rest never;
    - ``no_push_rate``: share of slipping deals whose close date is never moved while open;
    - ``duplicate_rate``: share of opportunities entered twice (the copy goes stale);
    - ``stage_skip_rate``: share of deals that reach Discovery or beyond on which the rep never
      records one intermediate stage (the history jumps two stages);
    - ``missing``: per field, the share of rows left empty.
    """

    zombie_rate: float = 0.06
    stage_skip_rate: float = 0.04
    zombie_cleanup_rate: float = 0.8
    zombie_cleanup_days: tuple[float, float] = (45.0, 180.0)
    no_push_rate: float = 0.15
    duplicate_rate: float = 0.015
    missing: dict[str, float] = field(
        default_factory=lambda: {
            "lead_source": 0.06,
            "product": 0.03,
            "amount_at_creation": 0.04,
            "account_industry": 0.05,
            "account_employees": 0.04,
        }
    )


@dataclass(frozen=True)
class ActivityParams:
    """Truth of the activity log (calls, emails, meetings, tasks) of the synthetic org.

    - **Working time**: a rep works ``weekly_hours`` (one of ``weekly_hours_choices`` with
      ``weekly_hours_weights``) over Monday-Friday, 08:00-18:00.
    - **Selling time**: rep r spends a share ``s_r ~ Beta`` (mean ``selling_share_mean``, sd
      ``selling_share_sd``) of working time with customers, in calls, emails and meetings
      (``customer_facing_mix``, mean minutes ``duration_mean``, lognormal with log-sd
      ``duration_log_sd``); customer-facing activities per working day ~ Poisson(s_r x daily
      minutes / mean minutes per activity), so the planted share is the expected one. Most reps
      sit below the 60% that the seeds call healthy (Salesforce's State of Sales: reps spend
      about 30% of their time selling).
    - **Deals**: a share ``deal_share`` of customer-facing time goes to the rep's open deals
      (the rest is prospecting on the rep's accounts), spread over the deals open at the moment
      in proportion to their engagement weight (``engaged_weight`` for an engaged deal-stage,
      1 otherwise; a rep with less than one deal's weight open spends the rest prospecting).
      A deal-stage is engaged with probability ``engaged_share``, and engagement multiplies the
      odds of advancing by ``advance_odds_ratio`` (drawn jointly with the funnel's outcome,
      whose marginal advance probability stays as the funnel says). A lost deal gets no
      activity in its last ``silence_days_before_loss`` days (it goes quiet, then stale).
    - **Non-selling time** logged: a share ``logged_admin_share`` of the rest, as tasks and
      internal meetings.
    - **Gaps in logging**: a share ``low_adopter_share`` of reps log only in some weeks (each
      week with a probability drawn from ``low_adopter_week_rate``); in other weeks nothing of
      theirs is recorded.
    - **Durations** are empty for a type's share ``missing_duration``.
    - **Process compliance**: the stage criteria (``stage_criteria.yml``) ask for a meeting on
      the deal before it enters Proposal. Among deals that reach Proposal, the meetings before
      it are unlinked from the deal (kept on the account) for a share ``noncompliant_if_won``
      of eventual wins and ``noncompliant_if_lost`` of the rest: planted non-compliant
      advances, which convert worse.
    """

    weekly_hours_choices: tuple[float, ...] = (40.0, 45.0, 32.0)
    weekly_hours_weights: tuple[float, ...] = (0.7, 0.2, 0.1)
    selling_share_mean: float = 0.36
    selling_share_sd: float = 0.10
    customer_facing_mix: dict[str, float] = field(
        default_factory=lambda: {"call": 0.40, "email": 0.45, "meeting": 0.15}
    )
    admin_mix: dict[str, float] = field(default_factory=lambda: {"task": 0.6, "internal": 0.4})
    duration_mean: dict[str, float] = field(
        default_factory=lambda: {
            "call": 12.0,
            "email": 5.0,
            "meeting": 45.0,
            "task": 20.0,
            "internal": 40.0,
        }
    )
    duration_log_sd: float = 0.5
    missing_duration: dict[str, float] = field(
        default_factory=lambda: {
            "call": 0.05,
            "email": 0.6,
            "meeting": 0.02,
            "task": 0.3,
            "internal": 0.1,
        }
    )
    deal_share: float = 0.7
    engaged_share: float = 0.5
    engaged_weight: float = 3.0
    advance_odds_ratio: float = 2.0
    silence_days_before_loss: tuple[float, float] = (7.0, 45.0)
    logged_admin_share: float = 0.25
    low_adopter_share: float = 0.15
    low_adopter_week_rate: tuple[float, float] = (0.3, 0.7)
    noncompliant_if_won: float = 0.08
    noncompliant_if_lost: float = 0.20


@dataclass(frozen=True)
class OrgParams:
    """Everything that defines a synthetic org (all of it is written out as ground truth)."""

    n_reps: int = 60
    years: float = 3.0
    end_date: str = "2026-09-30"
    seed: int = 7
    fiscal_year_start_month: int = 1
    segments: tuple[SegmentParams, ...] = SEGMENT_DEFAULTS
    seasonality: tuple[float, ...] = SEASONALITY_DEFAULT
    products: dict[str, float] = field(default_factory=lambda: dict(PRODUCTS_DEFAULT))
    product_mix: dict[str, tuple[float, ...]] = field(
        default_factory=lambda: dict(PRODUCT_MIX_DEFAULT)
    )
    lead_sources: dict[str, tuple[float, float]] = field(
        default_factory=lambda: dict(LEAD_SOURCES_DEFAULT)
    )
    type_logit_shift: dict[str, float] = field(
        default_factory=lambda: dict(TYPE_LOGIT_SHIFT_DEFAULT)
    )
    industries: dict[str, tuple[float, float]] = field(
        default_factory=lambda: dict(INDUSTRIES_DEFAULT)
    )
    #: Rep skill: logit shift on every stage conversion, N(0, sd).
    skill_sd: float = 0.15
    #: Rep activity: multiplicative lognormal effect on opportunity volume.
    volume_log_sd: float = 0.2
    #: Territory effect: a seat's opportunity volume scales as (its accounts' potential /
    #: the segment's mean seat potential) ** elasticity (structural advantage of territories).
    territory_elasticity: float = 0.5
    #: Shared quarter effect: logit shift on the late-stage conversions of deals due in it.
    period_effect_sd: float = 0.15
    #: Probability that a won deal due in the last 30 days of a quarter slides to its last week.
    quarter_end_pull: float = 0.5
    #: Ramp of a new hire: volume share in tenure month m is min(1, (m+1)/(R+1)), R in range.
    ramp_months_range: tuple[int, int] = (3, 6)
    #: A slow- (or fast-) ramping hire cohort: (first hire date, last hire date, ramp months R)
    #: overrides the ramp drawn from ``ramp_months_range`` for reps hired in that window (the
    #: health scorecard's tests inject a known slow cohort this way). None: no override.
    cohort_ramp: tuple[str, str, int] | None = None
    #: Monthly attrition hazard of an AE (0.015/month is about 17% a year).
    attrition_monthly: float = 0.015
    #: Days a seat stays empty before the backfill starts.
    backfill_gap_days: tuple[int, int] = (30, 90)
    #: Sum of quotas over expected bookings (over-assignment / stretch).
    quota_stretch: float = 1.10
    #: Days of deal flow simulated before the first quota period, so the pipeline is at its
    #: steady state when the recorded quarters begin (deals created then were "migrated").
    burn_in_days: int = 270
    #: Reps per first-line manager.
    team_size: int = 8
    hygiene: HygieneParams = field(default_factory=HygieneParams)
    #: The activity log (None: the org logs no activities).
    activities: ActivityParams | None = field(default_factory=ActivityParams)

    def validate(self) -> None:
        if self.n_reps < 1:
            raise ValueError(f"n_reps must be >= 1, got {self.n_reps}")
        if not 0 < self.years <= 20:
            raise ValueError(f"years must be in (0, 20], got {self.years}")
        if len(self.seasonality) != 12:
            raise ValueError("seasonality needs 12 monthly factors")
        shares = sum(s.share_of_reps for s in self.segments)
        if abs(shares - 1) > 1e-9:
            raise ValueError(f"segment share_of_reps must sum to 1, got {shares}")
        lo, hi = self.ramp_months_range
        if lo < 0 or hi < lo:
            raise ValueError(
                f"ramp_months_range must be 0 <= lo <= hi, got {self.ramp_months_range}"
            )
        if not 0 <= self.attrition_monthly < 1:
            raise ValueError(f"attrition_monthly must be in [0, 1), got {self.attrition_monthly}")

    def to_dict(self) -> dict:
        d = asdict(self)
        for s, seg in zip(d["segments"], self.segments, strict=True):
            s["win_rate_from_creation"] = seg.win_rate_from_creation
        return d
