"""The dashboard's server without a browser: its checks, its own browser files, its Host check.

The browser files come from a fake ``npm`` on a private PATH (no network);
the real server is started once with a folder that has every package's
``package.json``, which is all its start-up check asks for.
"""

from __future__ import annotations

import http.client
import json
import os
import socket
import subprocess
import sys
import time
from pathlib import Path

import pytest
from starlette.testclient import TestClient

from sim.dashboard import assets as app_assets
from sim.dashboard import serve as app
from sim.dashboard import server as app_server
from sim.dashboard.assets import AssetsError, ensure, required
from sim.dashboard.server import CDN_PATH, Dashboard

FAKE_NPM = """#!{python}
import io, json, os, sys, tarfile
spec = sys.argv[-1]
with open(os.environ["FAKE_NPM_LOG"], "a") as log:
    log.write(spec + "\\n")
if os.environ.get("FAKE_NPM_FAIL") == spec:
    sys.stderr.write("npm error code E404\\nnpm error 404 Not Found - GET " + spec + "\\n")
    sys.exit(1)
with tarfile.open(spec.replace("/", "-").lstrip("@") + ".tgz", "w:gz") as archive:
    for path, text in (("package/package.json", json.dumps({{"name": spec}})),
                       ("package/dist/main.js", "// " + spec)):
        data = text.encode()
        info = tarfile.TarInfo(path)
        info.size = len(data)
        archive.addfile(info, io.BytesIO(data))
"""


@pytest.fixture
def fake_npm(tmp_path, monkeypatch):
    """Put a fake ``npm`` (packs a two-file package, logs each spec) alone on PATH."""
    bin_dir = tmp_path / "bin"
    bin_dir.mkdir()
    npm = bin_dir / "npm"
    npm.write_text(FAKE_NPM.format(python=sys.executable))
    npm.chmod(0o755)
    log = tmp_path / "npm.log"
    monkeypatch.setenv("PATH", str(bin_dir))
    monkeypatch.setenv("FAKE_NPM_LOG", str(log))
    return log


def calls(log: Path) -> list[str]:
    return log.read_text().split() if log.exists() else []


def fake_assets(folder: Path) -> Path:
    """A folder with every package Solara's page needs (a package.json each, and require.js)."""
    for spec in required():
        (folder / spec).mkdir(parents=True)
        (folder / spec / "package.json").write_text(json.dumps({"name": spec}))
    requirejs = next(s for s in required() if s.startswith("requirejs@"))
    (folder / requirejs / "require.js").write_text("var requirejs = 1;")
    return folder


def one_error_line(capsys) -> str:
    err = capsys.readouterr().err.strip()
    assert len(err.splitlines()) == 1, err
    assert err.startswith("sim: error: ")
    return err


@pytest.fixture
def nothing_may_start(monkeypatch):
    """Fail the test if the browser files are looked at or a server starts."""

    def forbidden(*_args, **_kwargs):
        raise AssertionError("work started before the bad input was refused")

    monkeypatch.setattr(app_assets, "ensure", forbidden)
    monkeypatch.setattr(app_server, "serve", forbidden)


@pytest.mark.parametrize("port", ["70000", "-1", "abc", "in use"])
def test_a_bad_port_is_one_line_and_exit_2_before_any_work(port, capsys, nothing_may_start):
    with socket.socket() as busy:
        busy.bind(("127.0.0.1", 0))
        busy.listen()
        if port == "in use":
            port = str(busy.getsockname()[1])
        with pytest.raises(SystemExit) as exit_info:
            app.main(["--port", port])
    assert exit_info.value.code == 2
    err = one_error_line(capsys)
    assert "port" in err or "in use" in err


def test_sim_app_with_a_port_out_of_range_says_so_in_one_line():
    out = subprocess.run(
        [sys.executable, "-m", "sim", "app", "--port", "70000"],
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert out.returncode == 2
    assert out.stderr.strip().splitlines() == [
        "sim: error: port 70000 is out of range: give 1-65535, or 0 for any free port"
    ]


def test_cli_rejects_a_missing_sweep_folder(tmp_path, capsys, nothing_may_start):
    with pytest.raises(SystemExit) as exit_info:
        app.main([str(tmp_path / "missing")])
    assert exit_info.value.code == 2
    assert "no such sweep folder" in one_error_line(capsys)


def test_missing_browser_files_without_npm_say_what_to_do(tmp_path, monkeypatch, capsys):
    folder = tmp_path / "assets"
    monkeypatch.setenv(app_assets.ENV, str(folder))
    monkeypatch.setenv("PATH", str(tmp_path))  # no npm here
    monkeypatch.setattr(app_server, "serve", lambda *a, **k: pytest.fail("served without files"))
    with pytest.raises(SystemExit) as exit_info:
        app.main(["--port", "0"])
    assert exit_info.value.code == 2
    err = one_error_line(capsys)
    assert str(folder) in err and "npm" in err and "apt-get install npm" in err
    assert all(spec in err for spec in required())
    assert not folder.exists()  # nothing half-made


def test_browser_files_are_fetched_once_and_unpacked_whole(tmp_path, fake_npm):
    folder = tmp_path / "assets"
    said: list[str] = []
    assert ensure(folder, said.append) == required()
    assert calls(fake_npm) == required()
    for spec in required():
        assert json.loads((folder / spec / "package.json").read_text()) == {"name": spec}
        assert (folder / spec / "dist" / "main.js").read_text() == f"// {spec}"
    assert "fetching" in said[0] and str(folder) in said[0]
    assert ensure(folder, said.append) == []  # a second start fetches nothing
    assert calls(fake_npm) == required()


def test_a_failed_fetch_leaves_nothing_half_written(tmp_path, fake_npm, monkeypatch):
    folder = tmp_path / "assets"
    failing = required()[2]
    monkeypatch.setenv("FAKE_NPM_FAIL", failing)
    with pytest.raises(AssetsError) as error:
        ensure(folder, lambda _line: None)
    assert f"npm could not fetch {failing}: npm error 404 Not Found" in str(error.value)
    assert "registry" in str(error.value)
    assert not (folder / failing).exists()
    assert not list(folder.rglob(".partial-*"))
    whole = required()[:2]
    assert all((folder / spec / "package.json").is_file() for spec in whole)
    monkeypatch.delenv("FAKE_NPM_FAIL")
    ensure(folder, lambda _line: None)  # the next start fetches only what is missing
    assert calls(fake_npm) == [*required()[:3], *required()[2:]]


class Recorder:
    """Stands for Solara's app: answers 200 and records the paths it was asked for."""

    def __init__(self) -> None:
        self.paths: list[str] = []

    async def __call__(self, scope, receive, send) -> None:
        self.paths.append(scope["path"])
        if scope["type"] == "websocket":
            await receive()
            await send({"type": "websocket.accept"})
            await send({"type": "websocket.close", "code": 1000})
            return
        await send({"type": "http.response.start", "status": 200, "headers": []})
        await send({"type": "http.response.body", "body": b"solara"})


def client(host: str = "127.0.0.1", allow: tuple[str, ...] = (), assets: Path = Path("/none")):
    inner = Recorder()
    return TestClient(
        Dashboard(inner, assets, host, allow), base_url="http://127.0.0.1:8765"
    ), inner


@pytest.mark.parametrize(
    ("listen", "allow", "host", "served"),
    [
        ("127.0.0.1", (), "127.0.0.1:8765", True),
        ("127.0.0.1", (), "localhost:8765", True),
        ("127.0.0.1", (), "LOCALHOST", True),
        ("127.0.0.1", (), "[::1]:8765", True),
        ("127.0.0.1", (), "evil.example:8765", False),
        ("127.0.0.1", (), "127.0.0.1.evil.example", False),
        ("127.0.0.1", (), "", False),
        ("127.0.0.1", (), "192.168.1.5:8765", False),
        ("192.168.1.5", (), "192.168.1.5:8765", True),
        ("0.0.0.0", (), "192.168.1.5:8765", True),  # any address: an IP is no rebinding
        ("0.0.0.0", (), "evil.example:8765", False),
        ("0.0.0.0", ("sim.lab.example",), "sim.lab.example:8765", True),
        ("::", (), "[fe80::1]:8765", True),
    ],
)
def test_only_known_host_headers_are_served(listen, allow, host, served):
    http_client, inner = client(listen, allow)
    response = http_client.get("/", headers={"host": host})
    assert (response.status_code == 200) is served
    assert (inner.paths == ["/"]) is served
    if not served:
        assert response.status_code == 400
        assert "DNS-rebinding" in response.text


def test_a_websocket_for_an_unknown_host_is_refused():
    from starlette.testclient import WebSocketDenialResponse
    from starlette.websockets import WebSocketDisconnect

    http_client, inner = client()
    path = "/jupyter/api/kernels/1/channels"
    with http_client.websocket_connect(path, headers={"host": "localhost"}):
        pass
    assert inner.paths == [path]
    with (
        pytest.raises((WebSocketDisconnect, WebSocketDenialResponse)),
        http_client.websocket_connect(path, headers={"host": "evil.example"}),
    ):
        pass
    assert inner.paths == [path]


def test_browser_files_are_served_from_the_folder_never_the_cdn(tmp_path, capsys):
    folder = fake_assets(tmp_path / "assets")
    requirejs = next(s for s in required() if s.startswith("requirejs@"))
    http_client, inner = client(assets=folder)
    found = http_client.get(f"{CDN_PATH}/{requirejs}/require.js")
    assert found.status_code == 200 and found.text == "var requirejs = 1;"
    assert "immutable" in found.headers["cache-control"]
    missing = http_client.get(f"{CDN_PATH}/{requirejs}/require.min.js")
    assert missing.status_code == 404
    assert http_client.get(f"{CDN_PATH}/%2e%2e/%2e%2e/etc/passwd").status_code == 404  # ../..
    assert inner.paths == []  # Solara's own CDN proxy was never asked
    err = capsys.readouterr().err
    assert f"the page asked for {requirejs}/require.min.js, which is not in {folder}" in err


@pytest.fixture(scope="module")
def server(tmp_path_factory):
    """The real ``python -m sim.app`` (browser files faked: only its Host check is used)."""
    folder = fake_assets(tmp_path_factory.mktemp("assets"))
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    process = subprocess.Popen(
        [sys.executable, "-m", "sim.app", "--port", str(port)],
        env={**os.environ, app_assets.ENV: str(folder)},
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
        text=True,
    )
    deadline = time.monotonic() + 120
    while True:
        try:
            socket.create_connection(("127.0.0.1", port), timeout=1).close()
            break
        except OSError:
            if process.poll() is not None or time.monotonic() > deadline:
                process.kill()
                pytest.fail(f"the app did not start: {process.communicate()[1]}")
            time.sleep(0.3)
    yield port
    process.terminate()
    process.wait(timeout=30)


def status(port: int, host: str, path: str = "/", headers: dict[str, str] | None = None) -> int:
    connection = http.client.HTTPConnection("127.0.0.1", port, timeout=60)
    connection.putrequest("GET", path, skip_host=True)
    connection.putheader("Host", host)
    for name, value in (headers or {}).items():
        connection.putheader(name, value)
    connection.endheaders()
    code = connection.getresponse().status
    connection.close()
    return code


def test_the_running_server_refuses_unknown_hosts(server):
    port = server
    for host in (f"127.0.0.1:{port}", f"localhost:{port}", f"[::1]:{port}"):
        assert status(port, host) == 200, host
    assert status(port, f"attacker.example:{port}") == 400
    upgrade = {
        "Upgrade": "websocket",
        "Connection": "Upgrade",
        "Sec-WebSocket-Key": "dGhlIHNhbXBsZSBub25jZQ==",
        "Sec-WebSocket-Version": "13",
    }
    path = "/jupyter/api/kernels/00000000-0000-0000-0000-000000000000/channels"
    assert status(port, f"attacker.example:{port}", path, upgrade) == 403
