"""Value parsers used by every importer: money, dates, integers, booleans.

Each parser takes a Series of raw strings and returns ``(values, bad)`` where ``bad`` marks
the entries that could not be read (blank entries are *missing*, not bad). Nothing is
guessed silently: conversions that change a representation (Excel serial dates, ambiguous
day/month orders, decimal commas) are counted and reported by the caller.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

import numpy as np
import pandas as pd

_BLANKS = {"", "nan", "none", "null", "n/a", "na", "-", "#n/a"}
_CURRENCY = re.compile(r"(?i)(usd|eur|gbp|cad|aud|chf|jpy|us\$|[$€£¥])")
_EXCEL_EPOCH = pd.Timestamp("1899-12-30")
_EXCEL_SERIAL = re.compile(r"^\d{5}(\.\d+)?$")
_NON_ISO_FORMATS = (
    "%m/%d/%Y",
    "%d/%m/%Y",
    "%m/%d/%Y %H:%M",
    "%d/%m/%Y %H:%M",
    "%m/%d/%Y %I:%M %p",
    "%m/%d/%y",
    "%d.%m.%Y",
    "%d.%m.%Y %H:%M",
    "%Y/%m/%d",
    "%d-%b-%Y",
    "%b %d, %Y",
)


@dataclass
class ParseStats:
    """What a parser converted, for the load summary."""

    notes: list[str] = field(default_factory=list)


def blank(raw: pd.Series) -> np.ndarray:
    s = raw.astype(object).where(raw.notna(), "")
    return s.astype(str).str.strip().str.lower().isin(_BLANKS).to_numpy()


def parse_money(
    raw: pd.Series, stats: ParseStats | None = None, label: str = ""
) -> tuple[np.ndarray, np.ndarray]:
    """Read amounts such as ``1200``, ``$1,200.50``, ``1.200,50 €``, ``(300.00)``, ``USD 1,200``.

    Rules: currency symbols/codes and spaces are removed; a trailing or leading minus or
    accounting parentheses make the value negative; when both ``,`` and ``.`` occur the
    later one is the decimal separator; a lone ``,`` followed by exactly 1-2 digits at the
    end is a decimal comma (``1200,5``), otherwise ``,`` groups thousands (``1,200``).
    Thousands separators must group by three digits: ``1,2,3`` or ``12,34`` is unreadable
    (the row is rejected), never read as ``123``. ``inf``/``nan`` are unreadable too.
    """
    s = raw.astype(object).where(raw.notna(), "").astype(str).str.strip()
    missing = s.str.lower().isin(_BLANKS).to_numpy()
    t = s.str.replace(_CURRENCY, "", regex=True).str.replace(r"[\s\u00a0']", "", regex=True)
    neg = t.str.match(r"^\(.*\)$") | t.str.startswith("-") | t.str.endswith("-")
    t = t.str.strip("()-+")
    has_c, has_d = t.str.contains(",", regex=False), t.str.contains(".", regex=False)
    last_c, last_d = t.str.rfind(","), t.str.rfind(".")
    comma_decimal = (has_c & has_d & (last_c > last_d)) | (
        has_c & ~has_d & t.str.match(r"^\d+,\d{1,2}$")
    )
    dot_thousands_only = ~has_c & has_d & t.str.match(r"^\d{1,3}(\.\d{3}){2,}$")
    # thousands separators must group by three ("1,2,3" is not 123: a reject, not a guess)
    comma_groups = has_c & ~comma_decimal
    bad_grouping = (comma_groups & ~t.str.match(r"^\d{1,3}(,\d{3})*(\.\d+)?$")) | (
        comma_decimal & has_d & ~t.str.match(r"^\d{1,3}(\.\d{3})*(,\d+)?$")
    )
    t = t.where(
        ~comma_decimal, t.str.replace(".", "", regex=False).str.replace(",", ".", regex=False)
    )
    t = t.where(comma_decimal, t.str.replace(",", "", regex=False))
    t = t.where(~dot_thousands_only, t.str.replace(".", "", regex=False))
    ok = t.str.match(r"^\d+(\.\d+)?$").to_numpy() & ~bad_grouping.to_numpy(dtype=bool)
    vals = pd.to_numeric(t.where(ok, None), errors="coerce").to_numpy(dtype=float)
    vals = np.where(neg.to_numpy(), -vals, vals)
    bad = ~missing & ~ok
    vals[missing | bad] = np.nan
    if stats is not None:
        n_dec = int((comma_decimal.to_numpy() & ok & ~missing).sum())
        if n_dec:
            stats.notes.append(
                f"{label}: {n_dec} amounts written with a decimal comma were read as such"
            )
    return vals, bad


def parse_int(raw: pd.Series) -> tuple[np.ndarray, np.ndarray]:
    vals, bad = parse_money(raw)
    frac = ~np.isnan(vals) & (vals != np.round(vals))
    bad = bad | frac
    vals[frac] = np.nan
    return vals, bad


def parse_bool(raw: pd.Series) -> tuple[np.ndarray, np.ndarray]:
    s = raw.astype(object).where(raw.notna(), "").astype(str).str.strip().str.lower()
    mapping = {
        "true": True,
        "1": True,
        "yes": True,
        "y": True,
        "t": True,
        "false": False,
        "0": False,
        "no": False,
        "n": False,
        "f": False,
    }
    v = s.map(mapping)
    missing = s.isin(_BLANKS).to_numpy()
    bad = v.isna().to_numpy() & ~missing
    return v.to_numpy(dtype=object), bad


def parse_dates(
    raw: pd.Series,
    stats: ParseStats | None = None,
    label: str = "",
    *,
    date_format: str | None = None,
    dayfirst: bool | None = None,
) -> tuple[np.ndarray, np.ndarray]:
    """Read dates/timestamps into ``datetime64[ns]`` (naive, UTC for offset-aware input).

    Accepted: ISO 8601 (``2024-01-05``, ``2024-01-05T10:00:00.000+0000`` as exported by
    Salesforce), one non-ISO format chosen per column (US ``M/D/YYYY`` unless ``dayfirst``
    or the data prove day-first; with or without a time of day, the same day order
    throughout), and Excel serial day numbers (5 digits; 1899-12-30 epoch),
    which are counted in the notes. An explicit ``date_format`` overrides detection.
    """
    s = raw.astype(object).where(raw.notna(), "").astype(str).str.strip()
    missing = s.str.lower().isin(_BLANKS).to_numpy()
    out = np.full(len(s), np.datetime64("NaT"), dtype="datetime64[ns]")
    todo = ~missing
    if date_format:
        parsed = pd.to_datetime(s.where(todo, None), format=date_format, errors="coerce")
        out[:] = parsed.to_numpy(dtype="datetime64[ns]")
        return out, todo & np.isnat(out)
    serial = todo & s.str.match(_EXCEL_SERIAL).to_numpy()
    if serial.any():
        days = s[serial].astype(float).to_numpy()
        out[serial] = (_EXCEL_EPOCH + pd.to_timedelta(days, unit="D")).to_numpy(
            dtype="datetime64[ns]"
        )
        if stats is not None:
            stats.notes.append(
                f"{label}: {int(serial.sum())} Excel serial dates converted (epoch 1899-12-30)"
            )
    todo &= ~serial
    iso = todo & s.str.match(r"^\d{4}-\d{2}-\d{2}").to_numpy()
    if iso.any():
        parsed = pd.to_datetime(s[iso], format="ISO8601", errors="coerce", utc=True)
        out[iso] = parsed.dt.tz_convert(None).to_numpy(dtype="datetime64[ns]")
    rest = todo & ~iso
    if rest.any():
        sub = s[rest]
        best, best_ok, best_vals = None, -1, None
        candidates = list(_NON_ISO_FORMATS)
        if dayfirst:
            candidates.sort(key=lambda f: not f.startswith("%d"))
        for fmt in candidates:
            if dayfirst is False and fmt.startswith("%d/"):
                continue
            vals = pd.to_datetime(sub, format=fmt, errors="coerce")
            n_ok = int(vals.notna().sum())
            if n_ok > best_ok:
                best, best_ok, best_vals = fmt, n_ok, vals
        # a column may mix days with and without a time of day ("10/01/2024 10:00" and
        # "12/03/2024"): the rest are read with the same date part, never another day order
        day_part = best.split(" ")[0]
        for fmt in candidates:
            left = best_vals.isna()
            if not left.any():
                break
            if fmt != best and fmt.split(" ")[0] == day_part:
                best_vals = best_vals.where(
                    ~left, pd.to_datetime(sub.where(left, None), format=fmt, errors="coerce")
                )
        best_ok = int(best_vals.notna().sum())
        out[rest] = best_vals.to_numpy(dtype="datetime64[ns]")
        if stats is not None and best_ok > 0:
            note = f"{label}: {best_ok} dates read with format {best}"
            if best == "%m/%d/%Y" and dayfirst is None:
                note += " (US month/day; pass dayfirst=True for day/month)"
            stats.notes.append(note)
    bad = ~missing & np.isnat(out)
    return out, bad
