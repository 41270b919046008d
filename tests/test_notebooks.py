"""The notebooks run top to bottom, and are committed without outputs."""

from __future__ import annotations

import time
from pathlib import Path

import nbformat
import pytest
from nbclient import NotebookClient

NOTEBOOKS = sorted((Path(__file__).parent.parent / "notebooks").glob("*.ipynb"))
FIGURES = {
    "01_first_run": 2,
    "02_policy_comparison": 3,
    "03_what_drives_unfriending": 2,
    "04_policy_under_uncertainty": 3,
}


def test_there_are_four_notebooks():
    assert [n.name for n in NOTEBOOKS] == [
        "01_first_run.ipynb",
        "02_policy_comparison.ipynb",
        "03_what_drives_unfriending.ipynb",
        "04_policy_under_uncertainty.ipynb",
    ]


@pytest.mark.parametrize("path", NOTEBOOKS, ids=lambda p: p.stem)
def test_notebook_is_committed_without_outputs(path):
    book = nbformat.read(path, as_version=4)
    for cell in book.cells:
        if cell.cell_type == "code":
            assert cell.outputs == [] and cell.execution_count is None, path.name


@pytest.mark.slow
@pytest.mark.parametrize("path", NOTEBOOKS, ids=lambda p: p.stem)
def test_notebook_runs_top_to_bottom(path, tmp_path, monkeypatch):
    monkeypatch.setenv("SIM_SWEEP_DIR", str(tmp_path / "sweep"))
    monkeypatch.setenv("SIM_STUDY_DIR", str(tmp_path / "study"))
    monkeypatch.setenv("SIM_FRONTIER_DIR", str(tmp_path / "results" / "frontier" / "nb"))
    book = nbformat.read(path, as_version=4)
    started = time.perf_counter()
    NotebookClient(book, timeout=600, resources={"metadata": {"path": str(path.parent)}}).execute()
    seconds = time.perf_counter() - started
    images = sum(
        "image/png" in output.get("data", {})
        for cell in book.cells
        if cell.cell_type == "code"
        for output in cell.outputs
    )
    assert images == FIGURES[path.stem], f"{path.name} drew {images} figures"
    print(f"{path.name}: {seconds:.0f} s")
