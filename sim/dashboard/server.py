"""The dashboard's web server: Solara's app in this process, guarded and self-sufficient.

``sim app`` runs Solara's Starlette app under uvicorn itself (rather than
through ``solara run``), so that it can:

- **check the address first**: the port is bound before anything else
  starts, so a bad port (out of range, in use) or host is one line on stderr;
- **refuse unknown Host headers** (DNS-rebinding protection): a page of
  another site whose name is made to resolve to this machine cannot drive the
  dashboard. Allowed: ``127.0.0.1``, ``localhost``, ``::1``, the ``--host``
  given and the names given with ``--allow-host``; when listening on every
  address (``0.0.0.0`` or ``::``), also this machine's name and any IP
  address (a rebinding page always arrives under a DNS name);
- **serve Solara's browser files itself** (``sim.dashboard.assets``) at the URLs
  where Solara's page expects its CDN, so the page never needs the CDN; a
  file missing there is a 404 at once and a line in the terminal, and the
  page says what is wrong instead of staying blank (``static/custom.js``);
- **release a closed session's memory**: Solara keeps a session whose page
  went away without saying goodbye (a crashed tab, a lost connection) for a
  day by default; here for ``SESSION_GRACE`` (a page that reconnects in that
  time keeps its session). Solara itself is told not to phone home
  (telemetry off).
"""

from __future__ import annotations

import ctypes
import gc
import ipaddress
import os
import socket
import sys
import threading
import time
import warnings
from collections.abc import Callable, Iterable
from pathlib import Path
from typing import Any

STATIC = Path(__file__).parent / "static"
CDN_PATH = "/_solara/cdn"
LOOPBACK = ("127.0.0.1", "localhost", "::1")
WILDCARDS = ("0.0.0.0", "::", "")
SESSION_GRACE = "2m"  # how long a page that went away silently keeps its session

Scope = dict[str, Any]


class ServeError(RuntimeError):
    """The dashboard cannot be served as asked; the message says why."""


def listen(host: str, port: int) -> socket.socket:
    """Bind a TCP socket to ``host``:``port`` (``0`` = any free port) and return it.

    Raises:
        ServeError: the port is out of range or in use, or the host is unknown.

    """
    if not 0 <= port <= 65535:
        raise ServeError(f"port {port} is out of range: give 1-65535, or 0 for any free port")
    try:
        family, kind, proto, _, address = socket.getaddrinfo(
            host or None, port, type=socket.SOCK_STREAM, flags=socket.AI_PASSIVE
        )[0]
    except socket.gaierror as error:
        raise ServeError(f"cannot listen on host {host!r}: {error.strerror}") from None
    sock = socket.socket(family, kind, proto)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    try:
        sock.bind(address)
    except OSError as error:
        sock.close()
        reason = (
            "already in use (another server? choose another --port, or 0 for any free port)"
            if error.errno == 98 or "in use" in str(error)
            else error.strerror or str(error)
        )
        raise ServeError(f"cannot listen on {url_host(host)}:{port}: {reason}") from None
    return sock


def url_host(host: str) -> str:
    """Return ``host`` as written in a URL (IPv6 in brackets; every address shown as 127.0.0.1)."""
    if host in WILDCARDS:
        return "127.0.0.1"
    return f"[{host}]" if ":" in host else host


def host_name(header: str) -> str:
    """Return the host of a ``Host`` header, without port or brackets, lower case."""
    header = header.strip().lower()
    if header.startswith("["):  # [::1]:8765
        return header[1 : header.find("]")] if "]" in header else header
    if header.count(":") == 1:
        header = header.split(":")[0]
    return header.rstrip(".")


def is_ip(name: str) -> bool:
    """Return True when ``name`` is an IPv4 or IPv6 address."""
    try:
        ipaddress.ip_address(name)
    except ValueError:
        return False
    return True


class Dashboard:
    """The ASGI app ``sim app`` serves: a Host check, the browser files, then Solara's app.

    Args:
        app: Solara's Starlette app.
        assets: the folder of Solara's browser files (``sim.dashboard.assets``).
        host: the address listened on (``--host``).
        allow: further host names to accept (``--allow-host``).

    """

    def __init__(self, app: Any, assets: Path, host: str, allow: Iterable[str] = ()) -> None:
        from starlette.applications import Starlette
        from starlette.middleware import Middleware
        from starlette.middleware.gzip import GZipMiddleware
        from starlette.routing import Mount
        from starlette.staticfiles import StaticFiles

        self.app = app
        self.assets = assets
        self.allowed = {host_name(h) for h in (*LOOPBACK, host, *allow) if h not in WILDCARDS}
        self.any_address = host in WILDCARDS
        if self.any_address:
            self.allowed.add(socket.gethostname().lower())
        files = StaticFiles(directory=assets, check_dir=False, follow_symlink=True)
        self.files = Starlette(
            routes=[Mount(CDN_PATH, app=files)],
            middleware=[Middleware(GZipMiddleware, minimum_size=1000)],
        )
        self.refused: set[str] = set()
        self.reported: set[str] = set()

    def allows(self, header: str) -> bool:
        """Return True when a request with Host header ``header`` may be served."""
        name = host_name(header)
        return name in self.allowed or (self.any_address and is_ip(name))

    async def __call__(self, scope: Scope, receive: Any, send: Any) -> None:
        """Serve one ASGI connection."""
        if scope["type"] not in ("http", "websocket"):
            await self.app(scope, receive, send)  # lifespan: Solara's start-up and shutdown
            return
        header = next((v.decode("latin-1") for k, v in scope["headers"] if k == b"host"), "")
        if not self.allows(header):
            await self.refuse(scope, receive, send, header)
            return
        if scope["type"] == "http" and scope["path"].startswith(CDN_PATH + "/"):
            await self.files(scope, receive, self.watch_missing(scope["path"], send))
            return
        await self.app(scope, receive, send)

    async def refuse(self, scope: Scope, receive: Any, send: Any, header: str) -> None:
        """Answer a request for an unknown host: 400 (HTTP) or a refused websocket."""
        if header not in self.refused:
            self.refused.add(header)
            print(
                f"sim app: refused a request for unknown host {header!r} (DNS-rebinding "
                "protection); to serve that name, start with --allow-host NAME",
                file=sys.stderr,
                flush=True,
            )
        if scope["type"] == "websocket":
            await receive()  # websocket.connect
            await send({"type": "websocket.close", "code": 1008})  # before accept: HTTP 403
            return
        body = (
            f"sim app: unknown Host header {header!r}: this dashboard answers only to "
            f"{', '.join(sorted(self.allowed))} (DNS-rebinding protection). Start it with "
            "--allow-host NAME to serve another name.\n"
        ).encode()
        await send(
            {
                "type": "http.response.start",
                "status": 400,
                "headers": [
                    (b"content-type", b"text/plain; charset=utf-8"),
                    (b"content-length", str(len(body)).encode()),
                ],
            }
        )
        await send({"type": "http.response.body", "body": body})

    def watch_missing(self, path: str, send: Any) -> Any:
        """Wrap ``send`` to say in the terminal when a browser file is not in the folder."""

        async def watched(message: dict[str, Any]) -> None:
            if message["type"] == "http.response.start":
                status = message["status"]
                if status == 404 and path not in self.reported:
                    self.reported.add(path)
                    print(
                        f"sim app: error: the page asked for {path.removeprefix(CDN_PATH + '/')}, "
                        f"which is not in {self.assets}: stop the dashboard and start `sim app` "
                        "again to fetch the missing browser files",
                        file=sys.stderr,
                        flush=True,
                    )
                elif status == 200 and "@" in path:  # an exact npm version never changes
                    message["headers"] = [
                        *message["headers"],
                        (b"cache-control", b"public, max-age=31536000, immutable"),
                    ]
            await send(message)

        return watched


class MemoryReturn:
    """Give a closed session's memory back to the operating system.

    Solara frees a closed session's objects (its models, figures and widgets)
    with a garbage collection soon after the close; the C allocator keeps the
    freed pages for reuse, so the process would stay at its high-water mark.
    ``limit_heap`` makes large blocks (numpy arrays, image buffers) their own
    mappings, returned when freed; after a close, ``closed`` collects and then
    trims the allocator's heaps (``malloc_trim``). Both need glibc; elsewhere
    they do nothing.
    """

    DELAY_S = 2.0  # after Solara's own collection (1 s after a close)
    MMAP_THRESHOLD = 256 * 1024  # bytes; glibc's default grows up to 32 MB, and then keeps them

    def __init__(self) -> None:
        self.libc = self._glibc()
        self.lock = threading.Lock()
        self.pending = False
        self.trims = 0

    @staticmethod
    def _glibc() -> Any:
        if not sys.platform.startswith("linux"):
            return None
        try:
            libc = ctypes.CDLL("libc.so.6")
            libc.malloc_trim  # noqa: B018  (glibc only)
        except (OSError, AttributeError):
            return None
        return libc

    def limit_heap(self) -> None:
        """Serve large allocations from their own mappings (glibc ``M_MMAP_THRESHOLD``)."""
        if self.libc is not None:
            self.libc.mallopt(-3, self.MMAP_THRESHOLD)  # -3: M_MMAP_THRESHOLD

    def on_session_start(self) -> Any:
        """Solara's ``on_kernel_start`` callback: return what to do when the session closes."""
        return self.closed

    def closed(self) -> None:
        """Schedule one collection and trim after a session closed (several closes: one)."""
        with self.lock:
            if self.pending:
                return
            self.pending = True
        thread = threading.Thread(
            target=self.release, args=(self.DELAY_S,), daemon=True, name="sim-memory-return"
        )
        thread.current_context = None  # type: ignore[attr-defined]  # not the closing session's
        thread.start()

    def release(self, delay_s: float = 0.0) -> None:
        """After ``delay_s``, collect garbage and hand free heap memory back to the system."""
        time.sleep(delay_s)
        with self.lock:
            self.pending = False
        gc.collect()
        if self.libc is not None:
            self.libc.malloc_trim(0)
        self.trims += 1


def serve(
    sock: socket.socket,
    host: str,
    assets: Path,
    allow: Iterable[str] = (),
    app: str = "sim.dashboard.app",
    warm_up: Callable[[], None] | None = None,
) -> None:
    """Serve the Solara app module ``app`` on the bound socket ``sock`` until Ctrl-C.

    ``warm_up`` runs first: what every session would otherwise load on first
    use (compiled loops, fonts, configuration) is loaded once, so that a
    session's memory is its own and returns when it closes.
    """
    os.environ["SOLARA_APP"] = app  # read when Solara's server app is first imported
    import solara.lab
    import solara.server.settings as settings
    import uvicorn

    memory = MemoryReturn()
    memory.limit_heap()
    if warm_up is not None:
        warm_up()
        memory.release()
    solara.lab.on_kernel_start(memory.on_session_start)

    # Solara's advice for pages embedded in another site's iframe over plain http: not ours
    warnings.filterwarnings("ignore", message="Cookies with samesite=none require https")

    settings.main.mode = "production"
    settings.telemetry.mixpanel_enable = False
    settings.kernel.cull_timeout = SESSION_GRACE
    settings.assets.proxy_cache_dir = assets
    settings.assets.extra_locations = [str(STATIC)]
    import solara.server.starlette as solara_server

    dashboard = Dashboard(solara_server.app, assets, host, allow)
    config = uvicorn.Config(dashboard, log_level="warning", access_log=False, lifespan="on")
    uvicorn.Server(config).run(sockets=[sock])
