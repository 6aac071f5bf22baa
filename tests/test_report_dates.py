import pandas as pd
import pytest

from salesops_models.periods import FiscalCalendar
from salesops_models.reports import resolve_date, resolve_period

REF = "2026-11-23"  # a Monday


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("2026-06-30", "2026-06-30"),
        ("today", "2026-11-23"),
        ("yesterday", "2026-11-22"),
        ("last friday", "2026-11-20"),
        ("last monday", "2026-11-16"),  # strictly before the reference
        ("3 days ago", "2026-11-20"),
        ("2 weeks ago", "2026-11-09"),
        ("start of quarter", "2026-10-01"),
        ("end of last quarter", "2026-09-30"),
        ("end of last month", "2026-10-31"),
        ("start of month", "2026-11-01"),
    ],
)
def test_relative_dates(text, expected):
    assert resolve_date(text, REF) == pd.Timestamp(expected)


def test_relative_periods_follow_the_fiscal_calendar():
    assert resolve_period("current quarter", REF).label == "2026-Q4"
    assert resolve_period("previous quarter", REF).label == "2026-Q3"
    assert resolve_period("next quarter", REF).label == "2027-Q1"
    assert resolve_period("last month", REF).label == "2026-10"
    assert resolve_period("current quarter", REF, FiscalCalendar(2)).label == "FY2027-Q4"
    assert resolve_period("2026-Q2", REF).start == pd.Timestamp("2026-04-01")


def test_unreadable_date_is_a_clear_error():
    with pytest.raises(ValueError, match="cannot read date"):
        resolve_date("the other day", REF)
