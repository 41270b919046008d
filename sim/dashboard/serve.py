"""The browser dashboard's command: ``sim app`` or ``python -m sim.app``.

It checks everything it is given before any work starts, each failure one
line on stderr (``sim: error: ...``) and exit status 2: the sweep folder,
the address (the port is bound here: out of range or in use), then the
page's browser files (``sim.dashboard.assets``: fetched once if missing, or what
to do about it). Then it serves the page (``sim.dashboard.app``) on this machine
(``sim.dashboard.server``) until Ctrl-C.

This module imports nothing heavy, so a bad argument is answered at once;
the page and its model load only when the server starts.
"""

from __future__ import annotations

import argparse
import os
import sys
from pathlib import Path
from typing import NoReturn

from sim.dashboard import DEFAULT_SWEEPS, SWEEPS_ENV

PAGE = "sim.dashboard.app"  # the Solara app module: the page and its views


class _Parser(argparse.ArgumentParser):
    """An argument parser whose errors are one line (``sim: error: ...``) and exit 2."""

    def error(self, message: str) -> NoReturn:
        fail(message)


def fail(message: str) -> NoReturn:
    """Print ``sim: error: message`` on stderr and exit with status 2."""
    print(f"sim: error: {message}", file=sys.stderr, flush=True)
    raise SystemExit(2)


def main(argv: list[str] | None = None) -> None:
    """Start the dashboard server (``sim app``, ``python -m sim.app``).

    Every check comes before the server starts: the sweep folder, the
    address (the port is bound here, so one in use or out of range is one
    line on stderr), then the browser files (fetched once if missing).
    """
    from sim.dashboard.assets import AssetsError, assets_dir, ensure
    from sim.dashboard.server import ServeError, listen, serve, url_host

    parser = _Parser(
        prog="sim app",
        description="Start the browser dashboard (policies side by side, a seller's circle, "
        "sweeps) on this machine.",
    )
    parser.add_argument(
        "sweeps",
        nargs="?",
        default=None,
        help=f"sweep folder, or folder of sweeps, for the Sweeps tab (default {DEFAULT_SWEEPS})",
    )
    parser.add_argument(
        "--host", default="127.0.0.1", help="address to listen on (default 127.0.0.1)"
    )
    parser.add_argument("--port", type=int, default=8765, help="port (0 = any free port)")
    parser.add_argument(
        "--allow-host",
        action="append",
        default=[],
        metavar="NAME",
        help="also answer requests for this host name (others are refused: DNS-rebinding "
        "protection); repeatable",
    )
    args = parser.parse_args(argv)
    if args.sweeps is not None:
        folder = Path(args.sweeps)
        if not folder.is_dir():
            fail(f"no such sweep folder: {folder}")
        os.environ[SWEEPS_ENV] = str(folder.resolve())
    try:
        sock = listen(args.host, args.port)
    except ServeError as error:
        fail(str(error))
    assets = assets_dir()
    try:
        ensure(assets, say=lambda line: print(line, flush=True))
    except AssetsError as error:
        sock.close()
        fail(str(error))
    port = sock.getsockname()[1]
    print(
        f"sim app: serving on http://{url_host(args.host)}:{port} (Ctrl-C stops)",
        flush=True,
    )
    serve(sock, args.host, assets, args.allow_host, app=PAGE, warm_up=warm_up)


def warm_up() -> None:
    """Load the page's module and what its sessions load on first use (``sim.dashboard.app``)."""
    from sim.dashboard.app import warm_up as page_warm_up

    page_warm_up()


if __name__ == "__main__":
    main()
