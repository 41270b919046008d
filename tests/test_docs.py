"""The docs stay true: every config key and output column is documented."""

from __future__ import annotations

import dataclasses
from pathlib import Path

import pytest

from sim.core.config import POLICY_CONFIGS, SimConfig
from sim.engine.metrics import Column
from sim.run.runner import options

ROOT = Path(__file__).parent.parent
README = (ROOT / "README.md").read_text()
ODD = (ROOT / "docs" / "ODD.md").read_text()


def keys(schema, prefix=""):
    for item in dataclasses.fields(schema):
        if item.name in {"policy", "name"}:
            continue
        if dataclasses.is_dataclass(item.type) or item.name in {
            "graph",
            "market",
            "users",
            "trust",
            "purchase",
            "sellers",
        }:
            yield from keys(type(getattr(schema(), item.name)), f"{prefix}{item.name}.")
        else:
            yield f"{prefix}{item.name}"


ALL_KEYS = sorted(
    {*keys(SimConfig), *(f"policy.{k}" for cfg in POLICY_CONFIGS.values() for k in keys(cfg))}
)


@pytest.mark.parametrize("key", ALL_KEYS)
def test_every_config_key_is_in_the_readme(key):
    assert f"`{key}`" in README


@pytest.mark.parametrize("column", [c.value for c in Column])
def test_every_output_column_is_in_the_readme_and_the_odd(column):
    assert f"`{column}`" in README
    assert f"`{column}`" in ODD


@pytest.mark.parametrize(
    "scenario", options("scenario", user_files=False) + options("graph", user_files=False)
)
def test_every_option_is_in_the_readme(scenario):
    assert f"`{scenario}`" in README


# docs/ODD.md section 8 states results of the recorded policy grid in words; each
# sentence is checked here against the file the table was taken from.
GRID = ROOT / "docs" / "validation" / "policy_grid.csv"


@pytest.fixture(scope="module")
def grid():
    import pandas as pd

    table = pd.read_csv(GRID)
    return {(r.policy, float(r.intensity)): r for r in table.itertuples()}


def test_the_odd_policy_table_is_the_recorded_grid(grid):
    for (policy, intensity), row in grid.items():
        cells = f"| {policy} | {intensity:g} | {row.ux:.3f} ± {row.ux_ci:.3f} | "
        cells += f"{row.gmv_net / 1000:,.0f} | {row.gmv_gross / 1000:,.0f} |"
        assert cells in ODD, cells


def test_the_odd_sentences_about_the_policies_hold_on_the_grid(grid):
    lf = {i: grid[("laissez_faire", i)] for i in (0.5, 1.0, 2.0, 3.0)}
    rect = {i: grid[("rectify", i)] for i in lf}
    shop = {i: grid[("separate_shop", i)] for i in lf}
    c2b = {i: grid[("c2b", i)] for i in lf}
    # laissez-faire undermines itself: net GMV peaks at 1 and falls at 3; leaving rises
    assert max(lf, key=lambda i: lf[i].gmv_net) == 1.0 and lf[3.0].gmv_net < lf[1.0].gmv_net
    assert round(lf[1.0].left, 2) == 0.13 and round(lf[3.0].left, 2) == 0.41
    # rectify: a trade at 1 and 2, a win on both at 3
    for i in (1.0, 2.0):
        assert rect[i].gmv_net < lf[i].gmv_net and rect[i].ux > lf[i].ux
        assert rect[i].left < lf[i].left
    assert rect[3.0].gmv_net > lf[3.0].gmv_net and rect[3.0].ux > lf[3.0].ux
    # the shop: UX second only to C2B, falling with intensity; under half of
    # laissez-faire's net GMV at 1, more at 3; almost nobody leaves
    for i in lf:
        assert c2b[i].ux > shop[i].ux > max(rect[i].ux, lf[i].ux)
        assert shop[i].left <= 0.001
    assert shop[0.5].ux > shop[1.0].ux > shop[2.0].ux > shop[3.0].ux
    assert shop[1.0].gmv_net < lf[1.0].gmv_net / 2 and shop[3.0].gmv_net > lf[3.0].gmv_net
    # C2B: fewest unfriends and least net GMV up to 1; the most net GMV at 3
    for i in (0.5, 1.0):
        others = (lf[i], rect[i], shop[i])
        assert c2b[i].unfriends < min(o.unfriends for o in others)
        assert c2b[i].gmv_net < min(o.gmv_net for o in others)
    assert c2b[3.0].gmv_net > max(lf[3.0].gmv_net, rect[3.0].gmv_net, shop[3.0].gmv_net)
    # UX gains over laissez-faire differ: C2B's is the larger at every intensity
    assert all(c2b[i].ux - lf[i].ux > shop[i].ux - lf[i].ux for i in lf)
    # the thesis by cohort, and the current sellers flattering it at 3
    assert (round(lf[1.0].cohort_kept, 2), round(lf[1.0].cohort_reached, 2)) == (0.97, 0.80)
    assert (round(lf[3.0].cohort_kept, 2), round(lf[3.0].cohort_reached, 2)) == (0.83, 0.59)
    assert round(lf[3.0].current_kept, 2) == 0.88 > lf[3.0].cohort_kept


def layout_entries() -> dict[str, set[str]]:
    """Return the README's Layout table as {package folder: names its rows list}."""
    section = README.split("## Layout", 1)[1].split("\n## ", 1)[0]
    listed: dict[str, set[str]] = {}
    package = None
    for line in section.splitlines():
        if not line.startswith("| "):
            continue
        first = line.split("|")[1].strip()
        if first.startswith("**`sim/"):
            package = first.strip("*`")
            listed[package] = set()
        elif first.startswith("outside"):
            package = None
        elif package is not None:
            listed[package] |= {name.strip("`").rstrip("/") for name in first.split(", ")}
    return listed


def test_the_layout_lists_every_module_of_every_package():
    listed = layout_entries()
    packages = {"sim/"} | {
        f"{p.relative_to(ROOT)}/" for p in (ROOT / "sim").iterdir() if (p / "__init__.py").is_file()
    }
    assert set(listed) == packages
    for package, names in listed.items():
        present = {
            p.stem if p.suffix == ".py" else p.name
            for p in (ROOT / package).iterdir()
            if p.name not in ("__pycache__", "__init__.py") and not p.name.startswith(".")
        }
        if package == "sim/":  # the packages are rows of their own
            present -= {name.rstrip("/").split("/")[-1] for name in packages if name != "sim/"}
        shown = {name.removesuffix(".py") for name in names} - {"__init__"}
        assert shown == present, (package, sorted(shown ^ present))
