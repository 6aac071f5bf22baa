"""Which importer serves a source name, and where its store goes by default.

``salesops data load SOURCE PATH`` and :func:`load_source` share this table: ``salesforce``
(an Opportunity file or an export folder), ``hubspot`` (a deals export), ``maven`` (the
sample's folder, default :data:`~salesops_models.config.MAVEN_DIR`) and ``mapping`` (a YAML
mapping of any CSV/Excel files).
"""

from __future__ import annotations

import re
from pathlib import Path

from .. import config
from ..errors import UserInputError
from .common import LoadResult

SOURCES = ("salesforce", "hubspot", "maven", "mapping")

#: Where ``salesops data load SOURCE`` writes by default: the source's own store.
SOURCE_STORES = {
    "salesforce": config.DATA_DIR / "salesforce.duckdb",
    "hubspot": config.DATA_DIR / "hubspot.duckdb",
    "maven": config.MAVEN_DB,
}

#: Extra files each source reads (keyword arguments of :func:`load_source`).
EXTRA_FILES = {
    "salesforce": ("history", "users", "accounts", "tasks", "events", "columns"),
    "hubspot": ("activities", "columns"),
    "maven": (),
    "mapping": (),
}

_NEEDS = {
    "salesforce": "the Opportunity.csv file or an export folder",
    "hubspot": "the deals export file",
    "mapping": "the YAML mapping file",
}


def load_source(source: str, path: Path | None = None, **files) -> LoadResult:
    """Import ``path`` with the importer of ``source`` (see the module docstring).

    ``files`` are the source's extra files (:data:`EXTRA_FILES`; None entries are ignored).
    Raises :class:`~salesops_models.errors.UserInputError` for an unknown source, a missing
    path or an extra file the source does not read.
    """
    from .hubspot import load_hubspot
    from .mapping import load_mapping
    from .maven import load_maven
    from .salesforce import load_salesforce

    if source not in SOURCES:
        raise UserInputError(f"unknown source {source!r}: use {', '.join(SOURCES)}")
    given = {k: v for k, v in files.items() if v is not None}
    foreign = sorted(set(given) - set(EXTRA_FILES[source]))
    if foreign:
        flags = ", ".join("--" + k.replace("_", "-") for k in foreign)
        raise UserInputError(f"{flags} cannot be used with a {source} load")
    if path is None and source in _NEEDS:
        raise UserInputError(f"{source} needs {_NEEDS[source]}")
    if source == "salesforce":
        return load_salesforce(path, **given)
    if source == "hubspot":
        return load_hubspot(path, **given)
    if source == "maven":
        return load_maven(path or config.MAVEN_DIR)
    return load_mapping(path)


def default_store(source: str, result: LoadResult | None = None) -> Path:
    """The store a source loads into when ``--db`` is not given (mapping: its ``name``)."""
    if source in SOURCE_STORES:
        return SOURCE_STORES[source]
    name = str((result.crm.meta.get("source") if result else None) or source)
    stem = re.sub(r"[^A-Za-z0-9_.-]+", "-", name).strip("-.") or "mapping"
    return config.DATA_DIR / f"{stem}.duckdb"
