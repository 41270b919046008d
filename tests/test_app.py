"""The dashboard without a browser: the side-by-side model, and the page driven through Solara's
test rendering (buttons pressed, controls changed, figures redrawn)."""

from __future__ import annotations

import io
import subprocess
import sys
import threading

import ipyvuetify as v
import ipywidgets as w
import numpy as np
import pandas as pd
import pytest
import solara

from sim.dashboard import SWEEPS_ENV
from sim.dashboard import app as page
from sim.dashboard.live_plots import CircleFigure, PoliciesFigure, friend_states, neighbourhood
from sim.dashboard.sidebyside import METRICS, SideBySideModel, column, overrides_for, policies
from sim.engine.model import SocialCommerceModel
from sim.run.runner import compose_config, to_sim_config

POLICIES = policies()

SMALL = {"n_users": 300, "mean_degree": 20, "days": 20}


@pytest.fixture(autouse=True)
def small_world(monkeypatch):
    """Make the page's default world small, so each test renders in about a second."""
    for name, value in SMALL.items():
        monkeypatch.setitem(page.WORLD_PARAMS, name, {**page.WORLD_PARAMS[name], "value": value})
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
        assert other.arcs.reader is not first.arcs.reader
        np.testing.assert_array_equal(other.arcs.reader, first.arcs.reader)
        np.testing.assert_array_equal(other.arcs.start, first.arcs.start)
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


def test_play_waits_for_the_browser_to_draw(monkeypatch):
    # A slow browser fell behind Play: the server stepped on while the page worked through a
    # backlog of days. Here the "browser" reports drawn days by hand (FrameClock.shown).
    monkeypatch.setattr(page, "PACE_TIMEOUT_S", 120.0)
    _box, rc = solara.render(page.Page(), handle_error=False)
    press(rc, "Step")  # no browser has reported yet: nothing waits
    clock = rc.find(page.FrameClock).widget
    assert clock.day == 1
    clock.shown = 1  # the browser has drawn day 1
    for expected in (2, 3):  # Play may run PACE_AHEAD days ahead
        press(rc, "Step")
        assert day(rc) == f"Day {expected} of 20"
    stepping = threading.Thread(target=press, args=(rc, "Step"))
    stepping.start()
    stepping.join(timeout=3)
    assert stepping.is_alive()  # day 4 waits for the browser to draw day 2
    clock.shown = 2
    stepping.join(timeout=60)
    assert not stepping.is_alive() and day(rc) == "Day 4 of 20"


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


def quick_sweep(folder, *overrides):
    """Run a small ``quick`` sweep of two policies into ``folder`` and return it."""
    command = [
        sys.executable, "-m", "sim", "-m", "+sweep=quick",
        "scenario=laissez_faire,rectify", "seed=0,1", "steps=20", "graph.mean_degree=20",
        *overrides, f"hydra.sweep.dir={folder}", "hydra/launcher=basic",
    ]  # fmt: skip
    out = subprocess.run(command, capture_output=True, text=True, timeout=600)
    assert out.returncode == 0, out.stderr
    return folder


@pytest.fixture(scope="module")
def tiny_sweep(tmp_path_factory):
    folder = tmp_path_factory.mktemp("app_sweeps") / "tiny"
    return quick_sweep(folder, "market.intensity=0,1", "graph.n_users=200")


@pytest.mark.slow  # a sweep end to end (-m 'not slow' skips it)
def test_the_sweeps_view_shows_a_sweep_from_its_files(tiny_sweep, monkeypatch):
    monkeypatch.setenv(SWEEPS_ENV, str(tiny_sweep.parent))
    before = {p: p.stat().st_mtime_ns for p in tiny_sweep.rglob("*") if p.is_file()}
    _box, rc = solara.render(page.Page(), handle_error=False)
    show(rc, "Sweeps")
    images = rc.find(w.Image).widgets
    comparison = [i for i in images if "sim-report-figure" not in i._dom_classes]
    assert len(comparison) == 3
    for image in comparison:  # drawn large, shown at their size (not squeezed to 48%)
        assert image_width(bytes(image.value)) >= 700 and not image.layout.width
        assert "sim-figure" in image._dom_classes
    shown = [bytes(i.value) for i in images if "sim-report-figure" in i._dom_classes]
    on_disk = sorted((tiny_sweep / "plots").glob("*.png"))
    assert len(shown) == len(on_disk) and sorted(shown) == sorted(p.read_bytes() for p in on_disk)
    templates = [str(x.template) for x in rc.find(v.VuetifyTemplate).widgets]
    assert any("Sweep report" in t for t in templates)
    assert any("Means per policy and intensity" in t for t in templates)
    assert not any('href="plots/' in t for t in templates)  # no link that leaves the app
    after = {p: p.stat().st_mtime_ns for p in tiny_sweep.rglob("*") if p.is_file()}
    assert after == before  # nothing re-run or rewritten


@pytest.fixture(scope="module")
def settings_sweep(tmp_path_factory):
    """A sweep that varies a setting besides policy and seed (two erosion rates), and the size."""
    folder = tmp_path_factory.mktemp("app_settings") / "erosion"
    settings = ["graph.n_users=200,300", "trust.erosion_per_item=0.001,0.2"]
    return quick_sweep(folder, "market.intensity=1", *settings)


@pytest.mark.slow  # a sweep end to end (-m 'not slow' skips it)
def test_the_sweeps_view_draws_one_setting_and_size_at_a_time(settings_sweep, monkeypatch):
    from sim.figures.sweep import ribbons_figure

    monkeypatch.setenv(SWEEPS_ENV, str(settings_sweep.parent))
    _box, rc = solara.render(page.Page(), handle_error=False)
    show(rc, "Sweeps")
    (choose,) = [s for s in rc.find(v.Select).widgets if s.label == "setting"]
    labels = ["trust.erosion_per_item=0.001", "trust.erosion_per_item=0.2"]
    assert choose.items == labels and choose.v_model == labels[0]
    daily = pd.read_parquet(settings_sweep / "timeseries.parquet")
    runs = pd.read_parquet(settings_sweep / "summary.parquet")
    for label in labels:
        choose.v_model = label
        # that setting's runs at the size the report answers at (the largest with 2 seeds)
        mine = (runs["override.trust.erosion_per_item"] == label.split("=")[1]) & (
            runs["n_users"] == 300
        )
        own = runs.loc[mine, "run"]
        assert len(own) == 4
        expected = page.figure_png(ribbons_figure, daily[daily["run"].isin(own)], 1.0)
        (ribbons,) = [i for i in rc.find(w.Image).widgets if "sim-sweep-ribbons" in i._dom_classes]
        assert bytes(ribbons.value) == expected  # that setting's runs, and only them


def test_find_sweeps_and_a_missing_folder(tmp_path):
    assert page.find_sweeps(tmp_path / "nothing") == []
    (tmp_path / "a").mkdir()
    (tmp_path / "a" / "report.md").write_text("# r\n")
    (tmp_path / "b").mkdir()
    assert page.find_sweeps(tmp_path) == [tmp_path / "a"]


def test_today_table_lists_each_policy():
    model = SideBySideModel(**SMALL, c2b=False)
    model.step()
    today = page.today_frame(model)
    assert list(today.index) == ["laissez_faire", "rectify", "separate_shop"]
    assert today.loc["rectify", page.heading("trust")] == pytest.approx(
        model.datacollector.get_model_vars_dataframe()[column("rectify", "trust")].iloc[-1]
    )
    text = page.today_html(model)
    assert text.count("<tr>") == 1 + 3
    assert ">separate shop</th>" in text and "c2b" not in text


def test_the_live_table_downloads_as_csv_with_every_day_so_far():
    model = SideBySideModel(**SMALL)
    for _ in range(3):
        model.step()
    table = pd.read_csv(io.StringIO(page.history_csv(model)))
    assert list(table.columns) == ["day", "policy", *(page.heading(m.key) for m in METRICS)]
    assert len(table) == 4 * len(POLICIES)  # days 0-3, each policy
    assert table.groupby("day")["policy"].apply(list).tolist() == [list(POLICIES)] * 4
    last = table[table["day"] == 3].set_index("policy")
    np.testing.assert_allclose(last.to_numpy(), page.today_frame(model).to_numpy(), rtol=1e-5)
    assert page.csv_name(model) == "sim-policies-300users-seed0.csv"

    from solara.components.file_download import FileDownloadWidget

    _box, rc = solara.render(page.Page(), handle_error=False)
    press(rc, "Step")
    label = "Download CSV (every day so far)"
    assert [b for b in rc.find(v.Btn).widgets if label in b.children]
    download = rc.find(FileDownloadWidget)
    download.widget.request_download = True  # as the browser does on a click
    download.assert_wait(lambda widget: widget.bytes is not None, timeout=30)
    download = download.widget
    assert download.filename == "sim-policies-300users-seed0.csv"
    sent = pd.read_csv(io.BytesIO(download.bytes))
    assert sorted(sent["day"].unique()) == [0, 1] and len(sent) == 2 * len(POLICIES)


def slider_texts(rc) -> list[str]:
    return [x.children[0] for x in rc.find(v.Html, class_="sim-control-value").widgets]


def test_every_control_shows_its_value_and_applies_on_reset():
    _box, rc = solara.render(page.Page(), handle_error=False)
    sliders = [n for n, spec in page.model_params().items() if spec["type"].startswith("Slider")]
    shown = slider_texts(rc)
    assert shown[0] == "pause between days while playing: 0 ms"
    assert shown[1:] == [
        "marketing intensity: 1",
        "users: 300",
        "mean friends: 20",
        "seed: 0",
        "days: 20",
        "rectify: daily cap: 3",
        "shop: conversion friction: 0.3",
        "C2B: needs posted: 0.5",
        "C2B: answer chance: 0.5",
    ]
    assert len(shown) == 1 + len(sliders)
    widgets = rc.find(v.Slider).widgets
    assert all(not w.label for w in widgets)  # the value line is the label: the track is free
    widgets[1 + sliders.index("n_users")].v_model = 500
    widgets[1 + sliders.index("daily_cap")].v_model = 0
    assert "users: 500" in slider_texts(rc)
    assert "rectify: daily cap: 0 (none)" in slider_texts(rc)
    assert any(text.startswith("4 policies on one graph (300 users") for text in texts(rc))
    press(rc, "Reset")
    assert any(text.startswith("4 policies on one graph (500 users") for text in texts(rc))


def test_report_links_stay_in_the_app(tmp_path):
    (tmp_path / "plots").mkdir()
    (tmp_path / "plots" / "a.png").write_bytes(b"\x89PNG fake")
    (tmp_path / "table.csv").write_text("x\n1\n")
    (tmp_path.parent / "outside.png").write_bytes(b"\x89PNG fake")
    report = "\n".join(
        [
            "# Sweep report",
            "See [the table](table.csv), [docs](https://example.org/x) and [up](#sweep-report).",
            "",
            "## Figures",
            "",
            "- [a.png](plots/a.png)",
            "- [missing.png](plots/missing.png)",
            "- [outside.png](../outside.png)",
            "- [abs](/etc/passwd)",
        ]
    )
    parts = page.report_parts(report, tmp_path)
    figures = [p for p in parts if isinstance(p, page.ReportFigure)]
    assert figures == [page.ReportFigure("a.png", (tmp_path / "plots" / "a.png").resolve())]
    text = "\n".join(p for p in parts if isinstance(p, str))
    assert "(table.csv)" not in text and "the table (`table.csv`)" in text
    assert '<a href="https://example.org/x" target="_blank"' in text
    assert "[up](#sweep-report)" in text
    for target in ("plots/missing.png", "../outside.png", "/etc/passwd"):
        assert f"]({target})" not in text and f"`{target}`" in text
    assert parts.index(figures[0]) == 1  # in place: after the text before it, before the rest


def image_width(png: bytes) -> int:
    from PIL import Image

    return Image.open(io.BytesIO(png)).size[0]


def test_the_views_never_read_a_half_recorded_day():
    # Play steps in a thread while the page may draw from another: a read in the middle of
    # recording a day saw some columns one day longer than others (ValueError in pandas).
    model = SideBySideModel(**SMALL)
    halfway, go = threading.Event(), threading.Event()
    middle = column("rectify", "mutes")
    record = model.datacollector.model_reporters[middle]

    def paused(inner):
        halfway.set()
        go.wait()
        return record(inner)

    model.datacollector.model_reporters[middle] = lambda inner: paused(inner)
    stepper = threading.Thread(target=model.step)
    stepper.start()
    assert halfway.wait(60)
    read: dict[str, object] = {}

    def reader() -> None:
        try:
            read["csv"] = page.history_csv(model)
            read["today"] = page.today_frame(model)
        except Exception as error:
            read["error"] = error

    reading = threading.Thread(target=reader)
    reading.start()
    reading.join(timeout=30)  # while day 1 is half-recorded
    go.set()
    stepper.join()
    reading.join()
    assert "error" not in read
    table = pd.read_csv(io.StringIO(read["csv"]))
    assert table["day"].tolist() == [0] * len(POLICIES)  # the whole days: day 0
    assert not table.isna().any().any()
    assert read["today"]["day"].tolist() == [0] * len(POLICIES)
    assert model.history().index.tolist() == [0, 1]  # and day 1, once recorded


def test_a_grown_panel_is_redrawn_alone_and_exactly():
    model = SideBySideModel(**SMALL)
    for _ in range(5):
        model.step()
    history = model.datacollector.get_model_vars_dataframe()
    figure = PoliciesFigure(model.policies, model.days)
    figure.render(history)
    grown = history.copy()
    grown[column("rectify", "sellers")] *= 100
    grown[column("c2b", "gmv")] += 50
    partial = figure.render(grown)
    assert (figure.blitter.full_draws, figure.blitter.axes_draws) == (1, 2)
    figure.blitter.invalidate()
    full = figure.render(grown)
    assert figure.blitter.full_draws == 2
    assert pixels(partial).shape == (619, 1080, 3)
    np.testing.assert_array_equal(pixels(partial), pixels(full))


def pixels(png: bytes) -> np.ndarray:
    from PIL import Image

    return np.asarray(Image.open(io.BytesIO(png)).convert("RGB"))
