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

    def boom(*a, **k):
        raise InfeasibleTerritories("territory T3: potential 9 outside [1, 2]")

    monkeypatch.setattr(cli, "_plan", boom)
    res = CliRunner().invoke(cli.app, ["comp", "validate", "--plan", "x.yml"])
    assert res.exit_code == 2
    assert res.output.strip() == "error: territory T3: potential 9 outside [1, 2]"
