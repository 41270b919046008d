"""The dashboard without a browser: the side-by-side model, and the page driven through Solara's
test rendering (buttons pressed, controls changed, figures redrawn)."""

from __future__ import annotations

import subprocess
import sys

import ipyvuetify as v
import ipywidgets as w
import numpy as np
import pytest
import solara

from sim import app_page as page
from sim.app import SWEEPS_ENV
from sim.live_plots import CircleFigure, PoliciesFigure, friend_states, neighbourhood
from sim.model import SocialCommerceModel
from sim.runner import compose_config, to_sim_config
from sim.sidebyside import METRICS, POLICIES, SideBySideModel, column, overrides_for

SMALL = {"n_users": 300, "mean_degree": 20, "days": 20}


@pytest.fixture(autouse=True)
def small_world(monkeypatch):
    """Make the page's default world small, so each test renders in about a second."""
    for name, value in SMALL.items():
        monkeypatch.setitem(page.MODEL_PARAMS, name, {**page.MODEL_PARAMS[name], "value": value})
    defaults = SideBySideModel.__init__.__defaults__
    names = SideBySideModel.__init__.__code__.co_varnames[1 : len(defaults) + 1]
    patched = tuple(SMALL.get(name, value) for name, value in zip(names, defaults, strict=True))
    monkeypatch.setattr(SideBySideModel.__init__, "__defaults__", patched)


def test_policies_share_the_graph_and_the_day0_world():
    model = SideBySideModel(**SMALL)
    assert model.policies == POLICIES
    first = model.models["laissez_faire"]
    for policy in POLICIES[1:]:
        other = model.models[policy]
        assert other.arcs.author is not first.arcs.author
        np.testing.assert_array_equal(other.arcs.author, first.arcs.author)
        np.testing.assert_array_equal(other.arcs.trust, first.arcs.trust)
        np.testing.assert_array_equal(other.people.seller, first.people.seller)


def test_each_policy_runs_exactly_as_on_its_own():
    model = SideBySideModel(**SMALL, rectify=True, separate_shop=False, c2b=False)
    assert model.policies == ("laissez_faire", "rectify")
    for _ in range(10):
        model.step()
    cfg = to_sim_config(
        compose_config(
            overrides_for(
                "rectify",
                intensity=1.0,
                graph_kind="holme_kim",
                n_users=300,
                mean_degree=20,
                seed=0,
                days=20,
                levers={"rectify.daily_cap": 3, "rectify.enforcement": True},
            )
        )
    )
    alone = SocialCommerceModel(cfg)
    for _ in range(10):
        alone.step()
    np.testing.assert_array_equal(alone.arcs.trust, model.models["rectify"].arcs.trust)
    assert alone.totals == model.models["rectify"].totals


def test_metrics_are_recorded_per_policy_and_per_thousand_friendships():
    model = SideBySideModel(**SMALL, intensity=3.0)
    for _ in range(20):
        model.step()
    assert not model.running
    history = model.datacollector.get_model_vars_dataframe()
    assert len(history) == 21  # day 0 and 20 days
    assert set(history.columns) == {column(p, m.key) for p in POLICIES for m in METRICS}
    lf = model.models["laissez_faire"]
    assert history[column("laissez_faire", "unfriends")].iloc[-1] == pytest.approx(
        1000 * lf.totals.unfriends / model.friendships
    )
    assert history[column("laissez_faire", "mutes")].iloc[-1] > 0


def test_levers_reach_their_policy_only():
    overrides = overrides_for(
        "separate_shop",
        intensity=2.0,
        graph_kind="watts_strogatz",
        n_users=500,
        mean_degree=10,
        seed=3,
        days=50,
        levers={"rectify.daily_cap": None, "separate_shop.conversion_friction": 0.5},
    )
    assert "policy.conversion_friction=0.5" in overrides
    assert not any("daily_cap" in o for o in overrides)
    cfg = to_sim_config(compose_config(overrides))
    assert cfg.policy.conversion_friction == 0.5
    assert (cfg.graph.kind, cfg.graph.n_users, cfg.seed) == ("watts_strogatz", 500, 3)


def test_the_circle_keeps_its_layout_and_shows_who_muted():
    model = SideBySideModel(**SMALL, intensity=3.0)
    seller = int(model.sellers_at_start()[0])
    circle = neighbourhood(model, seller)
    assert np.array_equal(circle.position, neighbourhood(model, seller).position)
    figure = CircleFigure(model.policies, circle)
    first = figure.render(model)
    for _ in range(20):
        model.step()
    assert figure.render(model) != first
    states = friend_states(model.models["laissez_faire"], circle)
    arcs = model.models["laissez_faire"].arcs
    span = slice(arcs.start[seller], arcs.start[seller + 1])
    assert (states["status"] == "muted").sum() == (arcs.status[span] == 1).sum()


def test_the_policies_figure_redraws_the_background_only_when_limits_grow():
    model = SideBySideModel(**SMALL)
    for _ in range(5):
        model.step()
    history = model.datacollector.get_model_vars_dataframe()
    figure = PoliciesFigure(model.policies, model.days)
    image = figure.render(history)
    assert image.startswith(b"\x89PNG")
    background = figure.blitter.background
    assert figure.render(history) == image and figure.blitter.background is background
    assert len(figure.lines["unfriends", "rectify"].get_xdata()) == 6
    grown = history.copy()
    grown[column("rectify", "sellers")] *= 100
    assert figure.render(grown) != image
    assert figure.blitter.background is not background


def day(rc) -> str:
    return rc.find(v.Html, class_="sim-day").widget.children[0]


def texts(rc) -> list[str]:
    return [x.children[0] for x in rc.find(v.Html).widgets if x.children]


def show(rc, view: str) -> None:
    rc.find(v.BtnToggle).widget.v_model = view


def press(rc, label: str) -> None:
    rc.find(v.Btn, children=[label]).widget.click()


def test_step_advances_every_policy_and_redraws():
    _box, rc = solara.render(page.Page(), handle_error=False)
    assert day(rc) == "Day 0 of 20"
    before = bytes(rc.find(w.Image).widget.value)
    for _ in range(3):
        press(rc, "Step")
    assert day(rc) == "Day 3 of 20"
    assert bytes(rc.find(w.Image).widget.value) != before


def test_a_control_applies_on_reset():
    _box, rc = solara.render(page.Page(), handle_error=False)
    press(rc, "Step")
    rc.find(v.Checkbox, label="C2B").widget.v_model = False
    assert any(text.startswith("4 policies") for text in texts(rc))  # not before Reset
    assert day(rc) == "Day 1 of 20"
    press(rc, "Reset")
    assert day(rc) == "Day 0 of 20"
    assert any(text.startswith("3 policies") for text in texts(rc))


def test_views_switch_and_the_circle_redraws():
    _box, rc = solara.render(page.Page(), handle_error=False)
    show(rc, "Seller's circle")
    image = rc.find(w.Image)
    assert "sim-circle" in image.widget._dom_classes
    before = bytes(image.widget.value)
    press(rc, "Step")
    press(rc, "Step")
    assert bytes(rc.find(w.Image).widget.value) != before


@pytest.fixture(scope="module")
def tiny_sweep(tmp_path_factory):
    folder = tmp_path_factory.mktemp("app_sweeps") / "tiny"
    command = [
        sys.executable, "-m", "sim", "-m", "+sweep=quick",
        "scenario=laissez_faire,rectify", "market.intensity=0,1", "seed=0,1", "steps=20",
        "graph.n_users=200", "graph.mean_degree=20",
        f"hydra.sweep.dir={folder}", "hydra/launcher=basic",
    ]  # fmt: skip
    out = subprocess.run(command, capture_output=True, text=True, timeout=600)
    assert out.returncode == 0, out.stderr
    return folder


@pytest.mark.slow  # a sweep end to end (-m 'not slow' skips it)
def test_the_sweeps_view_shows_a_sweep_from_its_files(tiny_sweep, monkeypatch):
    monkeypatch.setenv(SWEEPS_ENV, str(tiny_sweep.parent))
    before = {p: p.stat().st_mtime_ns for p in tiny_sweep.rglob("*") if p.is_file()}
    _box, rc = solara.render(page.Page(), handle_error=False)
    show(rc, "Sweeps")
    images = rc.find(w.Image).widgets
    assert len(images) == 3 and all(bytes(i.value).startswith(b"\x89PNG") for i in images)
    templates = [str(x.template) for x in rc.find(v.VuetifyTemplate).widgets]
    assert any("Sweep report" in t and "Means per policy and intensity" in t for t in templates)
    after = {p: p.stat().st_mtime_ns for p in tiny_sweep.rglob("*") if p.is_file()}
    assert after == before  # nothing re-run or rewritten


def test_find_sweeps_and_a_missing_folder(tmp_path):
    assert page.find_sweeps(tmp_path / "nothing") == []
    (tmp_path / "a").mkdir()
    (tmp_path / "a" / "report.md").write_text("# r\n")
    (tmp_path / "b").mkdir()
    assert page.find_sweeps(tmp_path) == [tmp_path / "a"]


def test_today_table_lists_each_policy():
    model = SideBySideModel(**SMALL, c2b=False)
    text = page.today_table(model)
    assert len(text.splitlines()) == 2 + 3
    assert "| separate shop |" in text and "c2b" not in text
