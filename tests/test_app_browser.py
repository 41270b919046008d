"""The dashboard in a real browser, offline: Debian's chromium driven by Playwright.

Each test starts ``python -m sim.app`` on a free port of 127.0.0.1 with the
project's own browser files (``sim.dashboard.assets``; CI fetches them first with
``python -m sim.app_assets``) and without a network: the server's and the
browser's HTTP proxies point at a closed local port, so a request to any
other machine (Solara's CDN, telemetry) fails, and the tests check that
every request the page made went to the dashboard and succeeded.

The main test loads the page, checks that every control shows its value and
has room, presses Step several times and Play, downloads the live table as
CSV, changes the policies and resets, and checks that the day counter and the
drawn figure change and that the browser console shows no error. It also writes
the README's screenshot, ``docs/img/app.png``. Others check that the page
says so when its browser files are missing, that a sweep's figures are
legible and its report stays in the app, and that closed sessions give their
memory back.

Without ``/usr/bin/chromium`` or the browser files the tests are skipped with
the reason, except in CI (``CI=true``), where they fail: CI installs both
itself (``.ci/browser.sh``).
"""

from __future__ import annotations

import os
import shutil
import socket
import subprocess
import sys
import time
import urllib.request
from pathlib import Path
from urllib.parse import urlsplit

import pytest

from sim.dashboard.assets import assets_dir, missing, required
from tests.test_app import tiny_sweep  # noqa: F401  (a fixture: a real sweep, made once)

CHROMIUM = "/usr/bin/chromium"
CLOSED = "http://127.0.0.1:9"  # the discard port: nothing listens, so every proxied request fails
CHROMIUM_ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    f"--proxy-server={CLOSED}",  # loopback is never proxied: only the dashboard is reachable
]
OFFLINE = {name: CLOSED for name in ("HTTP_PROXY", "HTTPS_PROXY", "http_proxy", "https_proxy")} | {
    "NO_PROXY": "127.0.0.1,localhost",
    "no_proxy": "127.0.0.1,localhost",
}
SCREENSHOT = Path(__file__).resolve().parents[1] / "docs" / "img" / "app.png"
VIEWPORT = {"width": 1800, "height": 1150}


def require(ready: bool, message: str) -> None:
    if ready:
        return
    if os.environ.get("CI") == "true":
        pytest.fail(message)
    pytest.skip(message)


def require_browser() -> None:
    require(
        Path(CHROMIUM).is_file(),
        f"Debian's chromium is not installed ({CHROMIUM}): apt-get install chromium",
    )
    absent = missing(assets_dir(), required())
    require(
        not absent,
        f"the dashboard's browser files are not in {assets_dir()} ({', '.join(absent)}): "
        "uv run python -m sim.app_assets",
    )


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


class Server:
    """``python -m sim.app`` with no network, its output in a log file."""

    def __init__(self, folder: Path, *args: str, assets: Path | None = None) -> None:
        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}/"
        self.log_path = folder / "server.log"
        self.log = self.log_path.open("w")
        env = {**os.environ, **OFFLINE}
        if assets is not None:
            env["SIM_APP_ASSETS"] = str(assets)
        self.process = subprocess.Popen(
            [sys.executable, "-m", "sim.app", "--port", str(self.port), *args],
            stdout=self.log,
            stderr=subprocess.STDOUT,
            cwd=folder,
            env=env,
        )
        deadline = time.monotonic() + 120
        while True:
            try:
                urllib.request.urlopen(self.url, timeout=5)
                break
            except OSError:
                if self.process.poll() is not None or time.monotonic() > deadline:
                    self.stop()
                    pytest.fail(f"the app did not start: {self.output()}")
                time.sleep(0.5)

    def output(self) -> str:
        return self.log_path.read_text()

    def stop(self) -> None:
        self.process.terminate()
        try:
            self.process.wait(timeout=20)
        except subprocess.TimeoutExpired:
            self.process.kill()
        self.log.close()


@pytest.fixture
def server(tmp_path):
    require_browser()
    running = Server(tmp_path)
    yield running
    running.stop()


@pytest.fixture
def browser():
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        launched = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        yield launched
        launched.close()


class Watched:
    """A page whose requests, failures and console errors are recorded."""

    def __init__(self, browser, **context) -> None:
        self.context = browser.new_context(viewport=VIEWPORT, **context)
        self.page = self.context.new_page()
        self.requests: list[str] = []
        self.failed: list[str] = []
        self.errors: list[str] = []
        page = self.page
        page.on("request", lambda r: self.requests.append(r.url))
        page.on(
            "requestfailed",  # not an in-page image superseded by the next day's while loading
            lambda r: (
                None if r.url.startswith("blob:") else self.failed.append(f"{r.url} {r.failure}")
            ),
        )
        page.on(
            "response",
            lambda r: self.failed.append(f"{r.url} {r.status}") if r.status >= 400 else None,
        )
        page.on(
            "console",
            lambda m: self.errors.append(f"{m.text} {m.location}") if m.type == "error" else None,
        )
        page.on("pageerror", lambda e: self.errors.append(str(e)))

    def elsewhere(self, url: str) -> list[str]:
        """Requests that went anywhere but the dashboard at ``url``."""
        home = urlsplit(url).netloc
        return [
            r
            for r in self.requests
            if urlsplit(r).scheme not in ("data", "blob") and urlsplit(r).netloc != home
        ]


def day(page) -> int:
    return int(page.inner_text(".sim-day").split()[1])


def wait_for_day(page, done, timeout: float = 60.0) -> int:
    deadline = time.monotonic() + timeout
    while not done(day(page)):
        assert time.monotonic() < deadline, f"day counter stuck at {day(page)}"
        page.wait_for_timeout(100)
    return day(page)


def figure(page) -> bytes:
    return page.locator("img.sim-policies").screenshot()


@pytest.mark.slow
def test_the_dashboard_in_chromium_offline(server, browser, tmp_path):
    watched = Watched(browser, accept_downloads=True)
    page = watched.page
    page.goto(server.url)
    page.wait_for_selector("img.sim-policies", timeout=90_000)
    assert day(page) == 0
    start = figure(page)

    # every control shows its value and has room (was: no values, a 30 px track)
    values = page.locator(".sim-control-value").all_inner_texts()
    assert len(values) == 10 and all(": " in text for text in values)
    assert "rectify: daily cap: 3" in values
    widths = [s.bounding_box()["width"] for s in page.locator(".v-slider").all()]
    assert len(widths) == 10 and min(widths) >= 200, widths

    for expected in (1, 2, 3):
        page.get_by_role("button", name="Step").click()
        wait_for_day(page, lambda d, e=expected: d == e)
    stepped = figure(page)
    assert stepped != start

    page.get_by_role("button", name="▶").click()
    wait_for_day(page, lambda d: d >= 90, timeout=120)
    page.get_by_role("button", name="❚❚").click()
    paused = wait_for_day(page, lambda d: d >= 90)
    page.wait_for_timeout(500)
    assert day(page) - paused <= 1  # paused
    played = figure(page)
    assert played != stepped
    page.screenshot(path=tmp_path / "app.png")
    SCREENSHOT.parent.mkdir(parents=True, exist_ok=True)
    shutil.copyfile(tmp_path / "app.png", SCREENSHOT)

    # the live table, every day so far, as CSV
    shown = day(page)
    with page.expect_download() as download:
        page.get_by_role("button", name="Download CSV (every day so far)").click()
    assert download.value.suggested_filename == "sim-policies-1000users-seed0.csv"
    lines = Path(download.value.path()).read_text().splitlines()
    assert lines[0].startswith("day,policy,Marketing density (")
    assert len(lines) == 1 + 4 * (shown + 1)
    assert lines[-1].split(",")[:2] == [str(shown), "c2b"]

    page.get_by_label("C2B", exact=True).uncheck()
    page.get_by_role("button", name="Reset").click()
    wait_for_day(page, lambda d: d == 0)
    page.wait_for_selector("text=3 policies on one graph")
    page.get_by_role("button", name="Step").click()
    wait_for_day(page, lambda d: d == 1)
    assert figure(page) not in (start, stepped, played)

    page.get_by_role("button", name="Seller's circle").click()
    page.wait_for_selector("img.sim-circle", timeout=30_000)
    page.get_by_role("button", name="Sweeps").click()
    page.wait_for_selector("text=No sweep found", timeout=30_000)
    watched.context.close()
    assert watched.elsewhere(server.url) == []  # nothing from Solara's CDN or anywhere else
    assert any("/_solara/cdn/requirejs@" in r for r in watched.requests)  # ours, served here
    assert watched.failed == []
    assert watched.errors == []


@pytest.mark.slow
def test_the_page_says_what_is_wrong_when_its_browser_files_are_missing(tmp_path, browser):
    require_browser()
    assets = tmp_path / "assets"
    for spec in required():  # the real files, each package linked
        (assets / spec).parent.mkdir(parents=True, exist_ok=True)
        (assets / spec).symlink_to(assets_dir() / spec)
    running = Server(tmp_path, assets=assets)
    try:
        requirejs = next(spec for spec in required() if spec.startswith("requirejs@"))
        (assets / requirejs).unlink()  # gone after the start-up check
        watched = Watched(browser)
        watched.page.goto(running.url)
        notice = watched.page.wait_for_selector("#sim-assets-missing", timeout=60_000)
        text = notice.inner_text()
        assert "browser files did not load" in text
        assert f"{requirejs}/require.js" in text and "uv run sim app" in text
        watched.context.close()
        assert watched.elsewhere(running.url) == []
        deadline = time.monotonic() + 10
        while "the page asked for" not in running.output() and time.monotonic() < deadline:
            time.sleep(0.2)
        assert f"sim app: error: the page asked for {requirejs}/require.js" in running.output()
    finally:
        running.stop()


@pytest.mark.slow
def test_a_sweeps_figures_are_legible_and_its_report_stays_in_the_app(
    tmp_path,
    browser,
    tiny_sweep,  # noqa: F811
):
    require_browser()
    running = Server(tmp_path, str(tiny_sweep))
    try:
        watched = Watched(browser)
        page = watched.page
        page.goto(running.url)
        page.wait_for_selector("img.sim-policies", timeout=90_000)
        page.get_by_role("button", name="Sweeps").click()
        page.wait_for_selector("img.sim-report-figure", timeout=60_000)
        for name in ("outcome", "tradeoff", "ribbons"):  # was: two 270 px thumbnails
            box = page.locator(f"img.sim-sweep-{name}").bounding_box()
            assert box["width"] >= 700, (name, box)
        figures = page.locator("img.sim-report-figure")
        assert figures.count() == len(list((tiny_sweep / "plots").glob("*.png")))
        assert figures.first.evaluate("img => img.naturalWidth") > 0
        links = page.locator(".solara-markdown a").evaluate_all(
            "links => links.map(a => a.getAttribute('href'))"
        )
        assert [href for href in links if not href.startswith(("#", "http"))] == []
        assert page.url == running.url
        watched.context.close()
        assert watched.elsewhere(running.url) == []
        assert watched.failed == [] and watched.errors == []
    finally:
        running.stop()


@pytest.mark.slow
def test_closed_sessions_give_their_memory_back(server, browser):
    import psutil

    process = psutil.Process(server.process.pid)
    start = process.memory_info().rss
    after = []
    for _ in range(3):
        watched = Watched(browser)
        page = watched.page
        page.goto(server.url)
        page.wait_for_selector("img.sim-policies", timeout=90_000)
        for expected in (1, 2, 3):
            page.get_by_role("button", name="Step").click()
            wait_for_day(page, lambda d, e=expected: d == e)
        page.get_by_role("button", name="Seller's circle").click()
        page.wait_for_selector("img.sim-circle", timeout=30_000)
        watched.context.close()
        time.sleep(5)  # the server frees a closed session, then trims its heap, within 3 s
        after.append(process.memory_info().rss)
    grown = [(rss - start) / 2**20 for rss in after]
    # Before: the first session alone kept 100-230 MB, and each later one added more.
    assert max(grown) < 60, f"MB kept after each closed session: {grown}"
