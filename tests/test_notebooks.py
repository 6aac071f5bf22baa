"""Notebooks: paired with their jupytext source, committed without outputs, thin, one
literal-only parameters cell."""

import ast

import jupytext
import nbformat
import pytest

from salesops_models import config

NOTEBOOKS = sorted(config.NOTEBOOKS_DIR.glob("*.ipynb"))


def test_there_are_reports():
    assert NOTEBOOKS


@pytest.mark.parametrize("path", NOTEBOOKS, ids=lambda p: p.stem)
def test_notebook_matches_its_py_percent_source(path):
    src = path.with_suffix(".py")
    assert src.exists(), f"{src.name} (jupytext py:percent) is the reviewed source"
    a = [c.source for c in jupytext.read(src).cells]
    b = [c.source for c in nbformat.read(path, as_version=4).cells]
    assert a == b, "run `jupytext --sync notebooks/*.py`"


@pytest.mark.parametrize("path", NOTEBOOKS, ids=lambda p: p.stem)
def test_committed_without_outputs_and_with_one_literal_parameters_cell(path):
    nb = nbformat.read(path, as_version=4)
    code = [c for c in nb.cells if c.cell_type == "code"]
    assert all(not c.get("outputs") and c.get("execution_count") is None for c in code)
    params = [c for c in code if "parameters" in c.metadata.get("tags", [])]
    assert len(params) == 1
    for node in ast.parse(params[0].source).body:
        assert isinstance(node, ast.Assign) and isinstance(node.value, ast.Constant), ast.dump(node)
    # thin: no function or class definitions in report notebooks
    for c in code:
        tree = ast.parse(
            "\n".join(ln for ln in c.source.splitlines() if not ln.startswith(("%", "!")))
        )
        assert not any(isinstance(n, (ast.FunctionDef, ast.ClassDef)) for n in ast.walk(tree)), (
            "move it into the package"
        )


@pytest.mark.parametrize("path", NOTEBOOKS, ids=lambda p: p.stem)
def test_papermill_sees_every_parameter(path):
    import papermill as pm

    nb = nbformat.read(path, as_version=4)
    cell = next(c for c in nb.cells if "parameters" in c.metadata.get("tags", []))
    names = [n.targets[0].id for n in ast.parse(cell.source).body]
    assert (
        list(pm.inspect_notebook(str(path))) == names
    )  # a help comment it cannot parse drops the parameter


TUTORIALS = sorted((config.NOTEBOOKS_DIR / "tutorials").glob("*.ipynb"))


def test_there_are_five_tutorials():
    assert [p.stem[:2] for p in TUTORIALS] == ["01", "02", "03", "04", "05"]


@pytest.mark.parametrize("path", TUTORIALS, ids=lambda p: p.stem)
def test_tutorial_is_paired_committed_clean_and_thin(path):
    """Tutorials are reviewed as py:percent sources, committed without outputs, and teach
    the package's API (no functions defined in them); nbval runs them in `make test`."""
    src = path.with_suffix(".py")
    assert src.exists()
    a = [c.source for c in jupytext.read(src).cells]
    nb = nbformat.read(path, as_version=4)
    assert a == [c.source for c in nb.cells], "run `make notebooks`"
    code = [c for c in nb.cells if c.cell_type == "code"]
    assert all(not c.get("outputs") and c.get("execution_count") is None for c in code)
    for c in code:
        tree = ast.parse(
            "\n".join(ln for ln in c.source.splitlines() if not ln.startswith(("%", "!")))
        )
        assert not any(isinstance(n, (ast.FunctionDef, ast.ClassDef)) for n in ast.walk(tree))
    assert nb.cells[0].cell_type == "markdown" and nb.cells[0].source.startswith("# ")
