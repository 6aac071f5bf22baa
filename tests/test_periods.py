import datetime as dt

import pandas as pd
import pytest
from hypothesis import given
from hypothesis import strategies as st

from salesops_models.periods import FiscalCalendar


def test_calendar_quarters():
    cal = FiscalCalendar(1)
    q = cal.quarter("2026-08-15")
    assert (q.label, q.start, q.end) == (
        "2026-Q3",
        pd.Timestamp("2026-07-01"),
        pd.Timestamp("2026-09-30"),
    )
    assert cal.period("2026-Q3") == q
    assert cal.next(q).label == "2026-Q4" and cal.previous(q).label == "2026-Q2"


def test_february_fiscal_year_named_by_ending_year():
    cal = FiscalCalendar(2)
    q = cal.quarter("2026-03-15")
    assert q.label == "FY2027-Q1"
    assert (q.start, q.end) == (pd.Timestamp("2026-02-01"), pd.Timestamp("2026-04-30"))
    assert cal.quarter("2026-01-31").label == "FY2026-Q4"
    assert cal.period("FY2027").start == pd.Timestamp("2026-02-01")
    assert cal.period("FY2027").end == pd.Timestamp("2027-01-31")


def test_bad_period_label_is_a_clear_error():
    with pytest.raises(ValueError, match="cannot read period"):
        FiscalCalendar(1).period("Q3 of 2026")
    with pytest.raises(ValueError, match="start_month"):
        FiscalCalendar(13)


@given(st.dates(min_value=dt.date(1990, 1, 1), max_value=dt.date(2090, 12, 31)), st.integers(1, 12))
def test_every_date_falls_in_its_quarter_and_quarters_tile(d, start_month):
    cal = FiscalCalendar(start_month)
    q = cal.quarter(d)
    assert q.start <= pd.Timestamp(d) <= q.end
    assert cal.next(q).start == q.end + pd.Timedelta(days=1)
    assert cal.period(q.label) == q
    assert cal.quarter_labels([d])[0] == q.label
    assert q.start.month in [(start_month - 1 + 3 * k) % 12 + 1 for k in range(4)]
