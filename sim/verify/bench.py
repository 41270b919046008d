"""Benchmark: ``sim bench [--cases ...] [--quick]`` (cases: ``sim.verify.cases``).

Each case runs in a fresh subprocess (so its peak RSS is its own) and reports
users, mean degree, days, engine, start-up seconds (imports and numba's
compiler target: paid once per process, however many runs it makes), setup
seconds (of which building the graph: the graph cache is off, so every case
builds its graph as a first run does), run seconds, days per second,
arc-days per second (directed arcs x days / run seconds), peak RSS, and
bytes per directed arc: the arc table's arrays, and the peak RSS. ``fast-10m``
(ten million users) runs only when named. The
``app-2k`` case times the dashboard's day (``sim.dashboard.serve``): four policies side by
side, one step each, and the redraw of its figures, in milliseconds. The
browser cases (``app-play``, ``app-sessions``; by name only: they need
Debian's chromium) drive ``sim app`` in a real browser: the wall time of
playing a year, and the server's memory over sessions opened and closed. The
reference (per-agent) and fast engines run side by side on the same graph and
days, and the table gives the fast engine's speed-up as a ratio. Results are
printed and written to ``results/bench/bench_<time>.json``.
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import subprocess
import sys
import time
from dataclasses import asdict
from datetime import datetime
from pathlib import Path

import numpy as np

from sim.core.config import ConfigError
from sim.core.outputs import write_json
from sim.run.safety import output_folder
from sim.verify.cases import (
    BROWSER,
    CASES,
    QUICK,
    SCREENING_RUNS,
    STARTUP,
    STARTUP_RUN,
    STUDIES,
    Case,
)


def measure_study(name: str, keep: Path | None = None) -> dict[str, float | int | str]:
    """Run a study through the command line into a temporary folder and time its parts.

    Reports wall seconds, runs, the seconds the runs spent simulating (from their
    summaries), the rest per run (process start, Hydra composition, file writes),
    the aggregation (sensitivity, robust ranking, PRIM, figures, report) timed on
    its own, and the wall time projected to the 2,000-run screening. The study
    runs in a temporary folder, or in ``keep/<name>`` to read its results after.
    """
    import tempfile

    study, extra = STUDIES[name]
    with tempfile.TemporaryDirectory() as scratch:
        folder = scratch if keep is None else str(keep / name)
        if keep is not None and (keep / name).exists():  # a resumed study would time nothing
            raise SystemExit(f"sim bench: {keep / name} exists; choose another --keep folder")
        command = [sys.executable, "-m", "sim", "-m", f"+study={study}", *extra]
        started = time.perf_counter()
        out = subprocess.run(
            [*command, f"hydra.sweep.dir={folder}"], capture_output=True, text=True, check=False
        )
        wall = time.perf_counter() - started
        if out.returncode != 0:
            raise RuntimeError(f"bench case {name} failed:\n{out.stderr[-2000:]}")
        summaries = [json.loads(p.read_text()) for p in Path(folder).glob("*/summary.json")]
        started = time.perf_counter()
        subprocess.run(
            [sys.executable, "-m", "sim.sensitivity", folder], capture_output=True, check=True
        )
        aggregation = time.perf_counter() - started
    runs = len(summaries)
    simulate = sum(s["wall_seconds"] for s in summaries)
    setup = sum(s["setup_seconds"] for s in summaries)
    cores = os.cpu_count() or 1
    per_run = (wall - aggregation) / runs
    return {
        "name": name,
        "runs": runs,
        "wall_s": wall,
        "simulate_s": simulate,
        "setup_s": setup,
        "overhead_s_per_run": max(0.0, (wall - aggregation) * min(cores, 2) - simulate) / runs,
        "aggregation_s": aggregation,
        "projected_screening_min": (per_run * SCREENING_RUNS + aggregation) / 60,
    }


CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = (
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
)


def start_app(*args: str) -> tuple[subprocess.Popen, str]:
    """Start ``python -m sim.app`` on a free port; return it and its URL once it answers."""
    import socket
    import urllib.request

    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    server = subprocess.Popen(
        [sys.executable, "-m", "sim.app", "--port", str(port), *args],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
        text=True,
    )
    url = f"http://127.0.0.1:{port}/"
    deadline = time.monotonic() + 180
    while True:
        try:
            urllib.request.urlopen(url, timeout=5)
            return server, url
        except OSError:
            if server.poll() is not None or time.monotonic() > deadline:
                server.kill()
                log = server.communicate()[1][-2000:]
                raise RuntimeError(f"sim app did not start: {log}") from None
            time.sleep(0.5)


def day_shown(page) -> int:
    """Return the day the dashboard's day counter shows."""
    return int(page.inner_text(".sim-day").split()[1])


def measure_browser(name: str) -> dict[str, float | int | str]:
    """Run browser case ``name`` (``BROWSER``) against a fresh ``sim app`` server."""
    import psutil
    from playwright.sync_api import sync_playwright

    if not Path(CHROMIUM).is_file():
        raise SystemExit(f"sim.verify.bench: {name} needs Debian's chromium ({CHROMIUM})")
    server, url = start_app()
    process = psutil.Process(server.pid)
    try:
        with sync_playwright() as playwright:
            browser = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
            if name == "app-play":
                return {"name": name, **_play_a_year(browser, url)}
            return {"name": name, **_sessions(browser, url, process)}
    finally:
        server.terminate()
        server.wait(timeout=30)


def _play_a_year(browser, url: str) -> dict[str, float | int]:
    page = browser.new_page(viewport={"width": 1800, "height": 1150})
    page.goto(url)
    page.wait_for_selector("img.sim-policies", timeout=120_000)
    last = int(page.inner_text(".sim-day").split()[-1])
    page.get_by_role("button", name="▶").click()
    started = time.monotonic()
    while day_shown(page) < last:
        page.wait_for_timeout(100)
    seconds = time.monotonic() - started
    return {"days": last, "wall_s": seconds, "days_per_s": last / seconds}


def _sessions(browser, url: str, process) -> dict[str, float | int | list[float]]:
    def rss() -> float:
        return process.memory_info().rss / 2**20

    start, opened, closed = rss(), [], []
    for _ in range(8):
        context = browser.new_context(viewport={"width": 1800, "height": 1150})
        page = context.new_page()
        page.goto(url)
        page.wait_for_selector("img.sim-policies", timeout=120_000)
        for step in range(1, 6):
            page.get_by_role("button", name="Step").click()
            while day_shown(page) < step:
                page.wait_for_timeout(50)
        page.get_by_role("button", name="Seller's circle").click()
        page.wait_for_selector("img.sim-circle", timeout=60_000)
        opened.append(rss())
        context.close()
        time.sleep(5)  # the server collects and trims 2-3 s after a close
        closed.append(rss())
    return {"sessions": 8, "start_mb": start, "open_mb": opened, "closed_mb": closed}


def browser_table(rows: list[dict]) -> str:
    """Format browser cases."""
    lines = []
    for r in rows:
        if r["name"] == "app-play":
            lines.append(
                f"app-play: {r['days']} days of 4 policies on 1,000 users played in "
                f"{r['wall_s']:.1f} s ({r['days_per_s']:.1f} days/s)"
            )
        else:
            pairs = ", ".join(
                f"{o:.0f}/{c:.0f}" for o, c in zip(r["open_mb"], r["closed_mb"], strict=True)
            )
            lines.append(
                f"app-sessions: server RSS {r['start_mb']:.0f} MB at start; per session open/after "
                f"close: {pairs} MB; {r['closed_mb'][-1] - r['start_mb']:+.0f} MB after "
                f"{r['sessions']} sessions"
            )
    return "\n".join(lines)


def study_table(rows: list[dict]) -> str:
    """Format study cases."""
    header = (
        f"{'case':<16} {'runs':>6} {'wall s':>8} {'sim s':>8} {'setup s':>8} "
        f"{'other s/run':>11} {'aggr. s':>8} {'2,000 runs, min':>15}"
    )
    lines = [header, "-" * len(header)]
    for r in rows:
        lines.append(
            f"{r['name']:<16} {r['runs']:>6,} {r['wall_s']:>8.1f} {r['simulate_s']:>8.1f} "
            f"{r['setup_s']:>8.1f} {r['overhead_s_per_run']:>11.2f} {r['aggregation_s']:>8.1f} "
            f"{r['projected_screening_min']:>15.1f}"
        )
    return "\n".join(lines)


def measure_app(case: Case) -> dict[str, float | int | str]:
    """Time the dashboard's day: four policies side by side, one step each, and the redraw.

    The redraw is both live figures (policies, and a seller's circle with the
    trust histogram) rendered to PNG, as the app sends them; the app itself
    draws only the view on screen, so this is an upper bound.
    """
    from sim.dashboard.live_plots import CircleFigure, PoliciesFigure, neighbourhood
    from sim.dashboard.sidebyside import SideBySideModel

    started = time.perf_counter()
    model = SideBySideModel(n_users=case.n_users, mean_degree=case.mean_degree, days=case.days)
    circle = neighbourhood(model, int(model.sellers_at_start()[0]))
    policies = PoliciesFigure(model.policies, model.days)
    circles = CircleFigure(model.policies, circle)
    policies.render(model.datacollector.get_model_vars_dataframe())
    circles.render(model)
    setup = time.perf_counter() - started
    days = []
    for _ in range(case.days):
        begin = time.perf_counter()
        model.step()
        policies.render(model.datacollector.get_model_vars_dataframe())
        circles.render(model)
        days.append(time.perf_counter() - begin)
    ms = 1000 * np.array(days)
    arcs = sum(len(m.arcs) for m in model.models.values())
    return {
        **asdict(case),
        "actual_mean_degree": len(model.reference.arcs) / case.n_users,
        "setup_s": setup,
        "run_s": float(ms.sum() / 1000),
        "days_per_s": case.days / float(ms.sum() / 1000),
        "arc_days_per_s": arcs * case.days / float(ms.sum() / 1000),
        "peak_rss_mb": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024,
        "policies": len(model.policies),
        "day_ms_mean": float(ms.mean()),
        "day_ms_median": float(np.median(ms)),
        "day_ms_p95": float(np.percentile(ms, 95)),
        "day_ms_max": float(ms.max()),
    }


def start_up() -> None:
    """Load the engine's compiled loops as any process's first run does.

    The first call of each compiled function (``sim.engine.kernels``) loads it from
    numba's cache, and the first of all starts numba's compiler target: well
    under a second together, paid once per process however many runs it makes
    (a sweep worker, an array task). A tiny model's two days load them, so a
    case's setup and run times are the model's own; ``start s`` reports this.
    """
    from sim.engine.model import SocialCommerceModel
    from sim.run.runner import compose_config, to_sim_config

    tiny = ["graph.n_users=300", "graph.mean_degree=10", "steps=2", "progress=false"]
    model = SocialCommerceModel(to_sim_config(compose_config(tiny)))
    model.step()
    model.step()
    someone = np.zeros(1, dtype=np.int64)
    model.arcs.of_authors(someone)  # word of mouth's two loops: no purchase in two days
    model.arcs.find(someone, someone)


def arc_table_bytes(arcs: object) -> int:
    """Return the bytes of the arc table's arrays (``sim.engine.network.ArcTable``)."""
    arrays = [value for value in vars(arcs).values() if isinstance(value, np.ndarray)]
    return sum(a.nbytes for a in arrays) + arcs.following.words.nbytes  # type: ignore[attr-defined]


def measure(case: Case) -> dict[str, float | int | str | None]:
    """Run ``case`` in this process and return its figures."""
    if case.engine == "app":
        return measure_app(case)
    from sim.run.runner import compose_config, to_sim_config
    from sim.verify.reference.model import ReferenceModel

    overrides = [
        f"graph.n_users={case.n_users}",
        f"graph.mean_degree={case.mean_degree}",
        f"steps={case.days}",
        "progress=false",
    ]
    cfg = to_sim_config(compose_config(overrides))
    started = time.perf_counter()
    from sim.engine.graphs import graph_for_seed
    from sim.engine.model import SocialCommerceModel

    start_up()
    imports = time.perf_counter() - started
    started = time.perf_counter()
    if case.engine == "fast":
        handed = [graph_for_seed(cfg.graph, cfg.seed)]
        graph_s = time.perf_counter() - started
        # handed over, so the model frees the edges once laid out, as a run's model does
        # (held here, they stayed through the table's setup: 30 MiB on the peak at 1M)
        model = SocialCommerceModel(cfg, graph=handed.pop)
        arcs = len(model.arcs)
        table_bytes = arc_table_bytes(model.arcs)
        step = model.step
    else:
        graph_s = None  # built inside the reference model
        table_bytes = None  # per-agent dicts, not an arc table
        reference = ReferenceModel(cfg)
        arcs = sum(len(p.trust) for p in reference.people)
        step = reference.step
    setup = time.perf_counter() - started
    started = time.perf_counter()
    for _ in range(case.days):
        step()
    run = time.perf_counter() - started
    return {
        **asdict(case),
        "actual_mean_degree": arcs / case.n_users,
        "import_s": imports,
        "setup_s": setup,
        "graph_s": graph_s,
        "run_s": run,
        "days_per_s": case.days / run,
        "arc_days_per_s": arcs * case.days / run,
        "peak_rss_mb": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024,
        "peak_bytes_per_arc": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * 1024 / arcs,
        "table_bytes_per_arc": None if table_bytes is None else table_bytes / arcs,
    }


def run_case(case: Case) -> dict[str, float | int | str | None]:
    """Run ``case`` in a fresh Python process and return its figures."""
    out = subprocess.run(
        [sys.executable, "-m", "sim.bench", "--child", case.name],
        capture_output=True,
        text=True,
        check=False,
        env={**os.environ, "SIM_GRAPH_CACHE": "off"},  # time the graph as a first run builds it
    )
    if out.returncode != 0:
        raise RuntimeError(f"bench case {case.name} failed:\n{out.stderr[-2000:]}")
    return json.loads(out.stdout.strip().splitlines()[-1])


def _bytes(value: float | None) -> str:
    return "" if value is None else f"{value:.1f}"


def _seconds(value: float | None) -> str:
    return "" if value is None else f"{value:.2f}"


def table(rows: list[dict]) -> str:
    """Format the results, with the fast engine's speed-up over the reference."""
    runs = {(r["n_users"], r["days"], r["engine"]): r["run_s"] for r in rows}
    header = (
        f"{'case':<10} {'engine':<9} {'users':>9} {'degree':>6} {'days':>5} {'start s':>8} "
        f"{'setup s':>8} {'graph s':>8} "
        f"{'run s':>8} {'days/s':>8} {'arc-days/s':>11} {'peak MB':>8} {'table B':>7} "
        f"{'peak B':>7} {'speed-up':>8}"
    )
    lines = [header, "-" * len(header)]
    for r in rows:
        reference = runs.get((r["n_users"], r["days"], "reference"))
        ratio = f"{reference / r['run_s']:.0f}x" if r["engine"] == "fast" and reference else ""
        lines.append(
            f"{r['name']:<10} {r['engine']:<9} {r['n_users']:>9,} {r['actual_mean_degree']:>6.1f} "
            f"{r['days']:>5} {_seconds(r.get('import_s')):>8} "
            f"{r['setup_s']:>8.2f} {_seconds(r.get('graph_s')):>8} "
            f"{r['run_s']:>8.2f} {r['days_per_s']:>8.1f} "
            f"{r['arc_days_per_s']:>11.3g} {r['peak_rss_mb']:>8.0f} "
            f"{_bytes(r.get('table_bytes_per_arc')):>7} {_bytes(r.get('peak_bytes_per_arc')):>7} "
            f"{ratio:>8}"
        )
    for r in rows:
        if r["engine"] == "app":
            lines.append(
                f"{r['name']}: one day of {r['policies']} policies side by side, step and redraw: "
                f"mean {r['day_ms_mean']:.0f} ms, median {r['day_ms_median']:.0f} ms, "
                f"95th percentile {r['day_ms_p95']:.0f} ms, max {r['day_ms_max']:.0f} ms"
            )
    return "\n".join(lines)


def command(args: argparse.Namespace, parser: argparse.ArgumentParser) -> None:
    """Run ``sim bench`` with its parsed arguments (``sim.cli.bench``)."""
    if args.child:
        print(json.dumps(measure(CASES[args.child])))
        return
    try:  # before the benchmark: a bad --out must not wait for its 70 s
        output_folder(args.out, "--out")
        if args.keep is not None:
            output_folder(args.keep, "--keep")
    except ConfigError as error:
        parser.exit(2, f"sim bench: error: {error}\n")
    names = list(QUICK) if args.quick else [n.strip() for n in args.cases.split(",") if n.strip()]
    known_names = {*CASES, *STUDIES, *BROWSER, "startup"}
    unknown = [n for n in names if n not in known_names]
    if unknown:
        known = ", ".join([*CASES, *STUDIES, *BROWSER, "startup"])
        parser.error(f"unknown case(s) {', '.join(unknown)}; choose from {known}")
    rows, studies, browsers, startup = [], [], [], []
    for name in names:
        if name == "startup":
            startup = measure_startup()
            print("done: startup", file=sys.stderr)
            continue
        if name in BROWSER:
            browsers.append(measure_browser(name))
            print(f"done: {name}", file=sys.stderr)
            continue
        if name in STUDIES:
            studies.append(measure_study(name, args.keep))
            print(f"done: {name} ({studies[-1]['wall_s']:.1f} s)", file=sys.stderr)
            continue
        rows.append(run_case(CASES[name]))
        print(f"done: {name} ({rows[-1]['setup_s'] + rows[-1]['run_s']:.1f} s)", file=sys.stderr)
    if rows:
        print(table(rows))
    if studies:
        print(study_table(studies))
    if browsers:
        print(browser_table(browsers))
    if startup:
        print(startup_table(startup))
    stamp = datetime.now().strftime("%Y-%m-%d_%H-%M-%S")
    path = args.out / f"bench_{stamp}.json"
    record = {
        "machine": machine(),
        "cases": rows,
        "studies": studies,
        "browser": browsers,
        "startup": startup,
    }
    write_json(record, path)
    print(f"written: {path}")


def measure_startup(repeats: int = 5) -> list[dict[str, float | str]]:
    """Time each ``--help`` of ``STARTUP`` and a run to its first day; medians of ``repeats``.

    The run's figure is its own ``start_seconds`` (``summary.json``): from the
    process's start to the engine's first day, after one run that fills
    numba's cache (a machine's first run compiles for about 20 s more).
    """
    import statistics
    import tempfile

    rows: list[dict[str, float | str]] = []
    for name, args in STARTUP.items():
        walls = []
        for _ in range(repeats):
            started = time.perf_counter()
            subprocess.run([sys.executable, "-m", "sim", *args], capture_output=True, check=True)
            walls.append(time.perf_counter() - started)
        rows.append({"what": name, "seconds": statistics.median(walls)})
    with tempfile.TemporaryDirectory() as scratch:
        starts = []
        for k in range(repeats + 1):
            folder = Path(scratch) / f"run{k}"
            subprocess.run(
                [sys.executable, "-m", "sim", *STARTUP_RUN, f"hydra.run.dir={folder}"],
                capture_output=True,
                check=True,
            )
            if k:  # the first run fills numba's cache
                starts.append(json.loads((folder / "summary.json").read_text())["start_seconds"])
    rows.append({"what": "sim run: start to first day", "seconds": statistics.median(starts)})
    return rows


def startup_table(rows: list[dict[str, float | str]]) -> str:
    """Return the start-up figures as a text table."""
    lines = [f"{'start-up':<32} {'seconds':>8}", "-" * 41]
    lines += [f"{row['what']:<32} {float(row['seconds']):>8.2f}" for row in rows]
    return "\n".join(lines)


def machine() -> dict[str, str | int]:
    """Describe the machine the figures come from."""
    import os
    import platform

    return {
        "python": platform.python_version(),
        "platform": platform.platform(),
        "cpus": os.cpu_count() or 0,
        "date": datetime.now().isoformat(timespec="seconds"),
    }
