"""Compiling the forecast model once per machine: its graph padded to shared capacities, compiled by nutpie (numba) and kept in the compile cache, so a new process loads it instead of compiling (``salesops compile-cache --warm``)."""

from __future__ import annotations

import json

from ..crm import CRM
from .data import (
    TrainingData,
    build_training_data,
    make_levels,
)


class CompiledGraphMixin:
    """The compile half of :class:`~salesops_models.forecast.model.BookingsForecastModel`."""

    def compile_key(self, lv, backend: str) -> tuple:
        """What the compiled model depends on: the capacities, the config and the backend
        (not the org's labels, its rep -> team map or the as-of date, which are data)."""
        return (
            tuple(sorted(self.shapes(lv).items())),
            backend,
            json.dumps(self.model_config, sort_keys=True),
        )

    def _compiled(self, td: TrainingData, backend: str):
        """Compile once per (capacities, config, backend); later as-of dates and other orgs
        of the same capacities swap the data (and the labels, see :meth:`_postprocess`).
        In another process the compiled model is loaded from disk when this machine compiled
        the same graph before (:mod:`salesops_models.compile_cache`); ``compile_info`` (and
        the fit's ``attrs``) say which: ``compiled_model`` is ``"reused"`` (this model's, in
        memory), ``"disk"``, ``"compiled"`` or ``"pymc"`` (no nutpie), with
        ``compile_seconds``."""
        import time

        lv = td.levels
        key = self.compile_key(lv, backend)
        cache = getattr(self, "_cache", None)
        started = time.perf_counter()
        self._labels = {"segment": lv.segments, "team": lv.teams, "rep": lv.reps}
        data = None
        if cache is not None and cache[0] == key:
            import pymc as pm

            data = self.model_data(td)
            # the PyMC model's data too, not only the compiled log density's: the chains'
            # starting points come from a function of the model's data, and a fit must not
            # depend on which data the model was compiled with (a reused model and a fresh
            # one give the same draws for the same seed; tested)
            with cache[1]:
                pm.set_data(data)
            self.compile_info = {"compiled_model": "reused", "compile_seconds": 0.0}
            if backend == "nutpie":
                known = cache[2].shared_data  # data the graph does not read were pruned
                return (
                    cache[1],
                    cache[2].with_data(**{k: v for k, v in data.items() if k in known}),
                    data,
                )
            return cache[1], None, data
        model = self.build_model(td)
        compiled, source = None, "pymc"
        if backend == "nutpie":
            from ..bayes import compile_nutpie

            data = self.model_data(td)
            per_row = ("cell_exposure", "cell_index", "row_index", "row_events")
            per_row += ("arrival_index", "arrival_values")
            compiled, source = compile_nutpie(
                model, {k: v[..., :1].copy() for k, v in data.items() if k in per_row}
            )
        self.compile_info: dict = {
            "compiled_model": source,
            "compile_seconds": round(time.perf_counter() - started, 3),
        }
        self._cache = (key, model, compiled)
        return model, compiled, data

    def precompile(self, crm: CRM | None = None) -> dict:
        """Compile the model (and keep it in the machine's compile cache) without sampling:
        on a small generated org by default, whose capacities are the floors every org of up
        to 4 segments, 16 teams and 128 reps shares, so the first fit of such an org in any
        later process loads it from disk instead of compiling (``make install`` runs this:
        ``salesops compile-cache --warm``). Returns :attr:`compile_info`.

        Examples
        --------
        >>> from salesops_models.forecast import BookingsForecastModel
        >>> BookingsForecastModel().precompile()["compiled_model"] in ("disk", "compiled", "pymc")
        True
        """
        if crm is None:
            from ..synthetic import generate_org

            crm = generate_org(n_reps=6, years=1, seed=0).crm
        levels = make_levels(crm)
        td = build_training_data(crm, crm.data_end, levels)
        self._compiled(td, self.backend())
        return dict(self.compile_info)

    @classmethod
    def warm_up(cls) -> dict:
        """What a machine compiles for its first forecast, done once (``salesops compile-cache
        --warm``, run by ``make install``): the model (kept in the compile cache, as by
        :meth:`precompile`), PyTensor's and numba's own caches, and the forecast's simulation kernels, by a
        short fit and forecast of a small generated org (a few hundred draws, not a result:
        its convergence is not checked). Returns the model's :attr:`compile_info`."""
        from ..synthetic import generate_org

        crm = generate_org(n_reps=6, years=1, seed=0).crm
        model = cls(sampler_config={"draws": 100, "tune": 100, "retries": 0})
        model.fit(crm)  # compiles the model, or loads it from the compile cache
        model.forecast(crm.quarter(crm.data_end), draws=50)
        return dict(model.compile_info)
