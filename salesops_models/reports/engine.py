"""Run report notebooks with papermill, render HTML with nbconvert, keep a run ledger.

Layout under ``reports/``::

    reports/<name>/<as_of>_<store>/report.html   the last good run for that as-of date
                                 and store (``2026-09-30_salesops``)
                           report.ipynb    the executed notebook
                           run.json        its ledger record
                           parameters.yml  the parameters injected (relative dates resolved)
                           *.xlsx, ...     files the notebook wrote (it runs in this folder)
    reports/<name>/failed/<run_id>/        executed notebook + error.txt of a failed run
    reports/runs.jsonl                     the ledger (one JSON record per run)
    reports/index.html                     every run, newest first

Each run executes in its own work folder; only a complete, successful run is moved into
place (rename, under a per-report lock), so a failure never touches the last good report and
two runs of the same report at once do not clobber each other.
"""

from __future__ import annotations

import hashlib
import json
import os
import re
import shutil
import time
import traceback
import uuid
from dataclasses import asdict
from pathlib import Path

import pandas as pd

from .. import config
from ..errors import NotebookError, ReportFailed
from ..jsonl import locked
from .catalog import ParameterError, coerce_parameters, notebook_path, parameters
from .context import default_plan_start, reference_date, resolve_source
from .dates import resolve_date
from .index import write_index
from .ledger import RunRecord, append_run


def file_fingerprint(path: Path) -> str:
    """Content fingerprint of a store (:func:`~salesops_models.store.store_fingerprint`:
    the same org written twice has the same one); empty when there is no such file."""
    from ..store import store_fingerprint

    return store_fingerprint(path)


#: Files besides the notebook, its parameters and its store that a report's output depends
#: on (globs under the project root): the package, the configuration files and the backtest
#: scores. The forecast ledger is not among them: it grows with every forecast run.
REUSE_INPUTS = (
    "salesops_models/**/*.py",
    "*.yml",
    "plans/*.yml",
    "reports/forecast/backtest_*.csv",
    "reports/forecast/calibration_*.csv",
    "reports/plan/backtest_*.csv",
)


def run_key(nb: Path, resolved: dict, root: Path = config.PROJECT_ROOT) -> str:
    """What a report's output depends on, hashed (16 hex): the notebook, the resolved
    parameters, the store's content fingerprint and :data:`REUSE_INPUTS`. Two runs with the
    same key give the same report, so the last good one can be reused."""
    h = hashlib.sha256()
    h.update(Path(nb).read_bytes())
    h.update(json.dumps(resolved, sort_keys=True, default=str).encode())
    h.update(file_fingerprint(resolve_source(resolved.get("source", config.DEFAULT_DB))).encode())
    for pattern in REUSE_INPUTS:
        for f in sorted(Path(root).glob(pattern)):
            if f.is_file() and "__pycache__" not in f.parts:
                h.update(str(f.relative_to(root)).encode())
                h.update(hashlib.sha256(f.read_bytes()).digest())
    return h.hexdigest()[:16]


def reusable_run(reports_dir: Path, name: str, key: str) -> RunRecord | None:
    """The latest good run of ``name`` with this key whose HTML is still there, if any."""
    from .ledger import read_ledger

    runs = read_ledger(reports_dir)
    if runs.empty:
        return None
    keys = runs["extra"].map(lambda e: e.get("key") if isinstance(e, dict) else None)
    ok = runs[(runs["name"] == name) & (runs["status"] == "ok") & (keys == key)]
    for _, row in ok.iloc[::-1].iterrows():
        if row["html"] and (Path(reports_dir) / row["html"]).is_file():
            fields = {k: row[k] for k in RunRecord.__dataclass_fields__ if k in row}
            rec = RunRecord(**fields)
            rec.extra = dict(rec.extra or {}) | {"reused": rec.run_id}
            rec.status = "reused"
            return rec
    return None


def resolve_parameters(report: str, params: dict, notebooks_dir: Path) -> tuple[dict, str]:
    """Merge over the notebook defaults, validate, and pin relative dates to real ones.

    Returns (parameters to inject, the as-of folder label).
    """
    spec = parameters(report, notebooks_dir)
    given = coerce_parameters(report, params, notebooks_dir)
    merged = {k: p.default for k, p in spec.items()} | given
    if "source" in spec and "source" not in given and os.environ.get(config.STORE_ENV):
        merged["source"] = config.current_store()  # the store the user pointed at
    ref_text = str(merged.get("reference", "") or "")
    crm = None
    # the data's last day: the reference of relative dates (``reference: data_end``) and
    # the default as-of date and plan start (a store's dates, never the sample org's)
    needs_end = ref_text.strip().lower() == "data_end" or any(
        k in merged and not merged[k] for k in ("as_of", "plan_start")
    )
    if needs_end and "source" in merged:
        from ..store import load_store

        crm = load_store(resolve_source(merged["source"]))
    try:
        ref = reference_date(ref_text, crm)
    except (ValueError, TypeError) as exc:
        raise ParameterError(
            f"report {report!r}: parameter 'reference' must be empty, today, data_end or a "
            f"date, got {ref_text!r}"
        ) from exc
    cal = crm.calendar if crm is not None else None
    for key in ("as_of", "compare_to"):
        if key in merged and merged[key]:
            merged[key] = str(resolve_date(merged[key], ref, cal).date())
    if "as_of" in merged and not merged["as_of"]:
        merged["as_of"] = str((crm.data_end if crm is not None else ref).date())
    if "plan_start" in merged and not merged["plan_start"] and crm is not None:
        merged["plan_start"] = default_plan_start(crm)
    if "period" in merged:
        from .dates import resolve_period

        when = pd.Timestamp(merged.get("as_of") or ref)
        merged["period"] = resolve_period(merged["period"], when, cal).label
    if "reference" in merged:
        merged["reference"] = str(ref.date())
    label = str(
        merged.get("as_of") or merged.get("plan_start") or merged.get("period") or ref.date()
    )
    if merged.get("source"):  # two stores on one date keep two folders
        label += "_" + source_label(merged["source"])
    return merged, label


def source_label(source) -> str:
    """A store as a folder-name suffix: the file's stem (``salesforce``), or the database
    name of a URL, in plain characters."""
    resolved = resolve_source(source)
    stem = Path(str(getattr(resolved, "name", resolved))).stem
    return re.sub(r"[^A-Za-z0-9_.-]+", "-", stem).strip("-.") or "store"


_PLAIN_NAME = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_.-]{0,99}$")


def check_plain_name(value: str, what: str) -> str:
    """A report or output name must be a plain name (letters, digits, ``_ . -``; no path
    separators, no ``..``, not absolute), so nothing runs or writes outside its folder."""
    if not isinstance(value, str) or not _PLAIN_NAME.match(value) or ".." in value:
        raise ParameterError(
            f"{what} {value!r} is not a plain name (letters, digits, '_', '.', '-'; "
            "no folders or '..')"
        )
    return value


def clean_stale_work(base: Path) -> int:
    """Remove work folders of runs whose process is gone (killed runs), under ``base/.work``."""
    from ..runtime import pid_alive

    work = Path(base) / ".work"
    if not work.is_dir():
        return 0
    n = 0
    for d in work.iterdir():
        pid_file = d / ".pid"
        try:
            pid = int(pid_file.read_text().strip()) if pid_file.exists() else None
        except (OSError, ValueError):
            pid = None
        stale = (not pid_alive(pid)) if pid else time.time() - d.stat().st_mtime > 3600
        if stale:
            shutil.rmtree(d, ignore_errors=True)
            n += 1
    return n


def _to_html(executed: Path, out: Path, *, title: str = "", meta: dict | None = None) -> None:
    """The executed notebook as one self-contained HTML page in the workbench's look
    (:func:`~salesops_models.reports.theme.apply_theme`: header with the as-of date and the
    source, contents, print layout)."""
    import nbformat
    from nbconvert import HTMLExporter

    from .theme import apply_theme

    nb = nbformat.read(str(executed), as_version=4)
    exporter = HTMLExporter(
        exclude_input=True,
        exclude_input_prompt=True,
        exclude_output_prompt=True,
        # the lab page without its CDN scripts (require.js, MathJax, mermaid): nothing is
        # requested from the network when the report opens (checked in Chromium)
        extra_template_paths=[str(Path(__file__).parent / "templates")],
        template_file="offline.html.j2",
    )
    body, _ = exporter.from_notebook_node(nb)
    if title:
        body = apply_theme(body, title=title, meta=meta or {})
    out.write_text(body, encoding="utf-8")


def _execute(nb: Path, executed: Path, params: dict, work: Path, kernel_name: str | None) -> None:
    """Run papermill in its own process with the kernel in ``work``.

    A separate process because papermill's ``cwd`` is a process-wide ``chdir``: two reports
    running at once in threads of one process would race on it. Files a report writes (e.g.
    an Excel export) land in ``work``, beside its HTML; data paths are resolved from the
    project root, not the cwd.
    """
    import subprocess
    import sys

    import nbformat
    import yaml

    pfile = work / "parameters.yml"
    pfile.write_text(yaml.safe_dump(params, sort_keys=False))
    cmd = [
        sys.executable,
        "-m",
        "papermill",
        str(nb),
        str(executed),
        "-f",
        str(pfile),
        "--cwd",
        str(work),
        "--no-progress-bar",
        "--log-level",
        "ERROR",
    ]
    if kernel_name:
        cmd += ["-k", kernel_name]
    proc = subprocess.run(cmd, capture_output=True, text=True, cwd=str(config.PROJECT_ROOT))
    if proc.returncode == 0:
        return
    detail = ""
    if executed.exists():
        for cell in nbformat.read(str(executed), as_version=4).cells:
            for out in cell.get("outputs", []):
                if out.get("output_type") == "error":
                    detail = f"{out.get('ename')}: {out.get('evalue')}"
    if not detail:
        lines = [ln for ln in proc.stderr.strip().splitlines() if ln.strip()]
        detail = lines[-1] if lines else f"papermill exited {proc.returncode}"
    (work / "papermill.log").write_text(proc.stderr)
    raise NotebookError(detail)


def run_report(
    report: str,
    params: dict | None = None,
    *,
    name: str | None = None,
    notebooks_dir: Path = config.NOTEBOOKS_DIR,
    reports_dir: Path = config.REPORTS_DIR,
    schedule: str | None = None,
    kernel_name: str | None = None,
    update_index: bool = True,
    reuse: bool = False,
) -> RunRecord:
    """Execute one report; return its ledger record or raise :class:`ReportFailed`.

    ``name`` is the output folder (defaults to the report name; schedule entries use their
    own name so two schedules of one notebook keep separate histories). With ``reuse``, a
    good run with the same :func:`run_key` (same notebook, parameters, data, code,
    configuration and backtest scores) is returned instead of running again (status
    ``reused``; nothing is added to the ledger).
    """
    notebooks_dir, reports_dir = Path(notebooks_dir), Path(reports_dir)
    check_plain_name(report, "report")
    nb = notebook_path(report, notebooks_dir)
    resolved, label = resolve_parameters(report, params or {}, notebooks_dir)
    name = check_plain_name(name or report, "output name")
    label = check_plain_name(label, "as-of folder")
    key = run_key(nb, resolved)
    if reuse:
        prior = reusable_run(reports_dir, name, key)
        if prior is not None:
            return prior
    run_id = time.strftime("%Y%m%dT%H%M%S") + "-" + uuid.uuid4().hex[:6]
    base = reports_dir / name
    clean_stale_work(base)
    work = base / ".work" / run_id
    work.mkdir(parents=True, exist_ok=True)
    (work / ".pid").write_text(str(os.getpid()))
    record = RunRecord(
        run_id=run_id,
        name=name,
        report=report,
        parameters=resolved,
        schedule=schedule,
        started=pd.Timestamp.now().isoformat(timespec="seconds"),
        extra={"key": key},
    )
    record.data_fingerprint = file_fingerprint(
        resolve_source(resolved.get("source", config.DEFAULT_DB))
    )
    t0 = time.perf_counter()
    executed = work / "report.ipynb"
    try:
        _execute(nb, executed, resolved, work, kernel_name)
        from .theme import report_title

        source = resolved.get("source")
        _to_html(
            executed,
            work / "report.html",
            title=report_title(report) + (f" ({name})" if name != report else ""),
            meta={
                "as of": resolved.get("as_of") or resolved.get("plan_start"),
                "period": resolved.get("period"),
                "source": resolve_source(source).name if source else "",
                "data": record.data_fingerprint,
                "run": run_id,
            },
        )
    except Exception as exc:
        record.status = "failed"
        record.error = (
            f"{type(exc).__name__}: {str(exc).strip().splitlines()[-1] if str(exc).strip() else ''}"
        )
        failed = base / "failed" / run_id
        failed.parent.mkdir(parents=True, exist_ok=True)
        (work / "error.txt").write_text(f"{exc}\n\n{traceback.format_exc()}")
        (work / ".pid").unlink(missing_ok=True)
        os.replace(work, failed)
        record.failed_dir = str(failed.relative_to(reports_dir))
        record.notebook = (
            str((failed / "report.ipynb").relative_to(reports_dir))
            if (failed / "report.ipynb").exists()
            else None
        )
        _finish(record, t0, reports_dir, update_index)
        raise ReportFailed(record) from exc
    final = base / label
    record.status = "ok"
    record.html = str((final / "report.html").relative_to(reports_dir))
    record.notebook = str((final / "report.ipynb").relative_to(reports_dir))
    (work / "run.json").write_text(json.dumps(asdict(record), indent=2, default=str))
    (work / ".pid").unlink(missing_ok=True)
    with locked(base / ".lock"):
        old = None
        if final.exists():
            old = base / ".work" / f"{run_id}-replaced"
            os.replace(final, old)
        os.replace(work, final)
        if old is not None:
            shutil.rmtree(old, ignore_errors=True)
    _finish(record, t0, reports_dir, update_index)
    return record


def _finish(record: RunRecord, t0: float, reports_dir: Path, update_index: bool) -> None:
    record.finished = pd.Timestamp.now().isoformat(timespec="seconds")
    record.seconds = round(time.perf_counter() - t0, 2)
    append_run(reports_dir, record)
    if update_index:
        write_index(reports_dir)
