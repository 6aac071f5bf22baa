"""Money where a person is paid: Decimal amounts to the cent, rounded half up (one rule)."""

from __future__ import annotations

from decimal import ROUND_HALF_UP, Decimal

CENT = Decimal("0.01")
ZERO = Decimal(0)


def money(x) -> Decimal:
    """A currency amount to the cent (half up), exactly, from a float, str, int or Decimal."""
    if isinstance(x, Decimal):
        return x.quantize(CENT, ROUND_HALF_UP)
    return Decimal(repr(float(x))).quantize(CENT, ROUND_HALF_UP)


def cents(x: Decimal) -> Decimal:
    return x.quantize(CENT, ROUND_HALF_UP)
