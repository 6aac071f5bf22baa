"""One error family: every error a user can cause is a SalesOpsError, keeps its built-in
parent, and the CLI prints it as one line with exit code 2."""

import pytest

from salesops_models.comp import PlanError
from salesops_models.errors import SalesOpsError
from salesops_models.health.bands import BandError
from salesops_models.loaders import LoadError
from salesops_models.reports import ParameterError, ReportFailed
from salesops_models.territory import InfeasibleTerritories, TerritorySolverError
from salesops_models.yamlio import YamlError


@pytest.mark.parametrize(
    "err,parent",
    [
        (LoadError, ValueError),
        (PlanError, ValueError),
        (BandError, ValueError),
        (YamlError, ValueError),
        (ParameterError, ValueError),
        (InfeasibleTerritories, ValueError),
        (TerritorySolverError, RuntimeError),
        (ReportFailed, RuntimeError),
    ],
)
def test_every_error_is_in_the_family_and_keeps_its_parent(err, parent):
    assert issubclass(err, SalesOpsError) and issubclass(err, parent)


def test_cli_prints_a_family_error_as_one_line(tmp_path, monkeypatch):
    from typer.testing import CliRunner

    from salesops_models import cli
    from salesops_models.cli import comp

    def boom(*a, **k):
        raise InfeasibleTerritories("territory T3: potential 9 outside [1, 2]")

    monkeypatch.setattr(comp, "read_plan", boom)
    res = CliRunner().invoke(cli.app, ["comp", "validate", "--plan", "x.yml"])
    assert res.exit_code == 2
    assert res.output.strip() == "error: territory T3: potential 9 outside [1, 2]"


def test_every_error_class_of_the_package_is_defined_in_errors_py():
    """One file holds the family (scikit-learn's exceptions.py): no module defines its own
    exception class, and every class there derives from SalesOpsError."""
    import ast
    import inspect
    from pathlib import Path

    from salesops_models import errors

    root = Path(errors.__file__).parent
    elsewhere = []
    for path in root.rglob("*.py"):
        if path.name == "errors.py":
            continue
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if isinstance(node, ast.ClassDef) and any(
                isinstance(b, ast.Name)
                and (
                    b.id.endswith(("Error", "Exception"))
                    or b.id in ("ImportError", "RuntimeError", "ValueError")
                )
                for b in node.bases
            ):
                elsewhere.append(f"{path.relative_to(root)}:{node.lineno} {node.name}")
    assert not elsewhere, elsewhere
    classes = [
        c for _, c in inspect.getmembers(errors, inspect.isclass) if c.__module__ == errors.__name__
    ]
    assert len(classes) >= 20
    assert all(issubclass(c, errors.SalesOpsError) for c in classes)
    assert set(errors.__all__) == {c.__name__ for c in classes}
    for c in classes:  # the docstring's table lists every class
        assert f"``{c.__name__}``" in errors.__doc__, c.__name__


@pytest.mark.parametrize(
    "extra_error,extra", [("WarehouseUnavailable", "warehouse"), ("DaskUnavailable", "dask")]
)
def test_a_missing_optional_extra_exits_2_with_the_install_line(monkeypatch, extra_error, extra):
    """A missing extra is the user's to fix (exit 2 and the pip line), not a bug (exit 3)."""
    from typer.testing import CliRunner

    from salesops_models import cli, errors
    from salesops_models.cli import comp

    err = getattr(errors, extra_error)
    assert issubclass(err, ImportError) and issubclass(err, errors.SalesOpsError)

    def boom(*a, **k):
        raise err()

    monkeypatch.setattr(comp, "read_plan", boom)
    res = CliRunner().invoke(cli.app, ["comp", "validate", "--plan", "x.yml"])
    assert res.exit_code == 2, res.output
    assert f"pip install 'salesops-models[{extra}]'" in res.output
