"""The dashboard in a real browser: Debian's chromium driven by Playwright.

Starts ``python -m sim.app`` on a free port of 127.0.0.1, loads the page,
presses Step several times and Play, changes the policies and resets, and
checks that the day counter and the drawn figure change and that the browser
console shows no error. It also writes the README's screenshot,
``docs/img/app.png``.

Without ``/usr/bin/chromium`` the test is skipped with the reason, except in
CI (``CI=true``), where it fails: CI installs chromium itself (``.ci/browser.sh``).
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

import pytest

CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]
SCREENSHOT = Path(__file__).resolve().parents[1] / "docs" / "img" / "app.png"


def require_chromium() -> None:
    if Path(CHROMIUM).is_file():
        return
    message = f"Debian's chromium is not installed ({CHROMIUM}): apt-get install chromium"
    if os.environ.get("CI") == "true":
        pytest.fail(message)
    pytest.skip(message)


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


@pytest.fixture
def server(tmp_path):
    require_chromium()
    port = free_port()
    log = (tmp_path / "server.log").open("w")
    process = subprocess.Popen(
        [sys.executable, "-m", "sim.app", "--port", str(port)],
        stdout=log,
        stderr=subprocess.STDOUT,
        cwd=tmp_path,
    )
    url = f"http://127.0.0.1:{port}/"
    deadline = time.monotonic() + 120
    while True:
        try:
            urllib.request.urlopen(url, timeout=5)
            break
        except OSError:
            if process.poll() is not None or time.monotonic() > deadline:
                process.kill()
                pytest.fail(f"the app did not start: {(tmp_path / 'server.log').read_text()}")
            time.sleep(0.5)
    yield url
    process.terminate()
    try:
        process.wait(timeout=20)
    except subprocess.TimeoutExpired:
        process.kill()
    log.close()


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
def test_the_dashboard_in_chromium(server, tmp_path):
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        page = browser.new_page(viewport={"width": 1800, "height": 1150})
        errors: list[str] = []
        page.on(
            "console",
            lambda m: errors.append(f"{m.text} {m.location}") if m.type == "error" else None,
        )
        page.on("pageerror", lambda e: errors.append(str(e)))
        page.goto(server)
        page.wait_for_selector("img.sim-policies", timeout=90_000)
        assert day(page) == 0
        start = figure(page)

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
        browser.close()
    assert errors == []
