"""Compiled models kept on disk, so a model is compiled once per machine, not once per process.

nutpie samples a PyMC model through two C callbacks that numba compiles: the log density with
its gradient, and the expansion of a draw into every traced variable. For the bookings
forecast that compile takes ~20 s on 2 cores (PyTensor rewriting the graph, then numba typing
and linking ~400 ops), in every new process: each scheduled report, each notebook kernel and
each backtest worker paid it again, although PyTensor already caches each op's code on disk
(:mod:`salesops_models.numba_cache`).

This module stores the two compiled callbacks (numba's own serialized form of a compile
result: object code plus what numba needs to load it, the same form ``@njit(cache=True)``
writes) with what nutpie needs to drive them, and loads them in a later process instead of
compiling. The callbacks read every data array through nutpie's ``user_data`` pointers at run
time (that is how ``with_data`` swaps data without a compile), so one entry serves any data of
the same graph: another as-of date, another org of the same capacities.

The entry's key (sha256) covers everything the machine code depends on:

- a structural digest of the model (:func:`graph_digest`) over its log density and every
  traced variable, before any rewrite: each op with its parameters, each constant's bytes,
  each input's name and type; data (``pm.Data``) by name and type, not by value;
- the order and names of the free variables and ``check_bounds``;
- Python's and the compiling packages' versions (:data:`PACKAGES`) and the source of this
  package's modules that use numba or PyTensor (a custom op's numba code is not in its
  parameters);
- the CPU numba compiles for (target triple, CPU name and features) and PyTensor's flags
  that change compiled code.

A model whose graph cannot be described without memory addresses (an op holding a closure,
say) has no key and is compiled as before. On a hit the stored variable shapes, data names,
ranks and dtypes are checked against the model; any difference, an unreadable file or a
callback that is not found means the model is compiled again (and the entry rewritten).
Entries are written to a temporary file and renamed, so concurrent writers (the backtest's
worker processes) never leave half a file.

The directory is ``<PyTensor base_compiledir>/salesops-nutpie`` (next to the op cache it
extends; deleting PyTensor's cache deletes both), or ``$SALESOPS_COMPILE_CACHE``; set that to
``off`` to compile every time.

Examples
--------
>>> import pytensor.tensor as pt
>>> x = pt.dvector("x")
>>> graph_digest([pt.exp(x).sum()]) == graph_digest([pt.exp(pt.dvector("x")).sum()])
True
>>> graph_digest([pt.exp(x).sum()]) == graph_digest([pt.log(x).sum()])
False
"""

from __future__ import annotations

import hashlib
import json
import logging
import os
import pickle
import sys
import tempfile
import types
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from .errors import Undescribable

log = logging.getLogger(__name__)

#: bump when the entry layout changes
FORMAT_VERSION = 1
#: environment variable: a directory for the entries, or ``off``
ENV_VAR = "SALESOPS_COMPILE_CACHE"
#: packages whose versions change the compiled code or the way it is driven
PACKAGES = ("numpy", "scipy", "pytensor", "pymc", "numba", "llvmlite", "nutpie")
#: entries kept (the least recently used beyond this are deleted when one is written; an
#: entry of the forecast model is ~5 MB)
MAX_ENTRIES = 24
#: the two callbacks of a nutpie model, by their field in ``CompiledPyMCModel``
CALLBACKS = ("compiled_logp_func", "compiled_expand_func")


def cache_dir() -> Path | None:
    """Where entries live, or None when the cache is switched off (see the module docstring)."""
    value = os.environ.get(ENV_VAR, "").strip()
    if value.lower() in {"off", "0", "false", "no", "none"}:
        return None
    if value:
        return Path(value)
    import pytensor

    return Path(pytensor.config.base_compiledir) / "salesops-nutpie"


# --- keys -------------------------------------------------------------------------------------
def _sha(text: str | bytes) -> str:
    return hashlib.sha256(text.encode() if isinstance(text, str) else text).hexdigest()


def _named(obj) -> str:
    qualname = getattr(obj, "__qualname__", "")
    if not qualname or "<locals>" in qualname or "<lambda>" in qualname:
        raise Undescribable(repr(obj))
    return f"{obj.__module__}.{qualname}"


def describe(value) -> str:
    """A text that identifies ``value`` across processes (ops, types and their parameters).

    Plain values by ``repr``; arrays by PyTensor's hash of their bytes, shape, strides and
    dtype; containers
    item by item; functions and classes by module and qualified name; objects with
    ``__props__`` (PyTensor ops and types) by class and those properties; other objects by
    class and attributes. :class:`Undescribable` when only an address would identify it.
    """
    if value is None or isinstance(value, (bool, int, float, complex, str, bytes)):
        return repr(value)
    if isinstance(value, np.ndarray):  # PyTensor's own hash of a constant (its numba cache's)
        from pytensor.tensor.utils import hash_from_ndarray

        return f"ndarray({hash_from_ndarray(value)})"
    if isinstance(value, np.generic):
        return f"{value.dtype.str}:{value!r}"
    if isinstance(value, np.dtype):
        return f"dtype({value.str})"
    if isinstance(value, (tuple, list)):
        return f"{type(value).__name__}(" + ",".join(describe(v) for v in value) + ")"
    if isinstance(value, (set, frozenset)):
        return "set(" + ",".join(sorted(describe(v) for v in value)) + ")"
    if isinstance(value, dict):
        items = sorted(f"{describe(k)}:{describe(v)}" for k, v in value.items())
        return "dict(" + ",".join(items) + ")"
    if isinstance(value, (types.FunctionType, types.BuiltinFunctionType, type)):
        return _named(value)
    kind = _named(type(value))
    props = getattr(type(value), "__props__", None)
    if props is not None:
        return f"{kind}(" + ",".join(f"{p}={describe(getattr(value, p))}" for p in props) + ")"
    state = getattr(value, "__dict__", None)
    if state is not None:
        return f"{kind}{describe(dict(state))}"
    text = repr(value)
    if " at 0x" in text:
        raise Undescribable(text)
    return f"{kind}:{text}"


def graph_digest(outputs) -> str | None:
    """sha256 of the structure of the graph computing ``outputs`` (a Merkle hash: each
    variable's digest is made of its op's description and its inputs' digests), or None when
    a part of it is :class:`Undescribable`.

    Independent of node order and object identity, so the same model built in two processes
    (or on two orgs of the same capacities) has the same digest. Shared variables (data) count
    by name and type, not value; constants by value.
    """
    from pytensor.compile.sharedvalue import SharedVariable
    from pytensor.graph.basic import Constant
    from pytensor.graph.traversal import io_toposort

    memo: dict = {}
    ops: dict = {}

    def leaf(var) -> str:
        if var not in memo:
            if isinstance(var, Constant):
                text = f"const {describe(var.type)} {describe(var.data)}"
            elif isinstance(var, SharedVariable):
                text = f"shared {var.name} {describe(var.type)}"
            else:
                text = f"input {var.name} {describe(var.type)}"
            memo[var] = _sha(text)
        return memo[var]

    try:
        for node in io_toposort([], list(outputs)):
            if node.op not in ops:
                ops[node.op] = describe(node.op)
            inputs = ",".join(memo[i] if i in memo else leaf(i) for i in node.inputs)
            for j, out in enumerate(node.outputs):
                memo[out] = _sha(f"{ops[node.op]}|{inputs}|{j}|{describe(out.type)}")
        return _sha(",".join(memo[o] if o in memo else leaf(o) for o in outputs))
    except Undescribable as exc:
        log.info("no compile-cache key: %s", exc)
        return None


#: words that mark a module able to change compiled code beyond what the graph digest sees
#: (a custom op's numba implementation, a registered dispatch)
COMPILED_CODE_MARKERS = (b"numba", b"pytensor")


def source_digest() -> str:
    """sha256 of this package's modules that can change compiled code: those that use
    numba or PyTensor (a custom op's numba code is not in its parameters). Other modules
    reach the compiled code only through the graph, which :func:`graph_digest` covers."""
    root = Path(__file__).resolve().parent
    h = hashlib.sha256()
    for path in sorted(root.rglob("*.py")):
        text = path.read_bytes()
        if any(marker in text for marker in COMPILED_CODE_MARKERS):
            h.update(str(path.relative_to(root)).encode())
            h.update(text)
    return h.hexdigest()


def environment() -> dict:
    """The machine and software facts compiled code depends on."""
    from importlib.metadata import PackageNotFoundError, version

    import numba
    import pytensor
    from numba.core.registry import cpu_target

    versions = {}
    for name in PACKAGES:
        try:
            versions[name] = version(name)
        except PackageNotFoundError:
            versions[name] = None
    cfg = pytensor.config
    return {
        "python": sys.version,
        "packages": versions,
        "source": source_digest(),
        "target": list(cpu_target.target_context.codegen().magic_tuple()),
        "numba_opt": str(numba.config.OPT),
        "pytensor": {
            name: str(getattr(cfg, name, None))
            for name in (
                "floatX",
                "numba__fastmath",
                "optimizer",
                "optimizer_including",
                "optimizer_excluding",
            )
        },
    }


def model_outputs(model) -> list:
    """What nutpie compiles of ``model``: its log density and every traced variable."""
    return [model.logp(), *model.unobserved_value_vars]


def model_key(model, outputs=None) -> str | None:
    """The cache key of a PyMC ``model`` compiled for nutpie (see the module docstring), or
    None when it has none. ``outputs``: :func:`model_outputs`, when already built."""
    digest = graph_digest(outputs if outputs is not None else model_outputs(model))
    if digest is None:
        return None
    parts = {
        "format": FORMAT_VERSION,
        "graph": digest,
        "free": [model.rvs_to_values[rv].name for rv in model.free_RVs],
        "check_bounds": bool(model.check_bounds),
        "environment": environment(),
    }
    return _sha(json.dumps(parts, sort_keys=True))


@contextmanager
def captured_callbacks():
    """Inside: every numba C callback compiled is recorded (native name -> numba's compile
    result), so :func:`store` can serialize nutpie's two."""
    from numba.core import ccallback

    results: dict = {}
    original = ccallback.CFunc._compile_uncached

    def compile_uncached(self):
        cres = original(self)
        results[cres.fndesc.llvm_cfunc_wrapper_name] = cres
        return cres

    ccallback.CFunc._compile_uncached = compile_uncached
    try:
        yield results
    finally:
        ccallback.CFunc._compile_uncached = original


# --- entries ----------------------------------------------------------------------------------
def callback_type(field: str):
    """The ctypes prototype of nutpie's callback ``field`` (:data:`CALLBACKS`):
    ``logp(dim, x, grad_out, logp_out, user_data)`` and
    ``expand(dim, n_expanded, x, values_out, user_data)``, both returning 0 on success."""
    import ctypes

    double_p = ctypes.POINTER(ctypes.c_double)
    if field == "compiled_logp_func":
        args = (ctypes.c_uint64, double_p, double_p, double_p, ctypes.c_void_p)
    else:
        args = (ctypes.c_uint64, ctypes.c_uint64, double_p, double_p, ctypes.c_void_p)
    return ctypes.CFUNCTYPE(ctypes.c_int64, *args)


@dataclass(frozen=True)
class LoadedCallback:
    """A compiled C callback loaded from the cache: what nutpie and callers read of a numba
    ``cfunc`` (``address``, ``native_name``, ``ctypes``)."""

    field: str
    address: int
    native_name: str
    result: object  # numba's CompileResult: keeps the code loaded

    @property
    def ctypes(self):
        """The callback as a ctypes function (see :func:`callback_type`)."""
        return callback_type(self.field)(self.address)


def _entry_path(key: str) -> Path | None:
    root = cache_dir()
    return None if root is None else root / f"{key}.pkl"


def store(key: str, compiled, results: dict) -> Path | None:
    """Write the entry for ``compiled`` (a fresh nutpie model) and the numba compile results
    of its two callbacks (``results``: native name -> CompileResult); None when the callbacks
    cannot be cached (numba's own rule: no dynamic globals, no lifted loops)."""
    path = _entry_path(key)
    if path is None:
        return None
    from numba.core.serialize import dumps

    payloads = {}
    for field in CALLBACKS:
        name = getattr(compiled, field).native_name
        cres = results.get(name)
        if cres is None or cres.library.has_dynamic_globals or cres.lifted:
            log.info("compile cache: %s cannot be cached", field)
            return None
        payloads[field] = (name, cres._reduce())
    entry = {
        "format": FORMAT_VERSION,
        "key": key,
        "n_dim": compiled.n_dim,
        "n_expanded": compiled.n_expanded,
        "shape_info": compiled.shape_info,
        "shared": [(name, v.ndim, v.dtype.str) for name, v in compiled.shared_data.items()],
        "user_data_dtype": compiled.user_data.dtype,
        "callbacks": payloads,
    }
    try:
        blob = dumps(entry)
    except Exception as exc:  # something numba cannot serialize: the model still works
        log.info("compile cache: cannot serialize the compiled model (%s)", exc)
        return None
    tmp = None
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=f"{key}-", suffix=".tmp")
        with os.fdopen(fd, "wb") as fh:
            fh.write(blob)
        os.replace(tmp, path)
    except OSError as exc:  # a read-only or full disk: the model still works
        log.warning("compile cache: could not write %s: %s", path, exc)
        if tmp is not None:
            Path(tmp).unlink(missing_ok=True)
        return None
    prune(path.parent)
    return path


def entries() -> list[Path]:
    """The cache's entries, most recently used first ([] when it is off or empty)."""
    root = cache_dir()
    if root is None or not root.is_dir():
        return []
    return sorted(root.glob("*.pkl"), key=lambda p: p.stat().st_mtime, reverse=True)


def clear() -> int:
    """Delete every entry (later fits compile again once); returns how many were deleted."""
    found = entries()
    for path in found:
        path.unlink(missing_ok=True)
    return len(found)


def prune(root: Path, keep: int = MAX_ENTRIES) -> list[Path]:
    """Delete all but the ``keep`` most recently used entries (loading one touches it);
    returns the deleted paths."""
    entries = []
    for path in root.glob("*.pkl"):
        try:
            entries.append((path.stat().st_mtime, path))
        except OSError:
            continue
    deleted = []
    for _, path in sorted(entries, reverse=True)[keep:]:
        try:
            path.unlink()
            deleted.append(path)
        except OSError:
            pass
    return deleted


def _shared_variables(model, outputs) -> dict:
    """The shared variables (data) the graph of ``outputs`` reads, by name: the model's own
    named data first (a dimension's length is a shared variable of the dimension's name too,
    which a data array may share); a name that is neither the model's nor unique is left out
    (so an entry that needs it is a miss)."""
    from pytensor.compile.sharedvalue import SharedVariable
    from pytensor.graph.traversal import ancestors

    found: dict[str, list] = {}
    for v in ancestors(outputs):
        if isinstance(v, SharedVariable) and v.name:
            found.setdefault(v.name, []).append(v)
    named = {name: v for name, v in model.named_vars.items() if isinstance(v, SharedVariable)}
    return named | {name: vs[0] for name, vs in found.items() if len(vs) == 1 and name not in named}


def load(model, key: str, outputs=None):
    """The nutpie model of ``model`` built from the cache entry ``key``, or None on a miss
    (no entry, another layout, or anything that does not match the model). ``outputs``:
    :func:`model_outputs`, when already built."""
    path = _entry_path(key)
    if path is None or not path.is_file():
        return None
    try:
        with open(path, "rb") as fh:
            entry = pickle.load(fh)
    except Exception as exc:  # a damaged entry is a miss, not an error
        log.warning("compile cache: unreadable entry %s (%s); compiling", path, exc)
        return None
    if not isinstance(entry, dict) or entry.get("format") != FORMAT_VERSION:
        return None
    if entry.get("key") != key:
        return None
    try:
        os.utime(path)  # most recently used (see prune)
    except OSError:
        pass
    try:
        return _build(model, entry, outputs if outputs is not None else model_outputs(model))
    except Exception as exc:  # another nutpie or numba layout: compile as if there were none
        log.warning("compile cache: could not load %s (%s); compiling", path, exc)
        return None


def _build(model, entry, outputs):
    from numba.core.compiler import CompileResult
    from numba.core.registry import cpu_target
    from nutpie.compile_pymc import (
        CompiledPyMCModel,
        _prepare_dims_and_coords,
        _rv_dict_to_flat_array_wrapper,
        _wrap_with_lock,
        make_user_data,
    )
    from pymc.initial_point import make_initial_point_fn

    names, _, shapes = entry["shape_info"]
    available = _shared_variables(model, outputs)
    shared_vars, shared_data = {}, {}
    for name, ndim, dtype in entry["shared"]:
        var = available.get(name)
        if var is None or var.ndim != ndim or np.dtype(var.dtype).str != dtype:
            log.info("compile cache: data %s differ; compiling", name)
            return None
        value = np.array(var.get_value(), order="C", copy=True)
        value.flags.writeable = False
        shared_vars[name], shared_data[name] = var, value
    user_data = make_user_data(shared_vars, shared_data)
    if user_data.dtype != entry["user_data_dtype"]:
        return None
    context = cpu_target.target_context
    callbacks = {}
    for field, (native_name, payload) in entry["callbacks"].items():
        cres = CompileResult._rebuild(context, *payload)
        address = cres.library.get_pointer_to_function(native_name)
        if not address:
            return None
        callbacks[field] = LoadedCallback(field, address, native_name, cres)
    # nutpie's own initial points (compile_pymc_model's defaults: support point, jittered)
    initial = make_initial_point_fn(
        model=model,
        default_strategy="support_point",
        jitter_rvs=set(model.free_RVs),
        return_transformed=True,
    )
    n_free = len(model.free_RVs)
    initial_point_func = _rv_dict_to_flat_array_wrapper(
        _wrap_with_lock(initial), names=names[:n_free], shapes=shapes[:n_free]
    )
    try:  # raises when a free variable's shape differs from the entry's
        point = initial_point_func(0)
    except ValueError as exc:
        log.info("compile cache: %s; compiling", exc)
        return None
    if not _callbacks_run(callbacks, point, entry["n_expanded"], user_data):
        log.info("compile cache: the stored callbacks do not run on this model; compiling")
        return None
    dims, coords = _prepare_dims_and_coords(model, entry["shape_info"])
    return CompiledPyMCModel(
        _n_dim=entry["n_dim"],
        dims=dims,
        _coords=coords,
        _shapes={n: tuple(s) for n, s in zip(names, shapes, strict=True)},
        compiled_logp_func=callbacks["compiled_logp_func"],
        compiled_expand_func=callbacks["compiled_expand_func"],
        initial_point_func=initial_point_func,
        shared_data=shared_data,
        user_data=user_data,
        n_expanded=entry["n_expanded"],
        shape_info=entry["shape_info"],
        logp_func=None,
        expand_func=None,
    )


def _callbacks_run(callbacks: dict, point: np.ndarray, n_expanded: int, user_data) -> bool:
    """Whether both loaded callbacks run at ``point`` on the model's data: the log density
    returns 0 (or 3/4, a non-finite value nutpie handles by starting elsewhere) and the
    expansion fills exactly ``n_expanded`` values (a traced variable whose length follows
    the data would not)."""
    import ctypes

    double_p = ctypes.POINTER(ctypes.c_double)
    x = np.ascontiguousarray(point, dtype=np.float64)
    grad = np.empty_like(x)
    value = np.zeros(1)
    out = np.empty(n_expanded)
    data = ctypes.c_void_p(user_data.ctypes.data)
    code = callbacks["compiled_logp_func"].ctypes(
        len(x),
        x.ctypes.data_as(double_p),
        grad.ctypes.data_as(double_p),
        value.ctypes.data_as(double_p),
        data,
    )
    if code not in (0, 3, 4):
        return False
    code = callbacks["compiled_expand_func"].ctypes(
        len(x), n_expanded, x.ctypes.data_as(double_p), out.ctypes.data_as(double_p), data
    )
    return code == 0 and bool(np.array_equal(out[: len(x)], x))
