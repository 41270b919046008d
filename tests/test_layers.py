"""The packages' layering (pyproject.toml, ``[tool.importlinter]``) and no import cycles.

``lint-imports`` checks that each layer imports only the layers below it,
imports inside functions included (grimp reads every import statement); the
cycle check covers what the layers contract cannot see: two modules of one
package importing each other, however late.
"""

from __future__ import annotations

from pathlib import Path

import grimp
import networkx as nx
from importlinter.cli import lint_imports

ROOT = Path(__file__).resolve().parents[1]


def test_each_layer_imports_only_the_layers_below_it(monkeypatch):
    monkeypatch.chdir(ROOT)
    assert lint_imports(config_filename=str(ROOT / "pyproject.toml")) == 0


def test_no_module_imports_one_that_imports_it_back():
    graph = grimp.build_graph("sim", exclude_type_checking_imports=True)
    imports = nx.DiGraph()
    for module in graph.modules:
        for imported in graph.find_modules_directly_imported_by(module):
            imports.add_edge(module, imported)
    cycles = [" -> ".join(cycle) for cycle in nx.simple_cycles(imports)]
    assert not cycles, cycles
