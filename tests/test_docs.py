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
    assert round(lf[1.0].left, 2) == 0.13 and round(lf[3.0].left, 2) == 0.42
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


# docs/ODD.md section 8, "Scale": each sentence checked against the recorded scale study.
SCALE = ROOT / "docs" / "validation" / "scale.csv"
SCALE_LEVELS = ROOT / "docs" / "validation" / "scale_levels.csv"


def test_the_odd_sentences_about_scale_hold_on_the_recorded_study():
    import numpy as np
    import pandas as pd

    from sim.study.scale import trends

    effects = pd.read_csv(SCALE)
    levels = pd.read_csv(SCALE_LEVELS)
    sizes = (5_000, 50_000, 500_000, 5_000_000)
    assert sorted(set(effects["n_users"])) == list(sizes)
    assert set(effects["seeds"]) == {3}
    table = effects.set_index(["scenario", "outcome", "n_users"])
    diff = table["mean"]
    said = trends(effects)
    # every sign kept; 17 hold and rectification's unfriends grows, just over the line
    assert len(said) == 18
    assert all(t.sizes == sizes for t in said)
    words = {(t.policy, t.outcome): t.word for t in said}
    assert words.pop(("rectify", "unfriends")) == "grows"
    assert set(words.values()) == {"holds"}
    grown = diff[("rectify", "unfriends", 5_000_000)] / diff[("rectify", "unfriends", 5_000)]
    assert round(grown, 2) == 2.01
    for t in said:
        signs = {np.sign(diff[(t.policy, t.outcome, n)]) for n in sizes}
        assert len(signs) == 1, (t.policy, t.outcome)
        assert table.loc[(t.policy, t.outcome, 5_000_000), "status"] != "within noise"
        # from 50,000 to 5,000,000 no difference moves by more than a tenth
        mid = diff[(t.policy, t.outcome, 50_000)]
        assert abs(diff[(t.policy, t.outcome, 5_000_000)] - mid) <= abs(mid) / 10
    # a small world gets rectification about half as large, the first two within noise
    for outcome, small, large in (("gmv", -3.5, -6.5), ("ux", 0.045, 0.076), ("left", -5.9, -10.8)):
        digits = 3 if outcome == "ux" else 1
        assert round(diff[("rectify", outcome, 5_000)], digits) == small
        assert round(diff[("rectify", outcome, 5_000_000)], digits) == large
        assert 0.4 <= small / large <= 0.6
    assert table.loc[("rectify", "gmv", 5_000), "status"] == "within noise"
    assert table.loc[("rectify", "ux", 5_000), "status"] == "within noise"
    for policy, small, large in (("separate_shop", -8.0, -6.5), ("c2b", -12.1, -10.6)):
        assert round(diff[(policy, "gmv", 5_000)], 1) == small
        assert round(diff[(policy, "gmv", 5_000_000)], 1) == large
    # rectify costs under half the shop's net GMV at 5,000 and about the same from 50,000 on
    assert diff[("rectify", "gmv", 5_000)] / diff[("separate_shop", "gmv", 5_000)] < 0.5
    shown = {50_000: (6.1, 6.1), 500_000: (6.8, 6.5), 5_000_000: (6.5, 6.5)}
    for n, (rect, shop) in shown.items():
        pair = (-diff[("rectify", "gmv", n)], -diff[("separate_shop", "gmv", n)])
        assert tuple(round(v, 1) for v in pair) == (rect, shop)
        assert abs(pair[0] - pair[1]) < 0.5
    # laissez-faire's levels, and a spread over seeds that shrinks far less than sqrt(1000)
    lf = levels[levels["scenario"] == "laissez_faire"].set_index(["outcome", "n_users"])
    assert round(lf.loc[("left", 5_000), "mean"], 1) == 20.3
    assert round(lf.loc[("left", 5_000_000), "mean"], 1) == 22.8
    assert round(lf.loc[("gmv", 5_000), "mean"], 1) == 22.5
    assert round(lf.loc[("gmv", 5_000_000), "mean"], 1) == 22.2
    spread = [round(lf.loc[("left", n), "ci95"], 1) for n in (5_000, 500_000, 5_000_000)]
    assert spread == [9.4, 6.0, 1.9]
    narrower = lf.loc[("left", 5_000), "ci95"] / lf.loc[("left", 5_000_000), "ci95"]
    assert round(narrower) == 5 and round(np.sqrt(1000)) == 32
    # the sentences say these numbers
    section = ODD.split("### Scale:", 1)[1]
    for phrase in (
        "3 seeds at every size",
        "17 hold by the report's rule from 5,000 to 5,000,000 users and one\n  grows",
        "2.01 times as large at\n  5,000,000 users as at 5,000",
        "At 5,000,000 users all\n  18 are distinguishable from zero.",
        "cost 3.5 yuan per user against 6.5",
        "0.045\n  against 0.076",
        "5.9 points against 10.8",
        "(8.0 against 6.5, and 12.1 against 10.6)",
        "(3.5 against 8.0\n  yuan per user)",
        "(6.1 and\n  6.1 at 50,000, 6.8 and 6.5 at 500,000, 6.5 and 6.5 at 5,000,000)",
        "20.3% at 5,000 users and 22.8% at 5,000,000",
        "net GMV 22.5 and 22.2",
        "9.4\n  points at 5,000 users, 6.0 at 500,000 and 1.9 at 5,000,000, five times",
        "about 32 times narrower",
    ):
        assert phrase in section, phrase


# docs/ODD.md section 8, "Enforcement and quality": checked against the recorded sweep.
ENFORCEMENT = ROOT / "docs" / "validation" / "enforcement_quality.csv"


def test_the_odd_sentences_about_enforcement_by_quality_hold_on_the_recorded_sweep():
    import pandas as pd

    runs = pd.read_csv(ENFORCEMENT)
    weight = runs["product_complaint_weight"]
    # "rectify at intensity 2 ... for 365 days, 5 seeds a complaint weight", "the default weight 1"
    assert set(runs["scenario"]) == {"rectify"} and set(runs["intensity"]) == {2.0}
    assert set(runs["steps"]) == {365} and POLICY_CONFIGS["rectify"]().product_complaint_weight == 1
    tertiles = ["penalised_share_low", "penalised_share_middle", "penalised_share_high"]
    share = runs.groupby(weight)[tertiles].mean()
    gmv = (runs["gmv_net_cum"] / runs["n_users"]).groupby(weight).mean()
    assert (runs.groupby(weight)["seed"].nunique() == 5).all()
    text = " ".join(ODD.split("**Enforcement and quality**", 1)[1].split("### ", 1)[0].split())
    for w, said in (
        (0, "`policy.product_complaint_weight=0`)"),
        (1, "default weight 1,"),
        (3, "at 3,"),
    ):
        low, middle, high = (f"{share.loc[w, t]:.2f}" for t in tertiles)
        assert f"{said} {low} / {middle} / {high}" in text, w
    low, middle, high = (share[t] for t in tertiles)
    assert low[0] <= high[0]  # complaints ignored: no tilt toward bad products
    assert low[1] > max(middle[1], high[1])  # weight 1: the low tertile the most
    assert low[3] > middle[3] > high[3]  # weight 3: falling with quality
    assert gmv[0] > gmv[1] > gmv[3]
    assert (
        f"falls from {gmv[0]:.0f} to {gmv[3]:.0f} yuan per user ({gmv[1]:.0f} at weight 1)" in text
    )
    spread = runs.loc[weight == 1, "penalised_share_low"]
    assert f"runs from {spread.min():.2f} to {spread.max():.2f} over the seeds" in text


# docs/ODD.md section 8, "Calibration": the defaults' table, checked against the recorded sweep.
CALIBRATION_CHECK = ROOT / "docs" / "validation" / "calibration_check.csv"


def test_the_odd_calibration_table_is_the_recorded_check_and_inside_the_bands():
    import pandas as pd

    from sim.study.calibrate import load_calibration

    runs = pd.read_csv(CALIBRATION_CHECK)
    bands = {target.metric: target for target in load_calibration("default").targets}
    outcomes = ["acted_share", "left_share", "mutes_per_unfriend"]
    cells = runs.groupby(["graph", "n_users"])[outcomes].agg(["mean", "std"])
    families = ("holme_kim", "barabasi_albert", "watts_strogatz", "erdos_renyi")
    sizes = (2_000, 5_000, 20_000)
    assert set(cells.index) == {(g, n) for g in families for n in sizes}
    assert (runs.groupby(["graph", "n_users"])["seed"].nunique() == 5).all()
    for (graph, n), cell in cells.loc[list(families[:2])].iterrows():
        shown = [
            f"{cell[(o, 'mean')]:.{d}f} ({cell[(o, 'std')]:.{d}f})"
            for o, d in zip(outcomes, (3, 3, 1), strict=True)
        ]
        assert f"| {graph} | {n:,} | " + " | ".join(shown) + " |" in ODD, (graph, n)
        for outcome in outcomes:  # "Every mean is inside every band ..."
            assert bands[outcome].inside(cell[(outcome, "mean")]), (graph, n, outcome)
    assert "Every mean is inside every band at every size on both scale-free families." in ODD
    # the families without hubs: one row each, and which band each misses
    means = cells.xs("mean", axis=1, level=1)
    for graph, (digits, bold) in {
        "watts_strogatz": ((2, 3, 1), 0),
        "erdos_renyi": ((2, 3, 1), 1),
    }.items():
        shown = [
            " / ".join(f"{means.loc[(graph, n), o]:.{d}f}" for n in sizes)
            for o, d in zip(outcomes, digits, strict=True)
        ]
        shown[bold] = f"**{shown[bold]} (below {bands[outcomes[bold]].low:.2f})**"
        assert f"| {graph} | 2,000 / 5,000 / 20,000 | " + " | ".join(shown) + " |" in ODD, graph
        missed = outcomes[bold]
        assert (means.loc[graph, missed] < bands[missed].low).all()
        for outcome in outcomes:
            if outcome != missed:
                assert means.loc[graph, outcome].map(bands[outcome].inside).all(), (graph, outcome)
    small = runs[(runs["graph"] == "holme_kim") & (runs["n_users"] == 2_000)]["left_share"]
    spread = f"left share {small.min():.2f} to {small.max():.2f} over the five seeds"
    assert spread in " ".join(ODD.split())
    # "The mute to unfriend split is a property of the ladder and holds everywhere."
    assert means["mutes_per_unfriend"].map(bands["mutes_per_unfriend"].inside).all()
