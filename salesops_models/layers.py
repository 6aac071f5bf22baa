"""The package's layers and the allowed direction of imports between its areas.

An *area* is a top-level module or subpackage of ``salesops_models`` (``crm``, ``forecast``,
``cli``, ...). Areas sit in ordered layers, and within a layer in order: an area may import
from any area in a lower layer and from the areas listed before it in its own layer, never
from one above or after it. So there is no cycle between areas, and the direction reads off
this table (``tests/test_house_style.py`` checks every import against it, function-level
imports included; ``docs/architecture.md`` draws it).

======================  ==================================================================
layer                   areas, in order (each may import the ones before it)
======================  ==================================================================
core                    the domain and its store: errors, settings, config, runtime, blas, display,
                        draws, exports, jsonl, yamlio, periods, schema, crm, sql_store,
                        store, scoring
engine                  the modelling machinery: diagnostics, numba_cache, compile_cache,
                        distributed, bayes
areas                   one concept each: quality, pipeline, activities, territory,
                        loaders, synthetic, forecast, calls, comp,
                        capacity
views                   what combines areas for people: reports, health
interface               entry points: warehouse (local server), cli, the root package
======================  ==================================================================
"""

from __future__ import annotations

import ast
from pathlib import Path

#: (layer, areas in order); an area imports from earlier layers and earlier areas only
LAYERS: tuple[tuple[str, tuple[str, ...]], ...] = (
    (
        "core",
        (
            "errors",
            "settings",
            "config",
            "runtime",
            "blas",
            "display",
            "draws",
            "exports",
            "jsonl",
            "yamlio",
            "periods",
            "schema",
            "crm",
            "sql_store",
            "store",
            "scoring",
        ),
    ),
    ("engine", ("diagnostics", "numba_cache", "compile_cache", "distributed", "bayes")),
    (
        "areas",
        (
            "quality",
            "pipeline",
            "activities",
            "territory",
            "loaders",
            "synthetic",
            "forecast",
            "calls",
            "comp",
            "capacity",
        ),
    ),
    ("views", ("reports", "health")),
    ("interface", ("warehouse", "cli", "layers", "(root)")),
)

#: every area's position: (layer index, index in its layer)
RANK: dict[str, tuple[int, int]] = {
    area: (i, j) for i, (_, areas) in enumerate(LAYERS) for j, area in enumerate(areas)
}


def layer_of(area: str) -> str:
    """The layer an area sits in."""
    return LAYERS[RANK[area][0]][0]


def allowed(source: str, target: str) -> bool:
    """Whether area ``source`` may import from area ``target`` (a lower layer, or an
    earlier area of its own layer)."""
    return RANK[target] < RANK[source]


def area_of(module: str) -> str:
    """``salesops_models.forecast.model`` -> ``forecast``; the package itself -> ``(root)``."""
    parts = module.split(".")
    return parts[1] if len(parts) > 1 else "(root)"


def area_imports(package: Path | None = None) -> dict[tuple[str, str], list[str]]:
    """Every import from one area into another, relative imports inside functions included:
    ``{(source area, target area): [importing modules]}``."""
    package = package or Path(__file__).parent
    mods = {}
    for p in package.rglob("*.py"):
        name = ".".join(p.relative_to(package.parent).with_suffix("").parts)
        mods[name.removesuffix(".__init__")] = p
    out: dict[tuple[str, str], list[str]] = {}
    for name, p in mods.items():
        pkg = name if p.name == "__init__.py" else name.rsplit(".", 1)[0]
        for node in ast.walk(ast.parse(p.read_text(encoding="utf-8"))):
            if not isinstance(node, ast.ImportFrom) or not node.level:
                continue
            base = pkg.split(".")[: len(pkg.split(".")) - (node.level - 1)]
            target = ".".join(base + ([node.module] if node.module else []))
            for alias in node.names:
                full = f"{target}.{alias.name}"
                hit = full if full in mods else target
                a, b = area_of(name), area_of(hit)
                if a != b and hit != package.name:
                    out.setdefault((a, b), []).append(name)
    return out


def direction_table() -> list[tuple[str, str, str]]:
    """(layer, area, the areas it imports) for the docs' table."""
    edges = area_imports()
    return [
        (layer, area, ", ".join(sorted(b for (a, b) in edges if a == area)) or "-")
        for layer, areas in LAYERS
        for area in areas
    ]
