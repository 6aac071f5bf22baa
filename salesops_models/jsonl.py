"""Append-only JSON-lines files (the report run ledger, the forecast ledger) that survive
killed writers and concurrent runs: appends are locked and always start on a fresh line;
reads skip (and report) a torn or foreign line instead of failing."""

from __future__ import annotations

import fcntl
import json
import os
from contextlib import contextmanager
from pathlib import Path


@contextmanager
def locked(path: Path):
    """An exclusive advisory lock on ``path`` (created if needed)."""
    path.parent.mkdir(parents=True, exist_ok=True)
    with open(path, "a+") as fh:
        fcntl.flock(fh, fcntl.LOCK_EX)
        try:
            yield
        finally:
            fcntl.flock(fh, fcntl.LOCK_UN)


def append_jsonl(path: Path, record: dict) -> None:
    """Append one JSON record as its own line, under a lock. If the file does not end with a
    newline (a writer was killed mid-line), the record starts on a fresh line, so a torn
    line never swallows the next record."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    with locked(path.with_name("." + path.name + ".lock")):
        with open(path, "a+b") as fh:
            fh.seek(0, os.SEEK_END)
            prefix = b""
            if fh.tell() > 0:
                fh.seek(-1, os.SEEK_END)
                if fh.read(1) != b"\n":
                    prefix = b"\n"
            fh.write(prefix + (json.dumps(record, default=str) + "\n").encode("utf-8"))
            fh.flush()
            os.fsync(fh.fileno())


def read_jsonl(path: Path) -> tuple[list[dict], list[str]]:
    """The records of a JSON-lines file and one problem per line that is not a JSON object
    (skipped, never fatal): ``"runs.jsonl line 7: not JSON (...)"``."""
    path = Path(path)
    if not path.exists():
        return [], []
    rows, problems = [], []
    text = path.read_bytes().decode("utf-8", errors="replace")
    for n, line in enumerate(text.splitlines(), start=1):
        if not line.strip():
            continue
        try:
            rec = json.loads(line)
        except json.JSONDecodeError as exc:
            problems.append(f"{path.name} line {n}: not JSON ({exc.msg}); skipped")
            continue
        if not isinstance(rec, dict):
            problems.append(f"{path.name} line {n}: not a JSON object; skipped")
            continue
        rows.append(rec)
    return rows, problems
