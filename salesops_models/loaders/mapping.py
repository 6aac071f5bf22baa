"""Any CSV/Excel source through a YAML column-mapping file.

Example ``mapping.yml``::

    name: my-crm                      # shown as the source
    fiscal_year_start_month: 2
    dayfirst: true                    # dates like 31/01/2026
    stage_map: {Lead: Prospecting, Demo: Discovery, Won: Closed Won, Lost: Closed Lost}
    type_map: {New: new, Upsell: expansion, Renewal: renewal}
    tables:
      opportunities:
        file: deals.xlsx              # relative to the mapping file
        sheet: Deals
        columns: {id: Deal ID, account_id: Customer ID, owner_rep_id: Owner,
                  created_date: Created, close_date: Close, amount: Value, stage: Stage}
      accounts:
        file: customers.csv
        columns: {id: Customer ID, name: Customer}
      activities:                     # optional: calls, emails, meetings, tasks
        file: activities.csv
        columns: {id: Activity ID, rep_id: Owner, type: Kind, start: When,
                  duration_minutes: Minutes, opportunity_id: Deal ID}
    activity_type_map: {Phone: call, Mail: email, Visit: meeting, Todo: task}

Canonical column names are those of :mod:`salesops_models.schema`; tables left out are
derived (reps from owners, accounts from account ids) and the notes say so.
"""

from __future__ import annotations

from pathlib import Path

import yaml
from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator, model_validator

from .. import config
from ..schema import CRM_TABLE_NAMES, STAGES, TABLES
from .common import LoadError, LoadResult
from .pipeline import SourceTable, assemble
from .reading import read_raw, require_columns


class TableMapping(BaseModel):
    model_config = ConfigDict(extra="forbid")
    file: str | None = None
    #: SQL run on the mapping's database (``url``) instead of reading a file
    query: str | None = None
    sheet: str | int | None = None
    encoding: str | None = None
    columns: dict[str, str]
    defaults: dict[str, str] = Field(default_factory=dict)

    @model_validator(mode="after")
    def _one_source(self):
        if (self.file is None) == (self.query is None):
            raise ValueError("give either file or query")
        return self


class Mapping(BaseModel):
    model_config = ConfigDict(extra="forbid")
    name: str = "mapping"
    #: database the ``query`` tables run on (``salesops data pull --url`` overrides it)
    url: str | None = None
    fiscal_year_start_month: int = Field(config.FISCAL_YEAR_START_MONTH, ge=1, le=12)
    dayfirst: bool | None = None
    date_format: str | None = None
    stage_map: dict[str, str] | None = None
    type_map: dict[str, str] | None = None
    forecast_category_map: dict[str, str] | None = None
    #: source activity types onto call / email / meeting / task / internal
    activity_type_map: dict[str, str] | None = None
    tables: dict[str, TableMapping]

    @field_validator("tables")
    @classmethod
    def _known_tables(cls, v: dict[str, TableMapping]):
        for table, tm in v.items():
            if table not in CRM_TABLE_NAMES:
                raise ValueError(f"unknown table {table!r}; known: {', '.join(CRM_TABLE_NAMES)}")
            known = {c.name for c in TABLES[table]}
            for col in tm.columns:
                if col not in known:
                    raise ValueError(
                        f"tables.{table}.columns: unknown column {col!r}; known: {', '.join(sorted(known))}"
                    )
        if "opportunities" not in v:
            raise ValueError("tables: an opportunities table is required")
        return v

    @field_validator("stage_map")
    @classmethod
    def _stages(cls, v):
        for src, dst in (v or {}).items():
            if dst not in STAGES:
                raise ValueError(
                    f"stage_map[{src!r}]: {dst!r} is not a workbench stage ({', '.join(STAGES)})"
                )
        return v


def load_mapping(mapping_file: str | Path, *, url: str | None = None) -> LoadResult:
    """Import the files (and SQL queries, on ``url`` or the mapping's ``url``) described by a
    YAML mapping (see the module docstring and :mod:`salesops_models.loaders.warehouse`)."""
    mapping_file = Path(mapping_file)
    if not mapping_file.exists():
        raise LoadError(mapping_file, "mapping file not found")
    try:
        spec = Mapping.model_validate(yaml.safe_load(mapping_file.read_text()) or {})
    except ValidationError as exc:
        msgs = "; ".join(f"{'.'.join(map(str, e['loc']))}: {e['msg']}" for e in exc.errors())
        raise LoadError(mapping_file, f"invalid mapping: {msgs}") from exc
    notes: list[str] = []
    sources = {}
    value_maps = {
        k: v
        for k, v in {
            "stage": spec.stage_map,
            "type": spec.type_map,
            "forecast_category": spec.forecast_category_map,
        }.items()
        if v
    }
    url = url or spec.url
    for table, tm in spec.tables.items():
        if tm.query is not None:
            if not url:
                raise LoadError(
                    mapping_file, f"tables.{table}.query needs a database: url: or --url"
                )
            from ..sql_store import redact
            from .warehouse import query_frame

            path = f"{redact(url)}#{table}"
            raw = query_frame(url, tm.query)
        else:
            path = (mapping_file.parent / tm.file).resolve()
            raw, n = read_raw(path, sheet=tm.sheet, encoding=tm.encoding)
            notes += n
        needed = [
            c.name
            for c in TABLES[table]
            if c.required and not c.nullable and c.name not in tm.defaults
        ]
        unmapped = [c for c in needed if c not in tm.columns]
        if unmapped:
            raise LoadError(mapping_file, f"tables.{table}.columns must map {', '.join(unmapped)}")
        require_columns(raw, path, [tm.columns[c] for c in tm.columns])
        raw = raw.copy()
        colmap = dict(tm.columns)
        for col, val in tm.defaults.items():
            raw[f"_default_{col}"] = val
            colmap.setdefault(col, f"_default_{col}")
        vm = {
            k: v
            for k, v in value_maps.items()
            if k in colmap and table in ("opportunities", "opportunity_history")
        }
        if table == "activities" and spec.activity_type_map:
            vm = {"type": spec.activity_type_map}
        sources[table] = SourceTable(table, path, raw, colmap, vm)
    return assemble(
        sources,
        source_name=spec.name,
        notes=notes,
        fiscal_year_start_month=spec.fiscal_year_start_month,
        date_format=spec.date_format,
        dayfirst=spec.dayfirst,
    )
