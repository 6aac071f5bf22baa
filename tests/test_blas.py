"""PyTensor's BLAS flags are settled before PyTensor loads: no probe warning in reports, a
system OpenBLAS linked when there is one, the user's own setting left alone."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

from salesops_models.blas import SEARCH, configure_pytensor_blas


def test_a_linkable_system_openblas_is_used(tmp_path):
    (tmp_path / "libopenblas.so").write_bytes(b"")
    env = {"PYTENSORRC": str(tmp_path / "none")}
    added = configure_pytensor_blas(env, search=(str(tmp_path),), loaded=())
    assert added == f"blas__ldflags=-L{tmp_path} -lopenblas"
    assert env["PYTENSOR_FLAGS"] == added


def test_without_one_the_flags_are_empty_and_other_flags_kept(tmp_path):
    env = {"PYTENSOR_FLAGS": "floatX=float64", "PYTENSORRC": str(tmp_path / "none")}
    assert configure_pytensor_blas(env, search=(str(tmp_path),), loaded=()) == "blas__ldflags="
    assert env["PYTENSOR_FLAGS"] == "floatX=float64,blas__ldflags="


def test_the_users_setting_wins(tmp_path):
    rc = tmp_path / ".pytensorrc"
    rc.write_text("[blas]\nldflags = -lmkl_rt\n")
    env = {"PYTENSORRC": str(rc)}
    assert configure_pytensor_blas(env, search=(), loaded=()) == "" and "PYTENSOR_FLAGS" not in env


def _fresh_python(code: str) -> subprocess.CompletedProcess:
    # this process imported the package, which set PYTENSOR_FLAGS: start without it
    env = {k: v for k, v in os.environ.items() if k != "PYTENSOR_FLAGS"}
    return subprocess.run(
        [sys.executable, "-W", "always::UserWarning", "-c", code],
        capture_output=True,
        text=True,
        timeout=300,
        env=env,
    )


def test_importing_the_package_then_pymc_prints_no_blas_warning():
    # the probe runs when the flags are first read (compiling a C function reads them)
    res = _fresh_python("import salesops_models, pymc, pytensor; pytensor.config.blas__ldflags")
    assert res.returncode == 0, res.stderr
    assert "could not link to a BLAS" not in res.stderr
    if not any(Path(d, "libopenblas.so").exists() for d in SEARCH):
        # the check can fail: PyTensor alone does warn on this machine
        assert (
            "could not link to a BLAS"
            in _fresh_python("import pytensor; pytensor.config.blas__ldflags").stderr
        )


def test_once_pytensor_is_imported_nothing_is_set(tmp_path):
    (tmp_path / "libopenblas.so").write_bytes(b"")
    env = {"PYTENSORRC": str(tmp_path / "none")}
    assert configure_pytensor_blas(env, search=(str(tmp_path),), loaded=("pytensor",)) == ""
    assert "PYTENSOR_FLAGS" not in env
