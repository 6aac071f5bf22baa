"""A small column map for the vendor importers: rename or add columns without a full mapping.

The Salesforce and HubSpot importers read the vendors' standard fields. An org's own fields
(a role name used as the team, a custom segment or hire-date field, its own stage names) are
named in a YAML file given to ``salesops data load salesforce|hubspot ... --columns FILE``::

    # columns.yml
    reps:                       # or User (Salesforce object names are accepted)
      team: UserRole.Name       # workbench column: the export's column header
      hire_date: Hire_Date__c
    accounts:
      segment: Customer_Tier__c
    stages:                     # the org's stage names -> the workbench's stages
      Discovery Call: Discovery
      Contracting: Negotiation

Every key is checked: an unknown table or workbench column, a column the file does not have,
or a stage mapped onto an unknown stage is an error naming the file and the key. Columns of a
file that nothing reads are listed in the load notes (:func:`unused_columns_note`), so a
field is never dropped without a word.

Examples
--------
>>> cmap = ColumnMap.from_dict({"User": {"team": "UserRole.Name"}, "stages": {"Demo": "Discovery"}})
>>> cmap.columns["reps"], cmap.stages
({'team': 'UserRole.Name'}, {'Demo': 'Discovery'})
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

import pandas as pd

from ..errors import ColumnMapError
from ..schema import STAGES, TABLES

#: Salesforce object and HubSpot file names accepted for the workbench's table names.
TABLE_ALIASES = {
    "User": "reps",
    "Users": "reps",
    "owners": "reps",
    "Account": "accounts",
    "companies": "accounts",
    "Opportunity": "opportunities",
    "deals": "opportunities",
    "OpportunityHistory": "opportunity_history",
    "Task": "activities",
    "Event": "activities",
}


@dataclass
class ColumnMap:
    """Workbench column -> export column, per table, and the org's stage names."""

    columns: dict[str, dict[str, str]] = field(default_factory=dict)
    stages: dict[str, str] = field(default_factory=dict)
    source: str = "column map"

    @classmethod
    def from_dict(cls, data: dict | None, source: str = "column map") -> ColumnMap:
        data = dict(data or {})
        if not isinstance(data, dict):
            raise ColumnMapError(f"{source}: expected a mapping of tables to columns")
        stages = data.pop("stages", None) or {}
        if not isinstance(stages, dict):
            raise ColumnMapError(f"{source}: 'stages' must map stage names to stages")
        bad = {k: v for k, v in stages.items() if v not in STAGES}
        if bad:
            k, v = next(iter(bad.items()))
            raise ColumnMapError(
                f"{source}: stages: {k!r} maps to {v!r}, not a stage (use one of {', '.join(STAGES)})"
            )
        columns: dict[str, dict[str, str]] = {}
        for key, cols in data.items():
            table = TABLE_ALIASES.get(str(key), str(key))
            if table not in TABLES:
                known = ", ".join(sorted(set(TABLES) | set(TABLE_ALIASES)))
                raise ColumnMapError(f"{source}: unknown table {key!r} (use one of {known})")
            if not isinstance(cols, dict):
                raise ColumnMapError(f"{source}: {key}: expected workbench column: export column")
            names = {c.name for c in TABLES[table]}
            for canon, src in cols.items():
                if canon not in names:
                    raise ColumnMapError(
                        f"{source}: {key}: {canon!r} is not a column of {table} "
                        f"(columns: {', '.join(sorted(names))})"
                    )
                if not isinstance(src, str) or not src.strip():
                    raise ColumnMapError(
                        f"{source}: {key}.{canon}: the export column must be a name"
                    )
            columns.setdefault(table, {}).update({c: s.strip() for c, s in cols.items()})
        return cls(columns, {str(k): v for k, v in stages.items()}, source)

    @classmethod
    def read(cls, path: str | Path | None) -> ColumnMap:
        """Read a column map YAML file (``None``: an empty map)."""
        if path is None:
            return cls()
        from ..yamlio import load_yaml

        path = Path(path)
        return cls.from_dict(load_yaml(path), source=path.name)

    def check_tables(self, read: set[str], importer: str) -> None:
        """Refuse a map naming columns of a table this load does not read (an activity file,
        or a file that is not in the export): they would be dropped without a word."""
        extra = sorted(set(self.columns) - set(read))
        if extra:
            raise ColumnMapError(
                f"{self.source}: columns of {', '.join(extra)} are mapped, but this "
                f"{importer} load reads no such file (it reads: {', '.join(sorted(read))})"
            )

    def apply(self, table: str, colmap: dict[str, str], raw: pd.DataFrame, file) -> dict[str, str]:
        """``colmap`` with this map's columns of ``table`` over it; each must be in ``raw``."""
        out = dict(colmap)
        for canon, src in self.columns.get(table, {}).items():
            if src not in raw.columns:
                raise ColumnMapError(
                    f"{self.source}: {table}.{canon} names column {src!r}, which "
                    f"{Path(str(file)).name} does not have (its columns: "
                    f"{', '.join(map(str, raw.columns))})"
                )
            out[canon] = src
        return out


def first_present(
    colmap: dict[str, str],
    fallbacks: dict[str, list[str]],
    raw: pd.DataFrame,
    file,
    notes: list[str],
) -> dict[str, str]:
    """``colmap`` with each column whose source is missing read from the first fallback
    column the file has (noted: which column stood in for which)."""
    out = dict(colmap)
    name = Path(str(file)).name
    for canon, candidates in fallbacks.items():
        if out.get(canon) in raw.columns:
            continue
        for c in candidates:
            if c in raw.columns and raw[c].notna().any():
                missing = out.get(canon)
                notes.append(
                    f"{name}: {canon} read from {c}"
                    + (f" (no {missing} column)" if missing else "")
                    + f"; name another column with --columns ({canon}: COLUMN)"
                )
                out[canon] = c
                break
    return out


def unused_columns_note(raw: pd.DataFrame, used, file, helper_prefix: str = "_") -> str | None:
    """A note listing the columns of a file that nothing reads (``None`` when all are read)."""
    used = set(used)
    unused = [str(c) for c in raw.columns if c not in used and not str(c).startswith(helper_prefix)]
    if not unused:
        return None
    return (
        f"{Path(str(file)).name}: columns not read: {', '.join(unused)} "
        "(map one onto a workbench column with --columns)"
    )
