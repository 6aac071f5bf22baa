"""Safe writers for every file a person opens: CSV, Excel and HTML tables built from CRM text.

Nothing that comes from the CRM may execute where the workbench writes it:

- **CSV / Excel (formula injection).** Following the OWASP "CSV Injection" guidance, a text
  cell that starts with ``=``, ``+``, ``-``, ``@``, a tab, a carriage return or a line feed
  is prefixed with a single quote (``'``), so a spreadsheet shows it as text instead of
  evaluating it (``=HYPERLINK(...)``, ``+cmd|' /C calc'!A0``). Plain numbers written as text
  (``-5000.00`` in a payroll file) are left alone: they are data, not formulas. A cell that
  already starts with ``'`` gets one more, so :func:`restore` gives back the exact original.
  Excel cells are also written with the string type, so no text cell is ever a formula.
- **Control characters** (C0 except tab/newline, DEL), which Excel files cannot hold and
  terminals misprint, are written as visible ``\\xNN`` escapes, never dropped.
- **HTML.** :func:`html_frame` escapes every text cell, index label and column name of a
  frame before pandas' Styler renders it (Styler does not escape by default).

One helper serves every writer, so a new export cannot forget it: :func:`write_csv`,
:func:`write_excel`, and :func:`outputs_together` for a run that writes several files that
belong together (statements + payroll): all of them land, or none does.

Examples
--------
>>> neutralize('=HYPERLINK("http://x.example","click")')
'\\'=HYPERLINK("http://x.example","click")'
>>> neutralize("-5000.00")
'-5000.00'
>>> restore(neutralize("'quoted"))
"'quoted"
"""

from __future__ import annotations

import html
import os
import re
import shutil
import tempfile
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from pathlib import Path

import pandas as pd

#: Leading characters a spreadsheet may read as the start of a formula (OWASP).
FORMULA_TRIGGERS = ("=", "+", "-", "@", "\t", "\r", "\n", "\uff1d", "\uff0b", "\uff0d", "\uff20")
_NUMBER = re.compile(r"^[+-]?(\d+(\.\d*)?|\.\d+)([eE][+-]?\d+)?$")
#: C0 control characters other than tab, line feed and carriage return, and DEL: invisible
#: bytes Excel files cannot hold and terminals misprint (importers reject them).
CONTROL_CHARS = r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f]"
_CONTROL = re.compile(CONTROL_CHARS)


def _visible(match: re.Match) -> str:
    return f"\\x{ord(match.group(0)):02x}"


def escape_controls(text: str) -> str:
    r"""Control characters (not tab/newline) as visible ``\xNN`` escapes."""
    return _CONTROL.sub(_visible, text)


def neutralize(value):
    """A cell value safe to write to CSV or Excel (see the module docstring).

    Non-strings pass through unchanged; strings get the OWASP quote prefix when they could
    start a formula, and control characters written as ``\\xNN``.
    """
    if not isinstance(value, str):
        return value
    text = escape_controls(value)
    if text and (
        text.startswith("'") or (text.startswith(FORMULA_TRIGGERS) and not _NUMBER.match(text))
    ):
        return "'" + text
    return text


def restore(value):
    """The inverse of the quote prefix of :func:`neutralize` (for reading our own exports)."""
    if isinstance(value, str) and value.startswith("'"):
        return value[1:]
    return value


def neutralize_frame(df: pd.DataFrame) -> pd.DataFrame:
    """A copy of ``df`` with every text cell, column name and index label neutralized."""
    out = df.copy()
    for col in out.columns:
        s = out[col]
        if s.dtype == object or pd.api.types.is_string_dtype(s.dtype):
            out[col] = s.astype(object).map(neutralize)
    out.columns = [neutralize(c) if isinstance(c, str) else c for c in out.columns]
    if out.index.dtype == object or pd.api.types.is_string_dtype(out.index.dtype):
        out.index = out.index.map(neutralize)
    return out


def write_csv(df: pd.DataFrame, path: str | Path, **kwargs) -> Path:
    """``df.to_csv`` with every text cell neutralized; written to a temporary file and
    renamed into place, so a failure never leaves half a file."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    kwargs.setdefault("index", False)
    fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=path.parent)
    os.close(fd)
    try:
        neutralize_frame(df).to_csv(tmp, **kwargs)
        os.replace(tmp, path)
    finally:
        if os.path.exists(tmp):
            os.unlink(tmp)
    return path


def write_excel(
    sheets: Mapping[str, pd.DataFrame], path: str | Path, *, index: bool = False
) -> Path:
    """Write ``{sheet name: frame}`` to one workbook; text cells are neutralized and stored
    as strings (never formulas). Atomic like :func:`write_csv`."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(prefix=f".{path.stem}.", suffix=".tmp.xlsx", dir=path.parent)
    os.close(fd)
    try:
        with pd.ExcelWriter(tmp, engine="openpyxl") as xl:
            for name, df in sheets.items():
                neutralize_frame(df).to_excel(xl, sheet_name=str(name)[:31], index=index)
            for ws in xl.book.worksheets:
                for row in ws.iter_rows():
                    for cell in row:
                        if isinstance(cell.value, str):
                            cell.data_type = "s"  # text, never a formula
                for col in ws.columns:  # readable widths from the header
                    ws.column_dimensions[col[0].column_letter].width = max(
                        10, min(28, len(str(col[0].value or "")) + 4)
                    )
        os.replace(tmp, path)
    finally:
        if os.path.exists(tmp):
            os.unlink(tmp)
    return path


@contextmanager
def outputs_together(folder: str | Path) -> Iterator[Path]:
    """Write a run's files into a private temporary folder; move them into ``folder`` only
    when the block finished without an error. A failing run leaves ``folder`` as it was
    (the previous run's files stay together, none half-replaced).

    >>> import tempfile, pathlib
    >>> out = pathlib.Path(tempfile.mkdtemp())
    >>> with outputs_together(out) as tmp:
    ...     _ = (tmp / "a.csv").write_text("x")
    >>> sorted(p.name for p in out.iterdir())
    ['a.csv']
    """
    folder = Path(folder)
    folder.mkdir(parents=True, exist_ok=True)
    clean_stale_runs(folder)
    tmp = Path(tempfile.mkdtemp(prefix=f".run-{os.getpid()}-", dir=folder))
    try:
        yield tmp
        for f in sorted(tmp.iterdir()):
            target = folder / f.name
            if f.is_dir() and target.is_dir():  # a folder of files (HTML statements) swaps whole
                old = Path(tempfile.mkdtemp(prefix=f".run-{os.getpid()}-old-", dir=folder))
                os.replace(target, old / f.name)
                os.replace(f, target)
                shutil.rmtree(old, ignore_errors=True)
            else:
                os.replace(f, target)
    finally:
        shutil.rmtree(tmp, ignore_errors=True)


def clean_stale_runs(folder: str | Path) -> int:
    """Remove the ``.run-<pid>-*`` folders that killed :func:`outputs_together` runs left in
    ``folder`` (a run whose process still runs keeps its folder)."""
    from .runtime import pid_alive

    n = 0
    folder = Path(folder)
    if folder.is_dir():
        for p in folder.glob(".run-*"):
            pid = p.name.split("-")[1]
            if pid.isdigit() and pid_alive(int(pid)):
                continue
            shutil.rmtree(p, ignore_errors=True)
            n += 1
    return n


# --- HTML ------------------------------------------------------------------------------------
def _esc(v):
    return html.escape(v) if isinstance(v, str) else v


def html_frame(df: pd.DataFrame) -> pd.DataFrame:
    """A copy of ``df`` whose text cells, column names and index labels are HTML-escaped,
    ready for ``.style`` (pandas' Styler renders cell text as raw HTML).

    >>> html_frame(pd.DataFrame({"team": ["<script>x</script>"]})).iloc[0, 0]
    '&lt;script&gt;x&lt;/script&gt;'
    """
    out = df.copy()
    for col in out.columns:
        s = out[col]
        if s.dtype == object or pd.api.types.is_string_dtype(s.dtype):
            out[col] = s.astype(object).map(_esc)
    if isinstance(out.columns, pd.MultiIndex):
        out.columns = pd.MultiIndex.from_tuples([tuple(map(_esc, t)) for t in out.columns])
    else:
        out.columns = [_esc(c) for c in out.columns]
    if isinstance(out.index, pd.MultiIndex):
        out.index = pd.MultiIndex.from_tuples(
            [tuple(map(_esc, t)) for t in out.index], names=[_esc(n) for n in out.index.names]
        )
    else:
        out.index = pd.Index([_esc(v) for v in out.index], name=_esc(out.index.name))
    return out


def styled(df: pd.DataFrame):
    """``html_frame(df).style``: the one way report notebooks build a Styler from CRM data.
    Date columns whose values all fall at midnight read as dates (``2026-06-30``, not
    ``2026-06-30 00:00:00``); a later ``.format`` of a column overrides it."""
    frame = html_frame(df)
    dates = [
        c
        for c in frame.columns
        if pd.api.types.is_datetime64_any_dtype(frame[c])
        and (frame[c].dropna() == frame[c].dropna().dt.normalize()).all()
    ]
    sty = frame.style
    if dates:
        sty = sty.format({c: lambda v: "" if pd.isna(v) else f"{v:%Y-%m-%d}" for c in dates})
    return sty


__all__ = [
    "CONTROL_CHARS",
    "FORMULA_TRIGGERS",
    "clean_stale_runs",
    "escape_controls",
    "html_frame",
    "neutralize",
    "neutralize_frame",
    "outputs_together",
    "restore",
    "styled",
    "write_csv",
    "write_excel",
]
