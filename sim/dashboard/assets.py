"""The dashboard's browser files: Solara's front end, kept by the project, served by the app.

Solara's page loads its front end (the Vuetify app, RequireJS, Font Awesome,
and for Markdown KaTeX and Mermaid) from a public CDN, through its server.
Where that CDN cannot be reached (many networks, an offline machine) the page
stays blank. So the dashboard (``sim app``) serves these files itself, from a
folder of its own, and never asks the CDN:

- **Where**: ``$SIM_APP_ASSETS`` if set, else ``$XDG_CACHE_HOME/sim/app-assets``
  (``~/.cache/sim/app-assets``): outside the virtual environment, so they
  survive a ``.venv`` rebuild, and shared by every checkout of the project.
- **What**: the exact npm packages (``name@version``) that the installed
  Solara's page template and components ask for, read from Solara's own
  sources, so a Solara upgrade asks for its own versions.
- **How**: ``sim app`` checks them before it starts and fetches missing ones
  once from the npm registry with ``npm pack`` (Node.js's npm, which checks
  each package against the registry's checksum). Each package is unpacked in
  a scratch folder beside its place and renamed into place, so a package
  folder is whole whenever it exists. Without npm, or without the registry,
  it stops with a one-line error that says what is missing and how to get it.

``python -m sim.app_assets`` fetches them without starting the dashboard (as
CI does before its browser test) and prints where they are.
"""

from __future__ import annotations

import os
import re
import shutil
import subprocess
import sys
import tarfile
import tempfile
from collections.abc import Callable
from pathlib import Path

ENV = "SIM_APP_ASSETS"
NPM_HINT = (
    "install Node.js's npm (Debian/Ubuntu: apt-get install npm; otherwise https://nodejs.org) "
    "and start `sim app` again, which fetches them once from the npm registry; or copy that "
    f"folder from a machine that has it (set {ENV} to use another folder)"
)


class AssetsError(RuntimeError):
    """The browser files are missing and cannot be fetched; the message says how to fix it."""


def assets_dir() -> Path:
    """Return the folder of the dashboard's browser files (``$SIM_APP_ASSETS`` or the cache)."""
    chosen = os.environ.get(ENV)
    if chosen:
        return Path(chosen).expanduser()
    base = os.environ.get("XDG_CACHE_HOME") or Path.home() / ".cache"
    return Path(base) / "sim" / "app-assets"


def required() -> list[str]:
    """Return the ``name@version`` npm packages the installed Solara's page loads from its CDN.

    They are read from Solara's page template and the components the
    dashboard uses (Markdown loads KaTeX and Mermaid), plus Font Awesome's
    path; of Solara's two Vuetify apps only the one for the installed ipyvue
    (Vue 2 or 3) is kept, as Solara's server chooses.
    """
    import ipyvue
    import solara.server.settings as settings

    root = Path(settings.__file__).parents[1]
    sources = (
        root / "server" / "templates" / "solara.html.j2",
        root / "components" / "markdown.py",
    )
    text = "".join(source.read_text() for source in sources) + settings.assets.fontawesome_path
    specs = set(re.findall(r"/((?:@[\w.-]+/)?[\w.-]+@\d+\.\d+\.\d+)/", text))
    unused = "solara-vuetify-app@" if ipyvue.__version__.startswith("3") else "solara-vuetify3-app@"
    return sorted(spec for spec in specs if unused not in spec)


def missing(folder: Path, specs: list[str]) -> list[str]:
    """Return the packages of ``specs`` not (whole) in ``folder``."""
    return [spec for spec in specs if not (folder / spec / "package.json").is_file()]


def install(spec: str, folder: Path, npm: str) -> None:
    """Fetch npm package ``spec`` with ``npm pack`` and unpack it as ``folder/spec``.

    Raises:
        AssetsError: npm failed (its last error line is in the message).

    """
    target = folder / spec
    target.parent.mkdir(parents=True, exist_ok=True)
    # the scratch folder sits beside the target, so the final rename stays on one file system
    with tempfile.TemporaryDirectory(prefix=".partial-", dir=target.parent) as scratch:
        out = subprocess.run(
            [npm, "pack", "--silent", spec],
            cwd=scratch,
            capture_output=True,
            text=True,
            check=False,
        )
        tarballs = list(Path(scratch).glob("*.tgz"))
        if out.returncode != 0 or len(tarballs) != 1:
            lines = [line for line in out.stderr.splitlines() if line.strip()]
            reason = lines[-1].strip() if lines else f"exit status {out.returncode}"
            raise AssetsError(f"npm could not fetch {spec}: {reason}")
        with tarfile.open(tarballs[0]) as archive:
            archive.extractall(scratch, filter="data")
        unpacked = Path(scratch) / "package"
        if not (unpacked / "package.json").is_file():
            raise AssetsError(f"npm's package {spec} has no package.json")
        if target.exists() and not (target / "package.json").is_file():
            shutil.rmtree(target)  # not whole: left by hand or by an older tool
        try:
            unpacked.rename(target)
        except OSError:
            if not (target / "package.json").is_file():
                raise
            # another `sim app` starting at the same time put it there first


def ensure(folder: Path, say: Callable[[str], None] = print) -> list[str]:
    """Make sure ``folder`` holds every package Solara's page needs; return those fetched.

    Raises:
        AssetsError: some are missing and npm is absent or failed.

    """
    specs = required()
    absent = missing(folder, specs)
    if not absent:
        return []
    where = f"{len(absent)} of {len(specs)} missing in {folder}: {', '.join(absent)}"
    npm = shutil.which("npm")
    if npm is None:
        raise AssetsError(
            f"the dashboard's browser files are not here yet ({where}) and npm is not "
            f"installed to fetch them: {NPM_HINT}"
        )
    say(f"sim app: fetching the dashboard's browser files once from the npm registry ({where})")
    try:
        folder.mkdir(parents=True, exist_ok=True)
    except OSError as error:
        raise AssetsError(f"cannot create {folder} for the browser files: {error}") from error
    for spec in absent:
        try:
            install(spec, folder, npm)
        except OSError as error:
            raise AssetsError(f"cannot unpack {spec} into {folder}: {error}") from error
        except AssetsError as error:
            raise AssetsError(
                f"the dashboard's browser files are incomplete ({where}) and {error}. Check "
                "that the npm registry is reachable (npm's settings apply: registry, proxy), "
                f"then start `sim app` again; or copy that folder from a machine that has it"
            ) from error
        say(f"sim app: installed {spec}")
    return absent


def main(argv: list[str] | None = None) -> None:
    """Fetch the browser files (``sim assets``) and print their folder."""
    import argparse

    parser = argparse.ArgumentParser(
        prog="sim assets",
        description="Fetch the dashboard's browser files from the npm registry (once).",
    )
    parser.parse_args(argv)
    folder = assets_dir()
    try:
        fetched = ensure(folder)
    except AssetsError as error:
        print(f"sim: error: {error}", file=sys.stderr)
        raise SystemExit(2) from None
    state = f"fetched {len(fetched)}" if fetched else "all present"
    print(f"sim app: browser files in {folder} ({state}: {', '.join(required())})")


if __name__ == "__main__":
    main()
