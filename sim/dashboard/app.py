"""The dashboard's page (``sim app``): a Solara app, served by ``sim.dashboard.server``.

Three tabs, over a ``SideBySideModel`` (two to four policies on the same
graph and seed, stepping together):

- **Policies**: the headline metrics against day, one line per policy in the
  fixed policy colours, and a panel with the difference from laissez-faire;
  a table of today's values, downloadable as CSV with every day so far.
- **Seller's circle**: a seller's friends under each policy, coloured by
  trust and marked by status, laid out once per model; the trust histogram
  on seller arcs.
- **Sweeps**: a sweep folder's comparison plots and its report, read from
  its files (nothing is re-run); the report's figures are shown in the page.

The left column holds Mesa's ``ModelController`` (Reset, Play, Step) and the
model's parameters as controls that show their values (``WorldControls``,
applied on Reset, as Mesa's ``ModelCreator`` would). Each view is a
``@solara.component`` that reads Mesa's update counter, so it redraws after
every step; only the chosen view is drawn. The model knows nothing about the
view.

Following Mesa's examples, this module is the view only: ``sim.dashboard.sidebyside``
holds the model, ``sim.dashboard.live_plots`` the figures; ``sim.dashboard.serve`` is the command.
"""

from __future__ import annotations

import html
import io
import os
import re
import threading
from dataclasses import dataclass
from pathlib import Path

import ipyvuetify as v
import pandas as pd
import reacton.ipyvuetify as rv
import solara
import traitlets
from mesa.visualization.solara_viz import ModelController
from mesa.visualization.utils import update_counter

from sim.core.config import policy_label
from sim.core.policy_info import Bounds
from sim.dashboard import DEFAULT_SWEEPS, SWEEPS_ENV
from sim.dashboard.live_plots import CircleFigure, PoliciesFigure, neighbourhood
from sim.dashboard.sidebyside import (
    GRAPH_KINDS,
    METRIC_BY_KEY,
    METRICS,
    LeverSpec,
    SideBySideModel,
    column,
    levers,
    policies,
)

SELLER_CHOICES = 20
PLAY_INTERVAL_MS = 0  # no pause between days while playing (a slider adds one)
PACE_AHEAD = 2  # days Play may run ahead of what the browser has drawn
PACE_TIMEOUT_S = 2.0  # the longest a day waits for the browser
SWEEP_DPI = 110  # sweep figures drawn large enough that their text reads as the page's

# Mesa's ModelCreator format (drawn by WorldControls): each entry a control, its value the default.
# The world's controls; the policies' choices and levers come from the registry (``model_params``).
WORLD_PARAMS: dict[str, dict[str, object]] = {
    "intensity": {
        "type": "SliderFloat",
        "value": 1.0,
        "min": 0.0,
        "max": 3.0,
        "step": 0.25,
        "label": "marketing intensity",
    },
    "graph_kind": {
        "type": "Select",
        "value": "holme_kim",
        "values": list(GRAPH_KINDS),
        "label": "graph family",
    },
    "n_users": {
        "type": "SliderInt",
        "value": 1000,
        "min": 200,
        "max": 10_000,
        "step": 100,
        "label": "users",
    },
    "mean_degree": {
        "type": "SliderInt",
        "value": 40,
        "min": 4,
        "max": 150,
        "step": 2,
        "label": "mean friends",
    },
    "seed": {"type": "SliderInt", "value": 0, "min": 0, "max": 99, "step": 1, "label": "seed"},
    "days": {"type": "SliderInt", "value": 365, "min": 30, "max": 730, "step": 5, "label": "days"},
}


def policy_choices() -> dict[str, dict[str, object]]:
    """Return a checkbox per registered policy but the reference, which always runs."""
    return {
        policy: {"type": "Checkbox", "value": True, "label": policy_label(policy)}
        for policy in policies()[1:]
    }


def lever_control(spec: LeverSpec) -> dict[str, object]:
    """Return a lever's control: a checkbox for a switch, else a slider over the key's range."""
    if isinstance(spec.default, bool):
        return {"type": "Checkbox", "value": spec.default, "label": spec.lever.label}
    bounds, step = spec.bounds or Bounds(0.0), spec.lever.step
    low = 0.0 if bounds.low is None else bounds.low
    top = spec.lever.top if spec.lever.top is not None else bounds.high
    if top is None:
        raise ValueError(f"lever {spec.policy}.{spec.key}: no upper end (set Lever.top)")
    if spec.lever.top is None and bounds.high_open:
        top -= step
    integer = isinstance(spec.default, int)
    return {
        "type": "SliderInt" if integer else "SliderFloat",
        "value": spec.default,
        "min": int(low) if integer else low,
        "max": int(top) if integer else round(top, 10),
        "step": int(step) if integer else step,
        "label": spec.lever.label,
    }


def model_params() -> dict[str, dict[str, object]]:
    """Return every control of the page: policy choices, the world, then the policies' levers."""
    return {
        **policy_choices(),
        **WORLD_PARAMS,
        **{spec.key: lever_control(spec) for spec in levers()},
    }


_pyplot_lock = threading.Lock()  # the sweep figures of sim.study.compare use pyplot


def shown(spec: dict[str, object], value: object) -> str:
    """Return a control's label with its value, as shown above a slider."""
    if spec["type"] == "SliderInt":
        text = f"{int(value):,}"  # type: ignore[call-overload]
        if value == 0 and "0 = " in str(spec["label"]):
            text = "0 (none)"
    else:
        text = f"{float(value):g}"  # type: ignore[arg-type]
    label = str(spec["label"]).split(" (0 = ")[0]
    return f"{label}: {text}"


@solara.component
def Control(spec: dict[str, object], value: object, on_value) -> None:
    """One control of ``model_params()``; a slider shows its value and spans the column."""
    kind, label = spec["type"], str(spec["label"])
    if kind == "Checkbox":
        rv.Checkbox(
            label=label,
            v_model=bool(value),
            on_v_model=on_value,
            hide_details=True,
            density="compact",
        )
    elif kind == "Select":
        solara.Select(label, value=value, values=list(spec["values"]), on_value=on_value)
    else:
        slider = solara.SliderInt if kind == "SliderInt" else solara.SliderFloat
        with solara.Column(gap="0px", classes=["sim-control"]):
            solara.Text(shown(spec, value), classes=["sim-control-value"])
            slider(
                "",  # the label is the line above, so the track has the column's width
                value=value,
                min=spec["min"],
                max=spec["max"],
                step=spec["step"],
                on_value=on_value,
            )


@solara.component
def WorldControls(parameters: solara.Reactive[dict]) -> None:
    """Show the world's and the policies' controls (``model_params()``), applied on Reset.

    Mesa's ``ModelCreator`` does the same job, but its sliders show no value
    and a long label leaves the track a few pixels wide.
    """
    controls = model_params()
    defaults = {name: spec["value"] for name, spec in controls.items()}
    solara.use_effect(lambda: parameters.set({**defaults, **parameters.value}), [])
    values = {**defaults, **parameters.value}
    for name, spec in controls.items():

        def change(value: object, name: str = name) -> None:
            parameters.set({**defaults, **parameters.value, name: value})

        Control(spec, values[name], change)


@solara.component
def DayCounter(model: SideBySideModel) -> None:
    """Show the current day and which policies run."""
    update_counter.get()
    solara.Text(f"Day {model.day} of {model.days}", classes=["sim-day"])
    solara.Text(
        f"{len(model.policies)} policies on one graph ({model.reference.n_users:,} users, "
        f"{model.friendships:,} friendships), seed {model.reference.cfg.seed}"
    )


def today_frame(model: SideBySideModel, history: pd.DataFrame | None = None) -> pd.DataFrame:
    """Return today's headline values, one row per policy, one column per metric.

    ``history`` is the model's recorded days (``SideBySideModel.history``), if at hand.
    """
    if history is None:
        history = model.history()
    return day_rows(history.iloc[[-1]], model.policies).set_index("policy")


def day_rows(history: pd.DataFrame, policies: tuple[str, ...]) -> pd.DataFrame:
    """Return the side-by-side history as rows of (day, policy), a column per metric."""
    frames = []
    for policy in policies:
        frame = pd.DataFrame(
            {heading(m.key): history[column(policy, m.key)].to_numpy() for m in METRICS}
        )
        frame.insert(0, "policy", policy)
        frame.insert(0, "day", history.index.to_numpy())
        frames.append(frame)
    return pd.concat(frames).sort_values(["day"], kind="stable").reset_index(drop=True)


def heading(key: str) -> str:
    """Return the CSV and table heading of metric ``key``: its label and unit."""
    metric = METRIC_BY_KEY[key]
    return f"{metric.label} ({metric.unit})"


def history_csv(model: SideBySideModel) -> str:
    """Return every day so far of every policy as CSV: the live table and its history."""
    return day_rows(model.history(), model.policies).to_csv(index=False, float_format="%.6g")


def csv_name(model: SideBySideModel) -> str:
    """Return the download's file name: the world it comes from."""
    cfg = model.reference.cfg
    return f"sim-policies-{cfg.graph.n_users}users-seed{cfg.seed}.csv"


def today_html(model: SideBySideModel, history: pd.DataFrame | None = None) -> str:
    """Return today's table as HTML rows (cheap to update every day, unlike Markdown)."""
    today = today_frame(model, history)
    th, td = f'<th style="{CELL};text-align:left">', f'<td style="{CELL};text-align:right">'
    cells = "".join(f"{th}{html.escape(m.label)}</th>" for m in METRICS)
    rows = [f"<tr>{th}policy</th>{cells}</tr>"]
    for policy, values in today.iterrows():
        cells = "".join(f"{td}{values[heading(m.key)]:,.3g}</td>" for m in METRICS)
        rows.append(f"<tr>{th}{html.escape(str(policy).replace('_', ' '))}</th>{cells}</tr>")
    return "".join(rows)


CELL = "padding: 2px 8px; border-bottom: 1px solid #ddd"
TABLE_STYLE = (
    "border-collapse: collapse; font-size: 13px; margin-top: 4px; "
    "font-variant-numeric: tabular-nums"
)


@solara.component
def PoliciesView(model: SideBySideModel) -> None:
    """Show every policy's headline metrics against day, and the gap to laissez-faire."""
    update_counter.get()
    difference, set_difference = solara.use_state("unfriends")
    figure = solara.use_memo(
        lambda: PoliciesFigure(model.policies, model.days, difference), [model, difference]
    )
    download = solara.use_memo(lambda: lambda: history_csv(model), [model])
    solara.Select(
        "difference from laissez-faire, of",
        value=difference,
        values=[m.key for m in METRICS],
        on_value=set_difference,
    )
    history = model.history()  # a play thread may be recording the next day meanwhile
    today = today_html(model, history)
    solara.Image(figure.render(history), width="100%", classes=["sim-policies"])
    with solara.Row(style={"align-items": "center"}):
        solara.Text(
            f"Day {model.day}, per policy (mutes and unfriends per 1,000 day-0 friendships)",
            style={"font-weight": "bold"},
        )
        solara.FileDownload(
            download,
            filename=csv_name(model),
            label="Download CSV (every day so far)",
            mime_type="text/csv",
        )
    solara.HTML(
        tag="table",
        unsafe_innerHTML=today,
        classes=["sim-today"],
        style=TABLE_STYLE,
    )


@solara.component
def CircleView(model: SideBySideModel) -> None:
    """Show a seller's circle of friends under each policy, and trust on seller arcs."""
    update_counter.get()
    sellers = model.sellers_at_start()[:SELLER_CHOICES].tolist()
    degree = model.reference.arcs.start
    choices = [f"{s} ({degree[s + 1] - degree[s]} friends)" for s in sellers]
    chosen, set_chosen = solara.use_state("")
    if chosen not in choices:
        chosen = choices[0] if choices else ""
    seller = int(chosen.split()[0]) if chosen else None
    figure = solara.use_memo(
        lambda: (
            CircleFigure(model.policies, neighbourhood(model, seller))
            if seller is not None
            else None
        ),
        [model, seller],
    )
    if figure is None:
        solara.Info("No seller on day 0 in this world: raise the number of users.")
        return
    solara.Select(
        "seller (day-0 sellers, most friends first)",
        value=chosen,
        values=choices,
        on_value=set_chosen,
    )
    solara.Image(figure.render(model), width="100%", classes=["sim-circle"])


def find_sweeps(root: Path) -> list[Path]:
    """Sweep folders at or one level below ``root`` (those with a summary or a report)."""
    if not root.is_dir():
        return []
    candidates = [root, *sorted(p for p in root.iterdir() if p.is_dir())]
    return [
        p for p in candidates if (p / "summary.parquet").is_file() or (p / "report.md").is_file()
    ]


def load_sweep(folder: Path) -> tuple[pd.DataFrame, pd.DataFrame, str]:
    """Return a sweep's summary, daily table and report, from its files (no run)."""
    from sim.study.compare import collect

    summary_file, daily_file = folder / "summary.parquet", folder / "timeseries.parquet"
    if summary_file.is_file() and daily_file.is_file():
        summary, daily = pd.read_parquet(summary_file), pd.read_parquet(daily_file)
    else:
        sweep = collect(folder)
        summary, daily = sweep.summary, sweep.timeseries
    report = folder / "report.md"
    return summary, daily, report.read_text() if report.is_file() else ""


def figure_png(draw, *args) -> bytes:
    """Draw one of ``sim.study.compare``'s (pyplot) figures under a lock and return it as PNG."""
    import matplotlib.pyplot as plt

    with _pyplot_lock:
        fig = draw(*args)
        try:
            out = io.BytesIO()
            fig.savefig(out, format="png", dpi=SWEEP_DPI)
            return out.getvalue()
        finally:
            plt.close(fig)


IMAGE_SUFFIXES = {".png": "png", ".jpg": "jpeg", ".jpeg": "jpeg", ".gif": "gif", ".webp": "webp"}
LINK = re.compile(r"(!?)\[([^\]]*)\]\(([^)\s]+)\)")
LIST_LINK = re.compile(r"^\s*[-*+]\s+!?\[([^\]]*)\]\(([^)\s]+)\)\s*$")


@dataclass(frozen=True)
class ReportFigure:
    """A figure file that a report links to, shown in the app.

    Attributes:
        caption: the link's text.
        path: the file, inside the sweep folder.

    """

    caption: str
    path: Path


def inside(folder: Path, target: str) -> Path | None:
    """Return the file ``target`` (relative to ``folder``) if it exists inside ``folder``."""
    if re.match(r"^[a-zA-Z][\w+.-]*:", target) or target.startswith(("/", "#")):
        return None
    path = (folder / target.split("#")[0]).resolve()
    return path if path.is_file() and path.is_relative_to(folder.resolve()) else None


def report_parts(report: str, folder: Path) -> list[str | ReportFigure]:
    """Split a sweep's ``report.md`` into Markdown and figures, with no link leaving the app.

    A list item that only links to an image in the sweep folder (the report's
    Figures list) becomes that figure, shown in place. In the text, a link to
    another file of the folder becomes its name and path (the page cannot
    open files), a web link opens in a new tab, and an in-page anchor stays.
    """
    parts: list[str | ReportFigure] = []
    text: list[str] = []

    def link(match: re.Match[str]) -> str:
        _image, label, target = match.groups()
        if target.startswith("#"):
            return match.group(0)
        if re.match(r"^https?://", target):
            return (
                f'<a href="{html.escape(target, quote=True)}" target="_blank" '
                f'rel="noopener noreferrer">{html.escape(label)}</a>'
            )
        return f"{label} (`{target}`)" if label != target else f"`{target}`"

    for line in report.splitlines():
        item = LIST_LINK.match(line)
        path = inside(folder, item.group(2)) if item else None
        if item and path is not None and path.suffix.lower() in IMAGE_SUFFIXES:
            if text:
                parts.append("\n".join(text))
                text = []
            parts.append(ReportFigure(item.group(1), path))
        else:
            text.append(LINK.sub(link, line))
    if text:
        parts.append("\n".join(text))
    return parts


@solara.component
def Report(report: str, folder: str) -> None:
    """Show a sweep's ``report.md`` with its figures in place (``report_parts``)."""
    parts = solara.use_memo(lambda: report_parts(report, Path(folder)), [report, folder])
    for part in parts:
        if isinstance(part, ReportFigure):
            solara.Text(part.caption, style={"font-weight": "bold"})
            solara.Image(
                part.path.read_bytes(),
                format=IMAGE_SUFFIXES[part.path.suffix.lower()],
                classes=["sim-figure", "sim-report-figure"],
            )
        else:
            solara.Markdown(part)


@solara.component
def SweepDetail(folder: str) -> None:
    """One sweep: outcome against intensity, the trade-off, daily ribbons, the report."""
    from sim.core.outcomes import INTENSITY, RUN, USERS
    from sim.figures.sweep import OUTCOMES, outcome_figure, ribbons_figure, tradeoff_figure
    from sim.study.compare import sweep_settings
    from sim.study.sweep_report import answer_size, sizes_of

    loaded = solara.use_memo(lambda: _try_load(Path(folder)), [folder])
    outcome, set_outcome = solara.use_state(next(iter(OUTCOMES)))
    intensity, set_intensity = solara.use_state("")
    setting, set_setting = solara.use_state("")
    summary, daily, report = loaded if not isinstance(loaded, str) else (None, None, "")
    found = solara.use_memo(
        lambda: sweep_settings(Path(folder), summary) if summary is not None else None, [loaded]
    )
    # runs under different settings or sizes are different worlds: the figures show one
    # setting (chosen here), at the size the sweep's report answers at
    settings: list[str] = []
    size = None
    if found is not None and not summary.empty:
        settings, labels = found
        if settings:
            setting = setting if setting in settings else settings[0]
            summary = summary[labels == setting]
        if len(sizes_of(summary)) > 1:
            size = answer_size(summary)
            summary = summary[summary[USERS] == size]
        daily = daily[daily[RUN].isin(summary[RUN])]
    levels = (
        [f"{x:g}" for x in sorted(summary[INTENSITY].unique())]
        if summary is not None and not summary.empty
        else []
    )
    if levels and intensity not in levels:
        intensity = "1" if "1" in levels else levels[0]
    ready = bool(levels)
    by_outcome = solara.use_memo(
        lambda: figure_png(outcome_figure, summary, outcome) if ready else b"",
        [loaded, outcome, setting],
    )
    tradeoff = solara.use_memo(
        lambda: figure_png(tradeoff_figure, summary) if ready else b"", [loaded, setting]
    )
    ribbons = solara.use_memo(
        lambda: figure_png(ribbons_figure, daily, float(intensity)) if ready else b"",
        [loaded, intensity, setting],
    )
    if isinstance(loaded, str):
        solara.Error(loaded)
        return
    if not ready:
        solara.Warning(f"{folder}: no finished run yet.")
        Report(report, folder)
        return
    if settings:
        solara.Info(
            "This sweep varies settings besides policy, intensity and seed; the figures "
            "show one setting's runs, never a pool of them."
        )
    if size is not None:
        solara.Info(
            f"This sweep varies the number of users; the figures show {size:,} users, the "
            "size its report answers at (its scale section gives every size)."
        )
    with solara.Row():
        if settings:
            solara.Select("setting", value=setting, values=settings, on_value=set_setting)
        solara.Select("outcome", value=outcome, values=list(OUTCOMES), on_value=set_outcome)
        solara.Select(
            "intensity (daily ribbons)", value=intensity, values=levels, on_value=set_intensity
        )
    # each at its drawn size (shrunk only to fit the column), never a thumbnail
    with solara.Row(style={"flex-wrap": "wrap", "align-items": "flex-start"}):
        solara.Image(by_outcome, classes=["sim-figure", "sim-sweep-outcome"])
        solara.Image(tradeoff, classes=["sim-figure", "sim-sweep-tradeoff"])
    solara.Image(ribbons, classes=["sim-figure", "sim-sweep-ribbons"])
    with solara.Card("report.md"):
        if report:
            Report(report, folder)
        else:
            solara.Markdown("(no report.md in this folder)")


def _try_load(folder: Path) -> tuple[pd.DataFrame, pd.DataFrame, str] | str:
    try:
        return load_sweep(folder)
    except Exception as error:  # a broken folder is shown, not raised into the page
        return f"{folder}: cannot read this sweep: {error}"


@solara.component
def SweepsView() -> None:
    """Open a sweep folder and look at its comparison without re-running anything."""
    root, set_root = solara.use_state(os.environ.get(SWEEPS_ENV, DEFAULT_SWEEPS))
    chosen, set_chosen = solara.use_state("")
    solara.InputText(
        "sweeps folder (a sweep, or a folder of sweeps)",
        value=root,
        on_value=set_root,
        continuous_update=False,
    )
    sweeps = [str(p) for p in find_sweeps(Path(root))]
    if not sweeps:
        solara.Info(
            f"No sweep found at {root}. Run one, e.g. `python -m sim -m +sweep=quick`, "
            "then give its folder here."
        )
        return
    if chosen not in sweeps:
        chosen = sweeps[0]
    solara.Select("sweep", value=chosen, values=sweeps, on_value=set_chosen)
    SweepDetail(chosen)


@solara.component
def SweepsPage(_model: SideBySideModel) -> None:
    """Show the sweeps view (it does not use the live model)."""
    SweepsView()


class FrameClock(v.VuetifyTemplate):
    """An invisible element that tells the server the last day the browser has drawn.

    The browser handles the page's updates in order; when it has handled
    this element's ``day`` (sent after the view's figure and table), it sets
    ``shown`` to it, which comes back to the server (``Pace``).
    """

    day = traitlets.Int(0).tag(sync=True)
    shown = traitlets.Int(-1).tag(sync=True)
    template = traitlets.Unicode(
        """
<template><span class="sim-frame-clock" style="display: none"></span></template>
<script>
module.exports = {
    mounted() { this.shown = this.day; },
    watch: { day() { this.$nextTick(() => { this.shown = this.day; }); } },
};
</script>
"""
    ).tag(sync=True)


class Pace:
    """Keeps Play at most ``PACE_AHEAD`` days ahead of what the browser has drawn.

    Without it a slow browser (a busy machine, a remote one) fell behind:
    the server stepped on while the page worked through a backlog of days,
    so the page showed the past and kept moving after Pause. Each day waits
    at most ``PACE_TIMEOUT_S`` for the browser; with no browser (the tests'
    rendering, before the page is drawn) nothing waits.
    """

    def __init__(self) -> None:
        self.shown = -1
        self.changed = threading.Condition()

    def mark(self, change: dict[str, object]) -> None:
        """Record the day the browser has drawn (a ``FrameClock.shown`` observer)."""
        with self.changed:
            self.shown = int(change["new"])  # type: ignore[call-overload]
            self.changed.notify_all()

    def wait(self, day: int) -> None:
        """Wait until the browser has drawn day ``day - PACE_AHEAD + 1`` (or the timeout)."""
        with self.changed:
            if self.shown >= 0:
                self.changed.wait_for(lambda: self.shown > day - PACE_AHEAD, PACE_TIMEOUT_S)

    def pace(self, model: SideBySideModel) -> None:
        """Make ``model``'s step (as Mesa's Play and Step call it) wait for the browser."""
        step = model.step

        def paced_step() -> None:
            self.wait(model.day)
            step()

        model.step = paced_step  # type: ignore[method-assign]


@solara.component
def DrawnDay(model: SideBySideModel, pace: Pace) -> None:
    """Report the day the browser has drawn to ``pace`` (``FrameClock``)."""
    update_counter.get()
    clock = FrameClock.element(day=model.day)

    def watch():
        widget = solara.get_widget(clock)
        widget.observe(pace.mark, "shown")
        return lambda: widget.unobserve(pace.mark, "shown")

    solara.use_effect(watch, [pace])


# Only the chosen view is drawn, so each step redraws one figure.
VIEWS = {"Policies": PoliciesView, "Seller's circle": CircleView, "Sweeps": SweepsPage}


@solara.component
def Page() -> None:
    """Lay out the page: Mesa's controls on the left, one of three views beside them."""
    initial = solara.use_memo(SideBySideModel, [])
    model = solara.use_reactive(initial)
    pace = solara.use_memo(Pace, [model.value])
    solara.use_effect(lambda: pace.pace(model.value), [model.value])
    parameters = solara.use_reactive({})
    play_interval = solara.use_reactive(PLAY_INTERVAL_MS)
    render_interval = solara.use_reactive(1)
    use_threads = solara.use_reactive(False)
    view = solara.use_reactive(next(iter(VIEWS)))
    solara.Title("sim: policies side by side")
    with solara.Row(style={"padding": "12px", "align-items": "flex-start"}):
        with solara.Column(style={"flex": "0 0 330px", "width": "330px"}):
            solara.Markdown("### sim · policies side by side")
            with solara.Card("Run"):
                ModelController(
                    model,
                    model_parameters=parameters,
                    play_interval=play_interval,
                    render_interval=render_interval,
                    use_threads=use_threads,
                )
                DayCounter(model.value)
                solara.Text(
                    f"pause between days while playing: {play_interval.value} ms",
                    classes=["sim-control-value"],
                )
                solara.SliderInt("", value=play_interval, min=0, max=1000, step=10)
            with solara.Card("World and policies", subtitle="applied on Reset"):
                WorldControls(parameters)
        with solara.Column(style={"flex": "1 1 0", "min-width": "0"}):
            solara.ToggleButtonsSingle(value=view, values=list(VIEWS))
            VIEWS[view.value](model.value)
            DrawnDay(model.value, pace)  # last: its update follows the view's


def warm_up() -> None:
    """Load once what every session would load on first use (before the server serves).

    A tiny world stepped and drawn: the engine's compiled loops, Hydra's
    configuration and matplotlib's fonts, which then stay for the process's
    life. A session's own memory then returns when it closes.
    """
    model = SideBySideModel(n_users=200, mean_degree=10, days=2)
    model.step()
    PoliciesFigure(model.policies, model.days).render(model.history())
    sellers = model.sellers_at_start()
    if len(sellers):
        CircleFigure(model.policies, neighbourhood(model, int(sellers[0]))).render(model)
