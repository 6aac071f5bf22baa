"""Compensation plans as versioned YAML files, validated with pydantic.

Payout convention (the usual "base commission rate with tier multipliers"):

- target incentive of a measure in a period: ``TI = OTE x variable share x weight x
  (period months / 12) x proration`` (proration = share of the period's days the rep was
  active: mid-period hires, leaves, terminations);
- base commission rate ``BCR = TI / quota`` (payout per unit of credit at multiplier 1), so
  100% attainment pays 100% of TI when the tiers' multipliers are 1 up to 100%;
- tiers are attainment bands with a multiplier (``rate``): **marginal** pays each slice of
  credit at its own band's rate; **retroactive** pays all credit at the rate of the band the
  final attainment reaches. Multipliers above 1 past 100% are accelerators, below 1 under a
  threshold decelerators;
- ``gate``: nothing paid while attainment is below it; caps: ``cap_attainment`` (credit
  counted up to cap x quota), ``cap_rate`` (highest multiplier), ``cap_payout`` (payout at
  most cap x TI).

So the payout of a measure is ``TI x g(a)`` with ``g(a) = sum_k rate_k * overlap([0, a], band_k)``
(marginal), ``rate_k(a) * a`` (retroactive: the whole amount at the reached tier's rate) or
``r(a) * a`` with ``r`` linear between tier points (interpolated: the rate runs from a tier's
rate at its start to the next tier's rate at its end), then gate and caps.

Rate tables as users write them:

- ``basis: attainment`` (default): tier bounds are attainment (1.0 = 100% of quota) and rates
  are multipliers of the BCR; ``basis: amount``: bounds are credited amounts in the plan's
  currency and ``rate`` is the commission rate itself (``0.08`` = 8% of sales), so a rate table
  "8% of the first 250,000, 12% above" is written as it reads;
- ``per: period`` (default): tiers are climbed by the period's (or the year's, see
  ``attainment``) cumulative credit; ``per: transaction``: every deal starts again at the
  first tier (per-deal rate tables);
- the last tier is open-ended: credit above a bounded last tier would be paid in one mode
  and not in another, so a bounded last tier is an error (``cap_attainment`` caps credit).

``attainment: ytd`` (plan level) measures each period's attainment on the fiscal year to date
(YTD credit / YTD quota, YTD target incentive) and pays *YTD earned minus YTD paid*, the usual
ICM convention for monthly or quarterly payouts of an annual plan.
"""

from __future__ import annotations

import re
from datetime import date
from pathlib import Path
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator, model_validator

from ..errors import PlanError

METRICS = ("bookings", "margin", "new_logos", "renewals")
PERIOD_MONTHS = {"month": 1, "quarter": 3, "year": 12}


def no_ote_error(plan: Plan, missing: int, total: int, example: str) -> PlanError:
    """The error of a plan that needs reps' OTEs a store does not have (a CRM export rarely
    carries pay data): which plan key supplies one."""
    return PlanError(
        f"plan {plan.name!r}: {missing} of {total} reps on the plan have no OTE (e.g. "
        f"{example}): set one OTE for everyone at the plan's top level (`ote: 150000`), or "
        "load each rep's OTE (a User.csv column, named with `salesops data load salesforce "
        "... --columns` as reps: {ote: COLUMN})"
    )


#: No number in a plan may exceed this in size (1e300 is a typo, not a plan).
MAX_PLAN_NUMBER = 1e12


class _Model(BaseModel):
    model_config = ConfigDict(extra="forbid", populate_by_name=True, allow_inf_nan=False)

    @field_validator("*", mode="after")
    @classmethod
    def _not_absurd(cls, v):
        if isinstance(v, float) and abs(v) > MAX_PLAN_NUMBER:
            raise ValueError(f"{v!r} is not a plausible value (at most {MAX_PLAN_NUMBER:g})")
        return v


class Tier(_Model):
    start: float = Field(
        alias="from", ge=0, description="attainment where the band starts (1.0 = 100%)"
    )
    end: float | None = Field(
        None, alias="to", description="attainment where it ends; empty = open-ended"
    )
    rate: float = Field(ge=0, description="multiplier of the base commission rate")

    @model_validator(mode="after")
    def _band(self):
        if self.end is not None and self.end <= self.start:
            raise ValueError(f"band must end after it starts (from {self.start} to {self.end})")
        return self


class RateTable(_Model):
    method: Literal["marginal", "retroactive", "interpolated"] = "marginal"
    basis: Literal["attainment", "amount"] = Field(
        "attainment",
        description="tier bounds as attainment of quota (rates multiply the BCR) or as "
        "credited amounts in currency (rates are commission rates, 0.08 = 8%)",
    )
    per: Literal["period", "transaction"] = Field(
        "period", description="climb tiers with the period's credit, or restart per deal"
    )
    tiers: list[Tier] = Field(min_length=1)
    gate: float = Field(0.0, ge=0)
    cap_attainment: float | None = Field(None, gt=0)
    cap_rate: float | None = Field(None, ge=0)
    cap_payout: float | None = Field(None, ge=0)

    @field_validator("tiers")
    @classmethod
    def _contiguous(cls, tiers: list[Tier]):
        if tiers[0].start != 0:
            raise ValueError(f"the first tier must start at 0, not {tiers[0].start}")
        for i in range(1, len(tiers)):
            prev, cur = tiers[i - 1], tiers[i]
            if prev.end is None:
                raise ValueError(f"tier {i - 1} is open-ended but tier {i} follows it")
            if cur.start < prev.end:
                raise ValueError(
                    f"tiers overlap: tier {i} starts at {cur.start} before tier {i - 1} ends at {prev.end}"
                )
            if cur.start > prev.end:
                raise ValueError(
                    f"tiers leave a gap: tier {i} starts at {cur.start} but tier {i - 1} ends at {prev.end}"
                )
        if tiers[-1].end is not None:
            raise ValueError(
                f"the last tier (tier {len(tiers) - 1}) must be open-ended (no 'to'): above "
                f"{tiers[-1].end:g} marginal and retroactive tables would disagree; set "
                "cap_attainment to stop counting credit"
            )
        return tiers


class Crediting(_Model):
    types: list[Literal["new", "expansion", "renewal"]] | None = None
    products: list[str] | None = None
    exclude_products: list[str] | None = None
    value: Literal["acv", "tcv"] = "acv"
    default_margin: float | None = Field(None, ge=0, le=1)


class Measure(_Model):
    name: str
    metric: Literal["bookings", "margin", "new_logos", "renewals"]
    weight: float = Field(gt=0, le=1)
    crediting: Crediting = Field(default_factory=Crediting)
    quota: Literal["quotas"] | float = "quotas"
    quota_share: float = Field(
        1.0, gt=0, description="share of the quotas-table quota this measure uses"
    )
    rates: RateTable

    @field_validator("quota")
    @classmethod
    def _quota(cls, v):
        if not isinstance(v, str) and v <= 0:
            raise ValueError("a fixed quota must be > 0")
        return v


class SpiffCondition(_Model):
    products: list[str] | None = None
    types: list[Literal["new", "expansion", "renewal"]] | None = None
    min_amount: float = Field(0.0, ge=0)


class Spiff(_Model):
    name: str
    kind: Literal["per_deal", "milestone"]
    amount: float = Field(
        0.0, ge=0, description="paid per qualifying deal, or once at the milestone"
    )
    rate: float = Field(0.0, ge=0, description="per deal: share of the deal's credited value")
    condition: SpiffCondition | None = None
    measure: str | None = None
    attainment: float | None = Field(None, gt=0)

    @model_validator(mode="after")
    def _kind(self):
        if self.kind == "milestone" and (self.measure is None or self.attainment is None):
            raise ValueError("a milestone SPIFF needs a measure and an attainment")
        if self.kind == "per_deal" and self.amount == 0 and self.rate == 0:
            raise ValueError("a per-deal SPIFF needs an amount or a rate")
        return self


class Draw(_Model):
    amount: float = Field(gt=0, description="guaranteed variable pay per payout period")
    recoverable: bool = True
    periods: int | None = Field(
        2,
        ge=1,
        description="guarantee period: payout periods from the rep's start that carry the "
        "draw; empty = every period (an ongoing draw)",
    )


class Clawback(_Model):
    days: int = Field(
        90,
        ge=1,
        description="a deal cancelled or unpaid within this many days of closing is clawed back",
    )
    events: list[Literal["cancelled", "unpaid"]] = Field(
        default_factory=lambda: ["cancelled", "unpaid"]
    )
    share: float = Field(
        1.0, gt=0, le=1, description="share of what was paid for the deal that is clawed back"
    )
    on_termination: bool = Field(
        False,
        description="when a rep leaves, deals still inside their window are clawed back in "
        "the rep's last period",
    )
    measures: dict[str, int] = Field(
        default_factory=dict, description="window in days per measure (default: days)"
    )

    def window(self, measure: str | None) -> int:
        return self.measures.get(measure, self.days) if measure else self.days


class DiscountBand(_Model):
    max_discount: float = Field(ge=0, le=1)
    multiplier: float = Field(ge=0)


class Overlay(_Model):
    role: str = "Overlay"
    multiplier: float = Field(1.0, ge=0, description="overlay credit counts at this share")


class PayMix(_Model):
    base: float = Field(ge=0, le=1)
    variable: float = Field(ge=0, le=1)

    @model_validator(mode="after")
    def _sum(self):
        if abs(self.base + self.variable - 1) > 1e-9:
            raise ValueError(f"base + variable must be 100%, got {self.base + self.variable:.0%}")
        return self


class Plan(_Model):
    name: str
    version: int = Field(1, ge=1)
    currency: str = "USD"
    roles: list[str] = Field(default_factory=lambda: ["AE"])
    period: Literal["month", "quarter", "year"] = "quarter"
    annual_true_up: bool = False
    attainment: Literal["period", "ytd"] = Field(
        "period",
        description="measure attainment per period, or year to date and pay YTD earned "
        "minus YTD paid",
    )
    effective_from: date | None = Field(
        None,
        description="first day the plan pays; empty = the fiscal year of the first "
        "credited deal (balances before it start at zero)",
    )
    ote: float | None = Field(None, gt=0, description="OTE for everyone; empty = each rep's OTE")
    pay_mix: PayMix = Field(default_factory=lambda: PayMix(base=0.5, variable=0.5))
    measures: list[Measure] = Field(min_length=1)
    spiffs: list[Spiff] = Field(default_factory=list)
    draw: Draw | None = None
    clawback: Clawback | None = None
    discount_multipliers: list[DiscountBand] = Field(default_factory=list)
    overlay: Overlay | None = None

    @model_validator(mode="after")
    def _consistent(self):
        total = sum(m.weight for m in self.measures)
        if abs(total - 1) > 1e-9:
            parts = " + ".join(
                f"measures[{i}].weight {m.weight:g}" for i, m in enumerate(self.measures)
            )
            raise ValueError(
                f"measures[*].weight: weights must sum to 100%, got {total:.0%} ({parts})"
            )
        names = [m.name for m in self.measures]
        if len(set(names)) != len(names):
            raise ValueError(f"measure names must be unique: {names}")
        if self.clawback is not None:
            for name in self.clawback.measures:
                if name not in names:
                    raise ValueError(
                        f"clawback.measures: unknown measure {name!r} (measures: {', '.join(names)})"
                    )
        for i, s in enumerate(self.spiffs):
            if s.kind == "milestone" and s.measure not in names:
                raise ValueError(
                    f"spiffs[{i}].measure: unknown measure {s.measure!r} (measures: {', '.join(names)})"
                )
        bands = [b.max_discount for b in self.discount_multipliers]
        if bands != sorted(bands):
            raise ValueError("discount_multipliers must be ordered by max_discount")
        return self

    @property
    def period_months(self) -> int:
        return PERIOD_MONTHS[self.period]


def _path(loc) -> str:
    out = ""
    for part in loc:
        if isinstance(part, int):
            out += f"[{part}]"
        else:
            out += ("." if out else "") + str(part)
    return out


def parse_plan(data: dict, source: str = "<plan>") -> Plan:
    """Validate a plan from a mapping; errors name the path, e.g. ``measures[1].rates.tiers[2].rate``."""
    try:
        return Plan.model_validate(data or {})
    except ValidationError as exc:
        msgs = []
        for e in exc.errors():
            loc = [p for p in e["loc"] if p not in ("function-after[_band(), Tier]",)]
            msg = (
                e["msg"]
                .replace("Value error, ", "")
                .replace("Input should be greater than or equal to", "must be >=")
            )
            msg = msg.replace("Input should be a finite number", "must be a finite number")
            msg = msg.replace("Input should be greater than", "must be >").replace(
                "Input should be less than or equal to", "must be <="
            )
            if any(str(part).startswith("literal[") for part in loc):
                continue  # the other branch of a "quotas" | number field says what is wrong
            loc = [p for p in loc if p not in ("float", "int", "str")]
            if not loc and re.match(r"^[\w\[\]*.]+: ", msg):
                msgs.append(msg)  # the validator named the field path itself
                continue
            msgs.append(f"{_path(loc) or '(plan)'}: {msg}")
        raise PlanError(f"{source}: invalid plan\n  " + "\n  ".join(msgs)) from None


def load_plan(path: str | Path) -> Plan:
    """Read and validate a plan file (UTF-8 YAML, no duplicate keys, finite numbers)."""
    from ..yamlio import YamlError, load_yaml

    path = Path(path)
    if not path.exists():
        raise PlanError(f"{path}: plan file not found")
    try:
        data = load_yaml(path)
    except YamlError as exc:
        raise PlanError(str(exc)) from None
    if not isinstance(data, dict):
        raise PlanError(f"{path}: a plan is a mapping of fields, got {type(data).__name__}")
    return parse_plan(data, str(path))
