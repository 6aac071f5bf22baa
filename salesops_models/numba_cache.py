"""Shorter compiles of the forecast: a cacheable numba digamma, and nutpie's callbacks
compiled without redundant work.

PyTensor caches the numba function it generates for each op on disk
(``~/.pytensor/.../numba``), keyed by the op and its constants, so a later process loads
those instead of compiling them again. One op of our models had no cache key: PyTensor
compiles the digamma function ``psi`` (it appears in the gradient of the negative-binomial
arrival likelihood with respect to its dispersion) as a call through a pointer into SciPy's
Cython module, and a function that calls a pointer "cannot be cached" (the pointer differs
between processes); every fused elementwise op containing it was compiled again in every
process. (PyTensor caches the whole log-density function under a key too, but nutpie's C
callbacks around it were compiled in every process: numba types and links the whole call tree
again, ~20 s for the forecast model. :mod:`salesops_models.compile_cache` keeps those
callbacks on disk.)

:func:`register` gives ``psi`` a pure-numba implementation with a cache key. The
implementation is the standard one
(Abramowitz & Stegun 6.3.5, 6.3.7 and 6.3.18; Cephes ``psi``): reflection
``psi(1 - x) - psi(x) = pi / tan(pi x)`` for ``x < 0``, the recurrence
``psi(x) = psi(x + 1) - 1 / x`` up to ``x >= 10``, then the asymptotic series::

    psi(x) ~ ln x - 1/(2x) - 1/(12 x^2) + 1/(120 x^4) - 1/(252 x^6) + 1/(240 x^8)
             - 1/(132 x^10)

which is accurate to about 1e-15 relative at ``x >= 10``; poles (0, -1, -2, ...) give NaN
as SciPy does.

Two more costs are in the small C callbacks nutpie compiles around the log density on every
run (:func:`salesops_models.bayes.compile_nutpie` removes both):

- numba links the (already optimized) log density into the callback's module and runs
  LLVM's full optimization over the whole again (about 9 s on 2 cores, with no effect on
  the gradient's speed: measured 1.04 ms per gradient either way). Inside
  :func:`nutpie_wrapper_compile`, the final re-optimization of nutpie's two callbacks is
  skipped; every other function, the log density included, is optimized as usual;
- the callbacks embed the data arrays present at compile time as constants, so the model is
  compiled with one-row placeholders of its per-cell arrays and the real data swapped in
  after (``with_data``), as a backtest does anyway.

Examples
--------
>>> import numpy as np
>>> from scipy.special import digamma
>>> x = np.array([1e-3, 0.5, 1.0, 3.7, 12.0, 1e6, -2.5])
>>> bool(np.allclose([digamma_scalar(v) for v in x], digamma(x), rtol=1e-13, atol=0))
True
"""

from __future__ import annotations

import math
from contextlib import contextmanager

CACHE_KEY_VERSION = "salesops-psi-1"


def digamma_scalar(x: float) -> float:
    """Digamma of a float (see the module docstring); plain Python, jitted by numba."""
    if x <= 0.0 and math.floor(x) == x:
        return math.nan
    result = 0.0
    if x < 0.0:
        # reflection: psi(x) = psi(1 - x) - pi / tan(pi x)
        result = -math.pi / math.tan(math.pi * x)
        x = 1.0 - x
    while x < 10.0:
        result -= 1.0 / x
        x += 1.0
    f = 1.0 / (x * x)
    series = f * (
        -1.0 / 12 + f * (1.0 / 120 + f * (-1.0 / 252 + f * (1.0 / 240 + f * (-1.0 / 132))))
    )
    return result + math.log(x) - 0.5 / x + series


#: numba library names of nutpie's C callbacks (nutpie.compile_pymc)
NUTPIE_CALLBACKS = ("_make_c_logp_func.", "_make_c_expand_func.")


@contextmanager
def nutpie_wrapper_compile():
    """Inside: numba skips the final re-optimization of nutpie's callback modules only
    (see the module docstring)."""
    from numba.core import codegen

    original = codegen.CPUCodeLibrary._optimize_final_module

    def optimize_final_module(self):
        if self.name.startswith(NUTPIE_CALLBACKS):
            return  # the linked log density is optimized already; the wrapper is tiny
        original(self)

    codegen.CPUCodeLibrary._optimize_final_module = optimize_final_module
    try:
        yield
    finally:
        codegen.CPUCodeLibrary._optimize_final_module = original


_registered_ops: set[type] = set()


def register_cached_op(op_type: type, funcify) -> None:
    """Register ``funcify(node) -> (numba function, cache key)`` as ``op_type``'s numba
    implementation in PyTensor (once per op type; the key lets PyTensor cache the compiled
    code on disk)."""
    if op_type in _registered_ops:
        return
    from pytensor.link.numba.dispatch.basic import register_funcify_and_cache_key

    @register_funcify_and_cache_key(op_type)
    def numba_funcify(op, node, **kwargs):
        return funcify(node)

    _registered_ops.add(op_type)


def register() -> None:
    """Give PyTensor's numba backend a cacheable ``psi`` (idempotent)."""
    import numpy as np
    from pytensor.link.numba.dispatch import basic as numba_basic
    from pytensor.scalar.math import Psi

    jitted = numba_basic.numba_njit(digamma_scalar)

    def funcify_psi(node):
        out_dtype = node.outputs[0].type.dtype
        cast = numba_basic.direct_cast
        dtype = np.dtype(out_dtype)

        @numba_basic.numba_njit
        def psi(x):
            return cast(jitted(float(x)), dtype)

        return psi, f"{CACHE_KEY_VERSION}-{out_dtype}"

    register_cached_op(Psi, funcify_psi)
