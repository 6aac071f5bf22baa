"""PyTensor's BLAS link flags, settled before PyTensor is imported.

PyTensor probes for a linkable BLAS (MKL, Accelerate, ``-lblas``, ``-lopenblas``) the first
time it reads ``blas__ldflags`` (its first C compile: a prior predictive, PyMC's NUTS) and, on
a pip install without one (NumPy's wheel bundles its OpenBLAS under private symbol
names that C code cannot link), warns "PyTensor could not link to a BLAS installation" on
every run, with the venv's path; every notebook and report then opened with a red warning
box (issue #17). The forecast does not need it: nutpie samples through numba, which calls
SciPy's BLAS itself; only PyTensor's C backend (PyMC's own NUTS, the fallback) would.

So, unless the user configured it (``PYTENSOR_FLAGS`` or ``~/.pytensorrc``):

- a system OpenBLAS with its link name (Debian ``libopenblas-dev``) is linked
  (``blas__ldflags=-lopenblas``), so the C backend gets a real BLAS;
- without one the flags are set empty, which is what PyTensor would fall back to anyway,
  minus the failed probe and its warning.

Examples
--------
>>> env = {}
>>> configure_pytensor_blas(env, search=(), loaded=())
'blas__ldflags='
>>> env["PYTENSOR_FLAGS"]
'blas__ldflags='
>>> configure_pytensor_blas({"PYTENSOR_FLAGS": "blas__ldflags=-lmkl_rt"}, search=(), loaded=())
''
"""

from __future__ import annotations

import os
import sys
import sysconfig
from collections.abc import Container, MutableMapping, Sequence
from pathlib import Path

#: where a system BLAS's link name (``libopenblas.so``, not only the ``.so.0`` runtime) lives
SEARCH = (
    "/usr/lib/x86_64-linux-gnu",
    "/usr/lib/aarch64-linux-gnu",
    "/usr/lib64",
    "/usr/lib",
    "/usr/local/lib",
    str(sysconfig.get_config_var("LIBDIR") or "/usr/lib"),
)


def system_blas_ldflags(search: Sequence[str] = SEARCH) -> str:
    """``-lopenblas`` when a linkable system OpenBLAS is installed, else ``""``."""
    for d in search:
        if (Path(d) / "libopenblas.so").exists():
            return f"-L{d} -lopenblas"
    return ""


def configure_pytensor_blas(
    environ: MutableMapping[str, str] = os.environ,
    search: Sequence[str] = SEARCH,
    loaded: Container[str] | None = None,
) -> str:
    """Set ``blas__ldflags`` in ``PYTENSOR_FLAGS`` unless the user did (returns what was
    added, ``""`` when nothing was). No effect once PyTensor is imported (``"pytensor"`` in
    ``loaded``, default ``sys.modules``; the examples and tests pass ``()``, so they do not
    depend on what was imported before them)."""
    flags = environ.get("PYTENSOR_FLAGS", "")
    rc = environ.get("PYTENSORRC", str(Path.home() / ".pytensorrc"))
    if "blas__ldflags" in flags or "pytensor" in (sys.modules if loaded is None else loaded):
        return ""
    if any(Path(p).is_file() and "ldflags" in Path(p).read_text() for p in rc.split(os.pathsep)):
        return ""
    added = f"blas__ldflags={system_blas_ldflags(search)}"
    environ["PYTENSOR_FLAGS"] = f"{flags},{added}" if flags else added
    return added
