"""The base of the workbench's Bayesian models (the pymc-marketing ``ModelBuilder`` pattern).

The contract (fixed signatures, checked by ``tests/test_house_style.py`` for every subclass):

- ``build_model(data) -> pymc.Model``: the graph of the data the model was given;
- ``fit(crm, as_of=None, *, seed=0, progressbar=False) -> InferenceData``: the posterior of
  the history as of ``as_of`` (default: the data's last day); ``fit`` returns the
  InferenceData (``model.idata``), not the model;
- ``prior_predictive(crm, as_of=None, *, samples=..., seed=0) -> InferenceData``: prior draws
  (group ``prior``) and, where the model has them, prior predictive draws.

A model class states what is its own (``model_type``, default configs, the PyMC graph, the
free parameters whose convergence is checked, what it keeps beside the posterior) and inherits
the workflow every model shares:

- ``model_config`` / ``sampler_config`` merged over the class defaults;
- one sampler choice (:meth:`BayesModel.backend`): nutpie when installed, else PyMC's NUTS,
  overridable with ``sampler_config["backend"]``; one :meth:`BayesModel.sample` path;
- metadata in ``idata.attrs`` on every fit: ``model_type``, package version, both configs,
  the backend, the data fingerprint, the as-of date and the fit time;
- :meth:`BayesModel.diagnostics`: rank-normalized r_hat, bulk ESS and divergences over the
  free parameters (Vehtari et al. 2021), via :func:`salesops_models.diagnostics.diagnose`;
- :meth:`BayesModel.save` to netCDF and :meth:`BayesModel.load` that refuses a file written
  by another model type (:class:`ModelFileError`);
- :class:`NotFittedError` (scikit-learn's name) from anything that needs a posterior before
  :meth:`fit` ran or a model was loaded.

Examples
--------
>>> from salesops_models.capacity import ProductivityModel
>>> model = ProductivityModel(sampler_config={"draws": 200})
>>> model.sampler_config["draws"], model.sampler_config["tune"]
(200, 1000)
>>> model.diagnostics()
Traceback (most recent call last):
...
salesops_models.errors.NotFittedError: ProductivityModel is not fitted yet: call fit() or load() first
"""

from __future__ import annotations

import json
import logging
import time
from abc import ABC, abstractmethod
from pathlib import Path
from typing import ClassVar

import arviz as az
import pandas as pd

from .diagnostics import Diagnostics, diagnose
from .errors import ModelFileError, NotFittedError

DEFAULT_SAMPLER_CONFIG = {
    "draws": 1000,
    "tune": 1000,
    "chains": 2,
    "target_accept": 0.85,
    "backend": "auto",  # "auto" (nutpie when installed), "nutpie" or "pymc"
    # a fit that fails the convergence check samples again with twice the tuning and draws
    # (a new seed), up to this many times; the attempts are kept in ``idata.attrs``
    "retries": 2,
}


def compile_nutpie(model, placeholders: dict | None = None):
    """nutpie's numba compile of ``model``, or the same compiled model loaded from disk.

    Returns ``(compiled, source)``, ``source`` being ``"disk"`` when a former process compiled
    this graph on this machine (:mod:`salesops_models.compile_cache`: keyed by the graph's
    structure, not its data) and ``"compiled"`` otherwise. A compile uses PyTensor's on-disk
    cache for every op (:mod:`salesops_models.numba_cache`), compiles nutpie's callbacks
    without re-optimizing the log density they link, and stores the result for later
    processes.

    ``placeholders`` (name -> small array of the same rank and dtype) stand in for large
    ``pm.Data`` arrays while compiling (nutpie bakes the data present at compile time into
    its callbacks as constants, never read: the callbacks read the data through pointers);
    the model's data are swapped back in after.
    """
    import nutpie
    import pymc as pm

    from . import compile_cache
    from .numba_cache import nutpie_wrapper_compile, register

    register()
    key = outputs = None
    if compile_cache.cache_dir() is not None:
        outputs = compile_cache.model_outputs(model)
        key = compile_cache.model_key(model, outputs)
        if key is not None:
            loaded = compile_cache.load(model, key, outputs)
            if loaded is not None:
                return loaded, "disk"
    real = {}
    if placeholders:
        real = {k: model[k].get_value() for k in placeholders}
        with model:
            pm.set_data(placeholders)
    try:
        with quiet(), nutpie_wrapper_compile(), compile_cache.captured_callbacks() as results:
            compiled = nutpie.compile_pymc_model(model)
    finally:
        if real:
            with model:
                pm.set_data(real)
    if key is not None:
        compile_cache.store(key, compiled, results)
    if real:
        compiled = compiled.with_data(
            **{k: v for k, v in real.items() if k in compiled.shared_data}
        )
    return compiled, "compiled"


def has_nutpie() -> bool:
    try:
        import nutpie  # noqa: F401
    except ImportError:
        return False
    return True


class quiet:
    """Context manager: PyMC's INFO chatter (sampler banners) off while sampling."""

    def __enter__(self):
        self.logger = logging.getLogger("pymc")
        self.level = self.logger.level
        self.logger.setLevel(logging.WARNING)
        return self

    def __exit__(self, *exc):
        self.logger.setLevel(self.level)


class BayesModel(ABC):
    """Shared workflow of the PyMC models (see the module docstring for the contract).

    Subclasses set ``model_type``, ``default_model_config``, ``default_sampler_config`` and
    ``free_parameters``, implement ``fit`` (usually: build the data, build the graph, call
    :meth:`sample`, then :meth:`record_fit`), and may extend :meth:`_save_attrs` /
    :meth:`_restore` with what they keep beside the posterior.
    """

    model_type: ClassVar[str] = "base"
    default_model_config: ClassVar[dict] = {}
    default_sampler_config: ClassVar[dict] = DEFAULT_SAMPLER_CONFIG
    free_parameters: ClassVar[tuple[str, ...]] = ()
    #: what the convergence check looks at (default: the free parameters); a model whose
    #: free parameters include a reparameterization's unused half checks the quantity itself
    diagnosed_parameters: ClassVar[tuple[str, ...]] = ()
    #: the parameters in plain words, for the check's report
    parameter_words: ClassVar[dict[str, str]] = {}

    def __init__(self, model_config: dict | None = None, sampler_config: dict | None = None):
        self.model_config = dict(self.default_model_config) | dict(model_config or {})
        self.sampler_config = dict(self.default_sampler_config) | dict(sampler_config or {})
        self.idata: az.InferenceData | None = None
        self.fingerprint: str | None = None
        self.fit_seconds: float | None = None

    def __repr__(self) -> str:
        state = "fitted" if self.idata is not None else "not fitted"
        as_of = self.idata.attrs.get("as_of") if self.idata is not None else None
        return f"{type(self).__name__}({state}{f', as of {as_of}' if as_of else ''})"

    # --- configuration ----------------------------------------------------------------------
    def get_params(self) -> dict:
        """Both configs (scikit-learn's name), JSON-ready."""
        return {
            "model_config": dict(self.model_config),
            "sampler_config": dict(self.sampler_config),
        }

    def backend(self) -> str:
        """The sampler this model runs with: ``sampler_config["backend"]``, where ``"auto"``
        means nutpie when it is installed (compiled with numba, faster per gradient), else
        PyMC's own NUTS."""
        choice = self.sampler_config.get("backend", "auto")
        if choice == "auto":
            return "nutpie" if has_nutpie() else "pymc"
        if choice not in ("nutpie", "pymc"):
            raise ValueError(f"sampler backend must be 'auto', 'nutpie' or 'pymc', not {choice!r}")
        return choice

    # --- the contract -------------------------------------------------------------------------
    @abstractmethod
    def build_model(self, data):
        """The PyMC model of ``data`` (the model's own training data)."""

    @abstractmethod
    def fit(self, crm, as_of=None, *, seed: int = 0, progressbar: bool = False) -> az.InferenceData:
        """Fit on the history visible as of ``as_of``; returns (and keeps) the posterior."""

    @abstractmethod
    def prior_predictive(self, crm, as_of=None, *, samples: int, seed: int = 0) -> az.InferenceData:
        """Prior draws of the parameters (and of what the model observes, where it can)."""

    # --- fitting ----------------------------------------------------------------------------
    def sample(
        self, model, *, seed: int, progressbar: bool = False, compiled=None, backend=None
    ) -> az.InferenceData:
        """Draw the posterior of the PyMC ``model`` with the configured sampler.

        ``compiled`` is a nutpie compiled model to reuse (a backtest swaps only the data).
        A draw that fails the convergence check (:meth:`diagnostics`) is retried with twice
        the tuning and draws, a target acceptance halfway closer to 1 and the next seed, ``sampler_config["retries"]`` times; the
        attempts are listed in ``idata.attrs["sampling_attempts"]``. A fit that still fails
        keeps its last draw and says so in :meth:`diagnostics` (which parameter, in words).
        """
        sc = dict(self.sampler_config)
        backend = backend or self.backend()
        attempts = []
        for attempt in range(int(sc.get("retries", 0)) + 1):
            idata = self._draw(model, sc, seed + attempt, progressbar, compiled, backend)
            idata = self._postprocess(idata)
            diag = self._diagnose(idata)
            attempts.append(
                f"tune {sc['tune']}, draws {sc['draws']}, target_accept "
                f"{sc['target_accept']:.4g}, seed {seed + attempt}: " + diag.summary()
            )
            if diag.ok:
                break
            sc["tune"], sc["draws"] = 2 * sc["tune"], 2 * sc["draws"]
            # halve the distance to 1 of the target acceptance: smaller steps for the
            # curvature that made a transition diverge (0.85 -> 0.925 -> 0.9625)
            sc["target_accept"] = 1.0 - (1.0 - sc["target_accept"]) / 2
        idata.attrs["sampling_attempts"] = json.dumps(attempts)
        # the last attempt's check is the posterior's: diagnostics() reuses it once the fit
        # keeps these draws (record_fit), instead of computing it a second time
        self._diagnostics_cache = (idata, diag)
        return idata

    def _draw(self, model, sc, seed, progressbar, compiled, backend) -> az.InferenceData:
        import pymc as pm

        with quiet():
            if backend == "nutpie":
                import nutpie

                if compiled is None:
                    compiled, _ = compile_nutpie(model)
                return nutpie.sample(
                    compiled,
                    draws=sc["draws"],
                    tune=sc["tune"],
                    chains=sc["chains"],
                    seed=seed,
                    progress_bar=progressbar,
                    target_accept=sc["target_accept"],
                    # the tuning draws are not kept: nothing reads them, and converting and
                    # saving them cost time and memory with every fit
                    save_warmup=False,
                    **sc.get("nutpie_kwargs", {}),
                )
            with model:
                return pm.sample(
                    draws=sc["draws"],
                    tune=sc["tune"],
                    chains=sc["chains"],
                    random_seed=seed,
                    progressbar=progressbar,
                    target_accept=sc["target_accept"],
                    cores=min(2, sc["chains"]),
                )

    def _postprocess(self, idata: az.InferenceData) -> az.InferenceData:
        """What a subclass does to fresh draws before they are checked (default: nothing)."""
        return idata

    def record_fit(
        self, idata: az.InferenceData, *, as_of=None, fingerprint=None, started=None, **extra
    ) -> az.InferenceData:
        """Keep ``idata`` as the model's posterior and stamp its metadata into ``attrs``."""
        from . import __version__

        self.idata = idata
        self.fingerprint = fingerprint
        if started is not None:
            self.fit_seconds = time.perf_counter() - started
        attrs = {
            "model_type": self.model_type,
            "salesops_models_version": __version__,
            "model_config": json.dumps(self.model_config),
            "sampler_config": json.dumps(self.sampler_config),
            "backend": extra.pop("backend", None) or self.backend(),
        }
        if as_of is not None:
            attrs["as_of"] = str(pd.Timestamp(as_of).date())
        if fingerprint is not None:
            attrs["data_fingerprint"] = fingerprint
        if self.fit_seconds is not None:
            attrs["fit_seconds"] = self.fit_seconds
        idata.attrs.update(attrs | extra)
        return idata

    def check_fitted(self) -> az.InferenceData:
        """The posterior, or :class:`NotFittedError`."""
        if self.idata is None:
            raise NotFittedError(
                f"{type(self).__name__} is not fitted yet: call fit() or load() first"
            )
        return self.idata

    # --- results ----------------------------------------------------------------------------
    @property
    def ess_goal(self) -> float:
        """Total bulk ESS each parameter must reach (Vehtari et al. 2021: 400)."""
        return 400.0

    def diagnostics(self) -> Diagnostics:
        """Rank-normalized r_hat, bulk ESS and divergences over the diagnosed parameters
        (computed once per posterior: every forecast and what-if reports them)."""
        idata = self.check_fitted()
        cached = getattr(self, "_diagnostics_cache", None)
        if cached is not None and cached[0] is idata:
            return cached[1]
        diag = self._diagnose(idata)
        self._diagnostics_cache = (idata, diag)
        return diag

    def _diagnose(self, idata: az.InferenceData) -> Diagnostics:
        checked = self.diagnosed_parameters or self.free_parameters
        names = [v for v in checked if v in idata.posterior]
        return diagnose(idata, names, ess_goal=self.ess_goal, words=self.parameter_words)

    @property
    def sampling_attempts(self) -> list[str]:
        """One line per sampling attempt of the last fit (more than one: the first failed the
        convergence check and was retried with more tuning)."""
        raw = self.check_fitted().attrs.get("sampling_attempts")
        return json.loads(raw) if raw else []

    def summary(self, var_names=None) -> pd.DataFrame:
        """ArviZ's posterior summary of the free parameters (or ``var_names``)."""
        idata = self.check_fitted()
        names = var_names or [v for v in self.free_parameters if v in idata.posterior]
        return az.summary(idata, var_names=names)

    # --- persistence ------------------------------------------------------------------------
    def _save_attrs(self) -> dict:
        """Extra ``attrs`` a subclass needs to restore itself (JSON strings)."""
        return {}

    def _save_groups(self) -> dict:
        """Extra InferenceData groups a subclass saves beside the posterior (name ->
        ``xarray.Dataset``), e.g. the data summary that lets it work without the CRM."""
        return {}

    def _restore(self, idata: az.InferenceData, crm=None) -> None:
        """Rebuild what a subclass keeps beside the posterior after :meth:`load` (nothing by
        default)."""
        return None

    def save(self, path: str | Path) -> Path:
        """The posterior and its metadata (configs, model type, as-of, fingerprint) as netCDF."""
        idata = self.check_fitted()
        path = Path(path)
        idata.attrs.update(self._save_attrs())
        groups = {k: v for k, v in self._save_groups().items() if k not in idata.groups()}
        if groups:
            import warnings

            with warnings.catch_warnings():  # a group outside ArviZ's schema, on purpose
                warnings.simplefilter("ignore", UserWarning)
                idata.add_groups(groups)
        idata.to_netcdf(str(path))
        return path

    @classmethod
    def load(cls, path: str | Path, crm=None):
        """A model saved by :meth:`save`. A file of another model type is refused. ``crm``
        is optional where the model saved its data summary (the forecast does); when given it
        must be the data the model was fitted on (checked by fingerprint)."""
        idata = az.from_netcdf(str(path))
        kind = idata.attrs.get("model_type")
        if kind is not None and kind != cls.model_type:
            raise ModelFileError(f"{path}: a saved {kind!r} model, not a {cls.model_type!r} model")
        m = cls(
            json.loads(idata.attrs.get("model_config", "{}")),
            json.loads(idata.attrs.get("sampler_config", "{}")),
        )
        m.idata = idata
        m.fingerprint = idata.attrs.get("data_fingerprint")
        m.fit_seconds = idata.attrs.get("fit_seconds")
        if crm is not None and m.fingerprint is not None:
            fp = crm.fingerprint()
            if fp != m.fingerprint:
                raise ModelFileError(f"{path}: fitted on data {m.fingerprint}, this CRM is {fp}")
        m._restore(idata, crm)
        return m
