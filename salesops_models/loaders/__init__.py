"""Importers: Salesforce, HubSpot, the Maven CRM sample and any CSV/Excel via a YAML mapping.

Every importer returns a :class:`LoadResult` (CRM, rejects, per-table summary with
rows read = accepted + rejected, notes) or raises :class:`LoadError` naming the file.
"""

from .common import LoadError, LoadResult
from .hubspot import load_hubspot
from .mapping import load_mapping
from .maven import load_maven
from .salesforce import load_salesforce
from .sources import SOURCES, default_store, load_source

__all__ = [
    "LoadError",
    "LoadResult",
    "SOURCES",
    "default_store",
    "load_hubspot",
    "load_mapping",
    "load_maven",
    "load_salesforce",
    "load_source",
]
