"""Reading CSV and Excel files as text records, each with its spreadsheet row, and quarantining the records that cannot be read (rows read = accepted + rejected)."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd

from ..errors import LoadError

# --- reading -------------------------------------------------------------------------------
#: Hidden columns of a raw frame: where each record is, two ways, and for a record that could
#: not be read, the reason (the record is a reject):
#:
#: - ``ROW_COLUMN``, the record's **sheet row**: the row number a spreadsheet shows when it
#:   opens the file (the header is row 1, so the first record is row 2; a quoted field with
#:   line breaks stays in one row, and a blank line is a row, as in Excel);
#: - ``LINE_COLUMN``, the file's 1-based **line** where the record starts (what a text
#:   editor shows; empty for an Excel file, which has no lines).
#:
#: The two differ after a record that spans lines. A source that is not a file (a database
#: query, a DataFrame) numbers its records from 1 as its sheet rows and has no lines.
ROW_COLUMN = "__sheet_row__"
LINE_COLUMN = "__line__"
PROBLEM_COLUMN = "__problem__"
PROBLEM_SOURCE = "__problem_column__"
HIDDEN_COLUMNS = (ROW_COLUMN, LINE_COLUMN, PROBLEM_COLUMN, PROBLEM_SOURCE)


def quarantine(raw: pd.DataFrame, mask, column: str | None, reasons) -> None:
    """Mark rows of a raw frame as rejects before parsing (``reasons`` a string or per row);
    a row keeps the first problem found. :class:`TableBuilder` reports them."""
    mask = np.asarray(mask, dtype=bool)
    if PROBLEM_COLUMN not in raw:
        raw[PROBLEM_COLUMN] = None
    if PROBLEM_SOURCE not in raw:
        raw[PROBLEM_SOURCE] = None
    free = mask & ~raw[PROBLEM_COLUMN].map(lambda v: isinstance(v, str) and v != "").to_numpy(
        dtype=bool
    )
    if not free.any():
        return
    r = np.asarray(reasons, dtype=object) if not isinstance(reasons, str) else None
    raw.loc[free, PROBLEM_COLUMN] = r[free] if r is not None else reasons
    raw.loc[free, PROBLEM_SOURCE] = column


def read_raw(
    path: str | Path, *, sheet: str | int | None = None, encoding: str | None = None
) -> tuple[pd.DataFrame, list[str]]:
    """Read a CSV or Excel file as strings, every cell kept as written.

    CSV rules (counts come from the physical file, nothing is swallowed or re-decoded):

    - bytes are decoded line by line as UTF-8 (BOM allowed). A file with no valid UTF-8
      line beyond ASCII is a legacy file: its encoding is detected (charset-normalizer) and
      noted. In a UTF-8 file, a line that is not UTF-8 is decoded on its own as cp1252 and
      the notes name its row; the good rows are never re-decoded. ``encoding`` forces one.
    - every record is parsed with its line span. A record that opens a quote it does not
      close on its line, and so would swallow the following lines as one field, is a
      rejected row ("unbalanced quote") and parsing resumes on the next line; so is a record
      whose field count differs from the header's, or a line the CSV reader cannot read.
      Legitimate multi-line fields (a quoted description with line breaks) are kept.

    The frame holds one row per record (rejected records as empty rows) and the hidden
    columns :data:`ROW_COLUMN` and :data:`PROBLEM_COLUMN`, which :class:`TableBuilder`
    turns into rejects, so rows read = accepted + rejected holds for malformed files too.
    """
    path = Path(path)
    notes: list[str] = []
    if not path.exists():
        raise LoadError(path, "file not found")
    if path.is_dir():
        raise LoadError(path, "is a folder, not a file")
    if path.stat().st_size == 0:
        raise LoadError(path, "the file is empty (0 bytes)")
    if path.suffix.lower() in (".xlsx", ".xlsm", ".xls"):
        try:
            df = pd.read_excel(path, sheet_name=sheet or 0, dtype=str, keep_default_na=False)
        except ValueError as exc:
            raise LoadError(path, f"cannot read the sheet: {exc}") from exc
        df = df.map(lambda v: v[:-9] if isinstance(v, str) and v.endswith(" 00:00:00") else v)
        df.columns = [str(c).strip() for c in df.columns]
        if df.shape[1] == 0:
            raise LoadError(path, "no columns found")
        df = df.reset_index(drop=True)
        df[ROW_COLUMN] = np.arange(2, len(df) + 2)  # the header is the sheet's row 1
        df[LINE_COLUMN] = pd.array([pd.NA] * len(df), dtype="Int64")
        df[PROBLEM_COLUMN] = None
        return df, notes
    lines = _decode_lines(path, path.read_bytes(), encoding, notes)
    return _parse_csv_lines(path, lines, notes), notes


def _decode_lines(path: Path, data: bytes, encoding: str | None, notes: list[str]) -> list[str]:
    if data.startswith(b"\xef\xbb\xbf"):
        data = data[3:]
    raw_lines = data.splitlines(keepends=True)
    if encoding:
        out = []
        for i, b in enumerate(raw_lines):
            try:
                out.append(b.decode(encoding))
            except (UnicodeDecodeError, LookupError) as exc:
                raise LoadError(path, f"cannot decode as {encoding}: {exc}", line=i + 1) from exc
        return out
    out: list[str | None] = []
    bad: list[int] = []
    good_non_ascii = 0
    for i, b in enumerate(raw_lines):
        try:
            t = b.decode("utf-8")
            out.append(t)
            if not b.isascii():
                good_non_ascii += 1
        except UnicodeDecodeError:
            out.append(None)
            bad.append(i)
    if not bad:
        return out  # type: ignore[return-value]
    if good_non_ascii == 0:
        # no line is UTF-8 beyond ASCII: a legacy (single-byte) file; detect it as a whole
        from charset_normalizer import from_bytes

        best = from_bytes(data).best()
        if best is None:
            raise LoadError(path, "cannot decode the bytes as text (not UTF-8)", line=bad[0] + 1)
        notes.append(f"{path.name}: not UTF-8; decoded as {best.encoding}")
        return str(best).splitlines(keepends=True)
    for i in bad:
        try:
            out[i] = raw_lines[i].decode("cp1252")
        except UnicodeDecodeError:
            out[i] = raw_lines[i].decode("latin-1")
    lines = ", ".join(str(i + 1) for i in bad[:10]) + (" ..." if len(bad) > 10 else "")
    notes.append(
        f"{path.name}: {len(bad)} line(s) not valid UTF-8 in a UTF-8 file, decoded on their own "
        f"as cp1252 (line {lines}); check them"
    )
    return out  # type: ignore[return-value]


class _Lines:
    """An iterator over physical lines that knows its position (for line spans)."""

    def __init__(self, lines: list[str], pos: int):
        self.lines, self.pos = lines, pos

    def __iter__(self):
        return self

    def __next__(self) -> str:
        if self.pos >= len(self.lines):
            raise StopIteration
        self.pos += 1
        return self.lines[self.pos - 1]


def _csv_header(path: Path, lines: list[str]) -> tuple[int, list[str]]:
    """The index of the header line (the first non-blank one) and its column names; a
    missing, unreadable or duplicated header is a :class:`LoadError`."""
    import csv

    first = next((i for i, ln in enumerate(lines) if ln.strip()), None)
    if first is None:
        raise LoadError(path, "the file is empty (no header row)")
    try:
        header = next(csv.reader([lines[first]]))
    except csv.Error as exc:
        raise LoadError(path, f"cannot read the header row: {exc}", line=first + 1) from exc
    header = [h.strip() for h in header]
    while header and header[-1] == "" and len(header) > 1:
        header.pop()  # a trailing delimiter on the header line
    seen: dict[str, int] = {}
    for k, h in enumerate(header):
        if h in seen:
            raise LoadError(
                path,
                f"column {h!r} appears twice in the header (columns {seen[h] + 1} and {k + 1})",
            )
        seen[h] = k
    return first, header


def _parse_csv_lines(path: Path, lines: list[str], notes: list[str]) -> pd.DataFrame:
    import csv

    first, header = _csv_header(path, lines)
    ncols = len(header)
    records: list[list[str]] = []
    rows: list[int] = []  # sheet rows
    starts: list[int] = []  # 1-based file lines
    problems: list[str | None] = []
    blank_lines = 0
    sheet = first + 1  # the header's sheet row (each line before it is a row)

    def standalone_fields(text: str) -> int:
        try:
            return len(next(csv.reader([text.rstrip("\r\n")])))
        except (csv.Error, StopIteration):
            return -1

    def reject_line(row: int, line: int, reason: str) -> None:
        """An empty placeholder record carrying the reason (a reject downstream)."""
        records.append([""] * ncols)
        rows.append(row)
        starts.append(line)
        problems.append(reason)

    def fit(rec: list[str]) -> list[str] | None:
        if len(rec) == ncols:
            return rec
        if len(rec) > ncols and all(v == "" for v in rec[ncols:]):
            return rec[:ncols]  # trailing empty fields
        return None

    it = _Lines(lines, first + 1)
    reader = csv.reader(it)
    while True:
        start = it.pos
        try:
            rec = next(reader)
        except StopIteration:
            break
        except csv.Error as exc:
            end = it.pos
            sheet += 1
            reject_line(
                sheet,
                start + 1,
                f"unbalanced quote: a quoted field opened on this line is never closed "
                f"(the record would run to line {end})"
                if "end of data" in str(exc) or end - start > 1
                else f"not a well-formed CSV line ({exc})",
            )
            it = _Lines(lines, start + 1)  # resume on the next physical line
            reader = csv.reader(it)
            continue
        used = it.pos - start
        sheet += 1  # a record, however many lines it spans, or a blank line: one sheet row
        if not rec or (len(rec) == 1 and rec[0].strip() == "" and used == 1):
            blank_lines += 1
            continue
        row = sheet
        got = fit(rec)
        if used > 1 and (
            got is None or any(standalone_fields(ln) >= ncols for ln in lines[start + 1 : it.pos])
        ):
            reject_line(
                row,
                start + 1,
                f"unbalanced quote: a quoted field opened on this line would swallow lines "
                f"{start + 2}-{it.pos} into one record",
            )
            it = _Lines(lines, start + 1)
            reader = csv.reader(it)
            continue
        if got is None:
            reject_line(row, start + 1, f"{len(rec)} fields where the header has {ncols}")
            continue
        records.append(got)
        rows.append(row)
        starts.append(start + 1)
        problems.append(None)
    if blank_lines:
        notes.append(f"{path.name}: {blank_lines} blank line(s) skipped")
    # column by column into pandas' string dtype (compact, vectorized .str), as read_csv does
    columns = list(zip(*records, strict=True)) if records else [()] * ncols
    records.clear()
    df = pd.DataFrame(
        {h: pd.Series(col, dtype="str") for h, col in zip(header, columns, strict=True)}
    )
    del columns
    df[ROW_COLUMN] = np.asarray(rows, dtype=np.int64)
    df[LINE_COLUMN] = pd.array(starts, dtype="Int64")
    df[PROBLEM_COLUMN] = pd.Series(problems, dtype=object)
    return df


def require_columns(df: pd.DataFrame, path, columns: list[str]) -> None:
    missing = [c for c in columns if c not in df.columns]
    if missing:
        have = [c for c in df.columns if c not in HIDDEN_COLUMNS]
        raise LoadError(
            path,
            f"required column(s) {', '.join(repr(m) for m in missing)} not found; "
            f"the file has: {', '.join(repr(c) for c in have)}",
            column=missing[0],
        )


def require_one_of(df: pd.DataFrame, path, columns: list[str]) -> None:
    """At least one of ``columns`` must be in the file (alternative names of one field)."""
    if not any(c in df.columns for c in columns):
        have = [c for c in df.columns if c not in HIDDEN_COLUMNS]
        raise LoadError(
            path,
            f"one of the columns {', '.join(repr(c) for c in columns)} is required; "
            f"the file has: {', '.join(repr(c) for c in have)}",
            column=columns[0],
        )
