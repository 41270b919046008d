"""``sim compare SWEEP_DIR``: aggregate a sweep into tables, plots and a report.

Also run automatically at the end of every multirun (``sim.study.callbacks``).
It reads what each job wrote (``sim.study.compare``) and writes, into the sweep
folder:

- ``summary.parquet``: one row per finished run, its swept values and summary metrics;
- ``timeseries.parquet``: one row per run and day;
- ``plots/``: each headline outcome against intensity per policy (mean and 95%
  interval across seeds), time-series ribbons per policy at one intensity, the
  platform's trade-off (user experience against GMV), and ``overview.png``
  (outcomes at matched seller pressure) (``sim.figures.sweep``);
- ``report.md``: verdicts, the runs found, failed and missing (``sim.study.sweep_report``);
- for a sweep over ``graph.n_users`` (``+sweep=scale``): ``scale.csv`` (each policy's
  paired difference from laissez-faire at each size), ``scale_levels.csv`` (each
  policy's means), ``plots/scale.png`` and the report's scale section
  (``sim.study.scale``); the other figures and the answer are then at the largest size
  with two seeds or more (``answer_size``).
- for a sweep that varies any other setting (``sim.study.compare.settings``: say
  ``trust.erosion_per_item=0.002,0.005``): ``settings/<key=value>/`` with that
  setting's own report, plots and scale tables, and a top ``report.md`` giving each
  setting's answer and means apart (``settings_report``). Runs under different
  settings are different worlds: no mean, interval, verdict or figure pools them.

An uncertainty study's runs go to ``sim.study.sensitivity`` instead. Runs that
failed or never finished are listed, not fatal.
"""

from __future__ import annotations

import argparse
import contextlib
import sys
from pathlib import Path

from omegaconf import OmegaConf

from sim.core.outcomes import RUN, USERS
from sim.core.outputs import write_atomically
from sim.figures import use_file_backend
from sim.figures.plotting import save_figure
from sim.figures.sweep import OUTCOMES, scale_figure, write_plots
from sim.run.sweep import MULTIRUN, job_dirs
from sim.run.uncertainty import is_study
from sim.study.compare import (
    Sweep,
    by_setting,
    collect,
    ribbon_intensity,
    settings,
)
from sim.study.scale import SCALE_KEYS, scale_effects, scale_levels, scale_section
from sim.study.sensitivity import analyze_study
from sim.study.sweep_report import answer_size, report, settings_report, sizes_of


def aggregate(folder: Path, intensity: float | None = None) -> Sweep:
    """Write a sweep's tables, plots and report; return what was read."""
    jobs = job_dirs(folder)  # a damaged multirun.yaml ends here, in one line naming it
    study = is_study(OmegaConf.load(folder / MULTIRUN))
    sweep = collect(folder, with_timeseries=not study)
    if study:
        # an uncertainty study: one table of runs, then sensitivity and robust ranking
        if not sweep.summary.empty:
            write_atomically(
                folder / "summary.parquet",
                lambda out: sweep.summary.to_parquet(out, index=False),
                binary=True,
            )
            analyze_study(folder, sweep.summary, sweep.status)
        return sweep
    if not sweep.summary.empty:
        for name, table in (("summary", sweep.summary), ("timeseries", sweep.timeseries)):
            write_atomically(
                folder / f"{name}.parquet",
                lambda out, t=table: t.to_parquet(out, index=False),
                binary=True,
            )
    else:  # no run to aggregate: tables of an earlier aggregation would be stale
        for name in ("summary", "timeseries"):
            (folder / f"{name}.parquet").unlink(missing_ok=True)
    keys = settings(jobs)
    if keys:
        # runs under different settings are different worlds: each its own report
        parts = by_setting(sweep, jobs, keys)
        for part in parts:
            write_results(folder / "settings" / part.folder, part.sweep, intensity, part.label)
        remove_pooled_results(folder)
        remove_stale_settings(folder, {part.folder for part in parts})
        text = settings_report(sweep, keys, parts, intensity)
    else:
        remove_stale_settings(folder, set())
        text = write_results(folder, sweep, intensity)
    write_atomically(folder / "report.md", lambda out: out.write(text))
    status = sweep.status
    print(
        f"sweep {folder}: {len(status['complete'])} of {status['expected']} runs finished, "
        f"{len(status['failed'])} failed, {len(status['damaged'])} damaged, "
        f"{len(status['missing'])} missing; report: {folder / 'report.md'}"
    )
    for reason in status["damaged"].values():
        print(f"sim: error: damaged run, not aggregated: {reason}", file=sys.stderr)
    return sweep


def remove_pooled_results(folder: Path) -> None:
    """Remove the top-level figures and scale tables an earlier aggregation pooled settings in.

    Only the files ``write_results`` writes; the ``plots`` folder goes if that empties it.
    """
    written = {f"{outcome}_vs_intensity.png" for outcome in OUTCOMES}
    written |= {"tradeoff_ux_vs_gmv.png", "overview.png", "scale.png"}
    plots = folder / "plots"
    for path in plots.glob("*.png"):
        if path.name in written or path.name.startswith("ribbons_intensity_"):
            path.unlink()
    with contextlib.suppress(OSError):  # not there, or holds files of the user's
        plots.rmdir()
    for name in ("scale.csv", "scale_levels.csv"):
        (folder / name).unlink(missing_ok=True)


def remove_stale_settings(folder: Path, current: set[str]) -> None:
    """Remove the sub-reports an earlier aggregation wrote for settings the sweep no longer has.

    In each ``settings/<label>/`` not in ``current``: only the files
    ``write_results`` writes (its report, figures and scale tables); the folder,
    and ``settings/`` itself, go only if that empties them, so a user's own
    files stay where they are.
    """
    root = folder / "settings"
    if not root.is_dir():
        return
    for stale in sorted(path for path in root.iterdir() if path.is_dir()):
        if stale.name in current:
            continue
        remove_pooled_results(stale)
        (stale / "report.md").unlink(missing_ok=True)
        with contextlib.suppress(OSError):  # holds files of the user's
            stale.rmdir()
    with contextlib.suppress(OSError):
        root.rmdir()


def write_results(
    folder: Path, sweep: Sweep, intensity: float | None, setting: str | None = None
) -> str:
    """Write the plots and scale tables of ``sweep`` into ``folder``; return its report.

    The report is also written there for a ``setting`` (one of several a sweep varies).
    """
    figures: list[Path] = []
    sections: list[str] = []
    if not sweep.summary.empty:
        folder.mkdir(parents=True, exist_ok=True)
        # a sweep over sizes: the usual figures at the size it answers at, and the scale figure
        sizes = sizes_of(sweep.summary)
        answered = sweep.summary[sweep.summary[USERS] == answer_size(sweep.summary)]
        at = ribbon_intensity(sweep.summary, intensity)
        figures = write_plots(
            folder / "plots",
            answered,
            sweep.timeseries[sweep.timeseries[RUN].isin(answered[RUN])],
            at,
        )
        if len(sizes) > 1:
            effects = scale_effects(sweep.summary, at)
            if not effects.empty:
                figures.append(
                    save_figure(scale_figure(effects, SCALE_KEYS), folder / "plots" / "scale.png")
                )
                write_atomically(folder / "scale.csv", lambda out: effects.to_csv(out, index=False))
            levels = scale_levels(sweep.summary)
            write_atomically(
                folder / "scale_levels.csv", lambda out: levels.to_csv(out, index=False)
            )
        else:  # one size: scale tables of an earlier aggregation would be stale
            for name in ("scale.csv", "scale_levels.csv"):
                (folder / name).unlink(missing_ok=True)
        sections = scale_section(sweep.summary, at)
    text = report(sweep, figures, intensity, sections, setting)
    if setting is not None:
        folder.mkdir(parents=True, exist_ok=True)
        write_atomically(folder / "report.md", lambda out: out.write(text))
    return text


def command(args: argparse.Namespace, parser: argparse.ArgumentParser) -> None:
    """Run ``sim compare`` with its parsed arguments (``sim.cli.compare``)."""
    use_file_backend()
    if not (args.sweep_dir / MULTIRUN).is_file():
        parser.exit(
            2, f"sim compare: error: {args.sweep_dir} is not a sweep folder (no {MULTIRUN})\n"
        )
    try:
        sweep = aggregate(args.sweep_dir, args.intensity)
    except ValueError as error:
        parser.exit(2, f"sim compare: error: {error}\n")
    if sweep.status["damaged"]:
        raise SystemExit(1)
