"""The notebooks run top to bottom, and are committed without outputs."""

from __future__ import annotations

import re
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


# Words that state a result. A text cell says what is computed and how to read it;
# what came out is written by the code from the numbers (or checked by an assert),
# so it cannot go stale when the model changes. A guard against the usual slips,
# not a proof: the notebooks' own asserts and generated sentences are the check.
RESULT_WORDS = re.compile(
    r"\b(nearly|almost|times\s+as\s+many|as\s+common\s+as|rises|rise\s+with|falls|grows|"
    r"grow\s+with|(?:is|are)\s+(?:highest|lowest)|more\s+than|less\s+than|fewer\s+than|"
    r"(?:does|do)\s+not\s+differ|not\s+at\s+all|sits?\s+at|lies?\s+(?:above|below)|cuts|"
    r"win-win\s+(?:exists|found))\b",
    re.IGNORECASE,
)


@pytest.mark.parametrize("path", NOTEBOOKS, ids=lambda p: p.stem)
def test_text_cells_state_no_results(path):
    book = nbformat.read(path, as_version=4)
    found = [
        (k, match.group(0))
        for k, cell in enumerate(book.cells)
        if cell.cell_type == "markdown"
        for match in RESULT_WORDS.finditer(cell.source)
    ]
    assert not found, f"{path.name}: text cells state results (cell, words): {found}"


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
